/**
 * Puts juxtapleural lesions back into a lung on one axial slice. A consolidation touching the chest
 * wall has soft-tissue density, so a threshold cuts a "bite" out of the lung's otherwise convex
 * costal surface. The bite is a deficit of the lung's convex hull that faces the chest wall
 * (away from the mediastinum); medial deficits — heart, hilum, aorta, spine — face the body's centre
 * and are left alone. Depth and area limits keep the completion from swallowing the diaphragm dome
 * seen between two islands of a lung base; a dome the lung encloses on one slice can only be told
 * from a lesion along z, which rising-organs.ts does after all slices are completed.
 */
import { squaredEdt2d } from '../core/ndimage/distance-transform.ts';
import { openDisk, pixelDisk } from './disk-morphology.ts';
import { type RunComponents, componentBoxes, labelRuns, labelWindow } from './run-labels.ts';

export interface CostalCompletionOptions {
  /** Deepest bite (mm, from the hull line into the deficit) that is filled. */
  maxDepthMm: number;
  /** Largest bite as a fraction of the lung's area on the slice. */
  maxAreaFraction: number;
  /**
   * Minimum cosine between (bite centroid − lung centroid) and (lung centroid − body centre):
   * > 0 faces outward; a little below 0 still accepts anterior and posterior bites.
   */
  minOutwardCos: number;
  /**
   * A filled bite is widened by this much (mm) into dense non-bone tissue: the hull chord runs
   * inside the curved pleura, and the scanner's blur mixes the lesion's last voxels with the wall.
   */
  rimMm: number;
  /** Opening radius (mm) that cuts a lesion loose from a vessel or bronchus joining it to the hilum. */
  neckMm: number;
  /** A cut-loose piece whose outline is at least this fraction lung is inside the lung. */
  enclosedFraction: number;
  /** A part of the lung on the slice no larger than this fraction of it … */
  islandMaxFraction: number;
  /** … and farther than this (mm) from its largest part gives no hull points. */
  islandGapMm: number;
}

export const DEFAULT_COSTAL_COMPLETION: CostalCompletionOptions = { maxDepthMm: 60, maxAreaFraction: 0.45, minOutwardCos: -0.25, rimMm: 3.5, neckMm: 4, enclosedFraction: 0.75, islandMaxFraction: 0.02, islandGapMm: 10 };
/** Bone (ribs) never joins the lung through the rim; consolidation is ≤ ≈ +60 HU. */
const RIM_MAX_HU = 150;

export interface SliceLungContext {
  width: number;
  height: number;
  spacingMm: readonly [number, number];
  /** Body centre (pixel coordinates) of this slice. */
  bodyCentre: readonly [number, number];
  /** 1 where a pixel may join the lung (inside the body, not airway); read at allowed[offset + i]. */
  allowed: Uint8Array;
  /** HU of the working grid, read at hu[offset + i]. */
  hu: Float32Array;
  /** Pixels of the lung lie in this window (x0, y0, x1, y1, inclusive); default the whole slice. */
  window?: readonly [number, number, number, number];
}

let defImg = new Uint8Array(0);
let hullImg = new Uint8Array(0);
let depth2: Float32Array = new Float32Array(0);
let compLabels = new Int32Array(0);
const xs: number[] = [];
const ys: number[] = [];

function cross(ox: number, oy: number, ax: number, ay: number, bx: number, by: number): number {
  return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);
}

/**
 * Fills outward-facing convex-hull deficits of lung `label` in `labels[offset … offset+w·h)`.
 * Returns the number of pixels added.
 */
