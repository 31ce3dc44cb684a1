import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bootstrapCis,
  checkConfusionMatrix,
  classificationBootstrap,
  classificationReport,
  confusionMatrix,
  expandConfusionMatrix,
  expectedCalibrationError,
  mulberry32,
  oneVsRest,
  oneVsRestAuc,
  quantileSorted,
  rocAuc,
  rocCurve,
} from '../../src/eval/metrics.ts';
import { toCardMetrics } from '../../src/eval/metrics-summary.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

test('two-class report by hand', () => {
  // rows actual, columns predicted: a → [3 a, 1 b], b → [2 a, 4 b]
  const r = classificationReport({ labels: ['a', 'b'], matrix: [[3, 1], [2, 4]] });
  assert.deepEqual([r.total, r.correct, r.accuracy], [10, 7, 0.7]);
  const [a, b] = r.perClass;
  assert.deepEqual([a.tp, a.fp, a.fn, a.tn, a.support, a.predictedCount], [3, 2, 1, 4, 4, 5]);
  assert.deepEqual([b.tp, b.fp, b.fn, b.tn, b.support, b.predictedCount], [4, 1, 2, 3, 6, 5]);
  close(a.precision, 3 / 5);
  close(a.recall, 3 / 4);
  close(a.f1, 2 / 3); // 2·0.6·0.75 / 1.35
  close(a.specificity, 4 / 6);
  close(b.precision, 4 / 5);
  close(b.recall, 4 / 6);
  close(b.f1, 8 / 11);
  close(b.specificity, 3 / 4);
  close(r.macro.f1, (2 / 3 + 8 / 11) / 2);
  close(r.macro.precision, 0.7);
  close(r.weighted.f1, (4 * (2 / 3) + 6 * (8 / 11)) / 10);
  close(r.weighted.recall, 0.7); // support-weighted recall is accuracy
  assert.deepEqual(r.notes, []);
});

test('one class against the rest', () => {
  const cm = { labels: ['a', 'b', 'c'], matrix: [[26, 3, 1], [4, 25, 1], [2, 1, 27]] };
  const a = oneVsRest(cm, 'a');
  assert.deepEqual([a.tp, a.fp, a.fn, a.tn], [26, 6, 4, 54]);
  close(a.sensitivity, 26 / 30);
  close(a.specificity, 54 / 60);
  assert.throws(() => oneVsRest(cm, 'z'), /label 'z' is not among a, b, c/);
});

test('confusion matrix from labels; unknown labels are refused by name', () => {
  const cm = confusionMatrix({ actual: ['x', 'y', 'y', 'x'], predicted: ['x', 'x', 'y', 'x'], labels: ['x', 'y'] });
  assert.deepEqual(cm.matrix, [[2, 0], [1, 1]]);
  assert.throws(() => confusionMatrix({ actual: ['x', 'q'], predicted: ['x', 'x'], labels: ['x', 'y'] }), /case 1: actual label 'q' is not among x, y/);
  assert.throws(() => confusionMatrix({ actual: ['x'], predicted: ['x', 'x'], labels: ['x', 'y'] }), /1 actual labels but 2 predictions/);
});

test('undefined ratios are 0 with a note', () => {
  const r = classificationReport({ labels: ['a', 'b', 'c'], matrix: [[2, 0, 0], [1, 0, 0], [0, 0, 0]] });
  assert.equal(r.perClass[1].precision, 0);
  assert.equal(r.perClass[2].recall, 0);
  assert.match(r.notes.join('\n'), /precision of 'b' is undefined \(never predicted\)/);
  assert.match(r.notes.join('\n'), /recall of 'c' is undefined \(no actual cases\)/);
});

test('malformed confusion matrices are refused', () => {
  assert.throws(() => checkConfusionMatrix({ labels: ['a', 'b'], matrix: [[1, 2]] }), /1 rows but 2 labels/);
  assert.throws(() => checkConfusionMatrix({ labels: ['a', 'b'], matrix: [[1, 2], [3]] }), /row 2 has 1 entries, expected 2/);
  assert.throws(() => checkConfusionMatrix({ labels: ['a', 'b'], matrix: [[1, 2], [3, -1]] }), /entry \(2, 2\) is -1/);
  assert.throws(() => checkConfusionMatrix({ labels: ['a', 'b'], matrix: [[1, 2.5], [3, 1]] }), /entry \(1, 2\) is 2.5/);
  assert.throws(() => checkConfusionMatrix({ labels: ['a', 'a'], matrix: [[1, 2], [3, 1]] }), /not unique/);
});

