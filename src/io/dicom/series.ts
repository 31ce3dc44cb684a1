/**
 * Series grouping, choice and slice geometry: pure functions over headers, no pixel data.
 *
 * Slices are ordered by ImagePositionPatient projected on the slice normal, never by file name
 * or InstanceNumber (in COVID-CT-MD P001 `_2.dcm` is instance 10). Spacing comes from positions,
 * not SliceThickness (thickness is the reconstruction kernel's width, not the step).
 *
 * What is an error and what a warning (documented in the README of src/io):
 * - two or more slices at one position → error (two reconstructions mixed; no safe choice);
 * - slices with different orientations or sizes → error;
 * - uneven spacing / gaps → warning; the volume is resampled to the median step along the normal;
 * - gantry tilt (positions not on the normal) → warning; each slice is shifted in-plane so the
 *   volume is geometrically right on an orthogonal grid.
 */
import { InputError } from '../../core/errors.ts';
import type { Mat3, Vec3 } from '../../core/volume.ts';
import { implausibleVoxelSize } from '../voxel-size.ts';
import { type DicomSliceHeader, SECONDARY_CAPTURE_SOP_PREFIX } from './parse.ts';

/** Two slices closer than this along the normal are at "one position" (mm). */
export const DUPLICATE_POSITION_TOLERANCE_MM = 0.01;
/** A step differing from the median step by more than this fraction is a gap / uneven spacing. */
export const UNEVEN_SPACING_TOLERANCE = 0.05;
/** ImageOrientationPatient of two slices may differ by this much (direction cosine units). */
export const ORIENTATION_TOLERANCE = 1e-3;
/** Row and column cosines must have unit length and be perpendicular to within this. */
export const ORIENTATION_UNIT_TOLERANCE = 0.01;
/** In-plane offset per mm along the normal above which the stack is called tilted (tan ≈ 0.06°). */
export const TILT_TOLERANCE = 1e-3;
/**
 * Resampling uneven slices onto the median step may make at most this many slices per slice read
 * (a missing slice or two in a scan is filled; a stray slice metres away is refused).
 */
export const MAX_RESAMPLED_SLICE_FACTOR = 2;
/** A slice normal within this angle of the patient z axis is axial (for the preference rule). */
const AXIAL_MAX_ANGLE_DEG = 30;

export interface SeriesSummary {
  seriesInstanceUid: string;
  modality: string;
  description: string;
  imageType: string[];
  sliceCount: number;
  /** Columns × rows of the first slice. */
  size: readonly [number, number];
  transferSyntaxUid: string;
  /** Why the series cannot be screened; undefined when it can. */
  rejected?: string;
  /** ORIGINAL/PRIMARY and axial: the reconstruction a radiologist would read. */
  preferred: boolean;
}

export interface SeriesChoice {
  chosen: SeriesSummary;
  reason: string;
}

function normalOf(o: readonly number[]): Vec3 {
  const n: Vec3 = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
  const len = Math.hypot(n[0], n[1], n[2]);
  return [n[0] / len, n[1] / len, n[2] / len];
}

function isAxial(h: DicomSliceHeader): boolean {
  if (!h.orientation) return h.imageType.includes('AXIAL');
  const n = normalOf(h.orientation);
  return Math.abs(n[2]) >= Math.cos((AXIAL_MAX_ANGLE_DEG * Math.PI) / 180);
}

/** Groups headers by SeriesInstanceUID (files without one form the series ''). */
export function groupSeries(headers: readonly DicomSliceHeader[]): Map<string, DicomSliceHeader[]> {
  const groups = new Map<string, DicomSliceHeader[]>();
  for (const h of headers) {
    const g = groups.get(h.seriesInstanceUid);
    if (g) g.push(h);
    else groups.set(h.seriesInstanceUid, [h]);
  }
  return groups;
}

/** Unit-length and perpendicular within this (direction cosine units); scanners write IOP to ≥ 6 decimals. */
const IOP_ORTHONORMAL_TOLERANCE = 0.01;

/** Why headers that have every geometry field still cannot make a volume, or undefined. */
function badGeometry(slices: readonly DicomSliceHeader[]): string | undefined {
  for (const s of slices) {
    if (!(s.rows >= 1 && s.columns >= 1)) return `Rows × Columns is ${s.rows} × ${s.columns} in ${s.file}`;
    const [ps0, ps1] = s.pixelSpacingMm!;
    if (!(ps0 > 0 && ps1 > 0)) return `PixelSpacing ${ps0}\\${ps1} is not positive in ${s.file}`;
    const o = s.orientation!;
    const dot = o[0] * o[3] + o[1] * o[4] + o[2] * o[5];
    const tol = IOP_ORTHONORMAL_TOLERANCE;
    if (Math.abs(Math.hypot(o[0], o[1], o[2]) - 1) > tol || Math.abs(Math.hypot(o[3], o[4], o[5]) - 1) > tol || Math.abs(dot) > tol) {
      return `ImageOrientationPatient ${o.join('\\')} is not two perpendicular unit vectors in ${s.file}`;
    }
  }
  return undefined;
}

