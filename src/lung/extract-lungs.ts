/**
 * Lung extraction (paper §2.2: "extract effective pulmonary regions") from a HU volume.
 *
 * Classical pipeline, tuned for robustness rather than a learned model:
 *  1. work on an in-plane block-mean grid of ≈ 2 mm pixels (speed; noise suppression);
 *  2. per slice, the body is the largest non-air component with its holes filled: air outside it —
 *     the room, the scan-circle padding, the table's hollow core — is not lung;
 *  3. the trachea and main bronchi are found and grown (airway.ts) and removed;
 *  4. 3-D components of the remaining enclosed air are lungs when large and not pure gas (stomach,
 *     bowel); lungs still joined (anterior junction) are split by erosion + geodesic regrowth;
 *     sides come from patient coordinates (direction cosines), never from image columns;
 *  5. per lung and slice: hole filling (vessels, central lesions) and convex-hull completion of
 *     outward-facing bites (juxtapleural consolidation) — see costal-completion.ts;
 *  6. back to the input grid, re-deciding only the boundary blocks voxel by voxel.
 */
import { ScreeningError } from '../core/errors.ts';
import { type Volume, voxelToPatient } from '../core/volume.ts';
import { findAirway } from './airway.ts';
import { type CostalCompletionOptions, type SliceLungContext, DEFAULT_COSTAL_COMPLETION, completeCostalBites } from './costal-completion.ts';
import { closeDisk2d, fillHoles2d, floodFromBorder2d, label2d, label3d } from './morphology.ts';

export interface ExtractLungsOptions {
  /** Voxels below this (HU) are aerated (default −400; pseudo-HU from lung-window 8-bit works too). */
  airThresholdHu?: number;
  /** In-plane pixel size (mm) the morphology works at (default 2). */
  workingPixelMm?: number;
  /** Juxtapleural completion limits (default DEFAULT_COSTAL_COMPLETION). */
  costalCompletion?: Partial<CostalCompletionOptions>;
  /**
   * Per-slice closing radius (mm) that absorbs vessels and thin tissue strips inside the lung before
   * the hull completion (default 3).
   */
  closingRadiusMm?: number;
  /** Named in the error message when no lungs are found (default volume.source.path). */
  label?: string;
}

export interface LungSideCount {
  right: number;
  left: number;
}

export interface LungMaskResult {
  /** 0 background, 1 right lung, 2 left lung; same grid and order as the input. */
  mask: Uint8Array;
  voxels: LungSideCount;
  volumeMl: LungSideCount;
  /** Things a person should know (one lung only, partial coverage, lungs split, …). */
  warnings: string[];
  /** How the extraction went, for logs and debugging. */
  diagnostics: {
    workingFactor: number;
    airThresholdHu: number;
    airwayFound: boolean;
    airwayVoxels: number;
    lungsSplitByErosion: boolean;
    costalPixelsAdded: number;
  };
}

export const DEFAULT_AIR_THRESHOLD_HU = -400;
const DEFAULT_WORKING_PIXEL_MM = 2;
/** A component this much below −1000+25 HU on average is gas (stomach, bowel), not aerated lung. */
const GAS_MEAN_HU = -975;
/** Components smaller than this fraction of the largest are not lungs (esophagus, bowel gas, noise). */
const MIN_LUNG_FRACTION = 0.03;
const MIN_LUNG_ML = 0.5;
/** A further piece joins a lung only when at least this fraction of the largest component. */
const EXTRA_PIECE_FRACTION = 0.1;
/** A component with at least this share of its voxels on each side of the midline holds both lungs. */
const BOTH_SIDES_SHARE = 0.2;
const MAX_SPLIT_EROSIONS = 10;
const DEFAULT_CLOSING_RADIUS_MM = 3;
/** Closing and hole filling never make bone (ribs, spine) lung. */
const BONE_HU = 150;
/** Lung blurred into the wall reads up to ≈ −250 HU; soft tissue ≥ ≈ −100 HU. */
const PARTIAL_VOLUME_HU = -250;
/** Lung denser than this (ground glass and up) marks a lesion edge. */
const LESION_EDGE_HU = -600;
/** Adult lungs at inspiration: ≈ 1.5–4 L each; below this total we warn. */
const SMALL_TOTAL_ML = 1500;

