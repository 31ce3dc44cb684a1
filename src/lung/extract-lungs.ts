/**
 * Lung extraction (paper §2.2: "extract effective pulmonary regions") from a HU volume.
 *
 * Classical pipeline, tuned for robustness rather than a learned model:
 *  1. work on an in-plane block-mean grid of ≈ 2 mm pixels (speed; noise suppression); scanner
 *     padding (≤ −1500 HU) counts as air there and is never lung (working-grid.ts);
 *  2. per slice, the body is the largest non-air component with its holes filled: air outside it —
 *     the room, the scan-circle padding, the table's hollow core — is not lung; burned-in markers
 *     (dark pixels identical on every slice, burned-in.ts) inside it are not lung either;
 *     slices cropped inside the body (published single slices; most slices of a volume with tissue
 *     along the image border) also take as lung the border air the body bounds (cropped-slice.ts);
 *     8-bit images windowed darker than declared get their air threshold from their histogram
 *     (pseudo-hu-threshold.ts), and 8-bit slices whose lungs lie above each other are extracted
 *     transposed (their orientation is unknown);
 *  3. the trachea and main bronchi are found and grown (airway.ts) and removed;
 *  4. 3-D components of the remaining enclosed air are lungs when large and not pure gas (stomach,
 *     bowel); lungs still joined (anterior junction) are split by erosion + geodesic regrowth
 *     (split-lungs.ts); sides come from patient coordinates (direction cosines), never from image
 *     columns;
 *  5. per lung and slice: hole filling (vessels, central lesions) and convex-hull completion of
 *     outward-facing bites (juxtapleural consolidation) — see costal-completion.ts; what of that is
 *     an abdominal organ rising into a lung base is taken back, walking from the feet up
 *     (rising-organs.ts);
 *  6. back to the input grid, re-deciding only the boundary blocks voxel by voxel.
 * Speed (issue 4: ≤ 0.5 s for 150 × 512²): two passes over the input (1 and 6), everything else on
 * the working grid as row runs (run-labels.ts), narrow-disk morphology done directly
 * (disk-morphology.ts) and per-slice lung windows carried from step to step.
 */
import { ScreeningError } from '../core/errors.ts';
import { type Volume, voxelToPatient } from '../core/volume.ts';
import { findAirway } from './airway.ts';
import { type CostalCompletionOptions, type SliceLungContext, DEFAULT_COSTAL_COMPLETION, completeCostalBites } from './costal-completion.ts';
import { closeDisk, pixelDisk } from './disk-morphology.ts';
import { type RunComponents, labelRuns, labelThreshold, paintRuns } from './run-labels.ts';
import { type RisingOrganOptions, organSeedPixels, takeBackRisingOrgans } from './rising-organs.ts';
import { splitJoinedLungs } from './split-lungs.ts';
import { findBurnedInAir } from './burned-in.ts';
import { OUTSIDE_SCAN_HU, type WorkingGrid, downsampleBlocks, upsampleLabels } from './working-grid.ts';
import { CUT_BODY_BORDER_SHARE, findBorderCutLungAir, tissueBorderShare } from './cropped-slice.ts';
import { pseudoHuAirThreshold } from './pseudo-hu-threshold.ts';

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
/** An erosion separates the lungs when its second-largest piece is at least this share of the first. */
const SPLIT_PIECE_FRACTION = 0.1;
const DEFAULT_CLOSING_RADIUS_MM = 3;
/** Closing and hole filling never make bone (ribs, spine) lung. */
const BONE_HU = 150;
/** Lung blurred into the wall reads up to ≈ −250 HU; soft tissue ≥ ≈ −100 HU. */
const PARTIAL_VOLUME_HU = -250;
/** Lung denser than this (ground glass and up) marks a lesion edge. */
const LESION_EDGE_HU = -600;
/**
 * A single slice is taken as cut through the body from this share of tissue on its border: all 1650
 * COVID-SemiSeg slices have ≥ 0.6, whole-body slices of COVID-CT-MD, RICORD, LIDC and Radiopaedia
 * ≤ 0.34 (the arms and the table; scripts/measure-cropped-slices.ts and the lung tests).
 */
const SINGLE_CUT_BODY_BORDER_SHARE = 0.5;
/** Lungs lie above each other when the row profile's dip is at most this share of the column profile's. */
const TURNED_DIP_RATIO = 0.6;
/** Adult lungs at inspiration: ≈ 1.5–4 L each; below this total we warn. */
const SMALL_TOTAL_ML = 1500;

export function extractLungs(volume: Volume, options: ExtractLungsOptions = {}): LungMaskResult {
  return extract(volume, options, volume.source.format === 'image-stack');
}

