/**
 * Takes back what the per-slice completion filled of an abdominal organ bulging into a lung base.
 * On one axial slice the liver dome, stomach or spleen under a hemidiaphragm is a hole in the lung or a
 * deep hull deficit, just like a central or juxtapleural lesion (costal-completion.ts). Along z they
 * differ: an organ rises from below — on the slice towards the feet the filled region lies on tissue
 * left out of the lung, and it narrows upwards — while a lesion has lung (air, or its own filled part)
 * below it. Slices are walked from the feet up; a large filled region that mostly lies on unfilled
 * tissue below is recognised as an organ, and the filled regions above that lie on what was taken
 * back, no wider than it and no more than a dome's height above, go with it.
 */
import { type RunComponents, labelWindow } from './run-labels.ts';

export interface RisingOrganOptions {
  /** Working-grid dims [x, y, z] and voxel size (mm). */
  dims: readonly [number, number, number];
  spacingMm: readonly [number, number, number];
  /** Index step towards the feet (−1: slice 0 is the most caudal). */
  caudalStep: -1 | 1;
  /** Per slice (x0, y0, x1, y1, inclusive), a window holding every lung pixel. */
  boxes: Int32Array;
}

/** Denser than this and left out of the lung below: liver, stomach wall, spleen, subdiaphragmatic fat. */
const ORGAN_TISSUE_HU = -200;
/** A filled region belongs to an organ when more than this share of it lies on the organ below. */
const ON_ORGAN_SHARE = 0.5;
/**
 * An organ is first recognised where its filled cross-section is at least this large (mm²): the lung
 * base narrows towards the feet, so the small fills along its edge (closing, rim) and a lesion whose
 * lower part was left out lie on tissue too.
 */
export const ORGAN_SEED_AREA_MM2 = 1000;
/** Smaller filled regions (vessels, a blurred pleural line) are never taken back (mm²). */
const MIN_AREA_MM2 = 20;
/**
 * A dome is followed upwards at most this far (mm) above where it was recognised: the liver or
 * stomach rises ≈ 1–2 cm into a lung that encloses it; a lesion lying on it must not be cut away
 * slice after slice up the lung.
 */
const MAX_HEIGHT_MM = 20;
/** A dome narrows upwards: a region wider than this multiple of what was taken back below is a lesion on it. */
const MAX_WIDENING = 1.1;

let fresh = new Uint8Array(0);

/**
 * `labels` after the per-slice completion, `before` the same labels before it; `allowed`/`hu` as in
 * the completion. Clears the organ pixels in `labels`; returns how many.
 */
export function takeBackRisingOrgans(labels: Uint8Array, before: Uint8Array, allowed: Uint8Array, hu: Float32Array, options: RisingOrganOptions): number {
  const [cx, cy, nz] = options.dims;
  const plane = cx * cy;
  const [sx, sy, sz] = options.spacingMm;
  const minPx = MIN_AREA_MM2 / (sx * sy);
  const seedPx = ORGAN_SEED_AREA_MM2 / (sx * sy);
  if (fresh.length < plane) fresh = new Uint8Array(plane);
  // per pixel, how high (mm, a seed counts as 1 so that 0 means none) the organ taken back there reaches
  let below = new Float32Array(plane);
  let here = new Float32Array(plane);
  let removed = 0;
  const step = options.caudalStep;
  for (let k = 0; k < nz; k++) {
    const z = step === -1 ? k : nz - 1 - k;
    const zc = z + step;
    here.fill(0);
    if (zc >= 0 && zc < nz && options.boxes[4 * z + 2] >= 0) removed += takeBackSlice(labels, before, allowed, hu, below, here, plane * z, plane * zc, cx, options.boxes.subarray(4 * z, 4 * z + 4), minPx, seedPx, sz, true);
    [below, here] = [here, below];
  }
  return removed;
}

/**
 * Organ seeds (pixels) found when walking the slices with caudal step `step`, nothing changed: with no
 * slice direction known (8-bit image stacks), the domes appear only when walked from the feet.
 */
