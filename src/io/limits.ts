/**
 * Resource limits on what an input may make ctscreen inflate and allocate, so a 1 MB zip that
 * inflates to 6 GiB, or a 300-byte NIfTI header claiming 32767³ voxels, is refused after a bounded
 * amount of work instead of exhausting memory. One options object, `InputLimits`, travels from the
 * CLI flags (src/cli/flags.ts) through `readVolume` to every reader; the defaults live here only.
 *
 * Each refusal is an InputError with a stable code (core/error-codes.ts: HTTP 413) whose message
 * names the flag and its value, and whose `details` carry the numbers (limit, observed, bytes
 * inflated before refusal) for tests and the server.
 */
import { Inflate, Gunzip } from 'fflate';
import { InputError } from '../core/errors.ts';

export interface InputLimits {
  /** Bytes a zip's entries (or a .nii.gz) may inflate to in total. */
  maxDecompressedBytes: number;
  /** Entries a zip may hold (files a DICOM folder may hold). */
  maxEntries: number;
  /** Bytes one zip entry (or one DICOM file) may be, inflated. */
  maxEntryBytes: number;
  /** Voxels a header (DICOM series, NIfTI, image stack) may claim. */
  maxVoxels: number;
}

export const MIB = 1024 * 1024;

/**
 * Defaults, sized for a 1000-slice 512² CT with headroom: its uncompressed DICOM is ≈ 1000 ×
 * (512 KiB + a few KiB of header) ≈ 520 MiB and 262 Mi voxels. 1024 MiB inflated in total; 256
 * MiB per file (a 2048² 16-bit slice is 8 MiB); 20 000 files (a whole study with localizers and
 * several reconstructions); 2^29 = 536 870 912 voxels (1 GiB as Int16, e.g. 1024² × 512).
 */
export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = {
  maxDecompressedBytes: 1024 * MIB,
  maxEntries: 20_000,
  maxEntryBytes: 256 * MIB,
  maxVoxels: 2 ** 29,
};

/** The CLI flag of each limit and how its value is written there (MiB or a plain count). */
export const LIMIT_FLAGS: Readonly<Record<keyof InputLimits, { flag: string; unit: 'MiB' | 'count' }>> = {
  maxDecompressedBytes: { flag: '--max-decompressed-mb', unit: 'MiB' },
  maxEntries: { flag: '--max-entries', unit: 'count' },
  maxEntryBytes: { flag: '--max-entry-mb', unit: 'MiB' },
  maxVoxels: { flag: '--max-voxels', unit: 'count' },
};

const LIMIT_CODES: Readonly<Record<keyof InputLimits, string>> = {
  maxDecompressedBytes: 'INPUT_LIMIT_DECOMPRESSED',
  maxEntries: 'INPUT_LIMIT_ENTRIES',
  maxEntryBytes: 'INPUT_LIMIT_ENTRY_SIZE',
  maxVoxels: 'INPUT_LIMIT_VOXELS',
};

export function resolveLimits(limits: Partial<InputLimits> | undefined): InputLimits {
  return { ...DEFAULT_INPUT_LIMITS, ...limits };
}

/** A limit as its flag takes it: MiB (up to 6 significant digits, e.g. 1024 or 0.00390625) or a count. */
function flagValue(key: keyof InputLimits, value: number): number {
  return LIMIT_FLAGS[key].unit === 'MiB' ? +(value / MIB).toPrecision(6) : value;
}

/** '1024 MiB' or '20000'. */
export function formatLimit(key: keyof InputLimits, value: number): string {
  return LIMIT_FLAGS[key].unit === 'MiB' ? `${flagValue(key, value)} MiB` : String(value);
}

