/**
 * Evaluation metrics of the paper (§3.3.1, eq. 3–6) and the ones a screening tool needs on top:
 * confusion matrix, per-class precision / recall / F1, macro and weighted averages, accuracy,
 * one-vs-rest sensitivity / specificity, one-vs-rest ROC AUC, seeded bootstrap confidence intervals and
 * expected calibration error with reliability-diagram bins. Pure functions, no I/O.
 *
 * Conventions:
 * - A confusion matrix has rows = actual class, columns = predicted class (as the paper's Tables 1, 3, 5).
 * - A ratio whose denominator is 0 (precision of a class never predicted, recall of a class never
 *   present) is reported as 0, as scikit-learn does by default, and a note says so; an undefined AUC
 *   (no positives or no negatives) is NaN, since 0 would claim a perfectly wrong ranking.
 */
import { mulberry32 } from '../core/random.ts';

/** Rows = actual class, columns = predicted class, both in `labels` order. */
export interface ConfusionMatrix {
  labels: readonly string[];
  matrix: number[][];
}

/** Counts of one class against the rest. */
export interface BinaryCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface ClassMetrics extends BinaryCounts {
  label: string;
  /** Cases actually of this class (row sum). */
  support: number;
  /** Cases predicted as this class (column sum). */
  predictedCount: number;
  /** TP / (TP + FP), eq. 4. */
  precision: number;
  /** TP / (TP + FN), eq. 5; the same as one-vs-rest sensitivity. */
  recall: number;
  /** 2·precision·recall / (precision + recall), eq. 6, computed as 2TP / (2TP + FP + FN). */
  f1: number;
  /** TN / (TN + FP), one class against the rest. */
  specificity: number;
}

export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  labels: readonly string[];
  matrix: number[][];
  total: number;
  correct: number;
  /** Σ diagonal / total (eq. 3 for more than two classes). */
  accuracy: number;
  perClass: ClassMetrics[];
  /** Unweighted mean over classes. */
  macro: AveragedMetrics;
  /** Mean over classes weighted by support. */
  weighted: AveragedMetrics;
  /** Undefined ratios that were reported as 0, etc. */
  notes: string[];
}

function fail(message: string): never {
  throw new RangeError(message);
}

/** Throws a RangeError unless the matrix is square, matches the labels and holds non-negative integers. */
export function checkConfusionMatrix(cm: ConfusionMatrix): void {
  const k = cm.labels.length;
  if (k < 1) fail('confusion matrix needs at least one class');
  if (new Set(cm.labels).size !== k) fail(`confusion matrix labels are not unique: ${cm.labels.join(', ')}`);
  if (cm.matrix.length !== k) fail(`confusion matrix has ${cm.matrix.length} rows but ${k} labels`);
  cm.matrix.forEach((row, i) => {
    if (row.length !== k) fail(`confusion matrix row ${i + 1} has ${row.length} entries, expected ${k}`);
    row.forEach((v, j) => {
      if (!Number.isInteger(v) || v < 0) fail(`confusion matrix entry (${i + 1}, ${j + 1}) is ${v}; expected a non-negative integer`);
    });
  });
}

/** Confusion matrix from class indices (0 ≤ index < labels.length). */
export function confusionFromIndices(actual: ArrayLike<number>, predicted: ArrayLike<number>, labels: readonly string[]): ConfusionMatrix {
  if (actual.length !== predicted.length) fail(`${actual.length} actual labels but ${predicted.length} predictions`);
  const k = labels.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let c = 0; c < actual.length; c++) {
    const a = actual[c];
    const p = predicted[c];
    if (!(Number.isInteger(a) && a >= 0 && a < k)) fail(`case ${c}: actual class index ${a} is not in 0..${k - 1}`);
    if (!(Number.isInteger(p) && p >= 0 && p < k)) fail(`case ${c}: predicted class index ${p} is not in 0..${k - 1}`);
    matrix[a][p]++;
  }
  return { labels, matrix };
}

