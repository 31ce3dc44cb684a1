import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors.ts';
import type { Mat3, Volume, VoxelData } from '../../src/core/volume.ts';
import { voxelToPatient } from '../../src/core/volume.ts';
import { decodeNifti, encodeNifti, readNifti, writeNifti } from '../../src/io/nifti.ts';

function makeVolume<T extends VoxelData>(data: T, direction: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1]): Volume<T> {
  return {
    data,
    dims: [4, 3, 2],
    spacingMm: [0.5, 0.75, 2.5],
    originMm: [-10, 20.5, -30],
    direction,
    source: { format: 'synthetic', sliceCount: 2, pseudoHu: false },
    warnings: [],
  };
}

function ramp<T extends VoxelData>(ctor: new (n: number) => T, f: (i: number) => number): T {
  const a = new ctor(24);
  for (let i = 0; i < 24; i++) a[i] = f(i);
  return a;
}

function assertGeometryClose(a: Volume, b: Volume): void {
  assert.deepEqual(a.dims, b.dims);
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(a.spacingMm[i] - b.spacingMm[i]) < 1e-5, `spacing ${a.spacingMm} vs ${b.spacingMm}`);
    assert.ok(Math.abs(a.originMm[i] - b.originMm[i]) < 1e-4, `origin ${a.originMm} vs ${b.originMm}`);
  }
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(a.direction[i] - b.direction[i]) < 1e-5, `direction ${a.direction} vs ${b.direction}`);
}

test('int16, uint8 and float32 volumes survive encode → decode (plain and gzip)', () => {
  const vols: Volume[] = [
    makeVolume(ramp(Int16Array, (i) => -1024 + 97 * i)),
    makeVolume(ramp(Uint8Array, (i) => (i * 11) % 256)),
    makeVolume(ramp(Float32Array, (i) => i * 0.25 - 3.5)),
  ];
  for (const v of vols) {
    for (const gzip of [false, true]) {
      const back = decodeNifti(encodeNifti(v, { gzip }));
      assert.equal(back.data.constructor, v.data.constructor);
      assert.deepEqual(Array.from(back.data), Array.from(v.data));
      assertGeometryClose(back, v);
      assert.equal(back.source.format, 'nifti');
      assert.equal(back.source.pseudoHu, false);
    }
  }
});

test('oblique and left-handed directions round-trip through qform and sform', () => {
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  // rotation about z by 0.3 rad, then a flipped slice axis (det = -1, qfac = -1)
  const dirs: Mat3[] = [
    [c, -s, 0, s, c, 0, 0, 0, 1],
    [c, -s, 0, s, c, 0, 0, 0, -1],
    [1, 0, 0, 0, -1, 0, 0, 0, 1],
    [-1, 0, 0, 0, -1, 0, 0, 0, -1],
  ];
  for (const d of dirs) {
    const v = makeVolume(ramp(Int16Array, (i) => i), d);
    const buf = encodeNifti(v, { gzip: false });
    assertGeometryClose(decodeNifti(buf), v);
    // with sform_code cleared the qform alone must give the same geometry
    const q = new Uint8Array(buf);
    new DataView(q.buffer).setInt16(254, 0, true);
    assertGeometryClose(decodeNifti(q), v);
  }
});

/** Builds a NIfTI-1 header by hand (RAS numbers as a NIfTI tool would write them). */
function handHeader(opts: { datatype: number; bitpix: number; slope?: number; inter?: number; le?: boolean; sform?: number[][]; qform?: { b: number; c: number; d: number; off: number[]; qfac: number } }): Uint8Array {
  const le = opts.le ?? true;
  const n = 24;
  const bytes = opts.bitpix / 8;
  const buf = new Uint8Array(352 + n * bytes);
  const v = new DataView(buf.buffer);
  v.setInt32(0, 348, le);
  v.setInt16(40, 3, le);
  v.setInt16(42, 4, le);
  v.setInt16(44, 3, le);
  v.setInt16(46, 2, le);
  v.setInt16(70, opts.datatype, le);
  v.setInt16(72, opts.bitpix, le);
  v.setFloat32(76, opts.qform?.qfac ?? 1, le);
  v.setFloat32(80, 2, le);
  v.setFloat32(84, 3, le);
  v.setFloat32(88, 4, le);
  v.setFloat32(108, 352, le);
  v.setFloat32(112, opts.slope ?? 0, le);
  v.setFloat32(116, opts.inter ?? 0, le);
  v.setUint8(123, 2);
  if (opts.qform) {
    v.setInt16(252, 1, le);
    v.setFloat32(256, opts.qform.b, le);
    v.setFloat32(260, opts.qform.c, le);
    v.setFloat32(264, opts.qform.d, le);
    opts.qform.off.forEach((o, i) => v.setFloat32(268 + 4 * i, o, le));
  }
  if (opts.sform) {
    v.setInt16(254, 2, le);
    opts.sform.forEach((row, r) => row.forEach((x, c) => v.setFloat32(280 + 16 * r + 4 * c, x, le)));
  }
  buf.set([0x6e, 0x2b, 0x31, 0], 344);
  for (let i = 0; i < n; i++) {
    if (opts.datatype === 4) v.setInt16(352 + 2 * i, i - 5, le);
    else if (opts.datatype === 2) v.setUint8(352 + i, i);
    else if (opts.datatype === 16) v.setFloat32(352 + 4 * i, i / 2, le);
  }
  return buf;
}

