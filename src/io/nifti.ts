/**
 * NIfTI-1 read and write (.nii and .nii.gz), so volumes and masks can be opened in other tools
 * (ITK-SNAP, 3D Slicer, nibabel) and NIfTI datasets can be screened.
 *
 * NIfTI patient space is RAS; ctscreen's `Volume` is DICOM LPS, so x and y are negated on the way
 * in and out. Voxel order is the same (x fastest, then y, then z), so data are copied as they are.
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { endianness } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { AIR_HU } from '../core/constants.ts';
import { InputError } from '../core/errors.ts';
import type { Mat3, Vec3, Volume, VoxelData } from '../core/volume.ts';
import { voxelCount } from '../core/volume.ts';
import { formatBytes, formatLimit, inflateLimited, type InflateLimitedResult, type InputLimits, limitError, resolveLimits } from './limits.ts';
import { implausibleVoxelSize } from './voxel-size.ts';

/** NIfTI-1 header size in bytes (sizeof_hdr). */
const NIFTI1_HEADER_BYTES = 348;
/** Header + the 4-byte extension flag; where single-file (.nii) voxel data start when we write. */
const NIFTI1_VOX_OFFSET = 352;
const NIFTI2_HEADER_BYTES = 540;

/** NIfTI-1 datatype codes (nifti1.h). */
export const NIFTI_DATATYPE = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
} as const;

/** xform codes: 1 = scanner-based anatomical coordinates. */
const NIFTI_XFORM_SCANNER_ANAT = 1;
/** xyzt_units: spatial unit millimetre (2) + temporal unit second (8). */
const NIFTI_UNITS_MM_SEC = 2 | 8;
const SPATIAL_UNIT_METER = 1;
const SPATIAL_UNIT_MICRON = 3;
/** Tolerance for calling an affine's columns orthogonal (cosine of the angle between them). */
const ORTHOGONALITY_TOLERANCE = 1e-3;

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

interface DatatypeInfo {
  bytes: number;
  read: (view: DataView, offset: number, littleEndian: boolean) => number;
  integer: boolean;
}

const DATATYPES: Record<number, DatatypeInfo> = {
  [NIFTI_DATATYPE.uint8]: { bytes: 1, read: (v, o) => v.getUint8(o), integer: true },
  [NIFTI_DATATYPE.int8]: { bytes: 1, read: (v, o) => v.getInt8(o), integer: true },
  [NIFTI_DATATYPE.int16]: { bytes: 2, read: (v, o, le) => v.getInt16(o, le), integer: true },
  [NIFTI_DATATYPE.uint16]: { bytes: 2, read: (v, o, le) => v.getUint16(o, le), integer: true },
  [NIFTI_DATATYPE.int32]: { bytes: 4, read: (v, o, le) => v.getInt32(o, le), integer: true },
  [NIFTI_DATATYPE.float32]: { bytes: 4, read: (v, o, le) => v.getFloat32(o, le), integer: false },
  [NIFTI_DATATYPE.float64]: { bytes: 8, read: (v, o, le) => v.getFloat64(o, le), integer: false },
};

export interface DecodeNiftiOptions {
  /** Shown in error messages and stored in `source.path`. */
  path?: string;
  /** Resource limits: voxels the header may claim, bytes a .nii.gz may inflate to (defaults `DEFAULT_INPUT_LIMITS`). */
  limits?: Partial<InputLimits>;
}

export interface EncodeNiftiOptions {
  /** Gzip the result (.nii.gz). */
  gzip: boolean;
  /** zlib level 1–9 (default 6). Masks: 1 is 3–5× faster for files a few hundred kB larger (issue 16). */
  gzipLevel?: number;
  /** Free text for the header's `descrip` (max 79 ASCII chars). Never put patient data here. */
  description?: string;
}

function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === GZIP_MAGIC_0 && buf[1] === GZIP_MAGIC_1;
}

/**
 * Bytes a single-file NIfTI-1 needs (vox_offset + voxels × bytes per voxel) from its first 348
 * bytes, refusing a header that claims more voxels than the limit; undefined when the header is not
 * one decodeNifti reads (it then names the problem).
 */
