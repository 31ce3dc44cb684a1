/**
 * Screening one chest CT, end to end (paper Fig. 2): read → lungs → candidate regions → patches
 * (centre slice + two neighbours) → patch classifier → region vote (§2.6.1) → Noisy-OR (§2.6.2) →
 * case report. This file composes the stages and nothing else: every rule lives in its stage.
 *
 *   screenCase(input, options): Promise<ScreenCaseResult>
 *
 * Models are passed in, already loaded (loadScreeningModels), so a caller screening many cases
 * (`ctscreen eval`, the server) creates each ONNX session once. Problems with the scan that still
 * allow an answer — no lungs, no candidates, partial coverage — give a valid report with a clear
 * decision and warnings; only unusable input (unreadable file) or a broken model throws.
 */
import { ctscreenVersion } from '../core/version.ts';
import { performance } from 'node:perf_hooks';
import { splitLargeCandidates } from '../candidates/split-large.ts';
import type { CandidateGeneratorId, CandidateSet } from '../candidates/types.ts';
import type { ClassSpec } from '../core/classes.ts';
import { ModelError, ScreeningError } from '../core/errors.ts';
import {
  createCaseReport,
  describeInput,
  type CaseReport,
  type LungStats,
  type RegionReport,
  type TIMING_STAGES,
} from '../core/report-schema.ts';
import type { Volume } from '../core/volume.ts';
import { decideCalibrated, type CalibratedDecision, type CaseDecisionModel } from '../decide/calibrated.ts';
import { dependentShare } from '../lung/dependent-lung.ts';
import type { DicomReferences } from '../io/dicom/references.ts';
import { decide } from '../decide/decide.ts';
import { reportClasses, reportDecisionCalibrated, reportDecisionPaperMode, reportNotScreened, reportPaperDecision, reportRegion } from '../decide/report-parts.ts';
import { notScreenableReason, thickSliceCaveat } from '../io/screenable.ts';
import { SINGLE_SLICE_CAVEAT } from '../classify/extract-patches.ts';
import { regionLungSide } from '../lung/quantify.ts';
import { checkVolume } from '../io/check-volume.ts';
import type { PatchPrediction } from '../decide/types.ts';
import { chooseKeySlices, type KeySliceFigure, type OverlayRegion } from '../report/key-slices.ts';
import { bootKeySliceRenderer, renderKeySlicesOffThread } from '../report/key-slice-renderer.ts';
import { modelRefs } from '../report/model-refs.ts';
import { candidateGenerator } from '../registry.ts';
import { classifyCubes, findCandidates, findLesionMask, findLungs, measureLungs, readInput, type DecisionMode, type ScreeningModels, type ReadInputOptions, type StartedRead } from './stages.ts';

export type { DecisionMode, ScreeningModels } from './stages.ts';

export type TimingStage = (typeof TIMING_STAGES)[number];

/** At most this many candidate regions are classified (largest first); the paper averages ~6.4 per CT (3957 cubes / 618 CTs, §2.4). */
export const DEFAULT_MAX_CANDIDATES = 64;
/** More regions than this is unusual (diffuse disease or a noisy segmentation) and is flagged. */
export const MANY_CANDIDATES_WARNING = 32;

/** A volume in memory, or a path to read (`started`: that read already under way, see stages.startRead). */
export type ScreenInput = { volume: Volume; dicomReferences?: DicomReferences | null } | { path: string; read?: ReadInputOptions; started?: StartedRead };

export interface ScreenProgressEvent {
  stage: Exclude<TimingStage, 'total'>;
  phase: 'start' | 'end';
  /** Wall time of the stage, on 'end'. */
  ms?: number;
  /** A short note, e.g. '7 candidates'. */
  detail?: string;
}

export interface ScreenCaseOptions {
  models: ScreeningModels;
  candidates: CandidateGeneratorId;
  /** Default DEFAULT_MAX_CANDIDATES. */
  maxCandidates?: number;
  onProgress?: (event: ScreenProgressEvent) => void;
  /** Report time (default now) and tool version (default the package's), for reproducible reports. */
  now?: Date;
  toolVersion?: string;
  /** Warnings the caller adds (e.g. a fallback it made), listed first. */
  warnings?: readonly string[];
  /** 'calibrated' (default when models.decision is loaded) or 'paper' (§2.6.2 exactly). */
  decision?: DecisionMode;
  /**
   * Render the key slices' pictures on a worker thread as soon as the slices are chosen, while the
   * screening finishes (artifacts.keySliceFigures): for a caller that writes the HTML report.
   */
  renderKeySlices?: boolean;
}

