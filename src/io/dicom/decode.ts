/**
 * One slice's pixel bytes → Hounsfield units. Compressed syntaxes use the field's decoders:
 * cornerstone's WASM builds of CharLS (JPEG-LS), OpenJPEG (JPEG 2000) and libjpeg-turbo
 * (baseline JPEG), and jpeg-lossless-decoder-js (JPEG Lossless .57/.70). RLE (PS3.5 Annex G) is
 * byte-level PackBits with no codec package in the cornerstone family; it is decoded here.
 *
 * Runs both on the main thread and in worker threads (./decode-worker.ts), so it holds no state
 * except the lazily loaded WASM modules.
 */
import { createRequire } from 'node:module';
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { AIR_HU } from '../../core/constants.ts';
import { InputError } from '../../core/errors.ts';
import type { DicomSliceHeader } from './parse.ts';
import { decodeJpegLosslessFast } from './jpeg-lossless.ts';
import { syntaxInfo, syntaxName, type PixelCodec } from './transfer-syntax.ts';

/** The header fields decoding needs (a subset of DicomSliceHeader). */
export type PixelHeader = Pick<
  DicomSliceHeader,
  'file' | 'transferSyntaxUid' | 'rows' | 'columns' | 'bitsAllocated' | 'bitsStored' | 'pixelRepresentation' | 'samplesPerPixel' | 'rescaleSlope' | 'rescaleIntercept' | 'paddingValue' | 'paddingRangeLimit'
>;

/** Everything needed to turn one frame into HU, plain data so it can be posted to a worker. */
export interface SliceJob extends PixelHeader {
  frame: Uint8Array;
  /** Int16 when slope and intercept are integers (exact HU), Float32 otherwise. */
  output: 'int16' | 'float32';
}

/**
 * HU below this are not tissue or air but the scanner's marker for "outside the reconstruction
 * circle" (e.g. −2000 or −3024); they become air, as padding does. Real air reads ≈ −1000 ± noise
 * and scanners clip at −1024, so −1100 leaves room for noise.
 */
export const OUT_OF_SCAN_BELOW_HU = -1100;
/** Float32 HU are clamped here (metal reads a few thousand HU; a broken rescale reads anything). */
export const MAX_FLOAT_HU = 1e6;

type WasmDecoder = {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  delete(): void;
};
type WasmModule = Record<string, new () => WasmDecoder>;

const require = createRequire(import.meta.url);
const wasmModules = new Map<string, Promise<WasmModule>>();

function loadWasm(specifier: string): Promise<WasmModule> {
  let m = wasmModules.get(specifier);
  if (!m) {
    const factory = require(specifier) as (moduleArg: { print: (s: string) => void; printErr: (s: string) => void }) => Promise<WasmModule>;
    // OpenJPEG prints "[INFO] ..." lines on stdout by default, which would corrupt
    // `ctscreen info --json`; decoder failures are thrown as exceptions, so the chatter is dropped
    m = factory({ print: () => undefined, printErr: () => undefined });
    wasmModules.set(specifier, m);
  }
  return m;
}