function niftiBytesNeeded(head: Uint8Array, limits: InputLimits, name: string): number | undefined {
  if (head.length < NIFTI1_HEADER_BYTES) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = view.getInt32(0, true) === NIFTI1_HEADER_BYTES;
  if (!le && view.getInt32(0, false) !== NIFTI1_HEADER_BYTES) return undefined;
  const ndim = view.getInt16(40, le);
  if (ndim < 1 || ndim > 7) return undefined;
  let voxels = 1;
  const dims: number[] = [];
  for (let i = 1; i <= ndim; i++) {
    const d = view.getInt16(40 + 2 * i, le);
    if (d < 1) return undefined;
    dims.push(d);
    voxels *= d;
  }
  if (voxels > limits.maxVoxels) {
    throw limitError('maxVoxels', limits, name, `header claims ${dims.join('×')} = ${voxels} voxels, more than ${limits.maxVoxels}`, { observed: voxels });
  }
  const dt = DATATYPES[view.getInt16(70, le)];
  const voxOffset = view.getFloat32(108, le);
  if (!dt || !(voxOffset >= NIFTI1_HEADER_BYTES) || !Number.isFinite(voxOffset)) return undefined;
  return Math.floor(voxOffset) + voxels * dt.bytes;
}

/**
 * Inflates a .nii.gz within the limits: the header is inflated first and checked (voxels claimed,
 * bytes needed ≤ maxDecompressedBytes), then exactly the bytes it needs, so a gzip bomb costs at most
 * what its header admits to, and trailing data are never inflated.
 */
export function gunzipNifti(input: Uint8Array, limits: InputLimits, name: string): InflateLimitedResult {
  const refuse = (inflatedBytes: number, needed?: number) =>
    limitError(
      'maxDecompressedBytes',
      limits,
      name,
      needed === undefined ? `gzip data inflate to more than ${formatLimit('maxDecompressedBytes', limits.maxDecompressedBytes)}` : `header needs ${formatBytes(needed)} inflated, more than ${formatLimit('maxDecompressedBytes', limits.maxDecompressedBytes)}`,
      { inflatedBytes, ...(needed === undefined ? {} : { observed: needed }) },
    );
  return inflateLimited(input, {
    format: 'gzip',
    maxBytes: limits.maxDecompressedBytes,
    inspect: {
      bytes: NIFTI1_HEADER_BYTES,
      fn: (head) => {
        const needed = niftiBytesNeeded(head, limits, name);
        if (needed !== undefined && needed > limits.maxDecompressedBytes) throw refuse(head.length, needed);
        return needed;
      },
    },
    onLimit: (n) => refuse(n),
    onCorrupt: (e) => new InputError('NIFTI_CORRUPT_GZIP', `${name}: gzip data are corrupt or truncated (${(e as Error).message})`, { path: name, cause: e }),
  });
}