export interface ScreenArtifacts {
  volume: Volume;
  /** 0 none, 1 right lung, 2 left lung, on the volume grid; null when no lungs were found. */
  lungMask: Uint8Array | null;
  /** Candidate labels on the volume grid: 0 none, k = the region whose `labelValue` is k; null without candidates. */
  candidateLabels: Uint32Array | null;
  /** Lesion mask (0/1) on the volume grid at the segmenter's Dice-optimal threshold; null without one. */
  lesionMask: Uint8Array | null;
  /** The report's regions as the pictures need them (same order as report.regions). */
  regions: OverlayRegion[];
  /** Axial slices the report shows, superior first. */
  keySlices: number[];
  /** DICOM inputs: the source's UIDs and patient/study modules for DICOM outputs; null otherwise. Identifying: never log it. */
  dicomReferences?: DicomReferences | null;
  /** The key slices' pictures being rendered off the main thread (options.renderKeySlices). */
  keySliceFigures?: Promise<KeySliceFigure[]>;
}

export interface ScreenCaseResult {
  report: CaseReport;
  artifacts: ScreenArtifacts;
}



/** The package version, for the report and the classical methods' model refs. */
function toolVersionOf(options: ScreenCaseOptions): string {
  return options.toolVersion ?? ctscreenVersion();
}