export function extractLungs(volume: Volume, options: ExtractLungsOptions = {}): LungMaskResult {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  if (volume.data.length !== plane * nz) throw new RangeError(`volume data has ${volume.data.length} voxels, dims need ${plane * nz}`);
  const threshold = options.airThresholdHu ?? DEFAULT_AIR_THRESHOLD_HU;
  const [sx, sy, sz] = volume.spacingMm;
  const workMm = options.workingPixelMm ?? DEFAULT_WORKING_PIXEL_MM;
  const f = Math.max(1, Math.round(workMm / Math.max(Math.min(sx, sy), 1e-6)));
  const cx = Math.ceil(nx / f);
  const cy = Math.ceil(ny / f);
  const cplane = cx * cy;
  const cn = cplane * nz;
  const csx = sx * f;
  const csy = sy * f;
  const warnings: string[] = [];
  const what = options.label ?? volume.source.path ?? 'the volume';

  // 1. block means
  const hu = downsample(volume, f, cx, cy);

  // 2. body and enclosed air, per slice
  const air = new Uint8Array(cn);
  for (let i = 0; i < cn; i++) air[i] = hu[i] < threshold ? 1 : 0;
  const inside = new Uint8Array(cn);
  const bodyCentreX = new Float64Array(nz).fill(NaN);
  const bodyCentreY = new Float64Array(nz).fill(NaN);
  const bodyWidth = new Float64Array(nz);
  bodyPerSlice(air, cx, cy, nz, inside, bodyCentreX, bodyCentreY, bodyWidth);
  const enclosed = new Uint8Array(cn);
  for (let i = 0; i < cn; i++) enclosed[i] = air[i] & inside[i];

  // 3. airway
  const superiorIsUp = volume.direction[8] >= 0;
  const order: number[] = [];
  for (let k = 0; k < nz; k++) order.push(superiorIsUp ? nz - 1 - k : k);
  const airway = findAirway({ dims: [cx, cy, nz], spacingMm: [csx, csy, sz], hu, enclosedAir: enclosed, bodyCentreX, bodyWidth, slicesTopDown: order });
  if (!airway.found) warnings.push('trachea not found in the scan (lung apices not covered, or an unusual airway): airways may remain in the lung mask');
  else if (airway.leaked) warnings.push(`airway growth leaked into lung at ${airway.thresholdHu} HU and was cut back; main bronchi may be partly in the lung mask`);
  const lungAir = enclosed;
  for (let i = 0; i < cn; i++) if (airway.mask[i]) lungAir[i] = 0;

  // 4. lung components and sides
  const labels = new Uint8Array(cn);
  const voxelMl = (csx * csy * sz) / 1000;
  const midX = meanFinite(bodyCentreX);
  const midY = meanFinite(bodyCentreY);
  const lungSideOf = (comp: { sumX: number; sumY: number; sumZ: number; size: number }) => {
    // patient x of the component centroid vs the body's centre line (LPS: +x is the patient's left)
    const p = voxelToPatient(volume, [((comp.sumX / comp.size) + 0.5) * f - 0.5, ((comp.sumY / comp.size) + 0.5) * f - 0.5, comp.sumZ / comp.size]);
    const c = voxelToPatient(volume, [(midX + 0.5) * f - 0.5, (midY + 0.5) * f - 0.5, comp.sumZ / comp.size]);
    return p[0] < c[0] ? 1 : 2;
  };
  const split = assignLungs(lungAir, hu, [cx, cy, nz], bodyCentreX, labels, voxelMl, lungSideOf, warnings);
  if (split.lungs === 0) {
    throw new ScreeningError('NO_LUNGS', `no lungs found in ${what}: no air-filled region (below ${threshold} HU) inside the body larger than ${MIN_LUNG_ML} mL; is this a chest CT with values in Hounsfield units?`, { path: volume.source.path });
  }

  // 5. per-slice completion: holes (vessels, central lesions) and outward bites (juxtapleural lesions)
  const allowed = new Uint8Array(cn);
  for (let i = 0; i < cn; i++) allowed[i] = inside[i] && !airway.mask[i] ? 1 : 0;
  const costal = { ...DEFAULT_COSTAL_COMPLETION, ...options.costalCompletion };
  const closeMm = options.closingRadiusMm ?? DEFAULT_CLOSING_RADIUS_MM;
  const costalAdded = completeSlices(labels, allowed, hu, [cx, cy, nz], [csx, csy], bodyCentreX, bodyCentreY, closeMm, costal);
  addPartialVolumeRim(labels, allowed, hu, [cx, cy, nz]);

  // 6. back to the input grid
  const mask = upsample(volume, labels, allowed, hu, f, cx, cy, threshold);
  let right = 0;
  let left = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i];
    if (v === 1) right++;
    else if (v === 2) left++;
  }
  const vml = (sx * sy * sz) / 1000;
  const result: LungMaskResult = {
    mask,
    voxels: { right, left },
    volumeMl: { right: right * vml, left: left * vml },
    warnings,
    diagnostics: { workingFactor: f, airThresholdHu: threshold, airwayFound: airway.found, airwayVoxels: airway.voxels, lungsSplitByErosion: split.splitByErosion, costalPixelsAdded: costalAdded },
  };
  addCoverageWarnings(result, nz, plane);
  if (volume.source.pseudoHu) warnings.push('values are pseudo-HU recovered from 8-bit images: lung boundaries and densities are approximate');
  return result;
}

