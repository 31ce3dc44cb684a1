// The candidate label map written to candidates.nii.gz: read from the regions' boxes only, it must be
// exactly the label volume (the boxes bound every labelled voxel), in uint8 up to 255 and int16 beyond.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Box3, Vec3 } from '../../src/core/volume.ts';
import { labelsForNifti, MAX_MASK_LABEL } from '../../src/report/write-outputs.ts';

/** Labels painted as blobs of a few voxels each, with the tight box of each label (as the candidate stage gives them). */
function paint(dims: Vec3, blobs: Array<{ value: number; voxels: Vec3[] }>): { labels: Uint32Array; regions: Array<{ labelValue: number; box: Box3 }> } {
  const [nx, ny] = dims;
  const labels = new Uint32Array(dims[0] * dims[1] * dims[2]);
  const regions = blobs.map(({ value, voxels }) => {
    const min = [Infinity, Infinity, Infinity];
    const max = [-Infinity, -Infinity, -Infinity];
    for (const v of voxels) {
      labels[v[0] + nx * (v[1] + ny * v[2])] = value;
      for (let a = 0; a < 3; a++) {
        min[a] = Math.min(min[a], v[a]);
        max[a] = Math.max(max[a], v[a]);
      }
    }
    return { labelValue: value, box: { min: min as unknown as Vec3, max: max as unknown as Vec3 } };
  });
  return { labels, regions };
}

test('labelsForNifti: the label volume exactly, from overlapping boxes, as uint8', () => {
  const dims: Vec3 = [9, 7, 5];
  // an L-shaped region 1 whose box holds a voxel of region 2, and region 3 at the volume's corner
  const { labels, regions } = paint(dims, [
    { value: 1, voxels: [[1, 1, 1], [1, 4, 1], [5, 4, 2]] },
    { value: 2, voxels: [[3, 2, 1], [3, 2, 2]] },
    { value: 3, voxels: [[8, 6, 4]] },
  ]);
  const out = labelsForNifti(labels, dims, regions);
  assert.ok(out instanceof Uint8Array);
  assert.deepEqual([...out], [...labels]);
  assert.equal(out.reduce((a, v) => a + (v ? 1 : 0), 0), 6);
  assert.deepEqual([...labelsForNifti(null, dims, [])], new Array(9 * 7 * 5).fill(0));
});

test('labelsForNifti: labels above 255 as int16, above the int16 range refused', () => {
  const dims: Vec3 = [4, 3, 2];
  const { labels, regions } = paint(dims, [
    { value: 300, voxels: [[0, 0, 0], [1, 0, 0]] },
    { value: 7, voxels: [[3, 2, 1]] },
  ]);
  const out = labelsForNifti(labels, dims, regions);
  assert.ok(out instanceof Int16Array);
  assert.deepEqual([...out], [...labels]);
  const big = paint(dims, [{ value: MAX_MASK_LABEL + 1, voxels: [[2, 1, 0]] }]);
  assert.throws(() => labelsForNifti(big.labels, dims, big.regions), /candidate label 32768 does not fit a NIfTI int16 label map/);
  assert.throws(() => labelsForNifti(new Uint32Array(5), dims, []), /candidate labels have 5 voxels, the volume 4×3×2 has 24/);
});
