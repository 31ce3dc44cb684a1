/**
 * Scale-out: the same jobs on BullMQ (Redis). The server only enqueues and reads; `ctscreen worker`
 * processes on any number of machines take jobs (startRedisWorker), screen them on their own worker
 * pool and write into the shared data folder (NFS or similar), exactly as the embedded queue does.
 *
 * BullMQ gives the guarantees the embedded store gives itself: a job is held under a lock the worker
 * renews; a worker killed mid-job stops renewing, the stalled check puts the job back to wait and
 * another worker runs it; a worker that lost its lock cannot complete the job. The job records its
 * finished attempt's folder, so a lost attempt's files never mix in.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Job, Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { InputError } from '../../core/errors.ts';
import type { WorkerPool } from '../../pipeline/worker-pool.ts';
import { ApiError } from '../api-error.ts';
import type { Logger } from '../log.ts';
import { executeJob, type JobOutcome } from './execute.ts';
import { MAX_ATTEMPTS } from './store.ts';
import { jobDir, JOB_STATUSES, type JobError, type JobOptions, type JobQueue, type JobRecord, type JobStatus, type NewJob, type StageTiming } from './types.ts';

export const QUEUE_NAME = 'ctscreen-jobs';
/** BullMQ's lock (our lease): a worker killed mid-job is noticed after about this long. */
export const DEFAULT_LOCK_MS = 30_000;
/** How long serve and worker wait for Redis at start before giving up. */
export const REDIS_CONNECT_MS = 10_000;
/** An API call whose Redis operation takes longer than this answers 503. */
export const REDIS_OP_MS = 3_000;

/** Waits for `ready`; an InputError naming the queue URL when Redis has not answered in `ms`. */
export async function untilReady(ready: Promise<unknown>, url: string, ms = REDIS_CONNECT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InputError('QUEUE_UNAVAILABLE', `--queue ${url}: Redis did not answer within ${ms / 1000} s; is redis-server running and reachable?`)), ms);
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface JobData extends Omit<NewJob, 'id'> {
  deleted?: boolean;
}

/** redis://[:password@]host:port[/db] → connection options. */
export function redisConnection(url: string, extra: Record<string, unknown> = {}): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError('QUEUE_URL', `--queue '${url}' is not a URL; expected redis://HOST:PORT`);
  }
  if (u.protocol !== 'redis:') throw new InputError('QUEUE_URL', `--queue '${url}': only redis://HOST:PORT queues are supported`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return { host: u.hostname, port: Number(u.port || 6379), password: u.password ? decodeURIComponent(u.password) : undefined, username: u.username || undefined, db, ...extra } as ConnectionOptions;
}

function statusOf(state: string): JobStatus {
  if (state === 'active') return 'running';
  if (state === 'completed') return 'done';
  if (state === 'failed') return 'failed';
  return 'queued';
}

function parseError(reason: string | undefined): JobError {
  if (!reason) return { code: 'INTERNAL', message: 'the job failed without a reason' };
  try {
    const e = JSON.parse(reason) as JobError;
    if (typeof e.code === 'string' && typeof e.message === 'string') return e;
  } catch {
    // not ours: BullMQ's own reason (stalled too often, worker died)
  }
  return { code: 'WORKER_LOST', message: `the job's worker was lost: ${reason}` };
}

async function toRecord(job: Job<JobData, JobOutcome>): Promise<JobRecord> {
  const status = statusOf(await job.getState());
  const p = (typeof job.progress === 'object' ? job.progress : {}) as { stage?: string; progress?: number };
  const out = status === 'done' ? job.returnvalue : null;
  return {
    id: job.id!,
    owner: job.data.owner,
    createdAt: job.data.createdAt,
    inputName: job.data.inputName,
    inputFile: job.data.inputFile,
    inputBytes: job.data.inputBytes,
    options: job.data.options,
    status,
    stage: status === 'running' ? (p.stage ?? null) : null,
    progress: status === 'done' ? 1 : status === 'running' ? (p.progress ?? 0) : 0,
    startedAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
    finishedAt: job.finishedOn && (status === 'done' || status === 'failed') ? new Date(job.finishedOn).toISOString() : null,
    decision: out?.decision ?? null,
    error: status === 'failed' ? parseError(job.failedReason) : null,
    resultDir: out?.resultDir ?? null,
    attempts: job.attemptsMade,
    timingsMs: out?.timingsMs ?? null,
  };
}

const ALL_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;

export class RedisQueue implements JobQueue {
  readonly kind = 'redis' as const;
  private readonly queue: Queue<JobData, JobOutcome>;

  constructor(private readonly o: { url: string; dataDir: string; log: Logger }) {
    // fail fast while Redis is away, so the API answers 503 instead of hanging
    this.queue = new Queue(QUEUE_NAME, { connection: redisConnection(o.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) });
    this.queue.on('error', () => {});
  }

  /** Runs a Redis operation; a failure or no answer within REDIS_OP_MS is the client's 503, not a hang. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([fn(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Redis did not answer')), REDIS_OP_MS)))]);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      this.o.log('queue.redis_error', {});
      throw new ApiError('QUEUE_UNAVAILABLE', 'the job queue (Redis) cannot be reached; retry later');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once Redis answers; an InputError naming the URL after `ms` (a wrong --queue fails fast). */
  async waitReady(ms = REDIS_CONNECT_MS): Promise<void> {
    await untilReady(this.queue.waitUntilReady(), this.o.url, ms);
  }

