// The NIfTI writer checked by readers that are not ctscreen's own: nibabel (Debian python3-nibabel,
// the reference implementation most users open masks with) and nifti-reader-js. A mask written for
// an oblique, flipped, anisotropic scan must land on the lesion's voxels, and both readers' affines
// (sform and qform) must put those voxels at the mm position ctscreen's Volume geometry gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as nifti from 'nifti-reader-js';
import type { Mat3, Vec3, Volume } from '../../src/core/volume.ts';
import { sameGrid, voxelCount, voxelIndex, voxelToPatient } from '../../src/core/volume.ts';
import { writeNifti } from '../../src/io/nifti.ts';
import { withTempDir } from './temp-dir.ts';

const PYTHON = '/usr/bin/python3';
const hasNibabel = spawnSync(PYTHON, ['-c', 'import nibabel, numpy'], { encoding: 'utf8' }).status === 0;

/** Rotation about a unit axis by `deg` (Rodrigues), as a row-major Mat3. */
function rotation(axis: Vec3, deg: number): number[][] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n);
  const c = Math.cos((deg * Math.PI) / 180);
  const s = Math.sin((deg * Math.PI) / 180);
  const t = 1 - c;
  return [
    [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
    [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
    [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
  ];
}

/** The grids written: oblique (proper rotation) and oblique with a flipped column axis (improper). */
function grids(): Array<{ name: string; direction: Mat3; flipped: boolean }> {
  const r = rotation([0.3, -0.5, 0.8], 27);
  const proper = [r[0][0], r[0][1], r[0][2], r[1][0], r[1][1], r[1][2], r[2][0], r[2][1], r[2][2]] as unknown as Mat3;
  // the x voxel axis reversed (columns stored right-to-left): determinant −1, so qfac = −1
  const flipped = [-r[0][0], r[0][1], r[0][2], -r[1][0], r[1][1], r[1][2], -r[2][0], r[2][1], r[2][2]] as unknown as Mat3;
  return [
    { name: 'oblique', direction: proper, flipped: false },
    { name: 'oblique, x flipped', direction: flipped, flipped: true },
  ];
}

const DIMS: Vec3 = [9, 7, 5];
const SPACING: Vec3 = [0.68, 0.9, 2.5];
const ORIGIN: Vec3 = [-120.25, 37.5, -301.75];
/** The "lesion": three voxels, none on a symmetry of the grid. */
const LESION: Vec3[] = [[2, 5, 1], [3, 5, 1], [6, 1, 3]];

function maskFor(direction: Mat3): Volume<Uint8Array> {
  const ct: Volume<Int16Array> = {
    data: new Int16Array(voxelCount(DIMS)).fill(-800),
    dims: DIMS,
    spacingMm: SPACING,
    originMm: ORIGIN,
    direction,
    source: { format: 'synthetic', sliceCount: DIMS[2], pseudoHu: false },
    warnings: [],
  };
  const labels = new Uint8Array(voxelCount(DIMS));
  LESION.forEach(([x, y, z], k) => (labels[voxelIndex(DIMS, x, y, z)] = k + 1));
  // what report/write-outputs.ts does for the candidate and lung masks
  return sameGrid(ct, labels);
}

/** RAS (NIfTI) → LPS (ctscreen). */
function rasToLps(p: readonly number[]): Vec3 {
  return [-p[0], -p[1], p[2]];
}

function apply(affine: readonly (readonly number[])[], ijk: Vec3): Vec3 {
  return [0, 1, 2].map((r) => affine[r][0] * ijk[0] + affine[r][1] * ijk[1] + affine[r][2] * ijk[2] + affine[r][3]) as unknown as Vec3;
}

function assertMm(actual: Vec3, expected: Vec3, what: string): void {
  // float32 header fields: ~1e-5 relative on a few hundred mm
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 2e-3, `${what}: ${actual.map((v) => v.toFixed(4))} vs ${expected.map((v) => v.toFixed(4))}`);
}

const NIBABEL_SCRIPT = `
import json, sys
import nibabel as nib, numpy as np
img = nib.load(sys.argv[1])
hdr = img.header
sform, scode = img.get_sform(coded=True)
qform, qcode = img.get_qform(coded=True)
data = np.asanyarray(img.dataobj)
nz = np.argwhere(data > 0)
print(json.dumps({
  "shape": list(data.shape),
  "affine": img.affine.tolist(),
  "sform": sform.tolist(), "sform_code": int(scode),
  "qform": qform.tolist(), "qform_code": int(qcode),
  "pixdim": [float(v) for v in hdr["pixdim"][:4]],
  "zooms": [float(v) for v in hdr.get_zooms()[:3]],
  "lesion": [[int(v) for v in ijk] + [int(data[tuple(ijk)])] for ijk in nz],
  "axcodes": list(nib.aff2axcodes(img.affine)),
}))
`;

test('nibabel reads ctscreen masks on oblique / flipped / anisotropic grids at the lesion voxels, with sform = qform = the Volume geometry (codes 1)', { skip: hasNibabel ? false : 'nibabel (Debian python3-nibabel) is not installed' }, async () => {
  await withTempDir('nifti-nibabel', async (dir) => {
    for (const g of grids()) {
      const mask = maskFor(g.direction);
      for (const file of ['mask.nii', 'mask.nii.gz']) {
        const path = join(dir, `${g.name.replace(/[^a-z]+/g, '-')}-${file}`);
        await writeNifti(mask, path);
        const r = spawnSync(PYTHON, ['-c', NIBABEL_SCRIPT, path], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const nib = JSON.parse(r.stdout) as { shape: number[]; affine: number[][]; sform: number[][]; sform_code: number; qform: number[][]; qform_code: number; pixdim: number[]; zooms: number[]; lesion: number[][]; axcodes: string[] };
        const what = `${g.name} ${file}`;
        assert.deepEqual(nib.shape, [...DIMS], what);
        assert.equal(nib.sform_code, 1, `${what}: sform_code (scanner anatomical)`);
        assert.equal(nib.qform_code, 1, `${what}: qform_code (scanner anatomical)`);
        assert.equal(nib.pixdim[0], g.flipped ? -1 : 1, `${what}: qfac`);
        nib.zooms.forEach((z, i) => assert.ok(Math.abs(z - SPACING[i]) < 1e-5, `${what}: zooms ${nib.zooms}`));
        // the mask's voxels are the lesion's voxels, with their labels
        assert.deepEqual(nib.lesion, LESION.map(([x, y, z], k) => [x, y, z, k + 1]).sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]), what);
        // nibabel's affine (and each of sform and qform on its own) puts them where the Volume does
        for (const [name, affine] of [['affine', nib.affine], ['sform', nib.sform], ['qform', nib.qform]] as const) {
          for (const ijk of [...LESION, [0, 0, 0] as Vec3, [DIMS[0] - 1, DIMS[1] - 1, DIMS[2] - 1] as Vec3]) {
            assertMm(rasToLps(apply(affine, ijk)), voxelToPatient(mask, ijk), `${what} ${name} voxel ${ijk}`);
          }
        }
      }
    }
  });
});

