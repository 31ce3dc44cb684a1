/**
 * Emphysema, simulated: the smoker's lung of most lung-cancer CTs (the held-back Lung-PET-CT-Dx kind),
 * which no CT in ../shared/data shows. `ctscreen robustness` places it as a stress test (not infection):
 * does lung destroyed towards air make the aerated lung around it, its vessels or the walls of bullae look
 * like ground glass to the networks? Since classifier 7.0.0 the lesion-free training CTs are also exported
 * with a drawn emphysema (drawEmphysema) as negatives, so the reading is no longer unseen by the classifier
 * (the segmenter never saw it); LIDC-IDRI-0002, a validation patient, is never given it in training.
 *
 *   emphysema(volume, lungMask, options): Volume     the destruction added to a volume (pure)
 *   drawEmphysema(seed): EmphysemaOptions              a seeded training draw (classifier 7.0.0)
 *
 * Two patterns, both in the superior `superiorFraction` of the slices holding lung (emphysema of
 * smokers is upper-lobe predominant):
 *  - centrilobular: spherical holes of 2–8 mm diameter (log-uniform), centred on lung voxels, until the
 *    holes' nominal volume reaches `centrilobularShare` of the zone's lung volume; inside a hole the
 *    parenchyma (below −500 HU) drops to −985 ± 8 HU, while vessels and denser tissue stay (holes have no
 *    wall, vessels run between them);
 *  - paraseptal bullae: `bullae` spheres of 10–30 mm centred within 5 mm inside the lung's lateral or
 *    posterior edge of their slice, at −995 ± 4 HU, with the same rule for what stays.
 * Seeded; the lung mask is the one extractLungs gives for the volume as acquired.
 */
import { clampSimulatedHu } from '../core/constants.ts';
import { gaussianStream, mulberry32 } from '../core/random.ts';
import type { Volume } from '../core/volume.ts';
import { lungZone } from './lung-zone.ts';

export interface EmphysemaOptions {
  /** Share of the lung's slices, from the superior end, that are affected. */
  superiorFraction: number;
  /** Nominal hole volume as a share of the affected zone's lung volume. */
  centrilobularShare: number;
  /** Number of paraseptal bullae. */
  bullae: number;
  seed: number;
}

/** The stress test of `ctscreen robustness`: moderate centrilobular emphysema (15 %) with 4 bullae in the upper 60 %. */
export const MODERATE_EMPHYSEMA: Omit<EmphysemaOptions, 'seed'> = { superiorFraction: 0.6, centrilobularShare: 0.15, bullae: 4 };
/** Beyond the training draws (share ≤ 25 %, ≤ 6 bullae): 35 % of the upper 80 % and 10 bullae, an extrapolation test. */
export const SEVERE_EMPHYSEMA: Omit<EmphysemaOptions, 'seed'> = { superiorFraction: 0.8, centrilobularShare: 0.35, bullae: 10 };

/**
 * A seeded draw for the classifier export (7.0.0): lesion-free TRAINING CT once more with emphysema, its
 * candidates irrelevant. Mild to severe (share 5–25 %, upper 40–80 %, 0–6 bullae), so the robustness
 * reading's moderate setting lies inside the trained range and is no longer independent evidence.
 */
export function drawEmphysema(seed: number): EmphysemaOptions {
  const r = mulberry32(seed);
  return { superiorFraction: 0.4 + 0.4 * r(), centrilobularShare: 0.05 + 0.2 * r(), bullae: Math.floor(7 * r()), seed: Math.floor(r() * 2 ** 31) };
}

/** Parenchyma (and only it) is destroyed: voxels at or above this stay (vessels, walls, nodules). */
const PARENCHYMA_BELOW_HU = -500;

