// The DICOM writers on their own: what the lead's and other helpers' parallel changes may hand them
// (a lesion mask, a decision label beyond today's, a calibrated probability), sources whose UIDs are
// not DICOM UIDs, a scan without lungs, and the SEG drawn over the CT by the project's renderer.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import type { CaseReport } from '../../../src/core/report-schema.ts';
import { voxelToPatient } from '../../../src/core/volume.ts';
import { readDicom } from '../../../src/io/dicom.ts';
import { TS } from '../../../src/io/dicom/transfer-syntax.ts';
import { makeChestPhantom } from '../../../src/phantom/chest-phantom.ts';
import { screenCase } from '../../../src/pipeline/screen.ts';
import { renderKeySlice } from '../../../src/report/key-slices.ts';
import { encodePng } from '../../../src/report/render-slice.ts';
import { dicomWriteContext, readNaturalized } from '../../../src/report/writers/dicom-common.ts';
import { buildSegmentation } from '../../../src/report/writers/dicom-seg.ts';
import { readSegmentation, renderSegmentationSlice, segmentOnGrid } from '../../../src/report/writers/dicom-seg-read.ts';
import { writeDicomOutputs } from '../../../src/report/writers/dicom-outputs.ts';
import { writeSeries } from '../../io/dicom-writer.ts';
import { withTempDir } from '../../io/temp-dir.ts';
import { stubClassifier } from '../../pipeline/fixtures.ts';
import { assertDciodvfyClean, readSr } from './dicom-test-tools.ts';
import { TEST_FOR_UID, TEST_STUDY_UID, writeVolumeAsDicom } from './volume-to-dicom.ts';

const ph = makeChestPhantom({ size: [64, 64], slices: 24, seed: 3, lesions: 'covid' });
const NOW = new Date('2026-02-03T04:05:06Z');
const report0 = { classes: { labels: ['covid19', 'other_pneumonia', 'irrelevant'], infectionLabels: ['covid19', 'other_pneumonia'], irrelevantLabel: 'irrelevant' } };

async function screened(dir: string, series: Parameters<typeof writeVolumeAsDicom>[1] extends infer O ? Partial<O> : never = {}) {
  await writeVolumeAsDicom(ph.volume, { dir: join(dir, 'ct'), ...series });
  const { volume, references } = await readDicom(join(dir, 'ct'));
  const r = await screenCase({ volume, dicomReferences: references }, { models: { classifier: stubClassifier() }, candidates: 'classical', now: NOW, toolVersion: '0.0.0-test' });
  return { ...r, volume, references };
}


test('a lesion mask becomes its own SEG segment (Lesion, SNOMED 52988006), voxel for voxel', () =>
  withTempDir('dicom-lesion', async (dir) => {
    const { report, artifacts, volume } = await screened(dir);
    const lesionMask = new Uint8Array(volume.data.length);
    for (let i = 0; i < lesionMask.length; i++) lesionMask[i] = artifacts.candidateLabels && artifacts.candidateLabels[i] !== 0 && volume.data[i] > -700 ? 1 : 0;
    const out = await writeDicomOutputs({ outDir: dir, report, artifacts: { ...artifacts, lesionMask } });
    assertDciodvfyClean([out.seg!, out.sr, ...out.sc]);
    const seg = readSegmentation(new Uint8Array(readFileSync(out.seg!)));
    const lesion = seg.segments.find((s) => s.type === 'Lesion')!;
    assert.ok(lesion, 'lesion segment');
    const decoded = segmentOnGrid(seg, lesion.number, volume);
    assert.deepEqual(decoded, lesionMask);
    assert.deepEqual(out.warnings, []);
  }));

