import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lesionRecall, pixelDice, sliceRecall } from '../../src/eval/candidate-recall.ts';
import type { Vec3 } from '../../src/core/volume.ts';

test('lesionRecall: a lesion counts as hit when one voxel is covered; small lesions can be ignored (hand-checked)', () => {
  // one slice, 6×1: truth lesions [0,1] [3] [5]; a candidate covers voxel 1 only
  const dims: Vec3 = [6, 1, 1];
  const truth = Uint8Array.from([1, 1, 0, 1, 0, 1]);
  const cand = Uint32Array.from([0, 7, 0, 0, 0, 0]);
  assert.deepEqual(lesionRecall({ truth, candidates: cand, dims }), { lesions: 3, hit: 1, recall: 1 / 3, missedSizes: [1, 1] });
  // lesions below 2 voxels not counted: only [0,1] remains, and it is hit
  assert.deepEqual(lesionRecall({ truth, candidates: cand, dims, minLesionVoxels: 2 }), { lesions: 1, hit: 1, recall: 1, missedSizes: [] });
  assert.equal(lesionRecall({ truth: new Uint8Array(6), candidates: cand, dims }).recall, null);
});

test('sliceRecall: infected slices with a candidate and clean slices with one (hand-checked)', () => {
  const dims: Vec3 = [2, 1, 4];
  const cand = Uint8Array.from([0, 1, 0, 0, 1, 0, 0, 0]); // candidates on slices 0 and 2
  const r = sliceRecall({ infected: [true, true, false, false], candidates: cand, dims });
  assert.deepEqual(r, { infectedSlices: 2, infectedWithCandidate: 1, recall: 0.5, cleanSlices: 2, cleanWithCandidate: 1 });
  assert.throws(() => sliceRecall({ infected: [true], candidates: cand, dims }), /1 slice labels for 4 slices/);
});

test('pixelDice: 2·|P∩T| / (|P| + |T|)', () => {
  assert.equal(pixelDice(Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([0, 1, 1, 0])), 0.5);
  assert.equal(pixelDice(new Uint8Array(3), new Uint8Array(3)), 1);
});
