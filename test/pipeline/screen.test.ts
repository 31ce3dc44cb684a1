import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelError } from '../../src/core/errors.ts';
import { NO_INFECTION_FOUND, NOT_SCREENED, validateCaseReport } from '../../src/core/report-schema.ts';
import type { Volume } from '../../src/core/volume.ts';
import { decide } from '../../src/decide/decide.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { screenCase, type ScreenProgressEvent } from '../../src/pipeline/screen.ts';
import { stubClassifier, stubSegmenter } from './fixtures.ts';

// 128² × 60 slices of 4.8 mm: a whole chest in well under a second per stage
const PHANTOM = { size: [128, 128] as const, slices: 60 };
const NOW = new Date('2024-03-01T12:00:00Z');

test('a COVID-like phantom is screened end to end into a valid report whose parts agree', async () => {
  const ph = makeChestPhantom({ ...PHANTOM, seed: 3, lesions: 'covid' });
  const calls: number[] = [];
  const events: ScreenProgressEvent[] = [];
  const { report, artifacts } = await screenCase({ volume: ph.volume }, { models: { classifier: stubClassifier(calls) }, candidates: 'classical', now: NOW, toolVersion: '9.9.9', onProgress: (e) => events.push(e) });
  validateCaseReport(JSON.parse(JSON.stringify(report)));
  assert.equal(report.createdAt, NOW.toISOString());
  assert.equal(report.tool.version, '9.9.9');
  assert.ok(report.regions.length > 0, 'the lesions give candidate regions');
  // every region: three patches (centre and neighbours), one classifier pass for all of them
  for (const r of report.regions) {
    assert.equal(r.patches.length, 3);
    assert.deepEqual(r.slicesUsed, [r.centreSlice - 1, r.centreSlice, r.centreSlice + 1].filter((z) => z >= 0 && z < 60));
  }
  assert.equal(calls.reduce((a, b) => a + b, 0), 3 * report.regions.length);
  // the votes and the decision are exactly the decide stage's on the reported patch probabilities
  const spec = { labels: report.classes.labels, infectionLabels: report.classes.infectionLabels, irrelevantLabel: report.classes.irrelevantLabel };
  const again = decide({ regions: report.regions.map((r) => r.patches.map((p) => ({ probabilities: spec.labels.map((l) => p.probabilities[l]) }))), spec });
  assert.deepEqual(report.regions.map((r) => r.vote.label), again.votes.map((v) => v.label));
  assert.equal(report.decision.label, again.decision.label);
  assert.equal(report.decision.label, 'covid19');
  assert.deepEqual(report.models.map((m) => [m.role, m.id]), [['lung', 'ctscreen-lung-extraction'], ['candidates', 'classical-hu-bands'], ['classifier', 'stub-classifier']]);
  // artifacts: candidate labels on the volume grid, one label value per region, region volume = its voxels
  const voxelMl = ph.volume.spacingMm[0] * ph.volume.spacingMm[1] * ph.volume.spacingMm[2] / 1000;
  assert.ok(artifacts.candidateLabels && artifacts.candidateLabels.length === ph.volume.data.length);
  artifacts.regions.forEach((g, i) => {
    let n = 0;
    for (const v of artifacts.candidateLabels!) if (v === g.labelValue) n++;
    assert.ok(Math.abs(n * voxelMl - report.regions[i].volumeMl!) < 1e-9, `${g.id} volume`);
    assert.equal(g.voteLabel, report.regions[i].vote.label);
  });
  // each phantom lesion lies in a region on its own side of the patient
  for (const lesion of ph.lesions) {
    const [x, y, z] = lesion.centreVoxel.map(Math.round);
    const value: number = artifacts.candidateLabels![x + 128 * (y + 128 * z)];
    const index: number = artifacts.regions.findIndex((g) => g.labelValue === value);
    const region = report.regions[index];
    if (region) assert.equal(region.side, lesion.side, `lesion ${lesion.label} side`);
  }
  assert.ok(artifacts.keySlices.length >= 1 && artifacts.keySlices.length <= 4);
  // every stage timed, in pipeline order, each start followed by its end
  assert.deepEqual(events.filter((e) => e.phase === 'end').map((e) => e.stage), ['lung', 'candidates', 'classify', 'decide', 'quantify', 'report']);
  for (const s of ['lung', 'candidates', 'classify', 'decide', 'quantify', 'report', 'total'] as const) assert.ok(report.timingsMs[s]! >= 0, s);
  assert.ok(report.lung?.right?.volumeMl && report.lung.left?.volumeMl, 'lung volumes reported');
  const kept = report.regions.filter((r) => r.kept);
  assert.equal(report.infections.find((s) => s.label === 'covid19')!.regionCount, kept.filter((r) => r.vote.label === 'covid19').length);
});

