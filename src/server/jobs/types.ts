/**
 * Jobs as the server keeps them, and the queue interface both backends implement (SQLite embedded,
 * BullMQ on Redis). The API's Job is derived from a JobRecord (server/app.ts toApiJob).
 */
import type { CandidateGeneratorId } from '../../candidates/types.ts';
import type { DecisionMode } from '../../pipeline/stages.ts';
import type { OutputType } from '../../registry.ts';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Per-job choices from the upload's query. */
export interface JobOptions {
  candidates?: CandidateGeneratorId;
  decision?: DecisionMode;
  /** Output types to write (default serverOutputTypes of the input). */
  outputs?: OutputType[];
}

export interface JobDecision {
  label: string;
  displayName: string;
  confidence: number | null;
}

export interface JobError {
  code: string;
  message: string;
}

export interface NewJob {
  id: string;
  owner: string;
  createdAt: string;
  /** The client's file name (X-Filename), shown to its owner only, never logged. */
  inputName: string | null;
  /** The upload, relative to the data folder. */
  inputFile: string;
  inputBytes: number;
  options: JobOptions;
}

export interface JobRecord extends NewJob {
  status: JobStatus;
  stage: string | null;
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
  decision: JobDecision | null;
  error: JobError | null;
  /** Outputs of the finished attempt, relative to the data folder. */
  resultDir: string | null;
  attempts: number;
  /** Stage wall times of the finished screening, ms (report.json timingsMs). */
  timingsMs: Record<string, number> | null;
}

export interface StageTiming {
  stage: string;
  sumMs: number;
  count: number;
}

export interface JobQueue {
  readonly kind: 'embedded' | 'redis';
  submit(job: NewJob): Promise<void>;
  get(id: string): Promise<JobRecord | null>;
  list(owner: string): Promise<JobRecord[]>;
  /** Removes the job and its files; a running screening finishes and is then discarded. */
  remove(id: string): Promise<void>;
  counts(): Promise<Record<JobStatus, number>>;
  stageTimings(): Promise<StageTiming[]>;
  /** Null when healthy, else what is wrong. */
  problem(): Promise<string | null>;
  close(): Promise<void>;
}

/** Where a job's files live under the data folder (shared by every worker; NFS or similar). */
export function jobDir(id: string): string {
  return `jobs/${id}`;
}
