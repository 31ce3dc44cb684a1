/**
 * The lung extractor's working grid: in-plane block means of f × f input pixels (≈ 2 mm), and the
 * way back. These are the only two passes over the full-resolution volume, so they are written as
 * plain row loops: no per-voxel division, interior blocks written as runs.
 */
import type { VoxelData } from '../core/volume.ts';

export interface WorkingGrid {
  /** Block factor in x and y. */
  f: number;
  /** Working grid width, height (blocks) and slices. */
  cx: number;
  cy: number;
  nz: number;
  /** Block mean HU, cx × cy × nz. */
  hu: Float32Array;
}

/**
 * Values at or below this are padding outside the scanner's field of view (scanners write −1024,
 * −2000, −2048 or −3024 there), never a measurement: air itself is −1000 HU.
 */
export const OUTSIDE_SCAN_HU = -1500;
/** What padding counts as in block means: air, so a block at the scan circle is not "denser than air". */
const AIR_HU = -1000;

/**
 * In-plane block means over f × f pixels (partial blocks at the edge average what they have).
 * Padding outside the scan circle enters the means as air.
 */
export function downsampleBlocks(src: VoxelData, dims: readonly [number, number, number], f: number): WorkingGrid {
  const [nx, ny, nz] = dims;
  const cx = Math.ceil(nx / f);
  const cy = Math.ceil(ny / f);
  const out = new Float32Array(cx * cy * nz);
  if (f === 1) {
    for (let i = 0; i < out.length; i++) out[i] = air(src[i]);
  } else {
    // integer voxels: block sums are exact in int32 (f² · 2¹⁶ ≪ 2³¹), and int adds are the cheaper
    blockMeans(src, nx, ny, nz, f, cx, cy, out, src instanceof Float32Array ? new Float64Array(cx) : new Int32Array(cx), hasPadding(src, dims));
  }
  return { f, cx, cy, nz, hu: out };
}

/**
 * The scan circle leaves padding in every slice's corners: probing them spares the common unpadded
 * volume a comparison per voxel (DICOM readers already turn padding into air).
 */
function hasPadding(src: VoxelData, dims: readonly [number, number, number]): boolean {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  for (let z = 0; z < nz; z++) {
    const o = plane * z;
    if (src[o] <= OUTSIDE_SCAN_HU || src[o + nx - 1] <= OUTSIDE_SCAN_HU || src[o + plane - nx] <= OUTSIDE_SCAN_HU || src[o + plane - 1] <= OUTSIDE_SCAN_HU) return true;
  }
  return false;
}

/** Padding reads as air. */
function air(v: number): number {
  return v <= OUTSIDE_SCAN_HU ? AIR_HU : v;
}

/**
 * The only full pass over the input besides the way back, so it sets the floor of the extractor's
 * time: the common f = 2 and 3 are unrolled.
 */
