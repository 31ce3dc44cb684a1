/**
 * Starting the service: checks the settings (tokens, loopback for --no-auth), opens the queue
 * (embedded SQLite, or BullMQ with --queue redis://…), starts the worker pool and listens.
 *
 *   startServer(options): Promise<RunningServer>
 *   startWorker(options): Promise<RunningWorker>   (`ctscreen worker`: BullMQ only)
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { InputError } from '../core/errors.ts';
import { REPO_ROOT } from '../models/load-model.ts';
import type { LoadScreeningModelsOptions } from '../pipeline/load-models.ts';
import { WorkerPool } from '../pipeline/worker-pool.ts';
import { createApp, DEFAULT_MAX_QUEUED } from './app.ts';
import type { TokenEntry } from './auth.ts';
import { DEFAULT_LEASE_MS, EmbeddedQueue } from './jobs/embedded-queue.ts';
import { DEFAULT_LOCK_MS, RedisQueue, startRedisWorker, untilReady } from './jobs/redis-queue.ts';
import type { JobQueue } from './jobs/types.ts';
import type { Logger } from './log.ts';

/** Worker processes by default: one per core, at most 2 (each holds the models, ~0.5 GB). */
export const DEFAULT_WORKERS = Math.max(1, Math.min(2, cpus().length));
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** The built browser viewer, served at / when present. */
export const VIEWER_DIST = resolve(REPO_ROOT, 'viewer/dist');

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Lease / lock length: CTSCREEN_LEASE_MS (tests shorten it), else the queue's default. */
export function leaseMsFromEnv(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const v = env.CTSCREEN_LEASE_MS;
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 500) throw new InputError('CTSCREEN_LEASE_MS', `CTSCREEN_LEASE_MS '${v}' must be a whole number of milliseconds ≥ 500`);
  return Number(v);
}

export interface ServerOptions {
  host: string;
  port: number;
  dataDir: string;
  workers: number;
  /** redis://HOST:PORT for BullMQ; undefined = embedded SQLite queue. */
  queueUrl?: string;
  /** Null = --no-auth. */
  tokens: readonly TokenEntry[] | null;
  maxUploadMb: number;
  maxQueued?: number;
  load: LoadScreeningModelsOptions;
  log: Logger;
  viewerDir?: string | null;
}

export interface RunningServer {
  url: string;
  queue: JobQueue;
  pool: WorkerPool | null;
  close(): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  if (o.tokens !== null && o.tokens.length === 0) {
    throw new InputError('AUTH_TOKENS', 'no API tokens: set CTSCREEN_TOKENS=name:token[,name:token…] or give --tokens-file, or run with --no-auth (loopback only)');
  }
  if (o.tokens === null && !isLoopback(o.host)) throw new InputError('AUTH_TOKENS', `--no-auth serves only on loopback; --host ${o.host} needs tokens (CTSCREEN_TOKENS or --tokens-file)`);
  const dataDir = resolve(o.dataDir);
  const pool = o.workers > 0 ? await WorkerPool.start({ size: o.workers, load: o.load }) : null;
  let queue: JobQueue;
  let stopWorker: (() => Promise<void>) | null = null;
  try {
    if (o.queueUrl) {
      const rq = new RedisQueue({ url: o.queueUrl, dataDir, log: o.log });
      try {
        await rq.waitReady();
      } catch (e) {
        await rq.close().catch(() => {});
        throw e;
      }
      queue = rq;
      if (pool) {
        const w = startRedisWorker({ url: o.queueUrl, dataDir, pool, log: o.log, lockMs: leaseMsFromEnv(DEFAULT_LOCK_MS) });
        stopWorker = () => w.close(true);
      }
    } else {
      queue = new EmbeddedQueue({ dataDir, pool, log: o.log, leaseMs: leaseMsFromEnv(DEFAULT_LEASE_MS) });
    }
  } catch (e) {
    await pool?.close();
    if (e instanceof Error && /another ctscreen server/.test(e.message)) throw new InputError('DATA_DIR_IN_USE', `--data ${dataDir}: ${e.message}`);
    throw e;
  }
  const app = createApp({ queue, dataDir, tokens: o.tokens, maxUploadBytes: o.maxUploadMb * 1024 * 1024, maxQueued: o.maxQueued ?? DEFAULT_MAX_QUEUED, viewerDir: o.viewerDir === undefined ? VIEWER_DIST : o.viewerDir, log: o.log });
  const server: ServerType = await new Promise((res, rej) => {
    const s = serve({ fetch: app.fetch, hostname: o.host, port: o.port }, () => res(s));
    s.once('error', (e: NodeJS.ErrnoException) => rej(new InputError('SERVER_LISTEN', `cannot listen on ${o.host}:${o.port} (${e.code ?? e.message})`, { cause: e })));
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  o.log('server.listening', { port: addr.port, queue: queue.kind, workers: o.workers });
  return {
    url,
    queue,
    pool,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await stopWorker?.();
      await queue.close();
      await pool?.close();
    },
  };
}

export interface WorkerOptions {
  queueUrl: string;
  dataDir: string;
  workers: number;
  load: LoadScreeningModelsOptions;
  log: Logger;
}

export interface RunningWorker {
  close(): Promise<void>;
}

/** `ctscreen worker`: BullMQ jobs screened on this machine's pool, files in the shared data folder. */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const pool = await WorkerPool.start({ size: o.workers, load: o.load });
  const w = startRedisWorker({ url: o.queueUrl, dataDir: resolve(o.dataDir), pool, log: o.log, lockMs: leaseMsFromEnv(DEFAULT_LOCK_MS) });
  try {
    await untilReady(w.waitUntilReady(), o.queueUrl);
  } catch (e) {
    await w.close(true).catch(() => {});
    await pool.close();
    throw e;
  }
  o.log('worker.ready', { workers: o.workers });
  return {
    async close() {
      await w.close(true);
      await pool.close();
    },
  };
}