/**
 * Per lung and slice, inside the lung's bounding box: a small closing (vessels touching the lung
 * edge, thin strips), hole filling (vessels, central lesions), then outward bites (juxtapleural
 * lesions). Only pixels inside the body, outside the airway and below bone density are added.
 */
function completeSlices(
  labels: Uint8Array,
  allowed: Uint8Array,
  hu: Float32Array,
  dims: readonly [number, number, number],
  spacing: readonly [number, number],
  bodyCentreX: Float64Array,
  bodyCentreY: Float64Array,
  closeMm: number,
  costal: CostalCompletionOptions,
): number {
  const [cx, cy, nz] = dims;
  const plane = cx * cy;
  const margin = Math.ceil(closeMm / Math.min(spacing[0], spacing[1])) + 2;
  let sub = new Uint8Array(0);
  let closed = new Uint8Array(0);
  let added = 0;
  const bx0 = [0, 0, 0], bx1 = [0, 0, 0], by0 = [0, 0, 0], by1 = [0, 0, 0];
  for (let z = 0; z < nz; z++) {
    const off = plane * z;
    bx0[1] = bx0[2] = cx; by0[1] = by0[2] = cy; bx1[1] = bx1[2] = -1; by1[1] = by1[2] = -1;
    for (let y = 0; y < cy; y++) {
      const row = off + cx * y;
      for (let x = 0; x < cx; x++) {
        const l = labels[row + x];
        if (l === 0) continue;
        if (x < bx0[l]) bx0[l] = x;
        if (x > bx1[l]) bx1[l] = x;
        if (y < by0[l]) by0[l] = y;
        by1[l] = y;
      }
    }
    for (const side of [1, 2] as const) {
      if (bx1[side] < 0) continue;
      const ox = bx0[side] - margin;
      const oy = by0[side] - margin;
      const bw = bx1[side] - bx0[side] + 1 + 2 * margin;
      const bh = by1[side] - by0[side] + 1 + 2 * margin;
      const bn = bw * bh;
      if (sub.length < bn) {
        sub = new Uint8Array(bn);
        closed = new Uint8Array(bn);
      }
      for (let y = 0; y < bh; y++) {
        const yy = oy + y;
        for (let x = 0; x < bw; x++) {
          const xx = ox + x;
          sub[x + bw * y] = xx >= 0 && yy >= 0 && xx < cx && yy < cy && labels[off + xx + cx * yy] === side ? 1 : 0;
        }
      }
      if (closeMm > 0) closeDisk2d(sub, bw, bh, spacing, closeMm, closed);
      else closed.set(sub.subarray(0, bn));
      fillHoles2d(closed, bw, bh, 1);
      for (let y = 0; y < bh; y++) {
        const yy = oy + y;
        if (yy < 0 || yy >= cy) continue;
        for (let x = 0; x < bw; x++) {
          const xx = ox + x;
          if (xx < 0 || xx >= cx || closed[x + bw * y] === 0) continue;
          const p = off + xx + cx * yy;
          if (labels[p] !== 0 || allowed[p] !== 1 || hu[p] >= BONE_HU) continue;
          labels[p] = side;
          added++;
        }
      }
      if (Number.isFinite(bodyCentreX[z])) {
        const ctx: SliceLungContext = { width: cx, height: cy, spacingMm: spacing, bodyCentre: [bodyCentreX[z], bodyCentreY[z]], allowed, hu };
        added += completeCostalBites(labels, off, side, ctx, costal);
      }
    }
  }
  return added;
}

