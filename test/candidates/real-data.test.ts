// Integration on the shared TB volumes (true 3D lesion masks, never used in training) with the
// committed segmenter; skipped cleanly without ../shared/data or the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lesionRecall } from '../../src/eval/candidate-recall.ts';
import { classicalCandidates } from '../../src/candidates/classical.ts';
import { loadLearnedGenerator } from '../../src/candidates/learned.ts';
import type { CandidateSet } from '../../src/candidates/types.ts';
import { readNifti } from '../../src/io/nifti.ts';
import { extractLungs } from '../../src/lung/extract-lungs.ts';
import { clearModelCache } from '../../src/models/load-model.ts';

const TB = fileURLToPath(new URL('../../../shared/data/tb-lesions/', import.meta.url));
const CASE = 'tb1_001_1001_1_33554433-128x128x64';
const MODEL = fileURLToPath(new URL('../../models/candidates-segmenter.onnx', import.meta.url));

function assertConsistent(set: CandidateSet, dims: readonly number[]): void {
  const counts = new Uint32Array(set.candidates.length + 1);
  for (const l of set.labels) counts[l]++;
  set.candidates.forEach((c, k) => {
    assert.equal(c.id, k + 1);
    assert.equal(counts[c.id], c.voxelCount, `candidate ${c.id}: label map and voxel count agree`);
    for (let a = 0; a < 3; a++) assert.ok(c.boxVoxels.min[a] >= 0 && c.boxVoxels.max[a] < dims[a] && c.boxVoxels.min[a] <= c.boxVoxels.max[a]);
    assert.ok(c.centreSliceZ >= c.boxVoxels.min[2] && c.centreSliceZ <= c.boxVoxels.max[2]);
    if (k > 0) assert.ok(c.voxelCount <= set.candidates[k - 1].voxelCount, 'largest first');
  });
}

test('TB volume: learned candidates hit every lesion of the true 3D mask; both generators give consistent sets', async (t) => {
  if (!existsSync(`${TB}${CASE}.nii.gz`)) {
    t.skip('../shared/data/tb-lesions not present');
    return;
  }
  const volume = await readNifti(`${TB}${CASE}.nii.gz`);
  const truth = Uint8Array.from((await readNifti(`${TB}${CASE}-msk.nii.gz`)).data as ArrayLike<number>, (v) => (v > 0.5 ? 1 : 0));
  const lungMask = Uint8Array.from(extractLungs(volume).mask, (v) => (v ? 1 : 0));
  const classical = await classicalCandidates({ volume, lungMask });
  assertConsistent(classical, volume.dims);
  assert.ok(classical.candidates.length > 0);
  if (!existsSync(MODEL)) {
    t.diagnostic('models/candidates-segmenter.onnx missing: learned part not run');
    return;
  }
  try {
    const learned = await (await loadLearnedGenerator())({ volume, lungMask });
    assertConsistent(learned, volume.dims);
    assert.ok(learned.candidates.every((c) => c.maxProbability! >= learned.threshold! && c.meanProbability! <= c.maxProbability!));
    const r = lesionRecall({ truth, candidates: learned.labels, dims: volume.dims, minLesionVoxels: 20 });
    assert.ok(r.lesions >= 1);
    assert.equal(r.recall, 1, `missed lesions of ${r.missedSizes.join(', ')} voxels`);
  } finally {
    await clearModelCache();
  }
});
