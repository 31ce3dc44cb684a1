/**
 * The stage calls screenCase composes, each a thin call into its stage's module with the options
 * screening uses. Keeping them here keeps screen.ts a plain sequence (STYLE: the pipeline composes
 * the stages and nothing else), and is the one place to look when a stage's API changes.
 */
import { classicalCandidates } from '../candidates/classical.ts';
import { learnedCandidates, onnxTilePredictor, segmenterSettings } from '../candidates/learned.ts';
import type { Candidate, CandidateGeneratorId, CandidateSet } from '../candidates/types.ts';
import { classifyPatches, type PatchModel } from '../classify/classify-patches.ts';
import { extractPatches } from '../classify/extract-patches.ts';
import { patchSpecFromCard } from '../classify/patch-spec.ts';
import { ModelError } from '../core/errors.ts';
import type { LungSideStats, LungStats } from '../core/report-schema.ts';
import type { Volume } from '../core/volume.ts';
import type { PatchPrediction } from '../decide/types.ts';
import { readVolume, type ReadVolumeOptions } from '../io/read.ts';
import { volumeEdgeDistance } from '../lung/distance-from-edge.ts';
import { DEFAULT_AIR_THRESHOLD_HU, extractLungs, type LungMaskResult } from '../lung/extract-lungs.ts';
import { quantifyLungs, type LungRegionStats } from '../lung/quantify.ts';
import type { ModelCard } from '../models/model-card.ts';
import type { Tensor } from '../models/load-model.ts';

export type ReadInputOptions = ReadVolumeOptions;

/** A loaded segmenter (a LoadedModel from src/models fits, or a stub in tests). */
export interface SegmenterModel {
  card: ModelCard;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

/** The models one screening uses, loaded once by the caller. */
export interface ScreeningModels {
  classifier: PatchModel;
  /** Needed for learned candidates only. */
  segmenter?: SegmenterModel;
}

export function readInput(path: string, options: ReadInputOptions = {}): Promise<Volume> {
  return readVolume(path, options);
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

/** Candidate cubes (§2.3) from the learned segmenter or the classical HU-band generator. */
export async function findCandidates(options: FindCandidatesOptions): Promise<CandidateSet> {
  const { volume, lungMask, mode, models, maxCandidates } = options;
  if (mode === 'classical') return classicalCandidates({ volume, lungMask }, { maxCandidates });
  const segmenter = models.segmenter;
  if (!segmenter) throw new ModelError('MODEL_MISSING', "learned candidates need a segmenter model; load one or use candidates 'classical'");
  const st = segmenterSettings(segmenter.card);
  return learnedCandidates({ volume, lungMask }, { predict: onnxTilePredictor(segmenter), tileSize: st.tileSize, sliceOffsets: st.sliceOffsets, threshold: st.threshold, maxCandidates });
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
  // §2.5.1 on the screening's own lung mask (one exact EDT per slice that has a patch)
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
  candidateLabels: Uint32Array;
  /** Label values of the regions voted an infection type. */
  keptLabelValues: ReadonlySet<number>;
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
  const lesionMask = new Uint8Array(candidateLabels.length);
  if (keptLabelValues.size > 0) for (let i = 0; i < candidateLabels.length; i++) if (candidateLabels[i] !== 0 && keptLabelValues.has(candidateLabels[i])) lesionMask[i] = 1;
  const q = quantifyLungs(volume, lungMask, { lesionMask });
  return { right: sideStats(q.right), left: sideStats(q.left), method: LUNG_METHOD };
}
