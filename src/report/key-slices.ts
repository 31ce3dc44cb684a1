/**
 * The key axial slices of a screening report: which slices to show, and the pictures themselves
 * (lung-window image, lung contours, candidate outlines and boxes coloured by the region's voted
 * class), built on render-slice.ts.
 *
 *   regionSliceAreas(labels, dims, regions): Int32Array              voxels of each region on each slice (inside its box)
 *   chooseKeySlices(options): number[]                                slices to show, superior first
 *   renderKeySlice(options, z, crop?): KeySliceFigure                 one PNG + the overlay labels
 *   classColours(classes): Record<string, Rgb>                        colour of each class label
 *
 * Pictures are shown the radiological way: patient's right on the viewer's left, anterior at the top.
 * The image is flipped when the volume's columns or rows run the other way (direction cosines), so a
 * mirrored NIfTI is never shown with the sides swapped.
 */
import { maskBounds } from '../core/ndimage/mask-bounds.ts';
import type { ClassList } from '../core/report-schema.ts';
import type { Box3, Volume } from '../core/volume.ts';
import { voxelToPatient } from '../core/volume.ts';
import { OVERLAY_COLOURS, axialSlice, drawContours, drawRect, encodePng, renderSlice, type Rgb, type SliceImage } from './render-slice.ts';

/** At most this many key slices in a report: enough to show multifocal disease, few enough to read. */
export const MAX_KEY_SLICES = 4;
/** Two key slices closer than this show nearly the same anatomy, mm. */
export const MIN_KEY_SLICE_GAP_MM = 15;
/** Context kept around the lungs when cropping the pictures, mm. */
export const KEY_SLICE_MARGIN_MM = 15;
/** Pictures are enlarged (integer factor) until at least this wide, pixels. */
export const KEY_SLICE_MIN_WIDTH_PX = 420;
const MAX_SCALE = 4;

/** Infection classes get strong warm colours in class-list order; the rest a muted green. */
const INFECTION_PALETTE: readonly Rgb[] = [
  [255, 64, 64],
  [255, 64, 255],
  [255, 150, 0],
  [170, 110, 255],
];
const NON_INFECTION_COLOUR: Rgb = [120, 220, 120];

export function classColours(classes: Pick<ClassList, 'labels' | 'infectionLabels'>): Record<string, Rgb> {
  const out: Record<string, Rgb> = {};
  for (const l of classes.labels) {
    const i = classes.infectionLabels.indexOf(l);
    out[l] = i >= 0 ? INFECTION_PALETTE[i % INFECTION_PALETTE.length] : NON_INFECTION_COLOUR;
  }
  return out;
}

/** A candidate region as the pictures need it. */
export interface OverlayRegion {
  id: string;
  /** Value of this region in the candidate label volume. */
  labelValue: number;
  /** Bounds every voxel of `labelValue` (the candidate stage's tight boxes); key slices count areas inside the boxes only. */
  box: Box3;
  voteLabel: string;
  kept: boolean;
  confidence: number;
}

export interface KeySliceOptions {
  volume: Volume;
  /** 0 none, 1 right lung, 2 left lung; null when no lungs were found. */
  lungMask: Uint8Array | null;
  /** Candidate labels on the volume grid (0 none, k = region with labelValue k); null without candidates. */
  candidateLabels: Uint32Array | null;
  regions: readonly OverlayRegion[];
  classes: Pick<ClassList, 'labels' | 'infectionLabels'>;
  maxSlices?: number;
}

export interface OverlayLabel {
  text: string;
  /** Position of the label's anchor (box top-left) in percent of the picture's width / height. */
  xPercent: number;
  yPercent: number;
  colour: Rgb;
}

export interface KeySliceFigure {
  sliceIndex: number;
  /** Patient S coordinate of the slice centre, mm. */
  zMm: number;
  png: Buffer;
  width: number;
  height: number;
  labels: OverlayLabel[];
  /** Which patient side is at each picture edge; null when the volume is oblique. */
  orientation: { left: string; right: string; top: string; bottom: string } | null;
  /** Ids of the regions drawn on this slice. */
  regionIds: string[];
}

/**
 * areas[labelValue · nz + z] = voxels of each region's label on slice z, counted inside the region's
 * own box (which bounds every voxel of its label, OverlayRegion.box), as labelsForNifti reads them:
 * P001's 56 region boxes hold about 1 % of its 39 M voxels. Boxes are clipped to the volume.
 */
