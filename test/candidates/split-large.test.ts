import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitLargeCandidates } from '../../src/candidates/split-large.ts';
import { voxelBoxToMm } from '../../src/core/geometry.ts';
import type { Candidate, CandidateSet } from '../../src/candidates/types.ts';
import type { Box3, Mat3, Vec3 } from '../../src/core/volume.ts';

const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** 10 mm voxels: one voxel is 1 mL, so volumes and sides are easy to check by hand. */
function grid(dims: Vec3) {
  return { dims, originMm: [0, 0, 0] as Vec3, spacingMm: [10, 10, 10] as Vec3, direction: IDENTITY };
}

/** A candidate set from a label volume, boxes and counts measured here (ids in the labels). */
function setFrom(labels: Uint32Array, dims: Vec3, ids: number[]): CandidateSet {
  const g = grid(dims);
  const candidates: Candidate[] = ids.map((id) => {
    const min: [number, number, number] = [Infinity, Infinity, Infinity];
    const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
    const sum = [0, 0, 0];
    let n = 0;
    for (let z = 0; z < dims[2]; z++) for (let y = 0; y < dims[1]; y++) for (let x = 0; x < dims[0]; x++) {
      if (labels[x + dims[0] * (y + dims[1] * z)] !== id) continue;
      const p = [x, y, z];
      for (let a = 0; a < 3; a++) {
        min[a] = Math.min(min[a], p[a]);
        max[a] = Math.max(max[a], p[a]);
        sum[a] += p[a];
      }
      n++;
    }
    const box: Box3 = { min, max };
    return { id, boxVoxels: box, boxMm: voxelBoxToMm(g, box), centroidVoxel: [sum[0] / n, sum[1] / n, sum[2] / n], centreSliceZ: Math.round((min[2] + max[2]) / 2), voxelCount: n, volumeMl: n };
  });
  return { generator: 'classical', candidates, labels, dims, componentsBeforeFilter: ids.length, warnings: [], timingsMs: {} };
}

test('splitLargeCandidates: a 100 mm strip becomes two 50 mm sub-cubes; a small region stays whole (hand-checked)', () => {
  // 10×4×1 grid, 10 mm voxels. Region 1: x 0–9, y 0–1 (100 × 20 mm, 20 mL). Region 2: x 0–1, y 3 (2 mL).
  const dims: Vec3 = [10, 4, 1];
  const labels = new Uint32Array(40);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 10; x++) labels[x + 10 * y] = 1;
  labels[30] = 2;
  labels[31] = 2;
  const input = setFrom(labels, dims, [1, 2]);
  const before = labels.slice();
  const r = splitLargeCandidates(input, { grid: grid(dims), maxSideMm: 50 });
  // 100 mm / 50 mm = 2 tiles along x, x 0–4 and 5–9, 10 voxels each; ties keep tile order
  assert.equal(r.candidates.length, 3);
  assert.deepEqual(r.candidates.map((c) => [c.id, c.boxVoxels.min, c.boxVoxels.max, c.voxelCount, c.volumeMl, c.centreSliceZ]), [
    [1, [0, 0, 0], [4, 1, 0], 10, 10, 0],
    [2, [5, 0, 0], [9, 1, 0], 10, 10, 0],
    [3, [0, 3, 0], [1, 3, 0], 2, 2, 0],
  ]);
  assert.deepEqual(r.candidates[0].centroidVoxel, [2, 0.5, 0]);
  assert.deepEqual(r.candidates[1].boxMm.sizeMm, [50, 20, 10]);
  // labels follow the new ids
  assert.equal(r.labels[0], 1);
  assert.equal(r.labels[4 + 10], 1);
  assert.equal(r.labels[5], 2);
  assert.equal(r.labels[9 + 10], 2);
  assert.equal(r.labels[30], 3);
  assert.equal(r.labels[20], 0);
  assert.match(r.warnings.join(' '), /1 candidate region\(s\) larger than 50 mm split into 2 sub-cubes/);
  // pure: the input is untouched
  assert.deepEqual(input.labels, before);
  assert.equal(input.candidates[0].voxelCount, 20);
});

test('splitLargeCandidates: a 30 mm side is not split at maxSideMm 50, but is at 20 (ceil(30/20) = 2 tiles of 2 and 1 voxels)', () => {
  const dims: Vec3 = [3, 1, 1];
  const labels = Uint32Array.from([1, 1, 1]);
  const whole = splitLargeCandidates(setFrom(labels, dims, [1]), { grid: grid(dims), maxSideMm: 50 });
  assert.equal(whole.candidates.length, 1);
  assert.deepEqual(whole.candidates[0].boxVoxels, { min: [0, 0, 0], max: [2, 0, 0] });
  // tiles start at floor(0·3/2) = 0 and floor(1·3/2) = 1: x 0 and x 1–2
  const split = splitLargeCandidates(setFrom(labels, dims, [1]), { grid: grid(dims), maxSideMm: 20 });
  assert.deepEqual(split.candidates.map((c) => [c.boxVoxels.min[0], c.boxVoxels.max[0], c.voxelCount]), [[1, 2, 2], [0, 0, 1]]);
  assert.deepEqual([...split.labels], [2, 1, 1]);
});

