/**
 * How a candidate cube becomes classifier patches (§2.2, §2.4). One spec is used by the dataset
 * exporter and by screening, and the training command copies it into the model card, so training
 * and inference can never preprocess differently.
 */
import { LUNG_WINDOW_HU } from '../core/constants.ts';
import type { ClassifierCard } from '../models/model-card.ts';

export interface PatchSpec {
  /** Side of the square patch fed to the network, pixels. */
  sizePx: number;
  /** Image channels; 1 = the lung window of the patch's own slice. */
  channels: number;
  /** Display window the HU values are clipped to before scaling to [0, 1]. */
  windowHu: { centerHu: number; widthHu: number };
  /** Normalised values are rounded to 1/greyLevels steps (see PATCH_GREY_LEVELS). */
  greyLevels: number;
  /** Fixed margin added on every side of the candidate box before cropping, mm (§2.4). */
  marginMm: number;
  /** Smallest crop side, mm, so a tiny candidate still shows its surroundings. */
  minCropMm: number;
  /** Axial slices taken per cube, as offsets from its centre slice (§2.2: centre + two neighbours). */
  sliceOffsets: readonly number[];
}

/** 64 × 64 patches (issue 5): large enough for a ground-glass focus plus context, fast on 2 cores. */
export const CLASSIFIER_PATCH_SIZE_PX = 64;
/**
 * Every patch is quantised to the 255 grey steps of an 8-bit lung-window image. Much public COVID
 * CT exists only as such images (Radiopaedia, COVID-SemiSeg); quantising DICOM HU patches the same
 * way keeps the network from telling the sources apart by their grey-level precision.
 */
export const PATCH_GREY_LEVELS = 255;
/** 8 mm each side: about a sub-segmental airway/vessel's width of context around the focus. */
export const PATCH_MARGIN_MM = 8;
/** 32 mm: a secondary pulmonary lobule is 10–25 mm, so a small focus is seen with its lobule. */
export const PATCH_MIN_CROP_MM = 32;
export const PATCH_SLICE_OFFSETS: readonly number[] = [-1, 0, 1];

export const DEFAULT_PATCH_SPEC: PatchSpec = {
  sizePx: CLASSIFIER_PATCH_SIZE_PX,
  channels: 1,
  windowHu: { centerHu: LUNG_WINDOW_HU.center, widthHu: LUNG_WINDOW_HU.width },
  greyLevels: PATCH_GREY_LEVELS,
  marginMm: PATCH_MARGIN_MM,
  minCropMm: PATCH_MIN_CROP_MM,
  sliceOffsets: PATCH_SLICE_OFFSETS,
};

/** The patch spec a classifier was trained with, read back from its card (checked when the card was parsed). */
export function patchSpecFromCard(card: ClassifierCard): PatchSpec {
  const inp = card.input;
  return { sizePx: inp.patchSizePx[0], channels: inp.channels.length, windowHu: inp.channels[0].windowHu, greyLevels: inp.greyLevels, marginMm: inp.marginMm, minCropMm: inp.minCropMm, sliceOffsets: inp.sliceOffsets };
}