test('a mirrored phantom (columns stored right-to-left) gives the same sides', async () => {
  const ph = makeChestPhantom({ ...PHANTOM, seed: 3, lesions: 'covid', mirrorX: true });
  const { report, artifacts } = await screenCase({ volume: ph.volume }, { models: { classifier: stubClassifier() }, candidates: 'classical', now: NOW });
  let checked = 0;
  for (const lesion of ph.lesions) {
    const [x, y, z] = lesion.centreVoxel.map(Math.round);
    const value: number = artifacts.candidateLabels![x + 128 * (y + 128 * z)];
    const i: number = artifacts.regions.findIndex((g) => g.labelValue === value);
    if (i < 0) continue;
    assert.equal(report.regions[i].side, lesion.side);
    checked++;
  }
  assert.ok(checked > 0);
});

function uniformVolume(hu: number): Volume {
  const dims = [64, 64, 8] as const;
  return { data: new Int16Array(64 * 64 * 8).fill(hu), dims, spacingMm: [2, 2, 2], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], source: { format: 'synthetic', sliceCount: 8, pseudoHu: false }, warnings: [] };
}

test('values that are not CT (uniform 40 HU: no air) give not_screened with the reason, never no infection', async () => {
  const { report, artifacts } = await screenCase({ volume: uniformVolume(40) }, { models: { classifier: stubClassifier() }, candidates: 'classical', now: NOW });
  validateCaseReport(report);
  assert.equal(report.decision.label, NOT_SCREENED);
  assert.equal(report.decision.rule, 'not-screened');
  assert.equal(report.decision.confidence, null);
  assert.equal(report.paperDecision, null);
  assert.match(report.decision.notScreenedReason ?? '', /0\.0 % of voxels are air\/lung/);
  assert.equal(report.regions.length, 0);
  assert.equal(report.lung, null);
  assert.ok(report.warnings.some((w) => w.startsWith('NOT SCREENED')));
  assert.equal(artifacts.lungMask, null);
  assert.equal(artifacts.candidateLabels, null);
  assert.equal(artifacts.lesionMask, null);
  assert.equal(artifacts.keySlices.length, 1);
});

test('a CT-like volume without lungs (a water cylinder in air) gives not_screened: no lungs found', async () => {
  const v = uniformVolume(-1000);
  const [nx, ny, nz] = v.dims;
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) if ((x - 32) ** 2 + (y - 32) ** 2 < 26 ** 2) v.data[x + nx * (y + ny * z)] = 20;
  const { report } = await screenCase({ volume: v }, { models: { classifier: stubClassifier() }, candidates: 'classical', now: NOW });
  validateCaseReport(report);
  assert.equal(report.decision.label, NOT_SCREENED);
  assert.match(report.decision.notScreenedReason ?? '', /^no lungs found/);
});

test('learned candidates run the segmenter passed in; no candidates gives "no infection found" with a warning', async () => {
  const ph = makeChestPhantom({ ...PHANTOM, seed: 5, lesions: 'none' });
  let tiles = 0;
  const segmenter = stubSegmenter(() => {
    tiles++;
    return 0;
  });
  const { report } = await screenCase({ volume: ph.volume }, { models: { classifier: stubClassifier(), segmenter }, candidates: 'learned', now: NOW });
  assert.ok(tiles > 0, 'the segmenter saw tiles');
  assert.equal(report.regions.length, 0);
  assert.equal(report.decision.label, NO_INFECTION_FOUND);
  assert.equal(report.decision.rule, 'no-infection');
  assert.ok(report.warnings.includes('no candidate regions were found in the lungs: nothing to classify, so no infection was found'));
  assert.deepEqual(report.models.map((m) => [m.role, m.id]), [['lung', 'ctscreen-lung-extraction'], ['candidates', 'stub-segmenter'], ['classifier', 'stub-classifier']]);
});