/**
 * `mayTurn`: the slice orientation is unknown (8-bit images carry none, and published slices are
 * often stored turned by 90°): when the lungs lie above each other rather than side by side, the
 * extraction is redone on the transposed slices (turnedExtraction).
 */
function extract(volume: Volume, options: ExtractLungsOptions, mayTurn: boolean): LungMaskResult {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  if (volume.data.length !== plane * nz) throw new RangeError(`volume data has ${volume.data.length} voxels, dims need ${plane * nz}`);
  const [sx, sy, sz] = volume.spacingMm;
  const workMm = options.workingPixelMm ?? DEFAULT_WORKING_PIXEL_MM;
  const f = Math.max(1, Math.round(workMm / Math.max(Math.min(sx, sy), 1e-6)));
  const csx = sx * f;
  const csy = sy * f;
  const warnings: string[] = [];
  const what = options.label ?? volume.source.path ?? 'the volume';

  // 1. block means
  const grid = downsampleBlocks(volume.data, volume.dims, f);
  const { cx, cy, hu } = grid;
  const cn = cx * cy * nz;
  let threshold = options.airThresholdHu ?? DEFAULT_AIR_THRESHOLD_HU;
  let gasMeanHu = GAS_MEAN_HU;
  let lungClampedToAir = false;
  if (options.airThresholdHu === undefined && volume.source.pseudoHu) {
    const p = pseudoHuAirThreshold(hu, threshold);
    if (p.fromImage) {
      // such images clamp the lung itself to air (grey levels below the declared window's −1000 HU):
      // a mean density no longer tells lung from gas
      gasMeanHu = -Infinity;
      lungClampedToAir = true;
      threshold = p.thresholdHu;
      warnings.push(`the 8-bit images are darker than the declared window implies (tissue at ${p.tissueMeanHu.toFixed(0)} pseudo-HU): air was separated from tissue at ${threshold.toFixed(0)} pseudo-HU, from the images' histogram`);
    }
  }

  // 2. body and enclosed air, per slice
  const inside = new Uint8Array(cn);
  const enclosed = new Uint8Array(cn);
  const bodyCentreX = new Float64Array(nz).fill(NaN);
  const bodyCentreY = new Float64Array(nz).fill(NaN);
  const bodyWidth = new Float64Array(nz);
  const cropped = croppedSlices(hu, threshold, cx, cy, nz);
  const bodyBox = bodyPerSlice(hu, threshold, cx, cy, nz, inside, enclosed, bodyCentreX, bodyCentreY, bodyWidth, cropped === null ? null : { cut: cropped, spacingMm: [csx, csy] });
  if (cropped !== null) warnings.push('the image is cropped inside the body (tissue along the image border): lungs reaching the border were taken as lungs, not as room air; lung volumes are partial');
  const burnedIn = dropBurnedIn(volume, grid, threshold, bodyBox, inside, enclosed);
  if (burnedIn > 0) warnings.push(`a burned-in marker or text (${burnedIn} dark pixels identical on every slice) lies inside the body; it was kept out of the lungs`);

  // 3. airway
  const superiorIsUp = volume.direction[8] >= 0;
  const order: number[] = [];
  for (let k = 0; k < nz; k++) order.push(superiorIsUp ? nz - 1 - k : k);
  // the airway is grown through near-pure air, which is all of a lung clamped to air: it would take the lung
  const airway = lungClampedToAir
    ? { found: false, leaked: false, thresholdHu: NaN, indices: new Int32Array(0), voxels: 0 }
    : findAirway({ dims: [cx, cy, nz], spacingMm: [csx, csy, sz], hu, enclosedAir: enclosed, bodyCentreX, bodyWidth, slicesTopDown: order });
  if (lungClampedToAir) warnings.push('the trachea and main bronchi were not removed: in these images lung and airway both read as air');
  else if (!airway.found) warnings.push('trachea not found in the scan (lung apices not covered, or an unusual airway): airways may remain in the lung mask');
  else if (airway.leaked) warnings.push(`airway growth leaked into lung at ${airway.thresholdHu} HU and was cut back; main bronchi may be partly in the lung mask`);
  const lungAir = enclosed;
  for (const i of airway.indices) lungAir[i] = 0;
  if (mayTurn && lungsLieAboveEachOther(lungAir, cx, cy, nz)) return turnedExtraction(volume, options);

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
  const sideBoxes = emptyBoxes(nz, cx, cy);
  const split = assignLungs(lungAir, hu, [cx, cy, nz], bodyCentreX, labels, voxelMl, gasMeanHu, lungSideOf, warnings, sideBoxes);
  if (split.lungs === 0) {
    throw new ScreeningError('NO_LUNGS', `no lungs found in ${what}: no air-filled region (below ${threshold} HU) inside the body larger than ${MIN_LUNG_ML} mL; is this a chest CT with values in Hounsfield units?`, { path: volume.source.path });
  }

  // 5. per-slice completion: holes (vessels, central lesions) and outward bites (juxtapleural lesions)
  const allowed = inside;
  for (const i of airway.indices) allowed[i] = 0;
  const costal = { ...DEFAULT_COSTAL_COMPLETION, ...options.costalCompletion };
  const closeMm = options.closingRadiusMm ?? DEFAULT_CLOSING_RADIUS_MM;
  // per slice, a window (x0, y0, x1, y1, inclusive) that holds every lung pixel: later passes stay in it
  const boxes = new Int32Array(4 * nz);
  const beforeCompletion = labels.slice();
  const completed = completeSlices(labels, allowed, hu, [cx, cy, nz], [csx, csy], bodyCentreX, bodyCentreY, closeMm, costal, sideBoxes, boxes);
  // 5b. organs under the diaphragm that the completion took for lesions (rising-organs.ts)
  const rising: RisingOrganOptions = { dims: [cx, cy, nz], spacingMm: [csx, csy, sz], caudalStep: superiorIsUp ? -1 : 1, boxes };
  if (volume.source.format === 'image-stack') {
    // no slice direction in 8-bit stacks: the domes show only when walked from the feet
    const down = organSeedPixels(labels, beforeCompletion, allowed, hu, { ...rising, caudalStep: -1 });
    const up = organSeedPixels(labels, beforeCompletion, allowed, hu, { ...rising, caudalStep: 1 });
    if (down !== up) rising.caudalStep = down > up ? -1 : 1;
  }
  const organPixels = takeBackRisingOrgans(labels, beforeCompletion, allowed, hu, rising);
  const costalAdded = completed - organPixels;
  addPartialVolumeRim(labels, allowed, hu, [cx, cy, nz], boxes);

  // 6. back to the input grid
  const { mask, right, left } = upsampleLabels(volume.data, volume.dims, grid, labels, allowed, threshold, OUTSIDE_SCAN_HU, boxes);
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
 * The two lungs lie side by side (patient left–right), parted by the mediastinum: the lung air's
 * profile across the patient (pixels per column, summed over rows and slices) dips deeply in its
 * middle third, the profile front to back does not. The slices are taken as turned when the row
 * profile dips clearly deeper than the column profile.
 */
function lungsLieAboveEachOther(air: Uint8Array, cx: number, cy: number, nz: number): boolean {
  const cols = new Float64Array(cx);
  const rows = new Float64Array(cy);
  const plane = cx * cy;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < cy; y++) {
      const row = plane * z + cx * y;
      for (let x = 0; x < cx; x++) {
        if (!air[row + x]) continue;
        cols[x]++;
        rows[y]++;
      }
    }
  }
  return profileDip(rows) < TURNED_DIP_RATIO * profileDip(cols);
}

