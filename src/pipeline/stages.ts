/**
 * The stage calls screenCase composes, each a thin call into its stage's module with the options
 * screening uses. Keeping them here keeps screen.ts a plain sequence (STYLE: the pipeline composes
 * the stages and nothing else), and is the one place to look when a stage's API changes.
 */
import { lesionMaskFromProbability } from '../candidates/lesion-mask.ts';
import { segmenterSettings } from '../candidates/learned.ts';
import type { Candidate, CandidateGeneratorId, CandidateSet } from '../candidates/types.ts';
import { classifyPatches, type PatchModel } from '../classify/classify-patches.ts';
import { extractPatches } from '../classify/extract-patches.ts';
import { patchSpecFromCard } from '../classify/patch-spec.ts';
import type { LungSideStats, LungStats } from '../core/report-schema.ts';
import type { Volume } from '../core/volume.ts';
import type { CaseDecisionModel } from '../decide/calibrated.ts';
import type { PatchPrediction } from '../decide/types.ts';
import type { DicomReferences } from '../io/dicom/references.ts';
import { readVolumeWithReport, type ReadVolumeOptions } from '../io/read.ts';
import { volumeEdgeDistance } from '../lung/distance-from-edge.ts';
import { DEFAULT_AIR_THRESHOLD_HU, extractLungs, type LungMaskResult } from '../lung/extract-lungs.ts';
import { quantifyLungs, type LungRegionStats } from '../lung/quantify.ts';
import type { SegmenterCard } from '../models/model-card.ts';
import type { Tensor } from '../models/load-model.ts';
import { candidateGenerator } from '../registry.ts';
import { performance } from 'node:perf_hooks';

export type ReadInputOptions = ReadVolumeOptions;

