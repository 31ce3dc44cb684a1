/**
 * DICOM file → the header fields ctscreen needs, and the encoded pixel bytes of its one frame.
 * Parsing is dicom-parser's; this module only picks fields and turns its failures into one-line
 * errors. Patient-identifying fields are never read.
 */
import dicomParser from 'dicom-parser';
import { InputError } from '../../core/errors.ts';
import { DEFAULT_INPUT_LIMITS, formatLimit, inflateLimited, limitError } from '../limits.ts';
import type { Vec3 } from '../../core/volume.ts';
import { syntaxName, TS } from './transfer-syntax.ts';

/** Non-identifying header of one DICOM image file. */
export interface DicomSliceHeader {
  /** Display name: path relative to the input folder, or the zip entry name. */
  file: string;
  transferSyntaxUid: string;
  seriesInstanceUid: string;
  seriesDescription: string;
  modality: string;
  /** ImageType values, e.g. ['ORIGINAL', 'PRIMARY', 'AXIAL']. */
  imageType: string[];
  sopClassUid: string;
  /** SOPInstanceUID, StudyInstanceUID, FrameOfReferenceUID ('' when absent): what DICOM outputs reference (references.ts). */
  sopInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  instanceNumber?: number;
  /** ImagePositionPatient: LPS mm of the centre of the first transmitted pixel. */
  positionMm?: Vec3;
  /** ImageOrientationPatient: row direction (along a row, x) then column direction (down, y). */
  orientation?: readonly [number, number, number, number, number, number];
  /** PixelSpacing as in DICOM: [between rows (y), between columns (x)] mm. */
  pixelSpacingMm?: readonly [number, number];
  sliceThicknessMm?: number;
  gantryTiltDeg?: number;
  /** PatientPosition (0018,5100), e.g. 'HFS'; '' when absent. Not identifying. */
  patientPosition: string;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometric: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** PixelPaddingValue (stored-value units), when present. */
  paddingValue?: number;
  paddingRangeLimit?: number;
  numberOfFrames: number;
  /** True when the file holds a Pixel Data element. */
  hasPixelData: boolean;
}

/** Storage SOP classes that are captures, not reconstructions (PS3.4 B.5). */
export const SECONDARY_CAPTURE_SOP_PREFIX = '1.2.840.10008.5.1.4.1.1.7';

const PIXEL_DATA = 'x7fe00010';

function message(e: unknown): string {
  // dicom-parser throws strings, Errors, or { exception, dataSet }
  const inner = (e as { exception?: unknown })?.exception ?? e;
  return inner instanceof Error ? inner.message : String(inner);
}

