/**
 * Provisional lung mask + relative distance-from-edge (§2.5.1) for the dataset exporter, built on
 * src/lung's 2-D primitives while the lung stage's `extractLungs` is still being written. Screening
 * uses the lung stage; this adapter exists so the classifier can be trained now, and is to be
 * replaced by `extractLungs` + `relativeDistanceFromEdge` once they land (issue 5 report).
 *
 * Per axial slice: pixels below LUNG_AIR_MAX_HU that are not connected to the image border (outside
 * air), the largest components kept, holes (vessels) filled.
 */
import { squaredEdt2d } from '../lung/distance-transform.ts';
import { fillHoles2d, floodFromBorder2d, label2d } from '../lung/morphology.ts';
import type { Volume } from '../core/volume.ts';

/** Aerated lung is below about −400 HU; soft tissue and consolidation are above. */
export const LUNG_AIR_MAX_HU = -400;
/** A lung component smaller than this on a slice is noise (trachea fragments, bowel gas), mm². */
export const MIN_LUNG_COMPONENT_MM2 = 150;
/** Two lungs, at most a few pieces each near apex / base. */
const MAX_COMPONENTS_PER_SLICE = 4;

export interface SliceLungs {
  /** 1 = lung, zyx order. */
  mask: Uint8Array;
  /** Relative distance-from-edge at a voxel (x, y continuous; z a slice); 0 outside the lungs. */
  distanceAt: (x: number, y: number, z: number) => number;
}

export function provisionalLungs(volume: Volume): SliceLungs {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  const [sx, sy] = volume.spacingMm;
  const mask = new Uint8Array(plane * nz);
  const wall = new Uint8Array(plane);
  const outside = new Uint8Array(plane);
  const cand = new Uint8Array(plane);
  const minPx = MIN_LUNG_COMPONENT_MM2 / (sx * sy);
  for (let z = 0; z < nz; z++) {
    const base = z * plane;
    for (let i = 0; i < plane; i++) wall[i] = volume.data[base + i] > LUNG_AIR_MAX_HU ? 1 : 0;
    floodFromBorder2d(wall, nx, ny, outside);
    for (let i = 0; i < plane; i++) cand[i] = wall[i] === 0 && outside[i] === 0 ? 1 : 0;
    const cc = label2d(cand, nx, ny, { connectivity: 8 });
    const order = Array.from({ length: cc.count }, (_, k) => k + 1).sort((a, b) => cc.sizes[b] - cc.sizes[a]);
    const keep = new Uint8Array(cc.count + 1);
    for (const k of order.slice(0, MAX_COMPONENTS_PER_SLICE)) if (cc.sizes[k] >= minPx) keep[k] = 1;
    for (let i = 0; i < plane; i++) mask[base + i] = keep[cc.labels[i]];
    fillHoles2d(mask, nx, ny, 1, base);
  }
  // Per-slice distance maps and bounding-box diagonals are computed on first use.
  const dist = new Map<number, { edt: Float64Array | Float32Array; diag: number }>();
  const sliceDistance = (z: number) => {
    let d = dist.get(z);
    if (!d) {
      const m = mask.subarray(z * plane, (z + 1) * plane);
      let x0 = nx, x1 = -1, y0 = ny, y1 = -1;
      for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) if (m[y * nx + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      const diag = x1 < 0 ? 0 : Math.hypot((x1 - x0 + 1) * sx, (y1 - y0 + 1) * sy);
      d = { edt: squaredEdt2d(m, nx, ny, [sx, sy], { featureWhen: 'zero', imageBorderIsFeature: true }), diag };
      dist.set(z, d);
    }
    return d;
  };
  const distanceAt = (x: number, y: number, z: number) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= nx || yi >= ny || z < 0 || z >= nz) return 0;
    const d = sliceDistance(z);
    if (d.diag === 0) return 0;
    const sq = d.edt[yi * nx + xi];
    return Number.isFinite(sq) ? Math.sqrt(sq) / d.diag : 0;
  };
  return { mask, distanceAt };
}
