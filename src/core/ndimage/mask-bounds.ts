/**
 * Bounding box of a binary mask on a zyx grid (any stage: the pipeline's region side, the report's
 * key slices, dataset export).
 *
 *   maskBounds(mask, dims): Box3-like { min, max } | null
 */
import type { Vec3 } from '../volume.ts';

/** Bounding box of the non-zero voxels, or null when there are none. */
export function maskBounds(mask: Uint8Array, dims: Vec3): { min: [number, number, number]; max: [number, number, number] } | null {
  const [nx, ny, nz] = dims;
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (mask[i] === 0) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < z0) z0 = z;
        z1 = z;
      }
    }
  }
  return x1 < 0 ? null : { min: [x0, y0, z0], max: [x1, y1, z1] };
}
