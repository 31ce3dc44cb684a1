import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClassSpec } from '../../src/core/classes.ts';
import { INDETERMINATE, NO_INFECTION_FOUND } from '../../src/core/report-schema.ts';
import { callCase, caseInfectionProbability, decideCalibrated, logit, regionInfectionEvidence, regionInfectionProbability, sigmoid, type CaseDecisionModel } from '../../src/decide/calibrated.ts';
import type { PatchPrediction } from '../../src/decide/types.ts';

const spec: ClassSpec = { labels: ['covid19', 'other_pneumonia', 'irrelevant'], infectionLabels: ['covid19', 'other_pneumonia'], irrelevantLabel: 'irrelevant' };
const p = (...probabilities: number[]): PatchPrediction => ({ probabilities });
const near = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

/** Identity region calibration; case P = σ(−2 + 1·logit(max p) + 1·ln(1 + mL)); infected ≥ 0.7, none < 0.3. */
const model: CaseDecisionModel = {
  id: 'test-decision',
  version: '1.0.0',
  region: { slope: 1, intercept: 0 },
  case: { intercept: -2, maxRegionLogit: 1, lesionLog1pMl: 1 },
  operatingPoint: { infectedAtOrAbove: 0.7, noInfectionBelow: 0.3 },
};

test('logit and sigmoid are inverse and clamp at ε so no region gives ±Infinity', () => {
  near(sigmoid(0), 0.5);
  near(sigmoid(Math.log(3)), 0.75);
  near(logit(0.75), Math.log(3));
  near(logit(0), Math.log(1e-4 / (1 - 1e-4)));
  near(logit(1), -logit(0));
  near(sigmoid(-800), 0);
  near(sigmoid(800), 1);
});

test('region evidence q = 1 − mean P(irrelevant): patches irrelevant 0.2, 0.4, 0.6 → q = 0.6', () => {
  near(regionInfectionEvidence([p(0.7, 0.1, 0.2), p(0.5, 0.1, 0.4), p(0.3, 0.1, 0.6)], spec), 0.6, 1e-12);
  // slope 2, intercept −1: σ(2·logit(0.6) − 1) = σ(2·ln 1.5 − 1) = 2.25/(2.25 + e) = 0.452868…
  const pr = regionInfectionProbability([p(0.7, 0.1, 0.2), p(0.5, 0.1, 0.4), p(0.3, 0.1, 0.6)], spec, { region: { slope: 2, intercept: -1 } });
  near(pr, 2.25 / (2.25 + Math.E), 1e-12);
});

test('case probability by hand: max p 0.75, 1.718… mL → σ(−2 + ln 3 + 1) = 3/(3 + e)', () => {
  near(caseInfectionProbability(0.75, Math.E - 1, model), 3 / (3 + Math.E), 1e-12);
  assert.throws(() => caseInfectionProbability(0.5, -1, model), /lesion volume -1 mL/);
});

test('one weak false-positive region among many irrelevant ones is no infection (the paper would say infected)', () => {
  const regions = [[p(0.3, 0.1, 0.6), p(0.2, 0.1, 0.7), p(0.25, 0.05, 0.7)], ...Array.from({ length: 40 }, () => [p(0.05, 0.05, 0.9), p(0.05, 0.05, 0.9), p(0.05, 0.05, 0.9)])];
  const d = decideCalibrated({ regions, spec, model, lesionMl: 0 });
  // max q = 1 − (0.6 + 0.7 + 0.7)/3 = 1/3; P = σ(−2 + ln(0.5)) = 0.5/(0.5 + e²) = 0.0634…
  near(d.features.maxRegionProbability, 1 / 3, 1e-12);
  near(d.infectionProbability, 0.5 / (0.5 + Math.E ** 2), 1e-12);
  assert.equal(d.label, NO_INFECTION_FOUND);
  near(d.confidence!, 1 - d.infectionProbability, 1e-15);
  assert.equal(d.regionProbabilities.length, 41);
});

