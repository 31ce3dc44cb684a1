// Issue 10, the audit of every value the report schema constrains that comes from the input: each
// quirk is either carried into a valid report or refused at read with an InputError naming it —
// never a report that fails its own schema.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.ts';
import { createCaseReport, describeInput } from '../../src/core/report-schema.ts';
import type { Volume } from '../../src/core/volume.ts';
import { checkVolume } from '../../src/io/check-volume.ts';
import { decodeSliceToHu, MAX_FLOAT_HU } from '../../src/io/dicom/decode.ts';
import { decodeNifti, encodeNifti } from '../../src/io/nifti.ts';
import { readVolume } from '../../src/io/read.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { screenCase } from '../../src/pipeline/screen.ts';
import { stubClassifier } from '../pipeline/fixtures.ts';
import { writeSeries } from './dicom-writer.ts';
import { withTempDir } from './temp-dir.ts';

const isInputError = (code: string, message: RegExp) => (e: unknown) => e instanceof InputError && e.code === code && message.test(e.message);

test('DICOM geometry a volume cannot have is refused at read, naming the field and file', async () => {
  await withTempDir('audit-dicom', async (dir) => {
    await writeSeries({ dir: join(dir, 'zero-spacing'), syntax: TS.explicitLittle, nz: 3, spacingMm: [0, 0, 2.5] });
    await assert.rejects(readVolume(join(dir, 'zero-spacing'), { workers: 0 }), isInputError('DICOM_NO_USABLE_SERIES', /no CT series that can be screened; found CT ×3 \(PixelSpacing 0\\0 is not positive in img_1\.dcm\)/));
    await writeSeries({ dir: join(dir, 'zero-iop'), syntax: TS.explicitLittle, nz: 3, orientation: [0, 0, 0, 0, 0, 0] });
    await assert.rejects(readVolume(join(dir, 'zero-iop'), { workers: 0 }), isInputError('DICOM_NO_USABLE_SERIES', /ImageOrientationPatient 0\\0\\0\\0\\0\\0 is not two perpendicular unit vectors/));
    await writeSeries({ dir: join(dir, 'parallel-iop'), syntax: TS.explicitLittle, nz: 3, orientation: [1, 0, 0, 1, 0, 0] });
    await assert.rejects(readVolume(join(dir, 'parallel-iop'), { workers: 0 }), isInputError('DICOM_NO_USABLE_SERIES', /is not two perpendicular unit vectors/));
    // slightly off unit length (written to 3 decimals): read, with exact unit directions
    await writeSeries({ dir: join(dir, 'rounded-iop'), syntax: TS.explicitLittle, nz: 3, orientation: [0.707, 0.707, 0, -0.707, 0.707, 0] });
    const v = await readVolume(join(dir, 'rounded-iop'), { workers: 0 });
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(Math.hypot(v.direction[j], v.direction[3 + j], v.direction[6 + j]) - 1) < 1e-12);
  });
});

test('an absurd RescaleSlope cannot put Infinity into a Float32 volume', async () => {
  const out = await decodeSliceToHu({
    file: 'x', transferSyntaxUid: TS.explicitLittle, rows: 1, columns: 2, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, samplesPerPixel: 1,
    rescaleSlope: 1e308, rescaleIntercept: 0.5, frame: new Uint8Array([2, 0, 0, 0]), output: 'float32',
  });
  assert.deepEqual(Array.from(out), [MAX_FLOAT_HU, 0.5]);
});

test('NIfTI: NaN and infinite voxels become air with a warning; the volume then screens into a valid report', () => {
  const data = new Float32Array([-1000, NaN, 40, Infinity, -Infinity, 0, 100, -500]);
  const vol: Volume = { data, dims: [2, 2, 2], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], source: { format: 'synthetic', sliceCount: 2, pseudoHu: false }, warnings: [] };
  const back = decodeNifti(encodeNifti(vol, { gzip: false }));
  assert.deepEqual(Array.from(back.data), [-1000, -1000, 40, -1000, -1000, 0, 100, -500]);
  assert.match(back.warnings.join('\n'), /3 of 8 voxels are not finite numbers \(NaN or ±Inf\); they were set to air \(-1000 HU\)/);
});

