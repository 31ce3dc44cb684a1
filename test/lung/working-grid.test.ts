import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUTSIDE_SCAN_HU, downsampleBlocks, upsampleLabels } from '../../src/lung/working-grid.ts';

test('block means, partial edge blocks, integer and float voxels', () => {
  const a = downsampleBlocks(Int16Array.from([0, 10, 20, 30, 40, 50, 60, 70]), [4, 2, 1], 2);
  assert.deepEqual([a.cx, a.cy, a.nz], [2, 1, 1]);
  // (0 + 10 + 40 + 50) / 4 and (20 + 30 + 60 + 70) / 4
  assert.deepEqual([...a.hu], [25, 45]);
  // 3 × 3 with f = 2: blocks of 4, 2, 2 and 1 pixels
  const b = downsampleBlocks(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), [3, 3, 1], 2);
  assert.deepEqual([...b.hu], [(1 + 2 + 4 + 5) / 4, (3 + 6) / 2, (7 + 8) / 2, 9]);
  // f = 3 (the unrolled path) on a 7 × 3 image: blocks of 9, 9 and 3 pixels
  const c = downsampleBlocks(Int16Array.from({ length: 21 }, (_, i) => i), [7, 3, 1], 3);
  assert.deepEqual([...c.hu], [(0 + 1 + 2 + 7 + 8 + 9 + 14 + 15 + 16) / 9, (3 + 4 + 5 + 10 + 11 + 12 + 17 + 18 + 19) / 9, (6 + 13 + 20) / 3]);
});

test('padding outside the scan circle counts as air (−1000 HU) in the means', () => {
  // a corner pixel at −3024 marks the volume as padded
  const g = downsampleBlocks(Int16Array.from([-3024, 40, 40, 40, 40, 40, 40, 40]), [4, 2, 1], 2);
  assert.deepEqual([...g.hu], [(-1000 + 40 + 40 + 40) / 4, 40]);
  const one = downsampleBlocks(Float32Array.from([-2048, -900, 30, 30]), [2, 2, 1], 1);
  assert.deepEqual([...one.hu], [-1000, -900, 30, 30]);
});

test('back to the input grid: interior copied, boundary voxels decided by their own HU, padding never lung', () => {
  // 6 × 2 input, f = 2 → working grid 3 × 1; lung in the first block only
  const src = Int16Array.from([-900, -900, -900, OUTSIDE_SCAN_HU - 500, 20, 20, -900, -900, -900, -900, 20, 20]);
  const grid = downsampleBlocks(src, [6, 2, 1], 2);
  const labels = Uint8Array.from([1, 0, 0]);
  const allowed = Uint8Array.from([1, 1, 1]);
  const r = upsampleLabels(src, [6, 2, 1], grid, labels, allowed, -400, OUTSIDE_SCAN_HU);
  // block 0 is lung (all aerated); block 1 is a boundary block beside it: its aerated voxels join
  // lung 1 except the padding voxel at −2000; block 2 has no labelled neighbour and stays empty
  assert.deepEqual([...r.mask], [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
  assert.deepEqual([r.right, r.left], [7, 0]);
  // the voxel at −2000 is aerated too: only the outside-scan limit keeps it out
  assert.equal(upsampleLabels(src, [6, 2, 1], grid, labels, allowed, -400, -Infinity).mask[3], 1);
});
