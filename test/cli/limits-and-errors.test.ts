import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitsFromFlags } from '../../src/cli/flags.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { ERROR_CODES, errorInfo, exitCodeOf, httpStatusOf } from '../../src/core/error-codes.ts';
import { InputError, InternalError, ModelError, ScreeningError } from '../../src/core/errors.ts';
import { MIB } from '../../src/io/limits.ts';

const FLAGS = ['--max-decompressed-mb', '--max-entries', '--max-entry-mb', '--max-voxels'];

test('every command that reads scans takes the four limit flags, with their defaults in the help', async () => {
  const program = await buildProgram({ stdout: () => {}, stderr: () => {} });
  for (const name of ['screen', 'info', 'eval', 'lungs']) {
    const cmd = program.commands.find((c) => c.name() === name)!;
    const longs = cmd.options.map((o) => o.long);
    for (const f of FLAGS) assert.ok(longs.includes(f), `${name} ${f}`);
  }
  const info = program.commands.find((c) => c.name() === 'info')!;
  const help = info.options.map((o) => o.description).join('\n');
  assert.match(help, /\(default 1024 MiB\)/);
  assert.match(help, /\(default 20000\)/);
  assert.match(help, /\(default 256 MiB\)/);
  assert.match(help, /\(default 536870912\)/);
});

test('limit flags parse into one InputLimits object (MiB → bytes) and refuse bad values', () => {
  assert.deepEqual(limitsFromFlags({}), {});
  assert.deepEqual(limitsFromFlags({ maxDecompressedMb: '2048', maxEntries: '50', maxEntryMb: '0.5', maxVoxels: '1000' }), {
    maxDecompressedBytes: 2048 * MIB,
    maxEntries: 50,
    maxEntryBytes: MIB / 2,
    maxVoxels: 1000,
  });
  assert.throws(() => limitsFromFlags({ maxEntries: '1.5' }), /--max-entries '1\.5' must be a positive whole number/);
  assert.throws(() => limitsFromFlags({ maxEntryMb: 'x' }), /--max-entry-mb 'x' must be a positive number of MiB/);
});

test('error catalogue: user mistakes exit 2 with an HTTP 4xx, bugs exit 1 / 500, whatever code they carry', () => {
  assert.deepEqual(errorInfo(new InputError('INPUT_LIMIT_VOXELS', 'x')), { exit: 2, http: 413 });
  assert.deepEqual(errorInfo(new InputError('DICOM_UNSUPPORTED_SYNTAX', 'x')), { exit: 2, http: 415 });
  assert.deepEqual(errorInfo(new InputError('DICOM_NOT_CT', 'x')), { exit: 2, http: 422 });
  assert.deepEqual(errorInfo(new InputError('SOMETHING_NEW', 'x')), { exit: 2, http: 400 });
  assert.deepEqual(errorInfo(new ScreeningError('NO_LUNGS', 'x')), { exit: 2, http: 422 });
  assert.deepEqual(errorInfo(new ModelError('MODEL_MISSING', 'x')), { exit: 2, http: 500 });
  assert.deepEqual(errorInfo(new InternalError('REPORT_INTERNAL_INVALID', 'x')), { exit: 1, http: 500 });
  assert.equal(exitCodeOf(new TypeError('boom')), 1);
  // a bug that happens to carry a user-error code is still a bug
  assert.equal(exitCodeOf(Object.assign(new Error('x'), { code: 'INPUT_LIMIT_VOXELS' })), 1);
  assert.equal(httpStatusOf(new InputError('REPORT_INTERNAL_INVALID', 'x')), 500);
  for (const [code, info] of Object.entries(ERROR_CODES)) assert.ok([1, 2].includes(info.exit) && info.http >= 400, code);
});

test('ctscreen eval passes the limit flags to its worker processes: a case over --max-voxels fails with the limit named', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { main } = await import('../../src/cli/main.ts');
  const { writeNifti } = await import('../../src/io/nifti.ts');
  const { writeStubClassifierOnnx } = await import('../pipeline/fixtures.ts');
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-eval-limits-'));
  try {
    const classifier = writeStubClassifierOnnx(dir);
    await writeNifti({ data: new Int16Array(8 * 8 * 4).fill(-1000), dims: [8, 8, 4], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], source: { format: 'synthetic', sliceCount: 4, pseudoHu: false }, warnings: [] }, join(dir, 'ct.nii.gz'));
    writeFileSync(join(dir, 'manifest.csv'), 'ct.nii.gz,covid19\n');
    let out = '';
    const code = await main(['eval', join(dir, 'manifest.csv'), '--out', join(dir, 'out'), '--classifier', classifier, '--candidates', 'classical', '--jobs', '1', '--bootstrap', '0', '--json', '--max-voxels', '100'], { stdout: (t) => (out += t), stderr: () => {} });
    assert.equal(code, 0);
    const summary = JSON.parse(out) as { cases: { id: string; status: string; error: string | null }[] };
    assert.equal(summary.cases[0].status, 'failed');
    assert.match(summary.cases[0].error ?? '', /ct\.nii\.gz: header claims 8×8×4 = 256 voxels, more than 100 \(limit --max-voxels 100\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI: a user error is one line and exit 2; a bug is exit 1 with the stack only under CTSCREEN_DEBUG=1', async () => {
  const { commands } = await import('../../src/cli/commands/index.ts');
  const { main } = await import('../../src/cli/main.ts');
  const thrown: unknown[] = [new InputError('INPUT_LIMIT_VOXELS', 'big.nii: header claims\ntoo many voxels'), new InternalError('REPORT_INTERNAL_INVALID', 'report is invalid (a bug)')];
  const register = (program: import('commander').Command) => {
    program.command('fail-test').action(() => {
      throw thrown.shift();
    });
  };
  const entry = { name: 'fail-test', load: async () => register };
  commands.push(entry);
  const saved = process.env.CTSCREEN_DEBUG;
  try {
    let err = '';
    const io = { stdout: () => {}, stderr: (t: string) => void (err += t) };
    assert.equal(await main(['fail-test'], io), 2);
    assert.equal(err, 'ctscreen: error: big.nii: header claims | too many voxels\n');
    err = '';
    delete process.env.CTSCREEN_DEBUG;
    assert.equal(await main(['fail-test'], io), 1);
    assert.equal(err, 'ctscreen: internal error (please report): report is invalid (a bug)\n');
    err = '';
    process.env.CTSCREEN_DEBUG = '1';
    thrown.push(new TypeError('boom'));
    assert.equal(await main(['fail-test'], io), 1);
    assert.match(err, /^ctscreen: internal error \(please report\): boom\nTypeError: boom\n\s+at /);
  } finally {
    commands.splice(commands.indexOf(entry), 1);
    if (saved === undefined) delete process.env.CTSCREEN_DEBUG;
    else process.env.CTSCREEN_DEBUG = saved;
  }
});