/**
 * One in-plane ring of voxels that are lung mixed with the wall by the scanner's blur (still well
 * below soft tissue): without it a ground-glass lesion touching the pleura loses its last voxels.
 */
function addPartialVolumeRim(labels: Uint8Array, allowed: Uint8Array, hu: Float32Array, dims: readonly [number, number, number]): void {
  const [cx, cy, nz] = dims;
  const plane = cx * cy;
  const add = new Uint8Array(plane);
  for (let z = 0; z < nz; z++) {
    const off = plane * z;
    add.fill(0);
    for (let y = 1; y < cy - 1; y++) {
      for (let x = 1; x < cx - 1; x++) {
        const p = off + x + cx * y;
        if (labels[p] !== 0 || allowed[p] !== 1 || hu[p] >= PARTIAL_VOLUME_HU) continue;
        // only next to dense lung (a lesion's edge): the normal lung edge is already exact
        let l = 0;
        if (labels[p - 1] !== 0 && hu[p - 1] > LESION_EDGE_HU) l = labels[p - 1];
        else if (labels[p + 1] !== 0 && hu[p + 1] > LESION_EDGE_HU) l = labels[p + 1];
        else if (labels[p - cx] !== 0 && hu[p - cx] > LESION_EDGE_HU) l = labels[p - cx];
        else if (labels[p + cx] !== 0 && hu[p + cx] > LESION_EDGE_HU) l = labels[p + cx];
        if (l !== 0) add[x + cx * y] = l;
      }
    }
    for (let i = 0; i < plane; i++) if (add[i]) labels[off + i] = add[i];
  }
}

function meanFinite(a: Float64Array): number {
  let s = 0;
  let n = 0;
  for (const v of a) if (Number.isFinite(v)) { s += v; n++; }
  return n > 0 ? s / n : 0;
}

/** In-plane block means over f × f pixels (partial blocks at the edge average what they have). */
function downsample(volume: Volume, f: number, cx: number, cy: number): Float32Array {
  const [nx, ny, nz] = volume.dims;
  const src = volume.data;
  const out = new Float32Array(cx * cy * nz);
  if (f === 1) {
    for (let i = 0; i < out.length; i++) out[i] = src[i];
    return out;
  }
  const rowSum = new Float64Array(cx);
  for (let z = 0; z < nz; z++) {
    const fbase = nx * ny * z;
    for (let by = 0; by < cy; by++) {
      rowSum.fill(0);
      const y0 = by * f;
      const y1 = Math.min(ny, y0 + f);
      for (let y = y0; y < y1; y++) {
        let i = fbase + nx * y;
        // whole blocks, then the partial last one
        let bx = 0;
        for (let x = 0; x + f <= nx; x += f, bx++) {
          let s = 0;
          for (let k = 0; k < f; k++) s += src[i++];
          rowSum[bx] += s;
        }
        for (let x = bx * f; x < nx; x++) rowSum[bx] += src[i++];
      }
      const obase = cx * (by + cy * z);
      const rows = y1 - y0;
      for (let bx = 0; bx < cx; bx++) out[obase + bx] = rowSum[bx] / (rows * (Math.min(nx, (bx + 1) * f) - bx * f));
    }
  }
  return out;
}

/**
 * The body on each slice = the largest non-air 2-D component, holes filled; `inside` marks it.
 * Also the body's centre and width (working pixels) per slice.
 */
function bodyPerSlice(air: Uint8Array, cx: number, cy: number, nz: number, inside: Uint8Array, centreX: Float64Array, centreY: Float64Array, width: Float64Array): void {
  const plane = cx * cy;
  const tissue = new Uint8Array(plane);
  const body = new Uint8Array(plane);
  const outside = new Uint8Array(plane);
  const lab = new Int32Array(plane);
  for (let z = 0; z < nz; z++) {
    const off = plane * z;
    for (let i = 0; i < plane; i++) tissue[i] = air[off + i] ^ 1;
    const cc = label2d(tissue, cx, cy, { labels: lab });
    if (cc.count === 0) continue;
    let best = 1;
    for (let l = 2; l <= cc.count; l++) if (cc.sizes[l] > cc.sizes[best]) best = l;
    for (let i = 0; i < plane; i++) body[i] = lab[i] === best ? 1 : 0;
    floodFromBorder2d(body, cx, cy, outside);
    let n = 0, sxs = 0, sys = 0, x0 = cx, x1 = -1;
    for (let i = 0; i < plane; i++) {
      if (outside[i]) continue;
      inside[off + i] = 1;
      const x = i % cx;
      n++;
      sxs += x;
      sys += (i - x) / cx;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    }
    if (n > 0) {
      centreX[z] = sxs / n;
      centreY[z] = sys / n;
      width[z] = x1 - x0 + 1;
    }
  }
}