function blockMeans(src: VoxelData, nx: number, ny: number, nz: number, f: number, cx: number, cy: number, out: Float32Array, rowSum: Int32Array | Float64Array, padded: boolean): void {
  const whole = Math.floor(nx / f);
  // integer voxels sum exactly in any order: a full 3 × 3 block is then summed at once, with no
  // running row sums to read and write back (floats keep the row order below)
  const exact = rowSum instanceof Int32Array && f === 3 && !padded;
  for (let z = 0; z < nz; z++) {
    const fbase = nx * ny * z;
    for (let by = 0; by < cy; by++) {
      const y0 = by * f;
      const y1 = Math.min(ny, y0 + f);
      if (exact && y1 - y0 === 3) {
        const obase = cx * (by + cy * z);
        let i = fbase + nx * y0;
        for (let bx = 0; bx < whole; bx++, i += 3) {
          const j = i + nx;
          const k = j + nx;
          out[obase + bx] = (src[i] + src[i + 1] + src[i + 2] + src[j] + src[j + 1] + src[j + 2] + src[k] + src[k + 1] + src[k + 2]) / 9;
        }
        if (whole < cx) {
          let t = 0;
          for (let y = y0; y < y1; y++) for (let x = whole * f; x < nx; x++) t += air(src[fbase + nx * y + x]);
          out[obase + whole] = t / (3 * (nx - whole * f));
        }
        continue;
      }
      rowSum.fill(0);
      for (let y = y0; y < y1; y++) {
        let i = fbase + nx * y;
        if (f === 3 && !padded) {
          for (let bx = 0; bx < whole; bx++, i += 3) rowSum[bx] += src[i] + src[i + 1] + src[i + 2];
        } else if (f === 3) {
          for (let bx = 0; bx < whole; bx++, i += 3) rowSum[bx] += air(src[i]) + air(src[i + 1]) + air(src[i + 2]);
        } else if (f === 2) {
          for (let bx = 0; bx < whole; bx++, i += 2) rowSum[bx] += air(src[i]) + air(src[i + 1]);
        } else {
          for (let bx = 0; bx < whole; bx++) {
            let s = 0;
            for (let k = 0; k < f; k++) s += air(src[i++]);
            rowSum[bx] += s;
          }
        }
        let s = 0;
        for (let x = whole * f; x < nx; x++) s += air(src[i++]);
        if (whole < cx) rowSum[whole] += s;
      }
      const obase = cx * (by + cy * z);
      const rows = y1 - y0;
      const div = rows * f;
      for (let bx = 0; bx < whole; bx++) out[obase + bx] = rowSum[bx] / div;
      if (whole < cx) out[obase + whole] = rowSum[whole] / (rows * (nx - whole * f));
    }
  }
}

export interface UpsampleResult {
  /** 0 background, 1 right, 2 left on the input grid. */
  mask: Uint8Array;
  right: number;
  left: number;
}

/**
 * Working grid → input grid. Blocks whose 8 neighbours share their label are copied (as runs);
 * boundary blocks are decided per voxel: aerated voxels join the neighbouring lung, dense voxels
 * stay lung only where the block itself was dense lung (a completed lesion), so edges follow the
 * real pleura. Voxels at or below `outsideScanHu` (padding outside the scan circle) are never lung.
 */
export function upsampleLabels(
  src: VoxelData,
  dims: readonly [number, number, number],
  grid: WorkingGrid,
  labels: Uint8Array,
  allowed: Uint8Array,
  thresholdHu: number,
  outsideScanHu: number,
  /** Optional per-slice windows (x0, y0, x1, y1, inclusive) known to hold every label. */
  boxes?: Int32Array,
): UpsampleResult {
  const [nx, ny, nz] = dims;
  const { f, cx, cy, hu } = grid;
  const out = new Uint8Array(nx * ny * nz);
  const cplane = cx * cy;
  let right = 0;
  let left = 0;
  if (f === 1) {
    for (let i = 0; i < out.length; i++) {
      const l = labels[i];
      if (l === 0 || src[i] <= outsideScanHu) continue;
      out[i] = l;
      if (l === 1) right++;
      else left++;
    }
    return { mask: out, right, left };
  }
  const outWords = new Uint32Array(out.buffer, 0, out.length >> 2);
  // per working pixel: 0 interior (copy), else 1 + the lung label a boundary voxel may take
  const edge = new Uint8Array(cplane);
  // 1 where a pixel's left and right neighbours (those inside the image) carry its label
  const hSame = new Uint8Array(cplane);
  // per working row: interior runs [start, end) of one label, and the boundary blocks
  const runStart = new Int32Array(cx + 1);
  const runEnd = new Int32Array(cx + 1);
  const runLab = new Uint8Array(cx + 1);
  const bnd = new Int32Array(cx);
  const win = new Int32Array(4);
  const w: BlockRowWriter = { src, out, outWords, labels, hu, edge, cx, nx, ny, f, thresholdHu, outsideScanHu, runStart, runEnd, runLab, bnd, right: 0, left: 0 };
  for (let z = 0; z < nz; z++) {
    const coff = cplane * z;
    // rows and columns holding labels, widened by one (their neighbours are boundary blocks)
    const sy0 = boxes ? Math.max(0, boxes[4 * z + 1]) : 0;
    const sy1 = boxes ? Math.min(cy - 1, boxes[4 * z + 3]) : cy - 1;
    const sx0 = boxes ? Math.max(0, boxes[4 * z]) : 0;
    const sx1 = boxes ? Math.min(cx - 1, boxes[4 * z + 2]) : cx - 1;
    if (!labelledWindow(labels, coff, cx, cy, sx0, sy0, sx1, sy1, win)) continue;
    const xLo = win[0], yLo = win[1], xHi = win[2], yHi = win[3];
    markSame(labels, coff, cx, cy, xLo, yLo, xHi, yHi, hSame);
    markEdges(labels, allowed, coff, cx, cy, xLo, yLo, xHi, yHi, hSame, edge);
    for (let by = yLo; by <= yHi; by++) writeBlockRow(w, coff, nx * ny * z, by, xLo, xHi);
  }
  right = w.right;
  left = w.left;
  return { mask: out, right, left };
}

