// Shared pieces of the server tests: a stub classifier on disk (test/pipeline/fixtures.ts), small
// phantom CTs, CLI processes started on loopback and polled until they print their URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { writeStubClassifierOnnx } from '../pipeline/fixtures.ts';

export const TOKEN_A = 'alice-token-0123456789abcdef';
export const TOKEN_B = 'bob-token-0123456789abcdef00';
export const TOKENS = `alice:${TOKEN_A},bob:${TOKEN_B}`;

export interface ServerFixture {
  dir: string;
  classifier: string;
  /** A 128×128×40 COVID phantom as .nii.gz, and its voxels. */
  ctGz: string;
  ctHu: Int16Array;
}

export async function serverFixture(prefix: string): Promise<ServerFixture> {
  const dir = mkdtempSync(join(tmpdir(), `ctscreen-${prefix}-`));
  const classifier = writeStubClassifierOnnx(dir);
  const ph = makeChestPhantom({ size: [128, 128], slices: 40, seed: 3, lesions: 'covid' });
  const ctGz = join(dir, 'ct.nii.gz');
  await writeNifti(ph.volume, ctGz);
  return { dir, classifier, ctGz, ctHu: Int16Array.from(ph.volume.data as ArrayLike<number>) };
}

export function writeTokensFile(dir: string): string {
  const f = join(dir, 'tokens.txt');
  writeFileSync(f, `# name:token\nalice:${TOKEN_A}\nbob:${TOKEN_B}\n`);
  return f;
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stderr so far (the JSON log). */
  log: () => string;
  /** Resolves with the first stdout line matching `re`. */
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
  /** Resolves when the process is gone. */
  exited: Promise<void>;
}

/** `node bin/ctscreen.mjs …args` with `env` added. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['bin/ctscreen.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    log: () => err,
    exited,
    waitFor: (re, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const t0 = Date.now();
        const check = () => {
          const m = re.exec(out);
          if (m) return resolve(m);
          if (child.exitCode !== null || Date.now() - t0 > ms) return reject(new Error(`no ${re} from ctscreen ${args[0]} (exit ${child.exitCode}); stdout: ${out.slice(-500)} stderr: ${err.slice(-1500)}`));
          setTimeout(check, 50);
        };
        check();
      }),
  };
}

/** Log events of a JSON-lines log. */
export function logEvents(log: string): { event: string; job?: string; [k: string]: unknown }[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

export interface JobJson {
  id: string;
  status: string;
  stage: string | null;
  progress: number;
  decision: { label: string; displayName: string; confidence: number | null } | null;
  error: { code: string; message: string } | null;
  files: string[];
  [k: string]: unknown;
}

/** Polls GET /v1/jobs/:id until `until(job)` (default: done or failed) or `ms` pass. */
export async function pollJob(get: () => Promise<JobJson>, until: (j: JobJson) => boolean = (j) => j.status === 'done' || j.status === 'failed', ms = 90_000): Promise<JobJson> {
  const t0 = Date.now();
  for (;;) {
    const j = await get();
    if (until(j)) return j;
    if (Date.now() - t0 > ms) throw new Error(`job ${j.id} still ${j.status} (${j.stage}) after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
