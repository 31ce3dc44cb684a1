/**
 * Lung mask of one body-cropped 8-bit COVID-SemiSeg slice, for the dataset exporter only.
 *
 * Why not the lung stage: `extractLungs` finds the body as everything enclosed by outside air, and
 * COVID-SemiSeg slices are cropped to the body, so it finds no lungs on most of them (measured on
 * the first 40 files of each folder: 24 of 40 MedSeg doctor slices and 40 of 40 pseudo-label
 * slices throw NO_LUNGS). Screening never sees such slices (it reads whole CT series), so this mask
 * serves only to place irrelevant boxes and the distance-from-edge of COVID-SemiSeg patches; the
 * distance itself is the lung stage's (`volumeEdgeDistance`), the one screening uses.
 *
 * Per slice: pixels below LUNG_AIR_MAX_HU not connected to the image border (outside air), the
 * largest components kept, holes (vessels, lesions) filled.
 */
import { fillHoles2d, floodFromBorder2d, label2d } from '../core/ndimage/morphology.ts';
import type { Volume } from '../core/volume.ts';

/** Aerated lung is below about −400 HU (the lung stage's air threshold); soft tissue and consolidation are above. */
export const LUNG_AIR_MAX_HU = -400;
/** A lung component smaller than this on a slice is noise (trachea fragments, bowel gas), mm². */
export const MIN_LUNG_COMPONENT_MM2 = 150;
/** Two lungs, at most a few pieces each near apex / base. */
const MAX_COMPONENTS_PER_SLICE = 4;

/** 1 = lung, zyx order, on the slice's grid. */
export function imageSliceLungMask(volume: Volume): Uint8Array {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  const [sx, sy] = volume.spacingMm;
  const mask = new Uint8Array(plane * nz);
  const wall = new Uint8Array(plane);
  const outside = new Uint8Array(plane);
  const cand = new Uint8Array(plane);
  const minPx = MIN_LUNG_COMPONENT_MM2 / (sx * sy);
  for (let z = 0; z < nz; z++) {
    const base = z * plane;
    for (let i = 0; i < plane; i++) wall[i] = volume.data[base + i] > LUNG_AIR_MAX_HU ? 1 : 0;
    floodFromBorder2d(wall, nx, ny, outside);
    for (let i = 0; i < plane; i++) cand[i] = wall[i] === 0 && outside[i] === 0 ? 1 : 0;
    const cc = label2d(cand, nx, ny, { connectivity: 8 });
    const order = Array.from({ length: cc.count }, (_, k) => k + 1).sort((a, b) => cc.sizes[b] - cc.sizes[a]);
    const keep = new Uint8Array(cc.count + 1);
    for (const k of order.slice(0, MAX_COMPONENTS_PER_SLICE)) if (cc.sizes[k] >= minPx) keep[k] = 1;
    for (let i = 0; i < plane; i++) mask[base + i] = keep[cc.labels[i]];
    fillHoles2d(mask, nx, ny, 1, base);
  }
  return mask;
}