const WASM_CODECS: Partial<Record<PixelCodec, { specifier: string; className: string }>> = {
  'jpeg-ls': { specifier: '@cornerstonejs/codec-charls/decodewasmjs', className: 'JpegLSDecoder' },
  jpeg2000: { specifier: '@cornerstonejs/codec-openjpeg/decodewasmjs', className: 'J2KDecoder' },
  'jpeg-baseline': { specifier: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', className: 'JPEGDecoder' },
};

interface Decoded {
  /** Samples as unsigned bit patterns (or signed, for native signed data). */
  values: Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;
  width: number;
  height: number;
  components: number;
}

function bad(job: SliceJob, problem: string, cause?: unknown): InputError {
  return new InputError('DICOM_DECODE_FAILED', `${job.file}: ${problem}`, { path: job.file, cause });
}

/** Codecs whose streams end with the marker 0xFF 0xD9 (JPEG EOI, PS3.5 A.4; JPEG 2000 EOC). */
const END_MARKER_CODECS = new Set<PixelCodec>(['jpeg-baseline', 'jpeg-lossless', 'jpeg-ls', 'jpeg2000']);
/**
 * The end marker is looked for this far from the end: fragments are padded to even length, and
 * some encoders pad with a byte that is not 0 (seen in RICORD: FF D9 then one arbitrary byte).
 */
const END_MARKER_SEARCH_BYTES = 16;

/** True when 0xFF 0xD9 occurs within the last END_MARKER_SEARCH_BYTES bytes. */
export function hasEndMarker(frame: Uint8Array): boolean {
  for (let i = frame.length - 2; i >= Math.max(0, frame.length - END_MARKER_SEARCH_BYTES); i--) if (frame[i] === 0xff && frame[i + 1] === 0xd9) return true;
  return false;
}

/**
 * A truncated stream never reaches the decoders: CharLS loops without end on some (fuzz seed 1000
 * case 2077) and jpeg-lossless-decoder-js fills the missing rows with zeros without a word.
 */
function refuseTruncatedStream(job: SliceJob): void {
  const info = syntaxInfo(job.transferSyntaxUid);
  if (info && END_MARKER_CODECS.has(info.codec) && !hasEndMarker(job.frame)) {
    throw bad(job, `cannot decode ${info.name} pixel data (truncated: the ${job.frame.length}-byte stream has no end marker FF D9)`);
  }
}

async function decodeWasm(job: SliceJob, codec: PixelCodec): Promise<Decoded> {
  const spec = WASM_CODECS[codec]!;
  const mod = await loadWasm(spec.specifier);
  const decoder = new mod[spec.className]();
  try {
    const input = decoder.getEncodedBuffer(job.frame.length);
    input.set(job.frame);
    decoder.decode();
    const info = decoder.getFrameInfo();
    // the decoded buffer is a view into WASM memory: copy before the decoder is freed
    const bytes = decoder.getDecodedBuffer().slice();
    const values = info.bitsPerSample > 8 ? new Uint16Array(bytes.buffer, 0, bytes.length >> 1) : bytes;
    return { values, width: info.width, height: info.height, components: info.componentCount };
  } finally {
    decoder.delete();
  }
}

function decodeJpegLossless(job: SliceJob): Decoded {
  const bytesPerSample = job.bitsAllocated > 8 ? 2 : 1;
  // the port of the library's common path first; anything outside it goes to the library itself
  const fast = decodeJpegLosslessFast(job.frame, bytesPerSample);
  if (fast) return fast;
  const decoder = new JpegLosslessDecoder();
  const buf = job.frame.buffer.slice(job.frame.byteOffset, job.frame.byteOffset + job.frame.byteLength);
  const out = decoder.decode(buf as ArrayBuffer, 0, buf.byteLength, bytesPerSample) as Uint8Array | Uint16Array;
  return { values: out, width: decoder.frame.dimX, height: decoder.frame.dimY, components: decoder.frame.numComp };
}

/** PackBits segments of PS3.5 G.3.1, recombined most significant byte first (G.2). */
export function decodeRle(frame: Uint8Array, rows: number, columns: number, bitsAllocated: number, samplesPerPixel: number, file: string): Decoded {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 64) throw new InputError('DICOM_DECODE_FAILED', `${file}: RLE frame is ${frame.length} bytes, shorter than its 64-byte header`, { path: file });
  const segments = view.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  if (segments !== bytesPerSample * samplesPerPixel) {
    throw new InputError('DICOM_DECODE_FAILED', `${file}: RLE header has ${segments} segments, expected ${bytesPerSample * samplesPerPixel} for ${bitsAllocated}-bit × ${samplesPerPixel} sample(s)`, { path: file });
  }
  const n = rows * columns;
  const out = new Uint8Array(n * bytesPerSample * samplesPerPixel);
  const pixelStride = bytesPerSample * samplesPerPixel;
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    const sample = Math.floor(s / bytesPerSample);
    // segment 0 of a sample holds its most significant bytes; output is little endian
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let p = start;
    while (p < end && written < n) {
      const h = (frame[p++] << 24) >> 24;
      if (h >= 0) {
        for (let k = 0; k <= h && written < n && p < end; k++, written++, o += pixelStride) out[o] = frame[p++];
      } else if (h !== -128) {
        if (p >= end) break;
        const v = frame[p++];
        for (let k = 0; k < 1 - h && written < n; k++, written++, o += pixelStride) out[o] = v;
      }
    }
    if (written < n) throw new InputError('DICOM_DECODE_FAILED', `${file}: RLE segment ${s + 1} ends after ${written} of ${n} pixels (truncated or corrupt)`, { path: file });
  }
  const values = bytesPerSample === 2 ? new Uint16Array(out.buffer) : bytesPerSample === 4 ? new Uint32Array(out.buffer) : out;
  return { values, width: columns, height: rows, components: samplesPerPixel };
}