/** Voxels of one sphere (centre in voxels, radius in mm) set to `hu` + `sd` · noise where they are parenchyma. */
function hollow(out: Int16Array, dims: readonly [number, number, number], spacing: readonly [number, number, number], c: readonly [number, number, number], radiusMm: number, hu: number, sd: number, g: () => number): number {
  const [nx, ny, nz] = dims;
  const [sx, sy, sz] = spacing;
  let n = 0;
  for (let z = Math.max(0, Math.ceil(c[2] - radiusMm / sz)); z <= Math.min(nz - 1, Math.floor(c[2] + radiusMm / sz)); z++) {
    for (let y = Math.max(0, Math.ceil(c[1] - radiusMm / sy)); y <= Math.min(ny - 1, Math.floor(c[1] + radiusMm / sy)); y++) {
      for (let x = Math.max(0, Math.ceil(c[0] - radiusMm / sx)); x <= Math.min(nx - 1, Math.floor(c[0] + radiusMm / sx)); x++) {
        if (((x - c[0]) * sx) ** 2 + ((y - c[1]) * sy) ** 2 + ((z - c[2]) * sz) ** 2 > radiusMm * radiusMm) continue;
        const i = x + nx * (y + ny * z);
        if (out[i] >= PARENCHYMA_BELOW_HU) continue;
        out[i] = clampSimulatedHu(Math.min(out[i], hu + sd * g()));
        n++;
      }
    }
  }
  return n;
}

export function emphysema(volume: Volume, lungMask: Uint8Array, options: EmphysemaOptions): Volume {
  const [nx, ny, nz] = volume.dims;
  if (lungMask.length !== nx * ny * nz) throw new RangeError(`emphysema: lung mask has ${lungMask.length} voxels, the volume ${nx * ny * nz}`);
  const { superiorFraction, centrilobularShare, bullae, seed } = options;
  const plane = nx * ny;
  const out = Int16Array.from(volume.data, clampSimulatedHu);
  // in volume order: the seeded draws pick from the zone's voxels by index
  const zone = lungZone(volume, lungMask, superiorFraction, 'superior').sort((a, b) => a - b);
  const zoneVoxels: number[] = [];
  for (const z of zone) for (let i = plane * z; i < plane * (z + 1); i++) if (lungMask[i]) zoneVoxels.push(i);
  if (!zoneVoxels.length) return { ...volume, data: out, warnings: [...volume.warnings, 'emphysema simulated: no lung to place it in'] };
  const [sx, sy, sz] = volume.spacingMm;
  const rand = mulberry32(seed);
  const g = gaussianStream(mulberry32(seed + 1));
  const at = (i: number): [number, number, number] => [i % nx, Math.floor(i / nx) % ny, Math.floor(i / plane)];
  // centrilobular holes until their nominal volume reaches the share of the zone's lung volume
  const target = centrilobularShare * zoneVoxels.length * sx * sy * sz;
  let nominal = 0;
  let holes = 0;
  while (nominal < target) {
    const d = 2 * Math.pow(4, rand()); // 2–8 mm, log-uniform
    hollow(out, volume.dims, volume.spacingMm, at(zoneVoxels[Math.floor(rand() * zoneVoxels.length)]), d / 2, -985, 8, g);
    nominal += (Math.PI / 6) * d ** 3;
    holes++;
  }
  // paraseptal bullae: centred 0–5 mm inside the lateral or posterior edge of the lung on a zone slice
  const yPosterior = volume.direction[4] >= 0;
  let placed = 0;
  for (let tries = 0; placed < bullae && tries < 1000; tries++) {
    const [x0, y0, z] = at(zoneVoxels[Math.floor(rand() * zoneVoxels.length)]);
    const inset = Math.round((5 * rand()) / sx);
    let c: [number, number, number] | null = null;
    if (rand() < 0.5) {
      // lateral: walk along the row away from the image centre to the lung's last voxel
      const step = x0 < nx / 2 ? -1 : 1;
      let x = x0;
      while (x + step >= 0 && x + step < nx && lungMask[x + step + nx * (y0 + ny * z)]) x += step;
      c = [x - step * inset, y0, z];
    } else {
      const step = yPosterior ? 1 : -1;
      let y = y0;
      while (y + step >= 0 && y + step < ny && lungMask[x0 + nx * (y + step + ny * z)]) y += step;
      c = [x0, y - step * inset, z];
    }
    hollow(out, volume.dims, volume.spacingMm, c, (10 + 20 * rand()) / 2, -995, 4, g);
    placed++;
  }
  const note = `emphysema simulated (upper ${Math.round(100 * superiorFraction)} % of the lung slices: ${holes} centrilobular holes of 2–8 mm, ${Math.round(100 * centrilobularShare)} % of that lung; ${placed} paraseptal bullae of 10–30 mm)`;
  return { ...volume, data: out, source: { ...volume.source }, warnings: [...volume.warnings, note] };
}

