/**
 * Relative distance-from-edge, paper §2.5.1 (the location-attention feature):
 *   1) the minimum distance from the patch centre to the edge of the lung mask on that axial image,
 *   2) the diagonal of the minimum bounding rectangle of the lung region on that image,
 *   3) relative distance = (1) / (2).
 * Distances are exact Euclidean (Felzenszwalb–Huttenlocher) in mm, so anisotropic pixels are right.
 *
 * Conventions (documented because the paper leaves them open):
 *  - "lung" is every non-zero mask pixel (both lungs together, as on the paper's Fig. 3c);
 *  - the edge distance of a lung pixel is the distance from its centre to the centre of the nearest
 *    non-lung pixel, pixels just outside the image counting as non-lung (so a lung pixel next to the
 *    edge is one pixel spacing from it);
 *  - the rectangle encloses whole pixels ((x1 − x0 + 1) · sx by (y1 − y0 + 1) · sy); 'axis-aligned'
 *    (default) or 'min-area' (rotated minimum-area rectangle of the pixel squares, rotating calipers);
 *  - a point is taken at its nearest pixel; a point on a non-lung pixel (or outside the image) gives
 *    0 by default ("at or beyond the edge"), or with outside: 'signed' minus its distance to the
 *    nearest lung pixel, divided by the same diagonal;
 *  - a slice without lung gives 0.
 */
import type { Vec3 } from '../core/volume.ts';
import { squaredEdt2d, squaredEdtZeroFeatureAt } from '../core/ndimage/distance-transform.ts';
import { maskBounds } from '../core/ndimage/mask-bounds.ts';

export interface MaskSlice {
  /** Row-major, x fastest; non-zero = lung. */
  data: Uint8Array;
  width: number;
  height: number;
}

export type BoundingRectangle = 'axis-aligned' | 'min-area';

export interface EdgeDistanceOptions {
  rectangle?: BoundingRectangle;
  outside?: 'zero' | 'signed';
}

export interface EdgeDistanceMap {
  width: number;
  height: number;
  spacingMm: readonly [number, number];
  /** Per pixel: mm to the lung edge for lung pixels; for non-lung pixels 0, or minus the mm to the nearest lung pixel ('signed'). */
  distanceMm: Float32Array;
  /** Diagonal (mm) of the lung's bounding rectangle on this slice; 0 without lung. */
  diagonalMm: number;
  /** Inclusive pixel bounds of the lung on this slice, or null. */
  bounds: { x0: number; y0: number; x1: number; y1: number } | null;
}

/** The per-slice map that answers many patch queries (one EDT per slice). */
export function edgeDistanceMap(slice: MaskSlice, spacingMm: readonly [number, number], options: EdgeDistanceOptions = {}): EdgeDistanceMap {
  const { data, width, height } = slice;
  if (data.length !== width * height) throw new RangeError(`mask slice has ${data.length} pixels, expected ${width}×${height}`);
  if (!(spacingMm[0] > 0 && spacingMm[1] > 0)) throw new RangeError(`pixel spacing must be positive, got ${spacingMm.join('×')}`);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[x + width * y] === 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  const distanceMm = new Float32Array(width * height);
  if (x1 < 0) return { width, height, spacingMm, distanceMm, diagonalMm: 0, bounds: null };
  const inside = squaredEdt2d(data, width, height, spacingMm, { featureWhen: 'zero', imageBorderIsFeature: true });
  const outside = options.outside === 'signed' ? squaredEdt2d(data, width, height, spacingMm, { featureWhen: 'nonzero' }) : null;
  for (let i = 0; i < distanceMm.length; i++) {
    distanceMm[i] = data[i] !== 0 ? Math.sqrt(inside[i]) : outside ? -Math.sqrt(outside[i]) : 0;
  }
  const diagonalMm = options.rectangle === 'min-area'
    ? minAreaRectangleDiagonal(slice, spacingMm)
    : Math.hypot((x1 - x0 + 1) * spacingMm[0], (y1 - y0 + 1) * spacingMm[1]);
  return { width, height, spacingMm, distanceMm, diagonalMm, bounds: { x0, y0, x1, y1 } };
}

