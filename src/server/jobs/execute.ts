/**
 * Running one job on the worker pool, for both queues: the same files, the same progress, the same
 * result. Each attempt writes into a folder of its own, so a half-written attempt of a worker that
 * died never mixes with the finished one; the job records which folder won.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TIMING_STAGES } from '../../core/report-schema.ts';
import type { ScreenProgressEvent } from '../../pipeline/screen.ts';
import { outputFormats, type OutputType } from '../../registry.ts';
import type { PoolErrorInfo, WorkerPool } from '../../pipeline/worker-pool.ts';
import { jobDir, type JobDecision, type JobOptions } from './types.ts';

/**
 * What a server job writes when the upload names no outputs: every type, the CT copy for the viewer
 * included; DICOM objects only for DICOM inputs (they reference the source study).
 */
export function serverOutputTypes(inputFile: string): OutputType[] {
  const dicom = /\.(zip|dcm)$/i.test(inputFile);
  return outputFormats.map((f) => f.outputType).filter((t, i, all) => all.indexOf(t) === i && t !== 'json' && (t !== 'dicom' || dicom));
}

/** Every file under `dir`, as '/'-separated paths relative to it, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).split(sep).join('/'));
  }
  return out.sort();
}

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
    { path: join(o.dataDir, o.inputFile), read: { workers: 0 }, task: { candidates: o.options.candidates, decision: o.options.decision, outDir, outputTypes: o.options.outputs ?? serverOutputTypes(o.inputFile) } },
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
  return { ok: true, ms: r.ms, outcome: { resultDir, decision: { label: d.label, displayName: d.displayName, confidence: d.confidence }, files: await listFiles(outDir), timingsMs } };
}
