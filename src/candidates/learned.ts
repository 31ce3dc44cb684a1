/**
 * Learned candidate generator (§2.3): a 2.5D segmentation network gives a lesion probability map
 * (tiled over the lung boxes of each slice), thresholded LOW so that as many foci as possible
 * become candidates even if normal regions come along (§3.3.2: "reduce the proposal's threshold
 * to maximum separate candidate regions"); 3D connected components → candidate cubes.
 *
 *   learnedCandidates(input, options): Promise<CandidateSet>          predictor passed in (pure)
 *   onnxTilePredictor(model): TilePredictor                           wraps a loaded ONNX segmenter
 *   segmenterSettings(card): SegmenterSettings                        tile size, offsets, thresholds, min volume from the card
 *   loadLearnedGenerator(idOrPath?, options?): Promise<CandidateGenerator<LearnedRunOptions>>
 */
import { performance } from 'node:perf_hooks';
import { InputError, ModelError } from '../core/errors.ts';
import { voxelCount, type Box3 } from '../core/volume.ts';
import { floatTensor, loadModel, type LoadedModel, type LoadModelOptions } from '../models/load-model.ts';
import type { SegmenterCard } from '../models/model-card.ts';
import type { Connectivity } from '../core/ndimage/connected-components.ts';
import { componentsToCandidates } from './components-to-candidates.ts';
import { lungSliceBoxes, slidingWindow, type SlicePlane, type TilePredictor } from './sliding-window.ts';
import type { CandidateGenerator, CandidateInput, CandidateSet } from './types.ts';

/** Registry id of the trained segmenter (models/candidates-segmenter.onnx + card). */
export const SEGMENTER_MODEL_ID = 'candidates-segmenter';
/** Lung boxes are widened by this much so lesions on the pleura keep some context, mm. */
export const LUNG_BOX_MARGIN_MM = 2;
/** ≈ a 4.6 mm sphere: smaller blobs are below what the 128-px tiles resolve. */
export const LEARNED_MIN_VOLUME_ML = 0.05;
/** The classifier sees 3 patches per candidate; 100 candidates keep a scan well under a second there. */
export const LEARNED_MAX_CANDIDATES = 100;
export const DEFAULT_BATCH_SIZE = 8;

export interface SegmenterSettings {
  tileSize: number;
  sliceOffsets: readonly number[];
  /** Probability at or above which a voxel is candidate (low, for recall). */
  threshold: number;
  /** Candidate components below this are dropped, mL (card input.extra.minVolumeMl; LEARNED_MIN_VOLUME_ML when absent). */
  minVolumeMl: number;
  /** Dice-optimal threshold for a lesion mask (card input.extra.lesionThreshold); null when the card has none (v1). */
  lesionThreshold: number | null;
  /** Hysteresis (v3): a candidate component must reach this probability somewhere (card input.extra.seedThreshold); null = none. */
  seedThreshold: number | null;
  inputName: string;
  outputName: string;
}

/** The segmenter's contract, read from its model card (checked when the card was parsed: models/model-card.ts). */
export function segmenterSettings(card: SegmenterCard): SegmenterSettings {
  const { extra, sliceOffsets } = card.input;
  return { tileSize: extra.tileSize, sliceOffsets, threshold: extra.threshold, minVolumeMl: extra.minVolumeMl ?? LEARNED_MIN_VOLUME_ML, lesionThreshold: extra.lesionThreshold ?? null, seedThreshold: extra.seedThreshold ?? null, inputName: card.input.inputs[0].name, outputName: card.input.outputs[0].name };
}

/** A TilePredictor over an ONNX segmenter session (input n×C×S×S → probability n×1×S×S). */
export function onnxTilePredictor(model: Pick<LoadedModel<SegmenterCard>, 'run' | 'card'>): TilePredictor {
  const st = segmenterSettings(model.card);
  return async (batch, dims) => {
    const out = await model.run({ [st.inputName]: floatTensor(batch, dims) });
    const t = out[st.outputName];
    if (!t) throw new ModelError('MODEL_CARD_MISMATCH', `segmenter ${model.card.id} returned no '${st.outputName}' output`);
    return t.data as Float32Array;
  };
}

export interface LearnedRunOptions {
  /** Override the card's threshold (e.g. for a recall/threshold sweep). */
  threshold?: number;
  /** Hysteresis: drop components whose peak probability is below this (null/absent: none). */
  seedThreshold?: number | null;
  minVolumeMl?: number;
  maxVolumeMl?: number;
  maxCandidates?: number;
  batchSize?: number;
  lungBoxMarginMm?: number;
  /** Keep only voxels inside the lung mask (default true). */
  restrictToLungMask?: boolean;
  connectivity?: Connectivity;
  /** Also make the lesion mask at this threshold (the card's Dice-optimal lesionThreshold), slice by slice with the map; null/absent: none. */
  lesionThreshold?: number | null;
}

export interface LearnedCandidatesOptions extends LearnedRunOptions {
  predict: TilePredictor;
  tileSize: number;
  sliceOffsets: readonly number[];
  threshold: number;
}