test('nifti-reader-js reads the same masks: voxels, its affine and the qform agree with the Volume geometry', async () => {
  await withTempDir('nifti-reader-js', async (dir) => {
    for (const g of grids()) {
      const mask = maskFor(g.direction);
      const path = join(dir, 'mask.nii.gz');
      await writeNifti(mask, path);
      const file = await readFile(path);
      let buf: ArrayBuffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
      assert.ok(nifti.isCompressed(buf));
      buf = nifti.decompress(buf) as ArrayBuffer;
      assert.ok(nifti.isNIFTI1(buf));
      const h = nifti.readHeader(buf) as nifti.NIFTI1;
      assert.deepEqual(h.dims.slice(0, 4), [3, ...DIMS]);
      assert.equal(h.sform_code, 1);
      assert.equal(h.qform_code, 1);
      assert.equal(h.pixDims[0], g.flipped ? -1 : 1, 'qfac');
      const image = new Uint8Array(nifti.readImage(h, buf));
      const found: number[][] = [];
      for (let z = 0; z < DIMS[2]; z++) for (let y = 0; y < DIMS[1]; y++) for (let x = 0; x < DIMS[0]; x++) if (image[voxelIndex(DIMS, x, y, z)] > 0) found.push([x, y, z]);
      assert.deepEqual(found, [...LESION].map((v) => [...v]).sort((a, b) => a[2] - b[2] || a[1] - b[1] || a[0] - b[0]));
      const qform = h.getQformMat();
      for (const ijk of LESION) {
        assertMm(rasToLps(apply(h.affine, ijk)), voxelToPatient(mask, ijk), `${g.name} affine voxel ${ijk}`);
        assertMm(rasToLps(apply(qform, ijk)), voxelToPatient(mask, ijk), `${g.name} qform voxel ${ijk}`);
      }
    }
  });
});
