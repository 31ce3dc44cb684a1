/**
 * Resampling and reorientation, each with an inverse, so a stage can work on a standard grid
 * (e.g. isotropic voxels for 3-D candidate detection, §2.3) and map its masks back onto the
 * scan as read.
 *
 * - `resampleToGrid` samples a volume on any grid through patient (LPS) coordinates: linear for
 *   images, nearest for label maps. Its inverse is resampling back onto `gridOf(original)`.
 * - `reorientToCanonical` permutes/flips voxel axes (no interpolation, exact) so the direction is
 *   closest to identity: x → patient left, y → posterior, z → superior (LPS+). The returned
 *   `AxisReorientation` undoes it with `reorientFromCanonical`.
 */
import { AIR_HU } from '../core/constants.ts';
import type { Mat3, Vec3, Volume, VoxelData } from '../core/volume.ts';
import { voxelCount } from '../core/volume.ts';

/** The geometry of a volume without its data. */
export interface Grid {
  dims: Vec3;
  spacingMm: Vec3;
  originMm: Vec3;
  direction: Mat3;
}

export type Interpolation = 'linear' | 'nearest';

export interface ResampleOptions {
  /** 'linear' for images (HU), 'nearest' for label maps (masks keep their exact labels). */
  interpolation: Interpolation;
  /** Value outside the input: default AIR_HU for linear (CT), 0 for nearest (background label). */
  fill?: number;
}

export function gridOf(v: Grid): Grid {
  return { dims: v.dims, spacingMm: v.spacingMm, originMm: v.originMm, direction: v.direction };
}

/**
 * Output voxel (i, j, k) ↦ input continuous voxel coordinate = A·(i, j, k) + b, from
 * in = S_in⁻¹ D_inᵀ (o_out − o_in + D_out S_out · out); directions are orthonormal.
 */
function voxelMap(from: Grid, to: Grid): { a: number[]; b: number[] } {
  const di = from.direction;
  const dout = to.direction;
  const a = new Array<number>(9).fill(0);
  const b = [0, 0, 0];
  const d = [to.originMm[0] - from.originMm[0], to.originMm[1] - from.originMm[1], to.originMm[2] - from.originMm[2]];
  for (let r = 0; r < 3; r++) {
    // row r of D_inᵀ is column r of D_in
    const cr = [di[r], di[3 + r], di[6 + r]];
    b[r] = (cr[0] * d[0] + cr[1] * d[1] + cr[2] * d[2]) / from.spacingMm[r];
    for (let c = 0; c < 3; c++) {
      const oc = [dout[c], dout[3 + c], dout[6 + c]];
      a[3 * r + c] = ((cr[0] * oc[0] + cr[1] * oc[1] + cr[2] * oc[2]) * to.spacingMm[c]) / from.spacingMm[r];
    }
  }
  return { a, b };
}

/** Continuous coordinates within half a voxel of the edge are clamped onto it (edge voxels' extent). */
const EDGE_HALF_VOXEL = 0.5;

