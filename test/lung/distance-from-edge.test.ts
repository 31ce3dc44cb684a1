import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeDistanceMap, relativeDistanceFromEdge, volumeEdgeDistance } from '../../src/lung/distance-from-edge.ts';

/** Maps store Float32: compare to 1e-6. */
function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} ≠ ${expected}`);
}

function rect(w: number, h: number, x0: number, y0: number, x1: number, y1: number) {
  const data = new Uint8Array(w * h);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[x + w * y] = 1;
  return { data, width: w, height: h };
}

test('§2.5.1 on a 5×3 lung block inside a 9×7 image, 1 mm pixels', () => {
  const s = rect(9, 7, 2, 2, 6, 4);
  // centre (4,3): nearest non-lung pixel centre is (4,1) or (4,5) → 2 mm; rectangle 5 × 3 mm → diagonal √34
  near(relativeDistanceFromEdge(s, [4, 3], [1, 1]), 2 / Math.sqrt(34));
  // a lung pixel on the rim is one pixel from the edge
  near(relativeDistanceFromEdge(s, [2, 2], [1, 1]), 1 / Math.sqrt(34));
});

test('anisotropic pixels: distances and diagonal in mm', () => {
  const s = rect(9, 7, 2, 2, 6, 4);
  // sx = 0.5, sy = 2: from (4,3) the edge is 3 px × 0.5 = 1.5 mm away along x (vs 2 px × 2 = 4 mm along y)
  // rectangle 5 × 0.5 = 2.5 mm by 3 × 2 = 6 mm → diagonal 6.5 mm
  near(relativeDistanceFromEdge(s, [4, 3], [0.5, 2]), 1.5 / 6.5);
});

test('points outside the lung give 0, or minus their distance with outside: signed', () => {
  const s = rect(9, 7, 2, 2, 6, 4);
  assert.equal(relativeDistanceFromEdge(s, [0, 3], [1, 1]), 0);
  // (0,3) is 2 mm from the nearest lung pixel (2,3)
  near(relativeDistanceFromEdge(s, [0, 3], [1, 1], { outside: 'signed' }), -2 / Math.sqrt(34));
  assert.equal(relativeDistanceFromEdge(s, [-5, 3], [1, 1]), 0, 'outside the image is outside the lung');
  assert.equal(relativeDistanceFromEdge({ data: new Uint8Array(4), width: 2, height: 2 }, [0, 0], [1, 1]), 0, 'no lung on the slice');
});

test('two lungs: the rectangle spans both, the edge is the nearest of either', () => {
  const w = 12, h = 5;
  const data = new Uint8Array(w * h);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) { data[x + w * y] = 1; data[x + 7 + w * y] = 2; }
  const m = edgeDistanceMap({ data, width: w, height: h }, [1, 1]);
  assert.deepEqual(m.bounds, { x0: 1, y0: 1, x1: 10, y1: 3 });
  assert.equal(m.diagonalMm, Math.hypot(10, 3));
  assert.equal(m.distanceMm[2 + w * 2], 2);
});

test('min-area rectangle of a diagonal bar is the rotated one (smaller than axis-aligned)', () => {
  const w = 12, h = 12;
  const data = new Uint8Array(w * h);
  for (let k = 1; k <= 10; k++) data[k + w * k] = 1;
  const axis = edgeDistanceMap({ data, width: w, height: h }, [1, 1]);
  const rot = edgeDistanceMap({ data, width: w, height: h }, [1, 1], { rectangle: 'min-area' });
  assert.equal(axis.diagonalMm, Math.hypot(10, 10));
  // pixel squares along the diagonal: hull is a hexagon; the best rectangle has a side along it,
  // length 9√2 + √2 = 10√2 and width √2 → diagonal √(200 + 2)
  assert.ok(Math.abs(rot.diagonalMm - Math.sqrt(202)) < 1e-9, `got ${rot.diagonalMm}`);
});

test('volumeEdgeDistance answers per slice from cached maps', () => {
  const w = 9, h = 7;
  const vol = new Uint8Array(w * h * 2);
  vol.set(rect(9, 7, 2, 2, 6, 4).data, w * h);
  const q = volumeEdgeDistance(vol, [w, h, 2], [1, 1, 5]);
  near(q.at([4, 3, 1]), 2 / Math.sqrt(34));
  assert.equal(q.at([4, 3, 0]), 0);
  assert.equal(q.map(1), q.map(1));
});
