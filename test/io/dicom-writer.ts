/**
 * Test helper: writes small synthetic DICOM CT series in any transfer syntax ctscreen reads.
 * Pixel streams are made with the field's encoders (CharLS, OpenJPEG, libjpeg-turbo) or, for
 * JPEG Lossless (no encoder package exists), taken from the sample files jpeg-lossless-decoder-js
 * ships. Data elements are written by hand so big endian, implicit VR and deflate are all covered.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'fflate';
import dicomParser from 'dicom-parser';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';

const require = createRequire(import.meta.url);

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

/** A patient name and ID that must never appear in any output. */
export const SECRET_PATIENT_NAME = 'SECRET^PATIENT';
export const SECRET_PATIENT_ID = 'PID-SECRET-4711';

export interface SliceSpec {
  syntax: string;
  rows: number;
  columns: number;
  /** Stored values, row by row. Ignored when `encodedFrame` is given. */
  stored?: ArrayLike<number>;
  encodedFrame?: Uint8Array;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  slope?: number;
  intercept?: number;
  paddingValue?: number;
  positionMm?: readonly [number, number, number];
  orientation?: readonly number[];
  pixelSpacingMm?: readonly [number, number];
  sliceThicknessMm?: number;
  seriesUid: string;
  sopInstanceUid: string;
  /** StudyInstanceUID and FrameOfReferenceUID, written when given (DICOM output tests). */
  studyUid?: string;
  frameOfReferenceUid?: string;
  instanceNumber?: number;
  modality?: string;
  imageType?: string;
  sopClassUid?: string;
  seriesDescription?: string;
  /** StudyDate (YYYYMMDD), written when given (QIDO-RS date searches). */
  studyDate?: string;
  /** PatientPosition (0018,5100), e.g. 'HFP', written when given. */
  patientPosition?: string;
}

type Vr = 'CS' | 'UI' | 'LO' | 'DS' | 'IS' | 'US' | 'OB' | 'OW' | 'PN' | 'SH' | 'UL' | 'DA';

interface Element {
  group: number;
  element: number;
  vr: Vr;
  value: Uint8Array | string | number[];
}

function text(value: string, vr: Vr): Uint8Array {
  let s = value;
  if (s.length % 2) s += vr === 'UI' ? '\0' : ' ';
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function valueBytes(el: Element, le: boolean): Uint8Array {
  if (el.value instanceof Uint8Array) {
    if (el.value.length % 2 === 0) return el.value;
    const padded = new Uint8Array(el.value.length + 1);
    padded.set(el.value);
    return padded;
  }
  if (typeof el.value === 'string') return text(el.value, el.vr);
  const size = el.vr === 'UL' ? 4 : 2;
  const out = new Uint8Array(el.value.length * size);
  const v = new DataView(out.buffer);
  el.value.forEach((x, i) => (size === 4 ? v.setUint32(4 * i, x, le) : v.setUint16(2 * i, x & 0xffff, le)));
  return out;
}

const LONG_VRS = new Set<Vr>(['OB', 'OW']);

function encodeElements(elements: Element[], explicit: boolean, le: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const el of [...elements].sort((a, b) => a.group - b.group || a.element - b.element)) {
    const value = valueBytes(el, le);
    const header = new Uint8Array(explicit && !LONG_VRS.has(el.vr) ? 8 : explicit ? 12 : 8);
    const v = new DataView(header.buffer);
    v.setUint16(0, el.group, le);
    v.setUint16(2, el.element, le);
    if (explicit) {
      header[4] = el.vr.charCodeAt(0);
      header[5] = el.vr.charCodeAt(1);
      if (LONG_VRS.has(el.vr)) v.setUint32(8, value.length, le);
      else v.setUint16(6, value.length, le);
    } else {
      v.setUint32(4, value.length, le);
    }
    parts.push(header, value);
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Encapsulated Pixel Data (PS3.5 A.4): empty basic offset table, one fragment, delimiter. */
function encapsulate(frame: Uint8Array): Uint8Array {
  const fragment = frame.length % 2 ? concat([frame, new Uint8Array(1)]) : frame;
  const out = new Uint8Array(12 + 8 + 8 + fragment.length + 8);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0x7fe0, true);
  v.setUint16(2, 0x0010, true);
  out[4] = 0x4f; // 'O'
  out[5] = 0x42; // 'B'
  v.setUint32(8, 0xffffffff, true);
  v.setUint16(12, 0xfffe, true);
  v.setUint16(14, 0xe000, true);
  v.setUint32(16, 0, true);
  v.setUint16(20, 0xfffe, true);
  v.setUint16(22, 0xe000, true);
  v.setUint32(24, fragment.length, true);
  out.set(fragment, 28);
  const d = 28 + fragment.length;
  v.setUint16(d, 0xfffe, true);
  v.setUint16(d + 2, 0xe0dd, true);
  v.setUint32(d + 4, 0, true);
  return out;
}

function nativeBytes(spec: SliceSpec, le: boolean): Uint8Array {
  const n = spec.rows * spec.columns;
  const bytes = spec.bitsAllocated / 8;
  const out = new Uint8Array(n * bytes);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = spec.stored![i];
    if (bytes === 1) out[i] = x & 0xff;
    else v.setUint16(2 * i, x & 0xffff, le);
  }
  return out;
}