  async submit(job: NewJob): Promise<void> {
    const { id, ...data } = job;
    await this.guard(() => this.queue.add('screen', data, { jobId: id, attempts: MAX_ATTEMPTS, backoff: { type: 'fixed', delay: 1000 } }));
  }

  private async fetch(id: string): Promise<Job<JobData, JobOutcome> | null> {
    const job = await this.guard(() => Job.fromId<JobData, JobOutcome>(this.queue, id));
    if (!job) return null;
    if (job.data.deleted) {
      // deleted while it ran: gone for the API; removed for good once it has finished
      const state = await this.guard(() => job.getState());
      if (state === 'completed' || state === 'failed') await this.purge(job);
      return null;
    }
    return job;
  }

  private async purge(job: Job<JobData, JobOutcome>): Promise<void> {
    await this.guard(() => job.remove());
    await rm(join(this.o.dataDir, jobDir(job.id!)), { recursive: true, force: true });
  }

  async get(id: string): Promise<JobRecord | null> {
    const job = await this.fetch(id);
    return job ? this.guard(() => toRecord(job)) : null;
  }

  async list(owner: string): Promise<JobRecord[]> {
    const jobs = await this.guard(() => this.queue.getJobs([...ALL_STATES], 0, -1, true));
    const mine = (jobs as Job<JobData, JobOutcome>[]).filter((j) => j && j.data.owner === owner && !j.data.deleted);
    const records = await this.guard(() => Promise.all(mine.map(toRecord)));
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async remove(id: string): Promise<void> {
    const job = await this.fetch(id);
    if (!job) return;
    if ((await this.guard(() => job.getState())) === 'active') await this.guard(() => job.updateData({ ...job.data, deleted: true }));
    else await this.purge(job);
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const c = await this.guard(() => this.queue.getJobCounts(...ALL_STATES));
    const out = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const [state, n] of Object.entries(c)) out[statusOf(state)] += n;
    return out;
  }

  async stageTimings(): Promise<StageTiming[]> {
    const jobs = (await this.guard(() => this.queue.getJobs(['completed'], 0, -1))) as Job<JobData, JobOutcome>[];
    const sums = new Map<string, StageTiming>();
    for (const j of jobs) {
      for (const [stage, ms] of Object.entries(j?.returnvalue?.timingsMs ?? {})) {
        const s = sums.get(stage) ?? { stage, sumMs: 0, count: 0 };
        s.sumMs += ms;
        s.count++;
        sums.set(stage, s);
      }
    }
    return [...sums.values()];
  }

  async problem(): Promise<string | null> {
    try {
      await this.guard(() => this.queue.getJobCounts('active'));
      return null;
    } catch {
      return 'the job queue (Redis) cannot be reached';
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface RedisWorkerOptions {
  url: string;
  dataDir: string;
  pool: WorkerPool;
  log: Logger;
  lockMs?: number;
}

/**
 * Takes jobs from the queue and screens them on `pool` (as many at once as it has children). A user
 * error fails the job for good; a dead child throws, so BullMQ runs the job again (attempts).
 */
export function startRedisWorker(o: RedisWorkerOptions): Worker<JobData, JobOutcome> {
  const lockMs = o.lockMs ?? DEFAULT_LOCK_MS;
  const worker = new Worker<JobData, JobOutcome>(
    QUEUE_NAME,
    async (job) => {
      const id = job.id!;
      o.log('job.started', { job: id, attempt: job.attemptsMade + 1, bytes: job.data.inputBytes });
      const r = await executeJob({
        pool: o.pool,
        dataDir: o.dataDir,
        id,
        inputFile: job.data.inputFile,
        options: job.data.options as JobOptions,
        onProgress: (stage, progress) => void job.updateProgress({ stage, progress }).catch(() => {}),
      });
      if (r.ok) {
        const fresh = await Job.fromId<JobData>(worker as unknown as Queue, id);
        if (!fresh || fresh.data.deleted) {
          await rm(join(o.dataDir, jobDir(id)), { recursive: true, force: true });
          o.log('job.discarded', { job: id });
        } else o.log('job.done', { job: id, ms: Math.round(r.ms) });
        return r.outcome;
      }
      if (r.crashed) {
        o.log('job.worker_died', { job: id, ms: Math.round(r.ms) });
        throw new Error(r.error.message);
      }
      const code = r.error.userFacing ? (r.error.code ?? 'INTERNAL') : 'INTERNAL';
      o.log('job.failed', { job: id, ms: Math.round(r.ms), code, http: r.error.http ?? 500 });
      const message = r.error.userFacing ? r.error.message : 'internal error while screening (a bug in ctscreen; the operator can rerun with CTSCREEN_DEBUG=1)';
      throw new UnrecoverableError(JSON.stringify({ code, message }));
    },
    { connection: redisConnection(o.url, { maxRetriesPerRequest: null }), concurrency: o.pool.size, lockDuration: lockMs, stalledInterval: Math.max(1000, Math.floor(lockMs / 2)), maxStalledCount: MAX_ATTEMPTS - 1 },
  );
  worker.on('error', () => o.log('worker.redis_error', {}));
  return worker;
}