/*
 * upsampleLabels' loops, each a function of its own called once per slice (or block row): V8
 * compiles a hot loop on the spot (on-stack replacement), and in one big single-call function the
 * loops that had not run by then started in the interpreter, one after the other.
 */

/**
 * The rows and columns of slice `coff` holding labels inside the search window, widened by one (their
 * neighbours are boundary blocks), into win (x0, y0, x1, y1); false when the slice has none.
 */
function labelledWindow(labels: Uint8Array, coff: number, cx: number, cy: number, sx0: number, sy0: number, sx1: number, sy1: number, win: Int32Array): boolean {
  let yLo = cy, yHi = -1, xLo = cx, xHi = -1;
  for (let y = sy0; y <= sy1; y++) {
    const row = coff + cx * y;
    let a = -1, b = -1;
    for (let x = sx0; x <= sx1; x++) {
      if (labels[row + x] !== 0) {
        if (a < 0) a = x;
        b = x;
      }
    }
    if (a < 0) continue;
    if (y < yLo) yLo = y;
    yHi = y;
    if (a < xLo) xLo = a;
    if (b > xHi) xHi = b;
  }
  if (yHi < 0) return false;
  win[0] = Math.max(0, xLo - 1);
  win[1] = Math.max(0, yLo - 1);
  win[2] = Math.min(cx - 1, xHi + 1);
  win[3] = Math.min(cy - 1, yHi + 1);
  return true;
}

/** hSame = 1 where a pixel's left and right neighbours (those inside the image) carry its label; one row beyond the window. */
function markSame(labels: Uint8Array, coff: number, cx: number, cy: number, xLo: number, yLo: number, xHi: number, yHi: number, hSame: Uint8Array): void {
  const hy0 = Math.max(0, yLo - 1);
  const hy1 = Math.min(cy - 1, yHi + 1);
  for (let y = hy0; y <= hy1; y++) {
    const row = coff + cx * y;
    for (let x = xLo; x <= xHi; x++) {
      const l = labels[row + x];
      hSame[x + cx * y] = (x === 0 || labels[row + x - 1] === l) && (x === cx - 1 || labels[row + x + 1] === l) ? 1 : 0;
    }
  }
}

/** edge = 0 for an interior block (its 8 neighbours share its label), else 1 + the lung label a boundary voxel may take. */
function markEdges(labels: Uint8Array, allowed: Uint8Array, coff: number, cx: number, cy: number, xLo: number, yLo: number, xHi: number, yHi: number, hSame: Uint8Array, edge: Uint8Array): void {
  for (let y = yLo; y <= yHi; y++) {
    const row = coff + cx * y;
    for (let x = xLo; x <= xHi; x++) {
      const i = row + x;
      const l = labels[i];
      const k = x + cx * y;
      const interior = hSame[k] === 1
        && (y === 0 || (hSame[k - cx] === 1 && labels[i - cx] === l))
        && (y === cy - 1 || (hSame[k + cx] === 1 && labels[i + cx] === l));
      if (interior) {
        edge[k] = 0;
        continue;
      }
      if (l !== 0) {
        edge[k] = 1 + l;
        continue;
      }
      if (!allowed[i]) {
        edge[k] = 1;
        continue;
      }
      // the first labelled neighbour in scan order gives the label aerated voxels may take
      let nb = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(cy - 1, y + 1) && nb === 0; yy++) {
        const r = coff + cx * yy;
        for (let xx = Math.max(0, x - 1); xx <= Math.min(cx - 1, x + 1); xx++) {
          if (labels[r + xx] !== 0) {
            nb = labels[r + xx];
            break;
          }
        }
      }
      edge[k] = 1 + nb;
    }
  }
}