function decodeNative(job: SliceJob, bigEndian: boolean): Decoded {
  const f = job.frame;
  const n = job.rows * job.columns * job.samplesPerPixel;
  const view = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const le = !bigEndian;
  let values: Decoded['values'];
  if (job.bitsAllocated === 8) values = f.subarray(0, n);
  else if (job.bitsAllocated === 16) {
    const v = new Uint16Array(n);
    for (let i = 0; i < n; i++) v[i] = view.getUint16(2 * i, le);
    values = v;
  } else if (job.bitsAllocated === 32) {
    const v = new Uint32Array(n);
    for (let i = 0; i < n; i++) v[i] = view.getUint32(4 * i, le);
    values = v;
  } else {
    throw bad(job, `BitsAllocated ${job.bitsAllocated} is not supported (8, 16 or 32)`);
  }
  return { values, width: job.columns, height: job.rows, components: job.samplesPerPixel };
}

/** JPEG start-of-frame markers (ITU T.81 B.1.1.3; 0xF7 is JPEG-LS's SOF55), which carry the image size. */
const JPEG_SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7]);
const JPEG_SOS = 0xda;
const J2K_SIZ = 0xff51;

/**
 * The image size a codestream declares ([width, height]), read from its header without decoding:
 * a JPEG / JPEG-LS SOF segment or a JPEG 2000 SIZ segment; undefined when not found.
 */
