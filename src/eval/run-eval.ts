/**
 * `ctscreen eval`: screens every case of a manifest on the shared worker pool (pipeline/worker-pool.ts;
 * both cores: 2 processes by default, one onnxruntime thread each), writes each case's outputs and one predictions CSV, and
 * summarises the case-level results (paper §3.3.5: COVID-19 / other pneumonia / no infection found)
 * with the metrics of eval/metrics-summary.ts.
 *
 *   runEval(options): Promise<EvalRun>
 *   caseScores(outcome, labels): number[]          the score columns of one case
 *   formatEvalText(run): string
 *
 * A case that fails (unreadable file, a crash) is recorded with its error and counted; the run goes
 * on. Cases a model was trained on (models/*split*.json) are summarised apart from the held-out
 * ones: numbers on training cases are not validation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CandidateGeneratorId } from '../candidates/types.ts';
import { ModelError } from '../core/errors.ts';
import type { InputLimits } from '../io/limits.ts';
import { NO_INFECTION_FOUND, NOT_SCREENED, type CaseReport } from '../core/report-schema.ts';
import { formatPercent } from '../report/html-report.ts';
import { readModelCard } from '../models/model-card.ts';
import { REPO_ROOT, resolveModel } from '../models/load-model.ts';
import { models as registryModels } from '../registry.ts';
import { WorkerPool } from '../pipeline/worker-pool.ts';
import type { EvalCaseOutcome, EvalErrorInfo } from './eval-protocol.ts';
import { formatLesionFree, lesionFreeSummary, lesionMaskMl, type LesionFreeSummary } from './lesion-free.ts';
import { checkManifestLabels, type Manifest, type ManifestCase } from './manifest.ts';
import { DEFAULT_BOOTSTRAP_RESAMPLES, DEFAULT_BOOTSTRAP_SEED } from './metrics.ts';
import { formatMetricsText, metricsSummaryToJson, summarizeMetrics, type MetricsSummary } from './metrics-summary.ts';
import { formatScreeningRates, screeningRates, type ScreeningRates } from './screening-rates.ts';
import { readTrainingSplits, splitMembership, type SplitMembership } from './training-split.ts';

/** Two worker processes: the machines here have 2 cores. */
export const DEFAULT_EVAL_JOBS = 2;
export const PREDICTIONS_CSV = 'predictions.csv';
export const CASES_CSV = 'cases.csv';
export const SUMMARY_JSON = 'summary.json';
export const SUMMARY_TXT = 'summary.txt';
export const CASES_DIR = 'cases';

export interface RunEvalOptions {
  manifest: Manifest;
  outDir: string;
  candidates?: CandidateGeneratorId;
  classifier?: string;
  segmenter?: string;
  maxCandidates?: number;
  /** Resource limits for reading each case (src/io/limits.ts). */
  limits?: Partial<InputLimits>;
  /** Worker processes (default 2). */
  jobs?: number;
  /** Folder with the training split files (default the repository's models/). */
  modelsDir?: string;
  bootstrap?: number;
  seed?: number;
  /** 'calibrated' (default) or 'paper'. */
  decision?: 'calibrated' | 'paper';
  /** Called as each case finishes (progress). */
  onCase?: (result: EvalCaseResult, done: number, total: number) => void;
}

export interface EvalCaseResult {
  id: string;
  path: string;
  label: string;
  /** Manifest's split column, when given. */
  split?: string;
  /** Split groups (models/*split*.json) that name this case. */
  membership: SplitMembership[];
  /** True when some model was trained on this case. */
  trainingCase: boolean;
  status: 'ok' | 'failed';
  predicted?: string;
  /** One score per case-level class (see caseScores). */
  scores?: number[];
  outcome?: EvalCaseOutcome;
  error?: EvalErrorInfo;
  ms: number;
  outDir: string;
}

export interface EvalGroupSummary {
  name: 'all' | 'held-out' | 'training';
  /** Cases screened (status ok), decided or not. */
  cases: number;
  /** Confusion-matrix metrics over the cases with a decision in the label set (not screened / indeterminate left out: see rates). */
  summary: MetricsSummary | null;
  /** Sensitivity / specificity over every screened case of the group, not-screened and indeterminate counted as misses. */
  rates: ScreeningRates | null;
}

export interface EvalRun {
  labels: string[];
  candidates: CandidateGeneratorId;
  modelWarnings: string[];
  classifier: { id: string; version: string };
  cases: EvalCaseResult[];
  failed: number;
  groups: EvalGroupSummary[];
  /** Screened cases labelled no infection: regions and lesion mask (every one a false positive). */
  lesionFree: LesionFreeSummary;
  files: { predictions: string; cases: string; summaryJson: string; summaryText: string };
  seconds: number;
}

