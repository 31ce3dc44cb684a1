import { test } from 'node:test';
import assert from 'node:assert/strict';
import { squaredEdt2d, squaredEdtZeroFeatureAt } from '../../../src/core/ndimage/distance-transform.ts';
import { mulberry32 } from '../../../src/core/random.ts';
import { closeDisk2d, fillHoles2d, label2d, label3d, openDisk2d } from '../../../src/core/ndimage/morphology.ts';

function grid(rows: string[]): { data: Uint8Array; w: number; h: number } {
  const h = rows.length;
  const w = rows[0].length;
  const data = new Uint8Array(w * h);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[x + w * y] = c === '#' ? 1 : 0)));
  return { data, w, h };
}

test('EDT to the single background pixel equals the hand-computed squared distances (anisotropic)', () => {
  // 3×3 all lung except the centre; spacing 2 mm in x, 3 mm in y
  const g = grid(['###', '#.#', '###']);
  const d = squaredEdt2d(g.data, g.w, g.h, [2, 3], { featureWhen: 'zero' });
  // corner (0,0): dx = 1 px = 2 mm, dy = 1 px = 3 mm → 4 + 9 = 13
  assert.deepEqual([...d], [13, 9, 13, 4, 0, 4, 13, 9, 13]);
});

test('EDT with the image border as feature: distance to the virtual pixels outside', () => {
  const g = grid(['#####', '#####', '#####', '#####', '#####']);
  const d = squaredEdt2d(g.data, 5, 5, [1, 1], { featureWhen: 'zero', imageBorderIsFeature: true });
  // middle row: nearest outside pixel is x = -1 or x = 5 (or y = -1 / 5): 1, 2, 3, 2, 1 px
  assert.deepEqual([...d].slice(10, 15), [1, 4, 9, 4, 1]);
  assert.equal(d[0], 1);
});

test('EDT without any feature is +Infinity everywhere', () => {
  const g = grid(['##', '##']);
  const d = squaredEdt2d(g.data, 2, 2, [1, 1], { featureWhen: 'zero' });
  assert.ok([...d].every((v) => v === Infinity));
});

test('EDT agrees with brute force on a random mask', () => {
  const w = 23, h = 17;
  const data = new Uint8Array(w * h);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s % 7 === 0 ? 0 : 1;
  }
  const d = squaredEdt2d(data, w, h, [0.7, 1.3], { featureWhen: 'zero' });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let best = Infinity;
    for (let v = 0; v < h; v++) for (let u = 0; u < w; u++) if (data[u + w * v] === 0) best = Math.min(best, ((x - u) * 0.7) ** 2 + ((y - v) * 1.3) ** 2);
    assert.ok(Math.abs(d[x + w * y] - best) < 1e-9, `pixel ${x},${y}: ${d[x + w * y]} vs ${best}`);
  }
});

test('fillHoles2d fills enclosed background only', () => {
  const g = grid(['#####', '#...#', '#.#.#', '#...#', '####.']);
  const n = fillHoles2d(g.data, g.w, g.h, 1);
  // the ring is open at the bottom-right corner pixel only diagonally: 4-connected background cannot leave
  assert.equal(n, 8);
  assert.equal(g.data[4 + 5 * 4], 0);
});

test('label2d and label3d count components and sizes', () => {
  const g = grid(['##..#', '##..#', '.....', '#....']);
  const cc = label2d(g.data, g.w, g.h);
  assert.equal(cc.count, 3);
  assert.deepEqual([...cc.sizes].slice(1).sort(), [1, 2, 4]);
  // two slices: the single voxel at (0,3) touches one in the next slice → still 3 components in 3-D
  const vol = new Uint8Array(40);
  vol.set(g.data, 0);
  vol[20 + 0 + 5 * 3] = 1;
  const c3 = label3d(vol, [5, 4, 2]);
  assert.equal(c3.count, 3);
  assert.equal(Math.max(...c3.sizes), 4);
});

test('closing with a disk fills a notch narrower than the disk, opening cuts a thin neck', () => {
  const w = 21, h = 21;
  const m = new Uint8Array(w * h);
  for (let y = 5; y < 16; y++) for (let x = 5; x < 16; x++) m[x + w * y] = 1;
  // a one-pixel-wide notch, three deep, in the top edge
  for (let y = 5; y <= 7; y++) m[10 + w * y] = 0;
  const out = new Uint8Array(w * h);
  closeDisk2d(m, w, h, [1, 1], 3, out);
  // a radius-3 disk centred 3 px above the edge just touches the notch's mouth, nothing deeper
  assert.equal(out[10 + w * 5], 0);
  assert.equal(out[10 + w * 6], 1);
  assert.equal(out[10 + w * 7], 1);
  for (let i = 0; i < m.length; i++) if (m[i]) assert.equal(out[i], 1, 'closing keeps every input pixel');
  // two 5×5 blocks joined by a 1-pixel bridge: opening with r = 1.5 removes the bridge
  const b = new Uint8Array(w * h);
  for (let y = 2; y < 7; y++) for (let x = 2; x < 7; x++) { b[x + w * y] = 1; b[x + 10 + w * y] = 1; }
  for (let x = 7; x < 12; x++) b[x + w * 4] = 1;
  openDisk2d(b, w, h, [1, 1], 1.5, out);
  assert.equal(out[9 + w * 4], 0);
  assert.equal(out[4 + w * 4], 1);
  assert.equal(label2d(out, w, h).count, 2);
});

test('squaredEdtZeroFeatureAt equals squaredEdt2d (zero features, image border) bit for bit at every pixel', () => {
  // hand-computed: 5×5 all lung, 1 mm: the centre is 3 px from the virtual border
  const g = grid(['#####', '#####', '#####', '#####', '#####']);
  assert.equal(squaredEdtZeroFeatureAt(g.data, 5, 5, [1, 1], 2, 2), 9);
  assert.equal(squaredEdtZeroFeatureAt(g.data, 5, 5, [1, 1], 0, 3), 1);
  // random blobby masks with the anisotropic and non-representable spacings of real CT
  const rand = mulberry32(11);
  for (const [w, h, sx, sy] of [[37, 23, 0.703125, 0.703125], [40, 31, 0.625, 1.37], [19, 44, 2.38, 0.59375], [64, 64, 0.75, 0.75]] as const) {
    for (let trial = 0; trial < 4; trial++) {
      const img = new Uint8Array(w * h);
      // a few filled discs (lung) on background, so there are long runs and equidistant ties
      for (let k = 0; k < 5; k++) {
        const cx = rand() * w, cy = rand() * h, r = 3 + rand() * Math.min(w, h) * 0.4;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) img[x + w * y] = 1;
      }
      if (trial === 3) img.fill(1);
      const full = squaredEdt2d(img, w, h, [sx, sy], { featureWhen: 'zero', imageBorderIsFeature: true });
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const one = squaredEdtZeroFeatureAt(img, w, h, [sx, sy], x, y);
        if (!Object.is(one, full[x + w * y])) assert.fail(`${w}×${h} @ ${sx}×${sy}, trial ${trial}, pixel (${x}, ${y}): ${one} vs ${full[x + w * y]}`);
      }
    }
  }
  assert.throws(() => squaredEdtZeroFeatureAt(g.data, 5, 5, [1, 1], 5, 0), RangeError);
});