test('a Volume handed to screening with NaN spacing or a broken grid is an InputError, not an invalid report', async () => {
  const base: Volume = { data: new Int16Array(64 * 64 * 8).fill(-1000), dims: [64, 64, 8], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], source: { format: 'synthetic', sliceCount: 8, pseudoHu: false }, warnings: [] };
  const cases: [Partial<Volume>, RegExp][] = [
    [{ spacingMm: [1, NaN, 1] }, /voxel size 1 × NaN × 1 mm is not three positive sizes/],
    [{ spacingMm: [1, 1, 0] }, /voxel size 1 × 1 × 0 mm/],
    [{ spacingMm: [1, 1, 1e9] }, /of at most 1000 mm/],
    [{ originMm: [0, Infinity, 0] }, /origin \(0, Infinity, 0\) mm is not a finite position/],
    [{ dims: [64, 64, 7] }, /holds 32768 voxels but its grid 64×64×7 needs 28672/],
    [{ direction: [0, 0, 0, 0, 1, 0, 0, 0, 1] }, /direction of voxel axis x has length 0, not 1/],
  ];
  for (const [change, message] of cases) {
    const v = { ...base, ...change };
    assert.throws(() => checkVolume(v, 'vol'), isInputError('INPUT_BAD_GEOMETRY', message), message.source);
    await assert.rejects(screenCase({ volume: v }, { models: { classifier: stubClassifier() }, candidates: 'classical' }), isInputError('INPUT_BAD_GEOMETRY', message));
  }
  checkVolume(base, 'vol');
  // what passes the check gives a valid input description, whatever text the source carries
  const input = describeInput({ ...base, source: { ...base.source, format: 'dicom', modality: '\u001b[31mCT', seriesInstanceUid: 'x'.repeat(100), transferSyntaxUid: '1.2.840.10008.1.2.1' } });
  assert.equal(input.modality, '?[31mCT');
  assert.equal(input.seriesInstanceUid, undefined);
  assert.doesNotThrow(() =>
    createCaseReport(
      {
        input,
        classes: { labels: ['covid19', 'irrelevant'], infectionLabels: ['covid19'], irrelevantLabel: 'irrelevant' },
        models: [],
        decision: { label: 'no_infection_found', displayName: 'No infection found', mode: 'paper', rule: 'no-infection', confidence: null, tie: false },
        paperDecision: { label: 'no_infection_found', displayName: 'No infection found', rule: 'no-infection', confidence: null, tie: false },
        infections: [{ label: 'covid19', displayName: 'COVID-19', regionCount: 0, noisyOr: 0, exportedConfidence: 0 }],
        regions: [],
        lung: null,
        warnings: [],
        timingsMs: {},
      },
      { now: new Date(0), toolVersion: '0.0.0' },
    ),
  );
});

test('a compressed frame whose codestream claims another size than the header is refused before it is decoded', async () => {
  const { sampleJpegLosslessFrame } = await import('./dicom-writer.ts');
  const { codestreamSize } = await import('../../src/io/dicom/decode.ts');
  const sample = sampleJpegLosslessFrame('jpeg_lossless_sel1.dcm');
  assert.deepEqual(codestreamSize(sample.frame, 'jpeg-lossless'), [sample.columns, sample.rows]);
  // patch the SOF to claim 60000 × 60000 (7.2 GB of 16-bit samples for the decoder to allocate)
  const frame = sample.frame.slice();
  let sof = 2;
  while (!(frame[sof] === 0xff && frame[sof + 1] >= 0xc0 && frame[sof + 1] <= 0xc3)) sof += 2 + ((frame[sof + 2] << 8) | frame[sof + 3]);
  frame.set([60000 >> 8, 60000 & 0xff, 60000 >> 8, 60000 & 0xff], sof + 5);
  const job = {
    file: 'bomb.dcm', transferSyntaxUid: TS.jpegLossless70, rows: sample.rows, columns: sample.columns, bitsAllocated: 16, bitsStored: 16,
    pixelRepresentation: 0, samplesPerPixel: 1, rescaleSlope: 1, rescaleIntercept: 0, frame, output: 'int16' as const,
  };
  await assert.rejects(decodeSliceToHu(job), isInputError('DICOM_DECODE_FAILED', new RegExp(`^bomb\\.dcm: JPEG Lossless.* codestream declares 60000×60000 pixels but the header says ${sample.columns}×${sample.rows}$`)));
});
