/**
 * What each error means to a caller: the CLI's exit code and the HTTP status a server answers with.
 * User mistakes (a CtscreenError) exit 2 with one line; anything else is a bug: exit 1, and the
 * stack only with CTSCREEN_DEBUG=1. Codes not listed fall back on their error class.
 */
import { CtscreenError, InputError, InternalError, ModelError, ScreeningError } from './errors.ts';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USER = 2;

export interface ErrorCodeInfo {
  exit: typeof EXIT_USER | typeof EXIT_INTERNAL;
  /** 400 bad request, 401 no/bad token, 404 none of yours, 413 too large, 415 unsupported format, 422 unusable content, 500 our fault, 503 try later. */
  http: 400 | 401 | 404 | 413 | 415 | 422 | 500 | 503;
}

const user = (http: ErrorCodeInfo['http']): ErrorCodeInfo => ({ exit: EXIT_USER, http });

/** Refusals of the HTTP API (src/server/app.ts) and job outcomes only a server has. */
export const API_ERROR_CODES = {
  BAD_REQUEST: user(400),
  EMPTY_BODY: user(400),
  AUTH_REQUIRED: user(401),
  AUTH_INVALID: user(401),
  NOT_FOUND: user(404),
  FILE_NOT_READY: user(404),
  UPLOAD_TOO_LARGE: user(413),
  UNSUPPORTED_MEDIA_TYPE: user(415),
  EMPTY_ARCHIVE: user(422),
  QUEUE_FULL: user(503),
  QUEUE_UNAVAILABLE: user(503),
  // the job's worker died on every attempt; a bug or the machine's limits, not the upload
  WORKER_LOST: { exit: EXIT_INTERNAL, http: 500 },
  INTERNAL: { exit: EXIT_INTERNAL, http: 500 },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** Codes whose meaning differs from their class's default (kept to what io/limits and the report touch). */
export const ERROR_CODES: Readonly<Record<string, ErrorCodeInfo>> = {
  // resource limits (src/io/limits.ts): the input is larger than ctscreen is set to accept
  INPUT_LIMIT_DECOMPRESSED: user(413),
  INPUT_LIMIT_ENTRIES: user(413),
  INPUT_LIMIT_ENTRY_SIZE: user(413),
  INPUT_LIMIT_VOXELS: user(413),
  // formats ctscreen does not read
  INPUT_UNKNOWN_FORMAT: user(415),
  DICOM_UNSUPPORTED_SYNTAX: user(415),
  NIFTI_UNSUPPORTED: user(415),
  ZIP_UNSUPPORTED: user(415),
  // readable but unusable content
  DICOM_NOT_CT: user(422),
  DICOM_NO_USABLE_SERIES: user(422),
  INPUT_BAD_GEOMETRY: user(422),
  ZIP_UNSAFE_PATH: user(422),
  NO_LUNGS: user(422),
  // a report from outside (a file, a request) that is not a valid report
  REPORT_INVALID: user(422),
  REPORT_VERSION: user(422),
  // the PACS connector (src/pacs): the archive is down, refuses us, or lacks what was asked for
  PACS_UNAVAILABLE: user(503),
  PACS_AUTH: user(401),
  PACS_NOT_FOUND: user(404),
  // bugs caught by ctscreen's own checks
  REPORT_INTERNAL_INVALID: { exit: EXIT_INTERNAL, http: 500 },
  ...API_ERROR_CODES,
};

function classDefault(e: unknown): ErrorCodeInfo {
  if (e instanceof InputError) return user(400);
  if (e instanceof ScreeningError) return user(422);
  // a missing or broken model is the installation's problem, not the request's
  if (e instanceof ModelError) return { exit: EXIT_USER, http: 500 };
  if (e instanceof CtscreenError) return user(400);
  return { exit: EXIT_INTERNAL, http: 500 };
}

/** Exit code and HTTP status of any thrown value. */
export function errorInfo(e: unknown): ErrorCodeInfo {
  const code = e instanceof CtscreenError || e instanceof InternalError ? e.code : undefined;
  const listed = code === undefined ? undefined : ERROR_CODES[code];
  // a listed code never turns a bug into a user error: only CtscreenErrors may exit 2
  if (listed && (listed.exit === EXIT_INTERNAL || e instanceof CtscreenError)) return listed;
  return classDefault(e);
}

export function exitCodeOf(e: unknown): number {
  return errorInfo(e).exit;
}

export function httpStatusOf(e: unknown): number {
  return errorInfo(e).http;
}