/** A loaded segmenter (a LoadedModel from src/models fits, or a stub in tests). */
export interface SegmenterModel {
  card: SegmenterCard;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

/** 'calibrated' (decide/calibrated.ts, the default) or 'paper' (§2.6.2 exactly). */
export type DecisionMode = 'calibrated' | 'paper';

/** The models one screening uses, loaded once by the caller. */
export interface ScreeningModels {
  classifier: PatchModel;
  /** Needed for learned candidates only. */
  segmenter?: SegmenterModel;
  /** The calibrated decision's parameters, fitted for exactly these networks; absent → the paper's rule. */
  decision?: CaseDecisionModel;
}

/** The volume, and for DICOM inputs the source references DICOM outputs need (kept off the Volume). */
export async function readInput(path: string, options: ReadInputOptions = {}): Promise<{ volume: Volume; dicomReferences: DicomReferences | null }> {
  const r = await readVolumeWithReport(path, options);
  return { volume: r.volume, dicomReferences: r.dicom?.references ?? null };
}

/** A read begun before the screening (runScreening starts it while the models load), timed on its own. */
export interface StartedRead {
  /** performance.now() when the read began. */
  startedAt: number;
  /** The read's result and its wall time; rejects as readInput does. */
  result: Promise<{ volume: Volume; dicomReferences: DicomReferences | null; ms: number }>;
}

export function startRead(path: string, options: ReadInputOptions = {}): StartedRead {
  const startedAt = performance.now();
  const result = readInput(path, options).then((r) => ({ ...r, ms: performance.now() - startedAt }));
  // awaited by the screening, or dropped when the models fail first: never an unhandled rejection
  result.catch(() => {});
  return { startedAt, result };
}

export function findLungs(volume: Volume): LungMaskResult {
  return extractLungs(volume);
}

export interface FindCandidatesOptions {
  volume: Volume;
  lungMask: Uint8Array;
  mode: CandidateGeneratorId;
  models: ScreeningModels;
  maxCandidates: number;
}

/** Candidate cubes (§2.3) from the registered generator: the learned segmenter or the classical HU bands. */
export async function findCandidates(options: FindCandidatesOptions): Promise<CandidateSet> {
  const { volume, lungMask, mode, models, maxCandidates } = options;
  return candidateGenerator(mode).generate({ volume, lungMask }, { segmenter: models.segmenter, maxCandidates });
}


export interface ClassifyCubesOptions {
  volume: Volume;
  lungMask: Uint8Array;
  candidates: readonly Candidate[];
  classifier: PatchModel;
}

/** Patches of every candidate cube (§2.2, §2.4), classified (§2.5), grouped back per cube. */
export async function classifyCubes(options: ClassifyCubesOptions): Promise<PatchPrediction[][]> {
  const { volume, candidates, classifier } = options;
  const spec = patchSpecFromCard(classifier.card);
  const edge = volumeEdgeDistance(options.lungMask, volume.dims, volume.spacingMm);
  const distanceAt = (x: number, y: number, z: number) => edge.at([x, y, z]);
  const patches = extractPatches({ volume, cubes: candidates.map((c) => ({ box: c.boxVoxels })), distanceAt, spec });
  const classified = await classifyPatches({ patches, model: classifier });
  const out: PatchPrediction[][] = candidates.map(() => []);
  for (let i = 0; i < patches.count; i++) out[patches.cubeIndex[i]].push(classified.predictions[i]);
  return out;
}

export interface MeasureLungsOptions {
  volume: Volume;
  lungMask: Uint8Array;
  /** The segmenter's lesion mask (lesion-mask.ts); when given, involvement is measured on it. */
  lesionMask?: Uint8Array | null;
  /** Otherwise involvement counts the voxels of the candidate regions voted an infection type. */
  candidateLabels: Uint32Array | null;
  /** Label values of the regions voted an infection type. */
  keptLabelValues: ReadonlySet<number>;
}

/**
 * The lesion mask (issue 9) from the learned candidates' probability map at the segmenter card's
 * Dice-optimal `lesionThreshold`; null (with the reason) when there is no map or no such threshold.
 */
export function findLesionMask(options: { volume: Volume; lungMask: Uint8Array; candidates: CandidateSet; models: ScreeningModels }): { mask: Uint8Array; volumeMl: number } | { mask: null; why: string } {
  const { volume, lungMask, candidates, models } = options;
  if (!models.segmenter || !candidates.probability) return { mask: null, why: 'no lesion mask: it comes from the learned segmenter, and this screening used classical candidates' };
  const st = segmenterSettings(models.segmenter.card);
  if (st.lesionThreshold === null) return { mask: null, why: `no lesion mask: the segmenter card ${models.segmenter.card.id} ${models.segmenter.card.version} has no Dice-optimal lesionThreshold` };
  // the generator made it with the map when it was given this threshold; otherwise it is made now
  const r = candidates.lesion?.threshold === st.lesionThreshold ? candidates.lesion : lesionMaskFromProbability({ probability: candidates.probability.data, region: candidates.probability.region, dims: volume.dims, threshold: st.lesionThreshold, lungMask });
  const voxelMl = (volume.spacingMm[0] * volume.spacingMm[1] * volume.spacingMm[2]) / 1000;
  return { mask: r.mask, volumeMl: r.voxels * voxelMl };
}

/** How the lungs were segmented, in words, for the report. */
export const LUNG_METHOD = `classical: air below ${DEFAULT_AIR_THRESHOLD_HU} HU inside the body, trachea and main bronchi removed, holes and juxtapleural bites filled per slice (src/lung)`;

function sideStats(s: LungRegionStats): LungSideStats | null {
  if (s.voxels === 0) return null;
  return {
    volumeMl: s.volumeMl,
    huBands: s.bands.map((b) => ({ label: b.name, minHu: b.fromHu, maxHu: b.toHu, fraction: b.fraction })),
    involvedPercent: s.lesion ? s.lesion.percent : null,
    thirds: s.lesion ? { ...s.lesion.thirds } : null,
  };
}

/** Lung volumes, HU bands and the share of each lung (and third) inside infection-voted regions. */
export function measureLungs(options: MeasureLungsOptions): LungStats {
  const { volume, lungMask, candidateLabels, keptLabelValues } = options;
  let lesionMask = options.lesionMask ?? null;
  const involvementFrom = lesionMask ? 'lesion-mask' : 'candidate-regions';
  if (!lesionMask) {
    lesionMask = new Uint8Array(lungMask.length);
    if (candidateLabels && keptLabelValues.size > 0) {
      const kept = new Uint8Array(Math.max(...keptLabelValues) + 1);
      for (const v of keptLabelValues) kept[v] = 1;
      for (let i = 0; i < candidateLabels.length; i++) {
        const v = candidateLabels[i];
        if (v !== 0 && v < kept.length) lesionMask[i] = kept[v];
      }
    }
  }
  const q = quantifyLungs(volume, lungMask, { lesionMask });
  return { right: sideStats(q.right), left: sideStats(q.left), method: LUNG_METHOD, involvementFrom };
}
