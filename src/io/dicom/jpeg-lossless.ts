/**
 * JPEG Lossless (ITU T.81 process 14, DICOM .57/.70) for the streams CT scanners write: one
 * component, Huffman coded, predictors 1–6, no restart intervals. It is a port of
 * jpeg-lossless-decoder-js 2.1.2's single-component path — the same byte-at-a-time bit reader, the
 * same two-level 8-bit Huffman tables, the same marker handling — with the state in local integers
 * and typed arrays instead of one-element arrays, method calls and `undefined`-filled JS arrays,
 * which makes a 512² slice about five times faster (issue 16). Being the same state machine it
 * gives the same samples on every stream, corrupt ones included (test/io/jpeg-lossless.test.ts
 * compares the two on real slices and on thousands of corrupted ones).
 *
 *   decodeJpegLosslessFast(frame, bytesPerSample): FastLosslessResult | undefined
 *
 * Anything outside that subset (colour, restart intervals, predictor 7, a DNL marker, tables the
 * library would build differently, anything it would throw on) returns undefined: the caller then
 * runs the library itself, so its results and its errors stay exactly the library's.
 */

export interface FastLosslessResult {
  values: Uint8Array | Uint16Array;
  width: number;
  height: number;
  components: 1;
}

/** Raised inside the port where the library would throw; the caller falls back to the library. */
class OutsideFastPath extends Error {}

const SOI = 0xffd8;
const SOF3 = 0xffc3;
const DHT = 0xffc4;
const SOS = 0xffda;
const COM = 0xfffe;
const APP0 = 0xffe0;
const APP15 = 0xffef;
const DNL = 0xffdc;
const RST0 = 0xffd0;
const RST7 = 0xffd7;
/** Bytes one pixel can read: 1 + 1 (long code) + 2 (difference bits), each maybe followed by a stuffed 0x00. */
const MAX_BYTES_PER_PIXEL = 8;

/** Offset of the first marker in the entropy-coded data from `start` (the frame length when none). */
function firstMarkerOffset(f: Uint8Array, start: number): number {
  let i = start;
  for (;;) {
    i = f.indexOf(255, i);
    if (i < 0) return f.length;
    if (i + 1 >= f.length || f[i + 1] !== 0) return i;
    i += 2;
  }
}

/** The library's first-level table entries that point to a second-level table carry this bit. */
const POINTER_BIT = 0x80000000 | 0;

/** One DHT table: code counts per length (1..16) and the symbols in code order. */
interface HuffmanSpec {
  counts: number[];
  symbols: number[];
}

/**
 * The library's buildHuffTable (two levels of 256 entries, entry = symbol | length << 8, or
 * POINTER_BIT | k for the k-th second-level table); entries it never writes are undefined there and
 * 0 here, which every use of an entry treats alike (`& POINTER_BIT`, `>> 8`, `& 255` of both are 0).
 */
function buildTable(spec: HuffmanSpec): Int32Array {
  const { counts, symbols } = spec;
  let codesOver8 = 0;
  for (let i = 8; i < 16; i++) codesOver8 += counts[i];
  const tab = new Int32Array(256 * (2 + codesOver8));
  let s = 0;
  let k = 0;
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < counts[i]; j++, s++) {
      for (let n = 0; n < 256 >> (i + 1); n++) {
        if (k >= 256) throw new OutsideFastPath('first-level table overflows');
        tab[k++] = symbols[s] | ((i + 1) << 8);
      }
    }
  }
  for (let i = 1; k < 256; i++, k++) tab[k] = i | POINTER_BIT;
  let current = 1;
  k = 0;
  for (let i = 8; i < 16; i++) {
    for (let j = 0; j < counts[i]; j++, s++) {
      for (let n = 0; n < 256 >> (i - 7); n++) {
        if (current * 256 + k >= tab.length) throw new OutsideFastPath('second-level tables overflow');
        tab[current * 256 + k++] = symbols[s] | ((i + 1) << 8);
      }
      if (k >= 256) {
        if (k > 256) throw new OutsideFastPath('Huffman table error');
        k = 0;
        current++;
      }
    }
  }
  return tab;
}

interface Header {
  precision: number;
  width: number;
  height: number;
  predictor: number;
  table: Int32Array;
  /** Offset of the first entropy-coded byte. */
  dataStart: number;
}

