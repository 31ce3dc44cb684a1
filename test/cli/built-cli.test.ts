// The precompiled CLI (dist/, scripts/build-cli.mjs, issue 16) must behave as the TypeScript sources do:
// the same version, the same model listing and the same report.json for a phantom (timings aside),
// with its worker bootstraps, JSON assets and models/ found from dist/. Skips when dist/ is not built
// or older than src/ (a development checkout); `npm ci` builds it, so CI runs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { distState } from '../../bin/dist-state.mjs';
import { commands } from '../../src/cli/commands/index.ts';
import { commandsFor } from '../../src/cli/main.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { writeNifti } from '../../src/io/nifti.ts';
import { normaliseReport } from '../pipeline/normalise-report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'dist', 'cli', 'run.js');
const SOURCES = join(ROOT, 'src', 'cli', 'run.ts');
const run = promisify(execFile);

/** `node dist/cli/run.js …` or the same through tsx; stdout, stderr and the exit code. */
async function cli(kind: 'built' | 'tsx', args: string[]): Promise<{ code: number; out: string; err: string }> {
  const argv = kind === 'built' ? [BUILT, ...args] : ['--import', 'tsx', SOURCES, ...args];
  try {
    const { stdout, stderr } = await run(process.execPath, argv, { cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

test('dist state: not built, fresh, then older than src/ once a source file is newer than the stamp', () => {
  const root = mkdtempSync(join(tmpdir(), 'ctscreen-dist-state-'));
  try {
    mkdirSync(join(root, 'src', 'core'), { recursive: true });
    writeFileSync(join(root, 'src', 'core', 'a.ts'), '');
    assert.equal(distState(root), 'not built');
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'BUILD_STAMP'), '');
    utimesSync(join(root, 'src', 'core', 'a.ts'), 1000, 1000);
    utimesSync(join(root, 'dist', 'BUILD_STAMP'), 2000, 2000);
    assert.equal(distState(root), 'fresh');
    utimesSync(join(root, 'src', 'core', 'a.ts'), 3000, 3000);
    assert.equal(distState(root), 'older than src/');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('commands load lazily: --version loads none, a named command only itself, help and typos all', () => {
  const names = (argv: string[]) => commandsFor(argv).map((e) => e.name);
  const all = commands.map((e) => e.name);
  assert.deepEqual(names(['--version']), []);
  assert.deepEqual(names(['-V']), []);
  assert.deepEqual(names(['screen', 'ct.nii.gz', '--json']), ['screen']);
  assert.deepEqual(names(['--help']), all);
  assert.deepEqual(names([]), all);
  assert.deepEqual(names(['scren']), all);
  assert.deepEqual(names(['help', 'screen']), all);
});

test('every lazy command entry registers exactly the command it is named after', async () => {
  for (const entry of commands) {
    const program = new Command('ctscreen');
    (await entry.load())(program, { stdout: () => {}, stderr: () => {} });
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      [entry.name],
      entry.name,
    );
  }
});

test('the built CLI prints the version and models, and screens a phantom to the same report as the sources', async (t) => {
  const state = distState(ROOT);
  if (state !== 'fresh') return t.skip(`dist/ ${state}: npm run build:cli`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const version = await cli('built', ['--version']);
  assert.deepEqual(version, { code: 0, out: `${pkg.version}\n`, err: '' });

  const [builtModels, tsxModels] = await Promise.all([cli('built', ['models', '--json']), cli('tsx', ['models', '--json'])]);
  assert.equal(builtModels.code, 0, builtModels.err);
  assert.deepEqual(JSON.parse(builtModels.out), JSON.parse(tsxModels.out));
  assert.ok((JSON.parse(builtModels.out) as { status: string }[]).every((m) => m.status === 'ready'), builtModels.out);

  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-built-cli-'));
  try {
    const ct = join(dir, 'ct.nii.gz');
    // small, so both screenings together take a few seconds; learned candidates load both ONNX models
    await writeNifti(makeChestPhantom({ seed: 3, slices: 32, size: [128, 128], lesions: 'covid' }).volume, ct);
    const built = await cli('built', ['screen', ct, '--json', '--out', join(dir, 'built')]);
    const tsx = await cli('tsx', ['screen', ct, '--json', '--out', join(dir, 'tsx')]);
    assert.equal(built.code, 0, built.err);
    assert.equal(tsx.code, 0, tsx.err);
    const reportOf = (out: string) => (JSON.parse(out) as { report: unknown }).report;
    assert.deepEqual(normaliseReport(reportOf(built.out)), normaliseReport(reportOf(tsx.out)));
    const written = JSON.parse(readFileSync(join(dir, 'built', 'report.json'), 'utf8')) as { timingsMs: Record<string, number> };
    assert.ok(Object.keys(written.timingsMs).length > 0, 'report.json written with stage timings');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('built worker bootstraps load their built module without tsx; the built DICOM decode pool decodes', async (t) => {
  const state = distState(ROOT);
  if (state !== 'fresh') return t.skip(`dist/ ${state}: npm run build:cli`);
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  const bootstraps = walk(join(ROOT, 'src')).filter((f) => f.endsWith('.mjs'));
  assert.ok(bootstraps.length >= 2, 'the worker-pool and DICOM decode bootstraps');
  for (const src of bootstraps) {
    const built = src.replace(join(ROOT, 'src'), join(ROOT, 'dist'));
    const text = readFileSync(built, 'utf8');
    assert.doesNotMatch(text, /tsx/, built);
    const target = /await import\('(\.[^']+\.js)'\)/.exec(text)?.[1];
    assert.ok(target && existsSync(join(built, '..', target)), `${built} imports ${target}`);
  }
  // a worker thread started from dist/io/dicom/decode-worker-entry.mjs: 2×2 int16 slice, HU = stored − 1024
  const { DecodePool } = await import(pathToFileURL(join(ROOT, 'dist', 'io', 'dicom', 'pool.js')).href);
  const pool = new DecodePool(1);
  try {
    const frame = new Uint8Array(new Int16Array([1024, 0, 2048, 1000]).buffer);
    const hu = await pool.decode({ file: 'synthetic', transferSyntaxUid: '1.2.840.10008.1.2.1', rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, samplesPerPixel: 1, rescaleSlope: 1, rescaleIntercept: -1024, frame, output: 'int16' });
    assert.deepEqual(Array.from(hu as Int16Array), [0, -1024, 1024, -24]);
  } finally {
    await pool.close();
  }
});
