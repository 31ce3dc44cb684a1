/**
 * A .zip of DICOM files, read lazily and within `InputLimits`.
 *
 * The central directory (at the end of the file) is read first: it is the zip's authoritative list
 * of entries, with names and declared sizes, so the entry count, unsafe names and the declared
 * sizes are checked before a single byte is inflated. (Scanning local headers as a stream, as
 * fflate's `Unzip` does, cannot size stored entries written with data descriptors and trusts
 * whatever a local header claims.) Each entry is then inflated only when asked — the first KiB
 * for the header pass, the whole file for the chosen series — in small pushes that stop the
 * moment it passes its declared size, so a lying header costs no more than the limits allow.
 */
import { open } from 'node:fs/promises';
import { InputError } from '../../core/errors.ts';
import { formatBytes, formatLimit, inflateLimited, type InputLimits, limitError } from '../limits.ts';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_EOCD_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
/** The end record sits within the last 22 bytes plus a comment of at most 65535 bytes. */
const EOCD_SEARCH_BYTES = EOCD_BYTES + 0xffff;
const LOCAL_HEADER_BYTES = 30;
/** Compressed bytes read beyond the wanted output for a header read (see readZipEntry). */
const HEADER_PREFIX_SLACK_BYTES = 32 * 1024;
const ZIP64_EXTRA_ID = 0x0001;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