/** The markers before the scan, accepting only what the library would read the same way. */
function readHeader(f: Uint8Array): Header | undefined {
  const len = f.length;
  const u16 = (o: number) => (o + 1 < len ? (f[o] << 8) | f[o + 1] : -1);
  if (u16(0) !== SOI) return undefined;
  let p = 2;
  const tables = new Map<number, HuffmanSpec>();
  let frame: { precision: number; height: number; width: number; id: number } | undefined;
  for (;;) {
    const marker = u16(p);
    const length = u16(p + 2);
    if (length < 2 || p + 2 + length > len) return undefined;
    const body = p + 4;
    const end = p + 2 + length;
    if (marker === DHT) {
      let q = body;
      while (q < end) {
        const tc = f[q] >> 4;
        const th = f[q] & 15;
        // AC tables, ids > 3 and redefinitions are built differently (or thrown on) by the library
        if (tc !== 0 || th > 3 || tables.has(th) || q + 17 > end) return undefined;
        const counts = Array.from(f.subarray(q + 1, q + 17));
        const total = counts.reduce((a, b) => a + b, 0);
        if (q + 17 + total > end) return undefined;
        tables.set(th, { counts, symbols: Array.from(f.subarray(q + 17, q + 17 + total)) });
        q += 17 + total;
      }
      if (q !== end) return undefined;
    } else if ((marker >= APP0 && marker <= APP15) || marker === COM) {
      // skipped, as the library does
    } else if (marker === SOF3) {
      if (frame) return undefined;
      const nComp = f[body + 5];
      // one component, sampling 1×1 (the library decodes hSamp·vSamp differences per pixel otherwise)
      if (length !== 11 || nComp !== 1 || f[body + 7] !== 0x11) return undefined;
      frame = { precision: f[body], height: u16(body + 1), width: u16(body + 3), id: f[body + 6] };
    } else if (marker === SOS) {
      if (!frame || length !== 8 || f[body] !== 1 || f[body + 1] !== frame.id) return undefined;
      const spec = tables.get(f[body + 2] >> 4);
      const predictor = f[body + 3];
      const pointTransform = f[body + 5] & 15;
      if (!spec || predictor < 1 || predictor > 6 || pointTransform !== 0) return undefined;
      if (frame.precision < 2 || frame.precision > 16 || frame.width === 0 || frame.height === 0) return undefined;
      let table: Int32Array;
      try {
        table = buildTable(spec);
      } catch {
        return undefined;
      }
      return { precision: frame.precision, width: frame.width, height: frame.height, predictor, table, dataStart: end };
    } else {
      // DQT, DRI, other frame types, DNL, anything else: the library's own path
      return undefined;
    }
    p = end;
  }
}

/**
 * Decodes `frame`, or returns undefined when it is outside the subset described above.
 * `bytesPerSample` is the library's numBytes: 1 → Uint8Array masked to 8 bits, 2 → Uint16Array.
 */
export function decodeJpegLosslessFast(frame: Uint8Array, bytesPerSample: 1 | 2): FastLosslessResult | undefined {
  const h = readHeader(frame);
  if (!h) return undefined;
  try {
    const values = decodeScan(frame, h, bytesPerSample);
    return values && { values, width: h.width, height: h.height, components: 1 };
  } catch (e) {
    if (e instanceof OutsideFastPath) return undefined;
    throw e;
  }
}

/**
 * The library's selector (select1..select6 over getPreviousX/Y/XY): Ra, Rb, Rc of T.81 H.1.2.1,
 * with its choices on the first row and column (Ra → Rb → 2^(P−1)).
 */
function predictAt(out: Uint8Array | Uint16Array, pos: number, xLoc: number, yLoc: number, xDim: number, predictor: number, firstPred: number): number {
  const a = xLoc > 0 ? out[pos - 1] : yLoc > 0 ? out[pos - xDim] : firstPred;
  if (predictor === 1) return a;
  const b = yLoc > 0 ? out[pos - xDim] : a;
  const c = xLoc > 0 && yLoc > 0 ? out[pos - xDim - 1] : b;
  return predictor === 2 ? b : predictor === 3 ? c : predictor === 4 ? a + b - c : predictor === 5 ? a + ((b - c) >> 1) : b + ((a - c) >> 1);
}

