import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classicalCandidates, LESION_HU_BAND } from '../../src/candidates/classical.ts';
import { componentsToCandidates } from '../../src/candidates/components-to-candidates.ts';
import { lesionMaskFromProbability } from '../../src/candidates/lesion-mask.ts';
import { learnedCandidates } from '../../src/candidates/learned.ts';
import type { TilePredictor } from '../../src/candidates/sliding-window.ts';
import { IDENTITY_DIRECTION, type Vec3, type Volume } from '../../src/core/volume.ts';
import { InputError } from '../../src/core/errors.ts';

/**
 * A tiny synthetic chest: 64×64×20 voxels of 1×1×2 mm, one box-shaped "lung" of aerated
 * parenchyma (−850 HU) in soft tissue (+40 HU), with a ground-glass ball (−500 HU, r 7 mm), a
 * consolidation ball (+20 HU, r 5 mm) and a vessel (+40 HU, r 1 mm) running through all slices.
 */
function phantom(): { volume: Volume<Int16Array>; lungMask: Uint8Array; ggo: Vec3; cons: Vec3 } {
  const dims: Vec3 = [64, 64, 20];
  const sp: Vec3 = [1, 1, 2];
  const data = new Int16Array(64 * 64 * 20).fill(40);
  const lungMask = new Uint8Array(data.length);
  const ggo: Vec3 = [20, 24, 10];
  const cons: Vec3 = [44, 40, 6];
  const inBall = (x: number, y: number, z: number, c: Vec3, r: number) => (x - c[0]) ** 2 + (y - c[1]) ** 2 + ((z - c[2]) * sp[2]) ** 2 <= r * r;
  for (let z = 0; z < 20; z++) for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) {
    const i = x + 64 * (y + 64 * z);
    if (x < 6 || x > 57 || y < 6 || y > 57 || z < 1 || z > 18) continue;
    lungMask[i] = 1;
    data[i] = -850;
    if (inBall(x, y, z, ggo, 7)) data[i] = -500;
    if (inBall(x, y, z, cons, 5)) data[i] = 20;
    if ((x - 32) ** 2 + (y - 12) ** 2 <= 1) data[i] = 40;
  }
  const volume: Volume<Int16Array> = {
    data,
    dims,
    spacingMm: sp,
    originMm: [-32, -32, 0],
    direction: IDENTITY_DIRECTION,
    source: { format: 'synthetic', sliceCount: 20, pseudoHu: false },
    warnings: [],
  };
  return { volume, lungMask, ggo, cons };
}

function contains(box: { min: Vec3; max: Vec3 }, p: Vec3): boolean {
  return [0, 1, 2].every((a) => box.min[a] <= p[a] && p[a] <= box.max[a]);
}

test('componentsToCandidates: size filter in mL, cap with a warning, largest first, region mode = full mode', () => {
  const dims: Vec3 = [10, 10, 4];
  const grid = { dims, spacingMm: [1, 1, 1] as Vec3, originMm: [0, 0, 0] as Vec3, direction: IDENTITY_DIRECTION };
  const mask = new Uint8Array(400);
  const set = (x: number, y: number, z: number) => (mask[x + 10 * (y + 10 * z)] = 1);
  for (let x = 0; x < 3; x++) for (let y = 0; y < 3; y++) set(x, y, 0); // 9 voxels = 0.009 mL
  for (let x = 6; x < 10; x++) for (let y = 6; y < 10; y++) for (let z = 1; z < 4; z++) set(x, y, z); // 48 voxels
  set(5, 0, 3); // 1 voxel
  const r = componentsToCandidates({ mask, grid }, { minVolumeMl: 0.005, maxCandidates: 10 });
  assert.equal(r.componentsBeforeFilter, 3);
  assert.deepEqual(r.candidates.map((c) => c.voxelCount), [48, 9]);
  assert.equal(r.candidates[0].volumeMl, 0.048);
  assert.deepEqual(r.candidates[0].boxVoxels, { min: [6, 6, 1], max: [9, 9, 3] });
  assert.equal(r.candidates[0].centreSliceZ, 2);
  assert.deepEqual(r.candidates[0].centroidVoxel, [7.5, 7.5, 2]);
  assert.equal(r.labels[9 + 10 * (9 + 10 * 3)], 1);
  assert.equal(r.labels[0], 2);
  assert.equal(r.labels[5 + 10 * 30], 0, 'the 1-voxel component is dropped from the label map too');
  const capped = componentsToCandidates({ mask, grid }, { minVolumeMl: 0, maxCandidates: 1 });
  assert.equal(capped.candidates.length, 1);
  assert.match(capped.warnings.join(), /kept the 1 largest/);
  // the same big component computed on a sub-region gives the same candidate and label map
  const region = { min: [5, 5, 1] as Vec3, max: [9, 9, 3] as Vec3 };
  const sub = new Uint8Array(5 * 5 * 3);
  for (let z = 0; z < 3; z++) for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) sub[x + 5 * (y + 5 * z)] = mask[5 + x + 10 * (5 + y + 10 * (1 + z))];
  const rr = componentsToCandidates({ mask: sub, grid, region }, { minVolumeMl: 0.005, maxCandidates: 10 });
  assert.deepEqual(rr.candidates[0], r.candidates[0]);
  assert.equal(rr.labels.length, 400);
  assert.equal(rr.labels[9 + 10 * (9 + 10 * 3)], 1);
});