/**
 * How deep a profile dips in the middle third of its extent: the lowest value there over the lower
 * of the two flanks' peaks (0 = a gap, ≥ 1 = no dip); 1 for a profile too short to tell.
 */
function profileDip(p: Float64Array): number {
  let a = 0;
  while (a < p.length && p[a] === 0) a++;
  let b = p.length - 1;
  while (b > a && p[b] === 0) b--;
  const third = Math.floor((b - a + 1) / 3);
  if (third < 2) return 1;
  let left = 0, right = 0, mid = Infinity;
  for (let i = a; i < a + third; i++) left = Math.max(left, p[i]);
  for (let i = b - third + 1; i <= b; i++) right = Math.max(right, p[i]);
  for (let i = a + third; i <= b - third; i++) mid = Math.min(mid, p[i]);
  const flank = Math.min(left, right);
  return flank > 0 ? mid / flank : 1;
}

/**
 * Extraction on the transposed slices (columns ↔ rows), mask transposed back. Which lung is the
 * patient's right cannot be read from a turned 8-bit slice; the larger is taken as the right (the
 * heart takes room from the left lung), and the report says so.
 */
function turnedExtraction(volume: Volume, options: ExtractLungsOptions): LungMaskResult {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  const src = volume.data;
  const data = new (src.constructor as new (n: number) => typeof src)(src.length);
  for (let z = 0; z < nz; z++) {
    const o = plane * z;
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[o + y + ny * x] = src[o + x + nx * y];
  }
  const [sx, sy, sz] = volume.spacingMm;
  const turned: Volume = { ...volume, data, dims: [ny, nx, nz], spacingMm: [sy, sx, sz] };
  const r = extract(turned, options, false);
  const swap = r.voxels.left > r.voxels.right;
  const mask = new Uint8Array(src.length);
  for (let z = 0; z < nz; z++) {
    const o = plane * z;
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = r.mask[o + y + ny * x];
        mask[o + x + nx * y] = swap && v !== 0 ? 3 - v : v;
      }
    }
  }
  const side = <T>(c: { right: T; left: T }) => (swap ? { right: c.left, left: c.right } : c);
  r.warnings.push('the lungs lie above each other in the image: the slices are stored turned by 90°; right and left were assigned by size (the larger lung taken as the right) and may be swapped');
  return { ...r, mask, voxels: side(r.voxels), volumeMl: side(r.volumeMl) };
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
  sideBoxes: Int32Array,
  boxes: Int32Array,
): number {
  const [cx, cy, nz] = dims;
  const plane = cx * cy;
  const margin = Math.ceil(closeMm / Math.min(spacing[0], spacing[1])) + 2;
  // bites are widened by the rim beyond the closing box; one more pixel for the partial-volume ring
  const reach = Math.ceil(costal.rimMm / Math.min(spacing[0], spacing[1])) + 1;
  const disk = pixelDisk(spacing, closeMm);
  let sub = new Uint8Array(0);
  let closed = new Uint8Array(0);
  let added = 0;
  const bx0 = [0, 0, 0], bx1 = [0, 0, 0], by0 = [0, 0, 0], by1 = [0, 0, 0];
  for (let z = 0; z < nz; z++) {
    const off = plane * z;
    let wx0 = cx, wy0 = cy, wx1 = -1, wy1 = -1;
    for (const side of [1, 2] as const) {
      const k = 8 * z + 4 * (side - 1);
      bx0[side] = sideBoxes[k];
      by0[side] = sideBoxes[k + 1];
      bx1[side] = sideBoxes[k + 2];
      by1[side] = sideBoxes[k + 3];
    }
    for (const side of [1, 2] as const) {
      if (bx1[side] < 0) continue;
      const ox = bx0[side] - margin;
      const oy = by0[side] - margin;
      const bw = bx1[side] - bx0[side] + 1 + 2 * margin;
      const bh = by1[side] - by0[side] + 1 + 2 * margin;
      const bn = bw * bh;
      wx0 = Math.min(wx0, Math.max(0, ox - reach));
      wy0 = Math.min(wy0, Math.max(0, oy - reach));
      wx1 = Math.max(wx1, Math.min(cx - 1, ox + bw - 1 + reach));
      wy1 = Math.max(wy1, Math.min(cy - 1, oy + bh - 1 + reach));
      if (sub.length < bn) {
        sub = new Uint8Array(bn);
        closed = new Uint8Array(bn);
      }
      // the box's rows and columns that lie on the image (the box may reach past it)
      const ya = Math.max(0, -oy);
      const yb = Math.min(bh, cy - oy);
      const xa = Math.max(0, -ox);
      const xb = Math.min(bw, cx - ox);
      sub.fill(0, 0, bn);
      const at = off + ox + cx * oy;
      copySide(labels, at, cx, side, sub, bw, xa, xb, ya, yb);
      if (closeMm > 0) closeDisk(sub, bw, bh, disk, closed);
      else closed.set(sub.subarray(0, bn));
      fillHoles(closed, bw, bh);
      added += addClosed(labels, allowed, hu, at, cx, side, closed, bw, xa, xb, ya, yb);
      if (Number.isFinite(bodyCentreX[z])) {
        const window = [Math.max(0, ox), Math.max(0, oy), Math.min(cx - 1, ox + bw - 1), Math.min(cy - 1, oy + bh - 1)] as const;
        const ctx: SliceLungContext = { width: cx, height: cy, spacingMm: spacing, bodyCentre: [bodyCentreX[z], bodyCentreY[z]], allowed, hu, window };
        added += completeCostalBites(labels, off, side, ctx, costal);
      }
    }
    boxes[4 * z] = wx0;
    boxes[4 * z + 1] = wy0;
    boxes[4 * z + 2] = wx1;
    boxes[4 * z + 3] = wy1;
  }
  return added;
}

