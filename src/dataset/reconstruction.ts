/**
 * Thicker-slice reconstructions of a thin-slice CT (issue 9: robustness to how a scanner
 * reconstructs, not only to what it scans).
 *
 * Why: every HU CT the networks train on has 1.25–2.5 mm slices, while chest CT in the field is
 * often read at up to 5 mm. Averaging k neighbouring slices is how a thicker slab is formed from
 * thin ones (partial volume along z); screened as 4–5 mm slabs, the lesion-free normal001 grew from
 * 3 to 36 mL of lesion mask (tmp stress test, segmenter v3), while COVID-19 stayed COVID-19. The
 * training exports therefore add a thick reconstruction of each HU volume, and the segmenter card
 * measures lesion-free CT at both.
 *
 *   thickSliceFactor(spacingZ, targetMm): k     slices per slab so that k · spacing ≤ targetMm (1: none)
 *   thickSliceVolume(volume, k): Volume          non-overlapping means of k slices, geometry kept
 *   thickSliceFlags(flags, k): boolean[]         a per-slice label (e.g. "infected") per slab: any
 *   thickReconstruction(volume): { volume, k, name } | null   the ≤ THICK_SLICE_MM reading of a thin-slice
 *                                                CT, or null when its slices are too thick or too few
 *   planPartialSlabs(infected, spacingZ): PartialSlab[]   contiguous 40 mm slabs of a CT with slice labels,
 *                                                each with its truth (infected / clean / ambiguous)
 *   axialSlab(volume, z0, n): Volume             slices z0 … z0 + n − 1 as a volume of their own, geometry kept
 *
 * Partial slabs (the decision card's small-extent validation): every infected CT here has ≥ 36 mL of
 * lesion mask, so the decision fitted on whole CTs has never seen small-extent disease. Contiguous
 * slabs of the CTs with slice labels (COVID-CT-MD labels.csv) are real small-extent disease and real
 * clean lung of the same patients. Tried as training readings for the decision, they did not help:
 * cap001's slabs labelled clean score like P001's infected ones (strongest region 0.73–0.88 against
 * 0.81–0.99), the held-out ECE rose from 0.047 to 0.082 and thick-slice specificity fell to 2/3; so
 * train:decision only predicts them held out, to measure what the decision misses.
 */
import type { Vec3, Volume, VoxelData } from '../core/volume.ts';
import { THICK_SLICE_MM } from '../io/screenable.ts';

/** The largest k ≥ 2 with k · spacingZ ≤ targetMm, or 1 when even two slices are thicker than that. */
export function thickSliceFactor(spacingZ: number, targetMm: number = THICK_SLICE_MM): number {
  if (!(spacingZ > 0) || !(targetMm > 0)) throw new RangeError(`thickSliceFactor: spacing ${spacingZ} and target ${targetMm} must be > 0`);
  const k = Math.floor(targetMm / spacingZ + 1e-9);
  return k >= 2 ? k : 1;
}

/**
 * Slab j is the mean of slices j·k … j·k + k − 1 (a trailing remainder of fewer than k slices is
 * dropped). Spacing along z becomes k · spacing; the origin moves to the centre of the first slab,
 * along the volume's own slice direction. Integer data is rounded to the nearest integer.
 */
export function thickSliceVolume<T extends VoxelData>(volume: Volume<T>, k: number): Volume<T> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`thickSliceVolume: k must be a positive integer, got ${k}`);
  const [nx, ny, nz] = volume.dims;
  const slabs = Math.floor(nz / k);
  if (slabs < 1) throw new RangeError(`thickSliceVolume: ${nz} slices cannot make a slab of ${k}`);
  if (k === 1) return volume;
  const plane = nx * ny;
  const src = volume.data;
  const out = new (src.constructor as { new (n: number): T })(plane * slabs);
  const round = !(src instanceof Float32Array);
  const acc = new Float64Array(plane);
  for (let j = 0; j < slabs; j++) {
    acc.fill(0);
    for (let t = 0; t < k; t++) {
      const off = plane * (j * k + t);
      for (let i = 0; i < plane; i++) acc[i] += src[off + i];
    }
    const off = plane * j;
    for (let i = 0; i < plane; i++) out[off + i] = round ? Math.round(acc[i] / k) : acc[i] / k;
  }
  const [sx, sy, sz] = volume.spacingMm;
  const d = volume.direction;
  const shift = (sz * (k - 1)) / 2;
  const originMm: Vec3 = [volume.originMm[0] + d[2] * shift, volume.originMm[1] + d[5] * shift, volume.originMm[2] + d[8] * shift];
  return {
    ...volume,
    data: out,
    dims: [nx, ny, slabs],
    spacingMm: [sx, sy, sz * k],
    originMm,
    source: { ...volume.source, sliceCount: slabs },
    warnings: [...volume.warnings, `thick-slice reconstruction: means of ${k} slices (${(sz * k).toFixed(2)} mm) from ${sz.toFixed(2)} mm`],
  };
}

/** Fewest slabs a reconstruction must have to be worth screening (the 2.5D networks read z ± 1). */
export const MIN_RECONSTRUCTED_SLABS = 3;

