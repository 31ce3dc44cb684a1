import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_OVERLAY_SLICES, findBurnedInAir } from '../../src/lung/burned-in.ts';
import { DEFAULT_COSTAL_COMPLETION, completeCostalBites } from '../../src/lung/costal-completion.ts';
import { extractLungs } from '../../src/lung/extract-lungs.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';

/** nz slices of 12 × 10 noise around −800 HU with a 2 × 2 marker at −1000 (x 5–6, y 4–5) on every slice. */
function stack(nz: number): Int16Array {
  const plane = 120;
  const d = new Int16Array(plane * nz);
  let seed = 3;
  for (let i = 0; i < d.length; i++) d[i] = -800 + ((seed = (seed * 16807) % 2147483647) % 41) - 20;
  for (let z = 0; z < nz; z++) for (const [x, y] of [[5, 4], [6, 4], [5, 5], [6, 5]]) d[plane * z + x + 12 * y] = -1000;
  return d;
}

test('a marker identical on every slice is found and grown by one pixel; noise never is', () => {
  const nz = MIN_OVERLAY_SLICES;
  const found = findBurnedInAir(stack(nz), [12, 10, nz], { thresholdHu: -400, window: [0, 0, 11, 9], pixelMm: [1, 1] });
  assert.ok(found !== null);
  assert.equal(found.core.reduce((a, b) => a + b, 0), 4);
  // the 2 × 2 marker grown to 4 × 4: x 4–7, y 3–6
  const hits: number[] = [];
  found.mask.forEach((v, i) => v && hits.push(i));
  const expected: number[] = [];
  for (let y = 3; y <= 6; y++) for (let x = 4; x <= 7; x++) expected.push(x + 12 * y);
  assert.deepEqual(hits, expected);
});

test('no marker: too few slices, one slice different, outside the window, or above the threshold', () => {
  assert.equal(findBurnedInAir(stack(MIN_OVERLAY_SLICES - 1), [12, 10, MIN_OVERLAY_SLICES - 1], { thresholdHu: -400, window: [0, 0, 11, 9], pixelMm: [1, 1] }), null);
  const d = stack(10);
  d[120 * 7 + 5 + 12 * 4] = -999;
  d[120 * 3 + 6 + 12 * 4] = -998;
  d[120 * 9 + 5 + 12 * 5] = -997;
  d[120 * 1 + 6 + 12 * 5] = -996;
  assert.equal(findBurnedInAir(d, [12, 10, 10], { thresholdHu: -400, window: [0, 0, 11, 9], pixelMm: [1, 1] }), null);
  assert.equal(findBurnedInAir(stack(10), [12, 10, 10], { thresholdHu: -400, window: [8, 0, 11, 9], pixelMm: [1, 1] }), null);
  assert.equal(findBurnedInAir(stack(10), [12, 10, 10], { thresholdHu: -1000, window: [0, 0, 11, 9], pixelMm: [1, 1] }), null);
  // static air reaching the image border (air around the body, scanner padding) is no marker
  const edge = stack(10);
  for (let z = 0; z < 10; z++) for (let x = 0; x < 7; x++) edge[120 * z + x + 12 * 4] = -3024;
  assert.equal(findBurnedInAir(edge, [12, 10, 10], { thresholdHu: -400, window: [0, 0, 11, 9], pixelMm: [1, 1] }), null);
  // nor is a static dark patch larger than a marker: at 20 mm pixels the 2 × 2 block is 40 mm wide
  assert.ok(findBurnedInAir(stack(10), [12, 10, 10], { thresholdHu: -400, window: [0, 0, 11, 9], pixelMm: [20, 20] }) !== null);
  assert.equal(findBurnedInAir(stack(10), [12, 10, 10], { thresholdHu: -400, window: [0, 0, 11, 9], pixelMm: [20.5, 20] }), null);
});

