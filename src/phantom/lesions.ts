/**
 * Lesions for the phantom, placed by parameters. Ground-glass opacity (GGO, about −700 to −300 HU,
 * vessels still visible) and consolidation (about −100 to +50 HU, vessels hidden), either
 * peripheral/subpleural and multifocal — the COVID-19 pattern the paper's location attention is
 * built on (§2.5.1) — or central/peribronchovascular, as typical of bacterial/other pneumonia.
 */
import type { Random } from './random.ts';
import type { Vec3Mm } from './vessel-tree.ts';

export type LesionKind = 'ground-glass' | 'consolidation';
export type LesionPattern = 'peripheral' | 'central';
export type LesionPreset = 'covid' | 'cap' | 'none';

export interface PhantomLesionSpec {
  kind: LesionKind;
  pattern: LesionPattern;
  /** Nominal diameter (mm) of the lesion before it is clipped to the lung. */
  diameterMm: number;
  /** Default: chosen by the seed. */
  side?: 'right' | 'left';
  /** Height in the lung, 0 = base, 1 = apex. Default: chosen by the seed within 0.2–0.75. */
  heightFraction?: number;
}

/** HU ranges the phantom draws lesion values from (issue 4; Kanne 2020; Chung 2020). */
export const LESION_HU: Record<LesionKind, readonly [number, number]> = {
  'ground-glass': [-650, -380],
  consolidation: [-60, 35],
};

/** Specs for a preset; `count` overrides the preset's own number of lesions. */
export function presetLesions(preset: LesionPreset, rng: Random, count?: number): PhantomLesionSpec[] {
  if (preset === 'none') return [];
  if (preset === 'covid') {
    // multifocal, bilateral, peripheral, mostly ground-glass with some consolidation
    const n = count ?? rng.int(4, 6);
    const out: PhantomLesionSpec[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        kind: i % 3 === 2 ? 'consolidation' : 'ground-glass',
        pattern: 'peripheral',
        diameterMm: rng.uniform(18, 40),
        side: i % 2 === 0 ? 'right' : 'left',
        heightFraction: rng.uniform(0.2, 0.72),
      });
    }
    return out;
  }
  // community-acquired pneumonia: one or two central, peribronchovascular consolidations, one side
  const n = count ?? rng.int(1, 2);
  const side = rng.next() < 0.5 ? 'right' : 'left';
  const out: PhantomLesionSpec[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ kind: 'consolidation', pattern: 'central', diameterMm: rng.uniform(26, 42), side, heightFraction: rng.uniform(0.25, 0.6) });
  }
  return out;
}

/** A placed lesion: an irregular blob (sphere with low-frequency boundary undulation). */
export interface PlacedLesion {
  spec: PhantomLesionSpec;
  centreMm: Vec3Mm;
  radiusMm: number;
  /** Plane waves that perturb the boundary: (kx, ky, kz, phase, amplitude). */
  waves: Float64Array;
  valueHu: number;
}

const WAVES = 3;

export function makeBlob(spec: PhantomLesionSpec, centreMm: Vec3Mm, rng: Random): PlacedLesion {
  const radiusMm = spec.diameterMm / 2;
  const waves = new Float64Array(WAVES * 5);
  for (let w = 0; w < WAVES; w++) {
    const th = rng.uniform(0, Math.PI);
    const ph = rng.uniform(0, 2 * Math.PI);
    const k = (2 * Math.PI) / (radiusMm * rng.uniform(1.2, 2.2));
    waves[w * 5] = k * Math.sin(th) * Math.cos(ph);
    waves[w * 5 + 1] = k * Math.sin(th) * Math.sin(ph);
    waves[w * 5 + 2] = k * Math.cos(th);
    waves[w * 5 + 3] = rng.uniform(0, 2 * Math.PI);
    waves[w * 5 + 4] = 0.07;
  }
  const [lo, hi] = LESION_HU[spec.kind];
  return { spec, centreMm, radiusMm, waves, valueHu: rng.uniform(lo, hi) };
}

/** Normalised blob radius at a point: < 1 inside. */
export function blobRadius(l: PlacedLesion, x: number, y: number, z: number): number {
  const dx = x - l.centreMm[0], dy = y - l.centreMm[1], dz = z - l.centreMm[2];
  let r = Math.sqrt(dx * dx + dy * dy + dz * dz) / l.radiusMm;
  const w = l.waves;
  for (let i = 0; i < w.length; i += 5) r += w[i + 4] * Math.sin(w[i] * dx + w[i + 1] * dy + w[i + 2] * dz + w[i + 3]);
  return r;
}