export function organSeedPixels(labels: Uint8Array, before: Uint8Array, allowed: Uint8Array, hu: Float32Array, options: RisingOrganOptions): number {
  const [cx, cy, nz] = options.dims;
  const plane = cx * cy;
  const [sx, sy, sz] = options.spacingMm;
  if (fresh.length < plane) fresh = new Uint8Array(plane);
  const none = new Float32Array(plane);
  let seeds = 0;
  for (let z = 0; z < nz; z++) {
    const zc = z + options.caudalStep;
    if (zc >= 0 && zc < nz && options.boxes[4 * z + 2] >= 0) seeds += takeBackSlice(labels, before, allowed, hu, none, none, plane * z, plane * zc, cx, options.boxes.subarray(4 * z, 4 * z + 4), Infinity, ORGAN_SEED_AREA_MM2 / (sx * sy), sz, false);
  }
  return seeds;
}

function takeBackSlice(labels: Uint8Array, before: Uint8Array, allowed: Uint8Array, hu: Float32Array, below: Float32Array, here: Float32Array, off: number, offCaudal: number, width: number, box: Int32Array, minPx: number, seedPx: number, sliceMm: number, apply: boolean): number {
  const window = [box[0], box[1], box[2], box[3]] as const;
  const y0 = window[1];
  const belowArea = markFresh(labels, before, below, off, width, window);
  if (belowArea < 0) return 0;
  const cc = labelWindow(fresh, width, window, { value: 1, eight: true });
  const onTissue = new Float64Array(cc.count + 1);
  const onOrgan = new Float64Array(cc.count + 1);
  const height = new Float64Array(cc.count + 1);
  countSupport(cc, labels, allowed, hu, below, offCaudal, width, y0, sliceMm, onTissue, onOrgan, height);
  let count = 0;
  for (let r = 0; r < cc.runs; r++) {
    const l = cc.label[r];
    const size = cc.sizes[l];
    const seed = size >= seedPx && onTissue[l] > ON_ORGAN_SHARE * size;
    const grows = size >= minPx && onOrgan[l] > ON_ORGAN_SHARE * size && size <= MAX_WIDENING * belowArea;
    if (!seed && !grows) continue;
    if (!apply) {
      if (seed) count += cc.x1[r] - cc.x0[r];
      continue;
    }
    const base = width * (cc.row[r] + y0);
    labels.fill(0, off + base + cc.x0[r], off + base + cc.x1[r]);
    here.fill(seed ? 1 : height[l] + sliceMm, base + cc.x0[r], base + cc.x1[r]);
    count += cc.x1[r] - cc.x0[r];
  }
  return count;
}

/*
 * takeBackSlice's per-pixel loops, each in a function of its own: V8 compiles a hot loop on the spot
 * (on-stack replacement), and code of the same function that had not run by then dropped to the
 * interpreter on later slices (see costal-completion.ts).
 */

/**
 * fresh = the pixels the completion added on this slice, inside `window`; returns how many pixels of
 * the window were taken back on the slice below, or −1 when the completion added nothing here.
 */
function markFresh(labels: Uint8Array, before: Uint8Array, below: Float32Array, off: number, width: number, window: readonly [number, number, number, number]): number {
  const [x0, y0, x1, y1] = window;
  let any = false;
  let belowArea = 0;
  for (let y = y0; y <= y1; y++) {
    for (let i = x0 + width * y; i <= x1 + width * y; i++) {
      if (below[i] > 0) belowArea++;
      const v = labels[off + i] !== 0 && before[off + i] === 0 ? 1 : 0;
      fresh[i] = v;
      if (v === 1) any = true;
    }
  }
  return any ? belowArea : -1;
}

/** Per added region: pixels over tissue of the slice below, pixels over an organ taken back there, and that organ's height. */
function countSupport(cc: RunComponents, labels: Uint8Array, allowed: Uint8Array, hu: Float32Array, below: Float32Array, offCaudal: number, width: number, y0: number, sliceMm: number, onTissue: Float64Array, onOrgan: Float64Array, height: Float64Array): void {
  for (let r = 0; r < cc.runs; r++) {
    const l = cc.label[r];
    const base = width * (cc.row[r] + y0);
    for (let i = base + cc.x0[r]; i < base + cc.x1[r]; i++) {
      const q = offCaudal + i;
      // what was taken back below is not "tissue" for a new seed: a lesion on a dome would be one
      if (below[i] === 0 && labels[q] === 0 && allowed[q] === 1 && hu[q] > ORGAN_TISSUE_HU) onTissue[l]++;
      else if (below[i] > 0 && below[i] + sliceMm <= MAX_HEIGHT_MM + 1) {
        onOrgan[l]++;
        if (below[i] > height[l]) height[l] = below[i];
      }
    }
  }
}