export function completeCostalBites(labels: Uint8Array, offset: number, label: number, ctx: SliceLungContext, options: CostalCompletionOptions = DEFAULT_COSTAL_COMPLETION): number {
  const { width: w, height: h } = ctx;
  const [sx, sy] = ctx.spacingMm;
  const win = ctx.window ?? [0, 0, w - 1, h - 1];
  const parts = labelWindow(labels, w, win, { value: label, eight: true, offset });
  const inHull = hullParts(parts, sx, sy, options);
  // row extremes → hull points (the hull of a pixel set is the hull of each row's end pixels)
  const st = rowExtremes(parts, win[1], inHull, w, h);
  const { area, sumX, sumY, bx0, bx1, by0, by1 } = st;
  if (area < 3) return 0;
  const hx: number[] = [];
  const hy: number[] = [];
  monotoneChain(hx, hy);
  const nv = hx.length;
  if (nv < 3) return 0;
  // bounding box with a 1-pixel margin so "outside the hull" surrounds the deficit
  const ox = bx0 - 1;
  const oy = by0 - 1;
  const bw = bx1 - bx0 + 3;
  const bh = by1 - by0 + 3;
  const bn = bw * bh;
  if (defImg.length < bn) {
    defImg = new Uint8Array(bn);
    hullImg = new Uint8Array(bn);
    depth2 = new Float32Array(bn);
    compLabels = new Int32Array(bn);
  }
  defImg.fill(0, 0, bn);
  hullImg.fill(0, 0, bn);
  const anyDeficit = rasterizeHull(labels, offset, label, ctx.allowed, w, hx, hy, by0, by1, ox, oy, bw);
  if (!anyDeficit) return 0;
  const cc = labelRuns(defImg, bw, bh, 1);
  const n = cc.count;
  compLabels.fill(0, 0, bn);
  const cArea = new Float64Array(n + 1);
  const cX = new Float64Array(n + 1);
  const cY = new Float64Array(n + 1);
  const blocked = new Uint8Array(n + 1);
  deficitStats(cc, bw, cArea, cX, cY, blocked);
  const lx = (sumX / area) * sx;
  const ly = (sumY / area) * sy;
  const ovx = lx - ctx.bodyCentre[0] * sx;
  const ovy = ly - ctx.bodyCentre[1] * sy;
  const ol = Math.hypot(ovx, ovy);
  const maxDepth2 = options.maxDepthMm * options.maxDepthMm;
  // hull edges as unit normals (a, b, c): distance of (x, y) mm from the edge's line = |a·x + b·y + c|
  if (edges.length < 3 * nv) edges = new Float64Array(3 * nv);
  for (let e = 0; e < nv; e++) {
    const x1 = hx[e] * sx, y1 = hy[e] * sy;
    const x2 = hx[(e + 1) % nv] * sx, y2 = hy[(e + 1) % nv] * sy;
    const len = Math.hypot(x2 - x1, y2 - y1);
    const a = len > 0 ? (y2 - y1) / len : 0;
    const b = len > 0 ? (x1 - x2) / len : 0;
    edges[3 * e] = a;
    edges[3 * e + 1] = b;
    edges[3 * e + 2] = len > 0 ? -(a * x1 + b * y1) : Infinity;
  }
  let added = 0;
  let depthReady = false;
  const accepted = new Uint8Array(n + 1);
  for (let l = 1; l <= n; l++) {
    if (blocked[l] || cArea[l] > options.maxAreaFraction * area) continue;
    const vx = (cX[l] / cArea[l] + ox) * sx - lx;
    const vy = (cY[l] / cArea[l] + oy) * sy - ly;
    const vl = Math.hypot(vx, vy);
    if (ol < 1e-9 || vl < 1e-9) continue;
    if ((vx * ovx + vy * ovy) / (vl * ol) < options.minOutwardCos) continue;
    // Depth into the hull: the distance to the nearest pixel centre outside it lies between the
    // distance to the hull polygon d and d + one pixel diagonal, so the exact transform is only
    // needed for bites within a pixel of the limit.
    const dPoly = polygonDepth(cc, l, ox, oy, sx, sy, edges, nv);
    if (dPoly > options.maxDepthMm + 1e-6) continue;
    if (dPoly + Math.hypot(sx, sy) > options.maxDepthMm) {
      if (!depthReady) {
        squaredEdt2d(hullImg, bw, bh, [sx, sy], { featureWhen: 'zero', imageBorderIsFeature: true, out: depth2 });
        depthReady = true;
      }
      if (deepestSquared(cc, l, bw) > maxDepth2) continue;
    }
    accepted[l] = 1;
    added += paintComponent(labels, cc, l, offset + w * oy + ox, w, label);
    added += widenBite(labels, offset, label, ctx, cc, l, ox, oy, options.rimMm);
  }
  if (options.neckMm > 0) added += fillEnclosedPieces(labels, offset, label, ctx, options, accepted, ox, oy, bw, bh);
  return added;
}

