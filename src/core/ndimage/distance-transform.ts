/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012, "Distance transforms of
 * sampled functions"): two separable 1-D passes of the lower envelope of parabolas, O(n) per line.
 * Anisotropic pixels are handled exactly by placing samples at their physical positions, so results
 * are in mm. Used for the relative distance-from-edge of paper §2.5.1 and for disk-shaped
 * morphology in lung extraction.
 */

export type FeatureRule = 'zero' | 'nonzero';

export interface SquaredEdtOptions {
  /** Which pixels are the features distances are measured to: 'zero' = background of a mask. */
  featureWhen: FeatureRule;
  /** Treat the ring of pixels just outside the image as features (an image edge is an edge). */
  imageBorderIsFeature?: boolean;
  /** Output buffer of width × height (reused when given). */
  out?: Float64Array | Float32Array;
}

// Scratch lines grown on demand: no allocation per row (hot path).
let lineF = new Float64Array(0);
let lineD = new Float64Array(0);
let lineV = new Int32Array(0);
let lineZ = new Float64Array(0);

function ensureScratch(n: number): void {
  if (lineF.length >= n + 1) return;
  const m = Math.max(n + 1, 2 * lineF.length);
  lineF = new Float64Array(m);
  lineD = new Float64Array(m);
  lineV = new Int32Array(m);
  lineZ = new Float64Array(m);
}

/**
 * 1-D squared distance of sampled function f over n samples at spacing s:
 * d[p] = min_q (s·(p − q))² + f[q]. Samples with f = +∞ are not sites. Writes lineD.
 */
function envelope1d(n: number, s: number): void {
  const f = lineF;
  const d = lineD;
  const v = lineV;
  const z = lineZ;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const xq = q * s;
    const hq = fq + xq * xq;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    // z[0] = -∞, so the pop loop always stops at k = 0 at the latest.
    let sect = 0;
    for (;;) {
      const p = v[k];
      const xp = p * s;
      sect = (hq - (f[p] + xp * xp)) / (2 * (xq - xp));
      if (sect <= z[k]) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = sect;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    for (let p = 0; p < n; p++) d[p] = Infinity;
    return;
  }
  let j = 0;
  for (let p = 0; p < n; p++) {
    const xp = p * s;
    while (z[j + 1] < xp) j++;
    const dq = xp - v[j] * s;
    d[p] = dq * dq + f[v[j]];
  }
}

/**
 * Squared distance (mm²) from each pixel centre to the nearest feature pixel centre of a 2-D image
 * stored row-major (x fastest). Pixels with no feature anywhere get +∞.
 */
export function squaredEdt2d(
  image: Uint8Array,
  width: number,
  height: number,
  spacingMm: readonly [number, number],
  options: SquaredEdtOptions,
): Float64Array | Float32Array {
  const n = width * height;
  if (image.length < n) throw new RangeError(`image has ${image.length} pixels, need ${width}×${height}`);
  const out = options.out ?? new Float64Array(n);
  if (out.length < n) throw new RangeError(`out has ${out.length} pixels, need ${n}`);
  const featureIsZero = options.featureWhen === 'zero';
  const border = options.imageBorderIsFeature === true;
  const [sx, sy] = spacingMm;
  const pad = border ? 1 : 0;
  ensureScratch(Math.max(width, height) + 2);
  // Pass 1: along y (columns). With a border, virtual feature samples sit at y = -1 and y = height.
  for (let x = 0; x < width; x++) {
    if (border) lineF[0] = 0;
    for (let y = 0; y < height; y++) {
      const isFeature = (image[x + width * y] === 0) === featureIsZero;
      lineF[y + pad] = isFeature ? 0 : Infinity;
    }
    if (border) lineF[height + 1] = 0;
    envelope1d(height + 2 * pad, sy);
    for (let y = 0; y < height; y++) out[x + width * y] = lineD[y + pad];
  }
  // Pass 2: along x (rows), on the column results. Virtual border columns are features (value 0).
  for (let y = 0; y < height; y++) {
    const row = width * y;
    if (border) lineF[0] = 0;
    for (let x = 0; x < width; x++) lineF[x + pad] = out[row + x];
    if (border) lineF[width + 1] = 0;
    envelope1d(width + 2 * pad, sx);
    for (let x = 0; x < width; x++) out[row + x] = lineD[x + pad];
  }
  return out;
}

/**
 * squaredEdt2d(image, …, { featureWhen: 'zero', imageBorderIsFeature: true })[px + width · py] for
 * one pixel, bit for bit, without transforming the whole image (the distance-from-edge of a few
 * patch centres, §2.5.1). Pass 1 is replaced by a search of each column for the nearest zero pixel
 * (or the virtual border row) above and below row py: with every site at f = 0 no parabola is ever
 * popped from the lower envelope, so the column pass's value at py comes from the two sites that
 * bracket it, chosen by the same intersection test in the same arithmetic. Pass 2 then runs the
 * envelope over that one row exactly as squaredEdt2d does. Cost: the width plus the column runs,
 * instead of two passes over the image.
 */
export function squaredEdtZeroFeatureAt(image: Uint8Array, width: number, height: number, spacingMm: readonly [number, number], px: number, py: number): number {
  if (!Number.isInteger(px) || !Number.isInteger(py) || px < 0 || py < 0 || px >= width || py >= height) throw new RangeError(`pixel (${px}, ${py}) outside ${width}×${height}`);
  if (image.length < width * height) throw new RangeError(`image has ${image.length} pixels, need ${width}×${height}`);
  const [sx, sy] = spacingMm;
  ensureScratch(Math.max(width, height) + 2);
  // padded row index of py; the virtual border rows are at 0 and height + 1
  const p = py + 1;
  const xp = p * sy;
  lineF[0] = 0;
  lineF[width + 1] = 0;
  for (let x = 0; x < width; x++) {
    if (image[x + width * py] === 0) {
      // a feature site itself: the envelope's own parabola there gives dq = 0
      lineF[x + 1] = 0;
      continue;
    }
    let up = py - 1;
    while (up >= 0 && image[x + width * up] !== 0) up--;
    let down = py + 1;
    while (down < height && image[x + width * down] !== 0) down++;
    // padded site indices of the nearest features above and below (−1 → 0, height → height + 1)
    const q1 = up + 1;
    const q2 = down + 1;
    const x1 = q1 * sy;
    const x2 = q2 * sy;
    const sect = (0 + x2 * x2 - (0 + x1 * x1)) / (2 * (x2 - x1));
    const v = sect < xp ? q2 : q1;
    const dq = xp - v * sy;
    lineF[x + 1] = dq * dq + 0;
  }
  envelope1d(width + 2, sx);
  return lineD[px + 1];
}
