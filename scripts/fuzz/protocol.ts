/** Messages between the fuzzer (scripts/fuzz/run.ts) and its in-process runner (worker.ts). */
import type { CandidateMode } from './case.ts';
import type { Outcome } from './outcome.ts';

export type ToWorker =
  | { type: 'init'; seed: number; workDir: string; dataDir?: string; seedFilter?: string }
  | { type: 'case'; index: number }
  | { type: 'cleanup'; index: number };

export type FromWorker =
  | { type: 'ready'; seeds: string[] }
  | { type: 'started'; index: number; seedId: string; real: boolean; mutations: string[]; candidates: CandidateMode; path: string }
  | { type: 'done'; index: number; outcome: Outcome; ms: number; cpuMs: number; rssMb: number }
  | { type: 'cleaned'; index: number }
  | { type: 'fatal'; message: string };
