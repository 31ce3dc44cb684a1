// Orientation: a synthetic series with an asymmetric lesion (patient's left, posterior, inferior),
// under several direction matrices and file orders, read by the DICOM reader and written as a SEG.
// Every frame must land on the source slice it references with that slice's ImagePositionPatient,
// and the lesion segment, placed by the SEG's own geometry, must cover exactly the lesion's voxels.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import dicomParser from 'dicom-parser';
import type { Mat3, Vec3, Volume } from '../../../src/core/volume.ts';
import { voxelToPatient } from '../../../src/core/volume.ts';
import { readDicom } from '../../../src/io/dicom.ts';
import { dicomWriteContext } from '../../../src/report/writers/dicom-common.ts';
import { buildSegmentation } from '../../../src/report/writers/dicom-seg.ts';
import { readSegmentation, segmentOnGrid } from '../../../src/report/writers/dicom-seg-read.ts';
import { withTempDir } from '../../io/temp-dir.ts';
import { writeVolumeAsDicom } from './volume-to-dicom.ts';

const DIMS: Vec3 = [20, 16, 12];
const SPACING: Vec3 = [1.5, 1.25, 2];
/** The lesion: a ball in LPS around the body centre + (left, posterior, inferior) offsets, mm. */
const LESION_OFFSET_MM: Vec3 = [7, 5, -6];
const LESION_RADIUS_MM = 4;
const CLASSES = { labels: ['covid19', 'other_pneumonia', 'irrelevant'], infectionLabels: ['covid19', 'other_pneumonia'], irrelevantLabel: 'irrelevant' };

function rotationZ(deg: number): Mat3 {
  const c = Math.cos((deg * Math.PI) / 180);
  const s = Math.sin((deg * Math.PI) / 180);
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}
const cases: Array<{ name: string; direction: Mat3; fileOrder: 'ascending' | 'descending' | 'interleaved' }> = [
  { name: 'axial, identity', direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], fileOrder: 'ascending' },
  { name: 'axial, columns run to the right (x flipped), files descending', direction: [-1, 0, 0, 0, 1, 0, 0, 0, -1], fileOrder: 'descending' },
  { name: 'axial, rows run anterior (y flipped), slices head to feet', direction: [1, 0, 0, 0, -1, 0, 0, 0, -1], fileOrder: 'interleaved' },
  { name: 'oblique 30° about S, interleaved files', direction: rotationZ(30), fileOrder: 'interleaved' },
  { name: 'coronal-ish stack (slices along P)', direction: [1, 0, 0, 0, 0, 1, 0, -1, 0], fileOrder: 'descending' },
];

/** A volume with `direction`, centred on the LPS origin, HU −800 with the lesion at 30 HU. */
function makeVolume(direction: Mat3): { volume: Volume; inLesion: (p: Vec3) => boolean } {
  const centre: Vec3 = [(DIMS[0] - 1) / 2, (DIMS[1] - 1) / 2, (DIMS[2] - 1) / 2];
  const shell: Volume = { data: new Int16Array(0), dims: DIMS, spacingMm: SPACING, originMm: [0, 0, 0], direction, source: { format: 'synthetic', sliceCount: DIMS[2], pseudoHu: false }, warnings: [] };
  const c = voxelToPatient(shell, centre);
  const originMm: Vec3 = [-c[0], -c[1], -c[2]];
  const volume = { ...shell, originMm, data: new Int16Array(DIMS[0] * DIMS[1] * DIMS[2]) };
  const inLesion = (p: Vec3) => Math.hypot(p[0] - LESION_OFFSET_MM[0], p[1] - LESION_OFFSET_MM[1], p[2] - LESION_OFFSET_MM[2]) <= LESION_RADIUS_MM;
  let i = 0;
  for (let z = 0; z < DIMS[2]; z++) for (let y = 0; y < DIMS[1]; y++) for (let x = 0; x < DIMS[0]; x++, i++) volume.data[i] = inLesion(voxelToPatient(volume, [x, y, z])) ? 30 : -800;
  return { volume, inLesion };
}

function sourcePositions(files: string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const f of files) {
    const ds = dicomParser.parseDicom(new Uint8Array(readFileSync(f)), { untilTag: 'x7fe00010' });
    m.set(ds.string('x00080018')!, ds.string('x00200032')!.split('\\').map(Number));
  }
  return m;
}

