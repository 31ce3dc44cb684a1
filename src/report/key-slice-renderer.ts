/**
 * The report's key-slice pictures (key-slices.ts renderKeySlice) drawn on a worker thread, so that a
 * screening's last steps (lung quantification, the report, validation, the NIfTI masks) run on the
 * main thread meanwhile instead of before or after ~100–140 ms of PNG work (issue 16: the second
 * core idles through the end of a screening).
 *
 *   bootKeySliceRenderer(): void                                       starts the thread (idempotent), e.g. while the lungs are found
 *   renderKeySlicesOffThread(options, slices): Promise<KeySliceFigure[]>  the figures renderKeySlice gives, in `slices` order
 *   keySliceRendererCounts(): { offThread, inline }                     jobs each way so far (tests)
 *
 * Only the key slices' planes cross to the thread (a few 512² planes, not the volume); the thread
 * renders with the same function on volumes holding just those planes, so the PNG bytes are the
 * inline ones. Anything going wrong on the thread (it failed to start, crashed, threw) renders the
 * figures inline instead: the pictures never depend on the thread. The thread never keeps the
 * process alive on its own (referenced only while a job is pending).
 */
import { Worker } from 'node:worker_threads';
import type { Volume } from '../core/volume.ts';
import { displayCrop, renderKeySlice, type KeySliceFigure, type KeySliceOptions } from './key-slices.ts';

/** What the thread is asked to render (planes in `slices` order). */
export interface KeySliceJob {
  id: number;
  geometry: Pick<Volume, 'dims' | 'spacingMm' | 'originMm' | 'direction'>;
  dataType: 'Int16Array' | 'Float32Array' | 'Uint8Array';
  slices: number[];
  hu: (Int16Array | Float32Array | Uint8Array)[];
  lung: Uint8Array[] | null;
  labels: Uint32Array[] | null;
  regions: KeySliceOptions['regions'];
  classes: KeySliceOptions['classes'];
  crop: { x0: number; y0: number; x1: number; y1: number };
}

export type WireFigure = Omit<KeySliceFigure, 'png'> & { png: Uint8Array };
export type KeySliceReply = { id: number; figures: WireFigure[]; error?: undefined } | { id: number; figures?: undefined; error: string };

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (f: WireFigure[]) => void; reject: (e: Error) => void }>;
}

let thread: Thread | null = null;
let nextId = 0;
/** Jobs rendered by the thread and inline (after a failure, or with no thread), for tests and diagnostics. */
const counts = { offThread: 0, inline: 0 };

export function keySliceRendererCounts(): { offThread: number; inline: number } {
  return { ...counts };
}

function dropThread(t: Thread, e: Error): void {
  if (thread === t) thread = null;
  for (const p of t.pending.values()) p.reject(e);
  t.pending.clear();
}

/** The thread, started on first use; null when it cannot be started here. */
function getThread(): Thread | null {
  if (thread) return thread;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./key-slice-worker-entry.mjs', import.meta.url));
  } catch {
    return null;
  }
  const t: Thread = { worker, pending: new Map() };
  worker.unref();
  worker.on('message', (m: KeySliceReply) => {
    const p = t.pending.get(m.id);
    t.pending.delete(m.id);
    if (t.pending.size === 0) worker.unref();
    if (!p) return;
    if (m.figures) p.resolve(m.figures);
    else p.reject(new Error(m.error));
  });
  worker.on('error', (e) => dropThread(t, e));
  worker.on('exit', (code) => dropThread(t, new Error(`key-slice worker exited (code ${code})`)));
  thread = t;
  return t;
}

/** Starts the rendering thread now (it loads while other work runs), if it is not running yet. */
export function bootKeySliceRenderer(): void {
  getThread();
}

function inline(options: KeySliceOptions, slices: readonly number[]): KeySliceFigure[] {
  counts.inline++;
  const crop = displayCrop(options.volume, options.lungMask);
  return slices.map((z) => renderKeySlice(options, z, crop));
}

/**
 * renderKeySlice(options, z, displayCrop(…)) for each of `slices`, on the worker thread. The planes
 * are copied now (the inline fallback reads the caller's arrays when it runs).
 */
export function renderKeySlicesOffThread(options: KeySliceOptions, slices: readonly number[]): Promise<KeySliceFigure[]> {
  const t = getThread();
  const { volume, lungMask, candidateLabels } = options;
  if (!t || slices.length === 0) return Promise.resolve().then(() => inline(options, slices));
  const [nx, ny] = volume.dims;
  const plane = nx * ny;
  const planeOf = <T extends Int16Array | Float32Array | Uint8Array | Uint32Array>(a: T, z: number): T => a.slice(plane * z, plane * (z + 1)) as T;
  const zs = [...slices];
  const hu = zs.map((z) => planeOf(volume.data, z));
  const lung = lungMask ? zs.map((z) => planeOf(lungMask, z)) : null;
  const labels = candidateLabels ? zs.map((z) => planeOf(candidateLabels, z)) : null;
  const job: KeySliceJob = {
    id: nextId++,
    geometry: { dims: volume.dims, spacingMm: volume.spacingMm, originMm: volume.originMm, direction: volume.direction },
    dataType: volume.data.constructor.name as KeySliceJob['dataType'],
    slices: zs,
    hu,
    lung,
    labels,
    regions: options.regions.map((r) => ({ ...r })),
    classes: { labels: [...options.classes.labels], infectionLabels: [...options.classes.infectionLabels] },
    crop: displayCrop(volume, lungMask),
  };
  const transfer = [...hu, ...(lung ?? []), ...(labels ?? [])].map((a) => a.buffer as ArrayBuffer);
  const done = new Promise<WireFigure[]>((resolve, reject) => t.pending.set(job.id, { resolve, reject }));
  try {
    t.worker.ref();
    t.worker.postMessage(job, transfer);
  } catch (e) {
    t.pending.delete(job.id);
    if (t.pending.size === 0) t.worker.unref();
    return Promise.resolve().then(() => inline(options, slices));
  }
  return done.then(
    (figures) => {
      counts.offThread++;
      return figures.map((f) => ({ ...f, png: Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength) }));
    },
    // the thread is an optimisation: its failure costs time, never the pictures
    () => inline(options, slices),
  );
}