/** The library's decoder state between two pixels (its temp/index bit buffer, its marker note). */
interface ScanState {
  /** Next byte of the frame. */
  p: number;
  temp: number;
  index: number;
  marker: number;
  markerIndex: number;
  xLoc: number;
  yLoc: number;
  /** yLoc · xDim + xLoc. */
  pos: number;
  /** The library's loop has ended (all pixels out, or a marker ended the scan). */
  done: boolean;
  /** What ended it: 0, or the marker the library returned. */
  current: number;
}

interface ScanSetup {
  f: Uint8Array;
  h: Header;
  out: Uint8Array | Uint16Array;
  mask: number;
  firstPred: number;
}

/*
 * The library's decode loop for one component and no restart interval. Variable names follow it:
 * temp/index are its bit buffer (index = bits below the 8-bit look-up window), marker / markerIndex
 * its note of a marker met inside the entropy-coded data. Two loops over one state, in two
 * functions so that each is optimised on its own: fastLoop while no marker can be reached, then
 * fullLoop, the complete port, for the last pixels. Reads past the end of the frame give
 * undefined, as the library's DataStream does, and every expression in fullLoop treats that alike.
 */
function decodeScan(f: Uint8Array, h: Header, bytesPerSample: 1 | 2): Uint8Array | Uint16Array | undefined {
  const n = h.width * h.height;
  const setup: ScanSetup = {
    f,
    h,
    out: bytesPerSample === 1 ? new Uint8Array(n) : new Uint16Array(n),
    mask: bytesPerSample === 1 ? 255 : 65535,
    firstPred: 1 << (h.precision - 1),
  };
  const state: ScanState = { p: h.dataStart, temp: 0, index: 0, marker: 0, markerIndex: 0, xLoc: 0, yLoc: 0, pos: 0, done: false, current: 0 };
  fastLoop(setup, state);
  if (!state.done) fullLoop(setup, state);
  // after the scan the library reads a DNL segment (and may throw on it): leave that to it
  if (state.current === DNL) return undefined;
  return setup.out;
}

/**
 * Far from the first marker (an 0xFF not followed by the stuffed 0x00) the library never sees one
 * (a pixel reads at most 4 data bytes, 8 with stuffing): there its marker checks are all false and
 * its data-dependent byte reads can be written without branches.
 */
function fastLoop(setup: ScanSetup, s: ScanState): void {
  const { f, out, mask, firstPred } = setup;
  const { width: xDim, height: yDim, predictor, table } = setup.h;
  let { p, temp, index, xLoc, yLoc, pos } = s;
  let done = false;
  const safeLimit = firstMarkerOffset(f, p) - MAX_BYTES_PER_PIXEL;
  while (p <= safeLimit) {
    let pred = predictAt(out, pos, xLoc, yLoc, xDim, predictor, firstPred);
    // getHuffmanValue: a byte is read when fewer than 8 bits are held (need = -1), else the window moves
    let byte = f[p];
    let need = (index - 8) >> 31;
    temp = (temp << (need & 8)) | (byte & need);
    p += need & (1 + ((byte + 1) >> 8));
    index -= 8 & ~need;
    let code = table[temp >> index];
    if (code < 0) {
      temp &= 65535 >> (16 - index);
      byte = f[p];
      temp = (temp << 8) | byte;
      p += 1 + ((byte + 1) >> 8);
      code = table[(code & 255) * 256 + (temp >> index)];
      index += 8;
    }
    index += 8 - (code >> 8);
    if (index < 0) throw new OutsideFastPath('negative bit index');
    temp &= 65535 >> (16 - index);
    const value = code & 255;
    // getn: up to two bytes are read while fewer bits are held than the difference has
    let n: number;
    if (value < 16) {
      index -= value;
      need = index >> 31;
      byte = f[p];
      temp = (temp << (need & 8)) | (byte & need);
      p += need & (1 + ((byte + 1) >> 8));
      index += need & 8;
      need = index >> 31;
      byte = f[p];
      temp = (temp << (need & 8)) | (byte & need);
      p += need & (1 + ((byte + 1) >> 8));
      index += need & 8;
      let result = temp >> index;
      temp &= 65535 >> (16 - index);
      // value 0 gives 0 here as in the library's early return (temp holds exactly `index` bits)
      result += ((result - (1 << (value - 1))) >> 31) & ((-1 << value) + 1);
      n = result;
    } else if (value === 16) n = pred >= 0 ? -32768 : 32768;
    else {
      // not a JPEG Lossless category (the library reads on and may throw): the full port decides
      throw new OutsideFastPath('difference category above 16');
    }
    pred += n;
    if (!(xLoc < xDim && yLoc < yDim)) {
      done = true;
      break;
    }
    out[pos++] = mask & pred;
    xLoc += 1;
    if (xLoc >= xDim) {
      yLoc += 1;
      xLoc = 0;
    }
  }
  s.p = p;
  s.temp = temp;
  s.index = index;
  s.xLoc = xLoc;
  s.yLoc = yLoc;
  s.pos = pos;
  s.done = done;
}

