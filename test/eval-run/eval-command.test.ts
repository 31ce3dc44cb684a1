import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { validateCaseReport } from '../../src/core/report-schema.ts';
import { readPredictionsCsv } from '../../src/eval/metrics-input.ts';
import { parseManifest } from '../../src/eval/manifest.ts';
import { caseScores, runEval } from '../../src/eval/run-eval.ts';
import { writeNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { writeStubClassifierOnnx } from '../pipeline/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ctscreen-eval-'));
const classifier = writeStubClassifierOnnx(dir);
mkdirSync(join(dir, 'phantoms'));
const ph = makeChestPhantom({ size: [128, 128], slices: 60, seed: 3, lesions: 'covid' });
await writeNifti(ph.volume, join(dir, 'phantoms', 'covid.nii.gz'));
await writeNifti({ ...ph.volume, data: new Int16Array(ph.volume.data.length) }, join(dir, 'phantoms', 'water.nii.gz'));
writeFileSync(join(dir, 'phantoms', 'broken.nii.gz'), 'not a NIfTI');

function run(argv: string[]) {
  let out = '';
  let err = '';
  return main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }).then((code) => ({ code, out, err }));
}

test('caseScores: exported confidences for the types, Noisy-OR "none of them" for no infection', () => {
  const outcome = { decision: 'covid19', rule: 'softmax', confidence: 0.6, mode: 'paper' as const, infections: [{ label: 'covid19', noisyOr: 0.9, exportedConfidence: 0.6 }, { label: 'other_pneumonia', noisyOr: 0.5, exportedConfidence: 0.4 }], regions: 3, keptRegions: 3, warnings: [], totalMs: 1 };
  // (1 − 0.9)(1 − 0.5) = 0.05
  const s = caseScores(outcome, ['covid19', 'other_pneumonia', 'no_infection_found']);
  assert.deepEqual(s.slice(0, 2), [0.6, 0.4]);
  assert.ok(Math.abs(s[2] - 0.05) < 1e-12);
});

test('caseScores of a calibrated decision: P(type) = P·P(type | infected), no infection 1 − P', () => {
  const outcome = { decision: 'covid19', rule: 'calibrated', confidence: 0.72, mode: 'calibrated' as const, infectionProbability: 0.9, typeProbabilities: { covid19: 0.8, other_pneumonia: 0.2 }, infections: [], regions: 3, keptRegions: 3, warnings: [], totalMs: 1 };
  const s = caseScores(outcome, ['covid19', 'other_pneumonia', 'no_infection_found']);
  [0.72, 0.18, 0.1].forEach((v, i) => assert.ok(Math.abs(s[i] - v) < 1e-12, `${s[i]} vs ${v}`));
});

