/**
 * The HTTP API (Hono), documented in openapi.json beside this file:
 *
 *   POST   /v1/jobs                    upload a CT → 202 {id, status: 'queued'}
 *   GET    /v1/jobs                    the caller's jobs
 *   GET    /v1/jobs/:id                one job (another caller's is 404)
 *   DELETE /v1/jobs/:id                204
 *   GET    /v1/jobs/:id/files/:name    an output of a finished job
 *   GET    /v1/models  /v1/openapi.json  /healthz  /metrics
 *   GET    /*                          the browser viewer from viewer/dist, when built
 *
 * Every refusal is {"error":{"code","message"}} with the status of core/error-codes.ts; an unexpected
 * error is a 500 whose body says only that it is a bug (the stack stays in the server's log when
 * CTSCREEN_DEBUG=1). createApp takes its queue and settings, so tests drive it with app.request().
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { listModels } from '../models/list-models.ts';
import { DECISION_MODES } from '../core/report-schema.ts';
import type { DecisionMode } from '../pipeline/stages.ts';
import { CANDIDATE_GENERATORS, outputFormats, type OutputType } from '../registry.ts';
import { ApiError, errorBody } from './api-error.ts';
import { tokenOwner, type TokenEntry } from './auth.ts';
import { listFiles } from './jobs/execute.ts';
import { jobDir, JOB_STATUSES, type JobOptions, type JobQueue, type JobRecord } from './jobs/types.ts';
import type { Logger } from './log.ts';
import { ACCEPTED_TYPES, checkKind, formatMb, mediaType, saveBody, sniffUpload, UPLOAD_EXTENSIONS, zipIsEmpty } from './upload.ts';

/** The owner of every job when the server runs with --no-auth. */
export const NO_AUTH_OWNER = 'local';
export const DEFAULT_MAX_UPLOAD_MB = 1024;
/** Queued jobs beyond this are refused with 503 (the queue is a buffer, not a store). */
export const DEFAULT_MAX_QUEUED = 1000;
/** 16 random bytes, base64url: 22 characters, 128 bits. */
const JOB_ID = /^[A-Za-z0-9_-]{22}$/;

export interface AppOptions {
  queue: JobQueue;
  dataDir: string;
  /** Null: no auth (--no-auth), every job belongs to NO_AUTH_OWNER. */
  tokens: readonly TokenEntry[] | null;
  maxUploadBytes: number;
  maxQueued?: number;
  /** Folder of the built browser viewer; served at / when it exists. */
  viewerDir?: string | null;
  log: Logger;
}

/** A job as the API shows it (the contract the viewer codes against). */
export interface ApiJob {
  id: string;
  status: JobRecord['status'];
  stage: string | null;
  progress: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  inputName: string | null;
  decision: JobRecord['decision'];
  error: JobRecord['error'];
  files: string[];
}

export function newJobId(): string {
  return randomBytes(16).toString('base64url');
}

async function filesOf(dataDir: string, job: JobRecord): Promise<string[]> {
  if (job.status !== 'done' || !job.resultDir) return [];
  try {
    return await listFiles(join(dataDir, job.resultDir));
  } catch {
    return [];
  }
}

export async function toApiJob(dataDir: string, job: JobRecord): Promise<ApiJob> {
  return {
    id: job.id,
    status: job.status,
    stage: job.stage,
    progress: job.status === 'done' ? 1 : job.progress,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    inputName: job.inputName,
    decision: job.decision,
    error: job.error,
    files: await filesOf(dataDir, job),
  };
}

/** The client's file name, as a plain base name of printable characters, at most 200; null if none. */
export function cleanFileName(header: string | undefined): string | null {
  if (!header) return null;
  let name = header;
  try {
    name = decodeURIComponent(header);
  } catch {
    // not percent-encoded: taken as sent
  }
  name = name.split(/[\\/]/).pop() ?? '';
  name = name.replace(/[^\p{L}\p{N} ._()+-]/gu, '_').slice(0, 200).trim();
  return name || null;
}

const OUTPUT_TYPES = [...new Set(outputFormats.map((f) => f.outputType))].filter((t) => t !== 'json');

