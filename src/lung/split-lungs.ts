/**
 * Separating two lungs joined at the anterior/posterior junction line: in-plane erosion until the
 * component falls apart into two large pieces, then geodesic regrowth of both pieces inside the
 * original component (first come, first served). Works on the component's bounding box with a
 * one-voxel empty frame, so no neighbour test needs a bounds check; the k-fold 4-neighbour erosion
 * is read off one city-block distance map instead of eroding k times.
 */
import { type RunComponents, labelRuns } from './run-labels.ts';

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
  for (let i = 0; i < rc.runs; i++) {
    if (rc.label[i] !== component) continue;
    const r = rc.row[i];
    const y = r % cy;
    const z = (r - y) / cy;
    const base = rc.x0[i] - ox + w * (y - oy + h * (z - oz));
    sub.fill(1, base, base + rc.x1[i] - rc.x0[i]);
  }
  // in-plane city-block distance to the background (the frame is background)
  const dist = new Uint16Array(n);
  let maxDist = 0;
  for (let z = 1; z < d - 1; z++) {
    const off = wh * z;
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        const i = off + x + w * y;
        if (sub[i] === 0) continue;
        const a = dist[i - 1];
        const b = dist[i - w];
        dist[i] = (a < b ? a : b) + 1;
      }
    }
    for (let y = h - 2; y >= 1; y--) {
      for (let x = w - 2; x >= 1; x--) {
        const i = off + x + w * y;
        const v = dist[i];
        if (v === 0) continue;
        const a = dist[i + 1] + 1;
        const b = dist[i + w] + 1;
        const m = a < b ? a : b;
        if (m < v) dist[i] = m;
        if (dist[i] > maxDist) maxDist = dist[i];
      }
    }
  }
  const cur = new Uint8Array(n);
  for (let k = 1; k <= options.maxErosions && k < maxDist; k++) {
    // k erosions by the 4-neighbour cross leave the pixels farther than k from the background
    for (let i = 0; i < n; i++) cur[i] = dist[i] > k ? 1 : 0;
    const cc = labelRuns(cur, w, h, d);
    if (cc.count < 2) continue;
    const order = Array.from({ length: cc.count }, (_, j) => j + 1).sort((p, q) => cc.sizes[q] - cc.sizes[p]);
    const a = order[0];
    const b = order[1];
    if (cc.sizes[b] < options.minPieceFraction * cc.sizes[a]) continue;
    return regrow(sub, cc, a, b, { ox, oy, oz, w, h, d, erosions: k });
  }
  return null;
}

function regrow(sub: Uint8Array, cc: RunComponents, a: number, b: number, box: Omit<SplitLungs, 'parts' | 'pieces'>): SplitLungs {
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
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      const row = w * (y + h * z);
      for (let x = 0; x < w; x++) {
        const v = out[row + x];
        if (v === 0) continue;
        const p = pieces[v - 1];
        p.size++;
        p.sumX += x + box.ox;
        p.sumY += y + box.oy;
        p.sumZ += z + box.oz;
      }
    }
  }
  return { ...box, parts: out, pieces };
}