/** Lung area, summed x and y, and box of the parts' pixels; xs/ys = each row's end pixels among the hull parts. */
function rowExtremes(parts: RunComponents, wy0: number, inHull: Uint8Array, w: number, h: number): { area: number; sumX: number; sumY: number; bx0: number; bx1: number; by0: number; by1: number } {
  xs.length = 0;
  ys.length = 0;
  let area = 0;
  let sumX = 0;
  let sumY = 0;
  let bx0 = w, bx1 = -1, by0 = h, by1 = -1;
  let lastRow = -1;
  let lo = -1;
  let hi = -1;
  for (let r = 0; r <= parts.runs; r++) {
    const row = r < parts.runs ? parts.row[r] : -2;
    if (row !== lastRow && lo >= 0) {
      const y = lastRow + wy0;
      xs.push(lo);
      ys.push(y);
      if (hi !== lo) {
        xs.push(hi);
        ys.push(y);
      }
      if (lo < bx0) bx0 = lo;
      if (hi > bx1) bx1 = hi;
      if (y < by0) by0 = y;
      by1 = y;
      lo = -1;
    }
    if (r === parts.runs) break;
    lastRow = row;
    const a = parts.x0[r];
    const b = parts.x1[r];
    const len = b - a;
    area += len;
    sumX += ((a + b - 1) * len) / 2;
    sumY += (row + wy0) * len;
    if (inHull[parts.label[r]] === 0) continue;
    if (lo < 0) lo = a;
    hi = b - 1;
  }
  return { area, sumX, sumY, bx0, bx1, by0, by1 };
}

/** Andrew's monotone chain over xs/ys, which are already in (y, x) lexicographic order: the hull into hx/hy. */
function monotoneChain(hx: number[], hy: number[]): void {
  const m = xs.length;
  for (let pass = 0; pass < 2; pass++) {
    const start = hx.length;
    for (let t = 0; t < m; t++) {
      const i = pass === 0 ? t : m - 1 - t;
      while (hx.length >= start + 2 && cross(hy[hy.length - 2], hx[hx.length - 2], hy[hy.length - 1], hx[hx.length - 1], ys[i], xs[i]) <= 0) {
        hx.pop();
        hy.pop();
      }
      hx.push(xs[i]);
      hy.push(ys[i]);
    }
    hx.pop();
    hy.pop();
  }
}

/** The largest squared depth (depth2) over deficit component `comp`. */
function deepestSquared(cc: RunComponents, comp: number, bw: number): number {
  let deepest = 0;
  for (let r = 0; r < cc.runs; r++) {
    if (cc.label[r] !== comp) continue;
    const base = bw * cc.row[r];
    for (let i = base + cc.x0[r]; i < base + cc.x1[r]; i++) if (depth2[i] > deepest) deepest = depth2[i];
  }
  return deepest;
}

/** Writes `label` over component `comp`'s runs (box origin at labels[origin]); returns its pixels. */
function paintComponent(labels: Uint8Array, cc: RunComponents, comp: number, origin: number, w: number, label: number): number {
  let n = 0;
  for (let r = 0; r < cc.runs; r++) {
    if (cc.label[r] !== comp) continue;
    const base = origin + w * cc.row[r];
    labels.fill(label, base + cc.x0[r], base + cc.x1[r]);
    n += cc.x1[r] - cc.x0[r];
  }
  return n;
}

/**
 * Rasterises the hull polygon (hx, hy) into hullImg and its pixels that are not lung `label` into
 * defImg (1 = may be added, 2 = blocked: another lung, airway, outside the body); rows by0..by1.
 * Its own function, as are the other per-pixel loops of this file: V8 compiles a hot loop on the
 * spot (on-stack replacement) and a big function's later code, not yet run then, would fall back
 * to the interpreter on every later call (the cached OSR code keeps the missing feedback).
 */
