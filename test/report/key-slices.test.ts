import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regionSliceAreas } from '../../src/report/key-slices.ts';

// 4 × 3 × 2 labels: label 1 on (0,0,0),(1,0,0),(1,1,1); label 2 on (3,2,0),(3,2,1),(2,2,1); label 3 (> maxLabel) on (0,2,1)
function labels(): Uint32Array {
  const l = new Uint32Array(4 * 3 * 2);
  const at = (x: number, y: number, z: number) => x + 4 * (y + 3 * z);
  l[at(0, 0, 0)] = 1;
  l[at(1, 0, 0)] = 1;
  l[at(1, 1, 1)] = 1;
  l[at(3, 2, 0)] = 2;
  l[at(3, 2, 1)] = 2;
  l[at(2, 2, 1)] = 2;
  l[at(0, 2, 1)] = 3;
  return l;
}

test('regionSliceAreas counts each label per slice (hand-computed); labels above maxLabel are ignored', () => {
  const a = regionSliceAreas(labels(), [4, 3, 2], 2);
  // areas[label · nz + z], nz = 2
  assert.deepEqual([...a], [0, 0, 2, 1, 1, 2]);
});

test('regionSliceAreas within a box: the same areas when the box holds every region voxel, only the box otherwise', () => {
  const full = regionSliceAreas(labels(), [4, 3, 2], 2);
  assert.deepEqual([...regionSliceAreas(labels(), [4, 3, 2], 2, { min: [0, 0, 0], max: [3, 2, 1] })], [...full]);
  // the union of the two regions' boxes: x 0..3, y 0..2, z 0..1 (label 1 box x0..1 y0..1, label 2 box x2..3 y2 z0..1)
  assert.deepEqual([...regionSliceAreas(labels(), [4, 3, 2], 2, { min: [0, 0, 0], max: [3, 2, 1] })], [0, 0, 2, 1, 1, 2]);
  // a box of x 1..3, y 1..2, slice 1 only: label 1's (1,1,1) and label 2's two voxels on slice 1
  assert.deepEqual([...regionSliceAreas(labels(), [4, 3, 2], 2, { min: [1, 1, 1], max: [3, 2, 1] })], [0, 0, 0, 1, 0, 2]);
  // a box reaching past the volume is clipped to it
  assert.deepEqual([...regionSliceAreas(labels(), [4, 3, 2], 2, { min: [-5, -5, -5], max: [9, 9, 9] })], [...full]);
});
