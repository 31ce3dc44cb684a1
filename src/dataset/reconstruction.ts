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
