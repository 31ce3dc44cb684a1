/**
 * A small pool of worker threads decoding compressed slices, so a JPEG-Lossless series uses every
 * core (the "reading must use both cores"). Jobs are plain data; results are transferred.
 * A worker takes jobs once it has loaded (it says so with a `ready` message): until then, and
 * whenever every worker holds enough jobs, the reader decodes on its own thread (`hasRoom`), so booting a
 * worker (≈ 0.25 s of loading TypeScript) never holds the read up.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CtscreenError, InputError } from '../../core/errors.ts';
import type { SliceJob } from './decode.ts';

/** More threads than this gain little: decoding a slice is ~4 ms, reading files becomes the limit. */
export const MAX_DECODE_WORKERS = 4;

/** One worker per core besides the reading thread, which decodes too. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism() - 1, MAX_DECODE_WORKERS));
}

interface Pending {
  resolve: (d: Int16Array | Float32Array) => void;
  reject: (e: Error) => void;
}

interface Reply {
  /** Sent once by a worker that has loaded its code. */
  ready?: true;
  id: number;
  data?: Int16Array | Float32Array;
  error?: { message: string; code?: string; path?: string };
}

export class DecodePool {
  private readonly workers: Worker[] = [];
  /** Loaded workers and the jobs each holds (posted, not yet answered). */
  private readonly held = new Map<Worker, number>();
  private readonly queue: Array<{ id: number; job: SliceJob }> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  /**
   * `postAhead`: jobs posted to one worker before it answers. More than one queues them in the
   * worker's own message port, so a worker that finishes a slice starts the next at once instead
   * of waiting for this thread (busy decoding a slice itself) to hand it one.
   */
  constructor(size: number, private readonly postAhead = 1) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./decode-worker-entry.mjs', import.meta.url));
      w.on('message', (m: Reply) => this.onReply(w, m));
      w.on('error', (e) => this.onCrash(w, e));
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * The loaded workers hold fewer than `depth` jobs each (running or queued). A reader that hands a
   * job over while this holds, and decodes itself otherwise, keeps every worker busy while it decodes
   * too: handing jobs over only to an idle worker left one that finished during the reader's own decode waiting
   * (P001: the worker idle 385 of 720 ms while the reading thread decoded 535 ms of slices).
   */
  hasRoom(depth: number): boolean {
    let jobs = this.queue.length;
    for (const n of this.held.values()) jobs += n;
    return !this.failure && this.held.size > 0 && jobs < this.held.size * depth;
  }

  decode(job: SliceJob): Promise<Int16Array | Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const p = new Promise<Int16Array | Float32Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, job });
    this.pump();
    return p;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      // the loaded worker holding the fewest jobs, if it has room
      let best: Worker | undefined;
      let fewest = this.postAhead;
      for (const [w, n] of this.held) {
        if (n < fewest) {
          best = w;
          fewest = n;
        }
      }
      if (!best) return;
      const msg = this.queue.shift()!;
      this.held.set(best, fewest + 1);
      best.postMessage(msg, [msg.job.frame.buffer as ArrayBuffer]);
    }
  }

  private onReply(w: Worker, m: Reply): void {
    if (m.ready) {
      this.held.set(w, 0);
      this.pump();
      return;
    }
    const n = this.held.get(w);
    if (n !== undefined) this.held.set(w, n - 1);
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (p) {
      if (m.data) p.resolve(m.data);
      else if (m.error?.code) p.reject(new InputError(m.error.code, m.error.message, { path: m.error.path }));
      else p.reject(new Error(m.error?.message ?? 'decode worker replied without data'));
    }
    this.pump();
  }

  private onCrash(w: Worker, e: Error): void {
    // a crashed worker (e.g. WASM out of memory) fails every job still waiting: no silent holes
    this.failure = e instanceof CtscreenError ? e : new Error(`DICOM decode worker failed: ${e.message}`);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.queue.length = 0;
    this.held.delete(w);
  }
}
