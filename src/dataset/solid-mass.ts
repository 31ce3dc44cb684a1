/**
 * Solid masses: lung tumours and large nodules, which a lung-cancer CT without infection has and no
 * CT in ../shared/data shows in HU. `ctscreen robustness` places them as stress tests: one fixed
 * smooth 30 mm mass (`solid-nodule-30mm`), and a seeded draw of 2–4, half spiculated (`solid-masses`).
 * Classifier 8.0.0 trains on them (dataset/patches.ts): under robustness's readings normal001 (a
 * training patient) turned indeterminate with classifier 7.0.0, because a borderline region beside a
 * mass rose above the strong-region threshold (0.73 and 0.70 against 0.674).
 *
 *   insertSolidMass(data, volume, spec): number           the mass written into `data` (in place); voxels changed
 *   drawSolidMasses(volume, lungMask, seed): SolidMassSpec[]   a seeded training draw: 2–4 masses of 10–40 mm
 *                                                         centred on lung voxels, half of them spiculated
 *   withSolidMasses(volume, specs): Volume                a copy of the volume with the masses (pure)
 *   solidMassBox(volume, spec, extraMm?): Box3           the voxel box a mass can reach (lobules), grown by extraMm
 *
 * A mass is the union of a sphere of diameterMm and three smaller ones around it (lobulated), at hu ±
 * 15 HU of noise; spiculated masses add thin straight strands of soft tissue radiating 5–15 mm from the
 * surface. Bone (> 200 HU) is left as it is.
 */
import { clampSimulatedHu } from '../core/constants.ts';
import { gaussianStream, mulberry32 } from '../core/random.ts';
import type { Box3, Vec3, Volume } from '../core/volume.ts';

/** How far beyond a mass's radius its spicules reach at most (insertSolidMass draws r + 5–15 mm). */
export const SPICULE_REACH_MM = 15;

export interface SolidMassSpec {
  /** Centre, voxel coordinates [x, y, z]. */
  centreVoxel: Vec3;
  diameterMm: number;
  /** Mean density of the mass, HU. */
  hu: number;
  /** Seeds the lobules, the noise and the spicules. */
  seed: number;
  /** Number of spicules (0: a smooth lobulated mass). */
  spicules: number;
}

/** Writes one mass into `out` (the volume's voxels, zyx); returns how many voxels it set. */
export function insertSolidMass(out: Int16Array, volume: Pick<Volume, 'dims' | 'spacingMm'>, spec: SolidMassSpec): number {
  const [nx, ny, nz] = volume.dims;
  const [sx, sy, sz] = volume.spacingMm;
  if (out.length !== nx * ny * nz) throw new RangeError(`insertSolidMass: ${out.length} voxels for a ${nx}×${ny}×${nz} volume`);
  if (!(spec.diameterMm > 0)) throw new RangeError(`insertSolidMass: diameter ${spec.diameterMm} mm must be > 0`);
  const r = spec.diameterMm / 2;
  const rand = mulberry32(spec.seed);
  const blobs: Array<[number, number, number, number]> = [[0, 0, 0, r]];
  for (let k = 0; k < 3; k++) blobs.push([(rand() - 0.5) * r, (rand() - 0.5) * r, (rand() - 0.5) * r * 0.8, r * (0.5 + 0.3 * rand())]);
  const g = gaussianStream(mulberry32(spec.seed + 1));
  const [cx, cy, cz] = spec.centreVoxel;
  let voxels = 0;
  const set = (x: number, y: number, z: number, hu: number) => {
    const i = x + nx * (y + ny * z);
    if (out[i] > 200) return;
    out[i] = clampSimulatedHu(hu);
    voxels++;
  };
  const reach = 1.5 * r;
  for (let z = Math.max(0, Math.ceil(cz - reach / sz)); z <= Math.min(nz - 1, Math.floor(cz + reach / sz)); z++) {
    for (let y = Math.max(0, Math.ceil(cy - reach / sy)); y <= Math.min(ny - 1, Math.floor(cy + reach / sy)); y++) {
      for (let x = Math.max(0, Math.ceil(cx - reach / sx)); x <= Math.min(nx - 1, Math.floor(cx + reach / sx)); x++) {
        const px = (x - cx) * sx, py = (y - cy) * sy, pz = (z - cz) * sz;
        if (!blobs.some(([bx, by, bz, br]) => (px - bx) ** 2 + (py - by) ** 2 + (pz - bz) ** 2 <= br * br)) continue;
        if (out[x + nx * (y + ny * z)] > 200) continue; // before the noise draw: bone leaves the stream as it was
        set(x, y, z, spec.hu + 15 * g());
      }
    }
  }
  // spicules: segments from 0.8 r to r + 5–15 mm along a random direction, 0.6–1.0 mm thick, fading in density
  const sr = mulberry32(spec.seed + 2);
  for (let k = 0; k < spec.spicules; k++) {
    const u = 2 * sr() - 1;
    const phi = 2 * Math.PI * sr();
    const dir: Vec3 = [Math.sqrt(1 - u * u) * Math.cos(phi), Math.sqrt(1 - u * u) * Math.sin(phi), u];
    const from = 0.8 * r;
    const to = r + 5 + 10 * sr();
    const radius = 0.6 + 0.4 * sr();
    const steps = Math.ceil((to - from) / (0.5 * Math.min(sx, sy, sz)));
    for (let t = 0; t <= steps; t++) {
      const d = from + ((to - from) * t) / steps;
      const fade = 1 - (d - from) / (to - from);
      const px = cx + (dir[0] * d) / sx, py = cy + (dir[1] * d) / sy, pz = cz + (dir[2] * d) / sz;
      for (let z = Math.max(0, Math.ceil(pz - radius / sz)); z <= Math.min(nz - 1, Math.floor(pz + radius / sz)); z++) {
        for (let y = Math.max(0, Math.ceil(py - radius / sy)); y <= Math.min(ny - 1, Math.floor(py + radius / sy)); y++) {
          for (let x = Math.max(0, Math.ceil(px - radius / sx)); x <= Math.min(nx - 1, Math.floor(px + radius / sx)); x++) {
            if (((x - px) * sx) ** 2 + ((y - py) * sy) ** 2 + ((z - pz) * sz) ** 2 > radius * radius) continue;
            // a strand is partial-volume soft tissue: from the mass's density at its root to −400 HU at its tip
            const hu = -400 + (spec.hu + 400) * fade;
            const i = x + nx * (y + ny * z);
            if (out[i] < -300 && out[i] < hu) set(x, y, z, hu); // into aerated lung only: the mass and vessels stay
          }
        }
      }
    }
  }
  return voxels;
}

