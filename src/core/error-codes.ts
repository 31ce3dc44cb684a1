/**
 * The error catalogue: each code a refusal or failure can carry, with the CLI exit code and the HTTP
 * status it maps to (0 ok / 2 the user's input / 1 a bug). Codes not listed fall back by error class:
 * InputError and ScreeningError 422, ModelError 503, anything else 500 (a bug, exit 1).
 */
import { InputError, ModelError, ScreeningError } from './errors.ts';

export interface ErrorCodeEntry {
  http: number;
  exit: 0 | 1 | 2;
  /** What the code means, for the OpenAPI document and the README. */
  summary: string;
}

export const ERROR_CODES = {
  BAD_REQUEST: { http: 400, exit: 2, summary: 'a query option or header has a value the API does not accept' },
  EMPTY_BODY: { http: 400, exit: 2, summary: 'the upload has no bytes' },
  AUTH_REQUIRED: { http: 401, exit: 2, summary: 'no bearer token was sent' },
  AUTH_INVALID: { http: 401, exit: 2, summary: 'the bearer token is not one of the server’s tokens' },
  NOT_FOUND: { http: 404, exit: 2, summary: 'no such route, job or file for this caller' },
  FILE_NOT_READY: { http: 404, exit: 2, summary: 'the job has not written this file (yet)' },
  UPLOAD_TOO_LARGE: { http: 413, exit: 2, summary: 'the upload is larger than --max-upload-mb' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, exit: 2, summary: 'the Content-Type is not an accepted input type, or the body is not what it claims' },
  EMPTY_ARCHIVE: { http: 422, exit: 2, summary: 'the upload is a zip archive with no entries' },
  QUEUE_FULL: { http: 503, exit: 2, summary: 'too many jobs are waiting; retry later' },
  QUEUE_UNAVAILABLE: { http: 503, exit: 2, summary: 'the job queue (Redis) cannot be reached' },
  WORKER_LOST: { http: 500, exit: 1, summary: 'the job’s worker died on every attempt' },
  INTERNAL: { http: 500, exit: 1, summary: 'a bug in ctscreen' },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The catalogue entry of a code, or the fallback for an error of `kind` (a CtscreenError subclass name). */
export function errorEntry(code: string | undefined, kind?: string): ErrorCodeEntry {
  if (code && code in ERROR_CODES) return ERROR_CODES[code as ErrorCode];
  if (kind === InputError.name || kind === ScreeningError.name) return { http: 422, exit: 2, summary: 'the input cannot be screened' };
  if (kind === ModelError.name) return { http: 503, exit: 2, summary: 'a model is missing or broken' };
  return ERROR_CODES.INTERNAL;
}
