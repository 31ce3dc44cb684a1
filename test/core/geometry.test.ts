// The one voxel-box ↔ mm-box convention (core/geometry.ts), hand-computed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { voxelBoxToMm } from '../../src/core/geometry.ts';
import { IDENTITY_DIRECTION, type Mat3, type Vec3 } from '../../src/core/volume.ts';

const near = (got: readonly number[], want: number[]) => got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-9, `${got} vs ${want}`));

test('voxelBoxToMm, identity direction: centres of the corner voxels, faces half a voxel further, size includes the faces', () => {
  const g = { originMm: [-100, -120, -300] as Vec3, spacingMm: [0.7, 0.7, 5] as Vec3, direction: IDENTITY_DIRECTION };
  const box = { min: [10, 12, 4] as Vec3, max: [20, 25, 6] as Vec3 };
  // centres: x −100 + 10·0.7 = −93 … −100 + 20·0.7 = −86; y −111.6 … −102.5; z −280 … −270
  const c = voxelBoxToMm(g, box, 'centres');
  near(c.minMm, [-93, -111.6, -280]);
  near(c.maxMm, [-86, -102.5, -270]);
  // faces: ± half a voxel (0.35, 0.35, 2.5)
  const f = voxelBoxToMm(g, box);
  near(f.minMm, [-93.35, -111.95, -282.5]);
  near(f.maxMm, [-85.65, -102.15, -267.5]);
  near(c.sizeMm, [11 * 0.7, 14 * 0.7, 15]);
  assert.deepEqual(f.sizeMm, c.sizeMm);
  // exact, as report.json had it before (the golden report relies on it)
  assert.deepEqual(c.sizeMm, [(20 - 10 + 1) * 0.7, (25 - 12 + 1) * 0.7, (6 - 4 + 1) * 5]);
});

test('voxelBoxToMm, x axis flipped (towards −L): min ≤ max in LPS for faces and centres alike', () => {
  // direction column 0 = (−1, 0, 0): voxel x runs towards −L
  const dir: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, 1];
  const g = { originMm: [10, 20, 30] as Vec3, spacingMm: [2, 1, 3] as Vec3, direction: dir };
  const box = { min: [1, 2, 0] as Vec3, max: [3, 2, 1] as Vec3 };
  // faces: x voxels 1..3 ± 0.5 → 0.5..3.5 → L = 10 − 2·(0.5..3.5) = 3..9; P 20 + (1.5..2.5) = 21.5..22.5; S 30 + 3·(−0.5..1.5) = 28.5..34.5
  const f = voxelBoxToMm(g, box);
  assert.deepEqual(f.minMm, [3, 21.5, 28.5]);
  assert.deepEqual(f.maxMm, [9, 22.5, 34.5]);
  assert.deepEqual(f.sizeMm, [6, 1, 6]);
  // centres: L = 10 − 2·(1..3) = 4..8 (the report gave min 8, max 4 before: centres of the min and max corner voxels), P 22, S 30..33
  const c = voxelBoxToMm(g, box, 'centres');
  assert.deepEqual(c.minMm, [4, 22, 30]);
  assert.deepEqual(c.maxMm, [8, 22, 33]);
  assert.deepEqual(c.sizeMm, [6, 1, 6]);
});

test('voxelBoxToMm, axes swapped (voxel x along P, y along L): sizes follow the LPS axes', () => {
  // column 0 (voxel x) = (0, 1, 0) = +P, column 1 (voxel y) = (1, 0, 0) = +L
  const dir: Mat3 = [0, 1, 0, 1, 0, 0, 0, 0, 1];
  const g = { originMm: [0, 0, 0] as Vec3, spacingMm: [1, 2, 4] as Vec3, direction: dir };
  // 3 voxels along x (3 mm along P), 2 along y (4 mm along L), 1 along z (4 mm along S)
  const f = voxelBoxToMm(g, { min: [0, 0, 0], max: [2, 1, 0] });
  assert.deepEqual(f.sizeMm, [4, 3, 4]);
  assert.deepEqual(f.minMm, [-1, -0.5, -2]);
  assert.deepEqual(f.maxMm, [3, 2.5, 2]);
});