/**
 * Case scores in `labels` order: an infection type's exported confidence (§2.6.2: its P directly, or
 * the softmax share); no-infection-found gets ∏(1 − P_t), the Noisy-OR probability that none of the
 * types is present. The predicted class always has the largest score.
 */
export function caseScores(outcome: EvalCaseOutcome, labels: readonly string[]): number[] {
  if (outcome.infectionProbability !== undefined && outcome.typeProbabilities) {
    // calibrated: P(type) = P(infected)·P(type | infected); no infection = 1 − P(infected)
    const P = outcome.infectionProbability;
    return labels.map((l) => (l === NO_INFECTION_FOUND ? 1 - P : P * (outcome.typeProbabilities?.[l] ?? 0)));
  }
  let none = 1;
  for (const s of outcome.infections) none *= 1 - s.noisyOr;
  return labels.map((l) => (l === NO_INFECTION_FOUND ? none : outcome.infections.find((s) => s.label === l)?.exportedConfidence ?? 0));
}

function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function safeDirName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export function classifierCard(idOrPath: string | undefined) {
  const id = idOrPath ?? registryModels.find((m) => m.stage === 'classifier')?.id;
  if (!id) throw new ModelError('MODEL_UNKNOWN', 'no classifier model is registered; give one with --classifier <path.onnx>');
  try {
    return readModelCard(resolveModel(id).cardPath);
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(e.code, `eval needs the patch classifier '${id}': ${e.message}`, { path: e.path, cause: e });
    throw e;
  }
}

/** What eval keeps of a screened case (the full report is on disk). */
export function caseOutcome(report: CaseReport): EvalCaseOutcome {
  return {
    decision: report.decision.label,
    rule: report.decision.rule,
    confidence: report.decision.confidence,
    mode: report.decision.mode,
    ...(report.decision.infectionProbability !== undefined ? { infectionProbability: report.decision.infectionProbability } : {}),
    ...(report.decision.typeProbabilities !== undefined ? { typeProbabilities: report.decision.typeProbabilities } : {}),
    infections: report.infections.map((s) => ({ label: s.label, noisyOr: s.noisyOr, exportedConfidence: s.exportedConfidence })),
    regions: report.regions.length,
    keptRegions: report.regions.filter((r) => r.kept).length,
    lesionMl: lesionMaskMl(report),
    warnings: report.warnings,
    totalMs: report.timingsMs.total ?? 0,
  };
}

