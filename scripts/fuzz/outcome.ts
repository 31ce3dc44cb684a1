/** What a fuzz case may end in, and which endings are failures (the fuzzer's assertions). */
import { InputError, isCtscreenError, ScreeningError } from '../../src/core/errors.ts';

export type OutcomeKind =
  | 'report' // a case report (exit 0)
  | 'user-error' // InputError / ScreeningError (exit 2): acceptable
  | 'internal' // any other exception, or a report failing its own schema (exit 1): a bug
  | 'model-error' // ModelError on a mutated input: the models are not mutated, so a bug
  | 'slow' // finished, but after the per-case time limit
  | 'timeout' // killed at the hard time limit
  | 'memory' // peak RSS above the limit (or killed for it)
  | 'crash' // the process died (signal, abort, out of memory)
  | 'cli-mismatch'; // the CLI child's exit code disagrees with the in-process outcome

export interface Outcome {
  kind: OutcomeKind;
  /** CtscreenError code, exit code or signal. */
  code?: string;
  /** First line of the error message. */
  message?: string;
  /** 'read' or 'screen' (in-process), 'cli' (child). */
  stage?: string;
}

export const ACCEPTABLE: ReadonlySet<OutcomeKind> = new Set(['report', 'user-error']);

/** Codes that are ctscreen's own fault even though they are raised as CtscreenErrors. */
const BUG_CODES = new Set(['REPORT_INVALID']);

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}

export function classifyError(e: unknown, stage: string): Outcome {
  if (isCtscreenError(e)) {
    if (BUG_CODES.has(e.code)) return { kind: 'internal', code: e.code, message: firstLine(e.message), stage };
    if (e instanceof InputError || e instanceof ScreeningError) return { kind: 'user-error', code: e.code, message: firstLine(e.message), stage };
    return { kind: 'model-error', code: e.code, message: firstLine(e.message), stage };
  }
  const err = e as Error;
  return { kind: 'internal', code: err?.name ?? typeof e, message: firstLine(err?.message ?? String(e)), stage };
}

/** Outcome label for the summary table: kind, and the error code for errors. */
export function outcomeLabel(o: Outcome): string {
  return o.code && o.kind !== 'report' ? `${o.kind} ${o.code}` : o.kind;
}
