import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClassSpec } from '../../src/core/classes.ts';
import { InputError } from '../../src/core/errors.ts';
import {
  CaseReportSchema,
  NOT_A_DIAGNOSTIC_DEVICE_NOTICE,
  NO_INFECTION_FOUND,
  REPORT_SCHEMA_VERSION,
  caseReportJsonSchema,
  createCaseReport,
  describeInput,
  validateCaseReport,
  type CaseReport,
  type CaseReportBody,
} from '../../src/core/report-schema.ts';
import { IDENTITY_DIRECTION, type Volume } from '../../src/core/volume.ts';
import { decide } from '../../src/decide/decide.ts';
import { reportClasses, reportDecision, reportRegion } from '../../src/decide/report-parts.ts';
import type { PatchPrediction } from '../../src/decide/types.ts';

const spec: ClassSpec = {
  labels: ['covid19', 'other_pneumonia', 'irrelevant'],
  infectionLabels: ['covid19', 'other_pneumonia'],
  irrelevantLabel: 'irrelevant',
  displayNames: { covid19: 'COVID-19', other_pneumonia: 'Other pneumonia', irrelevant: 'Irrelevant to infection' },
};

const volume: Pick<Volume, 'dims' | 'spacingMm' | 'originMm' | 'direction' | 'source'> = {
  dims: [64, 64, 40],
  spacingMm: [0.7, 0.7, 5],
  originMm: [-100, -120, -300],
  direction: IDENTITY_DIRECTION,
  source: { format: 'dicom', path: '/home/someone/PATIENT_NAME/ct', sliceCount: 40, pseudoHu: false, modality: 'CT', seriesInstanceUid: '1.2.840.113619.2.55.3 ' },
};

const p = (sliceIndex: number, probabilities: number[], distanceFromEdge?: number): PatchPrediction => ({ sliceIndex, probabilities, distanceFromEdge });

/** Two regions: R1 voted covid19 (kept), R2 voted irrelevant (dropped). */
function body(): CaseReportBody {
  const regions = [
    { box: { min: [10, 12, 4], max: [20, 25, 6] } as const, patches: [p(4, [0.6, 0.3, 0.1], 0.02), p(5, [0.7, 0.2, 0.1], 0.03), p(6, [0.1, 0.1, 0.8], 0.05)] },
    { box: { min: [40, 30, 20], max: [44, 33, 22] } as const, patches: [p(20, [0.1, 0.1, 0.8]), p(21, [0.1, 0.2, 0.7]), p(22, [0.3, 0.6, 0.1])] },
  ];
  const { votes, decision } = decide({ spec, regions: regions.map((r) => r.patches) });
  return {
    input: describeInput(volume),
    classes: reportClasses(spec),
    models: [{ role: 'classifier', id: 'patch-classifier', version: '1' }],
    ...reportDecision(decision, spec),
    regions: regions.map((r, i) => reportRegion({ id: `R${i + 1}`, box: r.box, geometry: volume, patches: r.patches, vote: votes[i], spec, volumeMl: 0.42 })),
    lung: {
      left: { volumeMl: 2100, huBands: [{ label: 'ground-glass', minHu: -700, maxHu: -300, fraction: 0.04 }], involvedPercent: 1.5, thirds: { upper: 0, middle: 2.5, lower: null } },
      right: null,
    },
    warnings: [...decision.warnings],
    timingsMs: { decide: 0.3, total: 1200 },
  };
}

const NOW = new Date('2026-01-02T03:04:05.000Z');
const make = () => createCaseReport(body(), { now: NOW, toolVersion: '0.1.0' });
/** A deep copy to tamper with. */
const copy = (r: CaseReport) => JSON.parse(JSON.stringify(r));

