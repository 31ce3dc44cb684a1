/**
 * Can this volume be screened as a chest CT at all? A read that succeeded does not mean the values
 * are CT: a NIfTI of random numbers or an MR reads fine and, screened, would find no lungs or no
 * candidates and come out "no infection" — a silent wrong answer. Such a case is *not screened*
 * (report decision 'not_screened' with the reason), which is never "no infection".
 *
 *   notScreenableReason(volume): string | null     null when the volume can be screened
 */
import type { Volume } from '../core/volume.ts';

/** Air (outside the body, lungs, airways) in HU; CT air is ≈ −1000 HU, aerated lung −900…−700. */
export const AIR_BAND_HU = { min: -1100, max: -700 } as const;
/** Soft tissue and fluid in HU (muscle, blood, organs, fat ≈ −100). */
export const SOFT_TISSUE_BAND_HU = { min: -200, max: 300 } as const;
/** A chest CT has at least this share of its voxels in the air band (lungs alone are ≈ 10–20 % of a slice). */
export const MIN_AIR_FRACTION = 0.03;
/** … and at least this share in the soft-tissue band (a thorax is mostly soft tissue). */
export const MIN_SOFT_TISSUE_FRACTION = 0.05;
/** Values outside this range cannot be CT in HU (scanner padding −3024 and dense metal ≈ 3071 are inside). */
export const PLAUSIBLE_HU = { min: -3100, max: 4100 } as const;
/** At most this share of voxels may lie outside PLAUSIBLE_HU. */
export const MAX_IMPLAUSIBLE_FRACTION = 0.01;
/** One slice is a 2-D screening; a 3-D series needs the centre slice and both neighbours (§2.2). */
export const MIN_SLICES_3D = 3;
/** Values sampled for the checks (every k-th voxel), enough for fractions to ±0.2 %. */
const SAMPLE_VOXELS = 1 << 18;

function fmtPct(f: number): string {
  return `${(100 * f).toFixed(1)} %`;
}

/** Why the volume cannot be screened as chest CT, or null when it can. */
export function notScreenableReason(volume: Pick<Volume, 'data' | 'dims' | 'source'>): string | null {
  const modality = volume.source.modality?.trim().toUpperCase();
  if (modality && modality !== 'CT') return `the series is modality ${modality}, not CT: ctscreen screens chest CT only`;
  const nz = volume.dims[2];
  if (nz > 1 && nz < MIN_SLICES_3D) {
    return `${nz} slices: a 3-D series needs at least ${MIN_SLICES_3D} contiguous slices (a centre slice and its two neighbours, paper §2.2); screen a single slice as one image for 2-D screening`;
  }
  const data = volume.data;
  const n = data.length;
  if (n === 0) return 'the volume has no voxels';
  const step = Math.max(1, Math.floor(n / SAMPLE_VOXELS));
  let seen = 0;
  let air = 0;
  let tissue = 0;
  let implausible = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i += step) {
    const v = data[i];
    seen++;
    if (!Number.isFinite(v)) nonFinite++;
    else if (v < PLAUSIBLE_HU.min || v > PLAUSIBLE_HU.max) implausible++;
    else if (v >= AIR_BAND_HU.min && v <= AIR_BAND_HU.max) air++;
    else if (v >= SOFT_TISSUE_BAND_HU.min && v <= SOFT_TISSUE_BAND_HU.max) tissue++;
  }
  if (nonFinite > 0) return `${nonFinite} of ${seen} sampled voxels are not finite numbers (NaN or infinity): not CT in Hounsfield units`;
  const fi = implausible / seen;
  if (fi > MAX_IMPLAUSIBLE_FRACTION) {
    return `${fmtPct(fi)} of the voxels lie outside ${PLAUSIBLE_HU.min}…${PLAUSIBLE_HU.max} HU (at most ${fmtPct(MAX_IMPLAUSIBLE_FRACTION)} in a CT): the values are not Hounsfield units`;
  }
  const fa = air / seen;
  const ft = tissue / seen;
  if (fa < MIN_AIR_FRACTION || ft < MIN_SOFT_TISSUE_FRACTION) {
    return `the values do not look like chest CT in Hounsfield units: ${fmtPct(fa)} of voxels are air/lung (${AIR_BAND_HU.min}…${AIR_BAND_HU.max} HU; a chest CT has ≥ ${fmtPct(MIN_AIR_FRACTION)}) and ${fmtPct(ft)} soft tissue (${SOFT_TISSUE_BAND_HU.min}…${SOFT_TISSUE_BAND_HU.max} HU; ≥ ${fmtPct(MIN_SOFT_TISSUE_FRACTION)})`;
  }
  return null;
}

/** Slices thicker than this are not thin-section chest CT; small foci may fall between slices, mm. */
export const THICK_SLICE_MM = 5;

/** The caveat a report carries for slices thicker than thin-section CT (null when thin enough or one slice). */
export function thickSliceCaveat(volume: Pick<Volume, 'spacingMm' | 'dims'>): string | null {
  if (!(volume.spacingMm[2] > THICK_SLICE_MM) || volume.dims[2] <= 1) return null;
  return `slice spacing ${volume.spacingMm[2].toFixed(1)} mm is thicker than thin-section chest CT (≤ ${THICK_SLICE_MM} mm): small foci may fall between slices and the three-slice patches span ${(2 * volume.spacingMm[2]).toFixed(0)} mm`;
}
