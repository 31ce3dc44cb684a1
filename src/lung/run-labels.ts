/**
 * Connected components through row runs (one pass over the voxels, then union-find over runs):
 * lung masks are a few long runs per row, so every later step — component statistics, erosion
 * splits, writing labels back — touches runs instead of voxels. Components are numbered in scan
 * order of their first voxel (x fastest, then y, then z), as a breadth-first labelling would.
 */

export interface RunComponents {
  /** Number of runs. */
  runs: number;
  /** Per run: its row (y + height·z), first x and end x (exclusive). */
  row: Int32Array;
  x0: Int32Array;
  x1: Int32Array;
  /** Per run: its component id (1..count). */
  label: Int32Array;
  count: number;
  /** sizes[k] = voxels of component k (sizes[0] = 0). */
  sizes: Int32Array;
}

export interface LabelRunsOptions {
  /** A voxel is in the mask when it equals this value (default: any non-zero value). */
  value?: number;
  /** In-plane 8-connectivity instead of 4 (between slices always face neighbours only). */
  eight?: boolean;
  /** Where the image starts in `mask` (default 0). */
  offset?: number;
}

let sRow = new Int32Array(1024);
let sX0 = new Int32Array(1024);
let sX1 = new Int32Array(1024);
let parent = new Int32Array(1024);
let rowStart = new Int32Array(0);

function grow(n: number): void {
  const m = Math.max(n, 2 * sRow.length);
  const copy = (a: Int32Array) => {
    const b = new Int32Array(m);
    b.set(a);
    return b;
  };
  sRow = copy(sRow);
  sX0 = copy(sX0);
  sX1 = copy(sX1);
}

function find(i: number): number {
  let r = i;
  while (parent[r] !== r) r = parent[r];
  while (parent[i] !== r) {
    const next = parent[i];
    parent[i] = r;
    i = next;
  }
  return r;
}

/** Joins the runs of rows a and b (runs [a0, a1) and [b0, b1)) that overlap (or touch diagonally). */
function joinRows(a0: number, a1: number, b0: number, b1: number, reach: number): void {
  let i = a0;
  let j = b0;
  while (i < a1 && j < b1) {
    if (sX0[i] < sX1[j] + reach && sX0[j] < sX1[i] + reach) {
      const ri = find(i);
      const rj = find(j);
      // the earlier run stays root, so the root is a component's first run in scan order
      if (ri < rj) parent[rj] = ri;
      else if (rj < ri) parent[ri] = rj;
    }
    if (sX1[i] < sX1[j]) i++;
    else j++;
  }
}

function pushRun(n: number, r: number, start: number, end: number): void {
  if (n === sRow.length) grow(n + 1);
  sRow[n] = r;
  sX0[n] = start;
  sX1[n] = end;
}

const HIGH_BITS = 0x80808080 | 0;
const LOW_BITS = 0x01010101;

/**
 * Runs of non-zero bytes (or of bytes equal to `value` when ≥ 0) into the scratch; returns their count.
 * The two kinds are two functions: V8 compiles a hot loop on the spot (on-stack replacement), and one
 * function for both left the kind not run by then to the interpreter on every later call (P001's
 * lung stage: up to 111 deoptimisations of the one function).
 */
function extractBytes(mask: Uint8Array, width: number, rows: number, offset: number, value: number): number {
  return value < 0 ? extractNonZero(mask, width, rows, offset) : extractValue(mask, width, rows, offset, value);
}

function extractNonZero(mask: Uint8Array, width: number, rows: number, offset: number): number {
  // zero words are skipped four bytes at a time: lung masks are mostly empty
  const aligned = (mask.byteOffset & 3) === 0;
  const words = aligned ? new Uint32Array(mask.buffer, mask.byteOffset, mask.length >> 2) : null;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = n;
    const base = offset + width * r;
    const end = base + width;
    let p = base;
    while (p < end) {
      if (words !== null && (p & 3) === 0 && p + 4 <= end) {
        const v = words[p >> 2];
        if (v === 0) {
          p += 4;
          continue;
        }
      }
      if (mask[p] === 0) {
        p++;
        continue;
      }
      const start = p;
      p++;
      while (p < end) {
        if (words !== null && (p & 3) === 0 && p + 4 <= end) {
          const v = words[p >> 2];
          // no zero byte in the word: the run goes on
          if (((v - LOW_BITS) & ~v & HIGH_BITS) === 0) {
            p += 4;
            continue;
          }
        }
        if (mask[p] === 0) break;
        p++;
      }
      pushRun(n++, r, start - base, p - base);
    }
  }
  rowStart[rows] = n;
  return n;
}

