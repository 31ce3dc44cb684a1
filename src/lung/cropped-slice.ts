/**
 * Body-cropped slices: the published COVID-19 slice datasets (COVID-SemiSeg, MedSeg) crop each axial
 * slice to the thorax, so the lungs run into the image border and little or no room air is left.
 * extract-lungs.ts calls lung only the air *enclosed* by the body; a lung cut by the border is not
 * enclosed and would be taken for the room.
 *
 * The cue used here is geometric, not a density (8-bit slices are windowed in many ways, and pure
 * air is clamped): room air lies between the body and the image border, so a large share of its
 * boundary is the image border (a ring round the body: ≈ 60 %; a corner sliver: ≈ 60 %), while a lung
 * cut by the border keeps most of its boundary against the chest wall and the mediastinum. A slice is
 * examined only when the body itself is cut by the border (tissue on a sizeable share of the image
 * border): a whole-body slice, with room air all round, is never touched.
 */
import { dilateDisk, erodeDisk, pixelDisk } from './disk-morphology.ts';
import { labelRuns, labelThreshold } from './run-labels.ts';

export interface CroppedSliceOptions {
  /** Air below this (HU / pseudo-HU) as in the extractor. */
  thresholdHu: number;
  /** Working pixel size (x, y) in mm. */
  spacingMm: readonly [number, number];
}

/**
 * A slice counts as cut through the body when tissue covers at least this share of its border
 * pixels; a whole-body slice touches the border at most with the table and an arm.
 */
export const CUT_BODY_BORDER_SHARE = 0.3;
/**
 * Border air whose boundary lies at most this much on the image border is bounded by the body: a
 * lung cut in half by the border has 2 / (2 + π) ≈ 0.39 of its boundary there, a corner sliver of
 * room air ≈ 0.59, the ring round a whole body ≈ 0.6.
 */
export const MAX_LUNG_BORDER_SHARE = 0.45;
/**
 * Where the chest wall itself is cut away, a lung and a corner of room air meet along the border in
 * a thin strip: opening by these radii (mm) parts them, and the pieces are judged again.
 */
const PART_RADII_MM = [4, 8] as const;
/** A border-cut lung piece is at least this large (mm²; a lung on a mid-chest slice is ≥ 50 cm²). */
export const MIN_CUT_LUNG_MM2 = 400;

export interface BorderAir {
  /** Pixels of the component. */
  size: number;
  /** Its pixels on the image border, and its boundary pixels (border ones included). */
  borderPixels: number;
  boundaryPixels: number;
  /** Mean HU. */
  meanHu: number;
  /** Whether it is taken for a lung cut by the border. */
  lung: boolean;
}


/**
 * On one slice of `hu` (width × height at `offset`), marks in `out` (same layout, 1 = lung air cut by
 * the border) the border-touching air that is bounded by the body rather than lying outside it.
 * `scratch` is a width × height Int32Array reused between slices.
 */
/** Share of the slice's border pixels (slice `hu` at `offset`, width × height) at or above `thresholdHu`. */
export function tissueBorderShare(hu: Float32Array, width: number, height: number, offset: number, thresholdHu: number): number {
  let tissue = 0;
  let border = 0;
  const at = (k: number) => {
    border++;
    if (hu[offset + k] >= thresholdHu) tissue++;
  };
  for (let x = 0; x < width; x++) {
    at(x);
    if (height > 1) at(x + width * (height - 1));
  }
  for (let y = 1; y < height - 1; y++) {
    at(width * y);
    if (width > 1) at(width * y + width - 1);
  }
  return border > 0 ? tissue / border : 0;
}

/**
 * On one slice of `hu` (width × height at `offset`), marks in `out` (width × height, 1 = lung air
 * cut by the border) the border-touching air that is bounded by the body rather than lying outside
 * it. `scratch` is a width × height Int32Array reused between slices. The caller decides whether the
 * slice is cut through the body (tissueBorderShare); this only sorts its border air.
 */