test('splitLargeCandidates: fringe tiles under minTileMl are dropped and their voxels unlabelled', () => {
  // L shape: x 0–5 on y 0 (6 voxels) plus (5, 1): tiles along x (60 mm / 30 mm = 2): x 0–2 → 3 voxels, x 3–5 → 4 voxels
  // y extent 20 mm stays one tile. With minTileMl 3.5 (4 voxels) the first tile is a fringe.
  const dims: Vec3 = [6, 2, 1];
  const labels = new Uint32Array(12);
  for (let x = 0; x < 6; x++) labels[x] = 1;
  labels[5 + 6] = 1;
  const r = splitLargeCandidates(setFrom(labels, dims, [1]), { grid: grid(dims), maxSideMm: 30, minTileMl: 3.5 });
  assert.equal(r.candidates.length, 1);
  assert.deepEqual(r.candidates[0].boxVoxels, { min: [3, 0, 0], max: [5, 1, 0] });
  assert.equal(r.candidates[0].voxelCount, 4);
  assert.deepEqual([...r.labels], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1]);
  assert.match(r.warnings.join(' '), /1 fringe tile\(s\) under 3.5 mL dropped/);
});

test('splitLargeCandidates: tiles along z get their own box and centre slice (the middle of the tight box)', () => {
  // a 1×1×12 column, 120 mm tall → 3 tiles at z 0–3, 4–7, 8–11. The middle tile holds z 4 and 6 only:
  // tight box z 4–6, centre slice 5; the first tile z 0–3 → round(1.5) = 2; the last z 8–11 → round(9.5) = 10.
  const dims: Vec3 = [1, 1, 12];
  const labels = new Uint32Array(12);
  for (const z of [0, 1, 2, 3, 4, 6, 8, 9, 10, 11]) labels[z] = 1;
  const r = splitLargeCandidates(setFrom(labels, dims, [1]), { grid: grid(dims), maxSideMm: 50, minTileMl: 1 });
  assert.deepEqual(r.candidates.map((c) => [c.boxVoxels.min[2], c.boxVoxels.max[2], c.centreSliceZ, c.voxelCount]), [
    [0, 3, 2, 4],
    [8, 11, 10, 4],
    [4, 6, 5, 2],
  ]);
  assert.deepEqual([...r.labels], [1, 1, 1, 1, 3, 0, 3, 0, 2, 2, 2, 2]);
});