test('learned candidates from a segmenter that marks ground glass, capped at maxCandidates with a warning', async () => {
  const ph = makeChestPhantom({ ...PHANTOM, seed: 3, lesions: 'covid' });
  // lung window value of ≈ −600…−300 HU: ground glass, not aerated lung nor soft tissue
  const segmenter = stubSegmenter((v) => (v > 0.5 && v < 0.7 ? 1 : 0));
  const all = await screenCase({ volume: ph.volume }, { models: { classifier: stubClassifier(), segmenter }, candidates: 'learned', now: NOW });
  assert.ok(all.report.regions.length >= 2);
  const capped = await screenCase({ volume: ph.volume }, { models: { classifier: stubClassifier(), segmenter }, candidates: 'learned', maxCandidates: 1, now: NOW });
  assert.equal(capped.report.regions.length, 1);
  // the one kept is the largest
  assert.equal(capped.report.regions[0].volumeMl, Math.max(...all.report.regions.map((r) => r.volumeMl!)));
  assert.ok(capped.report.warnings.some((w) => /kept the 1 largest/.test(w)), capped.report.warnings.join(' | '));
});

test('the lesion mask: the segmenter probability at the card\'s lesionThreshold inside the lungs; involvement is measured on it', async () => {
  const ph = makeChestPhantom({ ...PHANTOM, seed: 3, lesions: 'covid' });
  // probability 0.6 on ground glass, 0.3 elsewhere: all lung is candidate at 0.2, only ground glass is lesion at 0.5
  const segmenter = stubSegmenter((v) => (v > 0.5 && v < 0.7 ? 0.6 : 0.3), { threshold: 0.2, lesionThreshold: 0.5 });
  const { report, artifacts } = await screenCase({ volume: ph.volume }, { models: { classifier: stubClassifier(), segmenter }, candidates: 'learned', now: NOW });
  const lesion = artifacts.lesionMask!;
  const lung = artifacts.lungMask!;
  let inLesion = 0;
  let outsideLung = 0;
  let candidateVoxels = 0;
  for (let i = 0; i < lesion.length; i++) {
    inLesion += lesion[i];
    if (lesion[i] && !lung[i]) outsideLung++;
    if (artifacts.candidateLabels![i]) candidateVoxels++;
  }
  assert.ok(inLesion > 0, 'some lesion voxels');
  assert.equal(outsideLung, 0, 'lesion mask stays inside the lungs');
  assert.ok(inLesion < candidateVoxels / 2, `lesion mask (${inLesion}) is far smaller than the low-threshold candidates (${candidateVoxels})`);
  // the stub marks ground-glass density: the mask covers the phantom's lesions far more densely than normal lung
  let lesionLung = 0, lesionHit = 0, normalLung = 0, normalHit = 0;
  for (let i = 0; i < lesion.length; i++) {
    if (!lung[i]) continue;
    if (ph.lesionLabels[i]) (lesionLung++, (lesionHit += lesion[i]));
    else (normalLung++, (normalHit += lesion[i]));
  }
  assert.ok(lesionHit / lesionLung > 4 * (normalHit / normalLung), `mask covers ${lesionHit}/${lesionLung} lesion voxels vs ${normalHit}/${normalLung} normal lung voxels`);
  assert.equal(report.lung?.involvementFrom, 'lesion-mask');
  const voxelMl = (ph.volume.spacingMm[0] * ph.volume.spacingMm[1] * ph.volume.spacingMm[2]) / 1000;
  const lungMl = (report.lung!.right!.volumeMl ?? 0) + (report.lung!.left!.volumeMl ?? 0);
  const involved = ((report.lung!.right!.involvedPercent ?? 0) * (report.lung!.right!.volumeMl ?? 0) + (report.lung!.left!.involvedPercent ?? 0) * (report.lung!.left!.volumeMl ?? 0)) / 100;
  assert.ok(Math.abs(involved - inLesion * voxelMl) < 0.01 * lungMl, `involved ${involved} mL vs lesion ${inLesion * voxelMl} mL`);
  // without a lesionThreshold in the card there is no mask, and the report says why
  const plain = await screenCase({ volume: ph.volume }, { models: { classifier: stubClassifier(), segmenter: stubSegmenter((v) => (v > 0.5 && v < 0.7 ? 1 : 0)) }, candidates: 'learned', now: NOW });
  assert.equal(plain.artifacts.lesionMask, null);
  assert.ok(plain.report.warnings.some((w) => /has no Dice-optimal lesionThreshold/.test(w)));
  assert.equal(plain.report.lung?.involvementFrom, 'candidate-regions');
});

test('learned candidates without a segmenter is a model error, not a silent fallback', async () => {
  await assert.rejects(screenCase({ volume: uniformVolume(40) }, { models: { classifier: stubClassifier() }, candidates: 'learned' }), (e: unknown) => e instanceof ModelError && /need a segmenter/.test(e.message));
});