export interface ConfusionOptions {
  actual: readonly string[];
  predicted: readonly string[];
  /** Class order of the matrix; every actual and predicted label must be among them. */
  labels: readonly string[];
}

/** Confusion matrix from label strings. */
export function confusionMatrix(options: ConfusionOptions): ConfusionMatrix {
  const index = labelIndex(options.labels);
  const toIndex = (l: string, c: number, what: string) => index.get(l) ?? fail(`case ${c}: ${what} label '${l}' is not among ${options.labels.join(', ')}`);
  return confusionFromIndices(
    options.actual.map((l, c) => toIndex(l, c, 'actual')),
    options.predicted.map((l, c) => toIndex(l, c, 'predicted')),
    options.labels,
  );
}

function labelIndex(labels: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  labels.forEach((l, i) => m.set(l, i));
  if (m.size !== labels.length) fail(`labels are not unique: ${labels.join(', ')}`);
  return m;
}

/** The (actual, predicted) pairs a confusion matrix stands for, e.g. to bootstrap from published tables. */
export function expandConfusionMatrix(cm: ConfusionMatrix): { actual: Int32Array; predicted: Int32Array } {
  checkConfusionMatrix(cm);
  const k = cm.labels.length;
  let n = 0;
  for (const row of cm.matrix) for (const v of row) n += v;
  const actual = new Int32Array(n);
  const predicted = new Int32Array(n);
  let c = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      for (let r = 0; r < cm.matrix[i][j]; r++, c++) {
        actual[c] = i;
        predicted[c] = j;
      }
    }
  }
  return { actual, predicted };
}

/** One class against the rest. */
export function oneVsRest(cm: ConfusionMatrix, label: string): BinaryCounts & { sensitivity: number; specificity: number } {
  const i = cm.labels.indexOf(label);
  if (i < 0) fail(`label '${label}' is not among ${cm.labels.join(', ')}`);
  const c = binaryCounts(cm.matrix, i);
  return { ...c, sensitivity: ratio(c.tp, c.tp + c.fn), specificity: ratio(c.tn, c.tn + c.fp) };
}