/** Deflated Explicit VR LE (PS3.5 A.5): everything after the file meta is raw deflate, inflated to at most `maxBytes`. */
function inflater(maxBytes: number, file: string) {
  return (byteArray: Uint8Array, position: number): Uint8Array => {
    const { data: inflated } = inflateLimited(byteArray.subarray(position), {
      format: 'deflate-raw',
      maxBytes,
      onLimit: (n) => limitError('maxEntryBytes', { ...DEFAULT_INPUT_LIMITS, maxEntryBytes: maxBytes }, file, `deflated DICOM data set inflates to more than ${formatLimit('maxEntryBytes', maxBytes)}`, { inflatedBytes: n }),
      // a truncated header probe ends mid-stream: keep what inflated, the parser judges the rest
      onCorrupt: (e) => e as Error,
    });
    const full = new Uint8Array(position + inflated.length);
    full.set(byteArray.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
}

export interface ParseDataSetOptions {
  headerOnly: boolean;
  assumeImplicit?: boolean;
  /** Deflated transfer syntax: bytes the data set may inflate to (default the per-file limit). */
  maxInflatedBytes?: number;
  /** Named in a limit error. */
  file?: string;
}

/** Parses a DICOM file (full or its first bytes, up to the pixel data). Throws dicom-parser's error. */
export function parseDataSet(bytes: Uint8Array, options: ParseDataSetOptions): dicomParser.DataSet {
  return dicomParser.parseDicom(bytes, {
    ...(options.headerOnly ? { untilTag: PIXEL_DATA } : {}),
    ...(options.assumeImplicit ? { TransferSyntaxUID: TS.implicitLittle } : {}),
    inflater: inflater(options.maxInflatedBytes ?? DEFAULT_INPUT_LIMITS.maxEntryBytes, options.file ?? 'DICOM file') as unknown as (arr: Uint8Array, position: number) => void,
  });
}

function numbers(ds: dicomParser.DataSet, tag: string): number[] | undefined {
  const s = ds.string(tag);
  if (s === undefined || s === '') return undefined;
  const v = s.split('\\').map((x) => Number.parseFloat(x));
  return v.every(Number.isFinite) ? v : undefined;
}

function num(ds: dicomParser.DataSet, tag: string): number | undefined {
  return numbers(ds, tag)?.[0];
}

function us(ds: dicomParser.DataSet, tag: string): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return undefined;
  return ds.uint16(tag);
}

/** US-or-SS value (PixelPaddingValue) read as its bits and interpreted by PixelRepresentation. */
function usOrSs(ds: dicomParser.DataSet, tag: string, pixelRepresentation: number): number | undefined {
  const v = us(ds, tag);
  if (v === undefined) return undefined;
  return pixelRepresentation === 1 && v >= 0x8000 ? v - 0x10000 : v;
}

/** Picks the fields ctscreen uses from a parsed data set. */
export function sliceHeader(ds: dicomParser.DataSet, file: string): DicomSliceHeader {
  const pos = numbers(ds, 'x00200032');
  const iop = numbers(ds, 'x00200037');
  const ps = numbers(ds, 'x00280030');
  const pixelRepresentation = us(ds, 'x00280103') ?? 0;
  const bitsAllocated = us(ds, 'x00280100') ?? 0;
  return {
    file,
    transferSyntaxUid: (ds.string('x00020010') ?? TS.implicitLittle).trim(),
    seriesInstanceUid: (ds.string('x0020000e') ?? '').trim(),
    seriesDescription: (ds.string('x0008103e') ?? '').trim(),
    modality: (ds.string('x00080060') ?? '').trim().toUpperCase(),
    imageType: (ds.string('x00080008') ?? '').split('\\').map((s) => s.trim().toUpperCase()).filter((s) => s !== ''),
    sopClassUid: (ds.string('x00080016') ?? '').trim(),
    sopInstanceUid: (ds.string('x00080018') ?? '').trim(),
    studyInstanceUid: (ds.string('x0020000d') ?? '').trim(),
    frameOfReferenceUid: (ds.string('x00200052') ?? '').trim(),
    instanceNumber: num(ds, 'x00200013'),
    positionMm: pos && pos.length >= 3 ? [pos[0], pos[1], pos[2]] : undefined,
    orientation: iop && iop.length >= 6 ? [iop[0], iop[1], iop[2], iop[3], iop[4], iop[5]] : undefined,
    pixelSpacingMm: ps && ps.length >= 2 ? [ps[0], ps[1]] : undefined,
    sliceThicknessMm: num(ds, 'x00180050'),
    gantryTiltDeg: num(ds, 'x00181120'),
    patientPosition: (ds.string('x00185100') ?? '').trim().toUpperCase(),
    rows: us(ds, 'x00280010') ?? 0,
    columns: us(ds, 'x00280011') ?? 0,
    bitsAllocated,
    bitsStored: us(ds, 'x00280101') ?? bitsAllocated,
    pixelRepresentation,
    samplesPerPixel: us(ds, 'x00280002') ?? 1,
    photometric: (ds.string('x00280004') ?? '').trim().toUpperCase(),
    rescaleSlope: num(ds, 'x00281053') ?? 1,
    rescaleIntercept: num(ds, 'x00281052') ?? 0,
    paddingValue: usOrSs(ds, 'x00280120', pixelRepresentation),
    paddingRangeLimit: usOrSs(ds, 'x00280121', pixelRepresentation),
    numberOfFrames: num(ds, 'x00280008') ?? 1,
    hasPixelData: ds.elements[PIXEL_DATA] !== undefined,
  };
}

/** True when the bytes carry the Part-10 'DICM' marker at offset 128. */
export function hasPart10Magic(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * True when bytes look like a raw (no preamble) implicit-LE data set: it starts with a group-0008
 * tag, as every image's Identifying module does.
 */
export function looksLikeRawDataSet(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x08 && bytes[1] === 0x00;
}

/** Wraps a dicom-parser failure into a one-line error naming the file. */
export function parseError(file: string, e: unknown, what: string): InputError {
  // a limit passed while inflating a deflated data set is already the right error
  const inner = (e as { exception?: unknown })?.exception ?? e;
  if (inner instanceof InputError) return inner;
  const m = message(e);
  const truncated = /past end|beyond|overread|buffer|end of/i.test(m);
  return new InputError(
    truncated ? 'DICOM_TRUNCATED' : 'DICOM_CORRUPT',
    `${file}: ${truncated ? 'truncated DICOM file' : 'corrupt DICOM file'} (${what}: ${m.split('\n')[0]})`,
    { path: file, cause: e },
  );
}

/** Bytes per stored sample, checked against what ctscreen can turn into HU. */
function nativeFrameBytes(h: DicomSliceHeader): number {
  return h.rows * h.columns * h.samplesPerPixel * (h.bitsAllocated / 8);
}

/** The encoded (or native) bytes of the single frame of a fully parsed file, as a fresh copy. */
export function extractFrame(ds: dicomParser.DataSet, h: DicomSliceHeader): Uint8Array {
  const el = ds.elements[PIXEL_DATA];
  if (!el) throw new InputError('DICOM_NO_PIXELS', `${h.file}: has no Pixel Data element`, { path: h.file });
  try {
    if (el.encapsulatedPixelData) {
      const fragments = el.fragments ?? [];
      if (fragments.length === 0) throw new InputError('DICOM_NO_PIXELS', `${h.file}: encapsulated Pixel Data has no fragments`, { path: h.file });
      const frame = dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
      return new Uint8Array(frame);
    }
    const need = nativeFrameBytes(h);
    const available = Math.min(el.length, ds.byteArray.length - el.dataOffset);
    if (available < need) {
      throw new InputError('DICOM_TRUNCATED', `${h.file}: truncated DICOM file (Pixel Data has ${Math.max(0, available)} of ${need} bytes for ${h.columns}×${h.rows} × ${h.bitsAllocated}-bit)`, { path: h.file });
    }
    return ds.byteArray.slice(el.dataOffset, el.dataOffset + need);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw parseError(h.file, e, `reading ${syntaxName(h.transferSyntaxUid)} pixel data`);
  }
}
