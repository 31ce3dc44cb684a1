/**
 * Everything `ctscreen metrics` reports for one set of cases, as one typed result, plus its text and
 * JSON renderings. The numbers come from metrics.ts; nothing is computed here.
 */
import {
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  DEFAULT_CALIBRATION_BINS,
  DEFAULT_CONFIDENCE_LEVEL,
  classificationBootstrap,
  classificationReport,
  confusionFromIndices,
  expectedCalibrationError,
  oneVsRestAuc,
  type CalibrationResult,
  type ClassificationReport,
  type ConfidenceInterval,
  type OneVsRestAuc,
} from './metrics.ts';

export interface MetricsSummaryOptions {
  labels: readonly string[];
  actual: ArrayLike<number>;
  predicted: ArrayLike<number>;
  /** Per case, one score per label; enables ROC AUC and calibration. */
  scores?: readonly (readonly number[])[] | null;
  /** Bootstrap resamples; 0 turns confidence intervals off. */
  resamples?: number;
  seed?: number;
  level?: number;
  calibrationBins?: number;
  /** Notes from reading the input, carried into the summary. */
  notes?: readonly string[];
}

export interface MetricsSummary {
  report: ClassificationReport;
  /** One-vs-rest ROC AUC from the scores; null without scores. */
  auc: OneVsRestAuc | null;
  /** Calibration of the predicted class's score; null without scores or when scores are not in [0, 1]. */
  calibration: CalibrationResult | null;
  bootstrap: { resamples: number; seed: number; level: number; intervals: Record<string, ConfidenceInterval> } | null;
  notes: string[];
}

/** Confusion matrix, per-class and averaged metrics, AUC, calibration and bootstrap intervals. */
export function summarizeMetrics(options: MetricsSummaryOptions): MetricsSummary {
  const { labels, actual, predicted, scores } = options;
  const report = classificationReport(confusionFromIndices(actual, predicted, labels));
  const notes = [...(options.notes ?? []), ...report.notes];
  let auc: OneVsRestAuc | null = null;
  let calibration: CalibrationResult | null = null;
  if (scores) {
    auc = oneVsRestAuc({ actual, scores, labels });
    const undefinedAuc = auc.perClass.filter((p) => Number.isNaN(p.auc)).map((p) => p.label);
    if (undefinedAuc.length > 0) notes.push(`AUC undefined for ${undefinedAuc.join(', ')} (needs cases of the class and of the rest)`);
    const confidences = Array.from({ length: scores.length }, (_, c) => scores[c][predicted[c]]);
    if (confidences.every((v) => v >= 0 && v <= 1)) {
      calibration = expectedCalibrationError({
        confidences,
        correct: Array.from({ length: scores.length }, (_, c) => actual[c] === predicted[c]),
        bins: options.calibrationBins ?? DEFAULT_CALIBRATION_BINS,
      });
    } else {
      notes.push('calibration skipped: scores are not all probabilities in [0, 1]');
    }
  }
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const level = options.level ?? DEFAULT_CONFIDENCE_LEVEL;
  const bootstrap =
    resamples > 0 && report.total > 0
      ? { resamples, seed, level, intervals: classificationBootstrap({ actual, predicted, labels, resamples, seed, level }) }
      : null;
  return { report, auc, calibration, bootstrap, notes };
}

