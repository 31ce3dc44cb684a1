import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentStats, labelComponents3d, type Connectivity } from '../../../src/core/ndimage/connected-components.ts';
import { maskBounds } from '../../../src/core/ndimage/mask-bounds.ts';
import type { Vec3 } from '../../../src/core/volume.ts';

function maskFrom(dims: Vec3, on: Array<[number, number, number]>): Uint8Array {
  const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (const [x, y, z] of on) m[x + dims[0] * (y + dims[1] * z)] = 1;
  return m;
}

test('corner-touching voxels: one component with 26-connectivity, two with 18 and 6', () => {
  const dims: Vec3 = [3, 3, 3];
  const m = maskFrom(dims, [[0, 0, 0], [1, 1, 1]]);
  assert.equal(labelComponents3d(m, dims, { connectivity: 26 }).count, 1);
  assert.equal(labelComponents3d(m, dims, { connectivity: 18 }).count, 2);
  assert.equal(labelComponents3d(m, dims, { connectivity: 6 }).count, 2);
});

test('edge-touching voxels: one component with 26 and 18, two with 6', () => {
  const dims: Vec3 = [3, 3, 2];
  // (2,0,0) and (1,1,0) share an edge in-plane; (0,0,0) and (0,1,1) share an edge through z
  const m = maskFrom(dims, [[2, 0, 0], [1, 1, 0]]);
  assert.equal(labelComponents3d(m, dims, { connectivity: 26 }).count, 1);
  assert.equal(labelComponents3d(m, dims, { connectivity: 18 }).count, 1);
  assert.equal(labelComponents3d(m, dims, { connectivity: 6 }).count, 2);
  const m2 = maskFrom(dims, [[0, 0, 0], [0, 1, 1]]);
  assert.equal(labelComponents3d(m2, dims, { connectivity: 18 }).count, 1);
  assert.equal(labelComponents3d(m2, dims, { connectivity: 6 }).count, 2);
});

test('a U shape whose arms get different provisional labels is merged into one component', () => {
  // slice z=0, rows top to bottom:
  //   1 0 1
  //   1 0 1
  //   1 1 1
  const dims: Vec3 = [3, 3, 1];
  const m = maskFrom(dims, [[0, 0, 0], [2, 0, 0], [0, 1, 0], [2, 1, 0], [0, 2, 0], [1, 2, 0], [2, 2, 0]]);
  const r = labelComponents3d(m, dims, { connectivity: 6 });
  assert.equal(r.count, 1);
  assert.deepEqual([...r.labels], [1, 0, 1, 1, 0, 1, 1, 1, 1]);
});

test('labels are numbered by first appearance in memory order and stats are hand-checked', () => {
  // 4×3×2 grid. Component A: (3,0,0),(3,1,0),(3,1,1). Component B: (0,2,0),(1,2,0).
  const dims: Vec3 = [4, 3, 2];
  const m = maskFrom(dims, [[3, 0, 0], [3, 1, 0], [3, 1, 1], [0, 2, 0], [1, 2, 0]]);
  const r = labelComponents3d(m, dims, { connectivity: 6 });
  assert.equal(r.count, 2);
  assert.equal(r.labels[3], 1); // (3,0,0) comes first
  assert.equal(r.labels[0 + 4 * 2], 2);
  const s = componentStats(r.labels, r.count, dims);
  assert.equal(s.voxelCounts[1], 3);
  assert.equal(s.voxelCounts[2], 2);
  assert.deepEqual([s.minX[1], s.minY[1], s.minZ[1], s.maxX[1], s.maxY[1], s.maxZ[1]], [3, 0, 0, 3, 1, 1]);
  assert.deepEqual([s.minX[2], s.minY[2], s.minZ[2], s.maxX[2], s.maxY[2], s.maxZ[2]], [0, 2, 0, 1, 2, 0]);
  // centroid of A = ((3+3+3)/3, (0+1+1)/3, (0+0+1)/3)
  assert.equal(s.sumX[1] / 3, 3);
  assert.equal(s.sumY[1] / 3, 2 / 3);
  assert.equal(s.sumZ[1] / 3, 1 / 3);
});

test('componentStats sums and maximises a value map per component', () => {
  const dims: Vec3 = [3, 1, 1];
  const m = maskFrom(dims, [[0, 0, 0], [1, 0, 0]]);
  const r = labelComponents3d(m, dims);
  const s = componentStats(r.labels, r.count, dims, Float32Array.from([0.25, 0.75, 0.9]));
  assert.equal(s.valueSum[1], 1);
  assert.equal(s.valueMax[1], 0.75);
});

test('empty mask gives no components; a full grid gives one', () => {
  const dims: Vec3 = [5, 4, 3];
  assert.equal(labelComponents3d(new Uint8Array(60), dims).count, 0);
  assert.equal(maskBounds(new Uint8Array(60), dims), null);
  const full = labelComponents3d(new Uint8Array(60).fill(1), dims, { connectivity: 6 });
  assert.equal(full.count, 1);
  assert.ok(full.labels.every((l) => l === 1));
});