/** Samples `vol` on `grid`. Output type follows the input (integer types are rounded). */
export function resampleToGrid<T extends VoxelData>(vol: Volume<T>, grid: Grid, options: ResampleOptions): Volume<T> {
  const [nx, ny, nz] = vol.dims;
  const [ox, oy, oz] = grid.dims;
  const src = vol.data;
  const out = new (src.constructor as new (n: number) => T)(voxelCount(grid.dims));
  const fill = options.fill ?? (options.interpolation === 'linear' ? AIR_HU : 0);
  const round = !(src instanceof Float32Array);
  const { a, b } = voxelMap(vol, grid);
  const plane = nx * ny;
  const lo = -EDGE_HALF_VOXEL;
  const hx = nx - 1 + EDGE_HALF_VOXEL;
  const hy = ny - 1 + EDGE_HALF_VOXEL;
  const hz = nz - 1 + EDGE_HALF_VOXEL;
  let o = 0;
  for (let k = 0; k < oz; k++) {
    for (let j = 0; j < oy; j++) {
      // coordinates move linearly along i: start of the row plus i times column 0 of A
      let x = a[1] * j + a[2] * k + b[0];
      let y = a[4] * j + a[5] * k + b[1];
      let z = a[7] * j + a[8] * k + b[2];
      for (let i = 0; i < ox; i++, o++, x += a[0], y += a[3], z += a[6]) {
        if (x < lo || y < lo || z < lo || x > hx || y > hy || z > hz) {
          out[o] = fill;
          continue;
        }
        if (options.interpolation === 'nearest') {
          const xi = Math.min(nx - 1, Math.max(0, Math.round(x)));
          const yi = Math.min(ny - 1, Math.max(0, Math.round(y)));
          const zi = Math.min(nz - 1, Math.max(0, Math.round(z)));
          out[o] = src[xi + nx * yi + plane * zi];
          continue;
        }
        const cx = Math.min(nx - 1, Math.max(0, x));
        const cy = Math.min(ny - 1, Math.max(0, y));
        const cz = Math.min(nz - 1, Math.max(0, z));
        const x0 = Math.min(Math.floor(cx), Math.max(0, nx - 2));
        const y0 = Math.min(Math.floor(cy), Math.max(0, ny - 2));
        const z0 = Math.min(Math.floor(cz), Math.max(0, nz - 2));
        const fx = nx > 1 ? cx - x0 : 0;
        const fy = ny > 1 ? cy - y0 : 0;
        const fz = nz > 1 ? cz - z0 : 0;
        const sx = nx > 1 ? 1 : 0;
        const sy = ny > 1 ? nx : 0;
        const sz = nz > 1 ? plane : 0;
        const p = x0 + nx * y0 + plane * z0;
        const c00 = src[p] + fx * (src[p + sx] - src[p]);
        const c10 = src[p + sy] + fx * (src[p + sy + sx] - src[p + sy]);
        const c01 = src[p + sz] + fx * (src[p + sz + sx] - src[p + sz]);
        const c11 = src[p + sz + sy] + fx * (src[p + sz + sy + sx] - src[p + sz + sy]);
        const c0 = c00 + fy * (c10 - c00);
        const c1 = c01 + fy * (c11 - c01);
        const v = c0 + fz * (c1 - c0);
        out[o] = round ? Math.round(v) : v;
      }
    }
  }
  return { ...grid, data: out, source: vol.source, warnings: [...vol.warnings] };
}

/**
 * Resamples to a new voxel size on the same axes and origin, covering the same extent
 * (centre of the first voxel to centre of the last, rounded down to whole new voxels).
 */
export function resampleToSpacing<T extends VoxelData>(vol: Volume<T>, spacingMm: Vec3, options: ResampleOptions): Volume<T> {
  for (const s of spacingMm) if (!(s > 0)) throw new RangeError(`spacing must be positive, got ${spacingMm.join(',')}`);
  const dims = [0, 1, 2].map((i) => Math.max(1, Math.floor(((vol.dims[i] - 1) * vol.spacingMm[i]) / spacingMm[i] + 1e-6) + 1)) as unknown as Vec3;
  return resampleToGrid(vol, { dims, spacingMm, originMm: vol.originMm, direction: vol.direction }, options);
}

/** Output voxel axis a is input axis `permutation[a]`, reversed when `flip[a]`. */
export interface AxisReorientation {
  permutation: readonly [number, number, number];
  flip: readonly [boolean, boolean, boolean];
}

