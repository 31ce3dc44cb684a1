import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeDisk, dilateDisk, erodeDisk, openDisk, pixelDisk } from '../../src/lung/disk-morphology.ts';
import { closeDisk2d, openDisk2d } from '../../src/core/ndimage/morphology.ts';

const grid = (rows: string[]) => Uint8Array.from(rows.join('').split('').map(Number));
const show = (a: Uint8Array, w: number) => Array.from({ length: a.length / w }, (_, y) => [...a.subarray(w * y, w * y + w)].join(''));

test('disk half-widths per row, isotropic and anisotropic', () => {
  // r = 1.5 mm on 1 mm pixels: the 3 × 3 square (1² + 1² = 2 ≤ 2.25)
  assert.deepEqual([...pixelDisk([1, 1], 1.5).halfWidth], [1, 1, 1]);
  // r = 1 mm: the plus (1² + 1² = 2 > 1)
  assert.deepEqual([...pixelDisk([1, 1], 1).halfWidth], [0, 1, 0]);
  // 2 mm × 1 mm pixels, r = 2 mm: rows −2…2; only row 0 reaches x = ±1 (2² ≤ 4, 2² + 1² > 4)
  const d = pixelDisk([2, 1], 2);
  assert.equal(d.ry, 2);
  assert.deepEqual([...d.halfWidth], [0, 0, 1, 0, 0]);
});

test('closing with the 3 × 3 square fills a one-pixel gap; the image border erodes', () => {
  const m = grid(['000000000', '000000000', '011101110', '000000000', '000000000']);
  const out = new Uint8Array(m.length);
  closeDisk(m, 9, 5, pixelDisk([1, 1], 1.5), out);
  assert.deepEqual(show(out, 9), ['000000000', '000000000', '011111110', '000000000', '000000000']);
  // the plus cannot bridge it: (4, 1) and (4, 3) never enter the dilation
  closeDisk(m, 9, 5, pixelDisk([1, 1], 1), out);
  assert.deepEqual(show(out, 9)[2], '011101110');
});

test('dilation and erosion by the plus, by hand', () => {
  const m = grid(['00000', '01110', '01110', '01110', '00000']);
  const out = new Uint8Array(25);
  const plus = pixelDisk([1, 1], 1);
  erodeDisk(m, 5, 5, plus, out);
  assert.deepEqual(show(out, 5), ['00000', '00000', '00100', '00000', '00000']);
  dilateDisk(grid(['00000', '00000', '00100', '00000', '00000']), 5, 5, plus, out);
  assert.deepEqual(show(out, 5), ['00000', '00100', '01110', '00100', '00000']);
  // the opening of the square by the plus is the plus shape's dilation of its centre
  openDisk(m, 5, 5, plus, out);
  assert.deepEqual(show(out, 5), ['00000', '00100', '01110', '00100', '00000']);
});

test('exactly the distance-transform closing and opening on random images and anisotropic pixels', () => {
  let seed = 99;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let t = 0; t < 400; t++) {
    const w = 1 + Math.floor(rnd() * 24), h = 1 + Math.floor(rnd() * 24);
    const sp: [number, number] = [0.5 + rnd() * 2.5, 0.5 + rnd() * 2.5];
    const r = rnd() * 7;
    const p = rnd();
    const m = new Uint8Array(w * h).map(() => (rnd() < p ? 1 : 0));
    const ref = new Uint8Array(w * h);
    const got = new Uint8Array(w * h);
    const disk = pixelDisk(sp, r);
    closeDisk2d(m, w, h, sp, r, ref);
    closeDisk(m, w, h, disk, got);
    assert.deepEqual(got, ref, `closing ${w}×${h} spacing ${sp} r ${r}`);
    openDisk2d(m, w, h, sp, r, ref);
    openDisk(m, w, h, disk, got);
    assert.deepEqual(got, ref, `opening ${w}×${h} spacing ${sp} r ${r}`);
  }
});
