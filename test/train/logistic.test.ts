import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balancedWeights, chooseOperatingPoint, chooseTypeThreshold, fitLogistic, leaveOneGroupOut, predictLogistic } from '../../src/train/logistic.ts';
import { chooseInfectionType } from '../../src/decide/calibrated.ts';

const near = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);
const sig = (z: number) => 1 / (1 + Math.exp(-z));

test('intercept only: y = 1, 1, 0 → P = 2/3, intercept ln 2 (the penalty leaves the intercept alone)', () => {
  const f = fitLogistic({ x: [[0], [0], [0]], y: [1, 1, 0], l2: 1 });
  near(f.intercept, Math.log(2));
  near(f.coefficients[0], 0);
});

test('two symmetric points x = ∓1, y = 0/1, l2 = 1: intercept 0 and β solves β = 2σ(−β) (the gradient by hand)', () => {
  const f = fitLogistic({ x: [[-1], [1]], y: [0, 1], l2: 1 });
  near(f.intercept, 0);
  near(f.coefficients[0], 2 * sig(-f.coefficients[0]));
  assert.ok(f.coefficients[0] > 0.67 && f.coefficients[0] < 0.68);
  near(predictLogistic(f, [1]), sig(f.coefficients[0]));
});

test('balanced weights give each class half the total weight', () => {
  assert.deepEqual(balancedWeights([1, 1, 1, 0]), [4 / 6, 4 / 6, 4 / 6, 2]);
});

test('leave-one-group-out: a group is predicted by the fit without it', () => {
  const x = [[-2], [-1], [1], [2]];
  const y = [0, 0, 1, 1];
  const groups = ['a', 'a', 'b', 'c'];
  const p = leaveOneGroupOut({ x, y, groups, l2: 1 });
  // group a held out: the remaining samples are all infected → both predicted above 0.5
  assert.ok(p[0] > 0.5 && p[1] > 0.5);
  const fitB = fitLogistic({ x: [[-2], [-1], [2]], y: [0, 0, 1], weights: balancedWeights([0, 0, 1]), l2: 1 });
  near(p[2], predictLogistic(fitB, [1]));
});

test('leave-one-group-out: evaluate-only samples are predicted by their fold and never fitted on', () => {
  const x = [[-2], [-1], [1], [2], [5], [0.5]];
  const y = [0, 0, 1, 1, 0, 0];
  const groups = ['a', 'a', 'b', 'c', 'b', 'a'];
  const evaluateOnly = [false, false, false, false, true, true];
  const p = leaveOneGroupOut({ x, y, groups, l2: 1, evaluateOnly });
  // the fitted samples get exactly the predictions of the LOPO without the extra samples
  const base = leaveOneGroupOut({ x: x.slice(0, 4), y: y.slice(0, 4), groups: groups.slice(0, 4), l2: 1 });
  base.forEach((v, i) => near(p[i], v));
  // the evaluate-only sample of group b (x 5, a mislabelled outlier) comes from the fold without b …
  const fitB = fitLogistic({ x: [[-2], [-1], [2]], y: [0, 0, 1], weights: balancedWeights([0, 0, 1]), l2: 1 });
  near(p[4], predictLogistic(fitB, [5]));
  // … and group a's from the fold without a
  const fitA = fitLogistic({ x: [[1], [2]], y: [1, 1], weights: balancedWeights([1, 1]), l2: 1 });
  near(p[5], predictLogistic(fitA, [0.5]));
});

test('operating point: separable 0.1, 0.2 | 0.8, 0.9 → threshold 0.5 (logit midpoint), band ±1 logit', () => {
  const op = chooseOperatingPoint({ p: [0.1, 0.2, 0.8, 0.9], y: [0, 0, 1, 1], bandLogit: 1 });
  near(op.threshold, 0.5);
  near(op.noInfectionBelow, sig(-1));
  near(op.infectedAtOrAbove, sig(1));
  near(op.youden, 1);
  assert.throws(() => chooseOperatingPoint({ p: [0.1], y: [0], bandLogit: 1 }), /needs cases of both outcomes/);
});

test('chooseTypeThreshold: the logit middle of the gap that separates the primary type from the others (hand-checked)', () => {
  // primary shares 0.44, 0.8; other 0.3, 0.1: every t in (0.3, 0.44] separates them → logit middle of 0.3 and 0.44
  const r = chooseTypeThreshold([{ share: 0.44, primary: true }, { share: 0.8, primary: true }, { share: 0.3, primary: false }, { share: 0.1, primary: false }]);
  const lg = (p: number) => Math.log(p / (1 - p));
  assert.ok(r);
  assert.equal(r.balancedAccuracy, 1);
  assert.ok(Math.abs(lg(r.threshold) - (lg(0.3) + lg(0.44)) / 2) < 1e-9, `threshold ${r.threshold}`);
  // overlapping: primary 0.4, 0.6; other 0.5
  const o = chooseTypeThreshold([{ share: 0.4, primary: true }, { share: 0.6, primary: true }, { share: 0.5, primary: false }])!;
  // t ≤ 0.4: BA (1 + 0)/2 = 0.5; t in (0.4, 0.5]: (0.5 + 0)/2 = 0.25; t in (0.5, 0.6]: (0.5 + 1)/2 = 0.75; t > 0.6: (0 + 1)/2 = 0.5
  assert.equal(o.balancedAccuracy, 0.75);
  assert.ok(Math.abs(lg(o.threshold) - (lg(0.5) + lg(0.6)) / 2) < 1e-9);
  assert.equal(chooseTypeThreshold([{ share: 0.4, primary: true }]), null);
});

test('chooseInfectionType: the primary type at or above its threshold, else the strongest other; argmax without a rule', () => {
  const types = ['covid19', 'other_pneumonia'];
  const rule = { primary: 'covid19', primaryAtOrAbove: 0.37 };
  assert.equal(chooseInfectionType({ covid19: 0.44, other_pneumonia: 0.56 }, types, rule), 'covid19');
  assert.equal(chooseInfectionType({ covid19: 0.3, other_pneumonia: 0.7 }, types, rule), 'other_pneumonia');
  assert.equal(chooseInfectionType({ covid19: 0.37, other_pneumonia: 0.63 }, types, rule), 'covid19');
  assert.equal(chooseInfectionType({ covid19: 0.44, other_pneumonia: 0.56 }, types), 'other_pneumonia');
  // a rule naming a type the class list does not have is ignored
  assert.equal(chooseInfectionType({ covid19: 0.44, other_pneumonia: 0.56 }, types, { primary: 'influenza', primaryAtOrAbove: 0.1 }), 'other_pneumonia');
});