function binaryCounts(matrix: number[][], i: number): BinaryCounts {
  const k = matrix.length;
  let row = 0;
  let col = 0;
  let total = 0;
  for (let a = 0; a < k; a++) {
    for (let p = 0; p < k; p++) {
      const v = matrix[a][p];
      total += v;
      if (a === i) row += v;
      if (p === i) col += v;
    }
  }
  const tp = matrix[i][i];
  return { tp, fp: col - tp, fn: row - tp, tn: total - row - col + tp };
}

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/** Precision, recall, F1, specificity per class, macro and weighted averages and accuracy (§3.3.1). */
export function classificationReport(cm: ConfusionMatrix): ClassificationReport {
  checkConfusionMatrix(cm);
  const k = cm.labels.length;
  const notes: string[] = [];
  const perClass: ClassMetrics[] = [];
  let total = 0;
  let correct = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) total += cm.matrix[i][j];
    correct += cm.matrix[i][i];
  }
  for (let i = 0; i < k; i++) {
    const label = cm.labels[i];
    const c = binaryCounts(cm.matrix, i);
    const support = c.tp + c.fn;
    const predictedCount = c.tp + c.fp;
    if (predictedCount === 0) notes.push(`precision of '${label}' is undefined (never predicted); reported as 0`);
    if (support === 0) notes.push(`recall of '${label}' is undefined (no actual cases); reported as 0`);
    if (c.tn + c.fp === 0) notes.push(`specificity of '${label}' is undefined (no other cases); reported as 0`);
    perClass.push({
      label,
      ...c,
      support,
      predictedCount,
      precision: ratio(c.tp, predictedCount),
      recall: ratio(c.tp, support),
      f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
      specificity: ratio(c.tn, c.tn + c.fp),
    });
  }
  const average = (weight: (m: ClassMetrics) => number): AveragedMetrics => {
    let w = 0;
    const s = { precision: 0, recall: 0, f1: 0 };
    for (const m of perClass) {
      const wi = weight(m);
      w += wi;
      s.precision += wi * m.precision;
      s.recall += wi * m.recall;
      s.f1 += wi * m.f1;
    }
    return { precision: ratio(s.precision, w), recall: ratio(s.recall, w), f1: ratio(s.f1, w) };
  };
  return {
    labels: cm.labels,
    matrix: cm.matrix.map((r) => [...r]),
    total,
    correct,
    accuracy: ratio(correct, total),
    perClass,
    macro: average(() => 1),
    weighted: average((m) => m.support),
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// ROC AUC

function checkScores(scores: ArrayLike<number>, positive: ArrayLike<boolean>): void {
  if (scores.length !== positive.length) fail(`${scores.length} scores but ${positive.length} labels`);
  for (let i = 0; i < scores.length; i++) if (!Number.isFinite(scores[i])) fail(`score ${i} is ${scores[i]}; expected a finite number`);
}

/**
 * Area under the ROC curve of `scores` for telling positives from negatives: the Mann–Whitney U
 * statistic / (n₊·n₋), tied scores given their mid-rank (a tie counts one half). NaN when there are no
 * positives or no negatives.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  checkScores(scores, positive);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const midRank = (start + 1 + end) / 2; // mean of ranks start+1 … end
    for (let t = start; t < end; t++) {
      if (positive[order[t]]) {
        nPos++;
        rankSumPos += midRank;
      }
    }
    start = end;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface RocCurve {
  /** Thresholds, descending: "predict positive when score ≥ threshold"; the first is +Infinity. */
  thresholds: number[];
  falsePositiveRate: number[];
  truePositiveRate: number[];
}

/** ROC curve points at every distinct score (for plots); its trapezoid area equals `rocAuc`. */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>): RocCurve {
  checkScores(scores, positive);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  const nNeg = n - nPos;
  const curve: RocCurve = { thresholds: [Infinity], falsePositiveRate: [0], truePositiveRate: [0] };
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end < n && scores[order[end]] === scores[order[start]]) {
      if (positive[order[end]]) tp++;
      else fp++;
      end++;
    }
    curve.thresholds.push(scores[order[start]]);
    curve.falsePositiveRate.push(nNeg === 0 ? Number.NaN : fp / nNeg);
    curve.truePositiveRate.push(nPos === 0 ? Number.NaN : tp / nPos);
    start = end;
  }
  return curve;
}

export interface OneVsRestAucOptions {
  /** Actual class index of each case. */
  actual: ArrayLike<number>;
  /** Per case, one score per class in `labels` order. */
  scores: readonly (readonly number[])[];
  labels: readonly string[];
}

export interface OneVsRestAuc {
  perClass: { label: string; auc: number }[];
  /** Mean over the classes whose AUC is defined; NaN if none is. */
  macro: number;
}