function extractValue(mask: Uint8Array, width: number, rows: number, offset: number, value: number): number {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = n;
    const base = offset + width * r;
    const end = base + width;
    let p = base;
    while (p < end) {
      while (p < end && mask[p] !== value) p++;
      if (p === end) break;
      const start = p;
      while (p < end && mask[p] === value) p++;
      pushRun(n++, r, start - base, p - base);
    }
  }
  rowStart[rows] = n;
  return n;
}

/** Runs of values below (or at/above) a threshold into the scratch; returns their count. */
function extractThreshold(values: Float32Array, width: number, rows: number, offset: number, threshold: number, below: boolean): number {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = n;
    const base = offset + width * r;
    let x = 0;
    while (x < width) {
      while (x < width && values[base + x] < threshold !== below) x++;
      if (x === width) break;
      const start = x;
      while (x < width && values[base + x] < threshold === below) x++;
      pushRun(n++, r, start, x);
    }
  }
  rowStart[rows] = n;
  return n;
}

function connect(n: number, rows: number, height: number, eight: boolean): RunComponents {
  const reach = eight ? 1 : 0;
  if (parent.length < n) parent = new Int32Array(sRow.length);
  for (let i = 0; i < n; i++) parent[i] = i;
  for (let r = 0; r < rows; r++) {
    const a0 = rowStart[r];
    const a1 = rowStart[r + 1];
    if (a0 === a1) continue;
    const y = r % height;
    if (y > 0) joinRows(a0, a1, rowStart[r - 1], rowStart[r], reach);
    if (r >= height) joinRows(a0, a1, rowStart[r - height], rowStart[r - height + 1], 0);
  }
  const label = new Int32Array(n);
  const sizes: number[] = [0];
  let count = 0;
  for (let i = 0; i < n; i++) {
    const root = find(i);
    let l: number;
    if (root === i) {
      l = ++count;
      sizes.push(0);
    } else {
      l = label[root];
    }
    label[i] = l;
    sizes[l] += sX1[i] - sX0[i];
  }
  return { runs: n, row: sRow.slice(0, n), x0: sX0.slice(0, n), x1: sX1.slice(0, n), label, count, sizes: Int32Array.from(sizes) };
}

/**
 * Labels the components of a width × height × depth image (x fastest). Face-connected between
 * slices and, in-plane, 4-connected (or 8 with `eight`).
 */
export function labelRuns(mask: Uint8Array, width: number, height: number, depth: number, options: LabelRunsOptions = {}): RunComponents {
  const rows = height * depth;
  const offset = options.offset ?? 0;
  if (mask.length < offset + rows * width) throw new RangeError(`mask has ${mask.length} voxels, need ${offset + rows * width}`);
  if (rowStart.length < rows + 1) rowStart = new Int32Array(rows + 1);
  const n = extractBytes(mask, width, rows, offset, options.value ?? -1);
  return connect(n, rows, height, options.eight === true);
}

/**
 * Components of the voxels below `threshold` (or, with `below: false`, at or above it) of a
 * float image, without building the binary mask first.
 */
export function labelThreshold(values: Float32Array, width: number, height: number, depth: number, options: { threshold: number; below: boolean; offset?: number; eight?: boolean }): RunComponents {
  const rows = height * depth;
  const offset = options.offset ?? 0;
  if (values.length < offset + rows * width) throw new RangeError(`image has ${values.length} voxels, need ${offset + rows * width}`);
  if (rowStart.length < rows + 1) rowStart = new Int32Array(rows + 1);
  const n = extractThreshold(values, width, rows, offset, options.threshold, options.below);
  return connect(n, rows, height, options.eight === true);
}

/**
 * Components inside a window (x0, y0, x1, y1, inclusive) of a 2-D image `width` wide: runs carry
 * the image's columns and the window's rows (y − y0).
 */