interface CompStats {
  id: number;
  size: number;
  sumX: number;
  sumY: number;
  sumZ: number;
  sumHu: number;
  /** voxels left / right of the body centre column on their slice (image columns) */
  lowX: number;
  highX: number;
  zMin: number;
  zMax: number;
}

function componentStats(labels: Int32Array | Uint8Array, count: number, hu: Float32Array, dims: readonly [number, number, number], centreX: Float64Array): CompStats[] {
  const [cx, cy, nz] = dims;
  const plane = cx * cy;
  const st: CompStats[] = [];
  for (let l = 0; l <= count; l++) st.push({ id: l, size: 0, sumX: 0, sumY: 0, sumZ: 0, sumHu: 0, lowX: 0, highX: 0, zMin: nz, zMax: -1 });
  for (let z = 0; z < nz; z++) {
    const mid = Number.isFinite(centreX[z]) ? centreX[z] : cx / 2;
    for (let i = 0; i < plane; i++) {
      const l = labels[plane * z + i];
      if (l === 0) continue;
      const s = st[l];
      const x = i % cx;
      s.size++;
      s.sumX += x;
      s.sumY += (i - x) / cx;
      s.sumZ += z;
      s.sumHu += hu[plane * z + i];
      if (x < mid) s.lowX++;
      else s.highX++;
      if (z < s.zMin) s.zMin = z;
      if (z > s.zMax) s.zMax = z;
    }
  }
  return st.slice(1);
}

/**
 * Chooses the lung components among the enclosed air and writes 1 (right) / 2 (left) into `out`.
 */
function assignLungs(
  lungAir: Uint8Array,
  hu: Float32Array,
  dims: readonly [number, number, number],
  centreX: Float64Array,
  out: Uint8Array,
  voxelMl: number,
  sideOf: (c: CompStats) => 1 | 2,
  warnings: string[],
): { lungs: number; splitByErosion: boolean } {
  const cc = label3d(lungAir, dims);
  let stats = componentStats(cc.labels, cc.count, hu, dims, centreX);
  stats.sort((a, b) => b.size - a.size);
  const largest = stats[0]?.size ?? 0;
  const minSize = Math.max(MIN_LUNG_ML / voxelMl, MIN_LUNG_FRACTION * largest);
  stats = stats.filter((s) => s.size >= minSize && s.sumHu / s.size > GAS_MEAN_HU);
  if (stats.length === 0) return { lungs: 0, splitByErosion: false };
  let splitByErosion = false;
  const first = stats[0];
  const share = Math.min(first.lowX, first.highX) / first.size;
  const keep = new Map<number, 1 | 2>();
  if (share >= BOTH_SIDES_SHARE) {
    // both lungs in one component: separate them
    const sub = new Uint8Array(lungAir.length);
    for (let i = 0; i < sub.length; i++) sub[i] = cc.labels[i] === first.id ? 1 : 0;
    const parts = splitJoinedLungs(sub, dims);
    if (parts !== null) {
      splitByErosion = true;
      warnings.push('the two lungs touched (anterior/posterior junction) and were separated by erosion');
      const pst = componentStats(parts, 2, hu, dims, centreX);
      const s1 = sideOf(pst[0]);
      const s2 = sideOf(pst[1]);
      const a: 1 | 2 = s1 !== s2 ? s1 : 1;
      const b: 1 | 2 = a === 1 ? 2 : 1;
      for (let i = 0; i < out.length; i++) if (parts[i] === 1) out[i] = a;
      else if (parts[i] === 2) out[i] = b;
    } else {
      warnings.push('the two lungs could not be separated; they were split at the body midline');
      for (let i = 0; i < out.length; i++) if (cc.labels[i] === first.id) out[i] = 0xff;
      splitAtMidline(out, dims, centreX, sideOf);
    }
  } else {
    keep.set(first.id, sideOf(first));
  }
  // other large components join the side they lie on (the other lung, or parts of a lung cut off)
  const firstSide = keep.get(first.id);
  let secondFound = false;
  for (const s of stats.slice(1)) {
    const side = sideOf(s);
    const joined = splitByErosion || share >= BOTH_SIDES_SHARE;
    // the other lung may be small (collapse, effusion); extra pieces of a side must be sizeable
    // and level with the lungs (not a gas pocket or an annotation's hole next to the body)
    const isOtherLung = !joined && !secondFound && side !== firstSide && overlapsZ(s, first);
    if (!isOtherLung && (s.size < EXTRA_PIECE_FRACTION * first.size || !overlapsZ(s, first))) continue;
    if (isOtherLung) secondFound = true;
    keep.set(s.id, side);
  }
  for (let i = 0; i < out.length; i++) {
    const l = cc.labels[i];
    if (l === 0) continue;
    const side = keep.get(l);
    if (side !== undefined) out[i] = side;
  }
  let has1 = false;
  let has2 = false;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) has1 = true;
    else if (out[i] === 2) has2 = true;
  }
  if (!has1 || !has2) warnings.push(`only the ${has1 ? 'right' : 'left'} lung was found`);
  return { lungs: (has1 ? 1 : 0) + (has2 ? 1 : 0), splitByErosion };
}