/*
 * completeSlices' pixel loops, in functions of their own for the reason recordBody gives.
 */

/** sub (bw wide) = 1 where the labels of the box at labels[at] (image width cx) are `side`, rows ya..yb−1, columns xa..xb−1. */
function copySide(labels: Uint8Array, at: number, cx: number, side: number, sub: Uint8Array, bw: number, xa: number, xb: number, ya: number, yb: number): void {
  for (let y = ya; y < yb; y++) {
    const src = at + cx * y;
    const dst = bw * y;
    for (let x = xa; x < xb; x++) sub[dst + x] = labels[src + x] === side ? 1 : 0;
  }
}

/** The closed and filled pixels that may join: unlabelled, allowed, below bone density; returns how many were added. */
function addClosed(labels: Uint8Array, allowed: Uint8Array, hu: Float32Array, at: number, cx: number, side: number, closed: Uint8Array, bw: number, xa: number, xb: number, ya: number, yb: number): number {
  let added = 0;
  for (let y = ya; y < yb; y++) {
    const src = at + cx * y;
    const row = bw * y;
    for (let x = xa; x < xb; x++) {
      if (closed[row + x] === 0) continue;
      const p = src + x;
      if (labels[p] !== 0 || allowed[p] !== 1 || hu[p] >= BONE_HU) continue;
      labels[p] = side;
      added++;
    }
  }
  return added;
}