/** The complete port: every marker check, reads past the end, the library's throws. */
function fullLoop(setup: ScanSetup, s: ScanState): void {
  const { f, out, mask, firstPred } = setup;
  const { width: xDim, height: yDim, predictor, table } = setup.h;
  const lastPos = xDim * yDim - 1;
  let { p, temp, index, marker, markerIndex, xLoc, yLoc, pos } = s;
  let current = 0;
  let input = 0;

  for (;;) {
    let pred = predictAt(out, pos, xLoc, yLoc, xDim, predictor, firstPred);

    // getHuffmanValue
    let value: number;
    if (index < 8) {
      temp <<= 8;
      input = f[p++];
      if (input === 255) {
        marker = f[p++];
        if (marker !== 0) markerIndex = 9;
      }
      temp |= input;
    } else index -= 8;
    let code = table[temp >> index];
    value = -1;
    if ((code & POINTER_BIT) !== 0) {
      if (markerIndex !== 0) {
        markerIndex = 0;
        value = 65280 | marker;
      } else {
        temp &= 65535 >> (16 - index);
        temp <<= 8;
        input = f[p++];
        if (input === 255) {
          marker = f[p++];
          if (marker !== 0) markerIndex = 9;
        }
        temp |= input;
        code = table[(code & 255) * 256 + (temp >> index)];
        index += 8;
      }
    }
    if (value < 0) {
      index += 8 - (code >> 8);
      if (index < 0) throw new OutsideFastPath('negative bit index');
      if (index < markerIndex) {
        markerIndex = 0;
        value = 65280 | marker;
      } else {
        temp &= 65535 >> (16 - index);
        value = code & 255;
      }
    }
    if (value >= 65280) {
      current = value;
      break;
    }

    // getn
    let n: number;
    if (value === 0) n = 0;
    else if (value === 16) n = pred >= 0 ? -32768 : 32768;
    else {
      let result = -1;
      let hitMarker = false;
      index -= value;
      if (index >= 0) {
        if (index < markerIndex && !(pos === lastPos)) {
          markerIndex = 0;
          hitMarker = true;
        } else {
          result = temp >> index;
          temp &= 65535 >> (16 - index);
        }
      } else {
        temp <<= 8;
        input = f[p++];
        if (input === 255) {
          marker = f[p++];
          if (marker !== 0) markerIndex = 9;
        }
        temp |= input;
        index += 8;
        if (index < 0) {
          if (markerIndex !== 0) {
            markerIndex = 0;
            hitMarker = true;
          } else {
            temp <<= 8;
            input = f[p++];
            if (input === 255) {
              marker = f[p++];
              if (marker !== 0) markerIndex = 9;
            }
            temp |= input;
            index += 8;
          }
        }
        if (!hitMarker) {
          if (index < 0) throw new OutsideFastPath('negative bit index');
          if (index < markerIndex) {
            markerIndex = 0;
            hitMarker = true;
          } else {
            result = temp >> index;
            temp &= 65535 >> (16 - index);
          }
        }
      }
      if (hitMarker) n = (65280 | marker) << 8;
      else {
        if (result < 1 << (value - 1)) result += (-1 << value) + 1;
        n = result;
      }
    }
    const nRestart = n >> 8;
    if (nRestart >= RST0 && nRestart <= RST7) {
      current = nRestart;
      break;
    }
    pred += n;

    // outputSingle, while the library's loop condition holds
    if (!(xLoc < xDim && yLoc < yDim)) break;
    out[pos++] = mask & pred;
    xLoc += 1;
    if (xLoc >= xDim) {
      yLoc += 1;
      xLoc = 0;
    }
  }
  s.p = p;
  s.temp = temp;
  s.index = index;
  s.marker = marker;
  s.markerIndex = markerIndex;
  s.xLoc = xLoc;
  s.yLoc = yLoc;
  s.pos = pos;
  s.done = true;
  s.current = current;
}