export function findBorderCutLungAir(
  hu: Float32Array,
  width: number,
  height: number,
  offset: number,
  out: Uint8Array,
  scratch: Int32Array,
  options: CroppedSliceOptions,
): BorderAir[] {
  const t = options.thresholdHu;
  const found: BorderAir[] = [];
  const air = labelThreshold(hu, width, height, 1, { threshold: t, below: true, offset });
  if (air.count === 0) return found;
  const label = scratch;
  label.fill(0, 0, width * height);
  for (let r = 0; r < air.runs; r++) label.fill(air.label[r], width * air.row[r] + air.x0[r], width * air.row[r] + air.x1[r]);
  const n = air.count + 1;
  const borderPx = new Int32Array(n);
  const boundaryPx = new Int32Array(n);
  const sumHu = new Float64Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = x + width * y;
      const l = label[k];
      if (l === 0) continue;
      sumHu[l] += hu[offset + k];
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) {
        borderPx[l]++;
        boundaryPx[l]++;
      } else if (label[k - 1] !== l || label[k + 1] !== l || label[k - width] !== l || label[k + width] !== l) {
        boundaryPx[l]++;
      }
    }
  }
  const minPixels = MIN_CUT_LUNG_MM2 / (options.spacingMm[0] * options.spacingMm[1]);
  const isLung = new Uint8Array(n);
  const parted: number[] = [];
  for (let l = 1; l < n; l++) {
    if (borderPx[l] === 0) continue;
    const size = air.sizes[l];
    const lung = size >= minPixels && borderPx[l] <= MAX_LUNG_BORDER_SHARE * boundaryPx[l];
    if (lung) isLung[l] = 1;
    else if (size >= minPixels) parted.push(l);
    found.push({ size, borderPixels: borderPx[l], boundaryPixels: boundaryPx[l], meanHu: sumHu[l] / size, lung });
  }
  for (let r = 0; r < air.runs; r++) {
    if (isLung[air.label[r]]) out.fill(1, width * air.row[r] + air.x0[r], width * air.row[r] + air.x1[r]);
  }
  for (const l of parted) partLungFromRoomAir(label, l, width, height, minPixels, options.spacingMm, out);
  return found;
}

/** Share of a mask's boundary pixels on the image border, and its size. */
function borderShare(mask: Uint8Array, width: number, height: number): { share: number; size: number } {
  let border = 0, boundary = 0, size = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = x + width * y;
      if (!mask[k]) continue;
      size++;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) {
        border++;
        boundary++;
      } else if (!mask[k - 1] || !mask[k + 1] || !mask[k - width] || !mask[k + width]) boundary++;
    }
  }
  return { share: boundary > 0 ? border / boundary : 1, size };
}

/**
 * Border air `l` (in the `label` image) that as a whole lies on the border like room air: opened
 * by PART_RADII_MM, each large piece is grown back inside it and kept as lung when it is bounded by
 * the body (MAX_LUNG_BORDER_SHARE).
 */
function partLungFromRoomAir(label: Int32Array, l: number, width: number, height: number, minPixels: number, spacingMm: readonly [number, number], out: Uint8Array): void {
  const n = width * height;
  const comp = new Uint8Array(n);
  for (let k = 0; k < n; k++) comp[k] = label[k] === l ? 1 : 0;
  const core = new Uint8Array(n);
  const piece = new Uint8Array(n);
  const grown = new Uint8Array(n);
  for (const radiusMm of PART_RADII_MM) {
    const disk = pixelDisk(spacingMm, radiusMm);
    erodeDisk(comp, width, height, disk, core);
    const pieces = labelRuns(core, width, height, 1);
    if (pieces.count < 1) return;
    let kept = false;
    for (let p = 1; p <= pieces.count; p++) {
      if (2 * pieces.sizes[p] < minPixels) continue;
      piece.fill(0);
      for (let r = 0; r < pieces.runs; r++) if (pieces.label[r] === p) piece.fill(1, width * pieces.row[r] + pieces.x0[r], width * pieces.row[r] + pieces.x1[r]);
      dilateDisk(piece, width, height, pixelDisk(spacingMm, radiusMm + Math.max(spacingMm[0], spacingMm[1])), grown);
      for (let k = 0; k < n; k++) grown[k] &= comp[k];
      const { share, size } = borderShare(grown, width, height);
      if (size < minPixels || share > MAX_LUNG_BORDER_SHARE) continue;
      for (let k = 0; k < n; k++) if (grown[k]) out[k] = 1;
      kept = true;
    }
    if (kept) return;
  }
}