/**
 * One in-plane ring of voxels that are lung mixed with the wall by the scanner's blur (still well
 * below soft tissue): without it a ground-glass lesion touching the pleura loses its last voxels.
 */
function addPartialVolumeRim(labels: Uint8Array, allowed: Uint8Array, hu: Float32Array, dims: readonly [number, number, number], boxes: Int32Array): void {
  const [cx, cy, nz] = dims;
  const plane = cx * cy;
  const add = new Uint8Array(plane);
  for (let z = 0; z < nz; z++) {
    const off = plane * z;
    // the ring lies one pixel outside the lungs, inside the slice's window
    const x0 = Math.max(1, boxes[4 * z]);
    const y0 = Math.max(1, boxes[4 * z + 1]);
    const x1 = Math.min(cx - 2, boxes[4 * z + 2]);
    const y1 = Math.min(cy - 2, boxes[4 * z + 3]);
    let any = false;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const p = off + x + cx * y;
        if (labels[p] !== 0 || allowed[p] !== 1 || hu[p] >= PARTIAL_VOLUME_HU) continue;
        // only next to dense lung (a lesion's edge): the normal lung edge is already exact
        let l = 0;
        if (labels[p - 1] !== 0 && hu[p - 1] > LESION_EDGE_HU) l = labels[p - 1];
        else if (labels[p + 1] !== 0 && hu[p + 1] > LESION_EDGE_HU) l = labels[p + 1];
        else if (labels[p - cx] !== 0 && hu[p - cx] > LESION_EDGE_HU) l = labels[p - cx];
        else if (labels[p + cx] !== 0 && hu[p + cx] > LESION_EDGE_HU) l = labels[p + cx];
        if (l !== 0) {
          add[x + cx * y] = l;
          any = true;
        }
      }
    }
    if (!any) continue;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const k = x + cx * y;
        if (add[k] === 0) continue;
        labels[off + k] = add[k];
        add[k] = 0;
      }
    }
  }
}

function meanFinite(a: Float64Array): number {
  let s = 0;
  let n = 0;
  for (const v of a) if (Number.isFinite(v)) { s += v; n++; }
  return n > 0 ? s / n : 0;
}

/**
 * The body on each slice = the largest non-air 2-D component, holes filled; `inside` marks it.
 * Also the body's centre and width (working pixels) per slice. Done on row runs: the body is a
 * few runs per row, and its holes are the non-body runs that never reach the slice border.
 */