/** What writeBlockRow reads and keeps between block rows; right / left count the voxels written. */
interface BlockRowWriter {
  src: VoxelData;
  out: Uint8Array;
  outWords: Uint32Array;
  labels: Uint8Array;
  hu: Float32Array;
  edge: Uint8Array;
  cx: number;
  nx: number;
  ny: number;
  f: number;
  thresholdHu: number;
  outsideScanHu: number;
  runStart: Int32Array;
  runEnd: Int32Array;
  runLab: Uint8Array;
  bnd: Int32Array;
  right: number;
  left: number;
}

/** The f input rows of block row `by` (slice at coff / foff): interior blocks as runs, boundary blocks voxel by voxel. */
function writeBlockRow(w: BlockRowWriter, coff: number, foff: number, by: number, xLo: number, xHi: number): void {
  const { src, out, outWords, labels, hu, edge, cx, nx, ny, f, thresholdHu, outsideScanHu, runStart, runEnd, runLab, bnd } = w;
  const crow = cx * by;
  let right = w.right;
  let left = w.left;
  // segments of this block row, shared by its f input rows
  let nr = 0;
  let nbnd = 0;
  for (let bx = xLo; bx <= xHi; bx++) {
    const c = crow + bx;
    const e = edge[c];
    if (e !== 0) {
      bnd[nbnd++] = bx;
      continue;
    }
    const l = labels[coff + c];
    if (l === 0) continue;
    if (nr > 0 && runEnd[nr - 1] === bx * f && runLab[nr - 1] === l) runEnd[nr - 1] = Math.min(nx, (bx + 1) * f);
    else {
      runStart[nr] = bx * f;
      runEnd[nr] = Math.min(nx, (bx + 1) * f);
      runLab[nr] = l;
      nr++;
    }
  }
  const y0 = by * f;
  const y1 = Math.min(ny, y0 + f);
  for (let y = y0; y < y1; y++) {
    const frow = foff + nx * y;
    for (let r = 0; r < nr; r++) {
      fillBytes(out, outWords, frow + runStart[r], frow + runEnd[r], runLab[r]);
      if (runLab[r] === 1) right += runEnd[r] - runStart[r];
      else left += runEnd[r] - runStart[r];
    }
    for (let j = 0; j < nbnd; j++) {
      const bx = bnd[j];
      const c = crow + bx;
      const e = edge[c];
      const l = labels[coff + c];
      const x0 = bx * f;
      const x1 = Math.min(nx, x0 + f);
      const denseBlock = hu[coff + c] >= thresholdHu;
      for (let x = x0; x < x1; x++) {
        const v = src[frow + x];
        const aerated = v < thresholdHu;
        let lab = 0;
        if (l !== 0) lab = aerated || denseBlock ? l : 0;
        else lab = aerated && e > 1 ? e - 1 : 0;
        if (lab === 0 || v <= outsideScanHu) continue;
        out[frow + x] = lab;
        if (lab === 1) right++;
        else left++;
      }
    }
  }
  w.right = right;
  w.left = left;
}

/**
 * out[start, end) = value, four bytes per store in the aligned middle: interior runs are ~100
 * bytes, where a loop beats the call overhead of TypedArray.fill.
 */
function fillBytes(out: Uint8Array, words: Uint32Array, start: number, end: number, value: number): void {
  let i = start;
  while (i < end && (i & 3) !== 0) out[i++] = value;
  const word = value * 0x01010101;
  for (; i + 4 <= end; i += 4) words[i >> 2] = word;
  while (i < end) out[i++] = value;
}
