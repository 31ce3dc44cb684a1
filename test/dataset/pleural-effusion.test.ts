import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDENTITY_DIRECTION, type Mat3, type Volume } from '../../src/core/volume.ts';
import { pleuralEffusion } from '../../src/dataset/pleural-effusion.ts';

// 1 column × 10 rows × 4 slices, 2 mm pixels; lung on rows 1..8 of every slice, HU −850
function vol(direction: Mat3 = IDENTITY_DIRECTION): { v: Volume<Int16Array>; lung: Uint8Array } {
  const data = new Int16Array(40).fill(-850);
  const lung = new Uint8Array(40);
  for (let z = 0; z < 4; z++) for (let y = 1; y <= 8; y++) lung[y + 10 * z] = 1;
  return { v: { data, dims: [1, 10, 4], spacingMm: [2, 2, 3], originMm: [0, 0, 0], direction, source: { format: 'synthetic', sliceCount: 4, pseudoHu: false }, warnings: [] }, lung };
}
const opts = { maxDepthMm: 4, inferiorFraction: 0.5, atelectasisMm: 4, seed: 3 };
const isFluid = (hu: number) => hu > 10 - 50 && hu < 10 + 50;

test('pleuralEffusion: fluid of the slice\'s depth up from the lung\'s most posterior row, then collapse pulled towards −50 HU (hand-computed)', () => {
  const { v, lung } = vol();
  const out = pleuralEffusion(v, lung, opts);
  const row = (z: number) => [...out.data.subarray(10 * z, 10 * z + 10)];
  // identity: +y posterior (edge row 8), +z superior (inferior half of the 4 lung slices: z = 0, 1)
  // z = 0, depth 4 mm: rows 8, 7, 6 (0, 2, 4 mm) fluid; row 5 (6 mm) −850 + 800 · (1 − 2/4) = −450; row 4 (8 mm) weight 0
  const z0 = row(0);
  assert.ok([8, 7, 6].every((y) => isFluid(z0[y])), `fluid rows: ${z0}`);
  assert.deepEqual([z0[0], z0[1], z0[2], z0[3], z0[4], z0[5], z0[9]], [-850, -850, -850, -850, -850, -450, -850]);
  // z = 1 (rank 1 of 2): depth 4 · (1 − 1/2) = 2 mm: rows 8, 7 fluid; row 6 (4 mm) −450; row 5 (6 mm) −850
  const z1 = row(1);
  assert.ok([8, 7].every((y) => isFluid(z1[y])), `fluid rows: ${z1}`);
  assert.deepEqual([z1[5], z1[6], z1[9]], [-850, -450, -850]);
  for (const z of [2, 3]) assert.deepEqual(row(z), new Array(10).fill(-850));
  assert.match(out.warnings.at(-1)!, /pleural effusion simulated/);
  assert.deepEqual([...v.data], new Array(40).fill(-850), 'the input volume is not changed');
  assert.deepEqual([...pleuralEffusion(v, lung, opts).data], [...out.data], 'seeded');
});

test('pleuralEffusion follows the direction matrix and leaves denser tissue in the collapse band as it is', () => {
  // y points anterior, slices run inferior: the posterior edge is row 1, the inferior slices z = 3, 2
  const { v, lung } = vol([1, 0, 0, 0, -1, 0, 0, 0, -1]);
  v.data[4 + 10 * 3] = 0; // a vessel at 6 mm from the edge on the most inferior slice
  const out = pleuralEffusion(v, lung, opts);
  const z3 = [...out.data.subarray(30, 40)];
  assert.ok([1, 2, 3].every((y) => isFluid(z3[y])));
  assert.equal(z3[4], 0, 'tissue denser than −50 HU is not thinned');
  for (const z of [0, 1]) assert.deepEqual([...out.data.subarray(10 * z, 10 * z + 10)], new Array(10).fill(-850));
  assert.throws(() => pleuralEffusion(v, new Uint8Array(3), opts), /lung mask has 3 voxels/);
});
