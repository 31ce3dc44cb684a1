/**
 * Synthetic infection lesions inserted into lesion-free HU lung (issue 9: HU positives).
 *
 * Why: every expert or pseudo lesion mask here is on 8-bit windowed images; the only HU lesion masks
 * are three coarse TB volumes. A segmenter trained on 8-bit lesions and HU lesion-free slices can
 * learn "HU ⇒ no lesion" (the image-source shortcut): screened, HU COVID-19 (P001) barely rose above a
 * normal CT. Lesion synthesis on normal CT (after Yao et al., "Label-free segmentation of COVID-19
 * lesions in lung CT", IEEE TMI 2021: smooth random shapes, raised and textured attenuation) gives
 * lesion masks in the HU domain of the very scanners whose lesion-free slices train the model, so
 * "lesion" and "HU" are no longer confounded. These tiles train only; validation stays on real lesions.
 *
 * The lesion is generated in 3-D on the voxel grid (mm geometry), so the neighbouring slices the
 * 2.5D segmenter reads agree with the centre slice. Ground-glass raises parenchyma to a target band
 * but leaves anything already denser (vessels stay visible, as in ground-glass); consolidation uses a
 * denser band. Not the phantom's generator (src/phantom/lesions.ts): the demo phantom stays unseen.
 */
import { mulberry32 } from '../core/random.ts';

/** HU bands the lesion's attenuation is drawn from (ground-glass, consolidation). */
export const GGO_HU: readonly [number, number] = [-720, -450];
export const CONSOLIDATION_HU: readonly [number, number] = [-150, 30];
/** Typical aerated parenchyma: the lift of a lesion is measured from it, so the scanner's own noise stays. */
export const PARENCHYMA_HU = -850;

export interface SyntheticLesionSpec {
  centreVoxel: [number, number, number];
  /** Semi-axes in mm: in-plane a ≥ b, through-plane c. */
  semiAxesMm: [number, number, number];
  /** In-plane rotation, radians. */
  angle: number;
  /** Ground-glass, or ground-glass with patchy consolidation inside (no solid round lesions: those are nodules, negatives here). */
  kind: 'ggo' | 'mixed';
  /** Target attenuation of the lesion body (HU). */
  targetHu: number;
  /** Seed of the shape and texture noise. */
  noiseSeed: number;
}

export interface SlabInput {
  /** HU of the whole volume, x fastest. */
  data: ArrayLike<number>;
  dims: readonly [number, number, number];
  spacingMm: readonly [number, number, number];
  lungMask: Uint8Array;
}

/**
 * Smooth value noise in [0, 1]: random values on a lattice of `cellMm`, trilinearly interpolated.
 * Deterministic in (seed, lattice point), so any sub-box of the grid gives the same field.
 */
export function valueNoise(seed: number, cellMm: number): (xMm: number, yMm: number, zMm: number) => number {
  const h = (i: number, j: number, k: number) => {
    let a = (Math.imul(i, 0x27d4eb2d) ^ Math.imul(j, 0x165667b1) ^ Math.imul(k, 0x1b873593) ^ seed) >>> 0;
    a = Math.imul(a ^ (a >>> 15), 0x85ebca6b) >>> 0;
    a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35) >>> 0;
    return ((a ^ (a >>> 16)) >>> 0) / 4294967296;
  };
  const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
  const fade = (t: number) => t * t * (3 - 2 * t);
  return (x, y, z) => {
    const fx = x / cellMm, fy = y / cellMm, fz = z / cellMm;
    const i = Math.floor(fx), j = Math.floor(fy), k = Math.floor(fz);
    const u = fade(fx - i), v = fade(fy - j), w = fade(fz - k);
    const c00 = lerp(h(i, j, k), h(i + 1, j, k), u);
    const c10 = lerp(h(i, j + 1, k), h(i + 1, j + 1, k), u);
    const c01 = lerp(h(i, j, k + 1), h(i + 1, j, k + 1), u);
    const c11 = lerp(h(i, j + 1, k + 1), h(i + 1, j + 1, k + 1), u);
    return lerp(lerp(c00, c10, v), lerp(c01, c11, v), w);
  };
}

/**
 * Draws `count` lesion specs centred in the lung on slice z (most of them peripheral, as COVID-19
 * ground-glass is), from a seeded stream. Returns fewer when the slice has too little lung.
 */
