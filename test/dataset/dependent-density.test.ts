import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDENTITY_DIRECTION, type Mat3, type Volume } from '../../src/core/volume.ts';
import { dependentDensity, drawDependentDensity } from '../../src/dataset/dependent-density.ts';

// 1 column × 6 rows × 4 slices, 2 mm pixels; lung on rows 1..4 of every slice, HU −850
function vol(direction: Mat3 = IDENTITY_DIRECTION): { v: Volume<Int16Array>; lung: Uint8Array } {
  const data = new Int16Array(1 * 6 * 4).fill(-850);
  const lung = new Uint8Array(24);
  for (let z = 0; z < 4; z++) for (let y = 1; y <= 4; y++) lung[y + 6 * z] = 1;
  return { v: { data, dims: [1, 6, 4], spacingMm: [2, 2, 3], originMm: [0, 0, 0], direction, source: { format: 'synthetic', sliceCount: 4, pseudoHu: false }, warnings: [] }, lung };
}
const opts = { depthMm: 4, pleuraHu: 400, deepHu: 100, inferiorFraction: 0.5, depthJitter: 0, phase: 0 };

test('dependentDensity: the posterior band of the inferior slices rises from pleuraHu to deepHu over depthMm (hand-computed)', () => {
  const { v, lung } = vol();
  const out = dependentDensity(v, lung, opts);
  // +y is posterior (identity): the most posterior lung row is 4; k = 0, 1, 2 (0, 2, 4 mm) get +400, +250, +100
  // +z is superior: the inferior half of the 4 lung slices is z = 0, 1
  for (const z of [0, 1]) assert.deepEqual([...out.data.subarray(6 * z, 6 * z + 6)], [-850, -850, -750, -600, -450, -850]);
  for (const z of [2, 3]) assert.deepEqual([...out.data.subarray(6 * z, 6 * z + 6)], new Array(6).fill(-850));
  assert.match(out.warnings.at(-1)!, /dependent density/);
  assert.deepEqual([...v.data], new Array(24).fill(-850), 'the input volume is not changed');
});

test('dependentDensity follows the direction matrix: y running anterior and z running inferior flip the band', () => {
  // column y points anterior (P component −1), slices run inferior (S component −1)
  const { v, lung } = vol([1, 0, 0, 0, -1, 0, 0, 0, -1]);
  const out = dependentDensity(v, lung, opts);
  // posterior is now row 1, the band grows to rows 2 and 3; inferior slices are z = 2, 3
  for (const z of [2, 3]) assert.deepEqual([...out.data.subarray(6 * z, 6 * z + 6)], [-850, -450, -600, -750, -850, -850]);
  for (const z of [0, 1]) assert.deepEqual([...out.data.subarray(6 * z, 6 * z + 6)], new Array(6).fill(-850));
});

test('drawDependentDensity: seeded, within its ranges', () => {
  assert.deepEqual(drawDependentDensity(5), drawDependentDensity(5));
  for (let s = 0; s < 200; s++) {
    const d = drawDependentDensity(s);
    assert.ok(d.depthMm >= 4 && d.depthMm <= 10 && d.pleuraHu >= 200 && d.pleuraHu <= 450 && d.deepHu === Math.round(d.pleuraHu / 4));
    assert.ok(d.inferiorFraction >= 0.4 && d.inferiorFraction <= 0.8 && d.depthJitter >= 0 && d.depthJitter <= 0.5);
  }
});
