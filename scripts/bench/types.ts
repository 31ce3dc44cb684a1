/** One row of the `npm run bench` table. */
export interface BenchRow {
  stage: string;
  input: string;
  /** Median wall time of the measured runs, in milliseconds. */
  ms: number;
  /** Peak resident set size of this process seen during the measurement, MiB. */
  peakRssMiB?: number;
  /** Target from the issue, e.g. "≤ 500 ms"; printed, never enforced. */
  target?: string;
  note?: string;
}

/** A bench returns its rows, or a reason it could not run (e.g. data missing). */
export type Bench = () => Promise<BenchRow[] | { skipped: string }>;