type Codec = { getDecodedBuffer(info: object): Uint8Array; encode(): void; getEncodedBuffer(): Uint8Array; delete(): void; setNearLossless?(n: number): void; setQuality?(...a: unknown[]): void };
const encoders = new Map<string, Promise<Record<string, new () => Codec>>>();
function encoderModule(spec: string): Promise<Record<string, new () => Codec>> {
  let m = encoders.get(spec);
  if (!m) {
    m = (require(spec) as (a: object) => Promise<Record<string, new () => Codec>>)({ print: () => undefined, printErr: () => undefined });
    encoders.set(spec, m);
  }
  return m;
}

function storedAsBytes(spec: SliceSpec): Uint8Array {
  return nativeBytes(spec, true);
}

/** PackBits RLE (PS3.5 G.3.1) with literal runs only, split into byte planes MSB first. */
export function encodeRle(spec: SliceSpec): Uint8Array {
  const bytes = spec.bitsAllocated / 8;
  const raw = storedAsBytes(spec);
  const n = spec.rows * spec.columns;
  const segments: Uint8Array[] = [];
  for (let s = 0; s < bytes; s++) {
    const byteIndex = bytes - 1 - s;
    const plane = new Uint8Array(n);
    for (let i = 0; i < n; i++) plane[i] = raw[i * bytes + byteIndex];
    const out: number[] = [];
    let i = 0;
    while (i < n) {
      // a replicate run when ≥ 3 equal bytes follow, else a literal run (max 128 each)
      let run = 1;
      while (i + run < n && run < 128 && plane[i + run] === plane[i]) run++;
      if (run >= 3) {
        out.push((257 - run) & 0xff, plane[i]);
        i += run;
      } else {
        const len = Math.min(128, n - i);
        let lit = 1;
        while (lit < len && !(i + lit + 2 < n && plane[i + lit] === plane[i + lit + 1] && plane[i + lit] === plane[i + lit + 2])) lit++;
        out.push(lit - 1, ...plane.subarray(i, i + lit));
        i += lit;
      }
    }
    if (out.length % 2) out.push(0x80); // -128: no-op padding to even length
    segments.push(Uint8Array.from(out));
  }
  const header = new Uint8Array(64);
  const v = new DataView(header.buffer);
  v.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((seg, k) => {
    v.setUint32(4 + 4 * k, offset, true);
    offset += seg.length;
  });
  return concat([header, ...segments]);
}

