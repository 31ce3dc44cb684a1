/**
 * Separating two lungs joined at the anterior/posterior junction line: in-plane erosion until the
 * component falls apart into two large pieces, then geodesic regrowth of both pieces inside the
 * original component (first come, first served). Works on the component's bounding box with a
 * one-voxel empty frame, so no neighbour test needs a bounds check; the k-fold 4-neighbour erosion
 * is read off one city-block distance map instead of eroding k times.
 */
import { type RunComponents, type RunList, labelAtLeast } from './run-labels.ts';

export interface SplitPiece {
  size: number;
  /** Sums of the pieces' voxel coordinates on the full working grid. */
  sumX: number;
  sumY: number;
  sumZ: number;
}

export interface SplitLungs {
  /** 1 / 2 per voxel of the box (0 elsewhere), x fastest. */
  parts: Uint8Array;
  /** Box origin on the working grid (may be −1: the frame) and its size. */
  ox: number;
  oy: number;
  oz: number;
  w: number;
  h: number;
  d: number;
  pieces: [SplitPiece, SplitPiece];
  /** Erosion depth (working pixels) that separated the lungs. */
  erosions: number;
}

export interface SplitOptions {
  /** Deepest erosion tried (working pixels). */
  maxErosions: number;
  /** The second piece must be at least this fraction of the first. */
  minPieceFraction: number;
}

/** Splits component `component` of `rc` (labelled on a cx × cy × nz grid); null when no depth does. */
export function splitJoinedLungs(rc: RunComponents, component: number, cx: number, cy: number, options: SplitOptions): SplitLungs | null {
  let x0 = Infinity, x1 = -1, r0 = Infinity, r1 = -1;
  let y0 = Infinity, y1 = -1;
  for (let i = 0; i < rc.runs; i++) {
    if (rc.label[i] !== component) continue;
    const r = rc.row[i];
    const y = r % cy;
    if (rc.x0[i] < x0) x0 = rc.x0[i];
    if (rc.x1[i] > x1) x1 = rc.x1[i];
    if (r < r0) r0 = r;
    r1 = r;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x1 < 0) return null;
  const z0 = Math.floor(r0 / cy);
  const z1 = Math.floor(r1 / cy);
  const ox = x0 - 1, oy = y0 - 1, oz = z0 - 1;
  const w = x1 - x0 + 2;
  const h = y1 - y0 + 3;
  const d = z1 - z0 + 3;
  const wh = w * h;
  const n = wh * d;
  const sub = new Uint8Array(n);
  // the component's runs in box coordinates (row order is kept: z, then y)
  let m = 0;
  for (let i = 0; i < rc.runs; i++) if (rc.label[i] === component) m++;
  const within: RunList = { count: m, row: new Int32Array(m), x0: new Int32Array(m), x1: new Int32Array(m) };
  for (let i = 0, j = 0; i < rc.runs; i++) {
    if (rc.label[i] !== component) continue;
    const r = rc.row[i];
    const y = r % cy;
    const z = (r - y) / cy;
    const row = y - oy + h * (z - oz);
    within.row[j] = row;
    within.x0[j] = rc.x0[i] - ox;
    within.x1[j] = rc.x1[i] - ox;
    sub.fill(1, w * row + within.x0[j], w * row + within.x1[j]);
    j++;
  }
  // in-plane city-block distance to the background (the frame is background): two passes over
  // the runs, forward then backward; slices are independent, so global row order serves both
  const dist = new Uint16Array(n);
  for (let j = 0; j < m; j++) {
    const base = w * within.row[j];
    for (let i = base + within.x0[j]; i < base + within.x1[j]; i++) {
      const a = dist[i - 1];
      const b = dist[i - w];
      dist[i] = (a < b ? a : b) + 1;
    }
  }
  let maxDist = 0;
  for (let j = m - 1; j >= 0; j--) {
    const base = w * within.row[j];
    for (let i = base + within.x1[j] - 1; i >= base + within.x0[j]; i--) {
      const a = dist[i + 1] + 1;
      const b = dist[i + w] + 1;
      const v = dist[i];
      const c = a < b ? a : b;
      const e = c < v ? c : v;
      dist[i] = e;
      if (e > maxDist) maxDist = e;
    }
  }
  for (let k = 1; k <= options.maxErosions && k < maxDist; k++) {
    // k erosions by the 4-neighbour cross leave the pixels farther than k from the background
    const cc = labelAtLeast(dist, k + 1, w, h, d, within);
    if (cc.count < 2) continue;
    const order = Array.from({ length: cc.count }, (_, j) => j + 1).sort((p, q) => cc.sizes[q] - cc.sizes[p]);
    const a = order[0];
    const b = order[1];
    if (cc.sizes[b] < options.minPieceFraction * cc.sizes[a]) continue;
    return regrow(sub, cc, a, b, rc, component, cy, { ox, oy, oz, w, h, d, erosions: k });
  }
  return null;
}

function regrow(sub: Uint8Array, cc: RunComponents, a: number, b: number, rc: RunComponents, component: number, cy: number, box: Omit<SplitLungs, 'parts' | 'pieces'>): SplitLungs {
  const { w, h, d } = box;
  const wh = w * h;
  const n = wh * d;
  const out = new Uint8Array(n);
  const q = new Int32Array(n);
  let tail = 0;
  // seeds in scan order, as a voxel-by-voxel pass would queue them
  for (let r = 0; r < cc.runs; r++) {
    const l = cc.label[r];
    const v = l === a ? 1 : l === b ? 2 : 0;
    if (v === 0) continue;
    const base = w * cc.row[r];
    for (let i = base + cc.x0[r]; i < base + cc.x1[r]; i++) {
      out[i] = v;
      q[tail++] = i;
    }
  }
  for (let head = 0; head < tail; head++) {
    const i = q[head];
    const lab = out[i];
    // the frame is empty in `sub`, so neighbours never leave the box
    if (sub[i - 1] && !out[i - 1]) { out[i - 1] = lab; q[tail++] = i - 1; }
    if (sub[i + 1] && !out[i + 1]) { out[i + 1] = lab; q[tail++] = i + 1; }
    if (sub[i - w] && !out[i - w]) { out[i - w] = lab; q[tail++] = i - w; }
    if (sub[i + w] && !out[i + w]) { out[i + w] = lab; q[tail++] = i + w; }
    if (sub[i - wh] && !out[i - wh]) { out[i - wh] = lab; q[tail++] = i - wh; }
    if (sub[i + wh] && !out[i + wh]) { out[i + wh] = lab; q[tail++] = i + wh; }
  }
  const pieces: [SplitPiece, SplitPiece] = [{ size: 0, sumX: 0, sumY: 0, sumZ: 0 }, { size: 0, sumX: 0, sumY: 0, sumZ: 0 }];
  // the component's own runs visit only its voxels (the box is mostly empty)
  for (let r = 0; r < rc.runs; r++) {
    if (rc.label[r] !== component) continue;
    const row = rc.row[r];
    const y = row % cy;
    const z = (row - y) / cy;
    const base = w * (y - box.oy + h * (z - box.oz)) - box.ox;
    for (let x = rc.x0[r]; x < rc.x1[r]; x++) {
      const v = out[base + x];
      if (v === 0) continue;
      const p = pieces[v - 1];
      p.size++;
      p.sumX += x;
      p.sumY += y;
      p.sumZ += z;
    }
  }
  return { ...box, parts: out, pieces };
}
