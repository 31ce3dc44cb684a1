import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.ts';
import { IDENTITY_DIRECTION, type Volume } from '../../src/core/volume.ts';
import { quantifyLungs } from '../../src/lung/quantify.ts';

// 2 × 1 × 6 volume, voxels 10 × 10 × 10 mm = 1 mL; column x=0 right lung, x=1 left lung on slices 0–5
function volume(): Volume<Int16Array> {
  const data = Int16Array.from([
    -1000, -900, // z0
    -800, -600, // z1
    -700, -300, // z2
    -500, -100, // z3
    -980, 50, // z4
    -850, -200, // z5
  ]);
  return { data, dims: [2, 1, 6], spacingMm: [10, 10, 10], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION, source: { format: 'synthetic', sliceCount: 6, pseudoHu: false }, warnings: [] };
}
const mask = Uint8Array.from([1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);

test('volumes, mean HU and HU-band fractions per lung (hand-computed)', () => {
  const s = quantifyLungs(volume(), mask);
  assert.equal(s.right.volumeMl, 6);
  assert.equal(s.left.volumeMl, 6);
  assert.equal(s.total.voxels, 12);
  // right: -1000,-800,-700,-500,-980,-850 → mean -805
  assert.equal(s.right.meanHu, -805);
  // bands [-1050,-950): -1000,-980 → 2/6; [-950,-750): -800,-850 → 2/6; [-750,-400): -700,-500 → 2/6; [-400,0): none
  assert.deepEqual(s.right.bands.map((b) => b.fraction), [2 / 6, 2 / 6, 2 / 6, 0]);
  // left: -900 | -600 | -300,-100,-200 | 50 outside every band
  assert.deepEqual(s.left.bands.map((b) => b.fraction), [0, 1 / 6, 1 / 6, 3 / 6]);
  assert.equal(s.right.lesion, undefined);
});

test('lesion percentage per lung and per third of the lung height (+z is superior)', () => {
  // lesions: right on z0 and z5; left on z2 and z3
  const lesion = new Uint8Array(12);
  lesion[0] = 1; lesion[10] = 1; lesion[5] = 1; lesion[7] = 1;
  const s = quantifyLungs(volume(), mask, { lesionMask: lesion });
  assert.equal(s.right.lesion?.percent, (100 * 2) / 6);
  assert.equal(s.left.lesion?.volumeMl, 2);
  // slice centres z = 0…50 mm: lower third t < 1/3 → z0, z1; middle → z2, z3; upper → z4, z5
  assert.deepEqual(s.right.lesion?.thirds, { lower: 50, middle: 0, upper: 50 });
  assert.deepEqual(s.left.lesion?.thirds, { lower: 0, middle: 100, upper: 0 });
  assert.equal(s.total.lesion?.percent, 100 * 4 / 12);
});

test('a mask on another grid is a user error naming both sizes', () => {
  assert.throws(() => quantifyLungs(volume(), new Uint8Array(5)), (e: unknown) => e instanceof InputError && /5 voxels.*2×1×6/.test(e.message));
});

test('integer HU (the histogram path) give exactly the numbers of the per-voxel path (the same HU as Float32)', () => {
  // 8 × 4 × 5 random HU over the whole int16 range's interesting part, a random 0/1/2 mask and lesions
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const n = 8 * 4 * 5;
  const data = Int16Array.from({ length: n }, () => Math.round(-1100 + 1400 * rand()));
  const lung = Uint8Array.from({ length: n }, () => (rand() < 0.3 ? 0 : rand() < 0.5 ? 1 : 2));
  const lesion = Uint8Array.from({ length: n }, () => (rand() < 0.2 ? 1 : 0));
  const v: Volume<Int16Array> = { data, dims: [8, 4, 5], spacingMm: [0.7, 0.7, 2.5], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION, source: { format: 'synthetic', sliceCount: 5, pseudoHu: false }, warnings: [] };
  const asFloat = { ...v, data: Float32Array.from(data) } as unknown as Volume;
  assert.deepEqual(quantifyLungs(v, lung, { lesionMask: lesion }), quantifyLungs(asFloat, lung, { lesionMask: lesion }));
  assert.deepEqual(quantifyLungs(v, lung), quantifyLungs(asFloat, lung));
  // the band edges themselves (−950, −750, −400 belong to the band above; 0 to none)
  const edges = Int16Array.from([-1050, -951, -950, -751, -750, -401, -400, -1, 0, -1051]);
  const e: Volume<Int16Array> = { ...v, data: edges, dims: [10, 1, 1], source: { ...v.source, sliceCount: 1 } };
  const s = quantifyLungs(e, new Uint8Array(10).fill(1));
  assert.deepEqual(s.right.bands.map((b) => b.fraction * 10), [2, 2, 2, 2]);
});
