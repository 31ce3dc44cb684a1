/**
 * The one composition of a screening, used by `ctscreen screen`/`demo`, the eval workers and the
 * server's workers: load the models once → screenCase → write the outputs.
 *
 *   openScreener(options): Promise<Screener>       models loaded once; screener.screen(input, task) per case
 *   runScreening(input, options): Promise<...>      one case: open, screen, write (the CLI's path)
 *
 * A screener holds the loaded sessions; each case may pick the candidate generator (classical always
 * works; learned needs the segmenter that was loaded) and the output formats to write.
 */
import { resolve } from 'node:path';
import type { CandidateGeneratorId } from '../candidates/types.ts';
import { ModelError } from '../core/errors.ts';
import type { Volume } from '../core/volume.ts';
import { DEFAULT_OUTPUT_TYPES, type OutputType } from '../registry.ts';
import { writeScreeningOutputs, type ScreeningOutputs } from '../report/write-outputs.ts';
import { loadScreeningModels, type LoadedScreeningModels, type LoadScreeningModelsOptions } from './load-models.ts';
import { screenCase, type ScreenCaseResult, type ScreenInput, type ScreenProgressEvent } from './screen.ts';
import { startRead } from './stages.ts';
import type { DecisionMode } from './stages.ts';

export interface ScreenTask {
  /** Candidate generator for this case (default: what the screener loaded, learned when its model is there). */
  candidates?: CandidateGeneratorId;
  maxCandidates?: number;
  /** Write the outputs here; nothing is written without it. */
  outDir?: string;
  /** Output types to write (registry; default nifti + html); report.json is always written. */
  outputTypes?: readonly OutputType[];
  /**
   * Case decision: 'paper' (§2.6.2) or 'calibrated' (default when the screener loaded a decision model
   * that fits this case's candidate generator; otherwise the paper's rule, with a warning when asked).
   */
  decision?: DecisionMode;
  onProgress?: (event: ScreenProgressEvent) => void;
  /** Warnings listed before the screening's own (e.g. 'DEMO: …'). */
  extraWarnings?: readonly string[];
}

export interface ScreeningRun extends ScreenCaseResult {
  outputs: ScreeningOutputs | null;
}

export interface Screener {
  /** The generator used when a task does not choose. */
  readonly candidates: CandidateGeneratorId;
  /** Load-time warnings (e.g. the fall-back to classical candidates), added to every report. */
  readonly warnings: readonly string[];
  screen(input: ScreenInput, task?: ScreenTask): Promise<ScreeningRun>;
}

/** Wraps already loaded models (tests and callers that load models themselves). */
export function screenerFrom(loaded: LoadedScreeningModels): Screener {
  return {
    candidates: loaded.candidates,
    warnings: loaded.warnings,
    async screen(input, task = {}) {
      const candidates = task.candidates ?? loaded.candidates;
      if (candidates === 'learned' && !loaded.models.segmenter) {
        throw new ModelError('MODEL_MISSING', 'learned candidates need the candidate segmenter, which this worker has not loaded; use candidates classical');
      }
      const warnings = [...(task.extraWarnings ?? []), ...(candidates === loaded.candidates ? loaded.warnings : [])];
      // the calibrated decision was fitted for the loaded networks with their candidate generator only
      const calibrated = loaded.models.decision && candidates === loaded.candidates ? loaded.models.decision : undefined;
      let decision: DecisionMode = task.decision ?? (calibrated ? 'calibrated' : 'paper');
      if (decision === 'calibrated' && !calibrated) {
        decision = 'paper';
        // without a decision model the load warnings already say why
        if (loaded.models.decision) warnings.push(`the calibrated decision model was fitted with ${loaded.candidates} candidates, this screening uses ${candidates}: the paper's decision rule (§2.6.2) was used, whose confidence is not calibrated`);
      }
      const result = await screenCase(input, {
        models: calibrated ? loaded.models : { ...loaded.models, decision: undefined },
        candidates,
        decision,
        maxCandidates: task.maxCandidates,
        onProgress: task.onProgress,
        warnings,
        // the HTML's pictures render on a second thread while the screening finishes
        renderKeySlices: task.outDir !== undefined && (task.outputTypes ?? DEFAULT_OUTPUT_TYPES).includes('html'),
      });
      const outputs = task.outDir ? await writeScreeningOutputs({ outDir: resolve(task.outDir), report: result.report, artifacts: result.artifacts, outputTypes: task.outputTypes }) : null;
      return { ...result, outputs };
    },
  };
}

/** Loads the models once (loadScreeningModels) and returns a screener over them. */
export async function openScreener(options: LoadScreeningModelsOptions = {}): Promise<Screener> {
  return screenerFrom(await loadScreeningModels(options));
}

/**
 * One case: load the models, screen, write. The CLI's `screen` and `demo`. A path is read while the
 * models load (the segmenter's thread boots and the sessions are created during the DICOM read); a
 * model that fails to load is still the error reported first, as when loading came before reading.
 */
export async function runScreening(input: ScreenInput | { volume: Volume }, options: LoadScreeningModelsOptions & Omit<ScreenTask, 'candidates'>): Promise<ScreeningRun> {
  const { classifier, segmenter, candidates, intraOpThreads, root, decisionCard, ...task } = options;
  const opening = openScreener({ classifier, segmenter, candidates, intraOpThreads, root, decisionCard, decision: task.decision });
  if (!('path' in input) || input.started) return (await opening).screen(input, task);
  task.onProgress?.({ stage: 'read', phase: 'start' });
  const started = startRead(input.path, input.read);
  const screener = await opening;
  return screener.screen({ ...input, started }, task);
}