/** Decodes a NIfTI-1 single file (.nii bytes, gzipped or not) into an LPS `Volume`. */
export function decodeNifti(input: Uint8Array, options: DecodeNiftiOptions = {}): Volume {
  const name = options.path ?? '<buffer>';
  const bad = (code: string, problem: string): InputError =>
    new InputError(code, `${name}: ${problem}`, { path: options.path });

  const limits = resolveLimits(options.limits);
  let buf = input;
  if (isGzip(buf)) buf = gunzipNifti(buf, limits, name).data;
  else niftiBytesNeeded(buf.subarray(0, NIFTI1_HEADER_BYTES), limits, name);
  if (buf.length < NIFTI1_HEADER_BYTES) {
    throw bad('NIFTI_TRUNCATED', `file is ${buf.length} bytes, shorter than a NIfTI-1 header (${NIFTI1_HEADER_BYTES} bytes)`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let le = true;
  const sizeLe = view.getInt32(0, true);
  if (sizeLe !== NIFTI1_HEADER_BYTES) {
    const sizeBe = view.getInt32(0, false);
    if (sizeBe === NIFTI1_HEADER_BYTES) le = false;
    else if (sizeLe === NIFTI2_HEADER_BYTES || sizeBe === NIFTI2_HEADER_BYTES) {
      throw bad('NIFTI_UNSUPPORTED', 'NIfTI-2 files are not supported; save as NIfTI-1 (e.g. nibabel.Nifti1Image)');
    } else {
      throw bad('NIFTI_BAD_HEADER', `sizeof_hdr is ${sizeLe}, expected ${NIFTI1_HEADER_BYTES}: not a NIfTI-1 file`);
    }
  }
  const magic = String.fromCharCode(buf[344], buf[345], buf[346]);
  if (magic === 'ni1') {
    throw bad('NIFTI_UNSUPPORTED', 'this is the header of a two-file NIfTI pair (.hdr/.img); convert it to a single .nii file');
  }
  if (magic !== 'n+1') {
    throw bad('NIFTI_BAD_HEADER', `magic is '${magic.replace(/[^\x20-\x7e]/g, '?')}', expected 'n+1'`);
  }

  const dim: number[] = [];
  for (let i = 0; i < 8; i++) dim.push(view.getInt16(40 + 2 * i, le));
  const ndim = dim[0];
  if (ndim < 1 || ndim > 7) throw bad('NIFTI_BAD_HEADER', `dim[0] is ${ndim}, expected 1 to 7`);
  for (let i = 1; i <= ndim; i++) {
    if (dim[i] < 1) throw bad('NIFTI_BAD_HEADER', `dim[${i}] is ${dim[i]}, expected a positive size`);
  }
  const dims: Vec3 = [dim[1], ndim >= 2 ? dim[2] : 1, ndim >= 3 ? dim[3] : 1];
  for (let i = 4; i <= ndim; i++) {
    if (dim[i] !== 1) {
      throw bad('NIFTI_UNSUPPORTED', `is ${ndim}-D (dim[${i}] = ${dim[i]}); ctscreen reads single 3-D volumes`);
    }
  }

  const datatype = view.getInt16(70, le);
  const bitpix = view.getInt16(72, le);
  const dt = DATATYPES[datatype];
  if (!dt) {
    throw bad('NIFTI_UNSUPPORTED', `datatype ${datatype} is not supported (use uint8, int8, int16, uint16, int32, float32 or float64)`);
  }
  if (bitpix !== dt.bytes * 8) {
    throw bad('NIFTI_BAD_HEADER', `bitpix is ${bitpix} but datatype ${datatype} has ${dt.bytes * 8} bits per voxel`);
  }

  const pixdim: number[] = [];
  for (let i = 0; i < 8; i++) pixdim.push(view.getFloat32(76 + 4 * i, le));
  const voxOffset = view.getFloat32(108, le);
  let slope = view.getFloat32(112, le);
  let inter = view.getFloat32(116, le);
  // nifti1.h: scl_slope == 0 means "no scaling"
  if (!Number.isFinite(slope) || slope === 0) {
    slope = 1;
    inter = 0;
  }
  if (!Number.isFinite(inter)) inter = 0;
  const units = view.getUint8(123) & 0x07;
  const unitToMm = units === SPATIAL_UNIT_METER ? 1000 : units === SPATIAL_UNIT_MICRON ? 1e-3 : 1;

  const n = voxelCount(dims);
  const warnings: string[] = [];
  const dataStart = Math.floor(voxOffset);
  if (!(voxOffset >= NIFTI1_HEADER_BYTES)) {
    throw bad('NIFTI_BAD_HEADER', `vox_offset is ${voxOffset}, expected at least ${NIFTI1_HEADER_BYTES}`);
  }
  const needed = dataStart + n * dt.bytes;
  if (buf.length < needed) {
    throw bad('NIFTI_TRUNCATED', `header declares ${dims.join('×')} voxels of ${dt.bytes} bytes from offset ${dataStart} (${needed} bytes) but the file has ${buf.length}`);
  }

  const geometry = niftiGeometry(view, le, pixdim, unitToMm, bad, warnings);

  // Keep integer CT as Int16 when scaling keeps it integer and in range (half the memory of
  // Float32 for a 512×512×300 scan); anything else becomes Float32.
  const integerScaling = dt.integer && Number.isInteger(slope) && Number.isInteger(inter);
  let data: VoxelData;
  if (datatype === NIFTI_DATATYPE.uint8 && slope === 1 && inter === 0) {
    data = new Uint8Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + dataStart + n));
  } else if (datatype === NIFTI_DATATYPE.int16 && slope === 1 && inter === 0) {
    const out = new Int16Array(n);
    for (let i = 0, o = dataStart; i < n; i++, o += 2) out[i] = view.getInt16(o, le);
    data = out;
  } else {
    const out = new Float32Array(n);
    let min = Infinity;
    let max = -Infinity;
    const read = dt.read;
    let nonFinite = 0;
    for (let i = 0, o = dataStart; i < n; i++, o += dt.bytes) {
      out[i] = read(view, o, le) * slope + inter;
      // NaN / ±Inf (float data, or scaling beyond float32) are no intensity: air, as DICOM padding is
      if (!Number.isFinite(out[i])) {
        out[i] = AIR_HU;
        nonFinite++;
      }
      const v = out[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (nonFinite > 0) warnings.push(`${nonFinite} of ${n} voxels are not finite numbers (NaN or ±Inf); they were set to air (${AIR_HU} HU)`);
    if (integerScaling && min >= -32768 && max <= 32767) data = Int16Array.from(out);
    else data = out;
  }

  return {
    data,
    dims,
    spacingMm: geometry.spacingMm,
    originMm: geometry.originMm,
    direction: geometry.direction,
    source: { format: 'nifti', path: options.path, sliceCount: dims[2], pseudoHu: false },
    warnings,
  };
}

interface Geometry {
  spacingMm: Vec3;
  originMm: Vec3;
  direction: Mat3;
}

/**
 * Chooses the affine as nibabel does (sform if sform_code > 0, else qform if qform_code > 0,
 * else pixdim only) and converts it from RAS to LPS.
 */
function niftiGeometry(
  view: DataView,
  le: boolean,
  pixdim: number[],
  unitToMm: number,
  bad: (code: string, problem: string) => InputError,
  warnings: string[],
): Geometry {
  const qformCode = view.getInt16(252, le);
  const sformCode = view.getInt16(254, le);
  // ras[r][c]: 3×4 affine, voxel index (i, j, k, 1) → RAS mm
  let ras: number[][];
  if (sformCode > 0) {
    ras = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => view.getFloat32(280 + 16 * r + 4 * c, le)));
  } else if (qformCode > 0) {
    const b = view.getFloat32(256, le);
    const c = view.getFloat32(260, le);
    const d = view.getFloat32(264, le);
    const a2 = 1 - (b * b + c * c + d * d);
    // nifti1_io: a tiny negative a² is rounding; treat as a 180° rotation (a = 0)
    const a = a2 > 1e-7 ? Math.sqrt(a2) : 0;
    const rot = [
      [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
      [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
      [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
    ];
    const qfac = pixdim[0] < 0 ? -1 : 1;
    const s = [pixdim[1], pixdim[2], pixdim[3] * qfac];
    const off = [view.getFloat32(268, le), view.getFloat32(272, le), view.getFloat32(276, le)];
    ras = [0, 1, 2].map((r) => [rot[r][0] * s[0], rot[r][1] * s[1], rot[r][2] * s[2], off[r]]);
  } else {
    warnings.push('NIfTI has neither sform nor qform; orientation assumed RAS-aligned from pixdim, origin 0');
    ras = [
      [pixdim[1], 0, 0, 0],
      [0, pixdim[2], 0, 0],
      [0, 0, pixdim[3], 0],
    ];
  }
  for (const row of ras) {
    for (const v of row) {
      if (!Number.isFinite(v)) throw bad('NIFTI_BAD_HEADER', 'the orientation (sform/qform) contains a non-finite number');
    }
  }
  // RAS → LPS: negate the x and y rows
  const lps = ras.map((row, r) => (r < 2 ? row.map((v) => -v * unitToMm) : row.map((v) => v * unitToMm)));
  const spacing: number[] = [];
  const cols: number[][] = [];
  for (let c = 0; c < 3; c++) {
    const col = [lps[0][c], lps[1][c], lps[2][c]];
    const norm = Math.hypot(col[0], col[1], col[2]);
    if (!(norm > 0)) {
      throw bad('NIFTI_BAD_HEADER', `voxel size along axis ${'xyz'[c]} is ${norm} mm (from ${sformCode > 0 ? 'sform' : qformCode > 0 ? 'qform/pixdim' : 'pixdim'}); expected > 0`);
    }
    spacing.push(norm);
    // `+ 0` turns the -0 left by negating RAS into 0, so directions compare and print cleanly
    cols.push(col.map((v) => v / norm + 0));
  }
  const implausible = implausibleVoxelSize([spacing[0], spacing[1], spacing[2]]);
  if (implausible) throw bad('NIFTI_BAD_HEADER', `${implausible} (from ${sformCode > 0 ? 'sform' : qformCode > 0 ? 'qform/pixdim' : 'pixdim'}): not a CT voxel`);
  for (const [p, q] of [[0, 1], [0, 2], [1, 2]]) {
    const dot = cols[p][0] * cols[q][0] + cols[p][1] * cols[q][1] + cols[p][2] * cols[q][2];
    if (Math.abs(dot) > ORTHOGONALITY_TOLERANCE) {
      warnings.push(`NIfTI affine is sheared (axes ${'xyz'[p]} and ${'xyz'[q]} at ${(Math.acos(Math.max(-1, Math.min(1, dot))) * 180 / Math.PI).toFixed(1)}°); geometry is approximate`);
    }
  }
  return {
    spacingMm: [spacing[0], spacing[1], spacing[2]],
    originMm: [lps[0][3] + 0, lps[1][3] + 0, lps[2][3] + 0],
    direction: [
      cols[0][0], cols[1][0], cols[2][0],
      cols[0][1], cols[1][1], cols[2][1],
      cols[0][2], cols[1][2], cols[2][2],
    ],
  };
}

function datatypeOf(data: VoxelData): number {
  if (data instanceof Int16Array) return NIFTI_DATATYPE.int16;
  if (data instanceof Uint8Array) return NIFTI_DATATYPE.uint8;
  return NIFTI_DATATYPE.float32;
}

/** Unit quaternion (b, c, d) of a proper rotation matrix, as nifti1_io's nifti_mat44_to_quatern. */
function rotationToQuaternion(r: number[][]): [number, number, number] {
  let a = r[0][0] + r[1][1] + r[2][2] + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = 0.25 * (r[2][1] - r[1][2]) / a;
    c = 0.25 * (r[0][2] - r[2][0]) / a;
    d = 0.25 * (r[1][0] - r[0][1]) / a;
  } else {
    const xd = 1 + r[0][0] - (r[1][1] + r[2][2]);
    const yd = 1 + r[1][1] - (r[0][0] + r[2][2]);
    const zd = 1 + r[2][2] - (r[0][0] + r[1][1]);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = 0.25 * (r[0][1] + r[1][0]) / b;
      d = 0.25 * (r[0][2] + r[2][0]) / b;
      a = 0.25 * (r[2][1] - r[1][2]) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = 0.25 * (r[0][1] + r[1][0]) / c;
      d = 0.25 * (r[1][2] + r[2][1]) / c;
      a = 0.25 * (r[0][2] - r[2][0]) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = 0.25 * (r[0][2] + r[2][0]) / d;
      c = 0.25 * (r[1][2] + r[2][1]) / d;
      a = 0.25 * (r[1][0] - r[0][1]) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return [b, c, d];
}

/**
 * Encodes a volume as NIfTI-1 (Int16 → int16, Uint8 → uint8, Float32 → float32), with both qform
 * and sform set to the same scanner-anatomical (RAS) affine so every tool agrees on orientation.
 */
export function encodeNifti(vol: Volume, options: EncodeNiftiOptions): Uint8Array {
  const header = niftiHeader(vol, options);
  const out = new Uint8Array(NIFTI1_VOX_OFFSET + vol.data.byteLength);
  out.set(header);
  out.set(voxelBytes(vol.data), NIFTI1_VOX_OFFSET);
  return options.gzip ? gzipSync(out, { level: options.gzipLevel ?? 6 }) : out;
}

/** The voxels' bytes as a NIfTI file holds them (little endian): a view of the data where the machine is little endian too. */
function voxelBytes(data: VoxelData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (endianness() === 'LE') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Int16Array) for (let i = 0; i < data.length; i++) view.setInt16(2 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

/** The 352 bytes before the voxels: the NIfTI-1 header and the (empty) extension flag. */
function niftiHeader(vol: Volume, options: Pick<EncodeNiftiOptions, 'description'>): Uint8Array {
  const n = voxelCount(vol.dims);
  if (vol.data.length !== n) {
    throw new RangeError(`volume data has ${vol.data.length} voxels, dims ${vol.dims.join('×')} need ${n}`);
  }
  for (const d of vol.dims) {
    if (!Number.isInteger(d) || d < 1 || d > 32767) throw new RangeError(`dimension ${d} cannot be stored in NIfTI-1 (1 to 32767)`);
  }
  const datatype = datatypeOf(vol.data);
  const bytes = vol.data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(NIFTI1_VOX_OFFSET);
  const view = new DataView(out.buffer);
  const le = true;
  view.setInt32(0, NIFTI1_HEADER_BYTES, le);
  view.setInt16(40, 3, le);
  for (let i = 0; i < 3; i++) view.setInt16(42 + 2 * i, vol.dims[i], le);
  for (let i = 3; i < 7; i++) view.setInt16(42 + 2 * i, 1, le);
  view.setInt16(70, datatype, le);
  view.setInt16(72, bytes * 8, le);

  // LPS direction → RAS: negate x and y rows
  const d = vol.direction;
  const m = [
    [-d[0], -d[1], -d[2]],
    [-d[3], -d[4], -d[5]],
    [d[6], d[7], d[8]],
  ];
  const det =
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  // qform stores a proper rotation; a left-handed grid is expressed by qfac = -1 (pixdim[0])
  const qfac = det < 0 ? -1 : 1;
  const rot = m.map((row) => [row[0], row[1], row[2] * qfac]);
  const [qb, qc, qd] = rotationToQuaternion(rot);
  const s = vol.spacingMm;
  view.setFloat32(76, qfac, le);
  for (let i = 0; i < 3; i++) view.setFloat32(80 + 4 * i, s[i], le);
  view.setFloat32(92, 0, le);
  view.setFloat32(108, NIFTI1_VOX_OFFSET, le);
  view.setFloat32(112, 1, le);
  view.setFloat32(116, 0, le);
  view.setUint8(123, NIFTI_UNITS_MM_SEC);
  const descrip = (options.description ?? 'ctscreen').replace(/[^\x20-\x7e]/g, '?').slice(0, 79);
  for (let i = 0; i < descrip.length; i++) out[148 + i] = descrip.charCodeAt(i);
  view.setInt16(252, NIFTI_XFORM_SCANNER_ANAT, le);
  view.setInt16(254, NIFTI_XFORM_SCANNER_ANAT, le);
  view.setFloat32(256, qb, le);
  view.setFloat32(260, qc, le);
  view.setFloat32(264, qd, le);
  const o = vol.originMm;
  const offRas = [-o[0], -o[1], o[2]];
  for (let i = 0; i < 3; i++) view.setFloat32(268 + 4 * i, offRas[i], le);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) view.setFloat32(280 + 16 * r + 4 * c, m[r][c] * s[c], le);
    view.setFloat32(280 + 16 * r + 12, offRas[r], le);
  }
  out[344] = 'n'.charCodeAt(0);
  out[345] = '+'.charCodeAt(0);
  out[346] = '1'.charCodeAt(0);
  // bytes 348..351: extension flag 0 (no extensions)
  return out;
}


/** Reads a .nii or .nii.gz file (gzip detected from content, not the name), within the limits. */
export async function readNifti(path: string, options: Pick<DecodeNiftiOptions, 'limits'> = {}): Promise<Volume> {
  const unreadable = (e: unknown) => new InputError('NIFTI_UNREADABLE', `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { path, cause: e });
  let buf: Buffer;
  try {
    // a plain .nii's header is checked before the file is read whole
    const fh = await open(path, 'r');
    try {
      const head = new Uint8Array(NIFTI1_HEADER_BYTES);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      if (!isGzip(head.subarray(0, bytesRead))) niftiBytesNeeded(head.subarray(0, bytesRead), resolveLimits(options.limits), path);
    } finally {
      await fh.close();
    }
    buf = await readFile(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw unreadable(e);
  }
  return decodeNifti(buf, { path, limits: options.limits });
}

/**
 * Writes a volume as NIfTI-1; gzipped when `path` ends in `.gz` (at `gzipLevel`, default 6), on the
 * libuv thread pool, so several files written together compress at once while this thread goes on.
 */
export async function writeNifti(volume: Volume, path: string, options: { gzipLevel?: number } = {}): Promise<void> {
  if (!path.toLowerCase().endsWith('.gz')) return writeFile(path, encodeNifti(volume, { gzip: false }));
  // header and voxels go through one gzip stream (the same bytes as gzipping them joined), so the
  // voxels are never copied into a file-sized buffer
  await pipeline(Readable.from([niftiHeader(volume, {}), voxelBytes(volume.data)]), createGzip({ level: options.gzipLevel ?? 6 }), createWriteStream(path));
}