/** The permutation/flip bringing `direction` closest to identity (LPS+). */
export function canonicalReorientation(direction: Mat3): AxisReorientation {
  const perm = [-1, -1, -1];
  const flip = [false, false, false];
  const usedInput = new Set<number>();
  // assign the strongest (patient axis, voxel axis) pairs first so oblique scans stay unambiguous
  const pairs: Array<{ patient: number; voxel: number; w: number }> = [];
  for (let p = 0; p < 3; p++) for (let v = 0; v < 3; v++) pairs.push({ patient: p, voxel: v, w: Math.abs(direction[3 * p + v]) });
  pairs.sort((x, y) => y.w - x.w);
  for (const { patient, voxel } of pairs) {
    if (perm[patient] !== -1 || usedInput.has(voxel)) continue;
    perm[patient] = voxel;
    flip[patient] = direction[3 * patient + voxel] < 0;
    usedInput.add(voxel);
  }
  return { permutation: [perm[0], perm[1], perm[2]], flip: [flip[0], flip[1], flip[2]] };
}

export function invertReorientation(r: AxisReorientation): AxisReorientation {
  const perm = [0, 0, 0];
  const flip = [false, false, false];
  for (let a = 0; a < 3; a++) {
    perm[r.permutation[a]] = a;
    flip[r.permutation[a]] = r.flip[a];
  }
  return { permutation: [perm[0], perm[1], perm[2]], flip: [flip[0], flip[1], flip[2]] };
}

/** Permutes/flips voxel axes exactly (no interpolation); patient geometry is unchanged. */
export function applyReorientation<T extends VoxelData>(vol: Volume<T>, r: AxisReorientation): Volume<T> {
  const p = r.permutation;
  const inStride = [1, vol.dims[0], vol.dims[0] * vol.dims[1]];
  const dims: Vec3 = [vol.dims[p[0]], vol.dims[p[1]], vol.dims[p[2]]];
  const spacingMm: Vec3 = [vol.spacingMm[p[0]], vol.spacingMm[p[1]], vol.spacingMm[p[2]]];
  const d = vol.direction;
  // `+ 0` keeps -0 (from flipping a zero cosine) out of the direction matrix
  const col = (j: number, sign: number) => [sign * d[j] + 0, sign * d[3 + j] + 0, sign * d[6 + j] + 0];
  const c = [0, 1, 2].map((a) => col(p[a], r.flip[a] ? -1 : 1));
  const direction: Mat3 = [c[0][0], c[1][0], c[2][0], c[0][1], c[1][1], c[2][1], c[0][2], c[1][2], c[2][2]];
  // the new first voxel is the old voxel at the far end of each flipped axis
  const first = [0, 0, 0];
  for (let a = 0; a < 3; a++) if (r.flip[a]) first[p[a]] = vol.dims[p[a]] - 1;
  const originMm: Vec3 = [0, 1, 2].map((i) => vol.originMm[i] + d[3 * i] * first[0] * vol.spacingMm[0] + d[3 * i + 1] * first[1] * vol.spacingMm[1] + d[3 * i + 2] * first[2] * vol.spacingMm[2]) as unknown as Vec3;
  const stride = [0, 1, 2].map((a) => (r.flip[a] ? -1 : 1) * inStride[p[a]]);
  const base = first[0] + inStride[1] * first[1] + inStride[2] * first[2];
  const src = vol.data;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  let o = 0;
  for (let z = 0; z < dims[2]; z++) {
    for (let y = 0; y < dims[1]; y++) {
      let q = base + z * stride[2] + y * stride[1];
      for (let x = 0; x < dims[0]; x++, o++, q += stride[0]) out[o] = src[q];
    }
  }
  return { data: out, dims, spacingMm, originMm, direction, source: vol.source, warnings: [...vol.warnings] };
}

/** Reorients to LPS+ voxel axes; keep `reorientation` to map results back. */
export function reorientToCanonical<T extends VoxelData>(vol: Volume<T>): { volume: Volume<T>; reorientation: AxisReorientation } {
  const reorientation = canonicalReorientation(vol.direction);
  return { volume: applyReorientation(vol, reorientation), reorientation };
}

/** Undoes `reorientToCanonical` (e.g. for a mask computed on the canonical volume). */
export function reorientFromCanonical<T extends VoxelData>(vol: Volume<T>, reorientation: AxisReorientation): Volume<T> {
  return applyReorientation(vol, invertReorientation(reorientation));
}
