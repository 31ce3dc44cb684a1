/**
 * NIfTI-1 single-file parsing in the browser (no Node APIs): header, voxel data as a typed array
 * view (copied only when the byte order or alignment needs it) and the voxel → RAS mm affine.
 *
 * The project's reader (src/io/nifti.ts) uses node:zlib and node:fs, so the viewer has its own small
 * one; both follow nifti1.h and choose the affine as nibabel does (sform, else qform, else pixdim).
 * Gunzip happens before this (gunzip.ts), so this module is pure and runs under node:test too.
 */

export type NiftiVoxels = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Float32Array | Float64Array;

export interface NiftiImage {
  /** [nx, ny, nz]; x fastest in memory. */
  dims: [number, number, number];
  data: NiftiVoxels;
  /** Stored value → real value: real = raw · slope + intercept (slope 1, intercept 0 when unscaled). */
  slope: number;
  intercept: number;
  /** Voxel (i, j, k) → RAS mm, row-major 3×4 ([r0c0, r0c1, r0c2, r0t, r1c0, …]). */
  affine: number[];
  /** Which header field the affine came from. */
  affineSource: 'sform' | 'qform' | 'pixdim';
}

/** A file that is not a NIfTI the viewer can show; the message names the file and the problem. */
export class NiftiFormatError extends Error {
  override name = 'NiftiFormatError';
}

const NIFTI1_HEADER_BYTES = 348;
const NIFTI2_HEADER_BYTES = 540;

type VoxelCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): NiftiVoxels; new (length: number): NiftiVoxels; BYTES_PER_ELEMENT: number };
type Getter = (v: DataView, offset: number, le: boolean) => number;

/** nifti1.h datatype codes the viewer reads. */
const DATATYPES: Record<number, { ctor: VoxelCtor; get: Getter }> = {
  2: { ctor: Uint8Array as unknown as VoxelCtor, get: (v, o) => v.getUint8(o) },
  4: { ctor: Int16Array as unknown as VoxelCtor, get: (v, o, le) => v.getInt16(o, le) },
  8: { ctor: Int32Array as unknown as VoxelCtor, get: (v, o, le) => v.getInt32(o, le) },
  16: { ctor: Float32Array as unknown as VoxelCtor, get: (v, o, le) => v.getFloat32(o, le) },
  64: { ctor: Float64Array as unknown as VoxelCtor, get: (v, o, le) => v.getFloat64(o, le) },
  256: { ctor: Int8Array as unknown as VoxelCtor, get: (v, o) => v.getInt8(o) },
  512: { ctor: Uint16Array as unknown as VoxelCtor, get: (v, o, le) => v.getUint16(o, le) },
};

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Quaternion (b, c, d), qfac and pixdim → the rotation-and-scale part of the qform (nifti1.h). */
export function qformMatrix(b: number, c: number, d: number, qfac: number, pixdim: readonly [number, number, number]): number[] {
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const r = [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
  ];
  const scale = [pixdim[0], pixdim[1], qfac < 0 ? -pixdim[2] : pixdim[2]];
  return r.map((v, i) => v * scale[i % 3]);
}

