/**
 * Dependent density (supine dependent atelectasis): the posterior, gravity-dependent lung of a patient
 * lying supine is denser than the rest, a band along the posterior pleura most marked in the lower
 * lobes. It is a normal finding on chest CT, and it looks like the posterior subpleural ground glass of
 * COVID-19; radiologists tell them apart with prone images. Simulated on a lesion-free volume it
 * turned segmenter v4 / classifier v5 towards infection (`ctscreen robustness`, issue 9), so the
 * training exports add it to lesion-free training CT as a negative (v5 segmenter, v6 classifier).
 *
 *   dependentDensity(volume, lungMask, options?): Volume      the band added to a volume (pure)
 *   drawDependentDensity(seed): DependentDensityOptions         a seeded training draw
 *
 * The band: in the inferior `inferiorFraction` of the slices holding lung, every lung voxel within
 * `depthMm` (times a smooth per-slice factor in [1 − depthJitter, 1]) of the most posterior lung voxel
 * of its column rises by pleuraHu at the pleura, falling linearly to deepHu at the band's depth, on top
 * of its own texture. Posterior is read from the direction matrix (LPS P of the voxel y axis).
 */
import { clampSimulatedHu } from '../core/constants.ts';
import { mulberry32 } from '../core/random.ts';
import type { Volume } from '../core/volume.ts';
import { lungZone } from './lung-zone.ts';

export interface DependentDensityOptions {
  depthMm: number;
  pleuraHu: number;
  deepHu: number;
  /** Share of the lung's slices, from the inferior end, that get the band. */
  inferiorFraction: number;
  /** 0: the same depth on every slice; d: depth × (1 − d · (0.5 + 0.5 sin(phase + z / period))) . */
  depthJitter: number;
  /** Phase of the depth modulation, radians. */
  phase: number;
}

/** The stress test of `ctscreen robustness`: a marked band (−450 HU at the pleura on −850 HU lung). */
export const STRONG_DEPENDENT_DENSITY: DependentDensityOptions = { depthMm: 8, pleuraHu: 400, deepHu: 100, inferiorFraction: 0.5, depthJitter: 0, phase: 0 };

/** Slices per radian of the depth modulation (a period of ≈ 25 slices). */
const JITTER_PERIOD_SLICES = 4;

export function dependentDensity(volume: Volume, lungMask: Uint8Array, options: DependentDensityOptions = STRONG_DEPENDENT_DENSITY): Volume {
  const [nx, ny, nz] = volume.dims;
  if (lungMask.length !== nx * ny * nz) throw new RangeError(`dependentDensity: lung mask has ${lungMask.length} voxels, the volume ${nx * ny * nz}`);
  const { depthMm, pleuraHu, deepHu, inferiorFraction, depthJitter, phase } = options;
  const d = volume.direction;
  // LPS P component of the voxel y axis (+y runs posterior when d[4] > 0)
  const yPosterior = d[4] >= 0;
  const out = Int16Array.from(volume.data, clampSimulatedHu);
  const band = lungZone(volume, lungMask, inferiorFraction, 'inferior');
  const sy = volume.spacingMm[1];
  for (const z of band) {
    const depth = depthMm * (1 - depthJitter * (0.5 + 0.5 * Math.sin(phase + z / JITTER_PERIOD_SLICES)));
    for (let x = 0; x < nx; x++) {
      let yp = -1;
      if (yPosterior) {
        for (let y = ny - 1; y >= 0 && yp < 0; y--) if (lungMask[x + nx * (y + ny * z)]) yp = y;
      } else {
        for (let y = 0; y < ny && yp < 0; y++) if (lungMask[x + nx * (y + ny * z)]) yp = y;
      }
      if (yp < 0) continue;
      for (let k = 0; k * sy <= depth; k++) {
        const y = yPosterior ? yp - k : yp + k;
        if (y < 0 || y >= ny) break;
        const i = x + nx * (y + ny * z);
        if (!lungMask[i]) continue;
        out[i] = clampSimulatedHu(out[i] + pleuraHu - (pleuraHu - deepHu) * ((k * sy) / depth));
      }
    }
  }
  const note = `dependent density simulated (posterior ${depthMm} mm of the inferior ${Math.round(100 * inferiorFraction)} % of the lung slices, +${pleuraHu} to +${deepHu} HU)`;
  return { ...volume, data: out, source: { ...volume.source }, warnings: [...volume.warnings, note] };
}

/**
 * A training draw: depth 4–10 mm, +200 to +450 HU at the pleura (a quarter of it at depth), the
 * inferior 40–80 % of the slices, depth modulated by up to 50 % along z.
 */
export function drawDependentDensity(seed: number): DependentDensityOptions {
  const r = mulberry32(seed);
  const pleuraHu = Math.round(200 + 250 * r());
  return { depthMm: 4 + 6 * r(), pleuraHu, deepHu: Math.round(pleuraHu / 4), inferiorFraction: 0.4 + 0.4 * r(), depthJitter: 0.5 * r(), phase: 2 * Math.PI * r() };
}
