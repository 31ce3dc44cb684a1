import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { validateCaseReport } from '../../src/core/report-schema.ts';
import type { Volume } from '../../src/core/volume.ts';
import { readNifti, writeNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { writeStubClassifierOnnx } from './fixtures.ts';

function run(argv: string[]) {
  let out = '';
  let err = '';
  return main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }).then((code) => ({ code, out, err }));
}

const dir = mkdtempSync(join(tmpdir(), 'ctscreen-screen-cmd-'));
const classifier = writeStubClassifierOnnx(dir);
const ph = makeChestPhantom({ size: [128, 128], slices: 60, seed: 3, lesions: 'covid' });
const ct = join(dir, 'phantom.nii.gz');
await writeNifti(ph.volume, ct);

test('ctscreen screen writes a valid report.json, a self-contained report.html and masks on the input grid', async () => {
  const out = join(dir, 'out');
  const r = await run(['screen', ct, '--out', out, '--classifier', classifier, '--candidates', 'classical']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Result: covid19 \(confidence /);
  assert.match(r.out, new RegExp(`Report: ${join(out, 'report.html').replace(/[/.]/g, '\\$&')}`));
  const report = validateCaseReport(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
  assert.equal(report.input.format, 'nifti');
  // read while the models loaded: its time is still the report's, and inside the total
  assert.ok(report.timingsMs.read! > 0 && report.timingsMs.read! < report.timingsMs.total!, JSON.stringify(report.timingsMs));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /data:image\/png;base64,/);
  assert.ok(html.includes(report.notice));
  const mask = await readNifti(join(out, 'candidates.nii.gz'));
  assert.deepEqual(mask.dims, ph.volume.dims);
  for (let a = 0; a < 3; a++) assert.ok(Math.abs(mask.originMm[a] - ph.volume.originMm[a]) < 1e-3);
  // one label value per region, as many voxels as the region's volume says
  const voxelMl = mask.spacingMm.reduce((a, b) => a * b, 1) / 1000;
  const values = new Set(Array.from(mask.data).filter((v) => v !== 0));
  assert.equal(values.size, report.regions.length);
  const count1 = Array.from(mask.data).filter((v) => v === 1).length;
  assert.ok(report.regions.some((g) => Math.abs(g.volumeMl! - count1 * voxelMl) < 1e-6));
  assert.ok(existsSync(join(out, 'lungs.nii.gz')));
});

test('ctscreen screen --json prints only JSON: the report and where the files are', async () => {
  const r = await run(['screen', ct, '--json', '--classifier', classifier, '--candidates', 'classical']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { outputs: unknown; report: unknown };
  assert.equal(j.outputs, null);
  validateCaseReport(j.report);
});

test('bad input to screen: one clear line and exit code 2, never a stack trace', async () => {
  const garbage = join(dir, 'garbage.nii.gz');
  writeFileSync(garbage, 'not a nifti file at all');
  const cases: [string[], RegExp][] = [
    [['screen', join(dir, 'nope'), '--classifier', classifier], /no such file or folder/],
    [['screen', garbage, '--classifier', classifier, '--candidates', 'classical'], /garbage\.nii\.gz/],
    [['screen', ct, '--classifier', classifier, '--candidates', 'magic'], /--candidates 'magic' is not a candidate generator; expected one of learned, classical/],
    [['screen', ct, '--classifier', classifier, '--max-candidates', '0'], /--max-candidates '0' must be a positive integer/],
    [['screen', ct, '--classifier', join(dir, 'absent.onnx')], /screening needs the patch classifier .*absent/],
    // the input is read while the models load; a model that cannot load is still the error told
    [['screen', join(dir, 'nope'), '--classifier', join(dir, 'absent.onnx')], /screening needs the patch classifier .*absent/],
    [['screen', ct, '--classifier', classifier, '--candidates', 'learned', '--segmenter', join(dir, 'absent-seg.onnx')], /absent-seg/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, /^ctscreen: error: /);
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('a scan without lungs gives a report that says nothing was screened (exit 0)', async () => {
  const water: Volume = { ...ph.volume, data: new Int16Array(ph.volume.data.length) };
  const p = join(dir, 'water.nii.gz');
  await writeNifti(water, p);
  const r = await run(['screen', p, '--json', '--classifier', classifier, '--candidates', 'classical']);
  assert.equal(r.code, 0, r.err);
  const report = validateCaseReport((JSON.parse(r.out) as { report: unknown }).report);
  assert.equal(report.decision.label, 'not_screened');
  assert.equal(report.decision.displayName, 'Not screened');
  assert.ok(report.warnings.some((w) => w.startsWith('NOT SCREENED')));
});
