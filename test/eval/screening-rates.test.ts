import assert from 'node:assert/strict';
import { test } from 'node:test';
import { screeningRates } from '../../src/eval/screening-rates.ts';

const inf = ['covid19', 'other_pneumonia'];

test('not screened and indeterminate cases are misses: 4 COVID (2 right, 1 indeterminate, 1 not screened), 3 negatives (1 right)', () => {
  const r = screeningRates({
    infectionLabels: inf,
    resamples: 0,
    cases: [
      { label: 'covid19', predicted: 'covid19' },
      { label: 'covid19', predicted: 'covid19' },
      { label: 'covid19', predicted: 'indeterminate' },
      { label: 'covid19', predicted: 'not_screened' },
      { label: 'other_pneumonia', predicted: 'covid19' },
      { label: 'no_infection_found', predicted: 'no_infection_found' },
      { label: 'no_infection_found', predicted: 'not_screened' },
      { label: 'no_infection_found', predicted: 'other_pneumonia' },
    ],
  });
  assert.deepEqual([r.primarySensitivity.label, r.primarySensitivity.numerator, r.primarySensitivity.denominator, r.primarySensitivity.value], ['covid19', 2, 4, 0.5]);
  // infected: 4 covid + 1 other; decided any infection type: 2 covid + the other one → 3/5
  assert.deepEqual([r.infectionSensitivity.numerator, r.infectionSensitivity.denominator], [3, 5]);
  assert.deepEqual([r.noInfectionSpecificity.numerator, r.noInfectionSpecificity.denominator], [1, 3]);
  assert.equal(r.notScreened, 2);
  assert.equal(r.indeterminate, 1);
  assert.deepEqual(r.outcomes.covid19, { covid19: 2, indeterminate: 1, not_screened: 1 });
  assert.equal(r.ece, null);
  assert.equal(r.primarySensitivity.ci95, null);
});

test('ECE of P(infected), top-label, by hand: P 0.9 (infected), 0.2 (not), 0.7 (not) in 10 bins', () => {
  const r = screeningRates({
    infectionLabels: inf,
    resamples: 0,
    cases: [
      { label: 'covid19', predicted: 'covid19', infectionProbability: 0.9 },
      { label: 'no_infection_found', predicted: 'no_infection_found', infectionProbability: 0.2 },
      { label: 'no_infection_found', predicted: 'covid19', infectionProbability: 0.7 },
    ],
  });
  // confidences 0.9 (correct), 0.8 (correct), 0.7 (wrong): each alone in its bin → (0.1 + 0.2 + 0.7)/3
  assert.ok(Math.abs(r.ece!.value - 1 / 3) < 1e-12, String(r.ece!.value));
});

test('bootstrap intervals are seeded and bracket the estimate', () => {
  const cases = Array.from({ length: 20 }, (_, i) => ({ label: i < 10 ? 'covid19' : 'no_infection_found', predicted: i < 8 ? 'covid19' : i < 10 ? 'no_infection_found' : i < 19 ? 'no_infection_found' : 'covid19' }));
  const a = screeningRates({ infectionLabels: inf, cases, resamples: 500, seed: 7 });
  const b = screeningRates({ infectionLabels: inf, cases, resamples: 500, seed: 7 });
  assert.deepEqual(a, b);
  assert.equal(a.primarySensitivity.value, 0.8);
  assert.equal(a.noInfectionSpecificity.value, 0.9);
  const [lo, hi] = a.primarySensitivity.ci95!;
  assert.ok(lo < 0.8 && 0.8 < hi && lo >= 0 && hi <= 1, `${lo}–${hi}`);
});
