import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { expandConfusionMatrix } from '../../eval/metrics.ts';
import { parseConfusionArg, parseLabelsArg, readPredictionsCsv, type MetricsInput } from '../../eval/metrics-input.ts';
import { formatMetricsText, metricsSummaryToJson, summarizeMetrics } from '../../eval/metrics-summary.ts';
import { DEFAULT_BOOTSTRAP_RESAMPLES, DEFAULT_BOOTSTRAP_SEED, DEFAULT_CALIBRATION_BINS, DEFAULT_CONFIDENCE_LEVEL } from '../../eval/metrics.ts';
import type { CliIo } from '../main.ts';

interface MetricsFlags {
  confusion?: string;
  predictions?: string;
  labels?: string;
  json?: boolean;
  bootstrap: string;
  seed: string;
  level: string;
  bins: string;
}

function integerFlag(name: string, value: string, min: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new InputError('METRICS_FLAG', `--${name} '${value}' must be an integer ≥ ${min}`);
  return Number(value);
}

/** `ctscreen metrics`: paper-style metrics (§3.3.1) from a confusion matrix or a predictions CSV. */
export function registerMetrics(program: Command, io: CliIo): void {
  program
    .command('metrics')
    .description('precision/recall/F1, accuracy, sensitivity/specificity, AUC, calibration and bootstrap CIs from a confusion matrix or predictions CSV')
    .option('--confusion <rows>', 'confusion matrix, rows = actual class: "26,3,1;4,25,1;2,1,27"')
    .option('--predictions <file.csv>', 'CSV with header case,label,predicted[,score_<class>…]')
    .option('--labels <a,b,c>', 'class names in matrix/CSV order')
    .option('--json', 'print JSON instead of tables')
    .option('--bootstrap <n>', 'bootstrap resamples for confidence intervals (0 = off)', String(DEFAULT_BOOTSTRAP_RESAMPLES))
    .option('--seed <n>', 'bootstrap seed', String(DEFAULT_BOOTSTRAP_SEED))
    .option('--level <p>', 'confidence level of the intervals', String(DEFAULT_CONFIDENCE_LEVEL))
    .option('--bins <n>', 'calibration bins', String(DEFAULT_CALIBRATION_BINS))
    .action((flags: MetricsFlags) => {
      if ((flags.confusion === undefined) === (flags.predictions === undefined)) {
        throw new InputError('METRICS_SOURCE', 'give exactly one of --confusion "<rows>" or --predictions <file.csv>');
      }
      const level = Number(flags.level);
      if (!(level > 0 && level < 1)) throw new InputError('METRICS_FLAG', `--level '${flags.level}' must be a number between 0 and 1, e.g. 0.95`);
      const labels = flags.labels === undefined ? undefined : parseLabelsArg(flags.labels);
      let input: MetricsInput;
      let title: string;
      if (flags.confusion !== undefined) {
        const cm = parseConfusionArg(flags.confusion, labels);
        input = { labels: cm.labels, caseIds: null, ...expandConfusionMatrix(cm), scores: null, notes: [] };
        title = 'metrics from --confusion';
      } else {
        input = readPredictionsCsv(flags.predictions!, labels);
        title = `metrics from ${flags.predictions}`;
      }
      const summary = summarizeMetrics({
        labels: input.labels,
        actual: input.actual,
        predicted: input.predicted,
        scores: input.scores,
        resamples: integerFlag('bootstrap', flags.bootstrap, 0),
        seed: integerFlag('seed', flags.seed, 0),
        level,
        calibrationBins: integerFlag('bins', flags.bins, 1),
        notes: input.notes,
      });
      io.stdout(flags.json ? `${JSON.stringify(metricsSummaryToJson(summary), null, 2)}\n` : formatMetricsText(summary, title));
    });
}