export function summarizeSeries(uid: string, slices: readonly DicomSliceHeader[]): SeriesSummary {
  const h = slices[0];
  let rejected: string | undefined;
  const imageType = h.imageType;
  if (h.modality !== 'CT') rejected = `modality ${h.modality || 'missing'}, not CT`;
  else if (imageType.includes('LOCALIZER') || imageType.includes('SCOUT')) rejected = 'localizer (scout) images';
  else if (h.sopClassUid.startsWith(SECONDARY_CAPTURE_SOP_PREFIX)) rejected = 'secondary capture (screenshots), not a reconstruction';
  else if (slices.some((s) => !s.hasPixelData)) rejected = 'some files have no pixel data';
  else if (slices.some((s) => !s.positionMm || !s.orientation || !s.pixelSpacingMm)) rejected = 'slices lack ImagePositionPatient, ImageOrientationPatient or PixelSpacing';
  else if (slices.some((s) => s.numberOfFrames > 1)) rejected = `multi-frame images (${h.numberOfFrames} frames per file; enhanced CT is not supported)`;
  else rejected = badGeometry(slices);
  const preferred = imageType.includes('ORIGINAL') && imageType.includes('PRIMARY') && isAxial(h);
  return {
    seriesInstanceUid: uid,
    modality: h.modality,
    description: h.seriesDescription,
    imageType,
    sliceCount: slices.length,
    size: [h.columns, h.rows],
    transferSyntaxUid: h.transferSyntaxUid,
    rejected,
    preferred,
  };
}

/**
 * The series to screen (paper §2.1 screens the chest CT reconstruction): CT, not a localizer or
 * secondary capture; ORIGINAL/PRIMARY/AXIAL preferred; then the most slices. `seriesUid` overrides.
 */
export function chooseSeries(series: readonly SeriesSummary[], where: string, seriesUid?: string): SeriesChoice {
  if (seriesUid !== undefined) {
    const s = series.find((x) => x.seriesInstanceUid === seriesUid);
    if (!s) {
      throw new InputError('DICOM_SERIES_NOT_FOUND', `${where}: no series with SeriesInstanceUID ${seriesUid}; found ${series.map((x) => x.seriesInstanceUid || '(none)').join(', ')}`, { path: where });
    }
    if (s.rejected) throw new InputError('DICOM_SERIES_UNUSABLE', `${where}: series ${seriesUid} cannot be screened: ${s.rejected}`, { path: where });
    return { chosen: s, reason: 'requested with --series' };
  }
  const eligible = series.filter((s) => !s.rejected);
  if (eligible.length === 0) {
    const found = series.map((s) => `${s.modality || '?'} ×${s.sliceCount} (${s.rejected})`).join('; ');
    const noCt = series.every((s) => s.modality !== 'CT');
    throw new InputError(noCt ? 'DICOM_NOT_CT' : 'DICOM_NO_USABLE_SERIES', `${where}: ${noCt ? 'no CT series' : 'no CT series that can be screened'}; found ${found}`, { path: where });
  }
  const ranked = [...eligible].sort((a, b) => Number(b.preferred) - Number(a.preferred) || b.sliceCount - a.sliceCount);
  const chosen = ranked[0];
  const parts = ['CT'];
  if (chosen.preferred) parts.push('ORIGINAL/PRIMARY/AXIAL');
  const peers = eligible.filter((s) => s.preferred === chosen.preferred);
  if (eligible.length === 1) parts.push('the only usable series');
  else if (peers.length === 1) parts.push(`the only such of ${eligible.length} usable series`);
  else parts.push(`most slices (${chosen.sliceCount}) of ${peers.length} such series (${eligible.length} usable)`);
  return { chosen, reason: parts.join(', ') };
}

