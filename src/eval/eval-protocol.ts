/** What `ctscreen eval` (run-eval.ts) keeps of each case screened on the worker pool. */

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
  /** Lesion-mask volume, mL (null when involvement came from candidate regions: no lesion mask). */
  lesionMl?: number | null;
  warnings: string[];
  totalMs: number;
}