export function drawLesionSpecs(input: SlabInput, z: number, seed: number, count: number): SyntheticLesionSpec[] {
  const [nx, ny] = input.dims;
  const rnd = mulberry32(seed);
  const lung: number[] = [];
  const peripheral: number[] = [];
  const off = nx * ny * z;
  const step = 3; // pixel stride of the lung sample and of the pleura test
  for (let y = step; y < ny - step; y += step) {
    for (let x = step; x < nx - step; x += step) {
      if (!input.lungMask[off + y * nx + x]) continue;
      lung.push(y * nx + x);
      // near the pleura: a non-lung pixel within ~12 mm along one of 4 axes
      const r = Math.max(1, Math.round(12 / input.spacingMm[0]));
      const near = [[r, 0], [-r, 0], [0, r], [0, -r]].some(([dx, dy]) => {
        const xx = x + dx, yy = y + dy;
        return xx < 0 || yy < 0 || xx >= nx || yy >= ny || !input.lungMask[off + yy * nx + xx];
      });
      if (near) peripheral.push(y * nx + x);
    }
  }
  if (lung.length < 30) return [];
  const specs: SyntheticLesionSpec[] = [];
  for (let k = 0; k < count; k++) {
    const pool = peripheral.length > 0 && rnd() < 0.7 ? peripheral : lung;
    const p = pool[Math.floor(rnd() * pool.length)];
    const a = 6 * Math.pow(40 / 6, rnd()); // 6–40 mm, log-uniform
    const b = a * (0.45 + 0.55 * rnd());
    const c = Math.max(3, a * (0.4 + 0.8 * rnd()));
    const kind: SyntheticLesionSpec['kind'] = rnd() < 0.75 ? 'ggo' : 'mixed';
    const band = GGO_HU;
    specs.push({
      centreVoxel: [p % nx, Math.floor(p / nx), z],
      semiAxesMm: [a, b, c],
      angle: rnd() * Math.PI,
      kind,
      targetHu: band[0] + (band[1] - band[0]) * rnd(),
      noiseSeed: Math.floor(rnd() * 2 ** 31),
    });
  }
  return specs;
}

/**
 * The slab z−1, z, z+1 (edge slices repeated, as the sliding window does) with the lesions inserted,
 * and the lesion mask of each of the three slices. Lesion voxels are inside the lung only.
 * Pure: the input is not modified.
 */
export function insertLesions(input: SlabInput, z: number, specs: readonly SyntheticLesionSpec[], offsets: readonly number[] = [-1, 0, 1]): { slices: Float32Array[]; masks: Uint8Array[] } {
  const [nx, ny, nz] = input.dims;
  const [sx, sy, sz] = input.spacingMm;
  const plane = nx * ny;
  const slices: Float32Array[] = [];
  const masks: Uint8Array[] = [];
  for (const o of offsets) {
    const zz = Math.min(nz - 1, Math.max(0, z + o));
    const hu = new Float32Array(plane);
    const base = plane * zz;
    for (let i = 0; i < plane; i++) hu[i] = input.data[base + i];
    const mask = new Uint8Array(plane);
    // mm of this slice relative to slice z (a repeated edge slice stays where it is)
    const dzMm = (zz - z) * sz;
    for (const s of specs) {
      const [a, b, c] = s.semiAxesMm;
      if (Math.abs(dzMm) > c * 1.4) continue;
      const shape = valueNoise(s.noiseSeed, Math.max(4, a / 1.5));
      const patch = valueNoise(s.noiseSeed ^ 0x68e31da4, 5);
      const texture = valueNoise(s.noiseSeed ^ 0x5bd1e995, 2.2);
      const consolidation = valueNoise(s.noiseSeed ^ 0x3c6ef372, 7);
      const cos = Math.cos(s.angle), sin = Math.sin(s.angle);
      const reach = a * 1.5;
      const x0 = Math.max(0, Math.floor(s.centreVoxel[0] - reach / sx)), x1 = Math.min(nx - 1, Math.ceil(s.centreVoxel[0] + reach / sx));
      const y0 = Math.max(0, Math.floor(s.centreVoxel[1] - reach / sy)), y1 = Math.min(ny - 1, Math.ceil(s.centreVoxel[1] + reach / sy));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const i = y * nx + x;
          if (!input.lungMask[base + i]) continue;
          const px = (x - s.centreVoxel[0]) * sx, py = (y - s.centreVoxel[1]) * sy;
          const u = (px * cos + py * sin) / a, v = (-px * sin + py * cos) / b, w = dzMm / c;
          const r = Math.sqrt(u * u + v * v + w * w);
          // lobulated, ill-defined border: the ellipsoid radius perturbed by smooth noise, a wide ramp,
          // and patchy haze inside
          const f = 1 - r + 0.5 * (shape(px, py, dzMm) - 0.5);
          if (f <= 0) continue;
          const alpha = Math.min(1, f / 0.4) * (0.6 + 0.4 * patch(px, py, dzMm));
          const t = texture(px, py, dzMm);
          let target = s.targetHu + 90 * (t - 0.5);
          if (s.kind === 'mixed') {
            // consolidation blended in where a second patch field is high, deeper inside the lesion
            const q = Math.min(1, Math.max(0, (consolidation(px, py, dzMm) - 0.5) / 0.2)) * Math.min(1, f / 0.6);
            target += q * (CONSOLIDATION_HU[0] + (CONSOLIDATION_HU[1] - CONSOLIDATION_HU[0]) * t - target);
          }
          // lift measured from aerated parenchyma, so the scanner's noise stays; denser tissue (vessels) is kept
          if (hu[i] < target) hu[i] = Math.min(hu[i] + alpha * (target - PARENCHYMA_HU), Math.max(hu[i], target + 60));
          if (alpha >= 0.5) mask[i] = 1;
        }
      }
    }
    slices.push(hu);
    masks.push(mask);
  }
  return { slices, masks };
}