test('a burned-in letter in the chest wall joined to the right lung on one slice stays out of it', () => {
  const p = makeChestPhantom({ seed: 11, lesions: 'none', size: [256, 256], slices: 24 });
  const [nx, ny, nz] = p.volume.dims;
  const plane = nx * ny;
  const clean = extractLungs(p.volume);
  // the right lung's outermost column on the middle slice, and the body edge beyond it on that row
  const zMid = nz >> 1;
  let side = 0;
  let edgeX = -1;
  let rowY = -1;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      if (p.lungLabels[x + nx * y + plane * zMid] !== 1) continue;
      const lateral = side === 0 ? true : x < nx / 2 ? x < edgeX : x > edgeX;
      if (edgeX < 0 || lateral) { edgeX = x; rowY = y; side = x < nx / 2 ? -1 : 1; }
    }
  }
  assert.ok(edgeX >= 0);
  let skin = edgeX;
  while (skin + side >= 0 && skin + side < nx && p.volume.data[skin + side + nx * rowY + plane * zMid] > -500) skin += side;
  // an 'L'-shaped glyph (4 × 12 px bar + 8 × 3 px foot) half way between lung and skin, on every slice
  const gx = Math.round((edgeX + skin) / 2) - 4;
  const glyph: number[] = [];
  for (let y = rowY - 6; y < rowY + 6; y++) for (let x = gx; x < gx + 4; x++) glyph.push(x + nx * y);
  for (let y = rowY + 6; y < rowY + 9; y++) for (let x = gx; x < gx + 8; x++) glyph.push(x + nx * y);
  const data = p.volume.data.slice();
  for (let z = 0; z < nz; z++) for (const i of glyph) data[i + plane * z] = -1000;
  // on one slice a dark bridge joins glyph and lung, as where the letter touches the pleura
  for (let x = Math.min(edgeX, gx); x <= Math.max(edgeX, gx + 3); x++) data[x + nx * rowY + plane * zMid] = -1000;
  const r = extractLungs({ ...p.volume, data });
  assert.ok(r.warnings.some((w) => /burned-in marker or text/.test(w)), r.warnings.join('; '));
  for (let z = 0; z < nz; z++) for (const i of glyph) assert.equal(r.mask[i + plane * z], 0, `glyph voxel in the mask on slice ${z}`);
  // no wedge of chest wall: the right lung grows by at most the bridge's few voxels
  assert.ok(r.volumeMl.right <= clean.volumeMl.right * 1.005, `${r.volumeMl.right.toFixed(1)} vs ${clean.volumeMl.right.toFixed(1)} mL`);
  assert.equal(r.volumeMl.left, clean.volumeMl.left);
});

test('a small part of the lung far from the rest gives no hull points (no wedge across the chest wall)', () => {
  const w = 60;
  const slice = (): Uint8Array => {
    const labels = new Uint8Array(w * w);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) if ((x - 35) ** 2 + (y - 30) ** 2 <= 15 * 15) labels[x + w * y] = 1;
    // a 2 × 2 island 15 px (30 mm) lateral to the lung's edge
    for (const [x, y] of [[3, 29], [4, 29], [3, 30], [4, 30]]) labels[x + w * y] = 1;
    return labels;
  };
  const ctx = { width: w, height: w, spacingMm: [2, 2] as const, bodyCentre: [52, 30] as const, allowed: new Uint8Array(w * w).fill(1), hu: new Float32Array(w * w) };
  const guarded = completeCostalBites(slice(), 0, 1, ctx, { ...DEFAULT_COSTAL_COMPLETION, neckMm: 0 });
  const unguarded = completeCostalBites(slice(), 0, 1, ctx, { ...DEFAULT_COSTAL_COMPLETION, neckMm: 0, islandGapMm: Infinity });
  assert.equal(guarded, 0);
  // without the guard the hull spans island and lung and the wedge between them is filled
  assert.ok(unguarded > 200, `${unguarded} pixels`);
});
