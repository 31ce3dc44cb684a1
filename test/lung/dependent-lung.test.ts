import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Mat3 } from '../../src/core/volume.ts';
import { IDENTITY_DIRECTION } from '../../src/core/volume.ts';
import { dependentLesionFraction, dependentSide } from '../../src/lung/dependent-lung.ts';

test('dependentSide: supine posterior, prone anterior, decubitus none, absent assumed supine', () => {
  assert.deepEqual(dependentSide('HFS'), { side: 'posterior', assumed: false });
  assert.deepEqual(dependentSide(' ffs '), { side: 'posterior', assumed: false });
  assert.deepEqual(dependentSide('HFP'), { side: 'anterior', assumed: false });
  assert.deepEqual(dependentSide('FFP'), { side: 'anterior', assumed: false });
  assert.equal(dependentSide('HFDL'), null);
  assert.equal(dependentSide('FFDR'), null);
  assert.deepEqual(dependentSide(undefined), { side: 'posterior', assumed: true });
  assert.deepEqual(dependentSide(''), { side: 'posterior', assumed: true });
});

/**
 * One slice, 2 columns × 10 rows of 2 mm, y runs posterior (identity LPS: +y is P).
 * Lung in rows 1…8 of both columns; lesion voxels at rows 8, 7, 6 (posterior: 0, 2, 4 mm from the
 * dependent edge at row 8) and row 2 (12 mm) of column 0, and row 1 (14 mm; 0 mm from the anterior edge) of column 1.
 */
function scene() {
  const nx = 2, ny = 10;
  const lung = new Uint8Array(nx * ny);
  const lesion = new Uint8Array(nx * ny);
  for (let y = 1; y <= 8; y++) for (let x = 0; x < nx; x++) lung[x + nx * y] = 1;
  for (const y of [8, 7, 6, 2]) lesion[0 + nx * y] = 1;
  lesion[1 + nx * 1] = 1;
  lesion[1 + nx * 9] = 1; // outside the lungs: not counted
  return { vol: { dims: [nx, ny, 1] as const, spacingMm: [1, 2, 1] as const, direction: IDENTITY_DIRECTION }, lung, lesion };
}

test('dependentLesionFraction: the share of lesion voxels within the band of the dependent edge, by hand', () => {
  const { vol, lung, lesion } = scene();
  // posterior, 4 mm: rows 8, 7, 6 of column 0 (0, 2, 4 mm) of the 5 lung lesion voxels
  assert.deepEqual(dependentLesionFraction(vol, lung, lesion, 4, 'posterior'), { fraction: 3 / 5, lesionVoxels: 5 });
  // 3 mm: rows 8 and 7 only
  assert.equal(dependentLesionFraction(vol, lung, lesion, 3, 'posterior').fraction, 2 / 5);
  // anterior (a prone patient), 4 mm from row 1: column 1's row 1 (0 mm) and column 0's row 2 (2 mm)
  assert.equal(dependentLesionFraction(vol, lung, lesion, 4, 'anterior').fraction, 2 / 5);
  // the same scene with the y axis running anterior: "posterior" is now the low-y end
  const flipped: Mat3 = [1, 0, 0, 0, -1, 0, 0, 0, 1];
  assert.equal(dependentLesionFraction({ ...vol, direction: flipped }, lung, lesion, 4, 'posterior').fraction, 2 / 5);
  // no lesion voxel: NaN
  assert.ok(Number.isNaN(dependentLesionFraction(vol, lung, new Uint8Array(20), 4, 'posterior').fraction));
  assert.throws(() => dependentLesionFraction(vol, lung, new Uint8Array(3), 4, 'posterior'), RangeError);
  assert.throws(() => dependentLesionFraction(vol, lung, lesion, 0, 'posterior'), RangeError);
});
