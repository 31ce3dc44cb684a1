import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClassSpec } from '../../src/core/classes.ts';
import { NO_INFECTION_FOUND, decideCase, displayNameOf, noisyOr, noisyOrLogComplement } from '../../src/decide/noisy-or.ts';
import { decide } from '../../src/decide/decide.ts';

const spec: ClassSpec = {
  labels: ['covid19', 'other_pneumonia', 'irrelevant'],
  infectionLabels: ['covid19', 'other_pneumonia'],
  irrelevantLabel: 'irrelevant',
  displayNames: { covid19: 'COVID-19', other_pneumonia: 'Other viral pneumonia' },
};
const r = (label: string, confidence: number) => ({ label, confidence });
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);
const score = (d: ReturnType<typeof decideCase>, label: string) => d.scores.find((s) => s.label === label)!;

test('Noisy-OR by hand (§2.6.2 eq. 1)', () => {
  assert.equal(noisyOr([]), 0);
  assert.equal(noisyOr([0.5]), 0.5);
  close(noisyOr([0.5, 0.5]), 0.75); // the paper's motivating example: two 50 % regions → 75 %
  close(noisyOr([0.2, 0.5, 0.9]), 1 - 0.8 * 0.5 * 0.1); // 0.96
  assert.equal(noisyOr([1, 0.3]), 1);
  assert.equal(noisyOrLogComplement([1, 0.3]), -Infinity);
  assert.throws(() => noisyOr([0.5, 1.2]), /probability 1 is 1.2/);
});

test('Noisy-OR keeps precision: tiny P_i are not lost and 1000 regions do not underflow', () => {
  // naive 1 − (1 − 1e-20)² is exactly 0 in doubles; the log1p sum gives 2e-20
  close(noisyOr([1e-20, 1e-20]), 2e-20, 1e-32);
  // 1 − 0.999^1000 = 0.632304575229035955… (50-digit decimal arithmetic)
  close(noisyOr(new Array(1000).fill(0.001)), 0.63230457522903596, 1e-13);
});

test('no regions → no infection found, no confidence exported', () => {
  const d = decideCase([], spec);
  assert.equal(d.label, NO_INFECTION_FOUND);
  assert.equal(d.rule, 'no-infection');
  assert.equal(d.confidence, null);
  assert.deepEqual(d.scores.map((s) => [s.label, s.regionCount, s.noisyOr, s.exportedConfidence]), [['covid19', 0, 0, 0], ['other_pneumonia', 0, 0, 0]]);
  assert.equal(displayNameOf(d.label, spec), 'No infection found');
});

test('all regions irrelevant → dropped, no infection found (§2.6.1 last sentence, §2.6.2 rule 1)', () => {
  const d = decideCase([r('irrelevant', 0.99), r('irrelevant', 0.6), r('irrelevant', 0.7)], spec);
  assert.deepEqual([d.label, d.rule, d.keptRegionCount, d.droppedRegionCount], [NO_INFECTION_FOUND, 'no-infection', 0, 3]);
});

test('one infection type present → its P exported directly (§2.6.2 rule 2)', () => {
  const d = decideCase([r('covid19', 0.8), r('irrelevant', 0.9)], spec);
  assert.deepEqual([d.label, d.rule, d.confidence, d.keptRegionCount, d.droppedRegionCount], ['covid19', 'single-type', 0.8, 1, 1]);
  assert.equal(score(d, 'other_pneumonia').exportedConfidence, 0);
  const two = decideCase([r('other_pneumonia', 0.5), r('other_pneumonia', 0.5)], spec);
  assert.deepEqual([two.label, two.rule], ['other_pneumonia', 'single-type']);
  close(two.confidence!, 0.75);
});

test('both types present → softmax of the P values (§2.6.2 rule 3, eq. 2)', () => {
  // P_covid = 1 − 0.5·0.5 = 0.75, P_other = 0.6; S_covid = e^0.75 / (e^0.75 + e^0.6) = 1 / (1 + e^−0.15)
  const d = decideCase([r('covid19', 0.5), r('other_pneumonia', 0.6), r('covid19', 0.5), r('irrelevant', 0.95)], spec);
  assert.deepEqual([d.label, d.rule, d.tie], ['covid19', 'softmax', false]);
  close(score(d, 'covid19').noisyOr, 0.75);
  close(score(d, 'other_pneumonia').noisyOr, 0.6);
  close(d.confidence!, 1 / (1 + Math.exp(-0.15))); // 0.53743
  close(score(d, 'other_pneumonia').exportedConfidence, 1 / (1 + Math.exp(0.15)));
  assert.equal(d.scores.map((s) => s.regionCount).join(), '2,1');
});