export function regionSliceAreas(labels: Uint32Array, dims: readonly [number, number, number], regions: readonly Pick<OverlayRegion, 'labelValue' | 'box'>[]): Int32Array {
  const [nx, ny, nz] = dims;
  const maxLabel = regions.reduce((m, r) => Math.max(m, r.labelValue), 0);
  const areas = new Int32Array((maxLabel + 1) * nz);
  for (const { labelValue: l, box } of regions) {
    const [x0, y0, z0] = box.min.map((v) => Math.max(0, v));
    const x1 = Math.min(nx - 1, box.max[0]);
    const y1 = Math.min(ny - 1, box.max[1]);
    const z1 = Math.min(nz - 1, box.max[2]);
    for (let z = z0; z <= z1; z++) {
      let c = 0;
      for (let y = y0; y <= y1; y++) {
        for (let i = x0 + nx * (y + ny * z), end = i + x1 - x0 + 1; i < end; i++) if (labels[i] === l) c++;
      }
      areas[l * nz + z] = c;
    }
  }
  return areas;
}

function sliceZMm(volume: Volume, z: number): number {
  return voxelToPatient(volume, [0, 0, z])[2];
}

/**
 * Key slices: for each infection-voted region, largest first, the slice where it is largest, unless a
 * chosen slice is within MIN_KEY_SLICE_GAP_MM. Without kept regions, the slices of the largest
 * dropped regions (what was looked at); without any region, the slice with the most lung. Returned
 * superior (head) first, as a radiologist scrolls.
 */
export function chooseKeySlices(options: KeySliceOptions): number[] {
  const { volume, lungMask, candidateLabels, regions } = options;
  const max = options.maxSlices ?? MAX_KEY_SLICES;
  const nz = volume.dims[2];
  const chosen: number[] = [];
  const gapOk = (z: number) => chosen.every((c) => Math.abs(sliceZMm(volume, c) - sliceZMm(volume, z)) >= MIN_KEY_SLICE_GAP_MM);
  if (candidateLabels && regions.length > 0) {
    const areas = regionSliceAreas(candidateLabels, volume.dims, regions);
    const total = (r: OverlayRegion) => {
      let s = 0;
      for (let z = 0; z < nz; z++) s += areas[r.labelValue * nz + z];
      return s;
    };
    const bestSlice = (r: OverlayRegion) => {
      let best = Math.round((r.box.min[2] + r.box.max[2]) / 2);
      for (let z = r.box.min[2]; z <= r.box.max[2]; z++) if (areas[r.labelValue * nz + z] > areas[r.labelValue * nz + best]) best = z;
      return best;
    };
    const kept = regions.filter((r) => r.kept);
    const pool = (kept.length > 0 ? kept : regions).map((r) => ({ r, size: total(r) })).sort((a, b) => b.size - a.size);
    const limit = kept.length > 0 ? max : Math.min(2, max);
    for (const { r } of pool) {
      if (chosen.length >= limit) break;
      const z = bestSlice(r);
      if (gapOk(z)) chosen.push(z);
    }
  }
  if (chosen.length === 0) {
    let best = Math.floor(nz / 2);
    if (lungMask) {
      const plane = volume.dims[0] * volume.dims[1];
      let bestCount = -1;
      for (let z = 0; z < nz; z++) {
        let c = 0;
        for (let i = z * plane, end = i + plane; i < end; i++) if (lungMask[i] !== 0) c++;
        if (c > bestCount) {
          bestCount = c;
          best = z;
        }
      }
    }
    chosen.push(best);
  }
  return chosen.sort((a, b) => sliceZMm(volume, b) - sliceZMm(volume, a));
}

/** In-plane crop (voxels, inclusive) around the lungs with a margin; the whole slice without lungs. */
export function displayCrop(volume: Volume, lungMask: Uint8Array | null): { x0: number; y0: number; x1: number; y1: number } {
  const [nx, ny] = volume.dims;
  const b = lungMask ? maskBounds(lungMask, volume.dims) : null;
  if (!b) return { x0: 0, y0: 0, x1: nx - 1, y1: ny - 1 };
  const mx = Math.round(KEY_SLICE_MARGIN_MM / volume.spacingMm[0]);
  const my = Math.round(KEY_SLICE_MARGIN_MM / volume.spacingMm[1]);
  return { x0: Math.max(0, b.min[0] - mx), y0: Math.max(0, b.min[1] - my), x1: Math.min(nx - 1, b.max[0] + mx), y1: Math.min(ny - 1, b.max[1] + my) };
}

/** Flips that bring the picture to the radiological view, or null for an oblique volume. */
function displayFlips(volume: Volume): { flipX: boolean; flipY: boolean } | null {
  const d = volume.direction;
  // column j of the row-major direction matrix is the LPS direction of voxel axis j
  const colX = [d[0], d[3], d[6]];
  const colY = [d[1], d[4], d[7]];
  const axisAligned = (c: number[], k: number) => Math.abs(Math.abs(c[k]) - 1) < 1e-3;
  if (!axisAligned(colX, 0) || !axisAligned(colY, 1)) return null;
  // radiological: patient right (L = −) on the viewer's left, so x must run towards +L; anterior (P = −) on top, so y towards +P
  return { flipX: colX[0] < 0, flipY: colY[1] < 0 };
}

