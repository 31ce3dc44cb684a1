/**
 * The air threshold for pseudo-HU volumes (8-bit images read through a declared window, io/image-stack).
 *
 * Published slice datasets are windowed in many ways: in COVID-SemiSeg's coronacases slices soft
 * tissue is grey 80–110 and lung grey 10–30, which read through the default lung window (−600 / 1500)
 * gives soft tissue at ≈ −800 pseudo-HU, below the −400 HU air threshold: everything would be "air".
 * When the image's own tissue mode says so, the threshold is taken from the image instead: Otsu's
 * two-class split of the block-mean histogram (air and lung | tissue), or, where that split calls
 * most of the slice air, the lower split of a three-class Otsu (air and lung | soft tissue | bone):
 * with lung clamped to air and soft tissue just above it, the best two-class split cuts off the
 * bright tail (bone) and puts soft tissue with the air.
 */
import { AIR_HU } from '../core/constants.ts';

/** Histogram bins (HU) for the split. */
const BIN_HU = 5;
/** Above this the pseudo-HU scale ends anyway (lung window top: +150 HU). */
const TOP_HU = 1000;
/**
 * The declared window is kept while the bright class's mean lies at least this far above the
 * default threshold (soft tissue at ≈ +40 HU in a true lung window sits ≈ 440 HU above −400).
 */
const TISSUE_MARGIN_HU = 200;
/**
 * Lungs fill at most ≈ 60–70 % of a chest slice cropped to the body (COVID-SemiSeg: mean ≈ 54 %);
 * room air, lungs and airways of a whole-field 8-bit lung-window slice stay below it too.
 */
const MAX_AIR_SHARE = 0.75;

export interface PseudoHuThreshold {
  /** The threshold to use (HU / pseudo-HU). */
  thresholdHu: number;
  /** Whether it came from the image rather than the default. */
  fromImage: boolean;
  /** Otsu's two-class split and the mean of the class above it (the test), for the warning and tests. */
  otsuHu: number;
  tissueMeanHu: number;
}

function histogram(values: Float32Array | Int16Array): { hist: Float64Array; n: number } {
  // bins of BIN_HU from AIR_HU; values outside [AIR_HU, TOP_HU] go to the end bins
  const bins = Math.ceil((TOP_HU - AIR_HU) / BIN_HU) + 1;
  const hist = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    hist[Math.round((Math.min(TOP_HU, Math.max(AIR_HU, v)) - AIR_HU) / BIN_HU)]++;
  }
  return { hist, n: values.length };
}

/**
 * The lower of the two thresholds of a three-class Otsu (maximum between-class variance over all
 * pairs of splits), HU.
 */
export function otsuLowerOfThree(values: Float32Array | Int16Array): number {
  const { hist, n } = histogram(values);
  const bins = hist.length;
  if (n === 0) return AIR_HU;
  // prefix weights and first moments: classes [0, a], (a, b], (b, bins)
  const w = new Float64Array(bins + 1);
  const m = new Float64Array(bins + 1);
  for (let b = 0; b < bins; b++) {
    w[b + 1] = w[b] + hist[b];
    m[b + 1] = m[b] + b * hist[b];
  }
  const term = (lo: number, hi: number) => {
    const ww = w[hi] - w[lo];
    if (ww <= 0) return -1;
    const mm = m[hi] - m[lo];
    return (mm * mm) / ww;
  };
  let best = -1, bestA = 0;
  for (let a = 1; a < bins - 1; a++) {
    const t0 = term(0, a);
    if (t0 < 0) continue;
    for (let b = a + 1; b < bins; b++) {
      const t1 = term(a, b);
      const t2 = term(b, bins);
      if (t1 < 0 || t2 < 0) continue;
      // maximising Σ w_k μ_k² maximises the between-class variance (the total mean is fixed)
      const v = t0 + t1 + t2;
      if (v > best) {
        best = v;
        bestA = a;
      }
    }
  }
  // class 0 holds bins 0 … bestA − 1: the split lies between bin bestA − 1 and bestA
  return AIR_HU + (bestA - 0.5) * BIN_HU;
}

/** Otsu's threshold of `values` (all values in [AIR_HU, TOP_HU] count), with the brighter class's mean. */
export function otsuSplit(values: Float32Array | Int16Array): { thresholdHu: number; upperMeanHu: number } {
  const { hist, n } = histogram(values);
  const bins = hist.length;
  if (n === 0) return { thresholdHu: AIR_HU, upperMeanHu: AIR_HU };
  let total = 0;
  for (let b = 0; b < bins; b++) total += b * hist[b];
  let w0 = 0, sum0 = 0, best = -1, bestB = 0;
  for (let b = 0; b < bins - 1; b++) {
    w0 += hist[b];
    sum0 += b * hist[b];
    const w1 = n - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (total - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestB = b;
    }
  }
  let wu = 0, su = 0;
  for (let b = bestB + 1; b < bins; b++) {
    wu += hist[b];
    su += b * hist[b];
  }
  // the split lies between bin bestB and the next one
  return { thresholdHu: AIR_HU + (bestB + 0.5) * BIN_HU, upperMeanHu: wu > 0 ? AIR_HU + (su / wu) * BIN_HU : TOP_HU };
}

/**
 * The threshold for a pseudo-HU volume given its block means: `defaultHu` unless the image's tissue
 * class reads too dark for the declared window, then Otsu's split.
 */
export function pseudoHuAirThreshold(blockMeans: Float32Array, defaultHu: number): PseudoHuThreshold {
  const { thresholdHu: otsuHu, upperMeanHu } = otsuSplit(blockMeans);
  const airShare = (t: number) => {
    let below = 0;
    for (let i = 0; i < blockMeans.length; i++) if (blockMeans[i] < t) below++;
    return below / Math.max(1, blockMeans.length);
  };
  // tissue too dark for the window, or (when the split went to the bone) more air than a chest holds
  const fromImage = upperMeanHu < defaultHu + TISSUE_MARGIN_HU || airShare(defaultHu) > MAX_AIR_SHARE;
  if (!fromImage) return { thresholdHu: defaultHu, fromImage, otsuHu, tissueMeanHu: upperMeanHu };
  const thresholdHu = airShare(otsuHu) > MAX_AIR_SHARE ? otsuLowerOfThree(blockMeans) : otsuHu;
  return { thresholdHu, fromImage, otsuHu, tissueMeanHu: upperMeanHu };
}