async function encodeFrame(spec: SliceSpec): Promise<Uint8Array> {
  if (spec.encodedFrame) return spec.encodedFrame;
  const frameInfo = { width: spec.columns, height: spec.rows, bitsPerSample: spec.bitsAllocated, componentCount: 1, isSigned: spec.pixelRepresentation === 1, isUsingColorTransform: false };
  const run = async (pkg: string, cls: string, configure: (c: Codec) => void) => {
    const m = await encoderModule(pkg);
    const enc = new m[cls]();
    try {
      enc.getDecodedBuffer(frameInfo).set(storedAsBytes(spec));
      configure(enc);
      enc.encode();
      return enc.getEncodedBuffer().slice();
    } finally {
      enc.delete();
    }
  };
  switch (spec.syntax) {
    case TS.jpegLs:
      return run('@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder', (c) => c.setNearLossless!(0));
    case TS.jpeg2000Lossless:
      return run('@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder', (c) => c.setQuality!(true, 0));
    case TS.jpegBaseline:
      return run('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', 'JPEGEncoder', (c) => c.setQuality!(100));
    case TS.rle:
      return encodeRle(spec);
    default:
      throw new Error(`test writer has no encoder for ${spec.syntax}; pass encodedFrame`);
  }
}

/** Writes one DICOM Part-10 file and returns its bytes. */
export async function dicomSliceBytes(spec: SliceSpec): Promise<Uint8Array> {
  const explicit = spec.syntax !== TS.implicitLittle;
  const le = spec.syntax !== TS.explicitBig;
  const compressed = ![TS.implicitLittle, TS.explicitLittle, TS.explicitBig, TS.deflatedExplicitLittle].includes(spec.syntax as never);
  const sopClass = spec.sopClassUid ?? CT_IMAGE_STORAGE;
  const ds: Element[] = [
    { group: 0x0008, element: 0x0008, vr: 'CS', value: spec.imageType ?? 'ORIGINAL\\PRIMARY\\AXIAL' },
    { group: 0x0008, element: 0x0016, vr: 'UI', value: sopClass },
    { group: 0x0008, element: 0x0018, vr: 'UI', value: spec.sopInstanceUid },
    { group: 0x0008, element: 0x0060, vr: 'CS', value: spec.modality ?? 'CT' },
    { group: 0x0008, element: 0x103e, vr: 'LO', value: spec.seriesDescription ?? 'synthetic chest' },
    { group: 0x0010, element: 0x0010, vr: 'PN', value: SECRET_PATIENT_NAME },
    { group: 0x0010, element: 0x0020, vr: 'LO', value: SECRET_PATIENT_ID },
    { group: 0x0020, element: 0x000e, vr: 'UI', value: spec.seriesUid },
    { group: 0x0028, element: 0x0002, vr: 'US', value: [1] },
    { group: 0x0028, element: 0x0004, vr: 'CS', value: 'MONOCHROME2' },
    { group: 0x0028, element: 0x0010, vr: 'US', value: [spec.rows] },
    { group: 0x0028, element: 0x0011, vr: 'US', value: [spec.columns] },
    { group: 0x0028, element: 0x0100, vr: 'US', value: [spec.bitsAllocated] },
    { group: 0x0028, element: 0x0101, vr: 'US', value: [spec.bitsStored] },
    { group: 0x0028, element: 0x0102, vr: 'US', value: [spec.bitsStored - 1] },
    { group: 0x0028, element: 0x0103, vr: 'US', value: [spec.pixelRepresentation] },
    { group: 0x0028, element: 0x1052, vr: 'DS', value: String(spec.intercept ?? 0) },
    { group: 0x0028, element: 0x1053, vr: 'DS', value: String(spec.slope ?? 1) },
  ];
  if (spec.studyUid !== undefined) ds.push({ group: 0x0020, element: 0x000d, vr: 'UI', value: spec.studyUid });
  if (spec.studyDate !== undefined) ds.push({ group: 0x0008, element: 0x0020, vr: 'DA', value: spec.studyDate });
  if (spec.frameOfReferenceUid !== undefined) ds.push({ group: 0x0020, element: 0x0052, vr: 'UI', value: spec.frameOfReferenceUid });
  if (spec.instanceNumber !== undefined) ds.push({ group: 0x0020, element: 0x0013, vr: 'IS', value: String(spec.instanceNumber) });
  if (spec.positionMm) ds.push({ group: 0x0020, element: 0x0032, vr: 'DS', value: spec.positionMm.map(String).join('\\') });
  if (spec.orientation) ds.push({ group: 0x0020, element: 0x0037, vr: 'DS', value: spec.orientation.map((x) => String(Number(x.toFixed(6)))).join('\\') });
  if (spec.pixelSpacingMm) ds.push({ group: 0x0028, element: 0x0030, vr: 'DS', value: spec.pixelSpacingMm.map(String).join('\\') });
  if (spec.sliceThicknessMm !== undefined) ds.push({ group: 0x0018, element: 0x0050, vr: 'DS', value: String(spec.sliceThicknessMm) });
  if (spec.patientPosition !== undefined) ds.push({ group: 0x0018, element: 0x5100, vr: 'CS', value: spec.patientPosition });
  if (spec.paddingValue !== undefined) ds.push({ group: 0x0028, element: 0x0120, vr: 'US', value: [spec.paddingValue] });

  let body: Uint8Array;
  if (compressed) {
    body = concat([encodeElements(ds, true, true), encapsulate(await encodeFrame(spec))]);
  } else {
    ds.push({ group: 0x7fe0, element: 0x0010, vr: spec.bitsAllocated > 8 ? 'OW' : 'OB', value: nativeBytes(spec, le) });
    body = encodeElements(ds, explicit, le);
    if (spec.syntax === TS.deflatedExplicitLittle) body = deflateSync(body);
  }
  const metaElements: Element[] = [
    { group: 0x0002, element: 0x0001, vr: 'OB', value: Uint8Array.of(0, 1) },
    { group: 0x0002, element: 0x0002, vr: 'UI', value: sopClass },
    { group: 0x0002, element: 0x0003, vr: 'UI', value: spec.sopInstanceUid },
    { group: 0x0002, element: 0x0010, vr: 'UI', value: spec.syntax },
    { group: 0x0002, element: 0x0012, vr: 'UI', value: '1.2.826.0.1.3680043.10.999.1' },
  ];
  const meta = encodeElements(metaElements, true, true);
  const groupLength = encodeElements([{ group: 0x0002, element: 0x0000, vr: 'UL', value: [meta.length] }], true, true);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, groupLength, meta, body]);
}

