// Segmenter v2's settings, chosen on validation patients: the false-positive count, the settings
// sweep over one volume, the choice rule, the replaying predictor and the Dice-optimal threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { falsePositiveCandidates } from '../../src/eval/candidate-recall.ts';
import { componentsToCandidates } from '../../src/candidates/components-to-candidates.ts';
import { isValidationPseudoPatient } from '../../src/dataset/patient-split.ts';
import { chooseCandidateSettings, chooseLesionThreshold, median, replayPredictor, sweepCandidateSettings, type CandidateSettingPoint } from '../../src/eval/segmenter-evaluation.ts';
import type { CandidateSet } from '../../src/candidates/types.ts';
import { IDENTITY_DIRECTION, type Vec3 } from '../../src/core/volume.ts';

test('falsePositiveCandidates: candidates touching no lesion voxel, and their mL (hand-checked)', () => {
  // 8 voxels: candidate 1 on voxels 0-1 (voxel 1 is lesion), candidate 2 on voxels 4-6 (no lesion)
  const labels = Uint32Array.from([1, 1, 0, 0, 2, 2, 2, 0]);
  const truth = Uint8Array.from([0, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(falsePositiveCandidates({ labels, truth, voxelMl: 0.5 }), { candidates: 2, falsePositives: 1, falsePositiveMl: 1.5 });
  // lesion-free volume: every candidate is a false positive (5 voxels × 0.5 mL)
  assert.deepEqual(falsePositiveCandidates({ labels, truth: null, voxelMl: 0.5 }), { candidates: 2, falsePositives: 2, falsePositiveMl: 2.5 });
});

/** A 10×1×1 row: probability per voxel, components at a threshold (1 mL voxels, ids largest first). */
function row(prob: number[]): (t: number) => Promise<CandidateSet> {
  const dims: Vec3 = [prob.length, 1, 1];
  return async (t) => {
    const mask = Uint8Array.from(prob, (p) => (p >= t ? 1 : 0));
    const r = componentsToCandidates({ mask, grid: { dims, originMm: [0, 0, 0], spacingMm: [10, 10, 10], direction: IDENTITY_DIRECTION }, probability: Float32Array.from(prob) }, { minVolumeMl: 1, maxCandidates: 1e9 });
    return { generator: 'learned', candidates: r.candidates, labels: r.labels, dims, threshold: t, componentsBeforeFilter: r.componentsBeforeFilter, warnings: [], timingsMs: {} };
  };
}

test('sweepCandidateSettings: recall and false positives per (threshold, min volume), hand-checked', async () => {
  // voxels: lesion A = 0-2 (p 0.9, 0.3, 0.3), noise B = 5 (p 0.3), noise C = 7-8 (p 0.3, 0.3)
  const prob = [0.9, 0.3, 0.3, 0, 0, 0.3, 0, 0.3, 0.3, 0];
  const truth = Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  const res = await sweepCandidateSettings({ candidatesAt: row(prob), truth, dims: [10, 1, 1], voxelMl: 1, thresholds: [0.2, 0.5], minVolumesMl: [1, 2], maxCandidates: 64, minLesionVoxels: 1 });
  const at = (t: number, v: number) => res.find((r) => r.threshold === t && r.minVolumeMl === v);
  // t 0.2: components A (3 voxels, on the lesion), C (2), B (1)
  assert.deepEqual(at(0.2, 1), { threshold: 0.2, minVolumeMl: 1, seedThreshold: 0, lesions: 1, hit: 1, falsePositives: 2, falsePositiveMl: 3, offLesionMl: 3 });
  assert.deepEqual(at(0.2, 2), { threshold: 0.2, minVolumeMl: 2, seedThreshold: 0, lesions: 1, hit: 1, falsePositives: 1, falsePositiveMl: 2, offLesionMl: 2 });
  // t 0.5: voxel 0 alone (1 mL): kept at min 1 mL, dropped at 2 mL → the lesion is missed
  assert.deepEqual(at(0.5, 1), { threshold: 0.5, minVolumeMl: 1, seedThreshold: 0, lesions: 1, hit: 1, falsePositives: 0, falsePositiveMl: 0, offLesionMl: 0 });
  assert.deepEqual(at(0.5, 2), { threshold: 0.5, minVolumeMl: 2, seedThreshold: 0, lesions: 1, hit: 0, falsePositives: 0, falsePositiveMl: 0, offLesionMl: 0 });
  // t 0.05: one component over voxels 0-8 covers the lesion: no false-positive candidate, but 6 mL off the lesion
  const wide = await sweepCandidateSettings({ candidatesAt: row(prob.map((p, i) => (i < 9 ? Math.max(p, 0.1) : 0))), truth, dims: [10, 1, 1], voxelMl: 1, thresholds: [0.05], minVolumesMl: [1], maxCandidates: 64, minLesionVoxels: 1 });
  assert.deepEqual(wide[0], { threshold: 0.05, minVolumeMl: 1, seedThreshold: 0, lesions: 1, hit: 1, falsePositives: 0, falsePositiveMl: 0, offLesionMl: 6 });
  // hysteresis: at t 0.2 with seed 0.5 only A (peak 0.9) is kept; B and C (peak 0.3) go
  const seeded = await sweepCandidateSettings({ candidatesAt: row(prob), truth, dims: [10, 1, 1], voxelMl: 1, thresholds: [0.2], minVolumesMl: [1], seedThresholds: [0, 0.5], maxCandidates: 64, minLesionVoxels: 1 });
  assert.deepEqual(seeded.map((r) => [r.seedThreshold, r.falsePositives, r.hit, r.offLesionMl]), [[0, 2, 1, 3], [0.5, 0, 1, 0]]);
  // the cap keeps the largest: at most 1 candidate at t 0.2 = A only
  const capped = await sweepCandidateSettings({ candidatesAt: row(prob), truth, dims: [10, 1, 1], voxelMl: 1, thresholds: [0.2], minVolumesMl: [1], maxCandidates: 1, minLesionVoxels: 1 });
  assert.deepEqual(capped[0], { threshold: 0.2, minVolumeMl: 1, seedThreshold: 0, lesions: 1, hit: 1, falsePositives: 0, falsePositiveMl: 0, offLesionMl: 0 });
});

const point = (threshold: number, minVolumeMl: number, recall: number, fps: number[], offMl = [0]): CandidateSettingPoint => ({ threshold, minVolumeMl, seedThreshold: 0, lesions: 10, hit: recall * 10, recall, falsePositives: fps, falsePositiveMl: fps, medianFalsePositives: median(fps), offLesionMl: offMl, medianOffLesionMl: median(offMl) });

test('chooseCandidateSettings: highest recall with median false positives and lesion-free mL ≤ the targets; else the least lesion-free volume', () => {
  // 3 validation volumes, the third lesion-free
  const free = [false, false, true];
  const pts = [point(0.05, 0.05, 1, [0, 0, 0], [500, 400, 300]), point(0.1, 0.05, 0.8, [6, 5, 1], [50, 50, 0]), point(0.2, 0.1, 0.7, [2, 1, 0], [3, 3, 3]), point(0.3, 0.1, 0.8, [9, 4, 3], [90, 90, 5])];
  // 0.05 covers everything (no false-positive candidate, 300 mL on the lesion-free volume): excluded;
  // of the rest: (0.1: median 5, 0 mL, recall 0.8), (0.2: 1, 3 mL, 0.7), (0.3: 4, 5 mL, 0.8) → recall tie 0.8: fewer false positives (0.3)
  assert.deepEqual([chooseCandidateSettings(pts, free, 5, 10).threshold, chooseCandidateSettings(pts, free, 5, 10).minVolumeMl], [0.3, 0.1]);
  // none meets 0 candidates and < 0 mL: the least lesion-free volume (0.1: 0 mL)
  assert.equal(chooseCandidateSettings(pts, free, 0, -1).threshold, 0.1);
  assert.equal(median([3, 1, 2, 10]), 2.5);
});

test('chooseCandidateSettings with the lung guard: lesion-free candidates bounded as a share of the lung and by count', () => {
  // volume 0 has lesions; volumes 1 and 2 are lesion-free with 1000 and 100 mL of lung
  const free = [false, true, true];
  const guard = { lungMl: [null, 1000, 100], maxLungFraction: 0.03 };
  // a: recall 0.9, lesion-free shares 4 % and 1 % → median 2.5 % (ok), lesion-free counts 8 and 0 → median 4 (ok)
  const a = point(0.1, 0.05, 0.9, [1, 8, 0], [500, 40, 1]);
  // b: recall 1.0 but lesion-free shares 10 % and 10 % (too much lung)
  const b = point(0.05, 0.05, 1, [0, 1, 1], [900, 100, 10]);
  // c: recall 0.95, shares 1 % and 1 %, but lesion-free counts 7 and 6 → median 6.5 > 5
  const c = point(0.2, 0.05, 0.95, [0, 7, 6], [10, 10, 1]);
  assert.equal(chooseCandidateSettings([a, b, c], free, 5, 10, guard), a);
  // without the guard the mL bound of v2 reads the raw mL: a's lesion-free median is 20.5 mL > 10, b's 55, c's 5.5 → c
  assert.equal(chooseCandidateSettings([a, b, c], free, 5, 10), c);
});

test('replayPredictor: the network runs once, later passes replay it; another batch shape is an error', async () => {
  let calls = 0;
  const rp = replayPredictor(async (b) => {
    calls++;
    return Float32Array.from(b, (x) => 2 * x);
  });
  assert.deepEqual([...(await rp.predict(Float32Array.from([1, 2]), [1, 1, 1, 2]))], [2, 4]);
  rp.rewind();
  assert.deepEqual([...(await rp.predict(Float32Array.from([1, 2]), [1, 1, 1, 2]))], [2, 4]);
  assert.equal(calls, 1);
  rp.rewind();
  await assert.rejects(async () => rp.predict(new Float32Array(4), [1, 1, 2, 2]), /asks for 1×1×2×2, recorded 1×1×1×2/);
});

test('chooseLesionThreshold: the Dice-optimal threshold, ties to the lower one', () => {
  const pts = [0.2, 0.4, 0.6].map((t, i) => ({ threshold: t, lesionRecall: 1, lesions: 1, dice: [0.5, 0.7, 0.7][i] }));
  assert.equal(chooseLesionThreshold(pts), 0.4);
});

test('chooseLesionThreshold with the lesion-free bound: Dice-optimal among thresholds where every lesion-free CT holds ≤ maxMl; else the least worst case', () => {
  const pts = [0.4, 0.6, 0.8].map((t, i) => ({ threshold: t, lesionRecall: 1, lesions: 1, dice: [0.7, 0.6, 0.5][i] }));
  // at 0.4 one CT holds 30 mL, at 0.6 the worst is 12, at 0.8 it is 4: only 0.8 is within 10 mL
  const ml = new Map([[0.4, [30, 2]], [0.6, [12, 1]], [0.8, [4, 0.5]]]);
  assert.equal(chooseLesionThreshold(pts, { lesionFreeMl: ml, maxMl: 10 }), 0.8);
  assert.equal(chooseLesionThreshold(pts, { lesionFreeMl: ml, maxMl: 12 }), 0.6);
  assert.equal(chooseLesionThreshold(pts, { lesionFreeMl: ml, maxMl: 50 }), 0.4);
  // none within 1 mL: the least worst case (0.8 at 4 mL)
  assert.equal(chooseLesionThreshold(pts, { lesionFreeMl: ml, maxMl: 1 }), 0.8);
});

test('maskVolumesMl: lung voxels at or above each threshold inside the region (hand-computed)', async () => {
  const { maskVolumesMl } = await import('../../src/eval/segmenter-evaluation.ts');
  // 3 × 2 × 1 grid; region x 1..2, y 0..1 (4 voxels); lung everywhere but (2, 1)
  const lung = Uint8Array.from([1, 1, 1, 1, 1, 0]);
  const p = Float32Array.from([0.9, 0.5, 0.7, 0.95]); // region order: (1,0) (2,0) (1,1) (2,1)
  assert.deepEqual(maskVolumesMl(p, { min: [1, 0, 0], max: [2, 1, 0] }, [3, 2, 1], lung, 2, [0.5, 0.8, 0.99]), [6, 2, 0]);
});

test('the one patient split: both exporters name the same held-out COVID-19-CT-Seg patients', () => {
  for (const g of ['coronacases_org_008', 'covid19ctseg-coronacases-009', 'radiopaedia-case-14', 'covid19ctseg-radiopaedia-27']) assert.ok(isValidationPseudoPatient(g), g);
  for (const g of ['coronacases_org_001', 'covid19ctseg-coronacases-010', 'radiopaedia-case-40', 'medseg-doctor']) assert.ok(!isValidationPseudoPatient(g), g);
});

test('componentsToCandidates minPeakProbability keeps the low threshold extent of components with a confident core only', () => {
  // components: A = voxels 0-2 (peak 0.9), B = voxel 5 (0.3), C = 7-8 (peak 0.45)
  const prob = Float32Array.from([0.9, 0.3, 0.3, 0, 0, 0.3, 0, 0.45, 0.3, 0]);
  const mask = Uint8Array.from(prob, (p) => (p >= 0.2 ? 1 : 0));
  const grid = { dims: [10, 1, 1] as [number, number, number], originMm: [0, 0, 0] as [number, number, number], spacingMm: [10, 10, 10] as [number, number, number], direction: IDENTITY_DIRECTION };
  const all = componentsToCandidates({ mask, grid, probability: prob }, { minVolumeMl: 1, maxCandidates: 64 });
  assert.equal(all.candidates.length, 3);
  const seeded = componentsToCandidates({ mask, grid, probability: prob }, { minVolumeMl: 1, maxCandidates: 64, minPeakProbability: 0.4 });
  assert.deepEqual(seeded.candidates.map((c) => [c.voxelCount, c.maxProbability]), [[3, Float32Array.from([0.9])[0]], [2, Float32Array.from([0.45])[0]]]);
  assert.deepEqual([...seeded.labels], [1, 1, 1, 0, 0, 0, 0, 2, 2, 0]);
  assert.throws(() => componentsToCandidates({ mask, grid }, { minVolumeMl: 1, maxCandidates: 64, minPeakProbability: 0.4 }), /needs the probability map/);
});