test('classical generator finds the ground-glass and the consolidation ball and drops the thin vessel', async () => {
  const { volume, lungMask, ggo, cons } = phantom();
  const r = await classicalCandidates({ volume, lungMask });
  assert.equal(r.generator, 'classical');
  assert.equal(r.candidates.length, 2, JSON.stringify(r.candidates.map((c) => c.boxVoxels)));
  // largest first: the GGO ball (r 7 mm) before the consolidation ball (r 5 mm)
  assert.ok(contains(r.candidates[0].boxVoxels, ggo));
  assert.ok(contains(r.candidates[1].boxVoxels, cons));
  // an opening with a 5×5 square keeps most of a ball of radius 7 mm: ≥ 60 % of (4/3)π·7³ mm³
  assert.ok(r.candidates[0].volumeMl > 0.6 * (4 / 3) * Math.PI * 0.343, `GGO ${r.candidates[0].volumeMl} mL`);
  assert.equal(r.labels[ggo[0] + 64 * (ggo[1] + 64 * ggo[2])], 1);
  assert.equal(r.labels[32 + 64 * (12 + 64 * 10)], 0, 'the vessel is not a candidate');
  assert.equal(r.candidates[0].meanProbability, undefined);
  assert.equal(LESION_HU_BAND.minHu, -750);
});

test('classical generator: empty lung mask gives no candidates and a warning; wrong mask size is an InputError', async () => {
  const { volume } = phantom();
  const r = await classicalCandidates({ volume, lungMask: new Uint8Array(volume.data.length) });
  assert.equal(r.candidates.length, 0);
  assert.match(r.warnings.join(), /empty/);
  await assert.rejects(classicalCandidates({ volume, lungMask: new Uint8Array(10) }), (e: unknown) => e instanceof InputError && /lung mask has 10 voxels/.test((e as Error).message));
});

