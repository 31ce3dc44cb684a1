/**
 * A pool of screening child processes, each loading the models once (worker-pool-child.ts), for
 * `ctscreen eval` and the server's embedded queue. Processes rather than threads: a native crash or
 * an out-of-memory kill in onnxruntime takes one case with it, not the caller.
 *
 *   const pool = await WorkerPool.start({ size, load })
 *   const r = await pool.run(task, onProgress)   // queued until a child is free; never throws for the case
 *   await pool.close()
 *
 * A child that dies mid-case answers that case with `crashed: true` and is replaced (models loaded
 * again) while the pool is open. A child that cannot load its models fails `start`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { ModelError } from '../core/errors.ts';
import type { CaseReport } from '../core/report-schema.ts';
import type { ScreeningOutputs } from '../report/write-outputs.ts';
import type { LoadScreeningModelsOptions } from './load-models.ts';
import type { ScreenProgressEvent } from './screen.ts';
import type { PoolErrorInfo, PoolReply, PoolRequest, PoolTask } from './worker-pool-protocol.ts';

export type { PoolErrorInfo, PoolTask } from './worker-pool-protocol.ts';

export interface WorkerPoolOptions {
  /** Child processes (each screens one case at a time). */
  size: number;
  /** What each child loads once; intraOpThreads defaults to 1 (one core per child). */
  load: LoadScreeningModelsOptions;
}

export type PoolResult =
  | { ok: true; ms: number; report: CaseReport; outputs: ScreeningOutputs | null; pid: number }
  | { ok: false; ms: number; error: PoolErrorInfo; crashed: boolean; pid: number };

interface Pending {
  task: PoolTask;
  onProgress?: (e: ScreenProgressEvent) => void;
  resolve: (r: PoolResult) => void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  busy: (Pending & { id: number; started: number }) | null;
  stderrTail: string;
}

const ENTRY = new URL('./worker-pool-entry.mjs', import.meta.url);

export class WorkerPool {
  readonly size: number;
  /** The generator the children use when a task does not choose, and their load-time warnings. */
  candidates = 'learned';
  warnings: string[] = [];
  private readonly load: LoadScreeningModelsOptions;
  private readonly slots = new Set<Slot>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private fatal: PoolErrorInfo | null = null;
  private onFirstReady: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private readyCount = 0;

  private constructor(options: WorkerPoolOptions) {
    this.size = Math.max(1, options.size);
    this.load = { intraOpThreads: 1, ...options.load };
  }

  /** Spawns the children and resolves once all have loaded their models; rejects (ModelError) if one cannot. */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    await new Promise<void>((resolve, reject) => {
      pool.onFirstReady = { resolve, reject };
      for (let i = 0; i < pool.size; i++) pool.spawn();
    });
    return pool;
  }

  /** Process ids of the live children (tests kill one to check crash handling). */
  pids(): number[] {
    return [...this.slots].map((s) => s.child.pid!).filter((p) => p !== undefined);
  }

  /** Children busy with a case. */
  busyCount(): number {
    return [...this.slots].filter((s) => s.busy).length;
  }

  /** Children ready and idle, minus tasks already waiting: how many more tasks would start now. */
  freeCount(): number {
    return [...this.slots].filter((s) => s.ready && !s.busy).length - this.queue.length;
  }

  run(task: PoolTask, onProgress?: (e: ScreenProgressEvent) => void): Promise<PoolResult> {
    if (this.closed) return Promise.resolve({ ok: false, ms: 0, error: { message: 'worker pool is closed', userFacing: false }, crashed: false, pid: 0 });
    return new Promise((resolve) => {
      this.queue.push({ task, onProgress, resolve });
      this.dispatch();
    });
  }

  /** Stops the children; tasks still waiting are answered as failed. Running cases are abandoned. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve({ ok: false, ms: 0, error: { message: 'worker pool closed before the case started', userFacing: false }, crashed: false, pid: 0 });
    const exits = [...this.slots].map((s) => new Promise<void>((res) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return res();
      s.child.once('exit', () => res());
      if (s.busy) s.child.kill('SIGKILL');
      else if (s.child.connected) s.child.send({ type: 'exit' } satisfies PoolRequest);
      else s.child.kill('SIGKILL');
    }));
    await Promise.all(exits);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.busy) continue;
      const p = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = { ...p, id, started: Date.now() };
      slot.child.send({ type: 'task', id, task: p.task } satisfies PoolRequest);
    }
  }

  private spawn(): void {
    const child = fork(ENTRY, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    const slot: Slot = { child, ready: false, busy: null, stderrTail: '' };
    this.slots.add(slot);
    child.stderr?.on('data', (d: Buffer) => (slot.stderrTail = (slot.stderrTail + d.toString()).slice(-2000)));
    child.on('message', (m: PoolReply) => this.onMessage(slot, m));
    child.on('exit', (code, signal) => this.onExit(slot, code, signal));
    child.send({ type: 'init', load: this.load } satisfies PoolRequest);
  }

  private onMessage(slot: Slot, m: PoolReply): void {
    if (m.type === 'ready') {
      slot.ready = true;
      this.candidates = m.candidates;
      this.warnings = m.warnings;
      if (++this.readyCount === this.size) this.settleStart();
      this.dispatch();
    } else if (m.type === 'fatal') {
      this.fatal = m.error;
      slot.child.send({ type: 'exit' } satisfies PoolRequest);
      this.settleStart();
    } else if (m.type === 'progress') {
      if (slot.busy?.id === m.id) slot.busy.onProgress?.(m.event);
    } else if (m.type === 'done' && slot.busy?.id === m.id) {
      const b = slot.busy;
      slot.busy = null;
      const pid = slot.child.pid ?? 0;
      b.resolve(m.error || !m.report ? { ok: false, ms: m.ms, error: m.error ?? { message: 'worker answered without a report', userFacing: false }, crashed: false, pid } : { ok: true, ms: m.ms, report: m.report, outputs: m.outputs ?? null, pid });
      this.dispatch();
    }
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    this.slots.delete(slot);
    if (slot.busy) {
      // a crash (native abort, out of memory, kill -9) takes the case with it, not the pool
      const b = slot.busy;
      slot.busy = null;
      const tail = slot.stderrTail.trim().split('\n').slice(-2).join(' | ');
      b.resolve({ ok: false, ms: Date.now() - b.started, error: { message: `worker process died (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}`, code: 'WORKER_DIED', userFacing: false }, crashed: true, pid: slot.child.pid ?? 0 });
    }
    if (this.onFirstReady && !slot.ready && !this.fatal) {
      this.fatal = { message: `worker process exited while loading the models (${signal ?? `exit code ${code}`}): ${slot.stderrTail.trim().split('\n').slice(-2).join(' | ')}`, userFacing: false };
      this.settleStart();
    }
    if (!this.closed && !this.fatal) this.spawn();
    else if (this.slots.size === 0) for (const p of this.queue.splice(0)) p.resolve({ ok: false, ms: 0, error: this.fatal ?? { message: 'worker pool closed', userFacing: false }, crashed: false, pid: 0 });
  }

  private settleStart(): void {
    const waiting = this.onFirstReady;
    if (!waiting) return;
    this.onFirstReady = null;
    if (this.fatal) {
      const f = this.fatal;
      void this.close();
      waiting.reject(new ModelError(f.code ?? 'WORKER_MODELS', f.message));
    } else waiting.resolve();
  }
}
