/**
 * CT windowing: Hounsfield units → 8-bit grey through a window (width W, level L):
 *   grey = round(255 · clamp((HU − (L − W/2)) / W, 0, 1))
 * For integer voxels a lookup table over the stored values is built once per window change, so the
 * per-pixel cost while scrolling is one table read.
 */

export interface WindowLevel {
  /** Window width, HU (> 0). */
  width: number;
  /** Window centre (level), HU. */
  level: number;
}

/** Presets of the issue and of every CT reading room. */
export const WINDOW_PRESETS = {
  lung: { width: 1500, level: -600 },
  mediastinum: { width: 350, level: 40 },
} as const satisfies Record<string, WindowLevel>;
export type WindowPresetName = keyof typeof WINDOW_PRESETS;

/** Narrowest window a drag can reach, HU. */
export const MIN_WINDOW_WIDTH_HU = 1;
/** HU per dragged screen pixel (width along x, level along y). */
export const DRAG_HU_PER_PIXEL = 4;

export function greyOf(hu: number, w: WindowLevel): number {
  const t = (hu - (w.level - w.width / 2)) / w.width;
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(255 * t);
}

/** Stored integer values rawMin…rawMax (real = raw · slope + intercept) → grey. Index raw − rawMin. */
export function buildWindowLut(w: WindowLevel, rawMin: number, rawMax: number, slope = 1, intercept = 0): Uint8Array {
  const lut = new Uint8Array(rawMax - rawMin + 1);
  for (let i = 0; i < lut.length; i++) lut[i] = greyOf((rawMin + i) * slope + intercept, w);
  return lut;
}

/** Integer slice → grey through a LUT from buildWindowLut. */
export function applyWindowLut(slice: ArrayLike<number>, lut: Uint8Array, rawMin: number, out: Uint8Array): Uint8Array {
  for (let i = 0; i < slice.length; i++) out[i] = lut[slice[i] - rawMin];
  return out;
}

/** Floating-point slice → grey directly (no table). */
export function applyWindowDirect(slice: ArrayLike<number>, w: WindowLevel, slope: number, intercept: number, out: Uint8Array): Uint8Array {
  for (let i = 0; i < slice.length; i++) out[i] = greyOf(slice[i] * slope + intercept, w);
  return out;
}

/** Window after dragging (dx, dy) screen pixels from `start`: right widens, down raises the level. */
export function dragWindow(start: WindowLevel, dx: number, dy: number, huPerPixel = DRAG_HU_PER_PIXEL): WindowLevel {
  return { width: Math.max(MIN_WINDOW_WIDTH_HU, Math.round(start.width + dx * huPerPixel)), level: Math.round(start.level + dy * huPerPixel) };
}

/** The integer range a LUT must cover for a typed array type, or null for floating point. */
export function integerRange(data: ArrayLike<number> & { BYTES_PER_ELEMENT: number; constructor: unknown }): [number, number] | null {
  if (data instanceof Int16Array) return [-32768, 32767];
  if (data instanceof Uint8Array) return [0, 255];
  if (data instanceof Int8Array) return [-128, 127];
  if (data instanceof Uint16Array) return [0, 65535];
  return null;
}
