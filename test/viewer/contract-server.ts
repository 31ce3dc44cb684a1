/**
 * A small HTTP server implementing the /v1 contract the viewer codes against (issue 13), for the
 * viewer's end-to-end test and bench until `ctscreen serve` exists. It screens for real: uploads go to
 * disk, one job at a time runs through the project's pipeline (screenCase + writeScreeningOutputs) with
 * the committed models, and it serves viewer/dist at `/`.
 *
 * The contract also names volume.nii.gz (the CT in HU on the input grid), which `ctscreen screen`
 * does not write: it is written here from the screening's artifacts. lesions.nii.gz comes from the
 * screening itself (src/report/write-outputs.ts) when it has a lesion mask.
 *
 *   startContractServer({ distDir, dataDir, token }): Promise<{ url, close() }>
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sameGrid } from '../../src/core/volume.ts';
import { writeNifti } from '../../src/io/nifti.ts';
import { loadScreeningModels, type LoadedScreeningModels } from '../../src/pipeline/load-models.ts';
import { screenCase } from '../../src/pipeline/screen.ts';
import { TIMING_STAGES } from '../../src/core/report-schema.ts';
import { writeScreeningOutputs } from '../../src/report/write-outputs.ts';
import type { ApiJob } from '../../src/server/app.ts';

export interface ContractServerOptions {
  /** The built viewer (viewer/dist). */
  distDir: string;
  /** Where uploads and outputs go (a temporary folder). */
  dataDir: string;
  token: string;
  /**
   * Test stand-in: when the screening wrote no lesions.nii.gz (no lesion threshold in the segmenter
   * card), write the candidate voxels as one, so the viewer's lesion overlay can still be exercised.
   * Off by default; never what the service does.
   */
  lesionsFromCandidates?: boolean;
  /** Candidate generator of the screenings (default learned when its model is present), as `serve --candidates`. */
  candidates?: 'learned' | 'classical';
  /** Uploads larger than this are refused with 413 (default 2 GiB). */
  maxUploadBytes?: number;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** The job shape of the real API (src/server/app.ts), which the viewer codes against. */
type ContractJob = ApiJob;

const STATIC_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };
const UPLOAD_TYPES = new Set(['application/zip', 'application/octet-stream', 'application/gzip', 'application/x-gzip', 'image/png', 'image/jpeg', 'application/dicom']);
/** The pipeline stages a job walks through, for its progress fraction. */
const STAGES = TIMING_STAGES.filter((s) => s !== 'total');

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