/** Relative distance-from-edge of a point [x, y] (pixel coordinates) on a prepared map. */
export function relativeDistanceAt(map: EdgeDistanceMap, point: readonly [number, number]): number {
  if (map.diagonalMm === 0) return 0;
  const x = Math.round(point[0]);
  const y = Math.round(point[1]);
  // outside the image is outside the lung; 'signed' would need a distance we do not have there
  if (x < 0 || y < 0 || x >= map.width || y >= map.height) return 0;
  return map.distanceMm[x + map.width * y] / map.diagonalMm;
}

/** One-shot form of §2.5.1: relative distance-from-edge of `point` on one axial mask slice. */
export function relativeDistanceFromEdge(slice: MaskSlice, point: readonly [number, number], spacingMm: readonly [number, number], options: EdgeDistanceOptions = {}): number {
  return relativeDistanceAt(edgeDistanceMap(slice, spacingMm, options), point);
}

/**
 * Queries over a whole lung mask volume: each axial slice's map is built on first use and kept,
 * so thousands of patch centres cost one EDT per slice. The one distance-from-edge of ctscreen:
 * screening (pipeline/stages.ts) and the training export (dataset/patches.ts) both ask `at`.
 *
 * `at` works on each slice's lung bounding box plus one pixel rather than the whole slice (with the
 * default outside: 'zero'): every pixel outside that box is non-lung, so the nearest non-lung pixel
 * of a lung pixel is always inside it. It computes the squared EDT of the queried pixel only
 * (squaredEdtZeroFeatureAt, bit-identical to the transform of the box): a patch centre costs a scan
 * of its row's columns instead of a transform of the slice (issue 16: P001's 168 patch centres took
 * ~0.3 s). A point on a slice outside the volume or without lung gives 0.
 */
export function volumeEdgeDistance(mask: Uint8Array, dims: Vec3, spacingMm: Vec3, options: EdgeDistanceOptions = {}): { at(point: Vec3): number; map(z: number): EdgeDistanceMap } {
  const [nx, ny, nz] = dims;
  if (mask.length !== nx * ny * nz) throw new RangeError(`mask has ${mask.length} voxels, dims need ${nx * ny * nz}`);
  const plane = nx * ny;
  const spacing: [number, number] = [spacingMm[0], spacingMm[1]];
  // per slice: the lung bounding box plus one pixel (cropped), and the diagonal of the lung's rectangle
  const boxed = new Map<number, { crop: Uint8Array; w: number; h: number; x0: number; y0: number; diagonalMm: number } | null>();
  const boxedSlice = (z: number) => {
    let entry = boxed.get(z);
    if (entry !== undefined) return entry;
    const slice = mask.subarray(plane * z, plane * (z + 1));
    const b = maskBounds(slice, [nx, ny, 1]);
    if (!b) entry = null;
    else {
      const x0 = Math.max(0, b.min[0] - 1);
      const y0 = Math.max(0, b.min[1] - 1);
      const w = Math.min(nx - 1, b.max[0] + 1) - x0 + 1;
      const h = Math.min(ny - 1, b.max[1] + 1) - y0 + 1;
      const crop = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) crop.set(slice.subarray(x0 + nx * (y0 + y), x0 + nx * (y0 + y) + w), w * y);
      // as edgeDistanceMap's axis-aligned diagonal of the crop: (x1 − x0 + 1) · sx by (y1 − y0 + 1) · sy
      entry = { crop, w, h, x0, y0, diagonalMm: Math.hypot((b.max[0] - b.min[0] + 1) * spacing[0], (b.max[1] - b.min[1] + 1) * spacing[1]) };
    }
    boxed.set(z, entry);
    return entry;
  };
  const cache = new Map<number, EdgeDistanceMap>();
  const map = (z: number): EdgeDistanceMap => {
    if (!Number.isInteger(z) || z < 0 || z >= nz) throw new RangeError(`slice ${z} outside 0…${nz - 1}`);
    let m = cache.get(z);
    if (!m) {
      m = edgeDistanceMap({ data: mask.subarray(nx * ny * z, nx * ny * (z + 1)), width: nx, height: ny }, [spacingMm[0], spacingMm[1]], options);
      cache.set(z, m);
    }
    return m;
  };
  const signed = options.outside === 'signed';
  return {
    map,
    at: (p) => {
      const z = Math.round(p[2]);
      if (z < 0 || z >= nz) return 0;
      // signed distances of points outside the lung need the whole slice
      if (signed) return relativeDistanceAt(map(z), [p[0], p[1]]);
      const e = boxedSlice(z);
      if (!e || e.diagonalMm === 0) return 0;
      // relativeDistanceAt on edgeDistanceMap(crop) for one pixel: the same nearest pixel, the same
      // squared EDT value (squaredEdtZeroFeatureAt is bit-identical), the same float32 rounding
      const x = Math.round(p[0] - e.x0);
      const y = Math.round(p[1] - e.y0);
      if (x < 0 || y < 0 || x >= e.w || y >= e.h || e.crop[x + e.w * y] === 0) return 0;
      return Math.fround(Math.sqrt(squaredEdtZeroFeatureAt(e.crop, e.w, e.h, spacing, x, y))) / e.diagonalMm;
    },
  };
}