/** The upload's query options, each checked against the registry; throws 400/422. */
export function parseJobOptions(q: Record<string, string | undefined>): JobOptions {
  const known = new Set(['candidates', 'decision', 'outputs']);
  for (const k of Object.keys(q)) if (!known.has(k)) throw new ApiError('BAD_REQUEST', `unknown query option '${k}'; expected candidates, decision or outputs`);
  const options: JobOptions = {};
  if (q.candidates !== undefined) {
    if (!(CANDIDATE_GENERATORS as readonly string[]).includes(q.candidates)) throw new ApiError('BAD_REQUEST', `candidates='${q.candidates}' is not a candidate generator; expected ${CANDIDATE_GENERATORS.join(' or ')}`);
    options.candidates = q.candidates as JobOptions['candidates'];
  }
  if (q.decision !== undefined) {
    if (!(DECISION_MODES as readonly string[]).includes(q.decision)) throw new ApiError('BAD_REQUEST', `decision='${q.decision}' is not a decision rule; expected ${DECISION_MODES.join(' or ')}`);
    options.decision = q.decision as DecisionMode;
  }
  if (q.outputs !== undefined) {
    // output types (html, nifti, volume, dicom), or file names standing for their type
    const types = new Set<OutputType>();
    for (const item of q.outputs.split(',').map((s) => s.trim()).filter(Boolean)) {
      const f = outputFormats.find((e) => e.outputType === item || e.fileName === item || e.id === item);
      if (!f) throw new ApiError('BAD_REQUEST', `outputs: '${item}' is neither an output type (${OUTPUT_TYPES.join(', ')}) nor one of their files (${outputFormats.map((e) => e.fileName).join(', ')})`);
      if (f.outputType !== 'json') types.add(f.outputType);
    }
    options.outputs = [...types];
  }
  return options;
}

const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.html': 'text/html; charset=utf-8', '.gz': 'application/gzip', '.dcm': 'application/dicom', '.png': 'image/png' };

function contentTypeOf(name: string): string {
  const ext = Object.keys(CONTENT_TYPES).find((e) => name.endsWith(e));
  return ext ? CONTENT_TYPES[ext] : 'application/octet-stream';
}

type Env = { Variables: { owner: string } };