/** Where each slice sits and how to turn the stack into an orthogonal, evenly spaced grid. */
export interface SliceGeometry {
  /** Headers in slice order (ascending along the normal). */
  ordered: DicomSliceHeader[];
  /** Position of each ordered slice along the normal, relative to the first (mm). */
  alongNormalMm: number[];
  /** In-plane offset of each slice from the first's column/row axes, in pixels [dx, dy]. */
  inPlaneShiftPx: Array<readonly [number, number]>;
  /** True when any slice needs an in-plane shift (gantry tilt). */
  tilted: boolean;
  /** True when steps are uneven and the stack must be resampled along z. */
  uneven: boolean;
  /** Output grid step along the normal (median of the steps), mm. */
  sliceStepMm: number;
  /** Output grid: [nx, ny, nz]. */
  dims: Vec3;
  spacingMm: Vec3;
  originMm: Vec3;
  direction: Mat3;
  warnings: string[];
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Orders slices along the normal and derives the volume grid; throws on unusable geometry. */
export function sliceGeometry(slices: readonly DicomSliceHeader[], where: string): SliceGeometry {
  const first = slices[0];
  const o = first.orientation!;
  const warnings: string[] = [];
  for (const s of slices) {
    if (s.rows !== first.rows || s.columns !== first.columns) {
      throw new InputError('DICOM_INCONSISTENT_SERIES', `${s.file}: slice is ${s.columns}×${s.rows} but ${first.file} is ${first.columns}×${first.rows}; a series must have one slice size`, { path: s.file });
    }
    if (s.orientation!.some((v, i) => Math.abs(v - o[i]) > ORIENTATION_TOLERANCE)) {
      throw new InputError('DICOM_INCONSISTENT_SERIES', `${s.file}: ImageOrientationPatient ${s.orientation!.join('\\')} differs from ${first.file} (${o.join('\\')}); slices of one volume share an orientation`, { path: s.file });
    }
    if (Math.abs(s.pixelSpacingMm![0] - first.pixelSpacingMm![0]) > 1e-3 || Math.abs(s.pixelSpacingMm![1] - first.pixelSpacingMm![1]) > 1e-3) {
      throw new InputError('DICOM_INCONSISTENT_SERIES', `${s.file}: PixelSpacing ${s.pixelSpacingMm!.join('\\')} differs from ${first.file} (${first.pixelSpacingMm!.join('\\')})`, { path: s.file });
    }
  }
  // unit length exactly (summarizeSeries refused anything more than 1 % off)
  const rowLen = Math.hypot(o[0], o[1], o[2]);
  const colLen = Math.hypot(o[3], o[4], o[5]);
  const rowDir: Vec3 = [o[0] / rowLen, o[1] / rowLen, o[2] / rowLen];
  const colDir: Vec3 = [o[3] / colLen, o[4] / colLen, o[5] / colLen];
  const normal = normalOf(o);
  const along = (p: Vec3) => p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
  const rowNorm = Math.hypot(o[0], o[1], o[2]);
  const colNorm = Math.hypot(o[3], o[4], o[5]);
  const cosine = o[0] * o[3] + o[1] * o[4] + o[2] * o[5];
  if (!(Math.abs(rowNorm - 1) <= ORIENTATION_UNIT_TOLERANCE && Math.abs(colNorm - 1) <= ORIENTATION_UNIT_TOLERANCE && Math.abs(cosine) <= ORIENTATION_UNIT_TOLERANCE)) {
    throw new InputError('DICOM_BAD_GEOMETRY', `${first.file}: ImageOrientationPatient ${o.join('\\')} is not two perpendicular unit vectors (lengths ${rowNorm.toFixed(3)}, ${colNorm.toFixed(3)}, cosine ${cosine.toFixed(3)})`, { path: first.file });
  }
  if (!(first.rows >= 1 && first.columns >= 1)) {
    throw new InputError('DICOM_BAD_GEOMETRY', `${first.file}: Rows × Columns is ${first.rows} × ${first.columns}; a slice needs at least one pixel`, { path: first.file });
  }
  const ordered = [...slices].sort((a, b) => along(a.positionMm!) - along(b.positionMm!));

  for (let i = 1; i < ordered.length; i++) {
    const d = along(ordered[i].positionMm!) - along(ordered[i - 1].positionMm!);
    if (d < DUPLICATE_POSITION_TOLERANCE_MM) {
      const same = ordered.filter((s) => Math.abs(along(s.positionMm!) - along(ordered[i].positionMm!)) < DUPLICATE_POSITION_TOLERANCE_MM);
      throw new InputError(
        'DICOM_DUPLICATE_POSITION',
        `${where}: series has ${same.length} slices at one position (${along(ordered[i].positionMm!).toFixed(2)} mm along the slice normal: ${same.slice(0, 3).map((s) => s.file).join(', ')}${same.length > 3 ? ', …' : ''}); remove the duplicates or choose one reconstruction with --series`,
        { path: where },
      );
    }
  }

  const p0 = ordered[0].positionMm!;
  const alongNormalMm = ordered.map((s) => along(s.positionMm!) - along(p0));
  const [rowSpacing, colSpacing] = first.pixelSpacingMm!;
  let tilted = false;
  let maxTiltRatio = 0;
  const inPlaneShiftPx = ordered.map((s, i) => {
    const d: Vec3 = [s.positionMm![0] - p0[0], s.positionMm![1] - p0[1], s.positionMm![2] - p0[2]];
    const dx = (d[0] * rowDir[0] + d[1] * rowDir[1] + d[2] * rowDir[2]) / colSpacing;
    const dy = (d[0] * colDir[0] + d[1] * colDir[1] + d[2] * colDir[2]) / rowSpacing;
    if (i > 0) {
      const ratio = Math.hypot(dx * colSpacing, dy * rowSpacing) / alongNormalMm[i];
      maxTiltRatio = Math.max(maxTiltRatio, ratio);
      if (ratio > TILT_TOLERANCE) tilted = true;
    }
    return [dx, dy] as const;
  });
  if (tilted) {
    const deg = (Math.atan(maxTiltRatio) * 180) / Math.PI;
    warnings.push(`gantry tilt of ${deg.toFixed(1)}° (slice positions are not on the slice normal): slices were shifted in-plane (linear interpolation) onto an orthogonal grid`);
  }

  let step = 0;
  let uneven = false;
  if (ordered.length > 1) {
    const steps = alongNormalMm.slice(1).map((z, i) => z - alongNormalMm[i]);
    step = median(steps);
    const odd = steps.map((s, i) => ({ s, i })).filter(({ s }) => Math.abs(s - step) > UNEVEN_SPACING_TOLERANCE * step);
    if (odd.length > 0) {
      uneven = true;
      const largest = odd.reduce((a, b) => (b.s > a.s ? b : a));
      warnings.push(
        `uneven slice spacing: ${odd.length} of ${steps.length} steps differ from ${step.toFixed(2)} mm (largest ${largest.s.toFixed(2)} mm, after ${ordered[largest.i].file}); resampled to ${step.toFixed(2)} mm by linear interpolation along z`,
      );
    }
  } else {
    step = first.sliceThicknessMm && first.sliceThicknessMm > 0 ? first.sliceThicknessMm : 1;
    warnings.push(`single slice: slice spacing taken from SliceThickness (${step} mm)`);
  }
  const nz = uneven ? Math.floor(alongNormalMm[alongNormalMm.length - 1] / step + 1e-6) + 1 : ordered.length;
  if (nz > MAX_RESAMPLED_SLICE_FACTOR * ordered.length) {
    // more made-up slices than real ones: not gaps in one scan but slices of different scans (or
    // a wrong position), and filling them would be a silent wrong answer (and gigabytes)
    const steps = alongNormalMm.slice(1).map((z, i) => ({ gap: z - alongNormalMm[i], after: ordered[i].file }));
    const largest = steps.reduce((a, b) => (b.gap > a.gap ? b : a));
    throw new InputError(
      'DICOM_GAP',
      `${where}: series has a gap of ${largest.gap.toFixed(2)} mm after ${largest.after} (median step ${step.toFixed(2)} mm); filling it would make ${nz} slices from ${ordered.length}, so these slices are not one contiguous scan: remove the stray slices or choose a series with --series`,
      { path: where },
    );
  }
  if (first.sliceThicknessMm !== undefined && ordered.length > 1 && first.sliceThicknessMm > 0 && Math.abs(first.sliceThicknessMm - step) > UNEVEN_SPACING_TOLERANCE * step) {
    warnings.push(`SliceThickness ${first.sliceThicknessMm} mm differs from the spacing between slice positions (${step.toFixed(3)} mm); positions were used`);
  }
  const spacingMm: Vec3 = [colSpacing, rowSpacing, step];
  const implausible = implausibleVoxelSize(spacingMm);
  if (implausible) {
    throw new InputError('DICOM_BAD_GEOMETRY', `${where}: ${implausible} (PixelSpacing ${first.pixelSpacingMm!.join('\\')}, slice step ${step} mm): not a CT voxel`, { path: where });
  }
  return {
    ordered,
    alongNormalMm,
    inPlaneShiftPx,
    tilted,
    uneven,
    sliceStepMm: step,
    dims: [first.columns, first.rows, nz],
    spacingMm,
    originMm: p0,
    direction: [rowDir[0], colDir[0], normal[0], rowDir[1], colDir[1], normal[1], rowDir[2], colDir[2], normal[2]],
    warnings,
  };
}