/** NaN (undefined) becomes null so that JSON says "no value" rather than failing or lying. */
function jsonNumber(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The summary as plain JSON data (undefined values as null). */
export function metricsSummaryToJson(s: MetricsSummary): unknown {
  const r = s.report;
  return {
    labels: r.labels,
    cases: r.total,
    correct: r.correct,
    accuracy: r.accuracy,
    confusion: { rows: 'actual', columns: 'predicted', matrix: r.matrix },
    perClass: r.perClass.map((m, i) => ({ ...m, auc: s.auc ? jsonNumber(s.auc.perClass[i].auc) : null })),
    macro: { ...r.macro, auc: s.auc ? jsonNumber(s.auc.macro) : null },
    weighted: r.weighted,
    calibration: s.calibration && {
      ece: s.calibration.ece,
      mce: s.calibration.mce,
      bins: s.calibration.bins.map((b) => ({ ...b, meanConfidence: jsonNumber(b.meanConfidence), accuracy: jsonNumber(b.accuracy) })),
    },
    bootstrap: s.bootstrap && {
      resamples: s.bootstrap.resamples,
      seed: s.bootstrap.seed,
      level: s.bootstrap.level,
      intervals: Object.fromEntries(
        Object.entries(s.bootstrap.intervals).map(([k, ci]) => [k, { estimate: ci.estimate, low: jsonNumber(ci.low), high: jsonNumber(ci.high), validResamples: ci.validResamples }]),
      ),
    },
    notes: s.notes,
  };
}

/**
 * A classification report in the shape model cards render as tables (models/model-card.ts):
 * `{ labels, matrix, perClass: { <label>: { recall, precision, f1, support } }, accuracy, macroF1, weightedF1 }`.
 */
export function toCardMetrics(r: ClassificationReport): Record<string, unknown> {
  return {
    labels: [...r.labels],
    matrix: r.matrix.map((row) => [...row]),
    perClass: Object.fromEntries(r.perClass.map((m) => [m.label, { recall: m.recall, precision: m.precision, f1: m.f1, support: m.support }])),
    accuracy: r.accuracy,
    macroF1: r.macro.f1,
    weightedF1: r.weighted.f1,
  };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');

function table(rows: string[][], rightAlignFrom = 1): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** The summary as the text tables `ctscreen metrics` prints. */
export function formatMetricsText(s: MetricsSummary, title: string): string {
  const r = s.report;
  const out: string[] = [`${title}: ${r.total} cases, ${r.labels.length} classes`, ''];
  out.push('Confusion matrix (rows = actual, columns = predicted)');
  out.push(table([['actual \\ predicted', ...r.labels], ...r.labels.map((l, i) => [l, ...r.matrix[i].map(String)])]), '');
  const head = ['class', 'support', 'precision', 'recall', 'f1', 'specificity', ...(s.auc ? ['AUC'] : [])];
  const rows = r.perClass.map((m, i) => [m.label, String(m.support), fmt(m.precision), fmt(m.recall), fmt(m.f1), fmt(m.specificity), ...(s.auc ? [fmt(s.auc.perClass[i].auc)] : [])]);
  rows.push(['macro avg', '', fmt(r.macro.precision), fmt(r.macro.recall), fmt(r.macro.f1), '', ...(s.auc ? [fmt(s.auc.macro)] : [])]);
  rows.push(['weighted avg', String(r.total), fmt(r.weighted.precision), fmt(r.weighted.recall), fmt(r.weighted.f1), '', ...(s.auc ? [''] : [])]);
  out.push(table([head, ...rows]), '');
  out.push(`accuracy ${fmt(r.accuracy)} (${r.correct}/${r.total})`);
  if (s.bootstrap) {
    const b = s.bootstrap;
    const pct = `${+(b.level * 100).toFixed(1)} %`;
    out.push('', `${pct} confidence intervals (percentile bootstrap over cases, ${b.resamples} resamples, seed ${b.seed})`);
    const ciRows = Object.entries(b.intervals).map(([k, ci]) => [k, fmt(ci.estimate), `${fmt(ci.low)} – ${fmt(ci.high)}`, ci.validResamples < b.resamples ? `${ci.validResamples} valid resamples` : '']);
    out.push(table([['metric', 'estimate', pct, ''], ...ciRows]));
  }
  if (s.calibration) {
    const c = s.calibration;
    out.push('', `calibration of the predicted class's score: ECE ${fmt(c.ece)}, MCE ${fmt(c.mce)}`);
    out.push(table([['bin', 'cases', 'mean confidence', 'accuracy'], ...c.bins.map((b) => [`${b.lower.toFixed(2)}–${b.upper.toFixed(2)}`, String(b.count), fmt(b.meanConfidence), fmt(b.accuracy)])]));
  }
  if (s.notes.length > 0) out.push('', 'notes:', ...s.notes.map((n) => `  - ${n}`));
  return `${out.join('\n')}\n`;
}
