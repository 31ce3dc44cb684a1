import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balancedWeights, chooseOperatingPoint, fitLogistic, leaveOneGroupOut, predictLogistic } from '../../src/train/logistic.ts';

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

test('operating point: separable 0.1, 0.2 | 0.8, 0.9 → threshold 0.5 (logit midpoint), band ±1 logit', () => {
  const op = chooseOperatingPoint({ p: [0.1, 0.2, 0.8, 0.9], y: [0, 0, 1, 1], bandLogit: 1 });
  near(op.threshold, 0.5);
  near(op.noInfectionBelow, sig(-1));
  near(op.infectedAtOrAbove, sig(1));
  near(op.youden, 1);
  assert.throws(() => chooseOperatingPoint({ p: [0.1], y: [0], bandLogit: 1 }), /needs cases of both outcomes/);
});