test('splitLargeCandidates: maxCandidates keeps the largest pieces and says so; bad maxSideMm throws', () => {
  const dims: Vec3 = [10, 1, 1];
  const labels = new Uint32Array(10).fill(1);
  labels[9] = 0;
  const set = setFrom(labels, dims, [1]);
  // 90 mm box → 2 tiles x 0–3 (4 voxels) and 4–8 (5 voxels)
  const r = splitLargeCandidates(set, { grid: grid(dims), maxSideMm: 50, maxCandidates: 1 });
  assert.deepEqual(r.candidates.map((c) => [c.boxVoxels.min[0], c.boxVoxels.max[0]]), [[4, 8]]);
  assert.deepEqual([...r.labels], [0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
  assert.match(r.warnings.join(' '), /kept the 1 largest/);
  assert.throws(() => splitLargeCandidates(set, { grid: grid(dims), maxSideMm: 0 }), /maxSideMm must be > 0/);
});

test('reuseLabels rewrites the labels in place to exactly what the pure call returns', () => {
  const dims: Vec3 = [40, 30, 20];
  const labels = new Uint32Array(dims[0] * dims[1] * dims[2]);
  // candidate 1: a 36 × 24 × 16 slab (split at 20 mm), candidate 2: a small cube (kept whole), with ids chosen so that new ids collide with old ones
  for (let z = 2; z < 18; z++) for (let y = 3; y < 27; y++) for (let x = 2; x < 38; x++) labels[x + dims[0] * (y + dims[1] * z)] = 2;
  for (let z = 0; z < 2; z++) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) labels[x + dims[0] * (y + dims[1] * z)] = 1;
  const set = setFrom(labels, dims, [2, 1]);
  const pure = splitLargeCandidates(set, { grid: grid(dims), maxSideMm: 20, minTileMl: 0.001 });
  assert.ok(pure.candidates.length > 2, 'the slab was split');
  const inPlace = splitLargeCandidates(setFrom(labels.slice(), dims, [2, 1]), { grid: grid(dims), maxSideMm: 20, minTileMl: 0.001, reuseLabels: true });
  assert.deepEqual(inPlace.candidates, pure.candidates);
  assert.deepEqual(Array.from(inPlace.labels), Array.from(pure.labels));
});

test('splitLargeCandidates with the generator\'s hysteresis seed: a sub-cube without a voxel at the seed is dropped (hand-checked)', () => {
  // the 100 mm strip of the first test (x 0–9, y 0–1) splits into x 0–4 and x 5–9; the map peaks at 0.9 only at x = 7
  const dims: Vec3 = [10, 4, 1];
  const labels = new Uint32Array(40);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 10; x++) labels[x + 10 * y] = 1;
  const set = setFrom(labels, dims, [1]);
  const data = new Float32Array(40).fill(0.4);
  data[7] = 0.9;
  const region: Box3 = { min: [0, 0, 0], max: [9, 3, 0] };
  const unseeded = splitLargeCandidates({ ...set, probability: { data, region } }, { grid: grid(dims), minTileMl: 1 });
  assert.equal(unseeded.candidates.length, 2);
  const seeded = splitLargeCandidates({ ...set, probability: { data, region }, seedThreshold: 0.85 }, { grid: grid(dims), minTileMl: 1 });
  assert.deepEqual(seeded.candidates.map((c) => [c.boxVoxels.min[0], c.boxVoxels.max[0], c.voxelCount]), [[5, 9, 10]]);
  // the dropped half leaves the label volume too
  assert.equal(seeded.labels[0], 0);
  assert.equal(seeded.labels[7], 1);
  assert.match(seeded.warnings.join(' '), /1 without a voxel at the seed probability 0\.85 dropped/);
  // no map: the seed cannot be applied and nothing is dropped
  assert.equal(splitLargeCandidates({ ...set, seedThreshold: 0.85 }, { grid: grid(dims), minTileMl: 1 }).candidates.length, 2);
});

test('splitLargeCandidates with interleaved candidates whose boxes overlap: every piece is exactly its labelled voxels, in place as pure', () => {
  // two combs through the same 30 × 20 × 6 box (candidate 3 on even x, candidate 1 on odd x, split at
  // 100 mm into 3 × 2 × 1 tiles), a small candidate 2 inside both boxes, kept whole; new ids collide with old ones
  const dims: Vec3 = [32, 22, 8];
  const [nx, ny] = dims;
  const labels = new Uint32Array(nx * ny * dims[2]);
  for (let z = 1; z < 7; z++) for (let y = 1; y < 21; y++) for (let x = 1; x < 31; x++) labels[x + nx * (y + ny * z)] = x % 2 === 0 ? 3 : (y + z) % 3 === 0 ? 0 : 1;
  for (let z = 3; z < 5; z++) for (let x = 10; x < 13; x++) labels[x + nx * (10 + ny * z)] = 2;
  const input = setFrom(labels.slice(), dims, [3, 1, 2]);
  const opts = { grid: grid(dims), maxSideMm: 100, minTileMl: 1 };
  const pure = splitLargeCandidates(input, opts);
  const inPlace = splitLargeCandidates(setFrom(labels.slice(), dims, [3, 1, 2]), { ...opts, reuseLabels: true });
  assert.deepEqual(inPlace.candidates, pure.candidates);
  assert.deepEqual(Array.from(inPlace.labels), Array.from(pure.labels));
  assert.equal(pure.candidates.length, 13, '6 tiles of each comb + the small one');
  // each output id: its voxels in the output labels are its count, tight box and centroid (brute force)
  const measured = setFrom(pure.labels, dims, pure.candidates.map((c) => c.id));
  for (const [k, c] of pure.candidates.entries()) {
    const m = measured.candidates[k];
    assert.equal(c.voxelCount, m.voxelCount, `id ${c.id}`);
    assert.deepEqual(c.boxVoxels, m.boxVoxels, `id ${c.id}`);
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(c.centroidVoxel[a] - m.centroidVoxel[a]) < 1e-9, `id ${c.id} axis ${a}`);
  }
  // nothing lost: every input voxel keeps a label (no fringe tile here), nothing outside the input's
  const before = labels.reduce((a, v) => a + (v ? 1 : 0), 0);
  assert.equal(pure.labels.reduce((a, v) => a + (v ? 1 : 0), 0), before);
  for (let i = 0; i < labels.length; i++) if (labels[i] === 0) assert.equal(pure.labels[i], 0);
  // the small candidate's 6 voxels keep one id
  assert.equal(new Set([10, 11, 12].flatMap((x) => [3, 4].map((z) => pure.labels[x + nx * (10 + ny * z)]))).size, 1);
});