function cropAndFlip(img: SliceImage, crop: { x0: number; y0: number; x1: number; y1: number }, flips: { flipX: boolean; flipY: boolean }): SliceImage {
  const s = img.scale;
  const w = (crop.x1 - crop.x0 + 1) * s;
  const h = (crop.y1 - crop.y0 + 1) * s;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = crop.y0 * s + (flips.flipY ? h - 1 - y : y);
    for (let x = 0; x < w; x++) {
      const sx = crop.x0 * s + (flips.flipX ? w - 1 - x : x);
      const si = 3 * (sx + img.width * sy);
      const di = 3 * (x + w * y);
      out[di] = img.data[si];
      out[di + 1] = img.data[si + 1];
      out[di + 2] = img.data[si + 2];
    }
  }
  return { width: w, height: h, scale: s, data: out };
}

/**
 * One key slice picture with its overlay labels. `crop` (displayCrop's, the same for every slice of
 * a report) can be given by a caller rendering several slices: it costs a pass over the lung mask.
 */
export function renderKeySlice(options: KeySliceOptions, z: number, crop = displayCrop(options.volume, options.lungMask)): KeySliceFigure {
  const { volume, lungMask, candidateLabels, regions, classes } = options;
  const [nx, ny] = volume.dims;
  const cropW = crop.x1 - crop.x0 + 1;
  const scale = Math.max(1, Math.min(MAX_SCALE, Math.ceil(KEY_SLICE_MIN_WIDTH_PX / cropW)));
  const img = renderSlice(volume, z, { scale });
  const thin = Math.max(1, Math.round(scale / 2));
  if (lungMask) drawContours(img, axialSlice(lungMask, volume.dims, z), { 1: OVERLAY_COLOURS.rightLung, 2: OVERLAY_COLOURS.leftLung }, thin);
  const colours = classColours(classes);
  const onSlice = regions.filter((r) => z >= r.box.min[2] && z <= r.box.max[2]);
  if (candidateLabels && onSlice.length > 0) {
    // outline each region's voxels in its class colour: value = class index + 1 on a slice-sized map
    const map = new Uint8Array(nx * ny);
    const classOf = new Map(onSlice.map((r) => [r.labelValue, classes.labels.indexOf(r.voteLabel) + 1]));
    const src = candidateLabels.subarray(z * nx * ny, (z + 1) * nx * ny);
    for (let i = 0; i < map.length; i++) if (src[i] !== 0) map[i] = classOf.get(src[i]) ?? 0;
    const byIndex: Record<number, Rgb> = {};
    classes.labels.forEach((l, i) => (byIndex[i + 1] = colours[l]));
    drawContours(img, map, byIndex, 1);
  }
  // dropped first so that infection-voted boxes are drawn on top
  const ordered = [...onSlice].sort((a, b) => Number(a.kept) - Number(b.kept));
  for (const r of ordered) {
    drawRect(img, { x0: r.box.min[0] - 1, y0: r.box.min[1] - 1, x1: r.box.max[0] + 1, y1: r.box.max[1] + 1 }, colours[r.voteLabel] ?? NON_INFECTION_COLOUR, r.kept ? thin + 1 : 1);
  }
  const flips = displayFlips(volume) ?? { flipX: false, flipY: false };
  const shown = cropAndFlip(img, crop, flips);
  const cropH = crop.y1 - crop.y0 + 1;
  // only infection-voted regions are named on the picture: ignored ones are thin boxes (and listed in the table)
  const labels: OverlayLabel[] = ordered.filter((r) => r.kept).map((r) => {
    // the label sits at the box's top-left corner as seen on screen
    const left = flips.flipX ? crop.x1 - (r.box.max[0] + 1) : r.box.min[0] - 1 - crop.x0;
    const top = flips.flipY ? crop.y1 - (r.box.max[1] + 1) : r.box.min[1] - 1 - crop.y0;
    return { text: r.id, xPercent: (100 * Math.max(0, left)) / cropW, yPercent: (100 * Math.max(0, top)) / cropH, colour: colours[r.voteLabel] ?? NON_INFECTION_COLOUR };
  });
  const oriented = displayFlips(volume) !== null;
  return {
    sliceIndex: z,
    zMm: sliceZMm(volume, z),
    png: encodePng(shown),
    width: shown.width,
    height: shown.height,
    labels,
    orientation: oriented ? { left: 'R', right: 'L', top: 'A', bottom: 'P' } : null,
    regionIds: ordered.map((r) => r.id),
  };
}
