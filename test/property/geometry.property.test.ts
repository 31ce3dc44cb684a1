// Property tests (fast-check) for geometry: voxel ↔ mm under any orthonormal direction matrix
// (rotations, flips, axis swaps), spacing and origin (src/core/volume.ts), and the exact inverses of
// src/io/resample.ts (reorientation, resampling onto the same or an integer-refined grid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Mat3, Vec3, Volume } from '../../src/core/volume.ts';
import { patientToVoxel, voxelCount, voxelIndex, voxelToPatient } from '../../src/core/volume.ts';
import { applyReorientation, canonicalReorientation, gridOf, reorientFromCanonical, reorientToCanonical, resampleToGrid, resampleToSpacing } from '../../src/io/resample.ts';

const runs = { seed: 10, numRuns: 200 };

/** Any orthonormal 3×3 (proper or improper): a unit-quaternion rotation, then column flips and a column permutation. */
const direction: fc.Arbitrary<Mat3> = fc
  .tuple(
    fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })),
    fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
    fc.constantFrom([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]),
  )
  .filter(([q]) => Math.hypot(...q) > 0.1)
  .map(([q, flips, perm]) => {
    const n = Math.hypot(...q);
    const [a, b, c, d] = q.map((x) => x / n);
    const r = [
      [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
      [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
      [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d],
    ];
    const m: number[] = new Array(9);
    for (let row = 0; row < 3; row++) for (let col = 0; col < 3; col++) m[3 * row + col] = r[row][perm[col]] * (flips[col] ? -1 : 1);
    return m as unknown as Mat3;
  });

/** Axis-aligned directions only (permutations and flips), where reorientation is exact. */
const axisDirection: fc.Arbitrary<Mat3> = fc.tuple(fc.constantFrom([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]), fc.tuple(fc.boolean(), fc.boolean(), fc.boolean())).map(([perm, flips]) => {
  const m = new Array<number>(9).fill(0);
  for (let col = 0; col < 3; col++) m[3 * perm[col] + col] = flips[col] ? -1 : 1;
  return m as unknown as Mat3;
});

const spacing: fc.Arbitrary<Vec3> = fc.tuple(fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true }));
const origin: fc.Arbitrary<Vec3> = fc.tuple(fc.double({ min: -500, max: 500, noNaN: true }), fc.double({ min: -500, max: 500, noNaN: true }), fc.double({ min: -500, max: 500, noNaN: true }));
const point: fc.Arbitrary<Vec3> = fc.tuple(fc.double({ min: -300, max: 300, noNaN: true }), fc.double({ min: -300, max: 300, noNaN: true }), fc.double({ min: -300, max: 300, noNaN: true }));
const dims: fc.Arbitrary<Vec3> = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }));

function close(a: Vec3, b: Vec3, tol: number, what: string): void {
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}: ${a} vs ${b}`);
}

function volumeOf(d: Vec3, s: Vec3, o: Vec3, dir: Mat3): Volume<Int16Array> {
  const data = new Int16Array(voxelCount(d));
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 1000 - 500;
  return { data, dims: d, spacingMm: s, originMm: o, direction: dir, source: { format: 'synthetic', sliceCount: d[2], pseudoHu: false }, warnings: [] };
}

test('voxel → mm → voxel and mm → voxel → mm are identities for any orthonormal direction, spacing and origin', () => {
  fc.assert(
    fc.property(direction, spacing, origin, point, point, (dir, s, o, ijk, p) => {
      const g = { originMm: o, spacingMm: s, direction: dir };
      close(patientToVoxel(g, voxelToPatient(g, ijk)), ijk, 1e-9 * 300, 'voxel round trip');
      close(voxelToPatient(g, patientToVoxel(g, p)), p, 1e-9 * 300, 'mm round trip');
      // voxel (0,0,0) is the origin, and a step along axis j moves spacing[j] mm
      close(voxelToPatient(g, [0, 0, 0]), o, 0, 'origin');
      for (let j = 0; j < 3; j++) {
        const e: Vec3 = [j === 0 ? 1 : 0, j === 1 ? 1 : 0, j === 2 ? 1 : 0];
        const a = voxelToPatient(g, e);
        assert.ok(Math.abs(Math.hypot(a[0] - o[0], a[1] - o[1], a[2] - o[2]) - s[j]) <= 1e-9 * 500);
      }
    }),
    runs,
  );
});

test('reorientation to canonical axes and back is exact, keeps every voxel at its mm position, and gives a direction with positive diagonal', () => {
  fc.assert(
    fc.property(dims, spacing, origin, direction, (d, s, o, dir) => {
      const v = volumeOf(d, s, o, dir);
      const { volume: c, reorientation } = reorientToCanonical(v);
      for (let i = 0; i < 3; i++) assert.ok(c.direction[4 * i] >= 0, `diagonal ${c.direction}`);
      const back = reorientFromCanonical(c, reorientation);
      assert.deepEqual(Array.from(back.data), Array.from(v.data));
      assert.deepEqual(back.dims, v.dims);
      close(back.originMm, v.originMm, 1e-9 * 1000, 'origin back');
      close(back.spacingMm, v.spacingMm, 0, 'spacing back');
      for (let k = 0; k < 9; k++) assert.ok(Math.abs(back.direction[k] - v.direction[k]) <= 1e-15);
      for (let z = 0; z < d[2]; z++) for (let y = 0; y < d[1]; y++) for (let x = 0; x < d[0]; x++) {
        const q = patientToVoxel(c, voxelToPatient(v, [x, y, z]));
        const r = q.map(Math.round) as unknown as Vec3;
        close(q, r, 1e-6, 'canonical voxel is integral');
        assert.equal(c.data[voxelIndex(c.dims, r[0], r[1], r[2])], v.data[voxelIndex(d, x, y, z)]);
      }
    }),
    runs,
  );
});

test('resampling onto its own grid, or onto the grid of an axis permutation/flip, moves no value (linear and nearest)', () => {
  fc.assert(
    fc.property(dims, spacing, origin, direction, axisDirection, fc.constantFrom('linear' as const, 'nearest' as const), (d, s, o, dir, flip, interpolation) => {
      const v = volumeOf(d, s, o, dir);
      assert.deepEqual(Array.from(resampleToGrid(v, gridOf(v), { interpolation }).data), Array.from(v.data));
      // a permuted/flipped grid over the same voxels: what applyReorientation makes exactly
      const r = canonicalReorientation(flip);
      const moved = applyReorientation(v, r);
      assert.deepEqual(Array.from(resampleToGrid(v, gridOf(moved), { interpolation }).data), Array.from(moved.data));
    }),
    runs,
  );
});

test('resampling a label map to half the spacing and back (nearest) is the identity, under any direction', () => {
  fc.assert(
    fc.property(dims, spacing, origin, direction, (d, s, o, dir) => {
      const v = volumeOf(d, s, o, dir);
      const labels = { ...v, data: Uint8Array.from(v.data, (x) => (x + 500) % 7) };
      const fine = resampleToSpacing(labels, [s[0] / 2, s[1] / 2, s[2] / 2], { interpolation: 'nearest' });
      assert.deepEqual(fine.dims, d.map((n) => 2 * n - 1));
      const back = resampleToGrid(fine, gridOf(labels), { interpolation: 'nearest' });
      assert.deepEqual(Array.from(back.data), Array.from(labels.data));
    }),
    runs,
  );
});