export interface SeriesSpec {
  dir: string;
  syntax: string;
  nx?: number;
  ny?: number;
  nz?: number;
  spacingMm?: readonly [number, number, number];
  originMm?: readonly [number, number, number];
  /** Row and column direction cosines (default axial: [1,0,0, 0,1,0]). */
  orientation?: readonly number[];
  /** In-plane offset of each next slice along the row direction, mm (gantry tilt). */
  tiltShiftMmPerSlice?: number;
  /** Offsets along the slice normal from the origin, mm, instead of a regular grid (gaps, duplicates). */
  zPositionsMm?: number[];
  seriesUid?: string;
  /** StudyInstanceUID / FrameOfReferenceUID written in every slice when given. */
  studyUid?: string;
  frameOfReferenceUid?: string;
  /** File names are shuffled with this seed so name order ≠ slice order. */
  shuffleSeed?: number;
  signed?: boolean;
  paddingValue?: number;
  modality?: string;
  imageType?: string;
  sopClassUid?: string;
  /** Pre-encoded frames (JPEG Lossless) used for every slice; geometry still varies. */
  encodedFrame?: Uint8Array;
  frameSize?: readonly [number, number];
  bitsStored?: number;
  patientPosition?: string;
}

/** HU of the synthetic phantom at voxel (x, y, z): a ramp with some bone and some air. */
export function phantomHu(x: number, y: number, z: number): number {
  return -1000 + ((x * 23 + y * 11 + z * 97) % 2400);
}