function bodyPerSlice(
  hu: Float32Array,
  threshold: number,
  cx: number,
  cy: number,
  nz: number,
  inside: Uint8Array,
  enclosed: Uint8Array,
  centreX: Float64Array,
  centreY: Float64Array,
  width: Float64Array,
  cropped: { cut: Uint8Array; spacingMm: readonly [number, number] } | null,
): [number, number, number, number] | null {
  const plane = cx * cy;
  const body = new Uint8Array(plane);
  const cutLung = cropped === null ? null : new Uint8Array(plane);
  const scratch = cropped === null ? null : new Int32Array(plane);
  let ux0 = cx, uy0 = cy, ux1 = -1, uy1 = -1;
  for (let z = 0; z < nz; z++) {
    const off = plane * z;
    const tissue = labelThreshold(hu, cx, cy, 1, { threshold, below: false, offset: off });
    if (tissue.count === 0) continue;
    let best = 1;
    for (let l = 2; l <= tissue.count; l++) if (tissue.sizes[l] > tissue.sizes[best]) best = l;
    body.fill(0);
    paintRuns(tissue, cx, body, 1, best);
    fillHoles(body, cx, cy);
    if (cropped !== null && cutLung !== null && scratch !== null && cropped.cut[z]) {
      // a body cut by the image border: air bounded by it that runs into the border is lung too
      cutLung.fill(0);
      findBorderCutLungAir(hu, cx, cy, off, cutLung, scratch, { thresholdHu: threshold, spacingMm: cropped.spacingMm });
      let any = false;
      for (let k = 0; k < plane; k++) if (cutLung[k]) { body[k] = 1; any = true; }
      // the cut lungs' vessels and lesions are holes of the body now
      if (any) fillHoles(body, cx, cy);
    }
    const st = recordBody(body, hu, threshold, cx, cy, off, inside, enclosed);
    const { n, x0, x1, y0, y1 } = st;
    if (n > 0) {
      centreX[z] = st.sxs / n;
      centreY[z] = st.sys / n;
      width[z] = x1 - x0 + 1;
      if (x0 < ux0) ux0 = x0;
      if (x1 > ux1) ux1 = x1;
      if (y0 < uy0) uy0 = y0;
      if (y1 > uy1) uy1 = y1;
    }
  }
  return ux1 < 0 ? null : [ux0, uy0, ux1, uy1];
}

/**
 * Marks one slice's body (at `off`) in `inside` and its air in `enclosed`; returns its pixel count,
 * summed x and y and box. Its own function (called per slice): V8 compiles a hot loop on the spot,
 * and inside bodyPerSlice's single call this loop started in the interpreter.
 */
function recordBody(body: Uint8Array, hu: Float32Array, threshold: number, cx: number, cy: number, off: number, inside: Uint8Array, enclosed: Uint8Array): { n: number; sxs: number; sys: number; x0: number; x1: number; y0: number; y1: number } {
  let n = 0, sxs = 0, sys = 0, x0 = cx, x1 = -1, y0 = cy, y1 = -1;
  for (let y = 0; y < cy; y++) {
    const row = cx * y;
    let x = 0;
    while (x < cx) {
      while (x < cx && body[row + x] === 0) x++;
      if (x === cx) break;
      const a = x;
      while (x < cx && body[row + x] !== 0) x++;
      inside.fill(1, off + row + a, off + row + x);
      for (let k = off + row + a; k < off + row + x; k++) enclosed[k] = hu[k] < threshold ? 1 : 0;
      const len = x - a;
      n += len;
      sxs += ((a + x - 1) * len) / 2;
      sys += y * len;
      if (a < x0) x0 = a;
      if (x - 1 > x1) x1 = x - 1;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return { n, sxs, sys, x0, x1, y0, y1 };
}

/**
 * Which slices are cut through the body (cropped slices, cropped-slice.ts), or null when fewer than
 * half of them are: a whole-body scan whose arms or table touch the border on some slices keeps the
 * enclosed-air rule everywhere (its foam mattress is border air bounded by the body too). A single
 * slice needs SINGLE_CUT_BODY_BORDER_SHARE.
 */
function croppedSlices(hu: Float32Array, threshold: number, cx: number, cy: number, nz: number): Uint8Array | null {
  const cut = new Uint8Array(nz);
  let n = 0;
  // a single slice has no other slices to outvote a whole-body slice's arms and table
  const share = nz === 1 ? SINGLE_CUT_BODY_BORDER_SHARE : CUT_BODY_BORDER_SHARE;
  for (let z = 0; z < nz; z++) {
    if (tissueBorderShare(hu, cx, cy, cx * cy * z, threshold) >= share) {
      cut[z] = 1;
      n++;
    }
  }
  return 2 * n >= nz && n > 0 ? cut : null;
}

/**
 * Burned-in markers and text (burned-in.ts) are taken out of the enclosed air and out of what the
 * completion may add, so they can seed no lung and pull no hull completion into the chest wall.
 * Returns how many marker pixels lie inside the body on some slice.
 */
function dropBurnedIn(volume: Volume, grid: WorkingGrid, threshold: number, bodyBox: readonly [number, number, number, number] | null, inside: Uint8Array, enclosed: Uint8Array): number {
  if (bodyBox === null) return 0;
  const { f, cx, cy, nz } = grid;
  const [nx, ny] = volume.dims;
  const window = [bodyBox[0] * f, bodyBox[1] * f, (bodyBox[2] + 1) * f - 1, (bodyBox[3] + 1) * f - 1] as const;
  const found = findBurnedInAir(volume.data, volume.dims, { thresholdHu: threshold, window, pixelMm: [volume.spacingMm[0], volume.spacingMm[1]] });
  if (found === null) return 0;
  const overlay = found.mask;
  const plane = cx * cy;
  const blocks = new Uint8Array(plane);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) if (overlay[x + nx * y]) blocks[Math.floor(x / f) + cx * Math.floor(y / f)] = 1;
  }
  const hit = new Uint8Array(plane);
  for (let k = 0; k < plane; k++) {
    if (!blocks[k]) continue;
    for (let z = 0; z < nz; z++) {
      if (!inside[k + plane * z]) continue;
      // neither a seed nor a pixel that closing, hole filling or a bite may add
      enclosed[k + plane * z] = 0;
      inside[k + plane * z] = 0;
      hit[k] = 1;
    }
  }
  let pixels = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) if (found.core[x + nx * y] && hit[Math.floor(x / f) + cx * Math.floor(y / f)]) pixels++;
  }
  return pixels;
}