/**
 * Diagonal of the minimum-area rectangle (any rotation) around the lung pixels, each pixel a
 * spacing-sized square. Rotating calipers: the optimal rectangle has a side on a hull edge.
 */
function minAreaRectangleDiagonal(slice: MaskSlice, spacingMm: readonly [number, number]): number {
  const { data, width, height } = slice;
  const [sx, sy] = spacingMm;
  const px: number[] = [];
  const py: number[] = [];
  for (let y = 0; y < height; y++) {
    let lo = -1;
    let hi = -1;
    for (let x = 0; x < width; x++) {
      if (data[x + width * y] === 0) continue;
      if (lo < 0) lo = x;
      hi = x;
    }
    if (lo < 0) continue;
    // the four corners of the row's end pixels, in mm
    for (const [cxp, cyp] of [[lo - 0.5, y - 0.5], [lo - 0.5, y + 0.5], [hi + 0.5, y - 0.5], [hi + 0.5, y + 0.5]]) {
      px.push(cxp * sx);
      py.push(cyp * sy);
    }
  }
  const idx = px.map((_, i) => i).sort((a, b) => px[a] - px[b] || py[a] - py[b]);
  const hx: number[] = [];
  const hy: number[] = [];
  const crossAt = (o: number, a: number, b: number) => (hx[a] - hx[o]) * (py[b] - hy[o]) - (hy[a] - hy[o]) * (px[b] - hx[o]);
  for (let pass = 0; pass < 2; pass++) {
    const start = hx.length;
    for (let t = 0; t < idx.length; t++) {
      const i = pass === 0 ? idx[t] : idx[idx.length - 1 - t];
      while (hx.length >= start + 2 && crossAt(hx.length - 2, hx.length - 1, i) <= 0) {
        hx.pop();
        hy.pop();
      }
      hx.push(px[i]);
      hy.push(py[i]);
    }
    hx.pop();
    hy.pop();
  }
  let bestArea = Infinity;
  let bestDiag = 0;
  const n = hx.length;
  for (let e = 0; e < n; e++) {
    const ex = hx[(e + 1) % n] - hx[e];
    const ey = hy[(e + 1) % n] - hy[e];
    const el = Math.hypot(ex, ey);
    if (el === 0) continue;
    const ux = ex / el, uy = ey / el;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (let k = 0; k < n; k++) {
      const u = hx[k] * ux + hy[k] * uy;
      const v = -hx[k] * uy + hy[k] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      bestDiag = Math.hypot(maxU - minU, maxV - minV);
    }
  }
  return bestDiag;
}
