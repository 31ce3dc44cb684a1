/** A refusal the API answers as JSON {"error":{"code","message"}} with the catalogue's HTTP status. */
import { ERROR_CODES, type ErrorCode } from '../core/error-codes.ts';

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_CODES[code].http;
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