/** Sets to 1 the zero pixels that cannot reach the image border through zeros (4-connected). */
function fillHoles(mask: Uint8Array, width: number, height: number): void {
  const rest = labelRuns(mask, width, height, 1, { value: 0 });
  const open = new Uint8Array(rest.count + 1);
  for (let r = 0; r < rest.runs; r++) {
    if (rest.x0[r] === 0 || rest.x1[r] === width || rest.row[r] === 0 || rest.row[r] === height - 1) open[rest.label[r]] = 1;
  }
  for (let r = 0; r < rest.runs; r++) {
    if (open[rest.label[r]] === 0) mask.fill(1, width * rest.row[r] + rest.x0[r], width * rest.row[r] + rest.x1[r]);
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

function componentStats(rc: RunComponents, hu: Float32Array, dims: readonly [number, number, number], centreX: Float64Array): CompStats[] {
  const [cx, cy, nz] = dims;
  const st: CompStats[] = [];
  for (let l = 0; l <= rc.count; l++) st.push({ id: l, size: 0, sumX: 0, sumY: 0, sumZ: 0, sumHu: 0, lowX: 0, highX: 0, zMin: nz, zMax: -1 });
  for (let r = 0; r < rc.runs; r++) {
    const s = st[rc.label[r]];
    const row = rc.row[r];
    const y = row % cy;
    const z = (row - y) / cy;
    const a = rc.x0[r];
    const b = rc.x1[r];
    const len = b - a;
    const mid = Number.isFinite(centreX[z]) ? centreX[z] : cx / 2;
    s.size += len;
    s.sumX += ((a + b - 1) * len) / 2;
    s.sumY += y * len;
    s.sumZ += z * len;
    const base = cx * row;
    let sh = s.sumHu;
    for (let x = a; x < b; x++) sh += hu[base + x];
    s.sumHu = sh;
    // columns x < mid are the low side
    const low = Math.min(Math.max(Math.ceil(mid) - a, 0), len);
    s.lowX += low;
    s.highX += len - low;
    if (z < s.zMin) s.zMin = z;
    if (z > s.zMax) s.zMax = z;
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
  gasMeanHu: number,
  sideOf: (c: CompStats) => 1 | 2,
  warnings: string[],
  boxes: Int32Array,
): { lungs: number; splitByErosion: boolean } {
  const [cx, cy] = dims;
  const cc = labelRuns(lungAir, cx, cy, dims[2]);
  let stats = componentStats(cc, hu, dims, centreX);
  stats.sort((a, b) => b.size - a.size);
  const largest = stats[0]?.size ?? 0;
  const minSize = Math.max(MIN_LUNG_ML / voxelMl, MIN_LUNG_FRACTION * largest);
  stats = stats.filter((s) => s.size >= minSize && s.sumHu / s.size > gasMeanHu);
  if (stats.length === 0) return { lungs: 0, splitByErosion: false };
  let splitByErosion = false;
  const first = stats[0];
  const share = Math.min(first.lowX, first.highX) / first.size;
  const keep = new Map<number, 1 | 2>();
  let has1 = false;
  let has2 = false;
  if (share >= BOTH_SIDES_SHARE) {
    // both lungs in one component: separate them
    const split = splitJoinedLungs(cc, first.id, cx, cy, { maxErosions: MAX_SPLIT_EROSIONS, minPieceFraction: SPLIT_PIECE_FRACTION });
    if (split !== null) {
      splitByErosion = true;
      warnings.push('the two lungs touched (anterior/posterior junction) and were separated by erosion');
      const piece = (k: 0 | 1): CompStats => ({ ...split.pieces[k], id: k + 1, sumHu: 0, lowX: 0, highX: 0, zMin: 0, zMax: 0 });
      const s1 = sideOf(piece(0));
      const s2 = sideOf(piece(1));
      const a: 1 | 2 = s1 !== s2 ? s1 : 1;
      const b: 1 | 2 = a === 1 ? 2 : 1;
      const { parts, w, h, ox, oy, oz } = split;
      for (let r = 0; r < cc.runs; r++) {
        if (cc.label[r] !== first.id) continue;
        const row = cc.row[r];
        const y = row % cy;
        const z = (row - y) / cy;
        const src = w * (y - oy + h * (z - oz)) - ox;
        const dst = cx * row;
        let a0 = cx, a1 = -1, b0 = cx, b1 = -1;
        for (let x = cc.x0[r]; x < cc.x1[r]; x++) {
          const v = parts[src + x];
          if (v === 0) continue;
          if (v === 1) {
            out[dst + x] = a;
            if (x < a0) a0 = x;
            a1 = x;
          } else {
            out[dst + x] = b;
            if (x < b0) b0 = x;
            b1 = x;
          }
        }
        if (a1 >= 0) growBox(boxes, z, a, y, a0, a1);
        if (b1 >= 0) growBox(boxes, z, b, y, b0, b1);
      }
      has1 = has2 = true;
    } else {
      warnings.push('the two lungs could not be separated; they were split at the body midline');
      splitAtMidline(cc, first.id, out, dims, centreX, sideOf, boxes);
      has1 = has2 = true;
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
  const sideOfLabel = new Uint8Array(cc.count + 1);
  for (const [id, side] of keep) {
    sideOfLabel[id] = side;
    if (side === 1) has1 = true;
    else has2 = true;
  }
  for (let r = 0; r < cc.runs; r++) {
    const side = sideOfLabel[cc.label[r]];
    if (side === 0) continue;
    const row = cc.row[r];
    out.fill(side, cx * row + cc.x0[r], cx * row + cc.x1[r]);
    const y = row % cy;
    growBox(boxes, (row - y) / cy, side as 1 | 2, y, cc.x0[r], cc.x1[r] - 1);
  }
  if (!has1 || !has2) warnings.push(`only the ${has1 ? 'right' : 'left'} lung was found`);
  return { lungs: (has1 ? 1 : 0) + (has2 ? 1 : 0), splitByErosion };
}

function overlapsZ(a: CompStats, b: CompStats): boolean {
  return a.zMin <= b.zMax && b.zMin <= a.zMax;
}

/** Last resort: the component's voxels go to the side of the body centre line they lie on. */
function splitAtMidline(cc: RunComponents, id: number, out: Uint8Array, dims: readonly [number, number, number], centreX: Float64Array, sideOf: (c: CompStats) => 1 | 2, boxes: Int32Array): void {
  const [cx, cy, nz] = dims;
  // which image half is the patient's right: ask sideOf with a fake component on the low-x half
  const lowSide = sideOf({ id: 0, size: 1, sumX: 0, sumY: cy / 2, sumZ: nz / 2, sumHu: 0, lowX: 1, highX: 0, zMin: 0, zMax: 0 });
  const highSide: 1 | 2 = lowSide === 1 ? 2 : 1;
  for (let r = 0; r < cc.runs; r++) {
    if (cc.label[r] !== id) continue;
    const row = cc.row[r];
    const y = row % cy;
    const z = (row - y) / cy;
    const mid = Number.isFinite(centreX[z]) ? centreX[z] : cx / 2;
    // columns x < mid are the low side
    const a = cc.x0[r];
    const b = cc.x1[r];
    const c = Math.min(Math.max(Math.ceil(mid), a), b);
    if (c > a) {
      out.fill(lowSide, cx * row + a, cx * row + c);
      growBox(boxes, z, lowSide, y, a, c - 1);
    }
    if (b > c) {
      out.fill(highSide, cx * row + c, cx * row + b);
      growBox(boxes, z, highSide, y, c, b - 1);
    }
  }
}

/** Per slice and side, the bounding box (x0, y0, x1, y1) of the side's pixels: 8 numbers a slice. */
function emptyBoxes(nz: number, cx: number, cy: number): Int32Array {
  const boxes = new Int32Array(8 * nz);
  for (let k = 0; k < 2 * nz; k++) boxes.set([cx, cy, -1, -1], 4 * k);
  return boxes;
}

function growBox(boxes: Int32Array, z: number, side: 1 | 2, y: number, x0: number, x1: number): void {
  const k = 8 * z + 4 * (side - 1);
  if (x0 < boxes[k]) boxes[k] = x0;
  if (y < boxes[k + 1]) boxes[k + 1] = y;
  if (x1 > boxes[k + 2]) boxes[k + 2] = x1;
  if (y > boxes[k + 3]) boxes[k + 3] = y;
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
