import assert from 'node:assert/strict';
import { test } from 'node:test';
import { regionLungSide, SIDE_SHARE } from '../../src/lung/quantify.ts';
import { thickSliceCaveat, THICK_SLICE_MM } from '../../src/io/screenable.ts';

test('regionLungSide: right, left, both and none by the share of the region\'s lung voxels (hand-checked)', () => {
  // 10 × 1 × 1 row: lung mask right (1) at x 0–4, left (2) at x 5–9
  const dims = [10, 1, 1] as const;
  const lung = Uint8Array.from([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  const labels = new Uint32Array(10);
  const box = (a: number, b: number) => ({ min: [a, 0, 0], max: [b, 0, 0] });
  // region 1: x 0–4 → 5 right of 5
  labels.fill(1, 0, 5);
  assert.equal(regionLungSide(lung, labels, 1, box(0, 4), dims), 'right');
  // region 2: x 1–5 → 4 right, 1 left: 4/5 = 0.8 = SIDE_SHARE → right
  labels.fill(0);
  labels.fill(2, 1, 6);
  assert.equal(SIDE_SHARE, 0.8);
  assert.equal(regionLungSide(lung, labels, 2, box(1, 5), dims), 'right');
  // region 3: x 3–6 → 2 right, 2 left → both
  labels.fill(0);
  labels.fill(3, 3, 7);
  assert.equal(regionLungSide(lung, labels, 3, box(3, 6), dims), 'both');
  // a region off the lungs: null
  assert.equal(regionLungSide(new Uint8Array(10), labels, 3, box(3, 6), dims), null);
});

test('thickSliceCaveat: only slices thicker than thin-section CT, never for one slice', () => {
  assert.equal(THICK_SLICE_MM, 5);
  assert.equal(thickSliceCaveat({ spacingMm: [0.7, 0.7, 5], dims: [512, 512, 60] }), null);
  assert.match(thickSliceCaveat({ spacingMm: [0.7, 0.7, 7.5], dims: [512, 512, 40] }) ?? '', /slice spacing 7\.5 mm is thicker than thin-section chest CT \(≤ 5 mm\).*span 15 mm/);
  assert.equal(thickSliceCaveat({ spacingMm: [0.7, 0.7, 10], dims: [512, 512, 1] }), null);
});
