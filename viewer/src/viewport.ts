/**
 * Where a slice sits on the canvas: fitted with its physical aspect (pixel spacing), then zoomed and
 * panned. canvas = offset + pixel · scale, with pixel (col, row) covering [col, col + 1) × [row, row + 1).
 */
import type { PlaneLayout } from './planes.ts';

export interface Viewport {
  zoom: number;
  /** Shift of the image from its centred position, canvas pixels. */
  panX: number;
  panY: number;
}

export const DEFAULT_VIEWPORT: Viewport = { zoom: 1, panX: 0, panY: 0 };
export const MIN_ZOOM = 0.25;
export const MAX_ZOOM = 32;

export interface ImageTransform {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

type Size = Pick<PlaneLayout, 'width' | 'height' | 'colSpacingMm' | 'rowSpacingMm'>;

export function imageTransform(canvasWidth: number, canvasHeight: number, layout: Size, vp: Viewport): ImageTransform {
  const wMm = layout.width * layout.colSpacingMm;
  const hMm = layout.height * layout.rowSpacingMm;
  const fit = Math.min(canvasWidth / wMm, canvasHeight / hMm);
  const scaleX = fit * layout.colSpacingMm * vp.zoom;
  const scaleY = fit * layout.rowSpacingMm * vp.zoom;
  return {
    scaleX,
    scaleY,
    offsetX: (canvasWidth - layout.width * scaleX) / 2 + vp.panX,
    offsetY: (canvasHeight - layout.height * scaleY) / 2 + vp.panY,
  };
}

/** Canvas point → display pixel (fractional; floor it for the pixel index). */
export function canvasToPixel(t: ImageTransform, x: number, y: number): [number, number] {
  return [(x - t.offsetX) / t.scaleX, (y - t.offsetY) / t.scaleY];
}

/** Centre of display pixel (col, row) on the canvas. */
export function pixelCentreOnCanvas(t: ImageTransform, col: number, row: number): [number, number] {
  return [t.offsetX + (col + 0.5) * t.scaleX, t.offsetY + (row + 0.5) * t.scaleY];
}

/** Zoom by `factor` keeping the image point under canvas point (ax, ay) where it is. */
export function zoomAt(vp: Viewport, factor: number, ax: number, ay: number, canvasWidth: number, canvasHeight: number, layout: Size): Viewport {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, vp.zoom * factor));
  const before = imageTransform(canvasWidth, canvasHeight, layout, vp);
  const f = zoom / vp.zoom;
  const centred = imageTransform(canvasWidth, canvasHeight, layout, { zoom, panX: 0, panY: 0 });
  return {
    zoom,
    panX: ax - (ax - before.offsetX) * f - centred.offsetX,
    panY: ay - (ay - before.offsetY) * f - centred.offsetY,
  };
}
