import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDENTITY_DIRECTION, voxelToPatient, type Mat3, type Volume } from '../../src/core/volume.ts';
import { axialSlab, planPartialSlabs, thickReconstruction, thickSliceFactor, thickSliceFlags, thickSliceVolume } from '../../src/dataset/reconstruction.ts';

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

test('planPartialSlabs: 40 mm slabs every 20 mm, infected from 6 mm of labelled slices, clean only 10 mm clear of any', () => {
  // 2 mm slices: slabs of 20 slices every 10; ≥ 3 infected slices; clean needs 5 clear slices on each side
  const flags = new Array<boolean>(80).fill(false);
  for (const z of [22, 23, 24]) flags[z] = true; // 3 infected slices
  flags[45] = true; // one lone labelled slice
  const slabs = planPartialSlabs(flags, 2);
  // z0 = 0 … 60 (60 + 20 = 80 fits)
  assert.deepEqual(slabs.map((s) => [s.z0, s.slices, s.infectedSlices, s.truth]), [
    [0, 20, 0, 'ambiguous'], // slices 0–19 hold none, but slice 22 lies within 5 slices of the slab
    [10, 20, 3, 'infected'], // 22–24
    [20, 20, 3, 'infected'],
    [30, 20, 1, 'ambiguous'], // 45 alone: too little to call infected, too much to call clean
    [40, 20, 1, 'ambiguous'],
    [50, 20, 0, 'ambiguous'], // 45 is 5 slices before it
    [60, 20, 0, 'clean'],
  ]);
  assert.equal(slabs[1].name, 'slab-40mm-z10');
  // a clean CT: every slab clean
  assert.ok(planPartialSlabs(new Array<boolean>(60).fill(false), 2).every((s) => s.truth === 'clean'));
  // 2.5 mm: 16 slices every 8, ≥ 3 infected (ceil 2.4), margin 4
  const f = new Array<boolean>(40).fill(false);
  f[30] = f[31] = true;
  assert.deepEqual(planPartialSlabs(f, 2.5).map((s) => [s.z0, s.infectedSlices, s.truth]), [[0, 0, 'clean'], [8, 0, 'clean'], [16, 2, 'ambiguous'], [24, 2, 'ambiguous']]);
  // shorter than a slab and two strides: none (the slab would be most of the CT)
  assert.deepEqual(planPartialSlabs(new Array<boolean>(39).fill(false), 2), []);
  assert.throws(() => planPartialSlabs(flags, 0), RangeError);
});

test('axialSlab: the slices, the origin moved along the slice direction, the rest of the geometry kept', () => {
  const s = axialSlab(vol(), 1, 3);
  assert.deepEqual(s.dims, [2, 1, 3]);
  assert.deepEqual([...s.data], [10, 11, 20, 21, 30, 31]);
  assert.deepEqual(s.spacingMm, [0.5, 0.5, 2]);
  assert.equal(s.source.sliceCount, 3);
  // voxel (0,0,0) of the slab is voxel (0,0,1) of the CT, also along a flipped slice axis
  assert.deepEqual(voxelToPatient(s, [0, 0, 0]), voxelToPatient(vol(), [0, 0, 1]));
  const flipped: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, -1];
  assert.deepEqual(voxelToPatient(axialSlab(vol(flipped), 2, 2), [1, 0, 1]), voxelToPatient(vol(flipped), [1, 0, 3]));
  assert.match(s.warnings.at(-1) ?? '', /partial slab: slices 2–4 of 5/);
  assert.throws(() => axialSlab(vol(), 3, 3), RangeError);
  assert.throws(() => axialSlab(vol(), -1, 2), RangeError);
});