export function createApp(o: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const maxQueued = o.maxQueued ?? DEFAULT_MAX_QUEUED;
  const openapi = readFileSync(new URL('./openapi.json', import.meta.url), 'utf8');

  app.onError((e, c) => {
    if (e instanceof ApiError) return c.json(errorBody(e.code, e.message), e.status as 400);
    o.log('http.internal_error', { method: c.req.method, route: c.req.routePath });
    if (process.env.CTSCREEN_DEBUG) process.stderr.write(`${(e as Error).stack ?? e}\n`);
    return c.json(errorBody('INTERNAL', 'internal error (a bug in ctscreen; the operator can see more with CTSCREEN_DEBUG=1)'), 500);
  });
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route ${c.req.method} ${new URL(c.req.url).pathname}`), 404));

  app.get('/healthz', async (c) => {
    const problem = await o.queue.problem();
    return problem ? c.json({ status: 'unavailable', queue: o.queue.kind, problem }, 503) : c.json({ status: 'ok', queue: o.queue.kind });
  });
  app.get('/v1/openapi.json', (c) => c.body(openapi, 200, { 'Content-Type': 'application/json' }));

  // bearer auth for the rest of /v1 and /metrics
  const auth = async (c: Context<Env>, next: () => Promise<void>) => {
    if (o.tokens === null) {
      c.set('owner', NO_AUTH_OWNER);
      return next();
    }
    const h = c.req.header('authorization');
    if (!h) throw new ApiError('AUTH_REQUIRED', 'send a bearer token: Authorization: Bearer <token>');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    const owner = m ? tokenOwner(o.tokens, m[1]) : null;
    if (!owner) throw new ApiError('AUTH_INVALID', 'the bearer token is not valid for this server');
    c.set('owner', owner);
    return next();
  };
  app.use('/v1/*', auth);
  app.use('/metrics', auth);

  const ownJob = async (c: Context<Env>): Promise<JobRecord> => {
    const id = c.req.param('id') ?? '';
    const job = JOB_ID.test(id) ? await o.queue.get(id) : null;
    // another caller's job is indistinguishable from no job
    if (!job || job.owner !== c.get('owner')) throw new ApiError('NOT_FOUND', `no job ${JOB_ID.test(id) ? id : '(malformed id)'}`);
    return job;
  };

  app.post('/v1/jobs', async (c) => {
    const options = parseJobOptions(c.req.query());
    const declared = mediaType(c.req.header('content-type'));
    if (!declared || !(declared in ACCEPTED_TYPES)) {
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${declared ?? '(none)'} is not accepted; send one of ${Object.keys(ACCEPTED_TYPES).join(', ')}`);
    }
    const length = Number(c.req.header('content-length') ?? NaN);
    if (Number.isFinite(length) && length > o.maxUploadBytes) throw new ApiError('UPLOAD_TOO_LARGE', `the upload (${formatMb(length)}) is larger than the server's limit of ${formatMb(o.maxUploadBytes)} (--max-upload-mb)`);
    if ((await o.queue.counts()).queued >= maxQueued) throw new ApiError('QUEUE_FULL', `${maxQueued} jobs are already waiting; retry later`);

    const id = newJobId();
    const dir = join(o.dataDir, jobDir(id));
    await mkdir(join(dir, 'input'), { recursive: true });
    const part = join(dir, 'input', 'upload.part');
    const t0 = Date.now();
    try {
      const bytes = await saveBody(c.req.raw.body, part, o.maxUploadBytes);
      const kind = checkKind(await sniffUpload(part, declared), declared);
      if (options.outputs?.includes('dicom') && kind !== 'dicom' && kind !== 'dicom-zip') throw new ApiError('BAD_REQUEST', 'outputs=dicom needs a DICOM input (the SEG, SR and captures reference its study); this upload is not DICOM');
      if (kind === 'dicom-zip' && (await zipIsEmpty(part))) throw new ApiError('EMPTY_ARCHIVE', 'the zip archive has no entries; zip the DICOM series folder');
      const inputFile = join(jobDir(id), 'input', `input${UPLOAD_EXTENSIONS[kind]}`);
      await rename(part, join(o.dataDir, inputFile));
      await o.queue.submit({ id, owner: c.get('owner'), createdAt: new Date().toISOString(), inputName: cleanFileName(c.req.header('x-filename')), inputFile, inputBytes: bytes, options });
      o.log('job.created', { job: id, bytes, kind, uploadMs: Date.now() - t0 });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      if (e instanceof ApiError) o.log('upload.refused', { code: e.code, uploadMs: Date.now() - t0 });
      throw e;
    }
    return c.json({ id, status: 'queued' }, 202);
  });

  app.get('/v1/jobs', async (c) => {
    const jobs = await o.queue.list(c.get('owner'));
    return c.json({ jobs: await Promise.all(jobs.map((j) => toApiJob(o.dataDir, j))) });
  });
  app.get('/v1/jobs/:id', async (c) => c.json(await toApiJob(o.dataDir, await ownJob(c))));
  app.delete('/v1/jobs/:id', async (c) => {
    const job = await ownJob(c);
    await o.queue.remove(job.id);
    o.log('job.deleted', { job: job.id, status: job.status });
    return c.body(null, 204);
  });
  app.get('/v1/jobs/:id/files/:name{.+}', async (c) => {
    const job = await ownJob(c);
    const name = c.req.param('name');
    // only names the job wrote: a listing lookup, so no path ever reaches the file system from the URL
    const files = await filesOf(o.dataDir, job);
    if (!files.includes(name)) {
      if (job.status !== 'done') throw new ApiError('FILE_NOT_READY', `job ${job.id} is ${job.status}; its files exist once it is done`);
      throw new ApiError('NOT_FOUND', `job ${job.id} has no file '${name}'; it has ${files.join(', ')}`);
    }
    const path = join(o.dataDir, job.resultDir!, name);
    const st = await stat(path);
    return new Response(Readable.toWeb(createReadStream(path)) as unknown as ReadableStream, { status: 200, headers: { 'Content-Type': contentTypeOf(name), 'Content-Length': String(st.size), 'Cache-Control': 'private, no-store' } });
  });

  app.get('/v1/models', (c) =>
    c.json({
      models: listModels().map((m) => ({ id: m.entry.id, stage: m.entry.stage, description: m.entry.description, status: m.status, version: m.card?.version ?? null, sha256: m.card?.onnx.sha256 ?? null, problem: m.problem ?? null })),
      candidates: CANDIDATE_GENERATORS,
      decisions: DECISION_MODES,
      outputs: outputFormats.map((f) => ({ id: f.id, type: f.outputType, fileName: f.fileName, description: f.description })),
    }),
  );

  app.get('/metrics', async (c) => {
    const counts = await o.queue.counts();
    const lines = ['# HELP ctscreen_jobs Jobs by state.', '# TYPE ctscreen_jobs gauge'];
    for (const s of JOB_STATUSES) lines.push(`ctscreen_jobs{state="${s}"} ${counts[s]}`);
    lines.push('# HELP ctscreen_stage_seconds Wall time of each screening stage of finished jobs.', '# TYPE ctscreen_stage_seconds summary');
    for (const t of (await o.queue.stageTimings()).sort((a, b) => a.stage.localeCompare(b.stage))) {
      lines.push(`ctscreen_stage_seconds_sum{stage="${t.stage}"} ${(t.sumMs / 1000).toFixed(3)}`, `ctscreen_stage_seconds_count{stage="${t.stage}"} ${t.count}`);
    }
    return c.body(`${lines.join('\n')}\n`, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  if (o.viewerDir && existsSync(o.viewerDir)) {
    const files = serveStatic({ root: o.viewerDir });
    // a client-side route (no file of that name) gets the app's index.html; the API keeps its JSON 404s
    const index = serveStatic({ root: o.viewerDir, path: 'index.html' });
    const notApi = (c: Context<Env>) => !/^\/(v1|healthz|metrics)(\/|$)/.test(c.req.path);
    app.get('/*', async (c, next) => (notApi(c) ? files(c, next) : next()));
    app.get('/*', async (c, next) => (notApi(c) ? index(c, next) : next()));
  }
  return app;
}