/**
 * The thick-slice reading of a CT used throughout (training exports, the segmenter's sweep, the
 * decision fit, `ctscreen robustness`): k = thickSliceFactor(spacing), named e.g. 'thick-4.0mm'.
 * Null when k < 2 (already thick) or fewer than MIN_RECONSTRUCTED_SLABS slabs would remain.
 */
export function thickReconstruction<T extends VoxelData>(volume: Volume<T>): { volume: Volume<T>; k: number; name: string } | null {
  const k = thickSliceFactor(volume.spacingMm[2]);
  if (k < 2 || Math.floor(volume.dims[2] / k) < MIN_RECONSTRUCTED_SLABS) return null;
  const thick = thickSliceVolume(volume, k);
  return { volume: thick, k, name: `thick-${thick.spacingMm[2].toFixed(1)}mm` };
}

/** A per-slice flag carried to the slabs of thickSliceVolume: a slab is flagged when any of its slices is. */
export function thickSliceFlags(flags: readonly boolean[], k: number): boolean[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`thickSliceFlags: k must be a positive integer, got ${k}`);
  const slabs = Math.floor(flags.length / k);
  return Array.from({ length: slabs }, (_, j) => flags.slice(j * k, j * k + k).some(Boolean));
}

/** Length and stride of the partial slabs; 40 mm is the longest lesion-free slab here (LIDC-IDRI-0001, 16 × 2.5 mm). */
export const PARTIAL_SLAB_MM = 40;
export const PARTIAL_SLAB_STRIDE_MM = 20;
/** A slab is infected when at least this many mm of its slices are labelled infected (3 slices at 2 mm)… */
export const PARTIAL_SLAB_MIN_INFECTED_MM = 6;
/** …and clean only when no slice within this margin of it is (slice labels are coarse at a lesion's ends). */
export const PARTIAL_SLAB_CLEAN_MARGIN_MM = 10;

export interface PartialSlab {
  z0: number;
  slices: number;
  infectedSlices: number;
  /** 'ambiguous': a few infected slices, or infection just outside it: left out of the fit. */
  truth: 'infected' | 'clean' | 'ambiguous';
  name: string;
}

/**
 * Slabs of PARTIAL_SLAB_MM from z = 0 every PARTIAL_SLAB_STRIDE_MM (a trailing remainder shorter
 * than a slab is not used), each with its count of labelled infected slices and its truth.
 * None when the CT is shorter than two slabs' strides (such a slab would be most of the CT).
 */
export function planPartialSlabs(infected: readonly boolean[], spacingZ: number): PartialSlab[] {
  if (!(spacingZ > 0)) throw new RangeError(`planPartialSlabs: spacing ${spacingZ} must be > 0`);
  const n = Math.max(3, Math.round(PARTIAL_SLAB_MM / spacingZ));
  const stride = Math.max(1, Math.round(PARTIAL_SLAB_STRIDE_MM / spacingZ));
  const minInfected = Math.ceil(PARTIAL_SLAB_MIN_INFECTED_MM / spacingZ - 1e-9);
  const margin = Math.ceil(PARTIAL_SLAB_CLEAN_MARGIN_MM / spacingZ - 1e-9);
  const nz = infected.length;
  const out: PartialSlab[] = [];
  if (nz < n + 2 * stride) return out;
  const count = (a: number, b: number) => {
    let c = 0;
    for (let z = Math.max(0, a); z < Math.min(nz, b); z++) if (infected[z]) c++;
    return c;
  };
  for (let z0 = 0; z0 + n <= nz; z0 += stride) {
    const infectedSlices = count(z0, z0 + n);
    const truth = infectedSlices >= minInfected ? 'infected' : count(z0 - margin, z0 + n + margin) === 0 ? 'clean' : 'ambiguous';
    out.push({ z0, slices: n, infectedSlices, truth, name: `slab-${PARTIAL_SLAB_MM}mm-z${z0}` });
  }
  return out;
}

/** Slices z0 … z0 + n − 1 as a volume of their own: the same grid, the origin moved along the slice direction. */
export function axialSlab<T extends VoxelData>(volume: Volume<T>, z0: number, n: number): Volume<T> {
  const [nx, ny, nz] = volume.dims;
  if (!Number.isInteger(z0) || !Number.isInteger(n) || z0 < 0 || n < 1 || z0 + n > nz) throw new RangeError(`axialSlab: slices ${z0}…${z0 + n - 1} are not inside 0…${nz - 1}`);
  const plane = nx * ny;
  const d = volume.direction;
  const shift = volume.spacingMm[2] * z0;
  const originMm: Vec3 = [volume.originMm[0] + d[2] * shift, volume.originMm[1] + d[5] * shift, volume.originMm[2] + d[8] * shift];
  return {
    ...volume,
    data: volume.data.slice(plane * z0, plane * (z0 + n)) as T,
    dims: [nx, ny, n],
    originMm,
    source: { ...volume.source, sliceCount: n },
    warnings: [...volume.warnings, `partial slab: slices ${z0 + 1}–${z0 + n} of ${nz}`],
  };
}