for (const c of cases) {
  test(`SEG frames land on their source slices and the lesion segment covers the lesion: ${c.name}`, () => withTempDir('seg-orient', async (dir) => {
    const { volume: truth, inLesion } = makeVolume(c.direction);
    const files = await writeVolumeAsDicom(truth, { dir: join(dir, 'ct'), fileOrder: c.fileOrder });
    const { volume, references } = await readDicom(join(dir, 'ct'));
    // masks from what was read, as the pipeline would make them: lesion = HU > −300, lungs split at patient x = 0
    const n = volume.data.length;
    const lesion = new Uint8Array(n);
    const lungs = new Uint8Array(n);
    let i = 0;
    for (let z = 0; z < volume.dims[2]; z++) {
      for (let y = 0; y < volume.dims[1]; y++) {
        for (let x = 0; x < volume.dims[0]; x++, i++) {
          lesion[i] = volume.data[i] > -300 ? 1 : 0;
          lungs[i] = voxelToPatient(volume, [x, y, z])[0] < 0 ? 1 : 2; // LPS: −x is the patient's right
        }
      }
    }
    const labels = new Uint32Array(lesion);
    const ctx = await dicomWriteContext(references, { toolVersion: 'test', now: new Date('2026-01-02T03:04:05Z') });
    const built = buildSegmentation(
      { volume, lungMask: lungs, lesionMask: lesion, candidateLabels: labels, regions: [{ id: 'R1', labelValue: 1, box: { min: [0, 0, 0], max: [0, 0, 0] }, voteLabel: 'covid19', kept: true, confidence: 0.9 }], classes: CLASSES, models: [] },
      ctx,
    )!;
    assert.deepEqual(ctx.warnings, []);
    assert.deepEqual(built.segments.map((s) => s.kind), ['right-lung', 'left-lung', 'lesion', 'voted-class']);
    const seg = readSegmentation(built.bytes);

    // every frame references a source slice and sits at exactly that slice's position
    const positions = sourcePositions(files);
    for (const f of seg.frames) {
      assert.ok(f.sourceSopInstanceUid, 'frame without a source image');
      const p = positions.get(f.sourceSopInstanceUid!);
      assert.ok(p, `frame references unknown instance ${f.sourceSopInstanceUid}`);
      for (let a = 0; a < 3; a++) assert.ok(Math.abs(f.positionMm[a] - p![a]) < 1e-4, `frame at ${f.positionMm} but its source slice is at ${p}`);
      assert.ok(f.mask.some((v) => v === 1), 'an empty frame was written');
    }

    // the lesion and candidate segments, placed by the SEG's own geometry (frame IPP + IOP + spacing), cover the lesion exactly
    const truthCount = Array.from(truth.data).filter((v) => v === 30).length;
    assert.ok(truthCount > 10);
    const [rowDir, colDir] = [seg.orientation.slice(0, 3), seg.orientation.slice(3, 6)];
    const [dRow, dCol] = seg.pixelSpacingMm;
    for (const number of [3, 4]) {
      let covered = 0;
      for (const f of seg.frames.filter((fr) => fr.segmentNumber === number)) {
        for (let r = 0; r < seg.rows; r++) {
          for (let col = 0; col < seg.columns; col++) {
            if (!f.mask[col + seg.columns * r]) continue;
            const p = [0, 1, 2].map((a) => f.positionMm[a] + col * dCol * rowDir[a] + r * dRow * colDir[a]) as unknown as Vec3;
            assert.ok(inLesion(p), `segment ${number} pixel at ${p.map((v) => v.toFixed(1))} mm is outside the lesion`);
            covered++;
          }
        }
      }
      assert.equal(covered, truthCount, `segment ${number}`);
    }
    // the lesion is in the patient's left lung: segment 2 (left) frames hold it, and segment 1 never touches x > 0
    const right = segmentOnGrid(seg, 1, volume);
    const left = segmentOnGrid(seg, 2, volume);
    for (let k = 0; k < n; k++) {
      assert.equal(right[k], lungs[k] === 1 ? 1 : 0);
      assert.equal(left[k], lungs[k] === 2 ? 1 : 0);
    }
  }));
}