function overlapsZ(a: CompStats, b: CompStats): boolean {
  return a.zMin <= b.zMax && b.zMin <= a.zMax;
}

/**
 * Erodes (in-plane, per slice) until the component falls apart into two large pieces, then regrows
 * both pieces inside the original component (geodesic, first come first served). Returns a label
 * image with 1 and 2, or null when no erosion depth separates it.
 */
function splitJoinedLungs(sub: Uint8Array, dims: readonly [number, number, number]): Uint8Array | null {
  const [cx, cy, nz] = dims;
  const plane = cx * cy;
  const n = sub.length;
  let cur = sub.slice();
  const next = new Uint8Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += cur[i];
  for (let it = 0; it < MAX_SPLIT_EROSIONS; it++) {
    for (let i = 0; i < n; i++) {
      if (!cur[i]) { next[i] = 0; continue; }
      const x = i % cx;
      const y = ((i - x) / cx) % cy;
      next[i] = x > 0 && x < cx - 1 && y > 0 && y < cy - 1 && cur[i - 1] && cur[i + 1] && cur[i - cx] && cur[i + cx] ? 1 : 0;
    }
    cur = next.slice();
    const cc = label3d(cur, dims);
    if (cc.count < 2) continue;
    const order = Array.from({ length: cc.count }, (_, k) => k + 1).sort((a, b) => cc.sizes[b] - cc.sizes[a]);
    const a = order[0];
    const b = order[1];
    if (cc.sizes[b] < 0.1 * cc.sizes[a]) continue;
    // geodesic regrowth from both seeds within the original component
    const out = new Uint8Array(n);
    const q = new Int32Array(n);
    let tail = 0;
    for (let i = 0; i < n; i++) {
      if (cc.labels[i] === a) { out[i] = 1; q[tail++] = i; }
      else if (cc.labels[i] === b) { out[i] = 2; q[tail++] = i; }
    }
    for (let head = 0; head < tail; head++) {
      const i = q[head];
      const x = i % cx;
      const r = (i - x) / cx;
      const y = r % cy;
      const z = (r - y) / cy;
      const lab = out[i];
      if (x > 0 && sub[i - 1] && !out[i - 1]) { out[i - 1] = lab; q[tail++] = i - 1; }
      if (x < cx - 1 && sub[i + 1] && !out[i + 1]) { out[i + 1] = lab; q[tail++] = i + 1; }
      if (y > 0 && sub[i - cx] && !out[i - cx]) { out[i - cx] = lab; q[tail++] = i - cx; }
      if (y < cy - 1 && sub[i + cx] && !out[i + cx]) { out[i + cx] = lab; q[tail++] = i + cx; }
      if (z > 0 && sub[i - plane] && !out[i - plane]) { out[i - plane] = lab; q[tail++] = i - plane; }
      if (z < nz - 1 && sub[i + plane] && !out[i + plane]) { out[i + plane] = lab; q[tail++] = i + plane; }
    }
    void total;
    return out;
  }
  return null;
}

