/**
 * Pulmonary vessel and bronchial trees for the phantom: recursive branching from each hilum
 * (Murray-like radius decay), rasterised as capsules with partial-volume edges. Vessels make a
 * threshold lung mask full of holes — exactly what a lung extractor must keep inside the lung.
 */
import type { Random } from './random.ts';

export type Vec3Mm = [number, number, number];

const PLEURA_MARGIN_MM = 2;
const PLEURA_MARGIN_PER_RADIUS = 4;

export interface TreeSegment {
  a: Vec3Mm;
  b: Vec3Mm;
  radiusMm: number;
  depth: number;
  side: 1 | 2;
}

export interface TreeOptions {
  rootRadiusMm: number;
  rootLengthMm: number;
  maxDepth: number;
  minRadiusMm: number;
  /** Returns whether a point (mm) is inside the given lung. */
  inside: (p: Vec3Mm, side: 1 | 2) => boolean;
}

function normalize(v: Vec3Mm): Vec3Mm {
  const l = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / l, v[1] / l, v[2] / l];
}

/** A random unit vector perpendicular to d. */
function perpendicular(d: Vec3Mm, rng: Random): Vec3Mm {
  const r: Vec3Mm = [rng.gaussian(), rng.gaussian(), rng.gaussian()];
  const k = r[0] * d[0] + r[1] * d[1] + r[2] * d[2];
  return normalize([r[0] - k * d[0], r[1] - k * d[1], r[2] - k * d[2]]);
}

/** Grows one lung's tree from its hilum; roots point to the apex, the lateral lung and the base. */
export function growTree(hilum: Vec3Mm, side: 1 | 2, rng: Random, options: TreeOptions): TreeSegment[] {
  const lateral = side === 1 ? -1 : 1;
  const roots: Vec3Mm[] = [
    [0.35 * lateral, -0.2, 0.9], // upper lobe, anterior
    [0.4 * lateral, 0.4, 0.8], // upper lobe, posterior
    [0.9 * lateral, -0.45, 0.1], // middle lobe or lingula
    [0.8 * lateral, 0.35, 0.05], // lower lobe, superior segment
    [0.6 * lateral, 0.55, -0.55], // lower lobe, posterior basal
    [0.55 * lateral, -0.35, -0.7], // lower lobe, anterior basal
  ];
  const out: TreeSegment[] = [];
  const stack: Array<{ p: Vec3Mm; d: Vec3Mm; len: number; r: number; depth: number }> = roots.map((d) => ({
    p: hilum,
    d: normalize(d),
    len: options.rootLengthMm,
    r: options.rootRadiusMm,
    depth: 0,
  }));
  while (stack.length > 0) {
    const s = stack.pop()!;
    // shorten the branch until it ends inside the lung (branches never pierce the pleura)
    // Real vessels taper to < 1 mm in the outer 1–2 cm of lung: a branch stops short of the pleura
    // by a margin that grows with its radius.
    const margin = PLEURA_MARGIN_MM + PLEURA_MARGIN_PER_RADIUS * s.r;
    let len = s.len;
    const endAt = (l: number): Vec3Mm => [s.p[0] + s.d[0] * l, s.p[1] + s.d[1] * l, s.p[2] + s.d[2] * l];
    let end = endAt(len);
    while (len > 3 && !options.inside(endAt(len + margin), side)) {
      len *= 0.7;
      end = endAt(len);
    }
    if (len <= 3) continue;
    out.push({ a: s.p, b: end, radiusMm: s.r, depth: s.depth, side });
    if (s.depth + 1 > options.maxDepth || s.r * 0.74 < options.minRadiusMm) continue;
    const axis = perpendicular(s.d, rng);
    for (let c = 0; c < 2; c++) {
      const angle = rng.uniform(0.35, 0.7) * (c === 0 ? 1 : -1);
      // rotate d toward the perpendicular by `angle`, then pull slightly outward (away from the hilum)
      const outward = normalize([end[0] - hilum[0], end[1] - hilum[1], end[2] - hilum[2]]);
      const nd = normalize([
        Math.cos(angle) * s.d[0] + Math.sin(angle) * axis[0] + 0.25 * outward[0],
        Math.cos(angle) * s.d[1] + Math.sin(angle) * axis[1] + 0.25 * outward[1],
        Math.cos(angle) * s.d[2] + Math.sin(angle) * axis[2] + 0.25 * outward[2],
      ]);
      stack.push({ p: end, d: nd, len: s.len * rng.uniform(0.68, 0.84), r: s.r * rng.uniform(0.7, 0.8), depth: s.depth + 1 });
    }
  }
  return out;
}

/** Grid description shared by the raster helpers (phantom frame, mm). */
export interface PhantomGrid {
  nx: number;
  ny: number;
  nz: number;
  /** mm coordinate of voxel index 0 along each axis, and the step. */
  x0: number;
  y0: number;
  z0: number;
  sx: number;
  sy: number;
  sz: number;
}

/**
 * Calls `visit(index, distanceMm)` for every voxel whose centre lies within `reachMm` of segment
 * a–b. With `slabHalfMm`, a voxel stands for the slab z ± slabHalfMm (slice thickness): its z
 * distance shrinks by that much. Iterates only the segment's bounding box.
 */
export function forEachNearSegment(
  grid: PhantomGrid,
  a: Vec3Mm,
  b: Vec3Mm,
  reachMm: number,
  visit: (index: number, distanceMm: number) => void,
  slabHalfMm = 0,
): void {
  const { nx, ny, nz, x0, y0, z0, sx, sy, sz } = grid;
  const lo = (v0: number, v1: number, o: number, s: number) => Math.max(0, Math.floor((Math.min(v0, v1) - reachMm - o) / s));
  const hi = (v0: number, v1: number, o: number, s: number, n: number) => Math.min(n - 1, Math.ceil((Math.max(v0, v1) + reachMm - o) / s));
  const i0 = lo(a[0], b[0], x0, sx), i1 = hi(a[0], b[0], x0, sx, nx);
  const j0 = lo(a[1], b[1], y0, sy), j1 = hi(a[1], b[1], y0, sy, ny);
  const k0 = Math.max(0, lo(a[2], b[2], z0, sz) - Math.ceil(slabHalfMm / sz));
  const k1 = Math.min(nz - 1, hi(a[2], b[2], z0, sz, nz) + Math.ceil(slabHalfMm / sz));
  const vx = b[0] - a[0], vy = b[1] - a[1], vz = b[2] - a[2];
  const vv = vx * vx + vy * vy + vz * vz || 1;
  const reach2 = reachMm * reachMm;
  for (let k = k0; k <= k1; k++) {
    const pz = z0 + k * sz - a[2];
    for (let j = j0; j <= j1; j++) {
      const py = y0 + j * sy - a[1];
      const row = nx * (j + ny * k);
      for (let i = i0; i <= i1; i++) {
        const px = x0 + i * sx - a[0];
        let t = (px * vx + py * vy + pz * vz) / vv;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const dx = px - t * vx, dy = py - t * vy;
        let dz = Math.abs(pz - t * vz) - slabHalfMm;
        if (dz < 0) dz = 0;
        const d2 = dx * dx + dy * dy + dz * dz;
        if (d2 <= reach2) visit(row + i, Math.sqrt(d2));
      }
    }
  }
}
