import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.ts';
import { voxelToPatient } from '../../src/core/volume.ts';
import { LESION_HU } from '../../src/phantom/lesions.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';

const small = { size: [128, 128] as const, slices: 24 };

test('same seed → same volume and masks; another seed → another volume', () => {
  const a = makeChestPhantom({ ...small, seed: 11 });
  const b = makeChestPhantom({ ...small, seed: 11 });
  const c = makeChestPhantom({ ...small, seed: 12 });
  assert.deepEqual(a.volume.data, b.volume.data);
  assert.deepEqual(a.lesionLabels, b.lesionLabels);
  assert.notDeepEqual(a.volume.data, c.volume.data);
});

test('geometry: dims, spacing, origin and LPS sides of the ground truth', () => {
  const p = makeChestPhantom({ ...small, seed: 2, lesions: 'none', pixelSpacingMm: 2.5 });
  assert.deepEqual(p.volume.dims, [128, 128, 24]);
  assert.equal(p.volume.spacingMm[0], 2.5);
  // the right lung (1) lies on the patient's right: smaller LPS x than the left lung (2)
  const [nx, ny] = p.volume.dims;
  const sum = [0, 0, 0], cnt = [0, 0, 0];
  for (let i = 0; i < p.lungLabels.length; i++) {
    const l = p.lungLabels[i];
    if (!l) continue;
    sum[l] += voxelToPatient(p.volume, [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))])[0];
    cnt[l]++;
  }
  assert.ok(cnt[1] > 0 && cnt[2] > 0);
  assert.ok(sum[1] / cnt[1] < 0 && sum[2] / cnt[2] > 0);
});

test('adult lung volumes, lung HU and lesion HU in their ranges', () => {
  const p = makeChestPhantom({ seed: 3, lesions: [
    { kind: 'ground-glass', pattern: 'peripheral', diameterMm: 30, side: 'left' },
    { kind: 'consolidation', pattern: 'central', diameterMm: 30, side: 'right' },
  ] });
  const voxelMl = p.volume.spacingMm.reduce((a, b) => a * b, 1) / 1000;
  let right = 0, left = 0, lungHu = 0, lungN = 0;
  const lesHu = [0, 0, 0], lesN = [0, 0, 0];
  for (let i = 0; i < p.lungLabels.length; i++) {
    const l = p.lungLabels[i];
    if (l === 1) right++;
    if (l === 2) left++;
    const k = p.lesionLabels[i];
    if (k) { lesHu[k] += p.volume.data[i]; lesN[k]++; }
    else if (l) { lungHu += p.volume.data[i]; lungN++; }
  }
  for (const v of [right * voxelMl, left * voxelMl]) assert.ok(v > 1500 && v < 4000, `lung volume ${v} mL`);
  const meanLung = lungHu / lungN;
  assert.ok(meanLung > -900 && meanLung < -750, `mean lung ${meanLung} HU (vessels included)`);
  const ggo = lesHu[1] / lesN[1];
  const cons = lesHu[2] / lesN[2];
  assert.ok(ggo > LESION_HU['ground-glass'][0] - 150 && ggo < LESION_HU['ground-glass'][1] + 50, `GGO mean ${ggo}`);
  assert.ok(cons > -200 && cons < 80, `consolidation mean ${cons}`);
  assert.equal(p.lesions[0].touchesPleura, true, 'peripheral lesion is subpleural');
  assert.equal(p.lesions[1].touchesPleura, false, 'central lesion stays inside the lung');
  assert.equal(p.lesions[0].voxels, lesN[1]);
});

test('presets: covid is multifocal, bilateral and peripheral; cap is central consolidation on one side', () => {
  const covid = makeChestPhantom({ ...small, seed: 5, lesions: 'covid' });
  assert.ok(covid.lesions.length >= 4);
  assert.deepEqual(new Set(covid.lesions.map((l) => l.side)), new Set(['right', 'left']));
  assert.ok(covid.lesions.every((l) => l.pattern === 'peripheral'));
  const cap = makeChestPhantom({ ...small, seed: 5, lesions: 'cap', lesionCount: 2 });
  assert.equal(cap.lesions.length, 2);
  assert.ok(cap.lesions.every((l) => l.kind === 'consolidation' && l.pattern === 'central'));
  assert.equal(new Set(cap.lesions.map((l) => l.side)).size, 1);
});

test('scan circle padding, pseudo-HU quantisation and bad options', () => {
  const p = makeChestPhantom({ ...small, seed: 1, outsideScanHu: -3024 });
  assert.equal(p.volume.data[0], -3024, 'corner is outside the scan circle');
  const q = makeChestPhantom({ ...small, seed: 1, pseudoHu8Bit: true });
  const levels = new Set(q.volume.data);
  assert.ok(levels.size <= 256, `${levels.size} distinct values after 8-bit quantisation`);
  assert.throws(() => makeChestPhantom({ slices: 0 }), (e: unknown) => e instanceof InputError && /slices/.test(e.message));
  assert.throws(() => makeChestPhantom({ ...small, lesions: [{ kind: 'consolidation', pattern: 'central', diameterMm: 400 }] }), InputError);
});