test('eval screens every case in worker processes, counts a failing case, and keeps training cases apart', async () => {
  const manifest = parseManifest('phantoms/covid.nii.gz,covid19\nphantoms/water.nii.gz,no_infection_found,test\nphantoms/broken.nii.gz,covid19\n', join(dir, 'manifest.csv'));
  const models = join(dir, 'models');
  mkdirSync(models);
  // a split file that says a model was trained on the water phantom
  writeFileSync(join(models, 'stub-split.json'), JSON.stringify({ train: ['phantoms-water'], validation: ['phantoms-covid'] }));
  const seen: string[] = [];
  const out = join(dir, 'eval-out');
  const run1 = await runEval({ manifest, outDir: out, classifier, candidates: 'classical', modelsDir: models, jobs: 2, bootstrap: 50, onCase: (r) => seen.push(r.id) });
  assert.deepEqual([...seen].sort(), ['broken', 'covid', 'water']);
  assert.deepEqual(run1.cases.map((c) => [c.id, c.status, c.predicted ?? null, c.trainingCase]), [
    ['covid', 'ok', 'covid19', false],
    // a volume of water is not CT (no air): not screened, never a correct "no infection"
    ['water', 'ok', 'not_screened', true],
    ['broken', 'failed', null, false],
  ]);
  assert.equal(run1.failed, 1);
  assert.match(run1.cases[2].error!.message, /broken\.nii\.gz/);
  assert.equal(run1.cases[2].error!.userFacing, true);
  // per-case outputs of the screened cases
  validateCaseReport(JSON.parse(readFileSync(join(out, 'cases', 'covid', 'report.json'), 'utf8')));
  assert.ok(existsSync(join(out, 'cases', 'water', 'report.html')));
  // the predictions CSV is what `ctscreen metrics --predictions` reads
  const p = readPredictionsCsv(run1.files.predictions);
  // the predictions CSV (read by `ctscreen metrics --predictions`) holds the decided cases only
  assert.deepEqual(p.caseIds, ['covid']);
  assert.deepEqual(p.labels, ['covid19', 'other_pneumonia', 'no_infection_found']);
  assert.deepEqual(Array.from(p.predicted), [0]);
  // groups: all = both screened cases; held-out = covid only; training = water only
  assert.deepEqual(run1.groups.map((g) => [g.name, g.cases]), [['all', 2], ['held-out', 1], ['training', 1]]);
  // the confusion matrix holds the one decided case; the not-screened one counts against specificity
  assert.equal(run1.groups[0].summary!.report.accuracy, 1);
  const rates = run1.groups[0].rates!;
  assert.equal(rates.notScreened, 1);
  assert.deepEqual([rates.noInfectionSpecificity.numerator, rates.noInfectionSpecificity.denominator, rates.noInfectionSpecificity.value], [0, 1, 0]);
  assert.deepEqual([rates.primarySensitivity.numerator, rates.primarySensitivity.denominator], [1, 1]);
  assert.equal(run1.groups[2].summary, null);
  const cases = readFileSync(run1.files.cases, 'utf8');
  assert.match(cases, /water,.*,no_infection_found,not_screened,ok,test,yes,phantoms-water:train\(stub-split\)/);
  assert.match(cases, /broken,.*,failed,,no,/);
  const text = readFileSync(run1.files.summaryText, 'utf8');
  assert.match(text, /failed: 1 of 3 case\(s\) \(not in the metrics below\)/);
  assert.match(text, /TRAINING cases \(a model was trained on them: NOT validation\): 1 case/);
  assert.match(text, /no-infection specificity 0\.000 \(0\/1\)/);
  assert.match(text, /not screened 1, indeterminate 0/);
  // the water phantom was not screened: no lesion-free CT to measure false positives on
  assert.deepEqual(run1.lesionFree.cases, []);
  assert.match(text, /lesion-free CTs \(label no_infection_found\)[^\n]*\n\(no lesion-free case was screened\)/);
  assert.match(cases, /^case,path,label,predicted,status,manifest_split,training_case,split_groups,regions,kept_regions,lesion_ml,confidence/);
});

test('ctscreen eval: bad manifests and labels are one-line errors with exit code 2', async () => {
  writeFileSync(join(dir, 'bad-label.csv'), 'phantoms/covid.nii.gz,influenza\n');
  let r = await run(['eval', join(dir, 'bad-label.csv'), '--classifier', classifier, '--out', join(dir, 'x')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^ctscreen: error: .*bad-label\.csv line 1: label 'influenza' is not a case-level class of the classifier; expected one of covid19, other_pneumonia, no_infection_found\n$/);
  r = await run(['eval', join(dir, 'absent.csv'), '--classifier', classifier]);
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot read manifest .*absent\.csv/);
  r = await run(['eval', join(dir, 'bad-label.csv'), '--jobs', 'two']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--jobs 'two' must be a positive integer/);
});

test('ctscreen eval prints per-case lines, the case-level metrics and what it finds on a lesion-free CT', async () => {
  await writeNifti(makeChestPhantom({ size: [128, 128], slices: 60, seed: 4, lesions: 'none' }).volume, join(dir, 'phantoms', 'healthy.nii.gz'));
  writeFileSync(join(dir, 'one.csv'), 'path,label\nphantoms/covid.nii.gz,covid19\nphantoms/healthy.nii.gz,no_infection_found\n');
  const r = await run(['eval', join(dir, 'one.csv'), '--classifier', classifier, '--candidates', 'classical', '--out', join(dir, 'eval-cli'), '--bootstrap', '0']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ctscreen eval: 2 case\(s\), classifier stub-classifier/);
  assert.match(r.out, /covid\s+covid19\s+covid19 /);
  assert.match(r.out, /failed: 0 of 2 case\(s\)/);
  assert.match(r.out, /=== HELD-OUT cases \(no model was trained on them\): 2 case\(s\) ===/);
  // the healthy phantom's regions are counted as false positives; classical candidates make no lesion mask
  const summary = JSON.parse(readFileSync(join(dir, 'eval-cli', 'summary.json'), 'utf8'));
  assert.equal(summary.lesionFree.cases.length, 1);
  const h = summary.lesionFree.cases[0];
  assert.equal(h.id, 'healthy');
  assert.equal(h.lesionMl, null);
  assert.equal(summary.lesionFree.heldOut.regions, h.regions);
  assert.match(r.out, new RegExp(`healthy\\s+${h.regions}\\s+${h.infectionVotedRegions}\\s+—\\s+held out`));
  assert.match(r.out, /median, held out \(1 CT\)/);
});