test('a report built from the decision stage validates and survives a JSON round trip', () => {
  const r = make();
  assert.equal(r.schemaVersion, REPORT_SCHEMA_VERSION);
  assert.equal(r.notice, NOT_A_DIAGNOSTIC_DEVICE_NOTICE);
  assert.equal(r.createdAt, '2026-01-02T03:04:05.000Z');
  assert.deepEqual(r.decision, { label: 'covid19', displayName: 'COVID-19', mode: 'paper', rule: 'single-type', confidence: 0.7, tie: false });
  assert.deepEqual(r.paperDecision, { label: 'covid19', displayName: 'COVID-19', rule: 'single-type', confidence: 0.7, tie: false });
  assert.deepEqual(r.infections.map((s) => [s.label, s.regionCount, s.noisyOr, s.exportedConfidence]), [['covid19', 1, 0.7, 0.7], ['other_pneumonia', 0, 0, 0]]);
  assert.deepEqual(r.regions.map((g) => [g.id, g.vote.label, g.kept]), [['R1', 'covid19', true], ['R2', 'irrelevant', false]]);
  assert.deepEqual(r.regions[0].patches[1], { sliceIndex: 5, probabilities: { covid19: 0.7, other_pneumonia: 0.2, irrelevant: 0.1 }, predictedLabel: 'covid19', confidence: 0.7, distanceFromEdge: 0.03 });
  assert.equal(r.regions[1].patches[0].distanceFromEdge, null);
  assert.deepEqual(r.regions[0].slicesUsed, [4, 5, 6]);
  assert.equal(r.regions[0].centreSlice, 5);
  assert.deepEqual(validateCaseReport(JSON.parse(JSON.stringify(r))), r);
});

test('the input description has no path and a trimmed series UID', () => {
  const r = make();
  assert.deepEqual(r.input, { format: 'dicom', dimsVoxels: [64, 64, 40], spacingMm: [0.7, 0.7, 5], sliceCount: 40, pseudoHu: false, modality: 'CT', seriesInstanceUid: '1.2.840.113619.2.55.3' });
  assert.doesNotMatch(JSON.stringify(r), /PATIENT_NAME/);
});

test('patient identifiers or unknown fields are refused anywhere (strict objects)', () => {
  const r = copy(make());
  r.input.patientName = 'DOE^JANE';
  assert.throws(() => validateCaseReport(r, 'report.json'), (e: unknown) => e instanceof InputError && /report.json is not a valid ctscreen case report \(schema 2.0.0\): input: Unrecognized key: "patientName"/.test(e.message));
  const s = copy(make());
  s.regions[0].patches[0].patientId = '123';
  assert.throws(() => validateCaseReport(s), /regions.0.patches.0: Unrecognized key/);
});