export function codestreamSize(frame: Uint8Array, codec: PixelCodec): [number, number] | undefined {
  const u16 = (o: number) => (frame[o] << 8) | frame[o + 1];
  if (codec === 'jpeg2000') {
    // SOC (FF4F) then SIZ: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz (ISO 15444-1 A.5.1); a JP2 box wrapper is searched
    for (let i = 0; i + 26 <= frame.length; i++) {
      if (u16(i) !== J2K_SIZ) continue;
      const u32 = (o: number) => ((frame[o] << 24) | (frame[o + 1] << 16) | (frame[o + 2] << 8) | frame[o + 3]) >>> 0;
      return [u32(i + 6) - u32(i + 14), u32(i + 10) - u32(i + 18)];
    }
    return undefined;
  }
  if (codec !== 'jpeg-baseline' && codec !== 'jpeg-lossless' && codec !== 'jpeg-ls') return undefined;
  let i = 2; // after SOI
  while (i + 9 <= frame.length) {
    if (frame[i] !== 0xff) return undefined;
    const marker = frame[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (JPEG_SOF_MARKERS.has(marker)) return [u16(i + 7), u16(i + 5)];
    if (marker === JPEG_SOS) return undefined;
    if ((marker >= 0xd0 && marker <= 0xd9) || marker === 0x01) i += 2;
    else i += 2 + u16(i + 2);
  }
  return undefined;
}

async function decodeFrame(job: SliceJob): Promise<Decoded> {
  const info = syntaxInfo(job.transferSyntaxUid);
  if (!info) {
    throw new InputError('DICOM_UNSUPPORTED_SYNTAX', `${job.file}: transfer syntax ${job.transferSyntaxUid} (${syntaxName(job.transferSyntaxUid)}) is not supported; convert the series (e.g. dcmdjpeg or gdcmconv --raw) to Explicit VR Little Endian`, { path: job.file });
  }
  // the decoders allocate what the codestream declares: a frame claiming more than the header is refused first
  const declared = codestreamSize(job.frame, info.codec);
  if (declared && (declared[0] !== job.columns || declared[1] !== job.rows)) {
    throw bad(job, `${info.name} codestream declares ${declared[0]}×${declared[1]} pixels but the header says ${job.columns}×${job.rows}`);
  }
  try {
    switch (info.codec) {
      case 'native':
        return decodeNative(job, false);
      case 'native-big-endian':
        return decodeNative(job, true);
      case 'jpeg-lossless':
        return decodeJpegLossless(job);
      case 'rle':
        return decodeRle(job.frame, job.rows, job.columns, job.bitsAllocated, job.samplesPerPixel, job.file);
      default:
        return await decodeWasm(job, info.codec);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw bad(job, `cannot decode ${info.name} pixel data (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

/**
 * Decodes one frame and maps stored values to HU: value = stored · slope + intercept (PS3.3
 * C.11.1.1.2); PixelPaddingValue (and the range up to PixelPaddingRangeLimit) and values below
 * OUT_OF_SCAN_BELOW_HU become AIR_HU, so the body outline is not a cliff of −3024. `into`, a
 * slice-sized array of the job's output type (a slice of the volume), is written instead of a new one.
 */
export async function decodeSliceToHu(job: SliceJob, into?: Int16Array | Float32Array): Promise<Int16Array | Float32Array> {
  if (job.samplesPerPixel !== 1) throw bad(job, `has ${job.samplesPerPixel} samples per pixel (colour); a CT slice has 1`);
  refuseTruncatedStream(job);
  const d = await decodeFrame(job);
  if (d.width !== job.columns || d.height !== job.rows || d.components !== 1) {
    throw bad(job, `decoded image is ${d.width}×${d.height}×${d.components} but the header says ${job.columns}×${job.rows}×1`);
  }
  const n = job.rows * job.columns;
  if (d.values.length < n) throw bad(job, `decoded ${d.values.length} of ${n} pixels`);
  const fits = into !== undefined && into.length === n && (job.output === 'int16' ? into instanceof Int16Array : into instanceof Float32Array);
  const out = fits ? into : job.output === 'int16' ? new Int16Array(n) : new Float32Array(n);
  const bits = Math.min(job.bitsStored, 32);
  if (bits > MAX_LUT_BITS) {
    storedToHu(d.values, out, n, job);
    return out;
  }
  // every possible stored value goes through storedToHu once, into a table of the output's type;
  // the slice is then one look-up per pixel: the same numbers at a fraction of the cost
  const lut = huLookup(job, out);
  const mask = 2 ** bits - 1;
  const v = d.values;
  for (let i = 0; i < n; i++) out[i] = lut[v[i] & mask];
  return out;
}

/** Stored values of at most this many bits go through a look-up table (2^16 entries at most). */
const MAX_LUT_BITS = 16;

let lastLut: { key: string; lut: Int16Array | Float32Array } | undefined;

/** lut[s] = HU of stored value s (its low BitsStored bits), for every s; the last table is kept for the next slice. */
function huLookup(job: SliceJob, like: Int16Array | Float32Array): Int16Array | Float32Array {
  const key = [job.output, job.bitsStored, job.pixelRepresentation, job.rescaleSlope, job.rescaleIntercept, job.paddingValue, job.paddingRangeLimit].join(' ');
  if (lastLut?.key === key) return lastLut.lut;
  const size = 2 ** Math.min(job.bitsStored, 32);
  const stored = new Uint32Array(size);
  for (let s = 0; s < size; s++) stored[s] = s;
  const lut = new (like.constructor as new (n: number) => Int16Array | Float32Array)(size);
  storedToHu(stored, lut, size, job);
  lastLut = { key, lut };
  return lut;
}

/** out[i] = HU of stored value v[i], for i < n (see decodeSliceToHu). */
function storedToHu(v: Decoded['values'], out: Int16Array | Float32Array, n: number, job: SliceJob): void {
  const bits = Math.min(job.bitsStored, 32);
  const mask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const signBit = 2 ** (bits - 1);
  const signed = job.pixelRepresentation === 1;
  const slope = job.rescaleSlope;
  const inter = job.rescaleIntercept;
  let padLo = Infinity;
  let padHi = -Infinity;
  if (job.paddingValue !== undefined) {
    const limit = job.paddingRangeLimit ?? job.paddingValue;
    padLo = Math.min(job.paddingValue, limit);
    padHi = Math.max(job.paddingValue, limit);
  }
  // Int16 output saturates instead of wrapping (nothing real in CT is above +32767 HU); Float32 output
  // is bounded too, so an absurd RescaleSlope cannot put ±Infinity into the volume
  const maxOut = job.output === 'int16' ? 32767 : MAX_FLOAT_HU;
  for (let i = 0; i < n; i++) {
    // keep BitsStored bits, then sign-extend: stored values of e.g. 12-bit data may carry
    // overlay or garbage bits above BitsStored
    let s = bits >= 32 ? v[i] >>> 0 : (v[i] >>> 0) & mask;
    if (signed && s >= signBit) s -= 2 * signBit;
    if (s >= padLo && s <= padHi) {
      out[i] = AIR_HU;
      continue;
    }
    const hu = s * slope + inter;
    out[i] = hu < OUT_OF_SCAN_BELOW_HU ? AIR_HU : hu > maxOut ? maxOut : hu;
  }
}
