import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDENTITY_DIRECTION, voxelToPatient, type Mat3, type Volume } from '../../src/core/volume.ts';
import { thickReconstruction, thickSliceFactor, thickSliceFlags, thickSliceVolume } from '../../src/dataset/reconstruction.ts';

/** 2×1×5 volume, slice z holds [10z, 10z + 1] (HU). */
function vol(direction: Mat3 = IDENTITY_DIRECTION): Volume<Int16Array> {
  const data = new Int16Array(10);
  for (let z = 0; z < 5; z++) { data[2 * z] = 10 * z; data[2 * z + 1] = 10 * z + 1; }
  return { data, dims: [2, 1, 5], spacingMm: [0.5, 0.5, 2], originMm: [1, 2, 3], direction, source: { format: 'dicom', sliceCount: 5, pseudoHu: false }, warnings: [] };
}

test('thickSliceFactor: the most slices whose total stays within the target', () => {
  assert.equal(thickSliceFactor(2, 5), 2); // 4 mm
  assert.equal(thickSliceFactor(2.5, 5), 2); // exactly 5 mm
  assert.equal(thickSliceFactor(1.25, 5), 4); // 5 mm
  assert.equal(thickSliceFactor(0.625, 5), 8);
  assert.equal(thickSliceFactor(3, 5), 1); // 6 mm would exceed: none
  assert.equal(thickSliceFactor(5, 5), 1);
  assert.throws(() => thickSliceFactor(0, 5), RangeError);
});

test('thickSliceVolume: means of k slices, remainder dropped, rounded for integer data', () => {
  const t = thickSliceVolume(vol(), 2);
  assert.deepEqual(t.dims, [2, 1, 2]);
  assert.ok(t.data instanceof Int16Array);
  // slabs {0,1} and {2,3}: (0+10)/2 = 5, (1+11)/2 = 6; (20+30)/2 = 25, (21+31)/2 = 26; slice 4 dropped
  assert.deepEqual([...t.data], [5, 6, 25, 26]);
  assert.deepEqual(t.spacingMm, [0.5, 0.5, 4]);
  assert.equal(t.source.sliceCount, 2);
  assert.match(t.warnings.at(-1) ?? '', /means of 2 slices \(4\.00 mm\) from 2\.00 mm/);
  // k = 3: one slab of slices 0..2: (0+10+20)/3 = 10, (1+11+21)/3 = 11
  assert.deepEqual([...thickSliceVolume(vol(), 3).data], [10, 11]);
  // Math.round: (0+10+20+30)/4 = 15, (1+11+21+31)/4 = 16
  assert.deepEqual([...thickSliceVolume(vol(), 4).data], [15, 16]);
  assert.equal(thickSliceVolume(vol(), 1).dims[2], 5);
  assert.throws(() => thickSliceVolume(vol(), 6), RangeError);
  assert.throws(() => thickSliceVolume(vol(), 1.5), RangeError);
});

test('thickSliceVolume: a slab sits at the mean position of its slices, also with a flipped slice axis', () => {
  for (const direction of [IDENTITY_DIRECTION, [1, 0, 0, 0, -1, 0, 0, 0, -1] as Mat3]) {
    const v = vol(direction);
    const t = thickSliceVolume(v, 2);
    for (const j of [0, 1]) {
      const a = voxelToPatient(v, [0, 0, 2 * j]), b = voxelToPatient(v, [0, 0, 2 * j + 1]);
      const mid = a.map((x, i) => (x + b[i]) / 2);
      assert.deepEqual(voxelToPatient(t, [0, 0, j]), mid);
    }
  }
  // hand-computed: identity, origin z 3, slices at 3, 5 → slab 0 at z 4; flipped: 3, 1 → 2
  assert.deepEqual(thickSliceVolume(vol(), 2).originMm, [1, 2, 4]);
  assert.deepEqual(thickSliceVolume(vol([1, 0, 0, 0, -1, 0, 0, 0, -1]), 2).originMm, [1, 2, 2]);
});

test('thickSliceVolume keeps float data unrounded', () => {
  const v = { ...vol(), data: Float32Array.from([0, 1, 1, 2, 0, 0, 0, 0, 0, 0]) };
  assert.deepEqual([...thickSliceVolume(v, 2).data], [0.5, 1.5, 0, 0]);
});

test('thickSliceFlags: a slab is flagged when any of its slices is', () => {
  assert.deepEqual(thickSliceFlags([false, true, false, false, true], 2), [true, false]);
  assert.deepEqual(thickSliceFlags([false, false, false], 3), [false]);
  assert.deepEqual(thickSliceFlags([true], 1), [true]);
});

test('thickReconstruction: the ≤ 5 mm reading with its k and name, or null when already thick or too short', () => {
  const thin = { ...vol(), data: new Int16Array(2 * 6), dims: [2, 1, 6] as [number, number, number] }; // 6 × 2 mm
  const r = thickReconstruction(thin);
  assert.ok(r);
  assert.deepEqual([r.k, r.name, r.volume.dims[2], r.volume.spacingMm[2]], [2, 'thick-4.0mm', 3, 4]);
  assert.equal(thickReconstruction(vol()), null); // 5 × 2 mm → 2 slabs, fewer than 3
  assert.equal(thickReconstruction({ ...thin, spacingMm: [0.5, 0.5, 3] }), null); // 3 mm: two would be 6 mm
});
