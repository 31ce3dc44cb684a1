/**
 * The air threshold for pseudo-HU volumes (8-bit images read through a declared window, io/image-stack).
 *
 * Published slice datasets are windowed in many ways: in COVID-SemiSeg's coronacases slices soft
 * tissue is grey 80–110 and lung grey 10–30, which read through the default lung window (−600 / 1500)
 * gives soft tissue at ≈ −800 pseudo-HU, below the −400 HU air threshold: everything would be "air".
 * When the image's own tissue mode says so, the threshold is taken from the image instead: Otsu's
 * split of the block-mean histogram between its dark (lung, air) and bright (tissue) classes.
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

export interface PseudoHuThreshold {
  /** The threshold to use (HU / pseudo-HU). */
  thresholdHu: number;
  /** Whether it came from the image rather than the default. */
  fromImage: boolean;
  /** Otsu's split and the mean of the class above it, for the warning and for tests. */
  otsuHu: number;
  tissueMeanHu: number;
}

/** Otsu's threshold of `values` (all values in [AIR_HU, TOP_HU] count), with the brighter class's mean. */
export function otsuSplit(values: Float32Array | Int16Array): { thresholdHu: number; upperMeanHu: number } {
  const bins = Math.ceil((TOP_HU - AIR_HU) / BIN_HU) + 1;
  const hist = new Float64Array(bins);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const b = Math.round((Math.min(TOP_HU, Math.max(AIR_HU, v)) - AIR_HU) / BIN_HU);
    hist[b]++;
    n++;
  }
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
  const fromImage = upperMeanHu < defaultHu + TISSUE_MARGIN_HU;
  return { thresholdHu: fromImage ? otsuHu : defaultHu, fromImage, otsuHu, tissueMeanHu: upperMeanHu };
}