export async function learnedCandidates(input: CandidateInput, options: LearnedCandidatesOptions): Promise<CandidateSet> {
  const t0 = performance.now();
  const { volume, lungMask } = input;
  const n = voxelCount(volume.dims);
  if (lungMask.length !== n) {
    throw new InputError('CANDIDATES_MASK_SIZE', `lung mask has ${lungMask.length} voxels but the volume ${volume.source.path ?? ''} has ${n} (${volume.dims.join('×')}); the mask must be on the volume's grid`);
  }
  const threshold = options.threshold;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const lesionThreshold = options.lesionThreshold ?? null;
  if (lesionThreshold !== null && !(lesionThreshold > 0 && lesionThreshold <= 1)) throw new RangeError(`lesion threshold must be in (0, 1], got ${lesionThreshold}`);
  const boxes = lungSliceBoxes(lungMask, volume.dims, volume.spacingMm, options.lungBoxMarginMm ?? LUNG_BOX_MARGIN_MM);
  const restrict = options.restrictToLungMask ?? true;
  // both thresholds are applied slice by slice as the window pastes each slice's plane, while later
  // batches are in the network: a slice the window skips is 0 in the map, below either threshold
  // the candidate mask is over the window's region, known at its first slice
  const candidate: { mask: Uint8Array | null } = { mask: null };
  const lesion = lesionThreshold !== null ? { mask: new Uint8Array(n), voxels: 0, threshold: lesionThreshold } : null;
  const [nx, ny] = volume.dims;
  const onSlice = (plane: SlicePlane) => {
    const { region } = plane;
    const rw = region.max[0] - region.min[0] + 1;
    const rh = region.max[1] - region.min[1] + 1;
    candidate.mask ??= new Uint8Array(rw * rh * (region.max[2] - region.min[2] + 1));
    const at = region.min[0] + nx * (region.min[1] + ny * plane.z);
    thresholdPlane(plane.probability, plane.offset, rw, rh, threshold, restrict ? lungMask : null, at, nx, candidate.mask);
    if (lesion) lesion.voxels += thresholdPlaneInto(plane.probability, plane.offset, rw, rh, lesion.threshold, lungMask, at, nx, lesion.mask);
  };
  const sw = await slidingWindow(volume, { tileSize: options.tileSize, sliceOffsets: options.sliceOffsets, batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE, sliceBoxes: boxes, onSlice }, options.predict);
  const timingsMs: Record<string, number> = { network: performance.now() - t0 };
  const mask = candidate.mask;
  if (!sw.region || !mask) {
    return { generator: 'learned', candidates: [], labels: new Uint32Array(n), dims: volume.dims, threshold, componentsBeforeFilter: 0, warnings: ['lung mask is empty: no candidates'], timingsMs };
  }
  const t1 = performance.now();
  const region: Box3 = sw.region;
  const p = sw.probability;
  const r = componentsToCandidates(
    { mask, grid: volume, probability: p, region },
    {
      minVolumeMl: options.minVolumeMl ?? LEARNED_MIN_VOLUME_ML,
      maxVolumeMl: options.maxVolumeMl,
      ...(options.seedThreshold != null ? { minPeakProbability: options.seedThreshold } : {}),
      maxCandidates: options.maxCandidates ?? LEARNED_MAX_CANDIDATES,
      connectivity: options.connectivity,
    },
  );
  timingsMs.components = performance.now() - t1;
  return {
    generator: 'learned',
    candidates: r.candidates,
    labels: r.labels,
    dims: volume.dims,
    threshold,
    componentsBeforeFilter: r.componentsBeforeFilter,
    warnings: r.warnings,
    timingsMs,
    probability: { data: p, region },
    ...(lesion ? { lesion } : {}),
    ...(options.seedThreshold != null ? { seedThreshold: options.seedThreshold } : {}),
  };
}

// The per-slice thresholds, as top-level functions of their arguments (a loop in a closure reads every
// captured variable from the closure's context on each pass: see tile.ts).

/** Region-grid mask[i] = 1 where the plane's p[i] ≥ threshold (and, with a lung mask, inside it); `at` = the volume index of the plane's first voxel. */
function thresholdPlane(p: Float32Array, offset: number, rw: number, rh: number, threshold: number, lungMask: Uint8Array | null, at: number, nx: number, mask: Uint8Array): void {
  for (let y = 0, i = offset; y < rh; y++) {
    const o = at + nx * y;
    // the mask starts all 0: only candidate voxels are written
    if (lungMask) {
      for (let x = 0; x < rw; x++, i++) if (p[i] >= threshold && lungMask[o + x] !== 0) mask[i] = 1;
    } else {
      for (let x = 0; x < rw; x++, i++) if (p[i] >= threshold) mask[i] = 1;
    }
  }
}

/** Volume-grid out[v] = 1 where the plane's p ≥ threshold inside the lung mask; returns how many. */
function thresholdPlaneInto(p: Float32Array, offset: number, rw: number, rh: number, threshold: number, lungMask: Uint8Array, at: number, nx: number, out: Uint8Array): number {
  let count = 0;
  for (let y = 0, i = offset; y < rh; y++) {
    const o = at + nx * y;
    for (let x = 0; x < rw; x++, i++) {
      if (p[i] >= threshold && lungMask[o + x] !== 0) {
        out[o + x] = 1;
        count++;
      }
    }
  }
  return count;
}

/**
 * Loads the segmenter (registry id or path; session cached by models/) and returns a generator
 * with the card's tile size, slice offsets and threshold.
 */
export async function loadLearnedGenerator(idOrPath: string = SEGMENTER_MODEL_ID, options: Omit<LoadModelOptions, 'task'> = {}): Promise<CandidateGenerator<LearnedRunOptions>> {
  const model = await loadModel(idOrPath, { ...options, task: 'segmenter' });
  const st = segmenterSettings(model.card);
  const predict = onnxTilePredictor(model);
  return (input, run = {}) => learnedCandidates(input, { ...run, predict, tileSize: st.tileSize, sliceOffsets: st.sliceOffsets, threshold: run.threshold ?? st.threshold, seedThreshold: run.seedThreshold !== undefined ? run.seedThreshold : st.seedThreshold, minVolumeMl: run.minVolumeMl ?? st.minVolumeMl, lesionThreshold: run.lesionThreshold !== undefined ? run.lesionThreshold : st.lesionThreshold });
}
