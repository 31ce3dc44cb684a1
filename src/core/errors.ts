/**
 * Typed errors. A `CtscreenError` is the user's problem (bad input, missing model, no lungs):
 * the CLI prints its message on one line and exits non-zero without a stack trace.
 * Any other error is a bug in ctscreen and is reported as such (exit 1; see error-codes.ts).
 */
export class CtscreenError extends Error {
  /** Stable machine-readable code, e.g. 'DICOM_NO_SERIES'. */
  readonly code: string;
  /** Path of the file or folder the problem is about, when there is one. */
  readonly path?: string;
  /** Machine-readable facts behind the message (e.g. the limit passed and its value). */
  readonly details?: Readonly<Record<string, string | number>>;
  constructor(code: string, message: string, options: { path?: string; cause?: unknown; details?: Record<string, string | number> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options.path;
    if (options.details) this.details = options.details;
  }
}

/** The input (file, folder, zip, CLI value) is unusable as given. */
export class InputError extends CtscreenError {}

/** A model file or model card is missing, unreadable or inconsistent. */
export class ModelError extends CtscreenError {}

/** The scan was read but a stage cannot give a meaningful answer (e.g. no lungs found). */
export class ScreeningError extends CtscreenError {}

/**
 * A bug in ctscreen detected by its own checks (e.g. a report that fails its own schema). Not a
 * CtscreenError on purpose: the user can do nothing about it, so it exits 1 and asks for a report.
 */
export class InternalError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InternalError';
    this.code = code;
  }
}

export function isCtscreenError(e: unknown): e is CtscreenError {
  return e instanceof CtscreenError;
}