test('a region with P_i = 1 makes its type P = 1 without NaN', () => {
  // P_covid = 1, P_other = 0.9 → S_covid = 1 / (1 + e^−0.1)
  const d = decideCase([r('covid19', 1), r('covid19', 0.3), r('other_pneumonia', 0.9)], spec);
  assert.equal(score(d, 'covid19').noisyOr, 1);
  assert.equal(score(d, 'covid19').logComplement, -Infinity);
  close(d.confidence!, 1 / (1 + Math.exp(-0.1)));
  assert.equal(d.label, 'covid19');
});

test('exact tie → first infection type, flagged, with a warning', () => {
  const d = decideCase([r('other_pneumonia', 0.5), r('covid19', 0.5)], spec);
  assert.deepEqual([d.label, d.tie, d.confidence], ['covid19', true, 0.5]);
  assert.match(d.warnings[0], /covid19 and other_pneumonia have the same Noisy-OR confidence/);
  const ones = decideCase([r('other_pneumonia', 1), r('covid19', 1)], spec);
  assert.deepEqual([ones.label, ones.tie], ['covid19', true]);
});

test('1000 + 1000 regions: both P round to 1, the type with more evidence (smaller 1 − P) still wins', () => {
  const regions = [...new Array(1000).fill(r('other_pneumonia', 0.4)), ...new Array(1000).fill(r('covid19', 0.5))];
  const d = decideCase(regions, spec);
  assert.equal(score(d, 'covid19').noisyOr, 1);
  assert.equal(score(d, 'other_pneumonia').noisyOr, 1);
  close(score(d, 'covid19').logComplement, 1000 * Math.log(0.5), 1e-9); // −693.147
  close(score(d, 'other_pneumonia').logComplement, 1000 * Math.log(0.6), 1e-9); // −510.826
  assert.deepEqual([d.label, d.tie, d.confidence], ['covid19', false, 0.5]);
  assert.match(d.warnings[0], /both round to 1/);
});

test('1000 weak regions of one type outweigh one stronger region of the other', () => {
  // P_covid = 1 − 0.999^1000 = 0.63230, P_other = 0.5 → S_covid = 1 / (1 + e^−0.13230)
  const d = decideCase([...new Array(1000).fill(r('covid19', 0.001)), r('other_pneumonia', 0.5)], spec);
  assert.equal(d.label, 'covid19');
  close(d.confidence!, 1 / (1 + Math.exp(-(0.63230457522903596 - 0.5))), 1e-12);
});

test('three infection types: softmax only over types that have regions; a type with none exports 0', () => {
  const three: ClassSpec = { labels: ['a', 'b', 'c', 'irr'], infectionLabels: ['a', 'b', 'c'], irrelevantLabel: 'irr' };
  const d = decideCase([r('a', 0.6), r('b', 0.3), r('irr', 0.9)], three);
  assert.deepEqual(d.scores.map((s) => s.label), ['a', 'b', 'c']);
  close(d.confidence!, 1 / (1 + Math.exp(-0.3))); // e^0.6 / (e^0.6 + e^0.3)
  assert.equal(d.scores[2].exportedConfidence, 0);
  close(d.scores[0].exportedConfidence + d.scores[1].exportedConfidence, 1);
});

test('bad inputs are refused with the region named', () => {
  assert.throws(() => decideCase([r('covid19', 0.5), r('covid19', 1.5)], spec), /region 1 has confidence 1.5/);
  assert.throws(() => decideCase([r('flu', 0.5)], spec), /region 0 has label 'flu', not among covid19, other_pneumonia, irrelevant/);
  const reserved: ClassSpec = { labels: ['a', NO_INFECTION_FOUND], infectionLabels: ['a'], irrelevantLabel: NO_INFECTION_FOUND };
  assert.throws(() => decideCase([], reserved), /reserved for the case decision/);
});

test('decide(): votes then Noisy-OR, irrelevant regions kept in the votes but out of the decision', () => {
  const { votes, decision } = decide({
    spec,
    regions: [
      [{ probabilities: [0.6, 0.3, 0.1] }, { probabilities: [0.7, 0.2, 0.1] }, { probabilities: [0.1, 0.1, 0.8] }], // covid 0.7
      [{ probabilities: [0.1, 0.1, 0.8] }, { probabilities: [0.1, 0.2, 0.7] }, { probabilities: [0.3, 0.6, 0.1] }], // irrelevant
      [{ probabilities: [0.2, 0.5, 0.3] }], // other 0.5
    ],
  });
  assert.deepEqual(votes.map((v) => [v.label, v.kept]), [['covid19', true], ['irrelevant', false], ['other_pneumonia', true]]);
  assert.deepEqual([decision.label, decision.rule, decision.keptRegionCount, decision.droppedRegionCount], ['covid19', 'softmax', 2, 1]);
  close(decision.confidence!, 1 / (1 + Math.exp(-0.2))); // e^0.7 / (e^0.7 + e^0.5)
  assert.throws(() => decide({ spec, regions: [[{ probabilities: [0.5, 0.5, 0] }], [{ probabilities: [1] }]] }), /region 1 patch 0/);
});
