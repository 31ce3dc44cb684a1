/** Messages between a WorkerPool (worker-pool.ts) and its child processes (worker-pool-child.ts). */
import type { CaseReport } from '../core/report-schema.ts';
import type { ScreeningOutputs } from '../report/write-outputs.ts';
import type { LoadScreeningModelsOptions } from './load-models.ts';
import type { ReadInputOptions } from './stages.ts';
import type { ScreenProgressEvent } from './screen.ts';
import type { ScreenTask } from './run-screening.ts';

export interface PoolErrorInfo {
  message: string;
  code?: string;
  /** True for a CtscreenError (the input's or a model's problem), false for a bug or a crash. */
  userFacing: boolean;
  /** The CtscreenError subclass, e.g. 'InputError'. */
  kind?: string;
  /** HTTP status of the error catalogue (core/error-codes.ts), for a server's job record and logs. */
  http?: number;
}

/** One case for a child: a path on disk and the per-case choices (callbacks stay in the parent). */
export interface PoolTask {
  path: string;
  read?: ReadInputOptions;
  task: Omit<ScreenTask, 'onProgress'>;
}

export type PoolRequest =
  | { type: 'init'; load: LoadScreeningModelsOptions }
  | { type: 'task'; id: number; task: PoolTask }
  | { type: 'exit' };

export type PoolReply =
  | { type: 'ready'; candidates: string; warnings: string[] }
  | { type: 'fatal'; error: PoolErrorInfo }
  | { type: 'progress'; id: number; event: ScreenProgressEvent }
  | { type: 'done'; id: number; ms: number; report?: CaseReport; outputs?: ScreeningOutputs | null; error?: PoolErrorInfo };