export interface ZipEntryInfo {
  /** Name inside the archive, '/'-separated. */
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** A '..' segment, a leading '/' or '\', or a drive letter: a name that points outside the archive. */
export function isUnsafeEntryName(name: string): boolean {
  const n = name.replace(/\\/g, '/');
  return n.startsWith('/') || /^[A-Za-z]:/.test(n) || n.split('/').includes('..');
}

type Handle = Awaited<ReturnType<typeof open>>;

async function readAt(fh: Handle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
/** u64 as a JS number; exact below 2^53, which every real size and offset is. */
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 2 ** 32;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/**
 * Reads the central directory of `path` and checks it against the limits: entry count, names
 * (refusing '..' and absolute paths), per-entry and total declared sizes, encryption, method.
 */
export async function readZipDirectory(path: string, limits: InputLimits, keep: (name: string) => boolean): Promise<ZipEntryInfo[]> {
  const corrupt = (problem: string) => new InputError('DICOM_CORRUPT_ZIP', `${path}: corrupt or unsupported zip (${problem}); re-create it with a standard zip tool`, { path });
  let fh: Handle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new InputError('DICOM_UNREADABLE', `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { path, cause: e });
  }
  try {
    const size = (await fh.stat()).size;
    const tailStart = Math.max(0, size - EOCD_SEARCH_BYTES);
    const tail = await readAt(fh, tailStart, size - tailStart);
    let eocd = -1;
    for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
      if (u32(tail, i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw corrupt('no end-of-central-directory record');
    let count = u16(tail, eocd + 10);
    let cdSize = u32(tail, eocd + 12);
    let cdOffset = u32(tail, eocd + 16);
    if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const loc = eocd - 20;
      if (loc < 0 || u32(tail, loc) !== ZIP64_EOCD_LOCATOR_SIGNATURE) throw corrupt('zip64 sizes without a zip64 locator');
      const rec = await readAt(fh, u64(tail, loc + 8), 56);
      if (rec.length < 56 || u32(rec, 0) !== ZIP64_EOCD_SIGNATURE) throw corrupt('missing zip64 end record');
      count = u64(rec, 32);
      cdSize = u64(rec, 40);
      cdOffset = u64(rec, 48);
    }
    if (count > limits.maxEntries) throw limitError('maxEntries', limits, path, `zip holds ${count} entries, more than ${limits.maxEntries}`, { observed: count });
    if (cdOffset + cdSize > size) throw corrupt(`central directory (${cdSize} bytes at ${cdOffset}) lies beyond the end of the ${size}-byte file`);
    const cd = await readAt(fh, cdOffset, cdSize);
    const entries: ZipEntryInfo[] = [];
    let total = 0;
    for (let p = 0, k = 0; k < count; k++) {
      if (p + 46 > cd.length || u32(cd, p) !== CENTRAL_SIGNATURE) throw corrupt(`central directory entry ${k + 1} of ${count} is damaged`);
      const flags = u16(cd, p + 8);
      const method = u16(cd, p + 10);
      let compressedSize = u32(cd, p + 20);
      let uncompressedSize = u32(cd, p + 24);
      const nameLen = u16(cd, p + 28);
      const extraLen = u16(cd, p + 30);
      const commentLen = u16(cd, p + 32);
      let localHeaderOffset = u32(cd, p + 42);
      const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
      const name = (flags & FLAG_UTF8 ? utf8 : latin1).decode(nameBytes).replace(/\\/g, '/');
      // zip64 extra field: 8-byte values, in this order, for each 32-bit field that is saturated
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
        const id = u16(cd, e);
        const len = u16(cd, e + 2);
        if (id === ZIP64_EXTRA_ID) {
          let q = e + 4;
          if (uncompressedSize === U32_MAX) (uncompressedSize = u64(cd, q)), (q += 8);
          if (compressedSize === U32_MAX) (compressedSize = u64(cd, q)), (q += 8);
          if (localHeaderOffset === U32_MAX) localHeaderOffset = u64(cd, q);
        }
        e += 4 + len;
      }
      p += 46 + nameLen + extraLen + commentLen;
      if (isUnsafeEntryName(name)) {
        throw new InputError('ZIP_UNSAFE_PATH', `${path}: entry '${name.slice(0, 200)}' points outside the archive (absolute or '..' path); refused`, { path });
      }
      if (name.endsWith('/') || !keep(name)) continue;
      if (flags & FLAG_ENCRYPTED) throw new InputError('ZIP_UNSUPPORTED', `${path}: entry '${name}' is encrypted; unzip it with its password first`, { path });
      if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
        throw new InputError('ZIP_UNSUPPORTED', `${path}: entry '${name}' uses compression method ${method}; ctscreen reads stored or deflated zips (re-create it with a standard zip tool)`, { path });
      }
      if (uncompressedSize > limits.maxEntryBytes) {
        throw limitError('maxEntryBytes', limits, `${path}:${name}`, `entry declares ${formatBytes(uncompressedSize)} inflated, more than ${formatLimit('maxEntryBytes', limits.maxEntryBytes)}`, { observed: uncompressedSize, inflatedBytes: 0 });
      }
      total += uncompressedSize;
      if (total > limits.maxDecompressedBytes) {
        throw limitError('maxDecompressedBytes', limits, path, `${entries.length + 1} entries declare more than ${formatLimit('maxDecompressedBytes', limits.maxDecompressedBytes)} inflated`, { observed: total, inflatedBytes: 0 });
      }
      if (localHeaderOffset + LOCAL_HEADER_BYTES + compressedSize > size) throw corrupt(`entry '${name}' lies beyond the end of the file`);
      entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset });
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/**
 * The first `maxBytes` (all, when undefined) of one entry, inflated. Throws when the entry inflates
 * past its declared size (the sizes were checked against the limits, so this bounds the work).
 */
export async function readZipEntry(path: string, entry: ZipEntryInfo, maxBytes?: number): Promise<Uint8Array> {
  const where = `${path}:${entry.name}`;
  const corrupt = (problem: string, cause?: unknown) => new InputError('DICOM_CORRUPT_ZIP', `${where}: corrupt zip entry (${problem}); re-create the zip with a standard zip tool`, { path, cause });
  const fh = await open(path, 'r');
  let compressed: Uint8Array;
  try {
    const local = await readAt(fh, entry.localHeaderOffset, LOCAL_HEADER_BYTES);
    if (local.length < LOCAL_HEADER_BYTES || u32(local, 0) !== LOCAL_SIGNATURE) throw corrupt('no local header where the central directory points');
    const dataStart = entry.localHeaderOffset + LOCAL_HEADER_BYTES + u16(local, 26) + u16(local, 28);
    // a header read needs only a prefix: deflate's output is never much smaller than its input (stored
    // blocks cost 5 bytes per 64 KiB), so maxBytes + two pushes of compressed bytes yield maxBytes
    const wanted = maxBytes === undefined ? entry.compressedSize : Math.min(entry.compressedSize, entry.method === METHOD_STORED ? maxBytes : maxBytes + HEADER_PREFIX_SLACK_BYTES);
    compressed = await readAt(fh, dataStart, wanted);
    if (compressed.length < wanted) throw corrupt(`data end after ${compressed.length} of ${wanted} bytes`);
  } finally {
    await fh.close();
  }
  if (entry.method === METHOD_STORED) {
    if (entry.compressedSize !== entry.uncompressedSize) throw corrupt(`stored entry has ${entry.compressedSize} bytes but declares ${entry.uncompressedSize}`);
    return compressed;
  }
  const { data, complete } = inflateLimited(compressed, {
    format: 'deflate-raw',
    maxBytes: entry.uncompressedSize,
    sizeHint: maxBytes === undefined ? entry.uncompressedSize : Math.min(maxBytes, entry.uncompressedSize),
    stopAfterBytes: maxBytes,
    prefixOnly: compressed.length < entry.compressedSize,
    onLimit: (n) => new InputError('DICOM_CORRUPT_ZIP', `${where}: corrupt zip entry (inflates past its declared ${entry.uncompressedSize} bytes; stopped after ${n}); refused`, { path, details: { inflatedBytes: n, declaredBytes: entry.uncompressedSize } }),
    onCorrupt: (e) => corrupt(`deflate data: ${(e as Error).message}`, e),
  });
  if (maxBytes === undefined && (!complete || data.length !== entry.uncompressedSize)) {
    throw corrupt(`inflates to ${data.length} bytes but declares ${entry.uncompressedSize}`);
  }
  return data;
}
