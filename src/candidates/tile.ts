/**
 * The segmenter's input preprocessing, ONE implementation used both by the dataset export
 * (training tensors) and by inference, so the network sees the same numbers in both:
 * lung-window normalisation of HU, then an antialiased (triangle-filter) resize of a crop box
 * to a square tile.
 *
 *   lungWindowNormalise(hu, window?): number
 *   resampleTable(srcLength, srcStart, srcExtent, dstLength): ResampleTable
 *   extractTile(slice, box, tileSize, out, outOffset, scratch?): void
 *   pasteTile(tile, tileSize, box, dst, dstWidth, dstOffset): void
 */
import { AIR_HU, LUNG_WINDOW_HU } from '../core/constants.ts';
import type { VoxelData } from '../core/volume.ts';

export interface WindowHu {
  center: number;
  width: number;
}

/** Inclusive 2D box in pixels [x0..x1] × [y0..y1]. */
export interface Box2 {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * HU → [0, 1] through the lung window (§2.4 uses the lung window for patches too). Values below
 * air are clamped to air first: 8-bit images read as pseudo-HU cannot go below air (io/image-stack),
 * so scanner padding (−2048, −3024 HU) must not look darker than air in real CT either.
 */
export function lungWindowNormalise(hu: number, window: WindowHu = LUNG_WINDOW_HU): number {
  const low = window.center - window.width / 2;
  const v = ((hu < AIR_HU ? AIR_HU : hu) - low) / window.width;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Separable resampling weights along one axis: destination pixel j (centre j + 0.5) reads the
 * source around srcStart + (j + 0.5)·scale − 0.5, scale = srcExtent / dstLength, with a triangle
 * filter widened by the scale when shrinking (antialiasing, as PIL's bilinear resize).
 * Source indices are clamped to [0, srcLength − 1] (edge replicate).
 */
export interface ResampleTable {
  dstLength: number;
  taps: number;
  /** dstLength × taps source indices. */
  index: Int32Array;
  /** dstLength × taps weights, each row summing to 1. */
  weight: Float32Array;
  /**
   * Destination j's non-zero weights are taps [tapFrom[j], tapTo[j]) (the triangle's support is one
   * run): sums skip the zero taps, whose products add nothing, so the values are the same.
   */
  tapFrom: Int32Array;
  tapTo: Int32Array;
}

export function resampleTable(srcLength: number, srcStart: number, srcExtent: number, dstLength: number): ResampleTable {
  if (!(srcLength > 0 && srcExtent > 0 && dstLength > 0)) throw new RangeError(`resampleTable: lengths must be positive (src ${srcLength}, extent ${srcExtent}, dst ${dstLength})`);
  const scale = srcExtent / dstLength;
  const support = Math.max(1, scale); // triangle half-width in source pixels
  const taps = Math.ceil(support) * 2 + 1;
  const index = new Int32Array(dstLength * taps);
  const weight = new Float32Array(dstLength * taps);
  const tapFrom = new Int32Array(dstLength);
  const tapTo = new Int32Array(dstLength);
  for (let j = 0; j < dstLength; j++) {
    const centre = srcStart + (j + 0.5) * scale - 0.5;
    const first = Math.floor(centre - support) + 1;
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const s = first + t;
      const w = Math.max(0, 1 - Math.abs(s - centre) / support);
      index[j * taps + t] = s < 0 ? 0 : s >= srcLength ? srcLength - 1 : s;
      weight[j * taps + t] = w;
      sum += w;
    }
    for (let t = 0; t < taps; t++) weight[j * taps + t] /= sum;
    let from = 0;
    let to = taps;
    while (from < to && weight[j * taps + from] === 0) from++;
    while (to > from && weight[j * taps + to - 1] === 0) to--;
    tapFrom[j] = from;
    tapTo[j] = to;
  }
  return { dstLength, taps, index, weight, tapFrom, tapTo };
}

/** Source rows extractTile's horizontal pass handles together. */
const ROWS_AT_ONCE = 4;

/** Reused across calls: normalised source rows of extractTile (float64, so tiles are bit-identical to per-tap normalisation). */
let rowBuffer = new Float64Array(512);

const INT16_OFFSET = 32768;
let windowTable: { low: number; invW: number; table: Float64Array } | null = null;

/**
 * The lung-window value of every int16 HU (index hu + 32768), computed as the per-pixel formula
 * computes it: an int16 slice (DICOM, NIfTI) is normalised by one lookup per pixel, 3× per slice
 * (once per channel it feeds), with the same numbers.
 */
function int16WindowTable(low: number, invW: number): Float64Array {
  if (windowTable && windowTable.low === low && windowTable.invW === invW) return windowTable.table;
  const table = new Float64Array(65536);
  for (let i = 0; i < 65536; i++) {
    const hu = i - INT16_OFFSET;
    const v = ((hu < AIR_HU ? AIR_HU : hu) - low) * invW;
    table[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  windowTable = { low, invW, table };
  return table;
}

// extractTile's row fill, as top-level functions of their arguments, not a closure: a variable a
// closure captures lives in a context object, read from there on every pass of every loop that uses
// it (the horizontal pass's too); the int16 lookup alone was ~40 % of extractTile's time

/** Source row → row[at, at + len): raw values, the int16 lookup table, or the window formula. */
function fillRow(data: VoxelData | Float32Array, table: Float64Array | null, raw: boolean, low: number, invW: number, rowBase: number, row: Float64Array, at: number, len: number): void {
  if (raw) copyRow(data, rowBase, row, at, len);
  else if (table) lookUpRow(data as Int16Array, table, rowBase, row, at, len);
  else windowRow(data, low, invW, rowBase, row, at, len);
}

function copyRow(data: ArrayLike<number>, rowBase: number, row: Float64Array, at: number, len: number): void {
  for (let c = at, end = at + len; c < end; c++) row[c] = data[rowBase + c];
}

function lookUpRow(data: Int16Array, table: Float64Array, rowBase: number, row: Float64Array, at: number, len: number): void {
  for (let c = at, end = at + len; c < end; c++) row[c] = table[data[rowBase + c] + INT16_OFFSET];
}

function windowRow(data: ArrayLike<number>, low: number, invW: number, rowBase: number, row: Float64Array, at: number, len: number): void {
  for (let c = at, end = at + len; c < end; c++) {
    const hu = data[rowBase + c];
    // lungWindowNormalise inlined (hot loop)
    const v = ((hu < AIR_HU ? AIR_HU : hu) - low) * invW;
    row[c] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** One axial slice inside a volume's flat data: pixel (x, y) is at offset + x + width·y. */
export interface SliceView {
  data: VoxelData | Float32Array;
  width: number;
  height: number;
  offset: number;
}

/**
 * Crops `box` out of a slice of HU values, normalises through the lung window and resizes it to a
 * tileSize × tileSize tile written at out[outOffset…]. `scratch` (≥ slice height × tileSize floats)
 * avoids an allocation per call in hot loops. `window` null resizes raw values (masks).
 */
export function extractTile(slice: SliceView, box: Box2, tileSize: number, out: Float32Array, outOffset: number, scratch?: Float32Array, window: WindowHu | null = LUNG_WINDOW_HU): void {
  const { data, width, height, offset } = slice;
  const tx = resampleTable(width, box.x0, box.x1 - box.x0 + 1, tileSize);
  const ty = resampleTable(height, box.y0, box.y1 - box.y0 + 1, tileSize);
  // rows the vertical pass can touch
  let r0 = height, r1 = -1;
  for (let k = 0; k < ty.index.length; k++) {
    if (ty.weight[k] === 0) continue;
    if (ty.index[k] < r0) r0 = ty.index[k];
    if (ty.index[k] > r1) r1 = ty.index[k];
  }
  const rows = r1 - r0 + 1;
  const tmp = scratch && scratch.length >= rows * tileSize ? scratch : new Float32Array(rows * tileSize);
  const raw = window === null;
  const low = raw ? 0 : window.center - window.width / 2;
  const invW = raw ? 1 : 1 / window.width;
  const txTaps = tx.taps;
  const txWeight = tx.weight;
  const txIndex = tx.index;
  const txFrom = tx.tapFrom;
  const txTo = tx.tapTo;
  // columns the horizontal pass reads (zero-weight taps included, so every read is defined): each
  // is normalised once per row, not once per tap
  let c0 = width, c1 = -1;
  for (let k = 0; k < tx.index.length; k++) {
    if (tx.index[k] < c0) c0 = tx.index[k];
    if (tx.index[k] > c1) c1 = tx.index[k];
  }
  // rows go through the horizontal pass four at a time: each tap's weight and index are read once
  // for four sums (each sum still adds its taps in the same order, so the numbers do not change)
  const len = c1 - c0 + 1;
  if (rowBuffer.length < ROWS_AT_ONCE * len) rowBuffer = new Float64Array(ROWS_AT_ONCE * len);
  const row = rowBuffer;
  const table = !raw && data instanceof Int16Array ? int16WindowTable(low, invW) : null;
  let y = r0;
  for (; y + ROWS_AT_ONCE - 1 <= r1; y += ROWS_AT_ONCE) {
    for (let q = 0; q < ROWS_AT_ONCE; q++) fillRow(data, table, raw, low, invW, offset + width * (y + q) + c0 - q * len, row, q * len, len);
    const tRow = (y - r0) * tileSize;
    for (let j = 0, k0 = 0; j < tileSize; j++, k0 += txTaps) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let t = txFrom[j], end = txTo[j]; t < end; t++) {
        const w = txWeight[k0 + t];
        const c = txIndex[k0 + t] - c0;
        a0 += w * row[c];
        a1 += w * row[c + len];
        a2 += w * row[c + 2 * len];
        a3 += w * row[c + 3 * len];
      }
      tmp[tRow + j] = a0;
      tmp[tRow + tileSize + j] = a1;
      tmp[tRow + 2 * tileSize + j] = a2;
      tmp[tRow + 3 * tileSize + j] = a3;
    }
  }
  for (; y <= r1; y++) {
    fillRow(data, table, raw, low, invW, offset + width * y + c0, row, 0, len);
    const tRow = (y - r0) * tileSize;
    for (let j = 0, k0 = 0; j < tileSize; j++, k0 += txTaps) {
      let acc = 0;
      for (let t = txFrom[j], end = txTo[j]; t < end; t++) acc += txWeight[k0 + t] * row[txIndex[k0 + t] - c0];
      tmp[tRow + j] = acc;
    }
  }
  const tyTaps = ty.taps;
  const tyWeight = ty.weight;
  const tyIndex = ty.index;
  for (let i = 0; i < tileSize; i++) {
    const k0 = i * tyTaps;
    const o = outOffset + i * tileSize;
    // the output row is the float32 accumulator: each pixel still adds its taps in tap order and is
    // rounded to float32 after each, but a tap's source row is read contiguously for the whole row
    out.fill(0, o, o + tileSize);
    for (let t = ty.tapFrom[i], end = ty.tapTo[i]; t < end; t++) {
      const w = tyWeight[k0 + t];
      const src = (tyIndex[k0 + t] - r0) * tileSize;
      for (let j = 0; j < tileSize; j++) out[o + j] += w * tmp[src + j];
    }
  }
}

/**
 * Inverse of extractTile's geometry: resizes a tileSize² map (at tile[tileOffset…]) back onto
 * `box` of a destination slice (dst[dstOffset + x + dstWidth·y]). Pixels outside the box are left alone.
 */
export function pasteTile(tile: Float32Array, tileOffset: number, tileSize: number, box: Box2, dst: Float32Array, dstWidth: number, dstOffset: number, scratch?: Float32Array): void {
  const bw = box.x1 - box.x0 + 1;
  const bh = box.y1 - box.y0 + 1;
  const tx = resampleTable(tileSize, 0, tileSize, bw);
  const ty = resampleTable(tileSize, 0, tileSize, bh);
  const tmp = scratch && scratch.length >= tileSize * bw ? scratch : new Float32Array(tileSize * bw);
  const { taps: txTaps, weight: txWeight, index: txIndex, tapFrom: txFrom, tapTo: txTo } = tx;
  const { taps: tyTaps, weight: tyWeight, index: tyIndex } = ty;
  for (let i = 0; i < tileSize; i++) {
    const src = tileOffset + i * tileSize;
    const o = i * bw;
    for (let x = 0, k0 = 0; x < bw; x++, k0 += txTaps) {
      const from = txFrom[x];
      const end = txTo[x];
      let acc = 0;
      if (end - from === 2) {
        // enlarging (the usual case: a 128² map onto a larger box) leaves two taps: the loop unrolled,
        // the same additions in the same order
        acc += txWeight[k0 + from] * tile[src + txIndex[k0 + from]];
        acc += txWeight[k0 + from + 1] * tile[src + txIndex[k0 + from + 1]];
      } else for (let t = from; t < end; t++) acc += txWeight[k0 + t] * tile[src + txIndex[k0 + t]];
      tmp[o + x] = acc;
    }
  }
  // vertical pass: each destination pixel's taps summed in float64, in tap order, then stored (rounded
  // to float32) once; with two taps in one pass over the row, else through a float64 row (a tap's
  // source row is read contiguously)
  if (pasteRow.length < bw) pasteRow = new Float64Array(bw);
  const acc = pasteRow;
  for (let y = 0; y < bh; y++) {
    const k0 = y * tyTaps;
    const o = dstOffset + dstWidth * (box.y0 + y) + box.x0;
    const from = ty.tapFrom[y];
    const end = ty.tapTo[y];
    if (end - from === 2) {
      pasteTwoTaps(tmp, tyIndex[k0 + from] * bw, tyWeight[k0 + from], tyIndex[k0 + from + 1] * bw, tyWeight[k0 + from + 1], dst, o, bw);
      continue;
    }
    acc.fill(0, 0, bw);
    for (let t = from; t < end; t++) {
      const w = tyWeight[k0 + t];
      const src = tyIndex[k0 + t] * bw;
      for (let x = 0; x < bw; x++) acc[x] += w * tmp[src + x];
    }
    for (let x = 0; x < bw; x++) dst[o + x] = acc[x];
  }
}

/** dst[o + x] = (0 + wa·tmp[a + x]) + wb·tmp[b + x] in float64, rounded once: pasteTile's general row sum for two taps. */
function pasteTwoTaps(tmp: Float32Array, a: number, wa: number, b: number, wb: number, dst: Float32Array, o: number, n: number): void {
  for (let x = 0; x < n; x++) {
    let s = 0;
    s += wa * tmp[a + x];
    s += wb * tmp[b + x];
    dst[o + x] = s;
  }
}

/** Reused across calls: pasteTile's float64 accumulator row. */
let pasteRow = new Float64Array(512);