test('strong evidence is infected of the type with most weighted mass; confidence = P · P(type | infected)', () => {
  // region A: irrelevant 0.05 everywhere (q = 0.95), covid 0.8 / other 0.15 → m = (0.8, 0.15)/0.95
  // region B: q = 0.5, covid 0.1 / other 0.4 → m = (0.2, 0.8)
  const A = [p(0.8, 0.15, 0.05), p(0.8, 0.15, 0.05), p(0.8, 0.15, 0.05)];
  const B = [p(0.1, 0.4, 0.5), p(0.1, 0.4, 0.5), p(0.1, 0.4, 0.5)];
  const d = decideCalibrated({ regions: [A, B], spec, model, lesionMl: 20 });
  const massCovid = 0.95 * (0.8 / 0.95) + 0.5 * 0.2;
  const massOther = 0.95 * (0.15 / 0.95) + 0.5 * 0.8;
  near(d.typeProbabilities.covid19, massCovid / (massCovid + massOther), 1e-12);
  near(d.typeProbabilities.other_pneumonia, massOther / (massCovid + massOther), 1e-12);
  const P = sigmoid(-2 + Math.log(0.95 / 0.05) + Math.log(21));
  near(d.infectionProbability, P, 1e-12);
  assert.equal(d.label, 'covid19');
  near(d.confidence!, P * d.typeProbabilities.covid19, 1e-12);
});

test('between the thresholds the case is indeterminate, with no confidence and a warning for the clinician', () => {
  // q = 0.5 → P = σ(−2 + 0 + ln(1 + mL)); mL = e² − 1 → P = 0.5
  const d = decideCalibrated({ regions: [[p(0.3, 0.2, 0.5)]], spec, model, lesionMl: Math.E ** 2 - 1 });
  near(d.infectionProbability, 0.5, 1e-12);
  assert.equal(d.label, INDETERMINATE);
  assert.equal(d.confidence, null);
  assert.match(d.warnings[0], /indeterminate: the calibrated infection probability 50 % lies between the operating thresholds 30 % and 70 %/);
});

test('strong-region rule: a "no infection" P with a region beyond the lesion-free CTs is indeterminate, a weaker one is not', () => {
  const strong = { ...model, strongRegion: { indeterminateAtOrAbove: 0.8, minLesionMl: 0.5 } };
  // with intercept −2, q = 0.9 and 0 mL give P = 9/(9 + e²) = 0.549 (indeterminate anyway): −5 makes it "no infection"
  const low = { ...strong, case: { ...strong.case, intercept: -5 } };
  // q = 0.9, 0.5 mL → P = σ(−5 + ln 9 + ln 1.5) = 13.5/(13.5 + e⁵) = 0.0834… < 0.3, 0.9 ≥ 0.8 and 0.5 mL ≥ 0.5: indeterminate
  const d = decideCalibrated({ regions: [[p(0.6, 0.3, 0.1)]], spec, model: low, lesionMl: 0.5 });
  near(d.infectionProbability, 13.5 / (13.5 + Math.E ** 5), 1e-12);
  assert.equal(d.label, INDETERMINATE);
  assert.equal(d.confidence, null);
  assert.match(d.warnings[0], /lesion mask is small \(0\.5 mL\), but one region scores 90 % infection, beyond any lesion-free CT the decision was fitted on \(≥ 80 %\)/);
  // q = 0.75 < 0.8: no infection as before
  const w = decideCalibrated({ regions: [[p(0.5, 0.25, 0.25)]], spec, model: low, lesionMl: 0.5 });
  assert.equal(w.label, NO_INFECTION_FOUND);
  // the strong region with less lesion mask than the floor (a few stray voxels): no infection
  assert.equal(decideCalibrated({ regions: [[p(0.6, 0.3, 0.1)]], spec, model: low, lesionMl: 0.4 }).label, NO_INFECTION_FOUND);
  // without the rule (1.0.0–4.0.0 cards), the strong region is no infection
  assert.equal(decideCalibrated({ regions: [[p(0.6, 0.3, 0.1)]], spec, model: { ...low, strongRegion: undefined }, lesionMl: 0 }).label, NO_INFECTION_FOUND);
  // an infected P is not touched by it
  assert.equal(decideCalibrated({ regions: [[p(0.6, 0.3, 0.1)]], spec, model: strong, lesionMl: 20 }).label, 'covid19');
});