test('learned generator with a passed-in predictor: low threshold, lung-restricted components, probabilities per candidate', async () => {
  const { volume, lungMask, ggo, cons } = phantom();
  // a stand-in network: "lesion" = normalised centre channel above −700 HU, probability 0.3 (a low-confidence map)
  const lowConfidence: TilePredictor = (batch, [n, c, s]) => {
    const out = new Float32Array(n * s * s);
    const cut = (-700 + 1350) / 1500;
    for (let b = 0; b < n; b++) for (let k = 0; k < s * s; k++) out[b * s * s + k] = batch[(b * c + 1) * s * s + k] > cut ? 0.3 : 0.01;
    return out;
  };
  const opts = { predict: lowConfidence, tileSize: 64, sliceOffsets: [-1, 0, 1], minVolumeMl: 0.05 };
  const high = await learnedCandidates({ volume, lungMask }, { ...opts, threshold: 0.5 });
  assert.equal(high.candidates.length, 0, 'nothing reaches 0.5');
  const low = await learnedCandidates({ volume, lungMask }, { ...opts, threshold: 0.2 });
  assert.equal(low.threshold, 0.2);
  // GGO, consolidation and (this stand-in does not know vessels) the vessel
  assert.equal(low.candidates.length, 3);
  const hit = (p: Vec3) => low.candidates.find((c) => contains(c.boxVoxels, p));
  assert.ok(hit(ggo) && hit(cons));
  for (const c of low.candidates) {
    assert.ok(Math.abs(c.maxProbability! - 0.3) < 1e-6);
    assert.ok(c.meanProbability! > 0.2 && c.meanProbability! <= 0.3 + 1e-6);
  }
  // nothing outside the lung mask is labelled
  for (let i = 0; i < lungMask.length; i++) if (!lungMask[i]) assert.equal(low.labels[i], 0);
  assert.deepEqual(low.dims, volume.dims);
});

test('learned generator: the lesion mask it makes slice by slice equals lesionMaskFromProbability on its map', async () => {
  const { volume, lungMask } = phantom();
  // a graded stand-in network: probability rises with the centre channel's density
  const graded: TilePredictor = (batch, [n, c, s]) => {
    const out = new Float32Array(n * s * s);
    for (let b = 0; b < n; b++) for (let k = 0; k < s * s; k++) out[b * s * s + k] = Math.min(1, batch[(b * c + 1) * s * s + k] * 1.2);
    return out;
  };
  const set = await learnedCandidates({ volume, lungMask }, { predict: graded, tileSize: 64, sliceOffsets: [-1, 0, 1], threshold: 0.3, minVolumeMl: 0.05, lesionThreshold: 0.6 });
  const after = lesionMaskFromProbability({ probability: set.probability!.data, region: set.probability!.region, dims: volume.dims, threshold: 0.6, lungMask });
  assert.ok(set.lesion, 'a lesion threshold gives a lesion mask');
  assert.equal(set.lesion.threshold, 0.6);
  assert.ok(after.voxels > 0 && after.voxels < lungMask.reduce((a, v) => a + (v ? 1 : 0), 0), `a partial mask (${after.voxels} voxels)`);
  assert.equal(set.lesion.voxels, after.voxels);
  assert.ok(Buffer.from(set.lesion.mask).equals(Buffer.from(after.mask)));
  const none = await learnedCandidates({ volume, lungMask }, { predict: graded, tileSize: 64, sliceOffsets: [-1, 0, 1], threshold: 0.3 });
  assert.equal(none.lesion, undefined);
  await assert.rejects(learnedCandidates({ volume, lungMask }, { predict: graded, tileSize: 64, sliceOffsets: [-1, 0, 1], threshold: 0.3, lesionThreshold: 0 }), /lesion threshold must be in \(0, 1\]/);
});

test('classical generator on the chest phantom (vessel tree, airways, GGO and consolidation): every lesion is hit', async () => {
  const { makeChestPhantom } = await import('../../src/phantom/chest-phantom.ts');
  const { lesionRecall } = await import('../../src/eval/candidate-recall.ts');
  const ph = makeChestPhantom({ size: [160, 160], slices: 48, seed: 2 });
  const lungMask = Uint8Array.from(ph.lungLabels, (v) => (v ? 1 : 0));
  const r = await classicalCandidates({ volume: ph.volume, lungMask });
  const truth = Uint8Array.from(ph.lesionLabels, (v) => (v ? 1 : 0));
  const rec = lesionRecall({ truth, candidates: r.labels, dims: ph.volume.dims });
  assert.equal(rec.lesions, ph.lesions.filter((l) => l.voxels > 0).length);
  assert.equal(rec.recall, 1, `missed lesions of ${rec.missedSizes.join(', ')} voxels`);
  // the vessel tree must not turn into dozens of candidates
  assert.ok(r.candidates.length <= 3 * rec.lesions, `${r.candidates.length} candidates for ${rec.lesions} lesions`);
});