test('the SR follows the report: a not-screened or indeterminate label and a calibrated probability are written as they are', () =>
  withTempDir('dicom-decision', async (dir) => {
    const { report, artifacts } = await screened(dir);
    for (const label of ['not_screened', 'indeterminate']) {
      const changed = structuredClone(report);
      changed.decision.label = label;
      changed.decision.displayName = label === 'not_screened' ? 'Not screened' : 'Indeterminate';
      changed.decision.infectionProbability = 0.6180339887498949;
      const out = await writeDicomOutputs({ outDir: join(dir, label), report: changed, artifacts });
      assertDciodvfyClean([out.sr]);
      const sr = readSr(out.sr);
      const caseGroup = sr.groups.find((g) => g.trackingId === 'case')!;
      assert.equal(caseGroup.finding, label === 'not_screened' ? 'NOTSCREENED' : 'INDETERMINATE');
      assert.equal(caseGroup.nums.CALIBPROB.value, 0.6180339887498949, 'full double precision via FloatingPointValue');
      const result = sr.qualitative.find((i) => i.ValueType === 'CODE') as { ConceptCodeSequence: Array<{ CodeValue: string }> };
      assert.equal(result.ConceptCodeSequence[0].CodeValue, caseGroup.finding);
    }
  }));

test('source UIDs that are not DICOM UIDs (UUIDs, none) never crash or get copied: new UIDs where required, no references, warnings without the values', () =>
  withTempDir('dicom-bad-uids', async (dir) => {
    const uuid = (k: number) => `6f1c7c9e-0c1d-4b7a-9a43-${String(k).padStart(12, '0')}`;
    const { report, artifacts } = await screened(dir, { studyUid: 'a3b1c2d4-5e6f-4711-8000-000000000001', frameOfReferenceUid: '', sopInstanceUid: uuid });
    const out = await writeDicomOutputs({ outDir: dir, report, artifacts });
    assertDciodvfyClean([out.seg!, out.sr, ...out.sc]);
    assert.equal(out.warnings.length, 3, out.warnings.join('\n'));
    assert.match(out.warnings.join('\n'), /StudyInstanceUID is not a valid DICOM UID.*FrameOfReferenceUID is missing.*24 of 24 source slices have SOP Instance or Class UIDs that are not valid/s);
    assert.ok(!out.warnings.join('\n').includes('6f1c7c9e'));
    const study = new Set([out.seg!, out.sr, ...out.sc].map((f) => String(readNaturalized(new Uint8Array(readFileSync(f))).StudyInstanceUID)));
    assert.equal(study.size, 1, 'all outputs share one new study');
    assert.match([...study][0], /^2\.25\.\d+$/);
    const seg = readSegmentation(new Uint8Array(readFileSync(out.seg!)));
    assert.ok(seg.frames.every((f) => f.sourceSopInstanceUid === null));
    assert.match(seg.frameOfReferenceUid, /^2\.25\.\d+$/);
    assert.equal(readSr(out.sr).library.length, 0);
  }));

test('a scan without lungs or candidates: no SEG (it would have no frame), an SR that says so', () =>
  withTempDir('dicom-no-lungs', async (dir) => {
    const { report, artifacts } = await screened(dir);
    const out = await writeDicomOutputs({ outDir: dir, report, artifacts: { ...artifacts, lungMask: null, candidateLabels: null, regions: [], keySlices: [3] } });
    assert.equal(out.seg, null);
    assert.match(out.warnings.join('\n'), /SEG: not written/);
    assertDciodvfyClean([out.sr, ...out.sc]);
    assert.ok(readSr(out.sr).groups.filter((g) => g.segment !== null).length === 0);
  }));

test('the SEG read from its DICOM file is drawn over the CT slice by the project renderer, in the segment colours', () =>
  withTempDir('dicom-render', async (dir) => {
    const { report, artifacts, volume } = await screened(dir);
    const out = await writeDicomOutputs({ outDir: dir, report, artifacts });
    const seg = readSegmentation(new Uint8Array(readFileSync(out.seg!)));
    const z = artifacts.keySlices[0];
    const img = renderSegmentationSlice(volume, seg, z, { 1: [0, 200, 255] });
    const png = PNG.sync.read(encodePng(img));
    // every right-lung boundary voxel of the slice from the SEG shows the right-lung colour
    const right = segmentOnGrid(seg, 1, volume);
    const [nx, ny] = volume.dims;
    let boundary = 0;
    for (let y = 1; y < ny - 1; y++) {
      for (let x = 1; x < nx - 1; x++) {
        const i = x + nx * (y + ny * z);
        if (!right[i] || (right[i - 1] && right[i + 1] && right[i - nx] && right[i + nx])) continue;
        boundary++;
        const o = 4 * (x + png.width * y);
        assert.deepEqual([png.data[o], png.data[o + 1], png.data[o + 2]], [0, 200, 255]);
      }
    }
    assert.ok(boundary > 20, `${boundary} boundary voxels`);
    assert.ok(report.regions.length > 0);
  }));