/** Parses decompressed NIfTI-1 bytes. `name` appears in error messages. */
export function parseNifti(input: ArrayBuffer | Uint8Array, name = 'NIfTI file'): NiftiImage {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const fail = (problem: string): NiftiFormatError => new NiftiFormatError(`${name}: ${problem}`);
  if (isGzip(bytes)) throw fail('is still gzip-compressed (decompress it first)');
  if (bytes.length < NIFTI1_HEADER_BYTES) throw fail(`has ${bytes.length} bytes, fewer than a NIfTI-1 header (${NIFTI1_HEADER_BYTES})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  const sizeofHdr = view.getInt32(0, true);
  if (sizeofHdr !== NIFTI1_HEADER_BYTES) {
    if (view.getInt32(0, false) === NIFTI1_HEADER_BYTES) le = false;
    else if (sizeofHdr === NIFTI2_HEADER_BYTES || view.getInt32(0, false) === NIFTI2_HEADER_BYTES) throw fail('is NIfTI-2, which the viewer does not read');
    else throw fail(`is not a NIfTI-1 file (sizeof_hdr ${sizeofHdr}, expected ${NIFTI1_HEADER_BYTES})`);
  }
  const rank = view.getInt16(40, le);
  if (rank < 3 || rank > 7) throw fail(`has ${rank} dimensions; the viewer shows 3-D volumes`);
  const dims: [number, number, number] = [view.getInt16(42, le), view.getInt16(44, le), view.getInt16(46, le)];
  for (let i = 4; i <= rank; i++) {
    if (view.getInt16(40 + 2 * i, le) > 1) throw fail(`has more than one volume (dim[${i}] = ${view.getInt16(40 + 2 * i, le)})`);
  }
  if (dims.some((d) => d < 1)) throw fail(`has a non-positive size ${dims.join('×')}`);
  const datatype = view.getInt16(70, le);
  const type = DATATYPES[datatype];
  if (!type) throw fail(`has NIfTI datatype ${datatype}, which the viewer does not read (uint8, int8, int16, uint16, int32, float32, float64)`);
  const voxOffset = Math.round(view.getFloat32(108, le));
  if (voxOffset < NIFTI1_HEADER_BYTES) throw fail(`has vox_offset ${voxOffset}, inside the header`);
  const n = dims[0] * dims[1] * dims[2];
  const bpe = type.ctor.BYTES_PER_ELEMENT;
  if (voxOffset + n * bpe > bytes.length) throw fail(`is truncated: ${dims.join('×')} voxels need ${voxOffset + n * bpe} bytes, the file has ${bytes.length}`);

  let data: NiftiVoxels;
  const start = bytes.byteOffset + voxOffset;
  if ((le || bpe === 1) && start % bpe === 0) {
    data = new type.ctor(bytes.buffer as ArrayBuffer, start, n);
  } else {
    data = new type.ctor(n);
    for (let i = 0, p = voxOffset; i < n; i++, p += bpe) data[i] = type.get(view, p, le);
  }

  // nifti1.h: scl_slope == 0 means "no scaling"
  const rawSlope = view.getFloat32(112, le);
  const rawIntercept = view.getFloat32(116, le);
  const scaled = Number.isFinite(rawSlope) && rawSlope !== 0;
  const slope = scaled ? rawSlope : 1;
  const intercept = scaled && Number.isFinite(rawIntercept) ? rawIntercept : 0;

  const pixdim: [number, number, number] = [view.getFloat32(80, le), view.getFloat32(84, le), view.getFloat32(88, le)];
  const qformCode = view.getInt16(252, le);
  const sformCode = view.getInt16(254, le);
  let affine: number[];
  let affineSource: NiftiImage['affineSource'];
  if (sformCode > 0) {
    affine = [];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) affine.push(view.getFloat32(280 + 16 * r + 4 * c, le));
    affineSource = 'sform';
  } else if (qformCode > 0) {
    const m = qformMatrix(view.getFloat32(256, le), view.getFloat32(260, le), view.getFloat32(264, le), view.getFloat32(76, le), pixdim.map(Math.abs) as [number, number, number]);
    const t = [view.getFloat32(268, le), view.getFloat32(272, le), view.getFloat32(276, le)];
    affine = [m[0], m[1], m[2], t[0], m[3], m[4], m[5], t[1], m[6], m[7], m[8], t[2]];
    affineSource = 'qform';
  } else {
    const p = pixdim.map((v) => (v > 0 ? v : 1));
    affine = [p[0], 0, 0, 0, 0, p[1], 0, 0, 0, 0, p[2], 0];
    affineSource = 'pixdim';
  }
  if (affine.some((v) => !Number.isFinite(v))) throw fail('has a non-finite number in its orientation (sform/qform)');
  return { dims, data, slope, intercept, affine, affineSource };
}

/** Length of affine column `axis` (the voxel size along that voxel axis, mm). */
export function axisSpacingMm(affine: readonly number[], axis: 0 | 1 | 2): number {
  return Math.hypot(affine[axis], affine[4 + axis], affine[8 + axis]);
}
