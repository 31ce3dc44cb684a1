// Issue 10: an anonymiser's UID (a UUID string as SeriesInstanceUID / StudyInstanceUID) must not cost
// the answer: the series is read, screened and reported with the UID carried as read and a warning.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import dicomParser from 'dicom-parser';
import { main } from '../../src/cli/main.ts';
import { EXIT_INTERNAL, exitCodeOf } from '../../src/core/error-codes.ts';
import { InternalError, isCtscreenError } from '../../src/core/errors.ts';
import { createCaseReport, describeInput, validateCaseReport } from '../../src/core/report-schema.ts';
import { readVolume } from '../../src/io/read.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { REPO_ROOT } from '../../src/models/load-model.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { models as registryModels } from '../../src/registry.ts';
import { writeStubClassifierOnnx } from '../pipeline/fixtures.ts';
import { dicomSliceBytes } from './dicom-writer.ts';
import { withTempDir } from './temp-dir.ts';

const SERIES_UUID = '09bc8aea-ff9c-4106-8514-294cbcf9a082';
const STUDY_UUID = '5d1f2c3e-7a8b-4c9d-8e0f-a1b2c3d4e5f6';
const DATA = fileURLToPath(new URL('../../../shared/data/covid-ct-md', import.meta.url));

function run(argv: string[]) {
  let out = '';
  let err = '';
  return main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }).then((code) => ({ code, out, err }));
}

test('a synthetic chest CT whose SeriesInstanceUID is a UUID is screened (exit 0), the UID carried as read with a warning', async () => {
  await withTempDir('uuid-synthetic', async (dir) => {
    const ph = makeChestPhantom({ size: [128, 128], slices: 60, seed: 3, lesions: 'covid' });
    const v = ph.volume;
    const [nx, ny, nz] = v.dims;
    const series = join(dir, 'series');
    await mkdir(series);
    for (let z = 0; z < nz; z++) {
      const stored = new Int32Array(nx * ny);
      for (let i = 0; i < nx * ny; i++) stored[i] = v.data[z * nx * ny + i] + 1024;
      const pos = [0, 1, 2].map((a) => v.originMm[a] + v.direction[3 * a + 2] * z * v.spacingMm[2]) as [number, number, number];
      const bytes = await dicomSliceBytes({
        syntax: TS.explicitLittle, rows: ny, columns: nx, stored, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, intercept: -1024, slope: 1,
        positionMm: pos, orientation: [v.direction[0], v.direction[3], v.direction[6], v.direction[1], v.direction[4], v.direction[7]],
        pixelSpacingMm: [v.spacingMm[1], v.spacingMm[0]], sliceThicknessMm: v.spacingMm[2],
        seriesUid: SERIES_UUID, sopInstanceUid: `2.25.${1000 + z}`, instanceNumber: z + 1,
      });
      await writeFile(join(series, `s${z}.dcm`), bytes);
    }
    const read = await readVolume(series, { workers: 0 });
    assert.equal(read.source.seriesInstanceUid, SERIES_UUID);
    assert.ok(read.warnings.some((w) => w.includes(`SeriesInstanceUID "${SERIES_UUID}" is not a DICOM UID`) && w.includes('UUID') && w.endsWith('carried as read')), read.warnings.join('\n'));

    const classifier = writeStubClassifierOnnx(dir);
    const r = await run(['screen', series, '--json', '--classifier', classifier, '--candidates', 'classical']);
    assert.equal(r.code, 0, r.err);
    const report = validateCaseReport(JSON.parse(r.out).report);
    assert.equal(report.input.seriesInstanceUid, SERIES_UUID);
    assert.equal(report.input.format, 'dicom');
    assert.equal(report.decision.label, 'covid19', 'the stub classifier finds the phantom lesions, as it does from NIfTI');
    assert.ok(report.warnings.some((w) => w.includes('is not a DICOM UID')));
  });
});

test('describeInput carries printable UIDs as read and leaves out what the schema cannot hold; the report stays valid', () => {
  const body = (uid: string | undefined) => ({
    input: describeInput({ dims: [4, 4, 2], spacingMm: [1, 1, 1], source: { format: 'dicom', sliceCount: 2, pseudoHu: false, seriesInstanceUid: uid, seriesDescription: 'chest\u0000 1mm\n', modality: 'CT' } }),
    classes: { labels: ['covid19', 'other_pneumonia', 'irrelevant'], infectionLabels: ['covid19', 'other_pneumonia'], irrelevantLabel: 'irrelevant' },
    models: [],
    decision: { label: 'no_infection_found', displayName: 'No infection found', mode: 'paper' as const, rule: 'no-infection' as const, confidence: null, tie: false },
    paperDecision: { label: 'no_infection_found', displayName: 'No infection found', rule: 'no-infection' as const, confidence: null, tie: false },
    infections: ['covid19', 'other_pneumonia'].map((label) => ({ label, displayName: label, regionCount: 0, noisyOr: 0, exportedConfidence: 0 })),
    regions: [],
    lung: null,
    warnings: [],
    timingsMs: {},
  });
  const cases: [string | undefined, string | undefined][] = [
    [' 1.2.840.113619.2.55.3 ', '1.2.840.113619.2.55.3'],
    [SERIES_UUID, SERIES_UUID],
    ['', undefined],
    ['9'.repeat(65), undefined],
    ['1.2\u00013', undefined],
    [undefined, undefined],
  ];
  for (const [uid, expected] of cases) {
    const report = createCaseReport(body(uid), { now: new Date(0), toolVersion: '0.0.0' });
    assert.equal(report.input.seriesInstanceUid, expected, JSON.stringify(uid));
    assert.equal(report.input.seriesDescription, 'chest? 1mm?');
  }
});

