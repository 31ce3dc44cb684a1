/** Messages between `ctscreen eval` (run-eval.ts) and its worker processes (eval-worker.ts). */
import type { CandidateGeneratorId } from '../candidates/types.ts';
import type { InputLimits } from '../io/limits.ts';

export interface EvalWorkerInit {
  type: 'init';
  classifier?: string;
  segmenter?: string;
  candidates?: CandidateGeneratorId;
  intraOpThreads: number;
  decision?: 'calibrated' | 'paper';
}

export type EvalWorkerRequest =
  | EvalWorkerInit
  | { type: 'case'; id: string; path: string; outDir: string; maxCandidates?: number; limits?: Partial<InputLimits> }
  | { type: 'exit' };

export interface EvalErrorInfo {
  message: string;
  code?: string;
  /** True for a CtscreenError (the input's problem), false for a bug or a crash. */
  userFacing: boolean;
}

/** What the parent keeps of one screened case (the full report is on disk). */
export interface EvalCaseOutcome {
  decision: string;
  rule: string;
  confidence: number | null;
  mode: 'calibrated' | 'paper';
  /** Calibrated P(infected) (calibrated mode). */
  infectionProbability?: number;
  /** Calibrated P(type | infected) (calibrated mode). */
  typeProbabilities?: Record<string, number>;
  infections: { label: string; noisyOr: number; exportedConfidence: number }[];
  regions: number;
  keptRegions: number;
  warnings: string[];
  totalMs: number;
}

export type EvalWorkerReply =
  | { type: 'ready'; candidates: CandidateGeneratorId; warnings: string[] }
  | { type: 'fatal'; error: EvalErrorInfo }
  | { type: 'done'; id: string; ms: number; outcome?: EvalCaseOutcome; error?: EvalErrorInfo };