/** Screens one CT. See the file header. */
export async function screenCase(input: ScreenInput, options: ScreenCaseOptions): Promise<ScreenCaseResult> {
  const { models } = options;
  const spec: ClassSpec = models.classifier.card.classSpec;
  if (candidateGenerator(options.candidates).needs === 'segmenter' && !models.segmenter) {
    throw new ModelError('MODEL_MISSING', "learned candidates need a segmenter model; load one or use candidates 'classical'");
  }
  const maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  const timings: Partial<Record<TimingStage, number>> = {};
  // a read started before this call counts from its own start
  const t0 = 'path' in input && input.started ? input.started.startedAt : performance.now();
  const stage = async <T>(name: Exclude<TimingStage, 'total'>, fn: () => T | Promise<T>, detail?: (r: T) => string): Promise<T> => {
    options.onProgress?.({ stage: name, phase: 'start' });
    const s = performance.now();
    const r = await fn();
    const ms = performance.now() - s;
    timings[name] = ms;
    options.onProgress?.({ stage: name, phase: 'end', ms, detail: detail?.(r) });
    return r;
  };
  // its 'start' was told by whoever started it
  const startedRead = async (started: StartedRead) => {
    const r = await started.result;
    timings.read = r.ms;
    options.onProgress?.({ stage: 'read', phase: 'end', ms: r.ms, detail: `${r.volume.dims.join('×')}` });
    return r;
  };
  const warnings: string[] = [...(options.warnings ?? [])];

  const read = 'volume' in input ? { volume: input.volume, dicomReferences: input.dicomReferences ?? null } : input.started ? await startedRead(input.started) : await stage('read', () => readInput(input.path, input.read), (r) => `${r.volume.dims.join('×')}`);
  const { volume, dicomReferences } = read;
  checkVolume(volume, 'path' in input ? input.path : 'the volume given to screenCase');
  warnings.push(...volume.warnings);
  const thick = thickSliceCaveat(volume);
  if (thick) warnings.push(thick);
  if (volume.dims[2] === 1) warnings.push(SINGLE_SLICE_CAVEAT);

  // values that are not chest CT are not screened: never a silent "no infection"
  let notScreened: string | null = notScreenableReason(volume);

  // the rendering thread loads while the lungs are found (the main thread's work; the second core idles)
  if (options.renderKeySlices && !notScreened) bootKeySliceRenderer();
  // lungs: "no lungs found" is an answer about this scan, not a crash
  const lungs = notScreened
    ? null
    : await stage('lung', () => {
        try {
          return findLungs(volume);
        } catch (e) {
          if (e instanceof ScreeningError) return e;
          throw e;
        }
      }, (r) => (r instanceof ScreeningError ? 'no lungs' : `${r.volumeMl.right.toFixed(0)} + ${r.volumeMl.left.toFixed(0)} mL`));
  if (lungs instanceof ScreeningError) notScreened = `no lungs found: ${lungs.message}`;
  const lungResult = lungs instanceof ScreeningError ? null : lungs;

  let candidates: CandidateSet | null = null;
  let regionsPatches: PatchPrediction[][] = [];
  let lungStats: LungStats | null = null;
  let lesionMask: Uint8Array | null = null;
  let lesionMl = 0;
  const regions: RegionReport[] = [];
  const overlay: OverlayRegion[] = [];

  if (notScreened) {
    warnings.push(`NOT SCREENED — ${notScreened}. Nothing was screened, so this says nothing about infection.`);
  } else if (lungResult) {
    warnings.push(...lungResult.warnings);
    // lung-sized components become ≤ 50 mm sub-cubes, so each patch shows a focus, not a whole lung (§2.2)
    candidates = await stage('candidates', async () => splitLargeCandidates(await findCandidates({ volume, lungMask: lungResult.mask, mode: options.candidates, models, maxCandidates }), { grid: volume, maxCandidates, reuseLabels: true }), (c) => `${c.candidates.length} regions`);
    warnings.push(...candidates.warnings);
    const lesion = findLesionMask({ volume, lungMask: lungResult.mask, candidates, models });
    if (lesion.mask) {
      lesionMask = lesion.mask;
      lesionMl = lesion.volumeMl;
    } else warnings.push(lesion.why);
    const set = candidates;
    if (set.candidates.length === 0) {
      warnings.push('no candidate regions were found in the lungs: nothing to classify, so no infection was found');
    } else if (set.candidates.length >= MANY_CANDIDATES_WARNING) {
      warnings.push(`${set.candidates.length} candidate regions (the paper's CTs average about 6): diffuse disease, or a noisy candidate segmentation; the decision rests on many regions`);
    }
    if (set.candidates.length > 0) {
      regionsPatches = await stage('classify', () => classifyCubes({ volume, lungMask: lungResult.mask, candidates: set.candidates, classifier: models.classifier }), (r) => `${r.reduce((a, p) => a + p.length, 0)} patches`);
    }
  }

  const mode: DecisionMode = options.decision ?? (models.decision ? 'calibrated' : 'paper');
  const decisionModel = mode === 'calibrated' ? models.decision : undefined;
  if (mode === 'calibrated' && !decisionModel) throw new ModelError('MODEL_MISSING', "the calibrated decision needs a decision model (models/case-decision.card.json); load one or use decision 'paper'");
  const decided = await stage('decide', () => decide({ regions: regionsPatches, spec }));
  let calibrated: CalibratedDecision | null = null;
  if (!notScreened) {
    if (decisionModel) {
      const lungs = lungResult?.mask ?? null;
      const lesions = lesionMask;
      // the dependent-lung rule's share, computed only when P calls the case infected (it scans the masks)
      const dependentFraction = lesions && lungs ? (bandMm: number) => dependentShare(volume, lungs, lesions, bandMm) : undefined;
      calibrated = decideCalibrated({ regions: regionsPatches, spec, model: decisionModel, lesionMl, dependentFraction });
      warnings.push(...calibrated.warnings);
    }
    // the paper's warnings (ties, saturation) matter when its decision is the headline
    if (mode === 'paper') warnings.push(...decided.decision.warnings);
  }

  if (candidates && lungResult) {
    const lungs = lungResult.mask;
    const set = candidates;
    set.candidates.forEach((c, i) => {
      const id = `R${i + 1}`;
      const side = regionLungSide(lungs, set.labels, c.id, c.boxVoxels, volume.dims);
      regions.push(
        reportRegion({ id, box: c.boxVoxels, geometry: volume, patches: regionsPatches[i], vote: decided.votes[i], spec, centreSlice: c.centreSliceZ, volumeMl: c.volumeMl, side, infectionProbability: calibrated?.regionProbabilities[i] }),
      );
      overlay.push({ id, labelValue: c.id, box: c.boxVoxels, voteLabel: decided.votes[i].label, kept: decided.votes[i].kept, confidence: decided.votes[i].confidence });
    });
  }

  // the key slices are chosen now, so their pictures render on the other thread while the lungs are measured and the report is made
  const classes = reportClasses(spec);
  const lungMask = lungResult ? lungResult.mask : null;
  const candidateLabels = candidates && candidates.candidates.length > 0 ? candidates.labels : null;
  const keySlices = chooseKeySlices({ volume, lungMask, candidateLabels, regions: overlay, classes });
  let keySliceFigures: Promise<KeySliceFigure[]> | undefined;
  if (options.renderKeySlices) {
    keySliceFigures = renderKeySlicesOffThread({ volume, lungMask, candidateLabels, regions: overlay, classes }, keySlices);
    // awaited by the HTML writer, or dropped by a caller that writes none: never an unhandled rejection
    keySliceFigures.catch(() => {});
  }

  if (candidates && lungResult) {
    const set = candidates;
    const keptValues = new Set(overlay.filter((r) => r.kept).map((r) => r.labelValue));
    lungStats = await stage('quantify', () => measureLungs({ volume, lungMask: lungResult.mask, lesionMask, candidateLabels: set.labels, keptLabelValues: keptValues }));
  }

  const toolVersion = toolVersionOf(options);
  const report = await stage('report', () => {
    const paper = reportPaperDecision(decided.decision, spec);
    const decision = notScreened
      ? reportNotScreened(notScreened, mode, spec)
      : calibrated && decisionModel
        ? reportDecisionCalibrated(calibrated, decisionModel, spec, decided.decision.tie)
        : reportDecisionPaperMode(paper.paperDecision);
    timings.total = performance.now() - t0;
    return createCaseReport(
      {
        input: describeInput(volume),
        classes,
        models: modelRefs(models, options.candidates, toolVersion, decisionModel),
        decision,
        paperDecision: notScreened ? null : paper.paperDecision,
        infections: paper.infections,
        regions,
        lung: lungStats,
        warnings: [...new Set(warnings)],
        timingsMs: { ...timings },
      },
      { now: options.now, toolVersion },
    );
  });
  // the report stage's own time is known only now; the report is re-stamped with it
  report.timingsMs.report = timings.report;
  report.timingsMs.total = performance.now() - t0;

  return { report, artifacts: { volume, lungMask, candidateLabels, lesionMask, regions: overlay, keySlices, dicomReferences, ...(keySliceFigures ? { keySliceFigures } : {}) } };
}
