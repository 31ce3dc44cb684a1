/**
 * Pleural effusion with compressive atelectasis, simulated: common in lung cancer (malignant
 * effusion) and heart failure, and not infection. Fluid layers in the dependent pleural space of a
 * supine patient; the lung it displaces collapses into a dense band along it. `ctscreen robustness`
 * places it as a stress test (never trained on): the band is as dense as consolidation and lies where
 * COVID-19's posterior subpleural disease lies.
 *
 *   pleuralEffusion(volume, lungMask, options?): Volume   the effusion added to a volume (pure)
 *
 * In the inferior `inferiorFraction` of the slices holding lung, the fluid's depth falls linearly from
 * `maxDepthMm` at the most inferior lung slice to 0 at the top of that zone. Free fluid layers: on
 * each slice, the voxels of a lung (mask label) lying within that depth, along the anteroposterior
 * axis, of the lung's most posterior row become fluid (+10 ± 8 HU), so the fluid follows the curved
 * posterior wall with a level anterior surface; the next `atelectasisMm` of lung above it are pulled
 * towards −50 HU (fully at the fluid's surface, linearly less upwards), denser tissue staying as it is. Posterior is read from the direction matrix
 * (LPS P of the voxel y axis), superior from its S component of z. Seeded noise only.
 */
import { clampSimulatedHu } from '../core/constants.ts';
import { gaussianStream, mulberry32 } from '../core/random.ts';
import type { Volume } from '../core/volume.ts';
import { lungZone } from './lung-zone.ts';

export interface PleuralEffusionOptions {
  maxDepthMm: number;
  inferiorFraction: number;
  atelectasisMm: number;
  seed: number;
}

/** The stress test of `ctscreen robustness`: bilateral, 25 mm deep at the bases, over the inferior 40 %, 8 mm of collapse. */
export const MODERATE_EFFUSION: Omit<PleuralEffusionOptions, 'seed'> = { maxDepthMm: 25, inferiorFraction: 0.4, atelectasisMm: 8 };

const FLUID_HU = 10;
const ATELECTASIS_HU = -50;

export function pleuralEffusion(volume: Volume, lungMask: Uint8Array, options: PleuralEffusionOptions): Volume {
  const [nx, ny, nz] = volume.dims;
  if (lungMask.length !== nx * ny * nz) throw new RangeError(`pleuralEffusion: lung mask has ${lungMask.length} voxels, the volume ${nx * ny * nz}`);
  const { maxDepthMm, inferiorFraction, atelectasisMm, seed } = options;
  const yPosterior = volume.direction[4] >= 0;
  const out = Int16Array.from(volume.data, clampSimulatedHu);
  const zone = lungZone(volume, lungMask, inferiorFraction, 'inferior'); // from the most inferior slice up
  const count = zone.length;
  const sy = volume.spacingMm[1];
  const g = gaussianStream(mulberry32(seed));
  let fluidVoxels = 0;
  zone.forEach((z, rank) => {
    const depth = maxDepthMm * (1 - rank / count);
    // per lung (mask labels 1, 2): the most posterior row holding it on this slice; free fluid layers
    // from there, so its anterior surface is level and it follows the curved posterior wall
    const edge = new Map<number, number>();
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const l = lungMask[x + nx * (y + ny * z)];
        if (!l) continue;
        const e = edge.get(l);
        if (e === undefined || (yPosterior ? y > e : y < e)) edge.set(l, y);
      }
    }
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (y + ny * z);
        const l = lungMask[i];
        if (!l) continue;
        const mm = Math.abs(edge.get(l)! - y) * sy;
        if (mm <= depth) {
          out[i] = clampSimulatedHu(FLUID_HU + 8 * g());
          fluidVoxels++;
        } else if (mm <= depth + atelectasisMm && out[i] < ATELECTASIS_HU) {
          const w = 1 - (mm - depth) / atelectasisMm;
          out[i] = clampSimulatedHu(out[i] + (ATELECTASIS_HU - out[i]) * w);
        }
      }
    }
  });
  const [sx, , sz] = volume.spacingMm;
  const ml = (fluidVoxels * sx * sy * sz) / 1000;
  const note = `pleural effusion simulated (bilateral, posterior, up to ${maxDepthMm} mm deep over the inferior ${Math.round(100 * inferiorFraction)} % of the lung slices, ${ml.toFixed(0)} mL; ${atelectasisMm} mm of compressive atelectasis)`;
  return { ...volume, data: out, source: { ...volume.source }, warnings: [...volume.warnings, note] };
}
