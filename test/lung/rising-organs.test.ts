import { test } from 'node:test';
import assert from 'node:assert/strict';
import { takeBackRisingOrgans, organSeedPixels } from '../../src/lung/rising-organs.ts';

// 40 × 40 slices of 2 × 2 mm pixels (4 mm² each), 2 mm apart; slice 0 lies towards the feet
const W = 40;
const PLANE = W * W;
const SPACING = [2, 2, 2] as const;

function stack(nz: number) {
  const before = new Uint8Array(PLANE * nz);
  const hu = new Float32Array(PLANE * nz).fill(-850);
  const allowed = new Uint8Array(PLANE * nz).fill(1);
  const boxes = new Int32Array(4 * nz);
  for (let z = 0; z < nz; z++) boxes.set([0, 0, W - 1, W - 1], 4 * z);
  return { before, hu, allowed, boxes, nz };
}

function inDisk(x: number, y: number, r: number): boolean {
  return r >= 0 && (x - 20) ** 2 + (y - 20) ** 2 <= r * r;
}

/** Lung (label 1, air) everywhere on slice z except a disk of radius r of tissue (+40 HU). */
function lungAroundDisk(s: ReturnType<typeof stack>, z: number, r: number): number {
  let n = 0;
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) {
      const i = PLANE * z + x + W * y;
      if (inDisk(x, y, r)) {
        s.hu[i] = 40;
        n++;
      } else s.before[i] = 1;
    }
  }
  return n;
}

function count(labels: Uint8Array, z: number): number {
  let n = 0;
  for (let i = PLANE * z; i < PLANE * (z + 1); i++) if (labels[i] !== 0) n++;
  return n;
}

test('a dome enclosed by lung on the slices above an unfilled organ is taken back, walking from the feet', () => {
  const s = stack(4);
  // slice 0: the organ, radius 12 px, is not filled (lung around it but the completion left it out)
  lungAroundDisk(s, 0, 12);
  // slices 1–3: the completion filled the dome (radius 10, 8, 6 px: 317, 197, 113 pixels)
  const filled = [0, lungAroundDisk(s, 1, 10), lungAroundDisk(s, 2, 8), lungAroundDisk(s, 3, 6)];
  const labels = s.before.slice();
  for (let i = PLANE; i < PLANE * 4; i++) if (s.hu[i] > 0) labels[i] = 1;
  // slice 1's dome, 317 px × 4 mm² = 1268 mm², is at least the 1000 mm² an organ needs to be recognised
  const removed = takeBackRisingOrgans(labels, s.before, s.allowed, s.hu, { dims: [W, W, 4], spacingMm: SPACING, caudalStep: -1, boxes: s.boxes });
  assert.equal(removed, filled[1] + filled[2] + filled[3]);
  for (let z = 0; z < 4; z++) assert.equal(count(labels, z), count(s.before, z));
  // walked from the other end the domes lie on lung, so no organ is found that way
  const labels2 = s.before.slice();
  for (let i = PLANE; i < PLANE * 4; i++) if (s.hu[i] > 0) labels2[i] = 1;
  assert.equal(organSeedPixels(labels2, s.before, s.allowed, s.hu, { dims: [W, W, 4], spacingMm: SPACING, caudalStep: 1, boxes: s.boxes }), 0);
  assert.equal(organSeedPixels(labels2, s.before, s.allowed, s.hu, { dims: [W, W, 4], spacingMm: SPACING, caudalStep: -1, boxes: s.boxes }), filled[1]);
});

test('a lesion with lung below it stays, however large', () => {
  const s = stack(3);
  // slice 0: all lung; slices 1–2: a consolidation of radius 12 px filled by the completion
  lungAroundDisk(s, 0, -1);
  lungAroundDisk(s, 1, 12);
  lungAroundDisk(s, 2, 12);
  const labels = s.before.slice();
  for (let i = PLANE; i < PLANE * 3; i++) if (s.hu[i] > 0) labels[i] = 1;
  const kept = labels.slice();
  assert.equal(takeBackRisingOrgans(labels, s.before, s.allowed, s.hu, { dims: [W, W, 3], spacingMm: SPACING, caudalStep: -1, boxes: s.boxes }), 0);
  assert.deepEqual(labels, kept);
});

test('a small fill on tissue below is never a seed; a region wider than the dome below stays', () => {
  const s = stack(3);
  lungAroundDisk(s, 0, 12);
  // slice 1: dome radius 10 (317 px, a seed); slice 2: a region of radius 12 (441 px) on it is wider
  // than 1.1 × 317 = 349 px, so it is a lesion lying on the dome
  lungAroundDisk(s, 1, 10);
  const wide = lungAroundDisk(s, 2, 12);
  const labels = s.before.slice();
  for (let i = PLANE; i < PLANE * 3; i++) if (s.hu[i] > 0) labels[i] = 1;
  takeBackRisingOrgans(labels, s.before, s.allowed, s.hu, { dims: [W, W, 3], spacingMm: SPACING, caudalStep: -1, boxes: s.boxes });
  assert.equal(count(labels, 1), count(s.before, 1));
  assert.equal(count(labels, 2), count(s.before, 2) + wide);

  // a filled disk of radius 8 (197 px = 788 mm² < 1000 mm²) on unfilled tissue is no seed
  const t = stack(2);
  lungAroundDisk(t, 0, 12);
  const small = lungAroundDisk(t, 1, 8);
  const labelsT = t.before.slice();
  for (let i = PLANE; i < PLANE * 2; i++) if (t.hu[i] > 0) labelsT[i] = 1;
  assert.equal(takeBackRisingOrgans(labelsT, t.before, t.allowed, t.hu, { dims: [W, W, 2], spacingMm: SPACING, caudalStep: -1, boxes: t.boxes }), 0);
  assert.equal(count(labelsT, 1), count(t.before, 1) + small);
});

test('a dome is followed at most 20 mm above where it was recognised', () => {
  // slice 0 organ, slice 1 seed (radius 10), slices 2–13 a column of radius 9 filled (253 px each)
  const nz = 14;
  const s = stack(nz);
  lungAroundDisk(s, 0, 12);
  lungAroundDisk(s, 1, 10);
  for (let z = 2; z < nz; z++) lungAroundDisk(s, z, 9);
  const labels = s.before.slice();
  for (let i = PLANE; i < PLANE * nz; i++) if (s.hu[i] > 0) labels[i] = 1;
  takeBackRisingOrgans(labels, s.before, s.allowed, s.hu, { dims: [W, W, nz], spacingMm: SPACING, caudalStep: -1, boxes: s.boxes });
  // the seed slice counts 1 mm; each slice above adds 2 mm while the total stays ≤ 21 mm: slices 2–11
  // (heights 3 … 21) go, slices 12 and 13 stay filled
  for (let z = 1; z <= 11; z++) assert.equal(count(labels, z), count(s.before, z), `slice ${z}`);
  for (let z = 12; z < nz; z++) assert.ok(count(labels, z) > count(s.before, z), `slice ${z}`);
});