test('cross-field checks: decision, labels, counts, boxes and slices must agree', () => {
  const cases: [string, (r: any) => void, RegExp][] = [
    ['decision not an infection label', (r) => (r.paperDecision.label = 'irrelevant'), /paperDecision.label: 'irrelevant' is neither an infection label nor 'no_infection_found'/],
    ['no infection with a confidence', (r) => Object.assign(r.paperDecision, { label: NO_INFECTION_FOUND, rule: 'no-infection' }), /confidence must be null exactly when no infection is found/],
    ['paper mode differs from the paper', (r) => (r.decision.confidence = 0.5), /in paper mode the decision is the paper decision/],
    ['not screened without a reason', (r) => Object.assign(r.decision, { label: 'not_screened', rule: 'not-screened', confidence: null }), /a reason is given exactly when the decision is 'not_screened'/],
    ['not screened with regions', (r) => Object.assign(r, { paperDecision: null, decision: { ...r.decision, label: 'not_screened', rule: 'not-screened', confidence: null, notScreenedReason: 'x' } }), /a case that was not screened has no regions/],
    ['calibrated without its probability', (r) => Object.assign(r.decision, { mode: 'calibrated', rule: 'calibrated' }), /calibrated mode needs infectionProbability/],
    ['indeterminate with a confidence', (r) => Object.assign(r.decision, { mode: 'calibrated', rule: 'calibrated', label: 'indeterminate', infectionProbability: 0.5, typeProbabilities: { covid19: 1, other_pneumonia: 0 }, operatingPoint: { infectedAtOrAbove: 0.7, noInfectionBelow: 0.3 } }), /must be null exactly when 'indeterminate'/],
    ['decided type not dominant', (r) => (r.infections[1].noisyOr = 0.9), /infections.1.noisyOr: exceeds that of the decided type 'covid19'/],
    ['region count', (r) => (r.infections[0].regionCount = 2), /regionCount: is 2 but 1 kept regions voted 'covid19'/],
    ['infection order', (r) => r.infections.reverse(), /must list the infection labels in order: covid19, other_pneumonia/],
    ['kept flag', (r) => (r.regions[1].kept = true), /regions.1.kept: must be false for a region voted 'irrelevant'/],
    ['probability keys', (r) => (r.regions[0].patches[0].probabilities = { covid19: 0.6, other: 0.4 }), /keys must be exactly covid19, other_pneumonia, irrelevant/],
    ['box outside the volume', (r) => (r.regions[0].boxVoxels.max[2] = 40), /boxVoxels.max.2: 40 is outside the volume \(40 voxels on z\)/],
    ['inverted box', (r) => (r.regions[0].boxVoxels.min[0] = 30), /min exceeds max on axis x/],
    ['patch slice not used', (r) => (r.regions[0].patches[0].sliceIndex = 9), /slice 9 is not in slicesUsed/],
    ['duplicate ids', (r) => (r.regions[1].id = 'R1'), /duplicate region id 'R1'/],
    ['vote patch index', (r) => (r.regions[0].vote.patchIndex = 3), /there are only 3 patches/],
    ['probability out of range', (r) => (r.regions[0].patches[0].probabilities.covid19 = 1.5), /regions.0.patches.0.probabilities.covid19/],
    ['reserved label', (r) => r.classes.labels.push(NO_INFECTION_FOUND), /reserved for the decision/],
    ['notice altered', (r) => (r.notice = 'fine for diagnosis'), /notice/],
    ['timing stage unknown', (r) => (r.timingsMs.coffee = 5), /timingsMs/],
  ];
  for (const [name, tamper, message] of cases) {
    const r = copy(make());
    tamper(r);
    assert.throws(() => validateCaseReport(r), message, name);
  }
});

test('another major schema version is refused with both versions named; errors list at most three problems', () => {
  const r = copy(make());
  r.schemaVersion = '1.0.0';
  assert.throws(() => validateCaseReport(r, 'old.json'), /old.json has schema version 1.0.0; this ctscreen reads 2.0.0/);
  assert.throws(() => validateCaseReport({}, 'empty.json'), /empty.json is not a valid .*; and \d+ more$/);
});

test('no-infection report: all regions irrelevant', () => {
  const { votes, decision } = decide({ spec, regions: [[p(3, [0.1, 0.1, 0.8])]] });
  const b = body();
  Object.assign(b, reportDecision(decision, spec), {
    regions: [reportRegion({ id: 'R1', box: { min: [1, 1, 3], max: [2, 2, 3] }, geometry: volume, patches: [p(3, [0.1, 0.1, 0.8])], vote: votes[0], spec })],
    lung: null,
  });
  const r = createCaseReport(b, { now: NOW, toolVersion: '0.1.0' });
  assert.deepEqual(r.decision, { label: NO_INFECTION_FOUND, displayName: 'No infection found', mode: 'paper', rule: 'no-infection', confidence: null, tie: false });
  assert.equal(r.regions[0].volumeMl, null);
});

test('reportRegion refuses patches without a slice index', () => {
  const { votes } = decide({ spec, regions: [[{ probabilities: [0.5, 0.3, 0.2] }]] });
  assert.throws(() => reportRegion({ id: 'R9', box: { min: [0, 0, 0], max: [1, 1, 1] }, geometry: volume, patches: [{ probabilities: [0.5, 0.3, 0.2] }], vote: votes[0], spec }), /region R9 patch 0 has no sliceIndex/);
});

test('the JSON Schema export describes the report for non-TypeScript consumers', () => {
  const js = caseReportJsonSchema() as { properties: Record<string, { description?: string }>; required: string[] };
  assert.ok(js.required.includes('decision'));
  assert.match(js.properties.input.description ?? '', /without file paths or patient identifiers/);
  assert.equal(CaseReportSchema.safeParse(make()).success, true);
});