function rasterizeHull(labels: Uint8Array, offset: number, label: number, allowed: Uint8Array, w: number, hx: number[], hy: number[], by0: number, by1: number, ox: number, oy: number, bw: number): boolean {
  const nv = hx.length;
  const EPS = 1e-6;
  let anyDeficit = false;
  for (let y = by0; y <= by1; y++) {
    let xl = Infinity;
    let xr = -Infinity;
    for (let e = 0; e < nv; e++) {
      const x1 = hx[e], y1 = hy[e];
      const x2 = hx[(e + 1) % nv], y2 = hy[(e + 1) % nv];
      if ((y < Math.min(y1, y2)) || (y > Math.max(y1, y2))) continue;
      if (y1 === y2) {
        xl = Math.min(xl, x1, x2);
        xr = Math.max(xr, x1, x2);
      } else {
        const xi = x1 + ((y - y1) * (x2 - x1)) / (y2 - y1);
        xl = Math.min(xl, xi);
        xr = Math.max(xr, xi);
      }
    }
    if (xl > xr) continue;
    const a = Math.max(0, Math.ceil(xl - EPS));
    const b = Math.min(w - 1, Math.floor(xr + EPS));
    const brow = bw * (y - oy);
    for (let x = a; x <= b; x++) {
      hullImg[brow + x - ox] = 1;
      const p = offset + w * y + x;
      if (labels[p] === label) continue;
      // 1 = may be added, 2 = blocked (another lung, airway, outside the body)
      defImg[brow + x - ox] = labels[p] === 0 && allowed[p] === 1 ? 1 : 2;
      anyDeficit = true;
    }
  }
  return anyDeficit;
}

/** Per deficit component: area, summed x and y, and whether any of its pixels is blocked (defImg 2); fills compLabels. */
function deficitStats(cc: RunComponents, bw: number, cArea: Float64Array, cX: Float64Array, cY: Float64Array, blocked: Uint8Array): void {
  for (let r = 0; r < cc.runs; r++) {
    const l = cc.label[r];
    const y = cc.row[r];
    const x0 = cc.x0[r];
    const x1 = cc.x1[r];
    const len = x1 - x0;
    compLabels.fill(l, bw * y + x0, bw * y + x1);
    cArea[l] += len;
    cX[l] += ((x0 + x1 - 1) * len) / 2;
    cY[l] += y * len;
    for (let i = bw * y + x0; i < bw * y + x1; i++) if (defImg[i] === 2) blocked[l] = 1;
  }
}

let edges = new Float64Array(0);

/**
 * Deepest point of deficit component `comp` below the hull polygon (mm): inside a convex polygon the
 * distance to its boundary is the least distance to its edges' lines.
 */
function polygonDepth(cc: RunComponents, comp: number, ox: number, oy: number, sx: number, sy: number, e: Float64Array, nv: number): number {
  let deepest = 0;
  for (let r = 0; r < cc.runs; r++) {
    if (cc.label[r] !== comp) continue;
    const py = (cc.row[r] + oy) * sy;
    for (let x = cc.x0[r]; x < cc.x1[r]; x++) {
      const px = (x + ox) * sx;
      let d = Infinity;
      for (let k = 0; k < 3 * nv; k += 3) {
        const v = Math.abs(e[k] * px + e[k + 1] * py + e[k + 2]);
        if (v < d) d = v;
      }
      if (d > deepest) deepest = d;
    }
  }
  return deepest;
}

/**
 * Which parts of the lung on this slice give hull points (1) and which not (0): a small part far
 * from the main one — a burned-in letter that reads as air, a stray bubble — would stretch the
 * hull across the chest wall and let the completion fill it.
 */
