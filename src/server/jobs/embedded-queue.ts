/**
 * The default queue: jobs in SQLite under the data folder (store.ts), screened by this server's
 * worker pool (pipeline/worker-pool.ts; each child loads the models once). The server heartbeats its
 * holder row and its jobs' leases; a job whose worker died is queued again (attempt counter, at most
 * MAX_ATTEMPTS), and after a `kill -9` of the server the next one re-queues what was running.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerPool } from '../../pipeline/worker-pool.ts';
import type { Logger } from '../log.ts';
import { executeJob } from './execute.ts';
import { JobStore, SQLITE_FILE, type Claim } from './store.ts';
import { jobDir, type JobQueue, type JobRecord, type JobStatus, type NewJob, type StageTiming } from './types.ts';

/** A lease outlives a few missed heartbeats (heartbeat every third of it). */
export const DEFAULT_LEASE_MS = 15_000;

export interface EmbeddedQueueOptions {
  dataDir: string;
  /** Null: accept jobs but screen none (tests of the API alone). */
  pool: WorkerPool | null;
  log: Logger;
  leaseMs?: number;
}

export class EmbeddedQueue implements JobQueue {
  readonly kind = 'embedded' as const;
  readonly store: JobStore;
  private readonly holder = randomUUID();
  private readonly leaseMs: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly o: EmbeddedQueueOptions) {
    mkdirSync(o.dataDir, { recursive: true });
    this.store = new JobStore(join(o.dataDir, SQLITE_FILE));
    this.leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
    const resumed = this.store.takeOver(this.holder, this.leaseMs);
    if (resumed > 0) o.log('queue.resumed', { jobs: resumed });
    this.timers.push(setInterval(() => this.tick(), Math.max(200, Math.floor(this.leaseMs / 3))));
    for (const t of this.timers) t.unref();
    this.pump();
  }

  private tick(): void {
    if (this.closed) return;
    this.store.heartbeat(this.holder, this.leaseMs);
    const [requeued, failed] = this.store.expireLeases();
    if (requeued || failed) this.o.log('queue.leases_expired', { requeued, failed });
    this.pump();
  }

  /** Starts queued jobs while the pool has free children. */
  private pump(): void {
    const pool = this.o.pool;
    if (!pool || this.closed) return;
    while (pool.freeCount() > 0) {
      const claim = this.store.claim(this.holder, this.leaseMs);
      if (!claim) return;
      const p = this.run(pool, claim).finally(() => {
        this.running.delete(p);
        this.pump();
      });
      this.running.add(p);
    }
  }

  private async run(pool: WorkerPool, c: Claim): Promise<void> {
    const { job, attempt } = c;
    this.o.log('job.started', { job: job.id, attempt, bytes: job.inputBytes });
    const r = await executeJob({ pool, dataDir: this.o.dataDir, id: job.id, inputFile: job.inputFile, options: job.options, onProgress: (stage, progress) => this.store.progress(c, this.holder, stage, progress) });
    if (this.closed) return;
    if (r.ok) {
      if (this.store.complete(c, this.holder, r.outcome)) this.o.log('job.done', { job: job.id, attempt, ms: Math.round(r.ms) });
      else {
        // deleted or taken from us meanwhile: this attempt's files are not the job's
        await rm(join(this.o.dataDir, r.outcome.resultDir), { recursive: true, force: true });
        if (!this.store.get(job.id)) await rm(join(this.o.dataDir, jobDir(job.id)), { recursive: true, force: true });
        this.o.log('job.discarded', { job: job.id, attempt });
      }
    } else if (r.crashed) {
      const to = this.store.retry(c, this.holder, r.error.message);
      this.o.log('job.worker_died', { job: job.id, attempt, ms: Math.round(r.ms), now: to });
    } else {
      const code = r.error.code ?? 'INTERNAL';
      // a bug's message stays in the server's hands; the input's problem is told to its owner
      const message = r.error.userFacing ? r.error.message : 'internal error while screening (a bug in ctscreen; the operator can rerun with CTSCREEN_DEBUG=1)';
      this.store.fail(c, this.holder, { code: r.error.userFacing ? code : 'INTERNAL', message });
      this.o.log('job.failed', { job: job.id, attempt, ms: Math.round(r.ms), code: r.error.userFacing ? code : 'INTERNAL', http: r.error.http ?? 500 });
    }
  }

  async submit(job: NewJob): Promise<void> {
    this.store.insert(job);
    this.pump();
  }

  async get(id: string): Promise<JobRecord | null> {
    return this.store.get(id);
  }

  async list(owner: string): Promise<JobRecord[]> {
    return this.store.list(owner);
  }

  async remove(id: string): Promise<void> {
    this.store.remove(id);
    await rm(join(this.o.dataDir, jobDir(id)), { recursive: true, force: true });
  }

  async counts(): Promise<Record<JobStatus, number>> {
    return this.store.counts();
  }

  async stageTimings(): Promise<StageTiming[]> {
    return this.store.stageTimings();
  }

  async problem(): Promise<string | null> {
    if (this.o.pool && this.o.pool.pids().length === 0) return 'no worker process is running';
    return null;
  }

  /** Stops taking jobs; running ones are abandoned to the next server (their leases run out). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.o.pool?.close();
    this.store.close();
  }
}