/** A size seen in the input: '6144.0 MiB', or bytes when under 0.1 MiB. */
export function formatBytes(bytes: number): string {
  return bytes >= 0.1 * MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * The refusal for a passed limit: "<where>: <what> (limit --flag N); raise the limit if the input
 * is genuine". `what` says what was seen, e.g. "entries inflate to more than 1024 MiB".
 */
export function limitError(key: keyof InputLimits, limits: InputLimits, where: string, what: string, details: Record<string, number> = {}): InputError {
  const { flag } = LIMIT_FLAGS[key];
  return new InputError(LIMIT_CODES[key], `${where}: ${what} (limit ${flag} ${flagValue(key, limits[key])}); raise the limit with ${flag} if the input is genuine`, {
    path: where,
    details: { limit: flag, limitValue: limits[key], ...details },
  });
}

/** Compressed bytes pushed to the inflater at a time: deflate expands at most ≈ 1032×, so one push yields ≤ ≈ 16 MiB. */
const INFLATE_CHUNK_BYTES = 16 * 1024;

export interface InflateLimitedOptions {
  format: 'deflate-raw' | 'gzip';
  /** Refuse (throw `onLimit()`) as soon as the output would pass this many bytes. */
  maxBytes: number;
  /** Expected output size, to allocate once (e.g. a zip entry's declared size). */
  sizeHint?: number;
  /** Stop inflating (without error) once this many bytes are out; for reading just a header. */
  stopAfterBytes?: number;
  /** `compressed` is only a prefix of the stream: never tell the inflater it has seen the end. */
  prefixOnly?: boolean;
  /**
   * Called once the first `bytes` are out (or at the end, if fewer): may return the size the data
   * must have (e.g. what a NIfTI header implies), after which inflating stops; or throw to refuse.
   */
  inspect?: { bytes: number; fn: (head: Uint8Array) => number | undefined };
  onLimit: (inflatedBytes: number) => Error;
  onCorrupt: (e: unknown) => Error;
}

export interface InflateLimitedResult {
  data: Uint8Array;
  /** Bytes the inflater produced before it stopped (≥ data.length by at most one push's output). */
  inflatedBytes: number;
  /** True when the compressed stream was inflated to its end. */
  complete: boolean;
}

class StopInflating extends Error {}

/**
 * Inflates in small pushes and stops as soon as a limit is passed, so a bomb costs at most the
 * limit plus one push's expansion (≈ 16 MiB), never its whole inflated size.
 */
export function inflateLimited(compressed: Uint8Array, options: InflateLimitedOptions): InflateLimitedResult {
  const hardMax = options.maxBytes;
  let softStop = options.stopAfterBytes ?? Infinity;
  let out = new Uint8Array(Math.max(0, Math.min(options.sizeHint ?? MIB, hardMax, softStop)));
  let kept = 0;
  let inflated = 0;
  let inspected = options.inspect === undefined;
  let complete = false;
  const inspect = (): void => {
    inspected = true;
    const size = options.inspect!.fn(out.subarray(0, kept));
    if (size !== undefined && size < softStop) softStop = size;
  };
  const onData = (chunk: Uint8Array, final: boolean) => {
    inflated += chunk.length;
    if (final) complete = true;
    const take = Math.min(chunk.length, softStop - kept);
    if (kept + take > hardMax) throw options.onLimit(inflated);
    if (kept + take > out.length) {
      let size = Math.max(out.length, 1);
      while (size < kept + take) size *= 2;
      const grown = new Uint8Array(Math.min(size, hardMax, softStop));
      grown.set(out.subarray(0, kept));
      out = grown;
    }
    out.set(take === chunk.length ? chunk : chunk.subarray(0, take), kept);
    kept += take;
    if (!inspected && kept >= options.inspect!.bytes) inspect();
    if (kept >= softStop) throw new StopInflating();
  };
  const inflater = options.format === 'gzip' ? new Gunzip(onData) : new Inflate(onData);
  try {
    if (compressed.length === 0) inflater.push(compressed, true);
    for (let off = 0; off < compressed.length; off += INFLATE_CHUNK_BYTES) {
      const end = Math.min(off + INFLATE_CHUNK_BYTES, compressed.length);
      inflater.push(compressed.subarray(off, end), end === compressed.length && !options.prefixOnly);
    }
  } catch (e) {
    if (!(e instanceof StopInflating)) {
      if (e instanceof InputError) throw e;
      throw options.onCorrupt(e);
    }
  }
  if (!inspected) inspect();
  const n = Math.min(kept, softStop);
  return { data: n === out.length ? out : out.subarray(0, n), inflatedBytes: inflated, complete };
}