function hullParts(parts: RunComponents, sx: number, sy: number, options: CostalCompletionOptions): Uint8Array {
  const n = parts.count;
  const keep = new Uint8Array(n + 1).fill(1);
  if (n < 2) return keep;
  const { x0: bx0, y0: by0, x1: bx1, y1: by1 } = componentBoxes(parts);
  let total = 0;
  for (let l = 1; l <= n; l++) total += parts.sizes[l];
  let main = 1;
  for (let l = 2; l <= n; l++) if (parts.sizes[l] > parts.sizes[main]) main = l;
  for (let l = 1; l <= n; l++) {
    if (l === main || parts.sizes[l] > options.islandMaxFraction * total) continue;
    // gap between the bounding boxes: never more than the true gap, so "far" is never overstated
    const gx = Math.max(0, Math.max(bx0[l] - bx1[main], bx0[main] - bx1[l]) - 1) * sx;
    const gy = Math.max(0, Math.max(by0[l] - by1[main], by0[main] - by1[l]) - 1) * sy;
    if (Math.hypot(gx, gy) > options.islandGapMm) keep[l] = 0;
  }
  return keep;
}

let pieceImg = new Uint8Array(0);
let pieceLabels = new Int32Array(0);
let cropImg = new Uint8Array(0);

/**
 * Deficit components that were not accepted as bites are opened; a piece that comes loose and is
 * mostly outlined by this lung (a central lesion tied to the hilum by a vessel) joins the lung.
 */
function fillEnclosedPieces(labels: Uint8Array, offset: number, label: number, ctx: SliceLungContext, options: CostalCompletionOptions, accepted: Uint8Array, ox: number, oy: number, bw: number, bh: number): number {
  const bn = bw * bh;
  if (pieceImg.length < bn) {
    pieceImg = new Uint8Array(bn);
    pieceLabels = new Int32Array(bn);
  }
  const box = markPieces(accepted, bw, bh);
  if (box === null) return 0;
  const [px0, py0, px1, py1] = box;
  // the opening of what is empty outside the pieces' box is empty there too: open the box only
  const pw = px1 - px0 + 1;
  const ph = py1 - py0 + 1;
  if (cropImg.length < pw * ph) cropImg = new Uint8Array(pw * ph);
  copyBox(pieceImg, bw, px0, py0, cropImg, pw, ph, false);
  openDisk(cropImg, pw, ph, pixelDisk(ctx.spacingMm, options.neckMm), cropImg);
  copyBox(pieceImg, bw, px0, py0, cropImg, pw, ph, true);
  const cc = labelRuns(pieceImg, bw, bh, 1);
  if (cc.count === 0) return 0;
  pieceLabels.fill(0, 0, bn);
  paintLabels(pieceLabels, cc, bw);
  const lungEdge = new Float64Array(cc.count + 1);
  const otherEdge = new Float64Array(cc.count + 1);
  const bad = new Uint8Array(cc.count + 1);
  pieceEdges(labels, offset, label, ctx.width, ctx.height, cc, ox, oy, bw, bh, lungEdge, otherEdge, bad);
  return addEnclosedPieces(labels, offset, label, ctx.width, ctx.allowed, cc, ox, oy, lungEdge, otherEdge, bad, options.enclosedFraction);
}

/** crop (pw × ph) ← the box at (x0, y0) of img (width bw), or back into img when `back`. */
function copyBox(img: Uint8Array, bw: number, x0: number, y0: number, crop: Uint8Array, pw: number, ph: number, back: boolean): void {
  for (let y = 0; y < ph; y++) {
    const at = x0 + bw * (y + y0);
    if (back) img.set(crop.subarray(pw * y, pw * y + pw), at);
    else crop.set(img.subarray(at, at + pw), pw * y);
  }
}

/** Each run's component label written into `out` (width bw). */
function paintLabels(out: Int32Array, cc: RunComponents, bw: number): void {
  for (let r = 0; r < cc.runs; r++) out.fill(cc.label[r], bw * cc.row[r] + cc.x0[r], bw * cc.row[r] + cc.x1[r]);
}

/**
 * pieceImg = the deficit components not accepted as bites (compLabels), and defImg kept only there;
 * returns the pieces' box (x0, y0, x1, y1) in the deficit image, or null when there are none.
 */
