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
