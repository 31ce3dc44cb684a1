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
  // rows are searched from both ends, four bytes per read: masks are mostly empty, so this reads a
  // fraction of what a voxel-by-voxel pass reads. The words start at the first 4-byte boundary of the
  // buffer at or after the mask's start: mask index i (i ≥ head) lies in word (i − head) >> 2, so rows
  // of any width and masks at any offset (a sub-grid's mask, a slice's subarray) take the word path
  const head = (4 - (mask.byteOffset & 3)) & 3;
  const nWords = mask.length > head ? (mask.length - head) >> 2 : 0;
  const words = nWords > 0 ? new Uint32Array(mask.buffer, mask.byteOffset + head, nWords) : new Uint32Array(0);
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const start = nx * (y + ny * z);
      const end = start + nx;
      const a = firstSet(mask, words, head, start, end);
      if (a === end) continue;
      const b = lastSet(mask, words, head, a, end);
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

/** Index of the first non-zero byte in mask[from, end), or end. */
function firstSet(mask: Uint8Array, words: Uint32Array, head: number, from: number, end: number): number {
  let a = from;
  // bytes up to the first word boundary (or the row's end)
  while (a < end && (a < head || ((a - head) & 3) !== 0)) {
    if (mask[a] !== 0) return a;
    a++;
  }
  // whole words inside the row
  let w = (a - head) >> 2;
  const we = (end - head) >> 2;
  while (w < we && words[w] === 0) w++;
  if (w > (a - head) >> 2) a = head + (w << 2);
  while (a < end && mask[a] === 0) a++;
  return a;
}

/** Index of the last non-zero byte in mask[from, end); mask[from] is non-zero. */
function lastSet(mask: Uint8Array, words: Uint32Array, head: number, from: number, end: number): number {
  let b = end - 1;
  // bytes down to the last word boundary of the row
  while (b > from && (b < head || ((b + 1 - head) & 3) !== 0)) {
    if (mask[b] !== 0) return b;
    b--;
  }
  // whole words [.., b] ending on a boundary, not below `from`
  if (b >= head && ((b + 1 - head) & 3) === 0) {
    let w = ((b + 1 - head) >> 2) - 1;
    const wFrom = from >= head ? ((from - head) >> 2) + 1 : 0; // words wholly after `from`
    while (w >= wFrom && words[w] === 0) w--;
    b = head + (w << 2) + 3;
  }
  while (mask[b] === 0) b--;
  return b;
}