/** Last resort: voxels marked 0xff go to the side of the body centre line they lie on. */
function splitAtMidline(out: Uint8Array, dims: readonly [number, number, number], centreX: Float64Array, sideOf: (c: CompStats) => 1 | 2): void {
  const [cx, cy, nz] = dims;
  const plane = cx * cy;
  // which image half is the patient's right: ask sideOf with a fake component on the low-x half
  const lowSide = sideOf({ id: 0, size: 1, sumX: 0, sumY: cy / 2, sumZ: nz / 2, sumHu: 0, lowX: 1, highX: 0, zMin: 0, zMax: 0 });
  const highSide: 1 | 2 = lowSide === 1 ? 2 : 1;
  for (let z = 0; z < nz; z++) {
    const mid = Number.isFinite(centreX[z]) ? centreX[z] : cx / 2;
    for (let i = 0; i < plane; i++) {
      if (out[plane * z + i] !== 0xff) continue;
      out[plane * z + i] = i % cx < mid ? lowSide : highSide;
    }
  }
}

/**
 * Working grid → input grid. Blocks whose 8 neighbours share their label are copied; boundary
 * blocks are decided per voxel: aerated voxels join the neighbouring lung, dense voxels stay lung
 * only where the block itself was dense lung (a completed lesion), so edges follow the real pleura.
 */
function upsample(volume: Volume, labels: Uint8Array, allowed: Uint8Array, hu: Float32Array, f: number, cx: number, cy: number, threshold: number): Uint8Array {
  const [nx, ny, nz] = volume.dims;
  const src = volume.data;
  const out = new Uint8Array(nx * ny * nz);
  const cplane = cx * cy;
  if (f === 1) {
    out.set(labels);
    return out;
  }
  // per working pixel: 0 interior (copy), else 1 + the lung label a boundary voxel may take
  const edge = new Uint8Array(cplane);
  for (let z = 0; z < nz; z++) {
    const coff = cplane * z;
    for (let y = 0; y < cy; y++) {
      for (let x = 0; x < cx; x++) {
        const i = coff + x + cx * y;
        const l = labels[i];
        let nb = 0;
        let boundary = false;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= cy) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= cx) continue;
            const m = labels[coff + xx + cx * yy];
            if (m !== l) boundary = true;
            if (m !== 0 && nb === 0) nb = m;
          }
        }
        edge[x + cx * y] = !boundary ? 0 : l !== 0 ? 1 + l : allowed[i] ? 1 + nb : 1;
      }
    }
    const foff = nx * ny * z;
    for (let y = 0; y < ny; y++) {
      const crow = cx * Math.floor(y / f);
      const frow = foff + nx * y;
      for (let bx = 0; bx < cx; bx++) {
        const c = crow + bx;
        const e = edge[c];
        const l = labels[coff + c];
        const x0 = bx * f;
        const x1 = Math.min(nx, x0 + f);
        if (e === 0) {
          if (l !== 0) for (let x = x0; x < x1; x++) out[frow + x] = l;
          continue;
        }
        const denseBlock = hu[coff + c] >= threshold;
        for (let x = x0; x < x1; x++) {
          const aerated = src[frow + x] < threshold;
          if (l !== 0) out[frow + x] = aerated || denseBlock ? l : 0;
          else out[frow + x] = aerated && e > 1 ? e - 1 : 0;
        }
      }
    }
  }
  return out;
}

function addCoverageWarnings(r: LungMaskResult, nz: number, plane: number): void {
  if (nz > 1) {
    let top = false;
    let bottom = false;
    for (let i = 0; i < plane; i++) if (r.mask[i]) { bottom = true; break; }
    for (let i = plane * (nz - 1); i < plane * nz; i++) if (r.mask[i]) { top = true; break; }
    if (top || bottom) r.warnings.push('lungs reach the first or last slice: the scan may not cover the whole lungs (volumes are partial)');
    else if (r.volumeMl.right + r.volumeMl.left < SMALL_TOTAL_ML) {
      r.warnings.push(`total lung volume ${(r.volumeMl.right + r.volumeMl.left).toFixed(0)} mL is small for an adult at inspiration`);
    }
  } else {
    r.warnings.push('single slice: volumes are the slice area times the slice spacing');
  }
}
