import { test } from 'node:test';
import assert from 'node:assert/strict';
import { label3d } from '../../src/lung/morphology.ts';
import { labelRuns, paintRuns } from '../../src/lung/run-labels.ts';

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