function markPieces(accepted: Uint8Array, bw: number, bh: number): [number, number, number, number] | null {
  let px0 = bw, py0 = bh, px1 = -1, py1 = -1;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const i = x + bw * y;
      const l = compLabels[i];
      const v = l !== 0 && accepted[l] === 0 ? 1 : 0;
      defImg[i] = v === 1 ? defImg[i] : 0;
      pieceImg[i] = v;
      if (v === 0) continue;
      if (x < px0) px0 = x;
      if (x > px1) px1 = x;
      if (y < py0) py0 = y;
      py1 = y;
    }
  }
  return px1 < 0 ? null : [px0, py0, px1, py1];
}

/** Per opened piece: outline edges against this lung and against anything else; bad = it holds a blocked pixel. */
function pieceEdges(labels: Uint8Array, offset: number, label: number, w: number, h: number, cc: RunComponents, ox: number, oy: number, bw: number, bh: number, lungEdge: Float64Array, otherEdge: Float64Array, bad: Uint8Array): void {
  for (let r = 0; r < cc.runs; r++) {
    const l = cc.label[r];
    const y = cc.row[r];
    for (let x = cc.x0[r]; x < cc.x1[r]; x++) {
      const i = x + bw * y;
      if (defImg[i] === 2) bad[l] = 1;
      for (let d = 0; d < 4; d++) {
        const xx = d === 0 ? x - 1 : d === 1 ? x + 1 : x;
        const yy = d === 2 ? y - 1 : d === 3 ? y + 1 : y;
        if (xx >= 0 && yy >= 0 && xx < bw && yy < bh && pieceLabels[xx + bw * yy] === l) continue;
        const gx = xx + ox;
        const gy = yy + oy;
        if (gx >= 0 && gy >= 0 && gx < w && gy < h && labels[offset + gx + w * gy] === label) lungEdge[l]++;
        else otherEdge[l]++;
      }
    }
  }
}

/** The pieces mostly outlined by this lung (and holding no blocked pixel) join it where allowed; returns the pixels added. */
function addEnclosedPieces(labels: Uint8Array, offset: number, label: number, w: number, allowed: Uint8Array, cc: RunComponents, ox: number, oy: number, lungEdge: Float64Array, otherEdge: Float64Array, bad: Uint8Array, enclosedFraction: number): number {
  let added = 0;
  for (let r = 0; r < cc.runs; r++) {
    const l = cc.label[r];
    if (bad[l] || lungEdge[l] < enclosedFraction * (lungEdge[l] + otherEdge[l])) continue;
    const base = offset + w * (cc.row[r] + oy) + ox;
    for (let x = cc.x0[r]; x < cc.x1[r]; x++) {
      const p = base + x;
      if (labels[p] === 0 && allowed[p] === 1) {
        labels[p] = label;
        added++;
      }
    }
  }
  return added;
}

function widenBite(labels: Uint8Array, offset: number, label: number, ctx: SliceLungContext, cc: RunComponents, comp: number, ox: number, oy: number, rimMm: number): number {
  const { width: w, height: h } = ctx;
  const [sx, sy] = ctx.spacingMm;
  const rx = Math.floor(rimMm / sx);
  const ry = Math.floor(rimMm / sy);
  const r2 = rimMm * rimMm;
  let added = 0;
  for (let r = 0; r < cc.runs; r++) {
    if (cc.label[r] !== comp) continue;
    const y = cc.row[r] + oy;
    for (let x = cc.x0[r] + ox; x < cc.x1[r] + ox; x++) {
      for (let dy = -ry; dy <= ry; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -rx; dx <= rx; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w || (dx * sx) ** 2 + (dy * sy) ** 2 > r2) continue;
          const p = offset + xx + w * yy;
          if (labels[p] !== 0 || ctx.allowed[p] !== 1 || ctx.hu[p] >= RIM_MAX_HU) continue;
          labels[p] = label;
          added++;
        }
      }
    }
  }
  return added;
}