/** ROC AUC of each class against the rest, from per-class scores. */
export function oneVsRestAuc(options: OneVsRestAucOptions): OneVsRestAuc {
  const { actual, scores, labels } = options;
  if (actual.length !== scores.length) fail(`${actual.length} actual labels but ${scores.length} score rows`);
  scores.forEach((row, c) => {
    if (row.length !== labels.length) fail(`case ${c} has ${row.length} scores, expected ${labels.length} (${labels.join(', ')})`);
  });
  const perClass = labels.map((label, k) => {
    const s = new Float64Array(scores.length);
    const pos = new Array<boolean>(scores.length);
    for (let c = 0; c < scores.length; c++) {
      s[c] = scores[c][k];
      pos[c] = actual[c] === k;
    }
    return { label, auc: rocAuc(s, pos) };
  });
  const defined = perClass.filter((p) => !Number.isNaN(p.auc));
  return { perClass, macro: defined.length === 0 ? Number.NaN : defined.reduce((a, p) => a + p.auc, 0) / defined.length };
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

export { mulberry32 };

/** Default number of bootstrap resamples: enough for stable 2.5 % / 97.5 % percentiles. */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 1;
export const DEFAULT_CONFIDENCE_LEVEL = 0.95;

export interface ConfidenceInterval {
  /** The statistic on the original sample. */
  estimate: number;
  low: number;
  high: number;
  level: number;
  resamples: number;
  /** Resamples where the statistic was defined (not NaN, e.g. a class absent from the resample). */
  validResamples: number;
  seed: number;
}

export interface BootstrapOptions {
  /** Number of cases; each resample draws n case indices with replacement. */
  n: number;
  /** Named statistics of a sample given as case indices (may repeat). NaN = undefined for that sample. */
  statistics: (sample: Int32Array) => Record<string, number>;
  resamples?: number;
  seed?: number;
  /** Central coverage, e.g. 0.95. */
  level?: number;
}

/** Linear-interpolation quantile (type 7) of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile bootstrap confidence intervals: resample the cases with replacement `resamples` times
 * from a seeded mulberry32 stream, compute every statistic on each resample, and take the
 * (1 − level)/2 and (1 + level)/2 quantiles. Deterministic for a given seed.
 */
export function bootstrapCis(options: BootstrapOptions): Record<string, ConfidenceInterval> {
  const { n, statistics } = options;
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const level = options.level ?? DEFAULT_CONFIDENCE_LEVEL;
  if (!(Number.isInteger(n) && n >= 1)) fail(`bootstrap needs at least one case, got n = ${n}`);
  if (!(Number.isInteger(resamples) && resamples >= 1)) fail(`bootstrap resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) fail(`confidence level must be in (0, 1), got ${level}`);
  const identity = new Int32Array(n);
  for (let i = 0; i < n; i++) identity[i] = i;
  const estimates = statistics(identity);
  const names = Object.keys(estimates);
  const draws = names.map(() => new Float64Array(resamples));
  const valid = new Int32Array(names.length);
  const rand = mulberry32(seed);
  const sample = new Int32Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = Math.floor(rand() * n);
    const s = statistics(sample);
    for (let k = 0; k < names.length; k++) {
      const v = s[names[k]];
      if (!Number.isNaN(v)) draws[k][valid[k]++] = v;
    }
  }
  const out: Record<string, ConfidenceInterval> = {};
  names.forEach((name, k) => {
    const sorted = draws[k].subarray(0, valid[k]).sort();
    out[name] = {
      estimate: estimates[name],
      low: quantileSorted(sorted, (1 - level) / 2),
      high: quantileSorted(sorted, (1 + level) / 2),
      level,
      resamples,
      validResamples: valid[k],
      seed,
    };
  });
  return out;
}

export interface ClassificationBootstrapOptions {
  /** Actual and predicted class index of each case. */
  actual: ArrayLike<number>;
  predicted: ArrayLike<number>;
  labels: readonly string[];
  resamples?: number;
  seed?: number;
  level?: number;
}

/**
 * Bootstrap intervals of accuracy, macro/weighted F1 and each class's precision, recall (sensitivity),
 * F1 and specificity, resampling cases. Keys: 'accuracy', 'macro.f1', 'weighted.f1',
 * '<label>.precision', '<label>.recall', '<label>.f1', '<label>.specificity'. A per-class value is
 * undefined (skipped) in a resample without that class's denominator.
 */
export function classificationBootstrap(options: ClassificationBootstrapOptions): Record<string, ConfidenceInterval> {
  const { actual, predicted, labels } = options;
  if (actual.length !== predicted.length) fail(`${actual.length} actual labels but ${predicted.length} predictions`);
  const k = labels.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  confusionFromIndices(actual, predicted, labels); // validates the indices once
  return bootstrapCis({
    n: actual.length,
    resamples: options.resamples,
    seed: options.seed,
    level: options.level,
    statistics: (sample) => {
      for (const row of matrix) row.fill(0);
      for (let i = 0; i < sample.length; i++) matrix[actual[sample[i]]][predicted[sample[i]]]++;
      const r = classificationReport({ labels, matrix });
      const s: Record<string, number> = { accuracy: r.accuracy, 'macro.f1': r.macro.f1, 'weighted.f1': r.weighted.f1 };
      for (const m of r.perClass) {
        s[`${m.label}.precision`] = m.predictedCount === 0 ? Number.NaN : m.precision;
        s[`${m.label}.recall`] = m.support === 0 ? Number.NaN : m.recall;
        s[`${m.label}.f1`] = m.support + m.predictedCount === 0 ? Number.NaN : m.f1;
        s[`${m.label}.specificity`] = m.tn + m.fp === 0 ? Number.NaN : m.specificity;
      }
      return s;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Calibration

export const DEFAULT_CALIBRATION_BINS = 10;

export interface ReliabilityBin {
  /** Bin covers [lower, upper); the last bin includes 1. */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence of the cases in the bin; NaN when empty. */
  meanConfidence: number;
  /** Fraction of the bin's cases that were correct; NaN when empty. */
  accuracy: number;
}

export interface CalibrationResult {
  /** Expected calibration error Σ_b (n_b / N)·|accuracy_b − confidence_b|. */
  ece: number;
  /** Maximum calibration error over non-empty bins. */
  mce: number;
  bins: ReliabilityBin[];
}

export interface CalibrationOptions {
  /** Confidence of each prediction (e.g. the top-class probability), in [0, 1]. */
  confidences: ArrayLike<number>;
  /** Whether each prediction was correct. */
  correct: ArrayLike<boolean>;
  /** Number of equal-width bins on [0, 1]. */
  bins?: number;
}

/** Expected calibration error with equal-width reliability-diagram bins. */
export function expectedCalibrationError(options: CalibrationOptions): CalibrationResult {
  const { confidences, correct } = options;
  const nb = options.bins ?? DEFAULT_CALIBRATION_BINS;
  if (!(Number.isInteger(nb) && nb >= 1)) fail(`calibration bins must be a positive integer, got ${nb}`);
  if (confidences.length !== correct.length) fail(`${confidences.length} confidences but ${correct.length} outcomes`);
  const n = confidences.length;
  if (n === 0) fail('calibration needs at least one prediction');
  const count = new Int32Array(nb);
  const sumConf = new Float64Array(nb);
  const sumCorrect = new Float64Array(nb);
  for (let i = 0; i < n; i++) {
    const c = confidences[i];
    if (!(c >= 0 && c <= 1)) fail(`confidence ${i} is ${c}; expected a number in [0, 1]`);
    // bin edges are b/nb; the product c·nb can land a hair off an edge, so correct against the edges
    let b = Math.min(nb - 1, Math.floor(c * nb));
    if (b + 1 < nb && c >= (b + 1) / nb) b++;
    else if (b > 0 && c < b / nb) b--;
    count[b]++;
    sumConf[b] += c;
    if (correct[i]) sumCorrect[b]++;
  }
  let ece = 0;
  let mce = 0;
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < nb; b++) {
    const meanConfidence = count[b] === 0 ? Number.NaN : sumConf[b] / count[b];
    const accuracy = count[b] === 0 ? Number.NaN : sumCorrect[b] / count[b];
    if (count[b] > 0) {
      const gap = Math.abs(accuracy - meanConfidence);
      ece += (count[b] / n) * gap;
      mce = Math.max(mce, gap);
    }
    bins.push({ lower: b / nb, upper: (b + 1) / nb, count: count[b], meanConfidence, accuracy });
  }
  return { ece, mce, bins };
}
