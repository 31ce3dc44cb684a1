/**
 * Burned-in annotations (side markers such as a large "R", text, rulers) in exported image stacks.
 * Drawn in black inside the body they read as air, join the nearest lung and drag its convex-hull
 * completion out into the chest wall. They betray themselves by being pixel-for-pixel identical on
 * every slice: anatomy never is (noise alone changes every voxel), so a dark pixel that does not
 * change across the whole stack is not lung. Air around the body and scanner padding are static
 * too but reach the image border; a marker inside the image does not.
 */
import type { VoxelData } from '../core/volume.ts';
import { componentBoxes, labelRuns } from './run-labels.ts';

/** Below this many slices, "the same on every slice" says too little. */
export const MIN_OVERLAY_SLICES = 8;

/** A marker or a letter is smaller than this (mm) along x and y; static air larger is room air. */
export const MAX_MARKER_MM = 40;

export interface BurnedInOptions {
  /** Only values below this (HU) are looked at: the lung seeds are air. */
  thresholdHu: number;
  /** In-plane pixel size (mm), for the marker size limit. */
  pixelMm: readonly [number, number];
  /** In-plane window to search (x0, y0, x1, y1 inclusive, input pixels): where the body is. */
  window: readonly [number, number, number, number];
}

export interface BurnedInAir {
  /** 1 on the marker pixels grown by one pixel (the anti-aliased rim of a glyph), nx × ny. */
  mask: Uint8Array;
  /** 1 on the marker pixels themselves. */
  core: Uint8Array;
}

/**
 * The in-plane pixels that are below the threshold and identical on every slice, in pieces that
 * are marker-sized and do not reach the image border (air around the body and scanner padding are
 * static too, but large or reaching it); null when there are none or too few slices.
 */
export function findBurnedInAir(src: VoxelData, dims: readonly [number, number, number], options: BurnedInOptions): BurnedInAir | null {
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
  const core = new Uint8Array(plane);
  for (const i of list) core[i] = 1;
  const parts = labelRuns(core, nx, ny, 1, { eight: true });
  const n = parts.count;
  const { x0: bx0, y0: by0, x1: bx1, y1: by1 } = componentBoxes(parts);
  const [sx, sy] = options.pixelMm;
  const keep = new Uint8Array(n + 1);
  for (let l = 1; l <= n; l++) {
    const border = bx0[l] === 0 || by0[l] === 0 || bx1[l] === nx - 1 || by1[l] === ny - 1;
    const small = (bx1[l] - bx0[l] + 1) * sx <= MAX_MARKER_MM && (by1[l] - by0[l] + 1) * sy <= MAX_MARKER_MM;
    keep[l] = !border && small ? 1 : 0;
  }
  const mask = new Uint8Array(plane);
  core.fill(0);
  let any = false;
  for (let r = 0; r < parts.runs; r++) {
    if (!keep[parts.label[r]]) continue;
    any = true;
    const y = parts.row[r];
    core.fill(1, parts.x0[r] + nx * y, parts.x1[r] + nx * y);
    for (let yy = Math.max(0, y - 1); yy <= Math.min(ny - 1, y + 1); yy++) {
      mask.fill(1, Math.max(0, parts.x0[r] - 1) + nx * yy, Math.min(nx, parts.x1[r] + 1) + nx * yy);
    }
  }
  return any ? { mask, core } : null;
}