/** Seeded training draw: 2–4 masses, 10–40 mm, 20–60 HU, centred on lung voxels; each second one spiculated (4–10 strands). */
export function drawSolidMasses(volume: Pick<Volume, 'dims'>, lungMask: Uint8Array, seed: number): SolidMassSpec[] {
  const [nx, ny, nz] = volume.dims;
  if (lungMask.length !== nx * ny * nz) throw new RangeError(`drawSolidMasses: lung mask has ${lungMask.length} voxels, the volume ${nx * ny * nz}`);
  const rand = mulberry32(seed);
  const count = 2 + Math.floor(3 * rand());
  const out: SolidMassSpec[] = [];
  for (let k = 0, tries = 0; out.length < count && tries < 100000; tries++) {
    const i = Math.floor(rand() * lungMask.length);
    if (!lungMask[i]) continue;
    const x = i % nx;
    const y = Math.floor(i / nx) % ny;
    const z = Math.floor(i / (nx * ny));
    out.push({ centreVoxel: [x, y, z], diameterMm: 10 + 30 * rand(), hu: 20 + 40 * rand(), seed: (seed * 31 + 7 * ++k) >>> 0, spicules: out.length % 2 ? 4 + Math.floor(7 * rand()) : 0 });
  }
  return out;
}

/** A copy of the volume (as Int16 HU) with the masses; a warning names them. */
export function withSolidMasses(volume: Volume, specs: readonly SolidMassSpec[]): Volume {
  const out = Int16Array.from(volume.data, clampSimulatedHu);
  for (const s of specs) insertSolidMass(out, volume, s);
  const list = specs.map((s) => `${s.diameterMm.toFixed(0)} mm${s.spicules ? ' spiculated' : ''}`).join(', ');
  return { ...volume, data: out, warnings: [...volume.warnings, `synthetic solid masses (tumour stand-ins): ${list}`] };
}

/** The z range of slices the masses touch (spicules included), for exporting only those slices. */
export function solidMassSlices(volume: Pick<Volume, 'dims' | 'spacingMm'>, specs: readonly SolidMassSpec[]): Set<number> {
  const zs = new Set<number>();
  for (const s of specs) {
    const box = solidMassBox(volume, s, s.spicules ? SPICULE_REACH_MM : 0);
    for (let z = box.min[2]; z <= box.max[2]; z++) zs.add(z);
  }
  return zs;
}

/**
 * The voxel box a mass's lobules can reach: its centre ± 0.75 × diameter (+ extraMm) on each axis,
 * rounded outwards to whole voxels and clamped to the volume. With extraMm = SPICULE_REACH_MM it holds the spicules.
 */
export function solidMassBox(volume: Pick<Volume, 'dims' | 'spacingMm'>, spec: SolidMassSpec, extraMm = 0): Box3 {
  const reachMm = 0.75 * spec.diameterMm + extraMm;
  const min = [0, 0, 0] as [number, number, number];
  const max = [0, 0, 0] as [number, number, number];
  for (let a = 0; a < 3; a++) {
    const r = Math.ceil(reachMm / volume.spacingMm[a]);
    min[a] = Math.max(0, spec.centreVoxel[a] - r);
    max[a] = Math.min(volume.dims[a] - 1, spec.centreVoxel[a] + r);
  }
  return { min, max };
}