test('an uneven stack the reader resampled: SEG frames lie on the resampled grid, reference the nearest source slice, and a warning says so', () =>
  withTempDir('dicom-uneven', async (dir) => {
    const zs = [0, 2.5, 5, 7.5, 12.5, 15, 17.5];
    await writeSeries({ dir: join(dir, 'ct'), syntax: TS.explicitLittle, nx: 16, ny: 12, zPositionsMm: zs, studyUid: TEST_STUDY_UID, frameOfReferenceUid: TEST_FOR_UID });
    const { volume, references } = await readDicom(join(dir, 'ct'));
    assert.equal(volume.dims[2], 8, 'resampled onto 2.5 mm steps');
    assert.deepEqual(references.sliceSources.map((s) => s.exact), [true, true, true, true, false, true, true, true]);
    const ctx = await dicomWriteContext(references, { toolVersion: 'test', now: NOW });
    const lungMask = new Uint8Array(volume.data.length).fill(1);
    const built = buildSegmentation({ volume, lungMask, candidateLabels: null, regions: [], classes: report0.classes, models: [] }, ctx)!;
    assert.match(ctx.warnings.join('\n'), /resampled or shifted the source slices/);
    const file = join(dir, 'seg.dcm');
    writeFileSync(file, built.bytes);
    assertDciodvfyClean([file]);
    const seg = readSegmentation(built.bytes);
    assert.equal(seg.frames.length, 8);
    const uidAt = (mm: number) => references.instances[zs.indexOf(mm)].sopInstanceUid;
    seg.frames.forEach((f, z) => {
      const grid = voxelToPatient(volume, [0, 0, z]);
      for (let a = 0; a < 3; a++) assert.ok(Math.abs(f.positionMm[a] - grid[a]) < 1e-4);
      // grid slice 4 (10 mm) has no source slice; 7.5 and 12.5 are equally near, the reader's nearest is taken
      if (z !== 4) assert.equal(f.sourceSopInstanceUid, uidAt(z * 2.5));
    });
    assert.ok([uidAt(7.5), uidAt(12.5)].includes(seg.frames[4].sourceSopInstanceUid!));
  }));

test('each secondary capture holds exactly the key-slice picture of the HTML report (RGB), referencing its source slice', () =>
  withTempDir('dicom-sc', async (dir) => {
    const { report, artifacts, references } = await screened(dir);
    const out = await writeDicomOutputs({ outDir: dir, report, artifacts });
    assert.equal(out.sc.length, artifacts.keySlices.length);
    out.sc.forEach((file, k) => {
      const ds = readNaturalized(new Uint8Array(readFileSync(file)));
      const fig = renderKeySlice({ volume: artifacts.volume, lungMask: artifacts.lungMask, candidateLabels: artifacts.candidateLabels, regions: artifacts.regions, classes: report.classes }, artifacts.keySlices[k]);
      const png = PNG.sync.read(fig.png);
      assert.equal(ds.Rows, png.height);
      assert.equal(ds.Columns, png.width);
      assert.equal(ds.PhotometricInterpretation, 'RGB');
      const px = new Uint8Array((ds.PixelData as ArrayBuffer[])[0]);
      for (let p = 0; p < png.width * png.height; p++) for (let c = 0; c < 3; c++) assert.equal(px[3 * p + c], png.data[4 * p + c]);
      const src = (ds.SourceImageSequence as Array<{ ReferencedSOPInstanceUID: string }>)[0];
      assert.equal(src.ReferencedSOPInstanceUID, references.instances[references.sliceSources[artifacts.keySlices[k]].instance].sopInstanceUid);
      assert.equal(ds.InstanceNumber, k + 1);
    });
  }));
