import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClassSpec } from '../../src/core/classes.ts';
import { ModelError } from '../../src/core/errors.ts';
import { voteRegion } from '../../src/decide/vote.ts';

// Paper order of classes (§2.4): COVID-19, Influenza-A viral pneumonia, irrelevant-to-infection.
const spec: ClassSpec = {
  labels: ['covid19', 'other_pneumonia', 'irrelevant'],
  infectionLabels: ['covid19', 'other_pneumonia'],
  irrelevantLabel: 'irrelevant',
};
const patches = (...ps: number[][]) => ps.map((probabilities) => ({ probabilities }));

test('two patches of one type: the most confident of them wins, even over a more confident third patch (§2.6.1 rule 1)', () => {
  const v = voteRegion(patches([0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]), spec);
  assert.equal(v.label, 'covid19');
  assert.equal(v.labelIndex, 0);
  assert.equal(v.confidence, 0.7);
  assert.equal(v.patchIndex, 1);
  assert.equal(v.rule, 'majority');
  assert.equal(v.kept, true);
  assert.deepEqual(v.patchLabels, ['covid19', 'covid19', 'irrelevant']);
  assert.deepEqual(v.patchConfidences, [0.6, 0.7, 0.8]);
});

test('three patches of one type: the most confident wins', () => {
  const v = voteRegion(patches([0.1, 0.5, 0.4], [0.05, 0.9, 0.05], [0.3, 0.6, 0.1]), spec);
  assert.deepEqual([v.label, v.confidence, v.patchIndex, v.rule], ['other_pneumonia', 0.9, 1, 'majority']);
});

test('three different types: the single most confident patch wins (§2.6.1 rule 2); irrelevant region is dropped', () => {
  const v = voteRegion(patches([0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]), spec);
  assert.deepEqual([v.label, v.confidence, v.patchIndex, v.rule, v.kept], ['irrelevant', 0.7, 2, 'most-confident', false]);
});

test('equal confidences across patches: the earlier patch wins', () => {
  const v = voteRegion(patches([0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.2, 0.2, 0.6]), spec);
  assert.deepEqual([v.label, v.confidence, v.patchIndex, v.rule], ['covid19', 0.6, 0, 'most-confident']);
});

test('equal probabilities within a patch: the earlier class in spec order is its type', () => {
  // patch 0 → covid19 (0.45 = 0.45), patch 1 → other_pneumonia (0.45 = 0.45), patch 2 → other_pneumonia 0.5
  const v = voteRegion(patches([0.45, 0.45, 0.1], [0.1, 0.45, 0.45], [0.2, 0.5, 0.3]), spec);
  assert.deepEqual(v.patchLabels, ['covid19', 'other_pneumonia', 'other_pneumonia']);
  assert.deepEqual([v.label, v.confidence, v.patchIndex, v.rule], ['other_pneumonia', 0.5, 2, 'majority']);
});

test('N = 1 (edge slice): the one patch decides', () => {
  const v = voteRegion(patches([0.2, 0.7, 0.1]), spec);
  assert.deepEqual([v.label, v.confidence, v.patchIndex, v.rule], ['other_pneumonia', 0.7, 0, 'most-confident']);
});

test('N = 2: same type → majority; different types → most confident', () => {
  const same = voteRegion(patches([0.6, 0.2, 0.2], [0.8, 0.1, 0.1]), spec);
  assert.deepEqual([same.label, same.confidence, same.rule], ['covid19', 0.8, 'majority']);
  const diff = voteRegion(patches([0.6, 0.2, 0.2], [0.1, 0.1, 0.8]), spec);
  assert.deepEqual([diff.label, diff.confidence, diff.rule, diff.kept], ['irrelevant', 0.8, 'most-confident', false]);
});

test('N = 4 with a 2 + 2 tie: the most confident patch among the tied types wins', () => {
  const v = voteRegion(patches([0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.55, 0.15]), spec);
  assert.deepEqual([v.label, v.confidence, v.patchIndex, v.rule], ['other_pneumonia', 0.8, 2, 'majority']);
});

test('N = 5 with 3 + 2: the plurality type wins over more confident patches of the other', () => {
  const v = voteRegion(patches([0.5, 0.3, 0.2], [0.5, 0.4, 0.1], [0.4, 0.3, 0.3], [0.05, 0.9, 0.05], [0.05, 0.9, 0.05]), spec);
  assert.deepEqual([v.label, v.confidence, v.patchIndex, v.rule], ['covid19', 0.5, 0, 'majority']);
});

test('generic class list: irrelevant first, three infection types, nothing assumed about order', () => {
  const four: ClassSpec = { labels: ['none', 'flu', 'covid', 'bacterial'], infectionLabels: ['flu', 'covid', 'bacterial'], irrelevantLabel: 'none' };
  const v = voteRegion(patches([0.1, 0.1, 0.1, 0.7], [0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.2, 0.6]), four);
  assert.deepEqual([v.label, v.labelIndex, v.confidence, v.patchIndex, v.kept], ['bacterial', 3, 0.7, 0, true]);
  const irr = voteRegion(patches([0.9, 0.05, 0.03, 0.02]), four);
  assert.deepEqual([irr.label, irr.kept], ['none', false]);
});

test('classifier output that does not match the model card is a ModelError naming the patch and the problem', () => {
  assert.throws(() => voteRegion(patches([0.5, 0.5]), spec, 'region 7'), (e: unknown) => e instanceof ModelError && /region 7 patch 0: classifier gave 2 probabilities but the model card lists 3 classes/.test(e.message));
  assert.throws(() => voteRegion(patches([0.5, 0.5, 0], [Number.NaN, 0.5, 0.5]), spec), (e: unknown) => e instanceof ModelError && /patch 1: probability of 'covid19' is NaN/.test(e.message));
  assert.throws(() => voteRegion(patches([2, -0.5, -0.5]), spec), (e: unknown) => e instanceof ModelError && /is 2; expected a number in \[0, 1\]/.test(e.message));
  assert.throws(() => voteRegion(patches([0.5, 0.5, 0.5]), spec), (e: unknown) => e instanceof ModelError && /sum to 1.5/.test(e.message));
  assert.throws(() => voteRegion([], spec), /has no patch predictions/);
});

test('float32 softmax round-off (sum 1 ± 1e-7, value 1 + 1e-7) is accepted and clamped', () => {
  const v = voteRegion(patches([1 + 1e-7, 0, 0]), spec);
  assert.equal(v.confidence, 1);
});