test('a report that fails its own schema is an internal error (exit 1), not the user\'s (exit 2)', () => {
  const bad = { input: { format: 'dicom', dimsVoxels: [0, 4, 2], spacingMm: [1, 1, 1], sliceCount: 2, pseudoHu: false } } as never;
  assert.throws(
    () => createCaseReport(bad, { now: new Date(0), toolVersion: '0.0.0' }),
    (e: unknown) => e instanceof InternalError && !isCtscreenError(e) && e.code === 'REPORT_INTERNAL_INVALID' && exitCodeOf(e) === EXIT_INTERNAL && /a bug in ctscreen/.test(e.message),
  );
});

/** Byte-level rewrite of UI elements of an explicit-VR little-endian file (value and its 2-byte length). */
function rewriteUids(bytes: Uint8Array, values: Record<string, string>): Uint8Array {
  const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  const edits = Object.entries(values)
    .map(([tag, value]) => ({ el: ds.elements[tag], value: value.length % 2 ? `${value}\0` : value }))
    .filter((e) => e.el !== undefined)
    .sort((a, b) => b.el.dataOffset - a.el.dataOffset);
  let out = bytes;
  for (const { el, value } of edits) {
    const v = new TextEncoder().encode(value);
    const next = new Uint8Array(out.length - el.length + v.length);
    next.set(out.subarray(0, el.dataOffset - 2));
    next[el.dataOffset - 2] = v.length & 0xff;
    next[el.dataOffset - 1] = v.length >> 8;
    next.set(v, el.dataOffset);
    next.set(out.subarray(el.dataOffset + el.length), el.dataOffset + v.length);
    out = next;
  }
  return out;
}

test('COVID-CT-MD P001, cap001 and normal001 with UUIDs as Series/StudyInstanceUID are screened (exit 0), read as with their own UIDs', async (t) => {
  if (!existsSync(DATA)) return t.skip(`${DATA} not present`);
  const classifier = registryModels.find((m) => m.stage === 'classifier');
  if (!classifier || !existsSync(`${REPO_ROOT}/${classifier.onnxPath}`)) return t.skip('trained classifier not in models/');
  await withTempDir('uuid-covid-ct-md', async (dir) => {
    for (const id of ['P001', 'cap001', 'normal001']) {
      const copy = join(dir, id);
      await mkdir(copy);
      for (const name of await readdir(join(DATA, id))) {
        const bytes = new Uint8Array(await readFile(join(DATA, id, name)));
        await writeFile(join(copy, name), rewriteUids(bytes, { x0020000e: SERIES_UUID, x0020000d: STUDY_UUID }));
      }
      // classical candidates: no segmenter run, so three whole series stay a few seconds each
      const rewritten = await run(['screen', copy, '--json', '--candidates', 'classical']);
      assert.equal(rewritten.code, 0, `${id}: ${rewritten.err}`);
      const report = validateCaseReport(JSON.parse(rewritten.out).report);
      assert.equal(report.input.seriesInstanceUid, SERIES_UUID, id);
      assert.ok(report.warnings.some((w) => w.includes(`"${SERIES_UUID}" is not a DICOM UID`)), id);
      // the answer cannot change: the volume read is the original's voxel for voxel, only the UID differs
      const [mine, theirs] = await Promise.all([readVolume(copy), readVolume(join(DATA, id))]);
      assert.deepEqual(mine.dims, theirs.dims, id);
      assert.equal(Buffer.compare(Buffer.from(mine.data.buffer), Buffer.from(theirs.data.buffer)), 0, `${id}: same voxels`);
      assert.deepEqual(mine.warnings.filter((w) => !w.includes('SeriesInstanceUID')), theirs.warnings, id);
      t.diagnostic(`${id}: ${report.decision.label} (${report.decision.confidence ?? '-'}), ${report.regions.length} regions, ${((report.timingsMs.total ?? 0) / 1000).toFixed(1)} s`);
    }
  });
});