export function labelWindow(mask: Uint8Array, width: number, window: readonly [number, number, number, number], options: LabelRunsOptions = {}): RunComponents {
  const [x0, y0, x1, y1] = window;
  const rows = Math.max(0, y1 - y0 + 1);
  const offset = options.offset ?? 0;
  const value = options.value ?? -1;
  if (rowStart.length < rows + 1) rowStart = new Int32Array(rows + 1);
  const n = value < 0 ? windowNonZero(mask, width, offset, x0, y0, x1, rows) : windowValue(mask, width, offset, x0, y0, x1, rows, value);
  return connect(n, rows, rows, options.eight === true);
}

/** labelWindow's runs of non-zero bytes (one function per kind, as extractBytes). */
function windowNonZero(mask: Uint8Array, width: number, offset: number, x0: number, y0: number, x1: number, rows: number): number {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = n;
    const base = offset + width * (y0 + r);
    let x = x0;
    while (x <= x1) {
      while (x <= x1 && mask[base + x] === 0) x++;
      if (x > x1) break;
      const start = x;
      while (x <= x1 && mask[base + x] !== 0) x++;
      pushRun(n++, r, start, x);
    }
  }
  rowStart[rows] = n;
  return n;
}

/** labelWindow's runs of bytes equal to `value`. */
function windowValue(mask: Uint8Array, width: number, offset: number, x0: number, y0: number, x1: number, rows: number, value: number): number {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = n;
    const base = offset + width * (y0 + r);
    let x = x0;
    while (x <= x1) {
      while (x <= x1 && mask[base + x] !== value) x++;
      if (x > x1) break;
      const start = x;
      while (x <= x1 && mask[base + x] === value) x++;
      pushRun(n++, r, start, x);
    }
  }
  rowStart[rows] = n;
  return n;
}

/** Row runs to search in: `row` ascending (then x), [x0, x1) each. */
export interface RunList {
  count: number;
  row: Int32Array;
  x0: Int32Array;
  x1: Int32Array;
}

/**
 * Components of the voxels ≥ `min` of an integer image (a distance map), looked for only inside
 * `within`: thresholding a distance map level after level then costs the shape's voxels, not its
 * bounding box's.
 */
export function labelAtLeast(values: Uint16Array, min: number, width: number, height: number, depth: number, within: RunList): RunComponents {
  const rows = height * depth;
  if (rowStart.length < rows + 1) rowStart = new Int32Array(rows + 1);
  let n = 0;
  let r = 0;
  for (let k = 0; k < within.count; k++) {
    const row = within.row[k];
    while (r <= row) rowStart[r++] = n;
    const base = width * row;
    let x = within.x0[k];
    const end = within.x1[k];
    while (x < end) {
      while (x < end && values[base + x] < min) x++;
      if (x === end) break;
      const start = x;
      while (x < end && values[base + x] >= min) x++;
      pushRun(n++, row, start, x);
    }
  }
  while (r <= rows) rowStart[r++] = n;
  return connect(n, rows, height, false);
}

/** Per component k (1..count), its bounding box in columns and rows (inclusive): x0[k], y0[k], x1[k], y1[k]. */
export interface ComponentBoxes {
  x0: Int32Array;
  y0: Int32Array;
  x1: Int32Array;
  y1: Int32Array;
}

export function componentBoxes(rc: RunComponents): ComponentBoxes {
  const n = rc.count + 1;
  const b: ComponentBoxes = { x0: new Int32Array(n).fill(2 ** 30), y0: new Int32Array(n).fill(2 ** 30), x1: new Int32Array(n).fill(-1), y1: new Int32Array(n).fill(-1) };
  for (let r = 0; r < rc.runs; r++) {
    const l = rc.label[r];
    if (rc.x0[r] < b.x0[l]) b.x0[l] = rc.x0[r];
    if (rc.x1[r] - 1 > b.x1[l]) b.x1[l] = rc.x1[r] - 1;
    if (rc.row[r] < b.y0[l]) b.y0[l] = rc.row[r];
    if (rc.row[r] > b.y1[l]) b.y1[l] = rc.row[r];
  }
  return b;
}

/** Writes `value` over every run of component `component` (or of every component when 0). */
export function paintRuns(rc: RunComponents, width: number, out: Uint8Array, value: number, component = 0, offset = 0): void {
  for (let i = 0; i < rc.runs; i++) {
    if (component !== 0 && rc.label[i] !== component) continue;
    const base = offset + width * rc.row[i];
    out.fill(value, base + rc.x0[i], base + rc.x1[i]);
  }
}
