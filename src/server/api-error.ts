/** A refusal the API answers as JSON {"error":{"code","message"}} with the catalogue's HTTP status. */
import { API_ERROR_CODES, type ApiErrorCode } from '../core/error-codes.ts';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERROR_CODES[code].http;
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
