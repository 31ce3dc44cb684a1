import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mat3, Vec3, Volume, VoxelData } from '../../src/core/volume.ts';
import { voxelToPatient } from '../../src/core/volume.ts';
import { gridOf, reorientFromCanonical, reorientToCanonical, resampleToGrid, resampleToSpacing } from '../../src/io/resample.ts';

function vol<T extends VoxelData>(data: T, dims: Vec3, over: Partial<Volume> = {}): Volume<T> {
  return { data, dims, spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], source: { format: 'synthetic', sliceCount: dims[2], pseudoHu: false }, warnings: [], ...over } as Volume<T>;
}

test('linear upsampling of a ramp gives midpoints (hand-computed), nearest keeps labels', () => {
  const v = vol(Float32Array.of(0, 10, 30), [3, 1, 1], { spacingMm: [2, 1, 1] });
  const up = resampleToSpacing(v, [1, 1, 1], { interpolation: 'linear' });
  assert.deepEqual(up.dims, [5, 1, 1]);
  assert.deepEqual(Array.from(up.data), [0, 5, 10, 20, 30]);
  const labels = vol(Uint8Array.of(0, 1, 2), [3, 1, 1], { spacingMm: [2, 1, 1] });
  const nn = resampleToSpacing(labels, [1, 1, 1], { interpolation: 'nearest' });
  // midpoints round half away from zero toward the next voxel (Math.round)
  assert.deepEqual(Array.from(nn.data), [0, 1, 1, 2, 2]);
  assert.ok(nn.data instanceof Uint8Array);
});

test('Int16 images are rounded; outside the input is air for linear and 0 for nearest', () => {
  const v = vol(Int16Array.of(-1000, -995), [2, 1, 1]);
  const shifted = resampleToGrid(v, { dims: [4, 1, 1], spacingMm: [0.5, 1, 1], originMm: [0, 0, 0], direction: v.direction }, { interpolation: 'linear' });
  // x = 0, 0.5, 1, 1.5 → −1000, −997.5 → −997 (round half up), −995, beyond the half-voxel edge extension? 1.5 = n−1+0.5 → clamped −995
  assert.deepEqual(Array.from(shifted.data), [-1000, -997, -995, -995]);
  const far = resampleToGrid(v, { dims: [2, 1, 1], spacingMm: [1, 1, 1], originMm: [5, 0, 0], direction: v.direction }, { interpolation: 'linear' });
  assert.deepEqual(Array.from(far.data), [-1000, -1000]);
  const farLabels = resampleToGrid(vol(Uint8Array.of(3, 3), [2, 1, 1]), gridOf({ ...far }), { interpolation: 'nearest' });
  assert.deepEqual(Array.from(farLabels.data), [0, 0]);
});

test('a linear function of patient position is reproduced exactly on a rotated, rescaled grid', () => {
  const dims: Vec3 = [6, 5, 4];
  const src = vol(new Float32Array(120), dims, { spacingMm: [1.5, 1, 2], originMm: [10, -5, 3] });
  const f = (p: Vec3) => 2 * p[0] - 3 * p[1] + 0.5 * p[2] + 7;
  for (let z = 0; z < 4; z++) for (let y = 0; y < 5; y++) for (let x = 0; x < 6; x++) src.data[x + 6 * (y + 5 * z)] = f(voxelToPatient(src, [x, y, z]));
  const t = 0.3;
  const direction: Mat3 = [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
  const grid = { dims: [3, 3, 3] as Vec3, spacingMm: [1, 1, 1] as Vec3, originMm: [12, -4.5, 5] as Vec3, direction }; // every output voxel inside the input
  const out = resampleToGrid(src, grid, { interpolation: 'linear' });
  for (let z = 0; z < 3; z++) {
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) {
        const expected = f(voxelToPatient(grid, [x, y, z]));
        assert.ok(Math.abs(out.data[x + 3 * (y + 3 * z)] - expected) < 1e-3, `(${x},${y},${z}): ${out.data[x + 3 * (y + 3 * z)]} vs ${expected}`);
      }
    }
  }
});

test('nearest resampling to a finer grid and back is the identity on labels', () => {
  const labels = vol(Uint8Array.from({ length: 4 * 3 * 2 }, (_, i) => i % 5), [4, 3, 2], { spacingMm: [2, 2, 4] });
  const fine = resampleToSpacing(labels, [1, 1, 1], { interpolation: 'nearest' });
  assert.deepEqual(fine.dims, [7, 5, 5]);
  const back = resampleToGrid(fine, gridOf(labels), { interpolation: 'nearest' });
  assert.deepEqual(Array.from(back.data), Array.from(labels.data));
});

test('reorientation to LPS+ keeps every voxel at its patient position, and the inverse restores the input exactly', () => {
  // voxel x runs to the right (−L), y runs superior, z runs posterior: a sagittal-ish RSP stack
  const direction: Mat3 = [-1, 0, 0, 0, 0, 1, 0, 1, 0];
  const dims: Vec3 = [4, 3, 2];
  const v = vol(Int16Array.from({ length: 24 }, (_, i) => i * 7 - 50), dims, { direction, spacingMm: [0.5, 2, 3], originMm: [5, 6, 7] });
  const { volume: c, reorientation } = reorientToCanonical(v);
  assert.deepEqual(Array.from(c.direction), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.deepEqual(c.dims, [4, 2, 3]);
  assert.deepEqual(c.spacingMm, [0.5, 3, 2]);
  // each input voxel's value sits at the same patient position in the output
  for (let z = 0; z < 2; z++) {
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        const p = voxelToPatient(v, [x, y, z]);
        const q = [(p[0] - c.originMm[0]) / 0.5, (p[1] - c.originMm[1]) / 3, (p[2] - c.originMm[2]) / 2].map(Math.round);
        assert.equal(c.data[q[0] + 4 * (q[1] + 2 * q[2])], v.data[x + 4 * (y + 3 * z)]);
      }
    }
  }
  const back = reorientFromCanonical(c, reorientation);
  assert.deepEqual(Array.from(back.data), Array.from(v.data));
  assert.deepEqual(back.dims, v.dims);
  assert.deepEqual(back.spacingMm, v.spacingMm);
  assert.deepEqual(Array.from(back.direction), Array.from(direction));
  assert.deepEqual(back.originMm, v.originMm);
});