/**
 * Writes a series; file i holds slice perm[i]. Returns where each slice went, for assertions.
 * Unsigned data: stored = HU + 1024, intercept −1024 (the usual CT encoding);
 * signed: stored = HU, intercept 0.
 */
export async function writeSeries(spec: SeriesSpec): Promise<{ files: string[]; zPositionsMm: number[] }> {
  await mkdir(spec.dir, { recursive: true });
  const nx = spec.frameSize?.[0] ?? spec.nx ?? 16;
  const ny = spec.frameSize?.[1] ?? spec.ny ?? 12;
  const zs = spec.zPositionsMm ?? Array.from({ length: spec.nz ?? 5 }, (_, k) => k * (spec.spacingMm?.[2] ?? 2.5));
  const nz = zs.length;
  const perm = Array.from({ length: nz }, (_, i) => i);
  if (spec.shuffleSeed !== undefined) {
    let s = spec.shuffleSeed;
    for (let i = nz - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const j = s % (i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
  }
  const o = spec.orientation ?? [1, 0, 0, 0, 1, 0];
  const files: string[] = [];
  const seriesUid = spec.seriesUid ?? '1.2.826.0.1.3680043.10.999.2';
  for (let f = 0; f < nz; f++) {
    const z = perm[f];
    const stored = new Int32Array(nx * ny);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const hu = phantomHu(x, y, z);
        stored[x + nx * y] = spec.signed ? hu : hu + 1024;
      }
    }
    if (spec.paddingValue !== undefined) stored[0] = spec.paddingValue;
    const shift = (spec.tiltShiftMmPerSlice ?? 0) * z;
    const origin = spec.originMm ?? [-20, -30, -100];
    // position = origin + tilt shift along the row direction + offset along the slice normal
    const normal = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    const pos = [0, 1, 2].map((i) => origin[i] + shift * o[i] + zs[z] * normal[i]) as [number, number, number];
    const bytes = await dicomSliceBytes({
      syntax: spec.syntax,
      rows: ny,
      columns: nx,
      stored,
      encodedFrame: spec.encodedFrame,
      bitsAllocated: 16,
      bitsStored: spec.bitsStored ?? (spec.signed ? 16 : 12),
      pixelRepresentation: spec.signed ? 1 : 0,
      intercept: spec.signed ? 0 : -1024,
      slope: 1,
      paddingValue: spec.paddingValue,
      positionMm: pos,
      orientation: o,
      pixelSpacingMm: [spec.spacingMm?.[1] ?? 0.8, spec.spacingMm?.[0] ?? 0.7],
      sliceThicknessMm: spec.spacingMm?.[2] ?? 2.5,
      seriesUid,
      sopInstanceUid: `${seriesUid}.${z + 1}`,
      studyUid: spec.studyUid,
      frameOfReferenceUid: spec.frameOfReferenceUid,
      instanceNumber: nz - z,
      modality: spec.modality,
      imageType: spec.imageType,
      sopClassUid: spec.sopClassUid,
      patientPosition: spec.patientPosition,
    });
    const name = join(spec.dir, `img_${f + 1}.dcm`);
    await writeFile(name, bytes);
    files.push(name);
  }
  return { files, zPositionsMm: zs };
}

/** The JPEG Lossless frame of a sample file shipped by jpeg-lossless-decoder-js. */
export function sampleJpegLosslessFrame(name: string): { frame: Uint8Array; rows: number; columns: number } {
  const path = require.resolve(`jpeg-lossless-decoder-js/package.json`).replace(/package\.json$/, `tests/data/${name}`);
  const bytes = new Uint8Array(readFileSync(path));
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements.x7fe00010;
  const frame = new Uint8Array(dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments!.length));
  return { frame, rows: ds.uint16('x00280010')!, columns: ds.uint16('x00280011')! };
}

export function sampleFilePath(name: string): string {
  return require.resolve(`jpeg-lossless-decoder-js/package.json`).replace(/package\.json$/, `tests/data/${name}`);
}
