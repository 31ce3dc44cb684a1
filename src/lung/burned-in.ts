/**
 * Burned-in annotations (side markers such as a large "R", text, rulers) in exported image stacks.
 * Drawn in black inside the body they read as air, join the nearest lung and drag its convex-hull
 * completion out into the chest wall. They betray themselves by being pixel-for-pixel identical on
 * every slice: anatomy never is (noise alone changes every voxel), so a dark pixel that does not
 * change across the whole stack is not lung.
 */
import type { VoxelData } from '../core/volume.ts';

/** Below this many slices, "the same on every slice" says too little. */
export const MIN_OVERLAY_SLICES = 8;

export interface BurnedInOptions {
  /** Only values below this (HU) are looked at: the lung seeds are air. */
  thresholdHu: number;
  /** In-plane window to search (x0, y0, x1, y1 inclusive, input pixels): where the body is. */
  window: readonly [number, number, number, number];
}

/**
 * The in-plane pixels (1 in an nx × ny mask) that are below the threshold and identical on every
 * slice, grown by one pixel for the anti-aliased rim of a glyph; null when there are none or too
 * few slices.
 */
export function findBurnedInAir(src: VoxelData, dims: readonly [number, number, number], options: BurnedInOptions): Uint8Array | null {
  const [nx, ny, nz] = dims;
  if (nz < MIN_OVERLAY_SLICES) return null;
  const plane = nx * ny;
  const [x0, y0, x1, y1] = options.window;
  const t = options.thresholdHu;
  const mid = plane * (nz >> 1);
  const last = plane * (nz - 1);
  // candidates: dark and unchanged on the first, middle and last slice (noise rules out nearly all)
  let list: number[] = [];
  for (let y = Math.max(0, y0); y <= Math.min(ny - 1, y1); y++) {
    for (let x = Math.max(0, x0); x <= Math.min(nx - 1, x1); x++) {
      const i = x + nx * y;
      const v = src[i];
      if (v < t && src[mid + i] === v && src[last + i] === v) list.push(i);
    }
  }
  for (let z = 1; z < nz - 1 && list.length > 0; z++) {
    const off = plane * z;
    const keep: number[] = [];
    for (const i of list) if (src[off + i] === src[i]) keep.push(i);
    list = keep;
  }
  if (list.length === 0) return null;
  const mask = new Uint8Array(plane);
  for (const i of list) {
    const x = i % nx;
    const y = (i - x) / nx;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(ny - 1, y + 1); yy++) {
      mask.fill(1, Math.max(0, x - 1) + nx * yy, Math.min(nx - 1, x + 1) + 1 + nx * yy);
    }
  }
  return mask;
}
