/**
 * The lesion mask (issue 9): the segmenter's probability map thresholded at its Dice-optimal
 * threshold (the model card's `lesionThreshold`), inside the lungs, on the input grid. Apart from
 * the candidate regions, which are thresholded LOW for recall (§3.3.2) and so cover far more than
 * the lesions: lung involvement is measured on this mask, never on candidate boxes.
 *
 *   lesionMaskFromProbability(options): { mask, voxels }
 */
import type { Box3, Vec3 } from '../core/volume.ts';

export interface LesionMaskOptions {
  /** Probability over `region` (x fastest, then y, then z), as the sliding window returns it. */
  probability: Float32Array;
  region: Box3;
  dims: Vec3;
  /** Voxels at or above this probability are lesion. */
  threshold: number;
  /** Lesion only where the lung mask is non-zero (same grid as dims). */
  lungMask: Uint8Array;
}

export function lesionMaskFromProbability(options: LesionMaskOptions): { mask: Uint8Array; voxels: number } {
  const { probability: p, region, dims, threshold, lungMask } = options;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`lesion threshold must be in (0, 1], got ${threshold}`);
  const [nx, ny, nz] = dims;
  const mask = new Uint8Array(nx * ny * nz);
  if (lungMask.length !== mask.length) throw new RangeError(`lung mask has ${lungMask.length} voxels, the grid ${mask.length}`);
  const rw = region.max[0] - region.min[0] + 1;
  const rh = region.max[1] - region.min[1] + 1;
  const rz = region.max[2] - region.min[2] + 1;
  if (p.length !== rw * rh * rz) throw new RangeError(`probability has ${p.length} values, the region ${rw}×${rh}×${rz}`);
  let voxels = 0;
  let i = 0;
  for (let z = 0; z < rz; z++) {
    for (let y = 0; y < rh; y++) {
      const o = region.min[0] + nx * (region.min[1] + y + ny * (region.min[2] + z));
      for (let x = 0; x < rw; x++, i++) {
        if (p[i] >= threshold && lungMask[o + x] !== 0) {
          mask[o + x] = 1;
          voxels++;
        }
      }
    }
  }
  return { mask, voxels };
}
