/**
 * Reproduces the seed paper's evaluation tables from its own confusion matrices (Xu et al. 2020, §3.3).
 * Every number asserted here is what the arithmetic actually gives; where the paper differs, the
 * comment says how and the test asserts the true value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationReport, type ClassificationReport } from '../../src/eval/metrics.ts';

const f3 = (x: number) => x.toFixed(3);
/** [recall, precision, f1] of each class, rounded to 3 decimals as the paper prints them. */
const rows = (r: ClassificationReport) => r.perClass.map((m) => [f3(m.recall), f3(m.precision), f3(m.f1)]);
const meanF1 = (r: ClassificationReport, classes: number) => r.perClass.slice(0, classes).reduce((a, m) => a + m.f1, 0) / classes;

// Table 1: patch level, rows actual / columns predicted, COVID-19, IAVP, ITI.
const T1_M1 = { labels: ['covid19', 'iavp', 'iti'], matrix: [[260, 47, 50], [55, 276, 59], [75, 81, 807]] };
const T1_M2 = { labels: ['covid19', 'iavp', 'iti'], matrix: [[273, 32, 52], [46, 280, 64], [77, 82, 804]] };
// Table 3: region level after the vote (the paper's header says "IAMP", a typo for IAVP).
const T3 = { labels: ['covid19', 'iavp', 'iti'], matrix: [[97, 15, 7], [18, 98, 14], [5, 2, 314]] };
// Table 5: case level after Noisy-OR; NIF = no infection found.
const T5 = { labels: ['covid19', 'iavp', 'nif'], matrix: [[26, 3, 1], [4, 25, 1], [2, 1, 27]] };

test('Table 1 totals match the text of §3.3.3 and §3.3.4 (357 / 390 / 963 patches, 1,710 = 3 × 570)', () => {
  for (const cm of [T1_M1, T1_M2]) {
    const r = classificationReport(cm);
    assert.deepEqual(r.perClass.map((m) => m.support), [357, 390, 963]);
    assert.equal(r.total, 1710);
  }
  const r3 = classificationReport(T3);
  assert.deepEqual(r3.perClass.map((m) => m.support), [119, 130, 321]);
  assert.equal(r3.total, 570);
});

test('Table 1 → Table 2, model M1 (ResNet)', () => {
  assert.deepEqual(rows(classificationReport(T1_M1)), [
    ['0.728', '0.667', '0.696'],
    ['0.708', '0.683', '0.695'],
    ['0.838', '0.881', '0.859'],
  ]);
});

test('Table 1 → Table 2, model M2 (ResNet + location attention)', () => {
  assert.deepEqual(rows(classificationReport(T1_M2)), [
    ['0.765', '0.689', '0.725'],
    ['0.718', '0.711', '0.714'],
    ['0.835', '0.874', '0.854'],
  ]);
});

test('§3.3.3: average F1 of M1 and M2 are 0.750 and 0.764 (macro F1 over the three classes)', () => {
  const m1 = classificationReport(T1_M1);
  const m2 = classificationReport(T1_M2);
  assert.equal(f3(m1.macro.f1), '0.750'); // 0.75010
  assert.equal(f3(m2.macro.f1), '0.764'); // 0.76445
});

test('Table 3 → Table 4; the paper prints COVID-19 F1 as 0.811 where the exact value is 0.812', () => {
  const r = classificationReport(T3);
  // Exact F1 of COVID-19 = 2·97 / (2·97 + 23 + 22) = 194/239 = 0.81172 → 0.812. The paper's 0.811 is
  // the harmonic mean of the already rounded recall 0.815 and precision 0.808 (= 0.81148). All other
  // entries agree with the exact values.
  assert.deepEqual(rows(r), [
    ['0.815', '0.808', '0.812'],
    ['0.754', '0.852', '0.800'],
    ['0.978', '0.937', '0.957'],
  ]);
  assert.equal(r.perClass[0].f1, 194 / 239);
  const fromRounded = (2 * 0.815 * 0.808) / (0.815 + 0.808);
  assert.equal(f3(fromRounded), '0.811');
});

test('§3.3.4: region-level average F1 is 0.856; its "improvement of 12.1 %" over the patch level is really 12.0 %', () => {
  const r3 = classificationReport(T3);
  const m2 = classificationReport(T1_M2);
  const m1 = classificationReport(T1_M1);
  assert.equal(f3(r3.macro.f1), '0.856'); // 0.85634
  // Relative gain over M2 (the model used from here on): 0.85634 / 0.76445 − 1 = 0.1202 → 12.0 %.
  // From the rounded averages: 0.856 / 0.764 − 1 = 0.1204 → 12.0 %. Over M1 it would be 14.2 %, and
  // the absolute gain is 9.2 points. No reading gives 12.1 %, so the paper's figure is off by 0.1 point.
  assert.equal((r3.macro.f1 / m2.macro.f1 - 1).toFixed(3), '0.120');
  assert.equal((0.856 / 0.764 - 1).toFixed(3), '0.120');
  assert.equal((r3.macro.f1 / m1.macro.f1 - 1).toFixed(3), '0.142');
  assert.equal((r3.macro.f1 - m2.macro.f1).toFixed(3), '0.092');
});

test('Table 5 → Table 6 (case level after Noisy-OR)', () => {
  assert.deepEqual(rows(classificationReport(T5)), [
    ['0.867', '0.813', '0.839'], // precision 26/32 = 0.8125 exactly, printed 0.813 (round half up)
    ['0.833', '0.862', '0.847'],
    ['0.900', '0.931', '0.915'],
  ]);
});

test('§3.3.5: overall case accuracy 86.7 % (78 / 90)', () => {
  const r = classificationReport(T5);
  assert.equal(r.correct, 78);
  assert.equal(r.total, 90);
  assert.equal((100 * r.accuracy).toFixed(1), '86.7');
});

test('§3.3.5: average F1 of the two infection types goes 0.806 → 0.843; the "promotion of 4.7 %" is really 4.6 %', () => {
  const regions = classificationReport(T3);
  const cases = classificationReport(T5);
  const before = meanF1(regions, 2); // (0.81172 + 0.80000) / 2 = 0.80586
  const after = meanF1(cases, 2); // (0.83871 + 0.84746) / 2 = 0.84308
  assert.equal(f3(before), '0.806');
  assert.equal(f3(after), '0.843');
  // Relative gain: 0.84308 / 0.80586 − 1 = 0.0462 → 4.6 % (from the rounded values 0.843 / 0.806 − 1 =
  // 0.0459 → 4.6 %); the absolute gain is 3.7 points. The paper's 4.7 % matches neither.
  assert.equal((after / before - 1).toFixed(3), '0.046');
  assert.equal((0.843 / 0.806 - 1).toFixed(3), '0.046');
  assert.equal((after - before).toFixed(3), '0.037');
});
