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
  // rows are searched from both ends, four bytes per read where rows start on a 4-byte boundary:
  // masks are mostly empty, so this reads a fraction of what a voxel-by-voxel pass reads
  const words = (mask.byteOffset & 3) === 0 && (nx & 3) === 0 ? new Uint32Array(mask.buffer, mask.byteOffset, mask.length >> 2) : null;
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const start = nx * (y + ny * z);
      const end = start + nx;
      let a = start;
      if (words) {
        let w = start >> 2;
        const we = end >> 2;
        while (w < we && words[w] === 0) w++;
        if (w === we) continue;
        a = w << 2;
      }
      while (a < end && mask[a] === 0) a++;
      if (a === end) continue;
      let b = end - 1;
      if (words) {
        let w = (end >> 2) - 1;
        while (words[w] === 0) w--;
        b = (w << 2) + 3;
      }
      while (mask[b] === 0) b--;
      if (a - start < x0) x0 = a - start;
      if (b - start > x1) x1 = b - start;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (z < z0) z0 = z;
      z1 = z;
    }
  }
  return x1 < 0 ? null : { min: [x0, y0, z0], max: [x1, y1, z1] };
}