test('wrong mask length or connectivity is a RangeError', () => {
  assert.throws(() => labelComponents3d(new Uint8Array(5), [2, 2, 2]), /8/);
  assert.throws(() => labelComponents3d(new Uint8Array(8), [2, 2, 2], { connectivity: 7 as Connectivity }), /6, 18 or 26/);
});

/** Reference: breadth-first flood fill, deliberately simple. */
function floodFillCount(m: Uint8Array, dims: Vec3, conn: Connectivity): { count: number; sizes: number[] } {
  const [nx, ny, nz] = dims;
  const seen = new Uint8Array(m.length);
  const sizes: number[] = [];
  for (let start = 0; start < m.length; start++) {
    if (!m[start] || seen[start]) continue;
    let size = 0;
    const queue = [start];
    seen[start] = 1;
    while (queue.length) {
      const i = queue.pop()!;
      size++;
      const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
      for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const o = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (o === 0 || (conn === 6 && o > 1) || (conn === 18 && o > 2)) continue;
        const xx = x + dx, yy = y + dy, zz = z + dz;
        if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz) continue;
        const j = xx + nx * (yy + ny * zz);
        if (m[j] && !seen[j]) {
          seen[j] = 1;
          queue.push(j);
        }
      }
    }
    sizes.push(size);
  }
  return { count: sizes.length, sizes: sizes.sort((a, b) => a - b) };
}

test('random masks: counts and component sizes agree with a flood-fill reference for 6/18/26', () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const dims: Vec3 = [9, 8, 7];
  for (let trial = 0; trial < 6; trial++) {
    const m = new Uint8Array(9 * 8 * 7).map(() => (rand() < 0.3 ? 1 : 0));
    for (const conn of [6, 18, 26] as const) {
      const r = labelComponents3d(m, dims, { connectivity: conn });
      const ref = floodFillCount(m, dims, conn);
      assert.equal(r.count, ref.count, `trial ${trial} connectivity ${conn}`);
      const s = componentStats(r.labels, r.count, dims);
      assert.deepEqual([...s.voxelCounts.subarray(1)].sort((a, b) => a - b), ref.sizes);
    }
  }
});

test('labelComponents3d lists exactly the labelled voxels, ascending; componentStats over that list equals the full pass, value sums included', () => {
  let seed = 99;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let trial = 0; trial < 8; trial++) {
    // odd widths, so rows start off the 4-byte boundary the labelling's word skip uses; the last one lists more voxels than the list's first size
    const dims: Vec3 = trial === 7 ? [41, 30, 10] : [5 + Math.floor(rand() * 20), 3 + Math.floor(rand() * 9), 1 + Math.floor(rand() * 6)];
    const n = dims[0] * dims[1] * dims[2];
    const m = new Uint8Array(n).map(() => (rand() < [0.02, 0.3][trial % 2] ? 1 : 0));
    const values = Float32Array.from({ length: n }, () => rand());
    const r = labelComponents3d(m, dims);
    const want = [...m.keys()].filter((i) => m[i] !== 0);
    assert.deepEqual([...r.voxels], want, `trial ${trial}`);
    assert.ok(want.every((i) => r.labels[i] > 0) && r.labels.every((l, i) => (l === 0) === (m[i] === 0)));
    assert.deepEqual(componentStats(r.labels, r.count, dims, values, r.voxels), componentStats(r.labels, r.count, dims, values), `trial ${trial}`);
  }
  assert.equal(labelComponents3d(new Uint8Array(12), [3, 2, 2]).voxels.length, 0);
});

test('maskBounds (four bytes per read, from the first word boundary) equals a voxel-by-voxel bounding box, on any row width and offset', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let c = 0; c < 300; c++) {
    const dims: Vec3 = [1 + Math.floor(rand() * 24), 1 + Math.floor(rand() * 6), 1 + Math.floor(rand() * 4)];
    const n = dims[0] * dims[1] * dims[2];
    // a view at offset 0 or 4 (aligned) or 1–3 (not), as slices of a volume and sub-grid masks are
    const shift = [0, 4, 3, 1, 2][c % 5];
    const mask = new Uint8Array(n + shift).subarray(shift);
    const density = [0, 0.01, 0.2][c % 3 === 0 ? 1 : Math.floor(rand() * 3)];
    for (let i = 0; i < n; i++) if (rand() < density) mask[i] = 1 + Math.floor(rand() * 2);
    let want: { min: number[]; max: number[] } | null = null;
    for (let z = 0; z < dims[2]; z++)
      for (let y = 0; y < dims[1]; y++)
        for (let x = 0; x < dims[0]; x++) {
          if (mask[x + dims[0] * (y + dims[1] * z)] === 0) continue;
          if (!want) want = { min: [x, y, z], max: [x, y, z] };
          [x, y, z].forEach((v, a) => {
            want!.min[a] = Math.min(want!.min[a], v);
            want!.max[a] = Math.max(want!.max[a], v);
          });
        }
    assert.deepEqual(maskBounds(mask, dims), want, `case ${c} dims ${dims.join('×')} offset ${shift}`);
  }
});
