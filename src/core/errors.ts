/**
 * Typed errors. A `CtscreenError` is the user's problem (bad input, missing model, no lungs):
 * the CLI prints its message on one line and exits non-zero without a stack trace.
 * Any other error is a bug in ctscreen and is reported as such.
 */
export class CtscreenError extends Error {
  /** Stable machine-readable code, e.g. 'DICOM_NO_SERIES'. */
  readonly code: string;
  /** Path of the file or folder the problem is about, when there is one. */
  readonly path?: string;
  constructor(code: string, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options.path;
  }
}

/** The input (file, folder, zip, CLI value) is unusable as given. */
export class InputError extends CtscreenError {}

/** A model file or model card is missing, unreadable or inconsistent. */
export class ModelError extends CtscreenError {}

/** The scan was read but a stage cannot give a meaningful answer (e.g. no lungs found). */
export class ScreeningError extends CtscreenError {}

export function isCtscreenError(e: unknown): e is CtscreenError {
  return e instanceof CtscreenError;
}