test('expanding a confusion matrix into cases gives the same matrix back', () => {
  const cm = { labels: ['a', 'b', 'c'], matrix: [[2, 0, 1], [0, 0, 3], [1, 1, 0]] };
  const { actual, predicted } = expandConfusionMatrix(cm);
  assert.equal(actual.length, 8);
  const back = confusionMatrix({ actual: Array.from(actual, (i) => cm.labels[i]), predicted: Array.from(predicted, (i) => cm.labels[i]), labels: cm.labels });
  assert.deepEqual(back.matrix, cm.matrix);
});

test('ROC AUC by hand, ties counted one half', () => {
  // positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5) 1, (0.9>0.1) 1, (0.5=0.5) ½, (0.5>0.1) 1 → 3.5 / 4
  assert.equal(rocAuc([0.9, 0.5, 0.5, 0.1], [true, true, false, false]), 0.875);
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 1);
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [true, true, false, false]), 0);
  assert.equal(rocAuc([0.3, 0.3, 0.3], [true, false, true]), 0.5);
  assert.ok(Number.isNaN(rocAuc([0.3, 0.4], [true, true])));
  assert.throws(() => rocAuc([0.3, Number.NaN], [true, false]), /score 1 is NaN/);
});

test('the trapezoid area under rocCurve equals the mid-rank AUC on tied random scores', () => {
  const rand = mulberry32(7);
  const scores: number[] = [];
  const pos: boolean[] = [];
  for (let i = 0; i < 500; i++) {
    const p = rand() < 0.4;
    pos.push(p);
    scores.push(Math.round((rand() + (p ? 0.3 : 0)) * 10) / 10); // rounding makes many ties
  }
  const c = rocCurve(scores, pos);
  let area = 0;
  for (let i = 1; i < c.thresholds.length; i++) area += ((c.falsePositiveRate[i] - c.falsePositiveRate[i - 1]) * (c.truePositiveRate[i] + c.truePositiveRate[i - 1])) / 2;
  close(area, rocAuc(scores, pos), 1e-12);
  assert.equal(c.truePositiveRate.at(-1), 1);
  assert.equal(c.falsePositiveRate.at(-1), 1);
});

test('one-vs-rest AUC over three classes by hand', () => {
  // 4 cases, actual a, b, c, a
  const r = oneVsRestAuc({
    labels: ['a', 'b', 'c'],
    actual: [0, 1, 2, 0],
    scores: [[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.5, 0.1, 0.4], [0.2, 0.5, 0.3]],
  });
  // a: positives 0.7, 0.2 vs negatives 0.3, 0.5 → (1 + 1 + 0 + 0) / 4 = 0.5
  // b: positive 0.4 vs 0.2, 0.1, 0.5 → 2 / 3;  c: positive 0.4 vs 0.1, 0.3, 0.3 → 1
  assert.deepEqual(r.perClass.map((p) => p.auc), [0.5, 2 / 3, 1]);
  close(r.macro, (0.5 + 2 / 3 + 1) / 3);
  assert.throws(() => oneVsRestAuc({ labels: ['a', 'b'], actual: [0], scores: [[1]] }), /case 0 has 1 scores, expected 2/);
});

