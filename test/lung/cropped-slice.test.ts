// Body-cropped single slices (issue 10): the lungs run into the image border, no room air is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LUNG_BORDER_SHARE, findBorderCutLungAir, tissueBorderShare } from '../../src/lung/cropped-slice.ts';
import { extractLungs } from '../../src/lung/extract-lungs.ts';
import { otsuLowerOfThree, otsuSplit, pseudoHuAirThreshold } from '../../src/lung/pseudo-hu-threshold.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { croppedSlice } from './cropped-phantom.ts';

/** Dice of two label maps; with `sides`, a voxel counts only when its side (1/2) agrees too. */
function dice(mask: Uint8Array, truth: Uint8Array, sides: boolean): number {
  let inter = 0, a = 0, b = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) a++;
    if (truth[i]) b++;
    if (mask[i] && truth[i] && (!sides || mask[i] === truth[i])) inter++;
  }
  return (2 * inter) / (a + b);
}

/** Lung pixels of the truth on the image border: the premise of the test (lungs cut by the crop). */
function lungOnBorder(truth: Uint8Array, w: number, h: number): number {
  let n = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x === 0 || y === 0 || x === w - 1 || y === h - 1) && truth[x + w * y]) n++;
  return n;
}

for (const store of ['upright', 'upside-down', 'turned'] as const) {
  test(`phantom slice cropped inside the body, stored ${store}: both lungs found, Dice ≥ 0.95`, () => {
    const { volume, truth } = croppedSlice(store);
    const [w, h] = volume.dims;
    assert.ok(lungOnBorder(truth, w, h) > 40, 'both lungs must run into the image border');
    // no room air: the crop lies inside the body on every side except where the lungs are cut
    assert.ok(tissueBorderShare(new Float32Array(volume.data), w, h, 0, -400) >= 0.3);
    const r = extractLungs(volume);
    assert.ok(r.voxels.right > 0 && r.voxels.left > 0, 'two lungs');
    // upright and upside down keep the image columns' sides; a turned slice's sides are a guess
    const d = dice(r.mask, truth, store !== 'turned');
    assert.ok(d >= 0.95, `Dice ${d.toFixed(4)}`);
    assert.match(r.warnings.join(' '), /cropped inside the body/);
    if (store === 'turned') assert.match(r.warnings.join(' '), /turned by 90°.*may be swapped/);
    else assert.doesNotMatch(r.warnings.join(' '), /turned by 90°/);
  });
}

test('a whole-body single slice (room air round it, a table below) is not taken for a cropped one', () => {
  const p = makeChestPhantom({ seed: 3, size: [256, 256], slices: 1, zRangeMm: [150, 150], lesions: 'none', pseudoHu8Bit: true });
  const volume = { ...p.volume, source: { ...p.volume.source, format: 'image-stack' as const } };
  const r = extractLungs(volume);
  assert.doesNotMatch(r.warnings.join(' '), /cropped inside the body/);
  const d = dice(r.mask, p.lungLabels, true);
  assert.ok(d >= 0.95, `Dice ${d.toFixed(4)}`);
});

test('border air: a lung cut in half by the border is lung, a corner of room air and a strip along the border are not', () => {
  // 60 × 40 grid, 2 mm pixels, tissue 0 HU; air −900 in three shapes
  const w = 60, h = 40;
  const hu = new Float32Array(w * h);
  // half-disk of radius 8 px against the left border, centre (0, 15)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x * x + (y - 15) ** 2 <= 64) hu[x + w * y] = -900;
  // right triangle in the top-right corner, legs 14 px
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (w - 1 - x + y <= 13) hu[x + w * y] = -900;
  // strip 4 rows deep along the bottom, x 15…54
  for (let y = h - 4; y < h; y++) for (let x = 15; x <= 54; x++) hu[x + w * y] = -900;
  const out = new Uint8Array(w * h);
  const found = findBorderCutLungAir(hu, w, h, 0, out, new Int32Array(w * h), { thresholdHu: -400, spacingMm: [2, 2] });
  assert.equal(found.length, 3);
  // half-disk: Σ over rows dy = −8…8 of ⌊√(64 − dy²)⌋ + 1 = 9 + 2·(8+8+8+7+7+6+4+1) = 107 px = 428 mm² ≥ 400
  const disk = found.find((f) => f.size === 107);
  assert.ok(disk, `components ${JSON.stringify(found)}`);
  assert.equal(disk.borderPixels, 17); // x = 0, y = 7…23
  assert.ok(disk.lung && disk.borderPixels / disk.boundaryPixels <= MAX_LUNG_BORDER_SHARE);
  // triangle: 14 + 13 + … + 1 = 105 px = 420 mm², 27 of its pixels on the border; strip: 160 px, 40 on the border
  const tri = found.find((f) => f.size === 105);
  const strip = found.find((f) => f.size === 160);
  assert.ok(tri && strip, `components ${JSON.stringify(found)}`);
  assert.equal(tri.borderPixels, 27);
  assert.equal(strip.borderPixels, 40);
  assert.ok(tri.borderPixels / tri.boundaryPixels > MAX_LUNG_BORDER_SHARE && strip.borderPixels / strip.boundaryPixels > MAX_LUNG_BORDER_SHARE);
  assert.equal(tri.lung || strip.lung, false);
  // the opening that parts a lung from room air finds no lung in them either: only the half-disk is marked
  let marked = 0;
  for (let i = 0; i < out.length; i++) {
    if (!out[i]) continue;
    marked++;
    assert.ok(i % w <= 8 && Math.floor(i / w) >= 7 && Math.floor(i / w) <= 23, `pixel ${i % w},${Math.floor(i / w)}`);
  }
  assert.equal(marked, 107);
});

test('Otsu: two classes split between their modes; three classes keep soft tissue off the air when lung is clamped to air', () => {
  // 40 % air/lung at −1000, 40 % tissue at −880 (a too-wide window), 20 % bone tail at +100
  const v = new Float32Array(1000);
  v.fill(-1000, 0, 400);
  v.fill(-880, 400, 800);
  v.fill(100, 800);
  const two = otsuSplit(v);
  // two classes cut off the bone: −880 lands with the air (the failure that needs three); 5 HU bins
  assert.deepEqual(two, { thresholdHu: -877.5, upperMeanHu: 100 });
  // three classes: −1000 | −880 | +100, the lower split between the first two bins apart
  assert.equal(otsuLowerOfThree(v), -997.5);
  const t = pseudoHuAirThreshold(v, -400);
  // 80 % of the slice below −400 is more air than a chest slice holds: the image decides, with three classes
  assert.deepEqual([t.fromImage, t.thresholdHu], [true, -997.5]);
  // a true lung window: lung −850, tissue +40: the declared threshold stays
  const lw = new Float32Array(1000);
  lw.fill(-850, 0, 500);
  lw.fill(40, 500);
  const keep = pseudoHuAirThreshold(lw, -400);
  assert.deepEqual([keep.fromImage, keep.thresholdHu], [false, -400]);
  assert.ok(Math.abs(keep.tissueMeanHu - 40) < 5);
});
