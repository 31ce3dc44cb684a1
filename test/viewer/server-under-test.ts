/**
 * The server the viewer's end-to-end test and bench talk to, chosen so the same test runs against
 * the real service once it exists:
 *
 *   CTSCREEN_E2E_URL=http://127.0.0.1:8080 CTSCREEN_E2E_TOKEN=…   an already running server
 *   CTSCREEN_E2E_SERVER=serve     spawn `node bin/ctscreen.mjs serve` (issue 13's flags) on a free
 *                                 loopback port, token via CTSCREEN_TOKENS, data in a temp folder
 *                                 (CTSCREEN_E2E_SERVE_ROOT: another checkout's bin/ctscreen.mjs)
 *   CTSCREEN_E2E_SERVER=contract  the contract server of this folder (contract-server.ts)
 *   (unset)                       'serve' when src/server/ exists, else 'contract'
 *
 * Every kind serves the built viewer (viewer/dist) at `/`; buildViewer() builds it first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startContractServer } from './contract-server.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const VIEWER_DIST = join(REPO_ROOT, 'viewer', 'dist');
/** Debian's chromium; never a downloaded browser. */
export const CHROMIUM = process.env.CTSCREEN_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** How long `ctscreen serve` gets to stop on SIGTERM before SIGKILL. */
const SERVE_STOP_MS = 10_000;

export interface ServerUnderTest {
  kind: 'external' | 'serve' | 'contract';
  url: string;
  token: string;
  close(): Promise<void>;
}

/** Builds viewer/ into viewer/dist with vite (the same as `npm run build:viewer`). */
export async function buildViewer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(REPO_ROOT, 'viewer', 'vite.config.ts'), logLevel: 'warn' });
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`ctscreen serve exited with ${child.exitCode}: ${log()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`ctscreen serve did not answer /healthz within ${timeoutMs} ms: ${log()}`);
}

export interface ServerUnderTestOptions {
  /**
   * `ctscreen serve --candidates`: the e2e test asks for classical ones, since it tests the viewer,
   * not the learned segmenter's sensitivity on synthetic lesions (segmenter v2 misses the phantom's
   * blobs; the HU-band generator finds them). The bench screens real cases as a user would (default).
   */
  candidates?: 'learned' | 'classical';
  /** Contract server only: a candidate-voxel lesions.nii.gz when the screening has no lesion mask (contract-server.ts). */
  lesionsFromCandidates?: boolean;
}

export async function startServerUnderTest(options: ServerUnderTestOptions = {}): Promise<ServerUnderTest> {
  if (process.env.CTSCREEN_E2E_URL) {
    const token = process.env.CTSCREEN_E2E_TOKEN;
    if (!token) throw new Error('CTSCREEN_E2E_URL is set but CTSCREEN_E2E_TOKEN is not');
    return { kind: 'external', url: process.env.CTSCREEN_E2E_URL.replace(/\/$/, ''), token, close: async () => {} };
  }
  const token = `e2e-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'ctscreen-viewer-e2e-'));
  const kind = process.env.CTSCREEN_E2E_SERVER ?? (existsSync(join(REPO_ROOT, 'src', 'server')) ? 'serve' : 'contract');
  if (kind === 'serve') {
    const port = await freePort();
    const root = process.env.CTSCREEN_E2E_SERVE_ROOT ?? REPO_ROOT;
    // its own process group, so closing ends the server and the worker processes it started.
    const child = spawn(process.execPath, [join(root, 'bin', 'ctscreen.mjs'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir, '--workers', '1', ...(options.candidates ? ['--candidates', options.candidates] : [])], {
      cwd: root,
      env: { ...process.env, CTSCREEN_TOKENS: `e2e:${token}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    const url = `http://127.0.0.1:${port}`;
    const close = async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), SERVE_STOP_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    };
    try {
      await waitForHealth(url, child, 60_000, () => out);
    } catch (e) {
      await close();
      throw e;
    }
    return { kind: 'serve', url, token, close };
  }
  if (kind !== 'contract') throw new Error(`CTSCREEN_E2E_SERVER must be 'serve' or 'contract', got '${kind}'`);
  const s = await startContractServer({ distDir: VIEWER_DIST, dataDir, token, lesionsFromCandidates: options.lesionsFromCandidates, candidates: options.candidates });
  return {
    kind: 'contract',
    url: s.url,
    token,
    close: async () => {
      await s.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
