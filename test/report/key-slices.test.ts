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

const box = (min: [number, number, number], max: [number, number, number]) => ({ min, max });

test('regionSliceAreas counts each region\'s label per slice inside its box (hand-computed); other labels are not counted', () => {
  // label 1's box x 0..1, y 0..1, z 0..1; label 2's box x 2..3, y 2, z 0..1; label 3 has no region
  const a = regionSliceAreas(labels(), [4, 3, 2], [{ labelValue: 1, box: box([0, 0, 0], [1, 1, 1]) }, { labelValue: 2, box: box([2, 2, 0], [3, 2, 1]) }]);
  // areas[label · nz + z], nz = 2
  assert.deepEqual([...a], [0, 0, 2, 1, 1, 2]);
});

test('regionSliceAreas: overlapping boxes count only their own label; boxes past the volume are clipped', () => {
  // both boxes the whole volume: the same areas; label 3's voxel inside them is still not counted
  const whole = box([-5, -5, -5], [9, 9, 9]);
  assert.deepEqual([...regionSliceAreas(labels(), [4, 3, 2], [{ labelValue: 1, box: whole }, { labelValue: 2, box: whole }])], [0, 0, 2, 1, 1, 2]);
  // a region list without label 1: its row stays 0
  assert.deepEqual([...regionSliceAreas(labels(), [4, 3, 2], [{ labelValue: 2, box: whole }])], [0, 0, 0, 0, 1, 2]);
});
