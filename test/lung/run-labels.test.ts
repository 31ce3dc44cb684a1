import { test } from 'node:test';
import assert from 'node:assert/strict';
import { label3d } from '../../src/core/ndimage/morphology.ts';
import { labelAtLeast, labelRuns, labelThreshold, paintRuns } from '../../src/lung/run-labels.ts';

const grid = (rows: string[]) => Uint8Array.from(rows.join('').split('').map(Number));

test('runs and components of a small image, numbered in scan order', () => {
  const m = grid(['11011', '00001', '10111']);
  const rc = labelRuns(m, 5, 3, 1);
  assert.equal(rc.runs, 5);
  assert.deepEqual([...rc.row], [0, 0, 1, 2, 2]);
  assert.deepEqual([...rc.x0], [0, 3, 4, 0, 2]);
  assert.deepEqual([...rc.x1], [2, 5, 5, 1, 5]);
  assert.deepEqual([...rc.label], [1, 2, 2, 3, 2]);
  assert.equal(rc.count, 3);
  assert.deepEqual([...rc.sizes], [0, 2, 6, 1]);
  const out = new Uint8Array(15);
  paintRuns(rc, 5, out, 7, 2);
  assert.deepEqual([...out], [0, 0, 0, 7, 7, 0, 0, 0, 0, 7, 0, 0, 7, 7, 7]);
});

test('diagonal neighbours join only with eight-connectivity, and never between slices', () => {
  const diag = grid(['10', '01']);
  assert.equal(labelRuns(diag, 2, 2, 1).count, 2);
  assert.equal(labelRuns(diag, 2, 2, 1, { eight: true }).count, 1);
  // two 2×1 slices: [1,0] over [1,1] share a face; [1,0] over [0,1] only an edge
  assert.equal(labelRuns(grid(['10', '11']), 2, 1, 2).count, 1);
  assert.equal(labelRuns(grid(['10', '01']), 2, 1, 2, { eight: true }).count, 2);
});

test('value selects the voxels equal to it (0 labels the background)', () => {
  const m = grid(['111', '101', '111']);
  const holes = labelRuns(m, 3, 3, 1, { value: 0 });
  assert.equal(holes.count, 1);
  assert.deepEqual([...holes.sizes], [0, 1]);
  assert.equal(labelRuns(m, 3, 3, 1, { value: 1 }).sizes[1], 8);
});

test('same components, sizes and numbering as the breadth-first label3d on random volumes', () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let t = 0; t < 200; t++) {
    const w = 1 + Math.floor(rnd() * 12), h = 1 + Math.floor(rnd() * 12), d = 1 + Math.floor(rnd() * 5);
    const p = rnd();
    const m = new Uint8Array(w * h * d).map(() => (rnd() < p ? 1 : 0));
    const ref = label3d(m, [w, h, d]);
    const rc = labelRuns(m, w, h, d);
    const got = new Int32Array(m.length);
    for (let i = 0; i < rc.runs; i++) got.fill(rc.label[i], w * rc.row[i] + rc.x0[i], w * rc.row[i] + rc.x1[i]);
    assert.equal(rc.count, ref.count);
    assert.deepEqual([...rc.sizes], [...ref.sizes]);
    assert.deepEqual([...got], [...ref.labels.subarray(0, m.length)]);
  }
});

test('long rows (word-at-a-time skipping), offsets into a larger buffer and float thresholds agree', () => {
  let seed = 777;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let t = 0; t < 60; t++) {
    const w = 1 + Math.floor(rnd() * 40), h = 1 + Math.floor(rnd() * 6), d = 1 + Math.floor(rnd() * 3);
    const n = w * h * d;
    const shift = Math.floor(rnd() * 5);
    // long runs of zeros and ones, so whole 4-byte words are skipped in both states
    const big = new Uint8Array(n + shift + 3);
    let state = 0;
    for (let i = 0; i < n; i++) {
      if (rnd() < 0.1) state ^= 1;
      big[shift + i] = state * (1 + Math.floor(rnd() * 3));
    }
    const hu = Float32Array.from(big.subarray(shift, shift + n), (v) => (v ? -900 : 40));
    const ref = label3d(big.slice(shift, shift + n), [w, h, d]);
    for (const rc of [labelRuns(big, w, h, d, { offset: shift }), labelRuns(big.subarray(shift), w, h, d), labelThreshold(hu, w, h, d, { threshold: -400, below: true })]) {
      assert.equal(rc.count, ref.count);
      assert.deepEqual([...rc.sizes], [...ref.sizes]);
    }
    assert.equal(labelThreshold(hu, w, h, d, { threshold: -400, below: false }).sizes.reduce((a, b) => a + b, 0), n - ref.sizes.reduce((a, b) => a + b, 0));
  }
});

test('labelAtLeast: thresholding a distance map inside given runs equals labelling the thresholded image', () => {
  // a 6 × 3 map; only the runs of row 1 (x 0…5) and row 2 (x 1…3) are searched
  const dist = Uint16Array.from([3, 3, 0, 0, 3, 3, 2, 3, 3, 1, 3, 3, 0, 3, 3, 3, 0, 0]);
  const within = { count: 2, row: Int32Array.from([1, 2]), x0: Int32Array.from([0, 1]), x1: Int32Array.from([6, 4]) };
  const rc = labelAtLeast(dist, 3, 6, 3, 1, within);
  // row 1: x 1–2 and x 4–5 are ≥ 3; row 2: x 1–3 joins the first
  assert.deepEqual([...rc.row], [1, 1, 2]);
  assert.deepEqual([...rc.x0], [1, 4, 1]);
  assert.deepEqual([...rc.x1], [3, 6, 4]);
  assert.deepEqual([...rc.label], [1, 2, 1]);
  assert.deepEqual([...rc.sizes], [0, 5, 2]);
});