test('dependent-lung rule: an infected P with most of its lesion mask along the dependent pleura is indeterminate', () => {
  const dep = { ...model, dependentRule: { bandMm: 10, fractionAtOrAbove: 0.75 } };
  const A = [p(0.8, 0.15, 0.05), p(0.8, 0.15, 0.05), p(0.8, 0.15, 0.05)];
  let asked = 0;
  const at = (fraction: number, assumedSupine = false) => (bandMm: number) => {
    asked++;
    assert.equal(bandMm, 10);
    return { fraction, assumedSupine };
  };
  // P = σ(−2 + logit 0.95 + ln 21) ≥ 0.7: infected unless the mask lies along the dependent pleura
  const d = decideCalibrated({ regions: [A], spec, model: dep, lesionMl: 20, dependentFraction: at(0.8, true) });
  assert.equal(d.label, INDETERMINATE);
  assert.equal(d.confidence, null);
  near(d.features.dependentLesionFraction!, 0.8, 1e-15);
  assert.match(d.warnings[0], /80 % of the lesion mask lies within 10 mm of the dependent posterior pleura \(the patient assumed supine: no PatientPosition\) \(≥ 75 %\)/);
  // below the share: infected as before
  assert.equal(decideCalibrated({ regions: [A], spec, model: dep, lesionMl: 20, dependentFraction: at(0.7) }).label, 'covid19');
  // the thunk is not called when P does not call the case infected
  asked = 0;
  assert.equal(decideCalibrated({ regions: [[p(0.05, 0.05, 0.9)]], spec, model: dep, lesionMl: 0, dependentFraction: at(1) }).label, NO_INFECTION_FOUND);
  assert.equal(asked, 0);
  // no side (decubitus) or no mask: the rule does not apply; without the rule (cards up to 5.0.0) neither
  assert.equal(decideCalibrated({ regions: [A], spec, model: dep, lesionMl: 20, dependentFraction: () => null }).label, 'covid19');
  assert.equal(decideCalibrated({ regions: [A], spec, model, lesionMl: 20, dependentFraction: at(1) }).label, 'covid19');
});

test('no regions: type probabilities are uniform and the case has no infection', () => {
  const d = decideCalibrated({ regions: [], spec, model, lesionMl: 0 });
  assert.deepEqual(d.typeProbabilities, { covid19: 0.5, other_pneumonia: 0.5 });
  assert.equal(d.label, NO_INFECTION_FOUND);
});

test('an operating point with the lower threshold above the upper one is refused', () => {
  assert.throws(() => decideCalibrated({ regions: [], spec, model: { ...model, operatingPoint: { infectedAtOrAbove: 0.3, noInfectionBelow: 0.7 } }, lesionMl: 0 }), /0 ≤ noInfectionBelow ≤ infectedAtOrAbove ≤ 1/);
});

test('callCase: each label with its reason, the rules applied in order', () => {
  const m = { operatingPoint: { infectedAtOrAbove: 0.7, noInfectionBelow: 0.3 }, strongRegion: { indeterminateAtOrAbove: 0.8, minLesionMl: 0.5 }, dependentRule: { bandMm: 10, fractionAtOrAbove: 0.75 } };
  const base = { maxRegionProbability: 0.9, lesionMl: 1, typeProbabilities: { covid19: 0.6, other_pneumonia: 0.4 }, types: spec.infectionLabels, model: m };
  const call = (o: Partial<Parameters<typeof callCase>[0]>) => {
    const r = callCase({ ...base, P: 0.5, ...o });
    return [r.label, r.why];
  };
  assert.deepEqual(call({ P: 0.8 }), ['covid19', 'infected']);
  assert.deepEqual(call({ P: 0.8, dependentFraction: () => ({ fraction: 0.75, assumedSupine: false }) }), [INDETERMINATE, 'dependent']);
  assert.deepEqual(call({ P: 0.8, dependentFraction: () => ({ fraction: 0.74, assumedSupine: false }) }), ['covid19', 'infected']);
  assert.deepEqual(call({ P: 0.5 }), [INDETERMINATE, 'between']);
  assert.deepEqual(call({ P: 0.1 }), [INDETERMINATE, 'strong-region']);
  assert.deepEqual(call({ P: 0.1, maxRegionProbability: 0.79 }), [NO_INFECTION_FOUND, 'no-infection']);
  assert.deepEqual(call({ P: 0.1, lesionMl: 0.4 }), [NO_INFECTION_FOUND, 'no-infection']);
  // a held-out fold's type threshold: covid19 only at a share ≥ 0.7, so 0.6 is typed other
  assert.deepEqual(call({ P: 0.8, model: { ...m, typeRule: { primary: 'covid19', primaryAtOrAbove: 0.7 } } }), ['other_pneumonia', 'infected']);
});
