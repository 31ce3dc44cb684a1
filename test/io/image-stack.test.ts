import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../src/core/errors.ts';
import { DEFAULT_STACK_SPACING_MM, SINGLE_SLICE_EXTENT_MM, naturalCompare, readImageAsPseudoHu, readImageStack } from '../../src/io/image-stack.ts';
import { withTempDir } from './temp-dir.ts';

/** A w×h grey PNG whose pixel (x, y) is f(x, y). */
async function png(path: string, w: number, h: number, f: (x: number, y: number) => number): Promise<void> {
  const raw = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[x + w * y] = f(x, y);
  await sharp(raw, { raw: { width: w, height: h, channels: 1 } }).png().toFile(path);
}

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('stack', fn);
}

test('natural order puts slice2 before slice10', () => {
  assert.deepEqual(['s10.png', 's2.png', 's1.png'].sort(naturalCompare), ['s1.png', 's2.png', 's10.png']);
});

test('stack is read in natural name order and grey levels map through the lung window', async () => {
  await withDir(async (dir) => {
    // slice index is encoded in pixel (0,0) as 100 + 10 z; written in an order unlike the names
    for (const z of [10, 2, 0, 1]) await png(join(dir, `img${z}.png`), 5, 4, (x, y) => (x === 0 && y === 0 ? 100 + 10 * z : y * 60 + x));
    await writeFile(join(dir, 'notes.txt'), 'not an image');
    const vol = await readImageStack(dir);
    assert.deepEqual(vol.dims, [5, 4, 4]);
    assert.deepEqual(vol.spacingMm, DEFAULT_STACK_SPACING_MM);
    assert.equal(vol.source.pseudoHu, true);
    assert.equal(vol.source.format, 'image-stack');
    assert.match(vol.warnings.join(' '), /pseudo-HU/);
    assert.match(vol.warnings.join(' '), /assumed default/);
    // lung window −600/1500: HU = −1350 + g/255·1500, clamped at −1000
    const hu = (g: number) => Math.max(-1000, Math.round(-1350 + (g / 255) * 1500));
    const slice = 20;
    assert.deepEqual([0, 1, 2, 3].map((z) => vol.data[z * slice]), [0, 1, 2, 10].map((z) => hu(100 + 10 * z)));
    assert.equal(hu(100), -762); // hand: −1350 + 100/255·1500 = −761.76
    assert.equal(vol.data[1 + 5 * 3], hu(181)); // (x=1, y=3): 3·60+1 = 181 → −285.3 → −285
    assert.equal(vol.data[1 + 5 * 3], -285);
    assert.equal(vol.data[1], -1000); // grey 1 → −1344 HU, below air → air
  });
});

test('window and spacing options are honoured; no default-spacing warning when spacing is given', async () => {
  await withDir(async (dir) => {
    await png(join(dir, 'a.png'), 3, 3, () => 255);
    const vol = await readImageStack(dir, { windowHu: { center: 40, width: 400 }, spacingMm: [0.8, 0.8, 2] });
    assert.equal(vol.data[0], 240); // 40 − 200 + 400
    assert.deepEqual(vol.spacingMm, [0.8, 0.8, 2]);
    assert.doesNotMatch(vol.warnings.join(' '), /assumed default/);
  });
});

test('a single JPEG becomes a 1-slice pseudo-HU volume', async () => {
  await withDir(async (dir) => {
    const raw = Buffer.alloc(8 * 6, 128);
    const p = join(dir, 'one.jpg');
    await sharp(raw, { raw: { width: 8, height: 6, channels: 1 } }).jpeg({ quality: 100 }).toFile(p);
    const vol = await readImageAsPseudoHu(p);
    assert.deepEqual(vol.dims, [8, 6, 1]);
    assert.equal(vol.source.sliceCount, 1);
    assert.equal(vol.source.pseudoHu, true);
    // a flat JPEG decodes to 128 ± 1 grey → −597 ± 6 HU
    for (const v of vol.data) assert.ok(Math.abs(v - -597) <= 6, `value ${v}`);
  });
});

test('a single slice without spacing: its longer side spans SINGLE_SLICE_EXTENT_MM of chest, and the warning says so', async () => {
  await withDir(async (dir) => {
    // COVID-SemiSeg's MedSeg slices are 273 × 369: 330 mm / 369 px = 0.8943 mm
    const p = join(dir, 'medseg.png');
    await png(p, 273, 369, () => 200);
    const vol = await readImageAsPseudoHu(p);
    assert.equal(SINGLE_SLICE_EXTENT_MM, 330);
    assert.ok(Math.abs(vol.spacingMm[0] - 0.8943) < 1e-4 && vol.spacingMm[1] === vol.spacingMm[0], `${vol.spacingMm}`);
    assert.equal(vol.spacingMm[2], DEFAULT_STACK_SPACING_MM[2]);
    assert.match(vol.warnings.join(' '), /voxel size 0\.894×0\.894×5 mm is assumed \(the image's longer side taken as 330 mm of chest\)/);
    const given = await readImageAsPseudoHu(p, { spacingMm: [0.7, 0.7, 1] });
    assert.deepEqual(given.spacingMm, [0.7, 0.7, 1]);
    assert.doesNotMatch(given.warnings.join(' '), /assumed/);
  });
});

test('bad stacks give InputErrors naming the file', async () => {
  await withDir(async (dir) => {
    await assert.rejects(readImageStack(dir), (e: unknown) => e instanceof InputError && /no PNG or JPEG files/.test((e as Error).message));
    await png(join(dir, 'a1.png'), 4, 4, () => 10);
    await png(join(dir, 'a2.png'), 5, 4, () => 10);
    await assert.rejects(readImageStack(dir), /a2\.png: image is 5×4 but .*a1\.png is 4×4/);
    const sub = join(dir, 'broken');
    await mkdir(sub);
    await writeFile(join(sub, 'x.png'), 'garbage');
    await assert.rejects(readImageStack(sub), (e: unknown) => e instanceof InputError && /x\.png: cannot decode as PNG\/JPEG/.test((e as Error).message));
    await assert.rejects(readImageStack(dir, { windowHu: { center: 0, width: 0 } }), /width must be a positive number/);
    await assert.rejects(readImageStack(dir, { spacingMm: [1, -1, 1] }), /spacing 1,-1,1 mm is invalid/);
  });
});