test('mulberry32 is the reference generator (values from an independent 32-bit Python implementation)', () => {
  const r = mulberry32(1);
  assert.deepEqual([r(), r(), r()], [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  const s = mulberry32(42);
  assert.deepEqual([s(), s(), s()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
});

test('quantiles interpolate linearly (type 7)', () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([10, 20], 0.25), 12.5);
  assert.equal(quantileSorted([5], 0.975), 5);
});

test('bootstrap: deterministic per seed, a constant statistic has a zero-width interval', () => {
  const stat = (s: Int32Array) => ({ mean: s.reduce((a, i) => a + i, 0) / s.length, one: 1 });
  const a = bootstrapCis({ n: 20, statistics: stat, resamples: 200, seed: 3 });
  const b = bootstrapCis({ n: 20, statistics: stat, resamples: 200, seed: 3 });
  const c = bootstrapCis({ n: 20, statistics: stat, resamples: 200, seed: 4 });
  assert.deepEqual(a, b);
  assert.notEqual(a.mean.low, c.mean.low);
  assert.deepEqual([a.one.low, a.one.high, a.one.estimate], [1, 1, 1]);
  assert.equal(a.mean.estimate, 9.5);
  assert.ok(a.mean.low < 9.5 && a.mean.high > 9.5);
  assert.throws(() => bootstrapCis({ n: 0, statistics: stat }), /at least one case/);
});

test('bootstrap CI of the paper\'s 86.7 % case accuracy matches the binomial quantiles it should converge to', () => {
  // Resampling 90 cases with 78 correct makes the bootstrap accuracy Binomial(90, 78/90) / 90, whose
  // 2.5 % and 97.5 % quantiles are 71/90 = 0.789 and 84/90 = 0.933 (exact binomial CDF). With 2000
  // resamples the percentiles should fall within about one case of them.
  const { actual, predicted } = expandConfusionMatrix({ labels: ['c', 'i', 'n'], matrix: [[26, 3, 1], [4, 25, 1], [2, 1, 27]] });
  const ci = classificationBootstrap({ actual, predicted, labels: ['c', 'i', 'n'], resamples: 2000, seed: 1 });
  close(ci.accuracy.estimate, 78 / 90);
  close(ci.accuracy.low, 71 / 90, 1.5 / 90);
  close(ci.accuracy.high, 84 / 90, 1.5 / 90);
  assert.equal(ci.accuracy.validResamples, 2000);
  assert.ok(ci['c.recall'].low < 26 / 30 && ci['c.recall'].high > 26 / 30);
  assert.ok(ci['macro.f1'].low < ci['macro.f1'].estimate && ci['macro.f1'].estimate < ci['macro.f1'].high);
});

test('expected calibration error and reliability bins by hand', () => {
  // bins of 0.1: [0.9,1] holds 0.95, 0.92 (both right): gap |1 − 0.935| = 0.065
  // [0.8,0.9) 0.85 wrong: 0.85; [0.7,0.8) 0.75 right: 0.25; [0.6,0.7) 0.65 right: 0.35
  // ECE = (2·0.065 + 0.85 + 0.25 + 0.35) / 5 = 0.316; MCE = 0.85
  const r = expectedCalibrationError({ confidences: [0.95, 0.85, 0.75, 0.65, 0.92], correct: [true, false, true, true, true], bins: 10 });
  close(r.ece, 0.316);
  close(r.mce, 0.85);
  assert.equal(r.bins.length, 10);
  assert.deepEqual(r.bins.map((b) => b.count), [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]);
  close(r.bins[9].meanConfidence, 0.935);
  assert.equal(r.bins[9].accuracy, 1);
  assert.ok(Number.isNaN(r.bins[0].accuracy));
});

test('calibration bins are [lower, upper) on the edges they report, with 1 in the last bin', () => {
  // 0.3 · 10 = 3.0000000000000004 and 0.7 · 10 = 7.000000000000001 in doubles; both must land on their own edge
  const r = expectedCalibrationError({ confidences: [0, 0.3, 0.7, 1, 0.1 + 0.2], correct: [true, true, true, true, true] });
  assert.deepEqual(r.bins.map((b) => b.count), [1, 0, 0, 2, 0, 0, 0, 1, 0, 1]);
  // 0.1 + 0.2 = 0.30000000000000004 ≥ 0.3 → bin [0.3, 0.4) too
  // the double just below 0.9 times 10 rounds to exactly 9, yet it belongs in [0.8, 0.9)
  const below = expectedCalibrationError({ confidences: [0.8999999999999999], correct: [false] });
  assert.equal(below.bins[8].count, 1);
  assert.throws(() => expectedCalibrationError({ confidences: [1.2], correct: [true] }), /confidence 0 is 1.2/);
});

test('toCardMetrics gives the model-card table shape keyed by label', () => {
  const card = toCardMetrics(classificationReport({ labels: ['a', 'b'], matrix: [[3, 1], [2, 4]] })) as { labels: string[]; matrix: number[][]; perClass: Record<string, { recall: number; support: number }>; accuracy: number };
  assert.deepEqual(card.labels, ['a', 'b']);
  assert.deepEqual(card.matrix, [[3, 1], [2, 4]]);
  assert.deepEqual(card.perClass.b, { recall: 4 / 6, precision: 4 / 5, f1: 8 / 11, support: 6 });
  assert.equal(card.accuracy, 0.7);
});
