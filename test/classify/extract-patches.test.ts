import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropSideMm, cutPatch, extractPatches } from '../../src/classify/extract-patches.ts';
import { DEFAULT_PATCH_SPEC, type PatchSpec } from '../../src/classify/patch-spec.ts';
import { IDENTITY_DIRECTION, type Volume } from '../../src/core/volume.ts';

function volume(nx: number, ny: number, nz: number, f: (x: number, y: number, z: number) => number, spacing: [number, number, number] = [1, 1, 2]): Volume<Int16Array> {
  const data = new Int16Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[x + nx * (y + ny * z)] = f(x, y, z);
  return { data, dims: [nx, ny, nz], spacingMm: spacing, originMm: [0, 0, 0], direction: IDENTITY_DIRECTION, source: { format: 'synthetic', sliceCount: nz, pseudoHu: false }, warnings: [] };
}

const spec4: PatchSpec = { ...DEFAULT_PATCH_SPEC, sizePx: 4, marginMm: 0, minCropMm: 4 };

test('crop side: larger box side plus margins, at least the minimum (mm)', () => {
  // box 10 × 4 voxels at 0.5 mm → 5 mm × 2 mm; + 2 × 8 mm = 21 mm
  assert.equal(cropSideMm({ min: [0, 0, 0], max: [9, 3, 0] }, [0.5, 0.5, 1], { marginMm: 8, minCropMm: 32 }), 32);
  assert.equal(cropSideMm({ min: [0, 0, 0], max: [9, 3, 0] }, [0.5, 0.5, 1], { marginMm: 8, minCropMm: 10 }), 21);
});

test('cutPatch windows, scales and quantises HU; outside the image is air', () => {
  // slice value = x * 100 - 990 HU; a 4 mm crop at 1 mm pixels centred on x = 1.5 samples x = 0..3 exactly
  const v = volume(4, 4, 1, (x) => x * 100 - 990);
  const out = new Float32Array(16);
  cutPatch(v, 1.5, 1.5, 0, 4, spec4, out, 0);
  // lung window −600/1500 → low −1350: (hu + 1350) / 1500 × 255 → 61.2, 78.2, 95.2, 112.2 → 61, 78, 95, 112 grey steps
  assert.deepEqual(Array.from(out.subarray(0, 4)), [61, 78, 95, 112].map((g) => Math.fround(g / 255)));
  // shifted two pixels left: the first two columns fall outside → air (−1000 HU → 350/1500 × 255 = 59.5 → step 59 or 60)
  cutPatch(v, -0.5, 1.5, 0, 4, spec4, out, 0);
  assert.ok(Math.abs(out[0] - 59.5 / 255) <= 0.5 / 255 + 1e-7, `air ${out[0] * 255}`);
  assert.equal(out[1], out[0]);
  assert.equal(out[2], Math.fround(61 / 255));
  assert.equal(out[3], Math.fround(78 / 255));
});

test('extractPatches: centre slice and its two neighbours per cube, clamped at the volume end, with distances', () => {
  // each slice has a constant value so the patch tells which slice it came from
  const v = volume(8, 8, 3, (_x, _y, z) => -1190 + z * 300);
  const r = extractPatches({
    volume: v,
    cubes: [{ box: { min: [2, 2, 1], max: [5, 5, 1] } }, { box: { min: [0, 0, 2], max: [1, 1, 2] } }],
    distanceAt: (x, y, z) => x + 10 * y + 100 * z,
    spec: spec4,
  });
  assert.equal(r.count, 6);
  assert.deepEqual(Array.from(r.sliceIndex), [0, 1, 2, 1, 2, 2]);
  assert.deepEqual(Array.from(r.clamped), [0, 0, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(r.cubeIndex), [0, 0, 0, 1, 1, 1]);
  // centre of cube 0 = (3.5, 3.5), cube 1 = (0.5, 0.5)
  assert.deepEqual(Array.from(r.distance), [3.5 + 35 + 0, 3.5 + 35 + 100, 3.5 + 35 + 200, 0.5 + 5 + 100, 0.5 + 5 + 200, 0.5 + 5 + 200]);
  // −1190, −890, −590 HU → 27.2, 78.2, 129.2 grey steps
  assert.equal(r.data[0], Math.fround(27 / 255));
  assert.equal(r.data[16], Math.fround(78 / 255));
  assert.equal(r.data[32], Math.fround(129 / 255));
});