/** Screens every case with `jobs` worker processes (the shared WorkerPool); never throws for a single case's failure. */
export async function runEval(options: RunEvalOptions): Promise<EvalRun> {
  const t0 = Date.now();
  const { manifest, outDir } = options;
  const card = classifierCard(options.classifier);
  const labels = [...card.classSpec.infectionLabels, NO_INFECTION_FOUND];
  checkManifestLabels(manifest, labels);
  const splits = readTrainingSplits(options.modelsDir ?? join(REPO_ROOT, 'models'));
  mkdirSync(join(outDir, CASES_DIR), { recursive: true });

  const jobs = Math.max(1, Math.min(options.jobs ?? DEFAULT_EVAL_JOBS, manifest.cases.length));
  const results = new Map<string, EvalCaseResult>();

  const record = (c: ManifestCase, ms: number, outcome?: EvalCaseOutcome, error?: EvalErrorInfo) => {
    const membership = splitMembership(c.path, splits);
    const r: EvalCaseResult = {
      id: c.id,
      path: c.path,
      label: c.label,
      split: c.split,
      membership,
      trainingCase: membership.some((m) => m.split === 'train'),
      status: outcome ? 'ok' : 'failed',
      ms,
      outDir: join(outDir, CASES_DIR, safeDirName(c.id)),
    };
    if (outcome) {
      r.outcome = outcome;
      r.predicted = outcome.decision;
      r.scores = caseScores(outcome, labels);
    } else r.error = error;
    results.set(c.id, r);
    options.onCase?.(r, results.size, manifest.cases.length);
  };

  const pool = await WorkerPool.start({ size: jobs, load: { classifier: options.classifier, segmenter: options.segmenter, candidates: options.candidates, intraOpThreads: 1, decision: options.decision } });
  try {
    await Promise.all(
      manifest.cases.map(async (c) => {
        const r = await pool.run({ path: c.path, read: { workers: 0, limits: options.limits }, task: { maxCandidates: options.maxCandidates, outDir: join(outDir, CASES_DIR, safeDirName(c.id)) } });
        if (r.ok) record(c, r.ms, caseOutcome(r.report));
        else record(c, r.ms, undefined, { message: r.error.message, code: r.error.code, userFacing: r.error.userFacing });
      }),
    );
  } finally {
    await pool.close();
  }
  const candidates = pool.candidates as CandidateGeneratorId;
  const modelWarnings = pool.warnings;

  const cases = manifest.cases.map((c) => results.get(c.id)!).filter((r) => r !== undefined);
  const groups: EvalGroupSummary[] = [
    { name: 'all', pick: (_r: EvalCaseResult) => true },
    { name: 'held-out', pick: (r: EvalCaseResult) => !r.trainingCase },
    { name: 'training', pick: (r: EvalCaseResult) => r.trainingCase },
  ].map(({ name, pick }) => {
    const screened = cases.filter((r) => r.status === 'ok' && pick(r));
    // the confusion matrix holds decided cases only; not screened / indeterminate are counted in the rates
    const ok = screened.filter((r) => labels.includes(r.predicted!));
    const rates =
      screened.length === 0
        ? null
        : screeningRates({
            cases: screened.map((r) => ({ label: r.label, predicted: r.predicted!, infectionProbability: r.outcome?.infectionProbability })),
            infectionLabels: card.classSpec.infectionLabels,
            resamples: options.bootstrap ?? DEFAULT_BOOTSTRAP_RESAMPLES,
            seed: options.seed ?? DEFAULT_BOOTSTRAP_SEED,
          });
    const summary =
      ok.length === 0
        ? null
        : summarizeMetrics({
            labels,
            actual: ok.map((r) => labels.indexOf(r.label)),
            predicted: ok.map((r) => labels.indexOf(r.predicted!)),
            scores: ok.map((r) => r.scores!),
            resamples: options.bootstrap ?? DEFAULT_BOOTSTRAP_RESAMPLES,
            seed: options.seed ?? DEFAULT_BOOTSTRAP_SEED,
          });
    return { name: name as EvalGroupSummary['name'], cases: screened.length, summary, rates };
  });

  const files = {
    predictions: join(outDir, PREDICTIONS_CSV),
    cases: join(outDir, CASES_CSV),
    summaryJson: join(outDir, SUMMARY_JSON),
    summaryText: join(outDir, SUMMARY_TXT),
  };
  const ok = cases.filter((r) => r.status === 'ok' && labels.includes(r.predicted!));
  writeFileSync(
    files.predictions,
    [['case', 'label', 'predicted', ...labels.map((l) => `score_${l}`)].join(','), ...ok.map((r) => [r.id, r.label, r.predicted!, ...r.scores!.map((s) => s.toFixed(6))].map(csvField).join(','))].join('\n') + '\n',
  );
  writeFileSync(
    files.cases,
    [
      'case,path,label,predicted,status,manifest_split,training_case,split_groups,regions,kept_regions,lesion_ml,confidence,seconds,warnings,error',
      ...cases.map((r) =>
        [
          r.id,
          r.path,
          r.label,
          r.predicted ?? '',
          r.status,
          r.split ?? '',
          r.trainingCase ? 'yes' : 'no',
          r.membership.map((m) => `${m.group}:${m.split}(${m.models.join('+')})`).join(' '),
          r.outcome?.regions ?? '',
          r.outcome?.keptRegions ?? '',
          r.outcome?.lesionMl === null || r.outcome?.lesionMl === undefined ? '' : r.outcome.lesionMl.toFixed(1),
          r.outcome?.confidence === null || r.outcome?.confidence === undefined ? '' : r.outcome.confidence.toFixed(4),
          (r.ms / 1000).toFixed(1),
          r.outcome ? r.outcome.warnings.length : '',
          r.error?.message ?? '',
        ]
          .map(csvField)
          .join(','),
      ),
    ].join('\n') + '\n',
  );
  const run: EvalRun = {
    labels,
    candidates,
    modelWarnings,
    classifier: { id: card.id, version: card.version },
    cases,
    failed: cases.filter((r) => r.status === 'failed').length,
    groups,
    lesionFree: lesionFreeSummary(cases.filter((r) => r.status === 'ok' && r.label === NO_INFECTION_FOUND && r.outcome && r.predicted !== NOT_SCREENED).map((r) => ({ id: r.id, trainingCase: r.trainingCase, regions: r.outcome!.regions, infectionVotedRegions: r.outcome!.keptRegions, lesionMl: r.outcome!.lesionMl ?? null }))),
    files,
    seconds: (Date.now() - t0) / 1000,
  };
  writeFileSync(
    files.summaryJson,
    `${JSON.stringify(
      {
        manifest: manifest.file,
        classifier: run.classifier,
        candidates,
        modelWarnings,
        labels,
        failed: run.failed,
        seconds: run.seconds,
        cases: cases.map((r) => ({ id: r.id, label: r.label, predicted: r.predicted ?? null, status: r.status, trainingCase: r.trainingCase, membership: r.membership, error: r.error?.message ?? null })),
        groups: groups.map((g) => ({ name: g.name, cases: g.cases, rates: g.rates, metrics: g.summary ? metricsSummaryToJson(g.summary) : null })),
        lesionFree: run.lesionFree,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(files.summaryText, formatEvalText(run));
  return run;
}

const GROUP_TITLES: Record<EvalGroupSummary['name'], string> = {
  all: 'ALL screened cases',
  'held-out': 'HELD-OUT cases (no model was trained on them)',
  training: 'TRAINING cases (a model was trained on them: NOT validation)',
};

/** The text `ctscreen eval` prints: per-case lines, failures, then each group's metrics. */
export function formatEvalText(run: EvalRun): string {
  const lines: string[] = [];
  lines.push(`ctscreen eval: ${run.cases.length} case(s), classifier ${run.classifier.id} v${run.classifier.version}, ${run.candidates} candidates, ${run.seconds.toFixed(0)} s`);
  for (const w of run.modelWarnings) lines.push(`warning: ${w}`);
  lines.push('');
  const idW = Math.max(4, ...run.cases.map((r) => r.id.length));
  const labW = Math.max(5, ...run.labels.map((l) => l.length));
  const pHead = `Noisy-OR P (${run.labels.filter((l) => l !== NO_INFECTION_FOUND).join(' / ')})`;
  const pW = Math.max(24, pHead.length);
  lines.push(`${'case'.padEnd(idW)}  ${'label'.padEnd(labW)}  ${'predicted'.padEnd(labW)}  ${'conf.'.padStart(8)}  kept/regions  ${pHead.padEnd(pW)}  set`);
  const models = (ms: SplitMembership[], split: 'train' | 'validation') => [...new Set(ms.filter((m) => m.split === split).flatMap((m) => m.models))].join(', ');
  for (const r of run.cases) {
    const set = r.trainingCase ? `TRAINING case of ${models(r.membership, 'train')}` : r.membership.length > 0 ? `validation split of ${models(r.membership, 'validation')}` : 'held out (in no split)';
    if (r.status === 'ok') {
      const o = r.outcome!;
      const conf = formatPercent(o.confidence).padStart(8);
      const mark = r.predicted === r.label ? ' ' : '✗';
      const p = o.infections.map((s) => formatPercent(s.noisyOr)).join(' / ');
      lines.push(`${r.id.padEnd(idW)}  ${r.label.padEnd(labW)}  ${r.predicted!.padEnd(labW)}${mark} ${conf}  ${`${o.keptRegions}/${o.regions}`.padStart(12)}  ${p.padEnd(pW)}  ${set}`);
    } else {
      lines.push(`${r.id.padEnd(idW)}  ${r.label.padEnd(labW)}  FAILED: ${r.error?.message ?? 'unknown error'}`);
    }
  }
  lines.push('', `failed: ${run.failed} of ${run.cases.length} case(s)${run.failed ? ' (not in the metrics below)' : ''}`);
  for (const g of run.groups) {
    lines.push('', `=== ${GROUP_TITLES[g.name]}: ${g.cases} case(s) ===`);
    if (g.rates) lines.push(formatScreeningRates(g.rates).trimEnd());
    if (!g.summary) {
      lines.push(g.rates ? '(no decided case for the confusion matrix)' : '(none)');
      continue;
    }
    const left = g.rates ? g.rates.notScreened + g.rates.indeterminate : 0;
    lines.push(formatMetricsText(g.summary, `case-level metrics, ${g.name}${left ? ` (${left} not screened / indeterminate case(s) left out of this matrix)` : ''}`).trimEnd());
  }
  lines.push('', `=== lesion-free CTs (label ${NO_INFECTION_FOUND}): what screening finds there ===`);
  lines.push(run.lesionFree.cases.length ? formatLesionFree(run.lesionFree).trimEnd() : '(no lesion-free case was screened)');
  lines.push('', `predictions: ${run.files.predictions}`, `per-case table: ${run.files.cases}`, `summary: ${run.files.summaryJson}`);
  return `${lines.join('\n')}\n`;
}