test('RAS sform becomes LPS: x and y negated (hand-computed)', () => {
  // RAS affine: i → +2 mm R (so -2 in L), j → +3 mm A (-3 in P), k → +4 mm S; offset (10, 20, 30)
  const buf = handHeader({ datatype: 4, bitpix: 16, sform: [[2, 0, 0, 10], [0, 3, 0, 20], [0, 0, 4, 30]] });
  const vol = decodeNifti(buf);
  assert.deepEqual(vol.spacingMm, [2, 3, 4]);
  assert.deepEqual(vol.originMm, [-10, -20, 30]);
  assert.deepEqual(Array.from(vol.direction), [-1, 0, 0, 0, -1, 0, 0, 0, 1]);
  // voxel (1, 1, 1) is at RAS (12, 23, 34) = LPS (-12, -23, 34)
  assert.deepEqual(voxelToPatient(vol, [1, 1, 1]), [-12, -23, 34]);
  assert.equal(vol.data[0], -5);
  assert.ok(vol.data instanceof Int16Array);
});

test('qform quaternion (180° about z) with qfac = -1 gives the hand-computed LPS axes', () => {
  // b=c=0, d=1: R = diag(-1, -1, 1) in RAS; qfac -1 flips k: RAS columns (-2,0,0), (0,-3,0), (0,0,-4)
  const buf = handHeader({ datatype: 4, bitpix: 16, qform: { b: 0, c: 0, d: 1, off: [5, 6, 7], qfac: -1 } });
  const vol = decodeNifti(buf);
  assert.deepEqual(vol.spacingMm, [2, 3, 4]);
  assert.deepEqual(vol.originMm, [-5, -6, 7]);
  // LPS = RAS with x, y negated: columns (2,0,0)/2, (0,3,0)/3, (0,0,-4)/4
  assert.deepEqual(Array.from(vol.direction), [1, 0, 0, 0, 1, 0, 0, 0, -1]);
});

test('scl_slope/inter are applied; integer scaling stays Int16, fractional becomes Float32', () => {
  const a = decodeNifti(handHeader({ datatype: 2, bitpix: 8, slope: 2, inter: -1000, sform: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] }));
  assert.ok(a.data instanceof Int16Array);
  assert.equal(a.data[0], -1000);
  assert.equal(a.data[23], 23 * 2 - 1000);
  const b = decodeNifti(handHeader({ datatype: 4, bitpix: 16, slope: 0.5, inter: 1, sform: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] }));
  assert.ok(b.data instanceof Float32Array);
  assert.equal(b.data[0], -5 * 0.5 + 1);
  // slope 0 means "no scaling" (nifti1.h)
  const c = decodeNifti(handHeader({ datatype: 16, bitpix: 32, slope: 0, inter: 7, sform: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] }));
  assert.equal(c.data[3], 1.5);
});

test('big-endian files are read', () => {
  const vol = decodeNifti(handHeader({ datatype: 4, bitpix: 16, le: false, sform: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] }));
  assert.deepEqual(vol.dims, [4, 3, 2]);
  assert.equal(vol.data[7], 2);
});

test('inconsistent or damaged headers are InputErrors naming the file and the problem', () => {
  const good = handHeader({ datatype: 4, bitpix: 16, sform: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] });
  const cases: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
    ['short', (b) => b.slice(0, 100), /shorter than a NIfTI-1 header/],
    ['truncated data', (b) => b.slice(0, 360), /declares 4×3×2 voxels.*but the file has 360/],
    ['bitpix', (b) => { new DataView(b.buffer).setInt16(72, 8, true); return b; }, /bitpix is 8 but datatype 4/],
    ['datatype', (b) => { new DataView(b.buffer).setInt16(70, 128, true); return b; }, /datatype 128 is not supported/],
    ['magic', (b) => { b[345] = 0x3f; return b; }, /magic is 'n\?1'/],
    ['zero voxel size', (b) => { new DataView(b.buffer).setFloat32(280, 0, true); return b; }, /voxel size along axis x is 0 mm/],
    ['negative dim', (b) => { new DataView(b.buffer).setInt16(44, -3, true); return b; }, /dim\[2\] is -3/],
    ['4-D', (b) => { const v = new DataView(b.buffer); v.setInt16(40, 4, true); v.setInt16(48, 5, true); return b; }, /4-D \(dim\[4\] = 5\)/],
    ['sizeof_hdr', (b) => { new DataView(b.buffer).setInt32(0, 12, true); return b; }, /sizeof_hdr is 12/],
    ['corrupt gzip', (b) => gzipSync(b).slice(0, 40), /gzip data are corrupt or truncated/],
  ];
  for (const [name, damage, re] of cases) {
    assert.throws(
      () => decodeNifti(damage(good.slice()), { path: 'scan.nii' }),
      (e: unknown) => e instanceof InputError && /^scan\.nii: /.test(e.message) && re.test(e.message) && !e.message.includes('\n'),
      name,
    );
  }
});

test('readNifti/writeNifti round trip on disk, .nii.gz written gzipped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ctscreen-nifti-'));
  try {
    const v = makeVolume(ramp(Int16Array, (i) => 3 * i - 40));
    const p = join(dir, 'vol.nii.gz');
    await writeNifti(v, p);
    const back = await readNifti(p);
    assert.deepEqual(Array.from(back.data), Array.from(v.data));
    assertGeometryClose(back, v);
    assert.equal(back.source.path, p);
    await writeFile(join(dir, 'bad.nii'), 'hello');
    await assert.rejects(readNifti(join(dir, 'bad.nii')), /bad\.nii: file is 5 bytes/);
    await assert.rejects(readNifti(join(dir, 'missing.nii')), (e: unknown) => e instanceof InputError && /missing\.nii: cannot read file \(ENOENT\)/.test((e as Error).message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
