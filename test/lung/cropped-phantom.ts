// A body-cropped phantom slice, as published COVID-19 slice datasets store them (shared by the lung
// and CLI tests of issue 10).
import type { Volume } from '../../src/core/volume.ts';
import { IDENTITY_DIRECTION } from '../../src/core/volume.ts';
import { LUNG_WINDOW_HU } from '../../src/core/constants.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';

/** Crop window in patient mm around the phantom's centre: inside the body (wall ±165 × −125…115), cutting the lungs (cavity ±130) at the sides. */
const CROP_X_MM = 112;
const CROP_Y_MM = [-100, 92] as const;
const PIXEL_MM = 1.25;

/**
 * One mid-chest phantom slice through the 8-bit lung window, cropped inside the body as published
 * slices are, optionally stored upside down (rows reversed) or turned (transposed), read as an
 * 8-bit image would be (image-stack source, identity direction). The truth is cropped alike.
 */
export function croppedSlice(store: 'upright' | 'upside-down' | 'turned'): { volume: Volume; truth: Uint8Array } {
  const size = 288;
  const p = makeChestPhantom({ seed: 3, size: [size, size], pixelSpacingMm: PIXEL_MM, slices: 1, zRangeMm: [150, 150], lesions: 'covid', pseudoHu8Bit: true });
  // voxel of patient (x, y): the phantom is centred on its grid
  const c = (size - 1) / 2;
  const x0 = Math.round(c - CROP_X_MM / PIXEL_MM);
  const x1 = Math.round(c + CROP_X_MM / PIXEL_MM);
  const y0 = Math.round(c + CROP_Y_MM[0] / PIXEL_MM);
  const y1 = Math.round(c + CROP_Y_MM[1] / PIXEL_MM);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const turned = store === 'turned';
  const [ow, oh] = turned ? [h, w] : [w, h];
  const data = new Int16Array(w * h);
  const truth = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = x0 + x + size * (y0 + y);
      const yy = store === 'upside-down' ? h - 1 - y : y;
      const dst = turned ? yy + ow * x : x + ow * yy;
      data[dst] = p.volume.data[src];
      truth[dst] = p.lungLabels[src];
    }
  }
  const volume: Volume = {
    data,
    dims: [ow, oh, 1],
    spacingMm: [PIXEL_MM, PIXEL_MM, 5],
    originMm: [0, 0, 0],
    direction: IDENTITY_DIRECTION,
    source: { format: 'image-stack', path: `phantom-${store}.png`, sliceCount: 1, pseudoHu: true },
    warnings: [],
  };
  return { volume, truth };
}

/** The slice as 8-bit grey through the lung window (what the image reader maps back). */
export function toLungWindowGrey(volume: Volume): Uint8Array {
  const low = LUNG_WINDOW_HU.center - LUNG_WINDOW_HU.width / 2;
  const g = new Uint8Array(volume.data.length);
  for (let i = 0; i < g.length; i++) g[i] = Math.max(0, Math.min(255, Math.round(((volume.data[i] - low) / LUNG_WINDOW_HU.width) * 255)));
  return g;
}
