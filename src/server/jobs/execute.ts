/**
 * Running one job on the worker pool, for both queues: the same files, the same progress, the same
 * result. Each attempt writes into a folder of its own, so a half-written attempt of a worker that
 * died never mixes with the finished one; the job records which folder won.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TIMING_STAGES } from '../../core/report-schema.ts';
import type { ScreenProgressEvent } from '../../pipeline/screen.ts';
import type { PoolErrorInfo, WorkerPool } from '../../pipeline/worker-pool.ts';
import { jobDir, type JobDecision, type JobOptions } from './types.ts';

/** What a server job writes when the upload names no outputs: everything, the CT copy for the viewer included. */
export const SERVER_OUTPUT_FORMATS: readonly string[] = ['report-json', 'report-html', 'candidate-mask', 'lung-mask', 'ct-volume'];

const STAGES = TIMING_STAGES.filter((s) => s !== 'total');

/** Share of the screening done when `event` arrives (stages count equally; writing the files is the last tenth). */
export function stageProgress(event: ScreenProgressEvent): number {
  const i = STAGES.indexOf(event.stage);
  return Math.min(0.9, (0.9 * (i + (event.phase === 'end' ? 1 : 0))) / STAGES.length);
}

export interface JobOutcome {
  resultDir: string;
  decision: JobDecision;
  files: string[];
  timingsMs: Record<string, number>;
}

export type ExecuteResult = { ok: true; ms: number; outcome: JobOutcome } | { ok: false; ms: number; error: PoolErrorInfo; crashed: boolean };

export interface ExecuteOptions {
  pool: WorkerPool;
  dataDir: string;
  id: string;
  inputFile: string;
  options: JobOptions;
  onProgress?: (stage: string, progress: number) => void;
}

export async function executeJob(o: ExecuteOptions): Promise<ExecuteResult> {
  const resultDir = join(jobDir(o.id), `attempt-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`);
  const outDir = join(o.dataDir, resultDir);
  const r = await o.pool.run(
    { path: join(o.dataDir, o.inputFile), read: { workers: 0 }, task: { candidates: o.options.candidates, outDir, formats: o.options.outputs ?? SERVER_OUTPUT_FORMATS } },
    (e) => o.onProgress?.(e.phase === 'end' && e.stage === 'report' ? 'write' : e.stage, stageProgress(e)),
  );
  if (!r.ok) {
    await rm(outDir, { recursive: true, force: true });
    // the client sees its own input's name, not where the server keeps it
    const message = r.error.message.split(`${join(o.dataDir, jobDir(o.id))}/`).join('');
    return { ok: false, ms: r.ms, error: { ...r.error, message }, crashed: r.crashed };
  }
  const d = r.report.decision;
  const timingsMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.report.timingsMs)) if (typeof v === 'number') timingsMs[k] = v;
  return { ok: true, ms: r.ms, outcome: { resultDir, decision: { label: d.label, displayName: d.displayName, confidence: d.confidence }, files: (await readdir(outDir)).sort(), timingsMs } };
}