export async function startContractServer(options: ContractServerOptions): Promise<RunningServer> {
  const distDir = resolve(options.distDir);
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const expected = Buffer.from(`Bearer ${options.token}`);
  const maxUpload = options.maxUploadBytes ?? 2 * 1024 ** 3;
  const jobs = new Map<string, ContractJob>();
  const queue: string[] = [];
  let models: Promise<LoadedScreeningModels> | null = null;
  let working = false;

  const authorised = (req: IncomingMessage) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  async function runNext(): Promise<void> {
    if (working) return;
    const id = queue.shift();
    if (!id) return;
    const job = jobs.get(id);
    if (!job) return void runNext();
    working = true;
    const dir = join(dataDir, id);
    const outDir = join(dir, 'out');
    try {
      job.status = 'running';
      job.startedAt = new Date().toISOString();
      job.stage = 'load-models';
      models ??= loadScreeningModels({ candidates: options.candidates });
      const loaded = await models;
      let done = 0;
      const result = await screenCase(
        { path: join(dir, 'input', job.inputName ?? 'input') },
        {
          models: loaded.models,
          candidates: loaded.candidates,
          warnings: loaded.warnings,
          onProgress: (e) => {
            if (e.phase === 'start') job.stage = e.stage;
            else job.progress = Math.min(1, ++done / STAGES.length);
          },
        },
      );
      job.stage = 'write';
      await writeScreeningOutputs({ outDir, report: result.report, artifacts: result.artifacts });
      // the screening writes lesions.nii.gz when it has a lesion mask; the CT itself only the service keeps
      const { volume, candidateLabels } = result.artifacts;
      await writeNifti(volume, join(outDir, 'volume.nii.gz'));
      if (options.lesionsFromCandidates && candidateLabels && !existsSync(join(outDir, 'lesions.nii.gz'))) {
        const lesions = new Uint8Array(candidateLabels.length);
        for (let i = 0; i < lesions.length; i++) lesions[i] = candidateLabels[i] > 0 ? 1 : 0;
        await writeNifti(sameGrid(volume, lesions), join(outDir, 'lesions.nii.gz'));
      }
      const d = result.report.decision;
      job.decision = { label: d.label, displayName: d.displayName, confidence: d.confidence };
      job.files = (await readdir(outDir)).sort();
      job.status = 'done';
      job.stage = null;
      job.progress = 1;
    } catch (e) {
      job.status = 'failed';
      job.error = { code: (e as { code?: string }).code ?? 'INTERNAL', message: (e as Error).message };
    } finally {
      job.finishedAt = new Date().toISOString();
      working = false;
      void runNext();
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!authorised(req)) return sendError(res, 401, 'UNAUTHORIZED', 'missing or wrong bearer token');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent); // ['v1', 'jobs', id?, 'files'?, name?]
    if (parts[1] !== 'jobs') return sendError(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}`);
    if (parts.length === 2 && req.method === 'GET') return sendJson(res, 200, { jobs: [...jobs.values()].reverse() });
    if (parts.length === 2 && req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (!UPLOAD_TYPES.has(type)) return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `content type '${type}' is not a CT upload type`);
      if (Number(req.headers['content-length'] ?? 0) > maxUpload) return sendError(res, 413, 'UPLOAD_TOO_LARGE', `upload is larger than ${maxUpload} bytes`);
      const id = randomBytes(12).toString('hex');
      const raw = String(req.headers['x-filename'] ?? 'upload');
      let name = basename(raw.includes('%') ? decodeURIComponent(raw) : raw).replace(/[^\w.\- ]/g, '_') || 'upload';
      if (name.startsWith('.')) name = `upload${name}`;
      const inputDir = join(dataDir, id, 'input');
      await mkdir(inputDir, { recursive: true });
      await pipeline(req, createWriteStream(join(inputDir, name)));
      const job: ContractJob = { id, status: 'queued', stage: null, progress: 0, createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, inputName: name, decision: null, error: null, files: [] };
      jobs.set(id, job);
      queue.push(id);
      sendJson(res, 202, { id, status: 'queued' });
      void runNext();
      return;
    }
    const job = jobs.get(parts[2] ?? '');
    if (!job) return sendError(res, 404, 'JOB_NOT_FOUND', 'no such job');
    if (parts.length === 3 && req.method === 'GET') return sendJson(res, 200, job);
    if (parts.length === 3 && req.method === 'DELETE') {
      jobs.delete(job.id);
      if (job.status !== 'running') await rm(join(dataDir, job.id), { recursive: true, force: true });
      res.writeHead(204).end();
      return;
    }
    if (parts.length === 5 && parts[3] === 'files' && req.method === 'GET') {
      const name = parts[4];
      if (!job.files.includes(name)) return sendError(res, 404, 'FILE_NOT_FOUND', `job has no file '${name}'`);
      const p = join(dataDir, job.id, 'out', name);
      const size = (await stat(p)).size;
      const type = name.endsWith('.json') ? 'application/json' : name.endsWith('.html') ? 'text/html; charset=utf-8' : name.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'content-length': size });
      await pipeline(createReadStream(p), res);
      return;
    }
    sendError(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}`);
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'static files are GET only');
    const rel = path === '/' ? 'index.html' : normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
    const p = resolve(distDir, rel);
    if (!p.startsWith(distDir + sep) || !existsSync(p) || !(await stat(p)).isFile()) return sendError(res, 404, 'NOT_FOUND', `no file ${path}`);
    res.writeHead(200, { 'content-type': STATIC_TYPES[extname(p)] ?? 'application/octet-stream' });
    await pipeline(createReadStream(p), res);
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = path === '/v1' || path.startsWith('/v1/') ? handleApi : handleStatic;
    handler(req, res, path).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', (e as Error).message);
      else res.destroy();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
