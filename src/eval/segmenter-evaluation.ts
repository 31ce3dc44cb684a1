/**
 * Measurements of the candidate stage on the shared data, used by `npm run train:candidates`
 * (src/train/segmenter/finalize.ts) to choose the segmenter's low threshold and to compare the
 * learned and classical generators (§3.3.2). Everything runs the shipped ONNX model through the
 * same TypeScript code as screening.
 *
 *   tileThresholdSweep(options): ThresholdSweep              validation tiles: lesion recall + Dice per threshold
 *   chooseThreshold(sweep, recallTarget): number
 *   restackPseudoVolume(dataDir, samples): Promise<{ volume, truth }>
 *   croppedLungMask(volume): Uint8Array                       lung mask for slices already cropped to the lungs
 *   chooseLesionThreshold(points, constraint?): number         Dice-optimal threshold (the lesion mask's), within the lesion-free volume bound
 *   maskVolumesMl(probability, region, dims, lung, ml, ts)      lesion-mask mL at each threshold
 *   replayPredictor(predict): ReplayPredictor                 runs the network once per volume, replays it for a settings sweep
 *   chooseCandidateSettings(points, maxFp): CandidateSettingPoint   threshold + min volume on validation patients
 *   sweepCandidateSettings(options): Promise<VolumeSettingResult[]>  one volume: recall and false positives per setting
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { IDENTITY_DIRECTION, type Vec3, type Volume } from '../core/volume.ts';
import { readImageAsPseudoHu } from '../io/image-stack.ts';
import { closeDisk2d, fillHoles2d } from '../core/ndimage/morphology.ts';
import { lesionRecall } from './candidate-recall.ts';
import { componentStats, labelComponents3d } from '../core/ndimage/connected-components.ts';
import type { CandidateSet } from '../candidates/types.ts';
import type { SegmentationSample } from '../dataset/segmentation.ts';
import type { TilePredictor } from '../candidates/sliding-window.ts';

/** §3.3.2: lowered threshold — the largest grid value still finding this share of validation lesions. */
export const THRESHOLD_GRID: readonly number[] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];
export const RECALL_TARGET = 0.95;
/** Thresholds tried for the Dice-optimal lesion mask threshold. */
export const LESION_THRESHOLD_GRID: readonly number[] = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];
/**
 * Hysteresis seeds tried (v3): a candidate must reach this probability somewhere; 0 = no seed (v2).
 * The lesion-mask threshold is added to the grid by the caller.
 */
export const SEED_THRESHOLD_GRID: readonly number[] = [0, 0.6, 0.7, 0.8, 0.9];
/** Minimum candidate component volumes tried, mL. */
export const MIN_VOLUME_GRID_ML: readonly number[] = [0.05, 0.1, 0.2, 0.5, 1];
/** Target of issue 9: at most this many false-positive candidates per lesion-free CT (median). */
export const MAX_FALSE_POSITIVE_CANDIDATES = 5;
/**
 * Target of issue 9: at most this much false-positive lesion volume per lesion-free CT (median), mL.
 * Applied to the candidate voxels off the lesion masks of every validation volume: without it a
 * threshold so low that one component covers the whole lung "finds" every lesion with no false positive.
 */
export const MAX_OFF_LESION_ML = 10;
/**
 * Ground-truth lesions smaller than this many tile pixels are not counted in tile-level recall:
 * at 128 px over a ≈ 250 mm lung field one pixel is ≈ 2 mm, so this is a focus under ≈ 4 mm across.
 */
export const MIN_LESION_TILE_PX = 4;
/**
 * Assumed voxel size of the restacked COVID-SemiSeg volumes: the slices are lung crops of unknown
 * pixel size (≈ 250–300 mm of chest over 250–400 px) and unknown slice distance. Lesion recall is
 * by overlap and does not depend on it; only the candidates' mL size filter does.
 */
export const RESTACK_SPACING_MM: Vec3 = [0.8, 0.8, 2];
const CROP_AIR_HU = -500;
const CROP_CLOSING_MM = 6;

export interface ThresholdPoint {
  threshold: number;
  lesionRecall: number | null;
  lesions: number;
  /** Dice of (probability ≥ threshold) against the masks, all tiles pooled. */
  dice: number;
}

export interface ThresholdSweep {
  bySource: Record<string, ThresholdPoint[]>;
  all: ThresholdPoint[];
}

export interface TileSweepOptions {
  predict: TilePredictor;
  inputs: Float32Array;
  masks: Uint8Array;
  tileSize: number;
  channels: number;
  samples: readonly Pick<SegmentationSample, 'index' | 'source'>[];
  thresholds?: readonly number[];
  batchSize?: number;
}

export async function tileThresholdSweep(o: TileSweepOptions): Promise<ThresholdSweep> {
  const s = o.tileSize;
  const len = s * s;
  const thresholds = o.thresholds ?? THRESHOLD_GRID;
  const batch = o.batchSize ?? 16;
  const prob = new Float32Array(o.samples.length * len);
  for (let b = 0; b < o.samples.length; b += batch) {
    const chunk = o.samples.slice(b, b + batch);
    const x = new Float32Array(chunk.length * o.channels * len);
    chunk.forEach((smp, k) => x.set(o.inputs.subarray(smp.index * o.channels * len, (smp.index + 1) * o.channels * len), k * o.channels * len));
    prob.set(await o.predict(x, [chunk.length, o.channels, s, s]), b * len);
  }
  const sources = [...new Set(o.samples.map((x) => x.source))].sort();
  const sweep = (keep: (src: string) => boolean): ThresholdPoint[] =>
    thresholds.map((t) => {
      let lesions = 0, hit = 0, inter = 0, ps = 0, ts = 0;
      o.samples.forEach((smp, k) => {
        if (!keep(smp.source)) return;
        const truth = o.masks.subarray(smp.index * len, (smp.index + 1) * len);
        const pred = new Uint8Array(len);
        for (let i = 0; i < len; i++) pred[i] = prob[k * len + i] >= t ? 1 : 0;
        const r = lesionRecall({ truth, candidates: pred, dims: [s, s, 1], minLesionVoxels: MIN_LESION_TILE_PX });
        lesions += r.lesions;
        hit += r.hit;
        for (let i = 0; i < len; i++) {
          ps += pred[i];
          ts += truth[i];
          inter += pred[i] & truth[i];
        }
      });
      return { threshold: t, lesionRecall: lesions > 0 ? hit / lesions : null, lesions, dice: ps + ts > 0 ? (2 * inter) / (ps + ts) : 1 };
    });
  return { bySource: Object.fromEntries(sources.map((src) => [src, sweep((x) => x === src)])), all: sweep(() => true) };
}

export function chooseThreshold(points: readonly ThresholdPoint[], recallTarget = RECALL_TARGET): number {
  const ok = points.filter((p) => p.lesionRecall !== null && p.lesionRecall >= recallTarget).map((p) => p.threshold);
  return ok.length > 0 ? Math.max(...ok) : Math.min(...points.map((p) => p.threshold));
}

/**
 * Restacks the pseudo-label slices of one COVID-19-CT-Seg volume into a 3D pseudo-HU volume and
 * mask. Slices are lung crops of slightly different sizes, so each is resized to the size of the
 * first slice (nearest neighbour: a few pixels, since neighbouring crops differ little).
 */
export async function restackPseudoVolume(dataDir: string, samples: readonly SegmentationSample[]): Promise<{ volume: Volume<Float32Array>; truth: Uint8Array }> {
  const sorted = [...samples].sort((a, b) => a.slice - b.slice);
  const [w, h] = sorted[0].sizePx;
  const plane = w * h;
  const data = new Float32Array(plane * sorted.length);
  const truth = new Uint8Array(plane * sorted.length);
  const resized = new Float32Array(Math.max(w, h) * Math.max(w, h));
  for (let z = 0; z < sorted.length; z++) {
    const smp = sorted[z];
    const img = await readImageAsPseudoHu(join(dataDir, smp.file));
    const [iw, ih] = img.dims;
    const gt = await sharp(join(dataDir, smp.file.replace('/Imgs/', '/GT/').replace(/\.jpg$/, '.png'))).greyscale().raw({ depth: 'uchar' }).toBuffer();
    rectResize(img.data, iw, ih, w, h, resized);
    data.set(resized.subarray(0, plane), z * plane);
    rectResize(gt, iw, ih, w, h, resized);
    for (let i = 0; i < plane; i++) truth[z * plane + i] = resized[i] >= 128 ? 1 : 0;
  }
  const volume: Volume<Float32Array> = {
    data,
    dims: [w, h, sorted.length],
    spacingMm: RESTACK_SPACING_MM,
    originMm: [0, 0, 0],
    direction: IDENTITY_DIRECTION,
    source: { format: 'image-stack', path: sorted[0].volume, sliceCount: sorted.length, pseudoHu: true },
    warnings: [],
  };
  return { volume, truth };
}

/**
 * Nearest-neighbour resize of a (sw × sh) image to (dw × dh): neighbouring crops differ by a few
 * pixels only, so this is enough for an evaluation restack (training tiles use extractTile).
 */
function rectResize(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number, out: Float32Array): void {
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / dh));
    for (let x = 0; x < dw; x++) {
      const sx = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / dw));
      out[y * dw + x] = src[sy * sw + sx];
    }
  }
}

/**
 * Lung mask for images that are already cropped to the lungs (COVID-SemiSeg): aerated pixels,
 * closed with a 6 mm disk (vessels, small foci) and hole-filled per slice. Foci that touch the
 * crop border stay outside — a limitation of this evaluation mask, shared by both generators.
 */
export function croppedLungMask(volume: Pick<Volume, 'data' | 'dims' | 'spacingMm'>): Uint8Array {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  const pad = Math.ceil(CROP_CLOSING_MM / Math.min(volume.spacingMm[0], volume.spacingMm[1])) + 1;
  const pw = nx + 2 * pad;
  const ph = ny + 2 * pad;
  const air = new Uint8Array(pw * ph);
  const closed = new Uint8Array(pw * ph);
  const out = new Uint8Array(plane * nz);
  for (let z = 0; z < nz; z++) {
    air.fill(0);
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) air[(y + pad) * pw + x + pad] = volume.data[z * plane + y * nx + x] < CROP_AIR_HU ? 1 : 0;
    closeDisk2d(air, pw, ph, [volume.spacingMm[0], volume.spacingMm[1]], CROP_CLOSING_MM, closed);
    const slice = new Uint8Array(plane);
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) slice[y * nx + x] = closed[(y + pad) * pw + x + pad];
    fillHoles2d(slice, nx, ny);
    out.set(slice, z * plane);
  }
  return out;
}

/** Reads the exported dataset (inputs, masks, index) written by exportSegmentationDataset. */
export async function readSegmentationDataset(dir: string): Promise<{ inputs: Float32Array; masks: Uint8Array; tileSize: number; channels: number; samples: SegmentationSample[]; dataDir: string }> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { tileSize: number; channels: number; samples: SegmentationSample[]; dataDir: string };
  const buf = await readFile(join(dir, 'inputs.f32'));
  const inputs = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const masks = new Uint8Array(await readFile(join(dir, 'masks.u8')));
  return { inputs, masks, tileSize: index.tileSize, channels: index.channels, samples: index.samples, dataDir: index.dataDir };
}


/**
 * The lesion mask may hold at most this much per lesion-free CT as acquired (each CT, not the median;
 * issue 9's false-positive volume target), mL. Without it a flat Dice curve put the emphysema-trained
 * segmenter (6.0.0, not adopted) at 0.45, where normal001 held 64 mL of "lesion" (7 mL at 0.85).
 */
export const MAX_LESION_FREE_MASK_ML = 10;

/**
 * The Dice-optimal threshold of a sweep (ties: the lower threshold). With `lesionFreeMl` (per threshold,
 * the lesion-mask volume of each lesion-free CT), only thresholds at which every one holds ≤ `maxMl`
 * compete; when none does, the threshold with the least worst-case volume (ties: the higher one).
 */
export function chooseLesionThreshold(points: readonly ThresholdPoint[], constraint?: { lesionFreeMl: ReadonlyMap<number, readonly number[]>; maxMl: number }): number {
  const worst = (t: number) => Math.max(0, ...(constraint?.lesionFreeMl.get(t) ?? []));
  const allowed = constraint ? points.filter((p) => worst(p.threshold) <= constraint.maxMl) : points;
  if (!allowed.length) return points.reduce((b, p) => (worst(p.threshold) < worst(b.threshold) || (worst(p.threshold) === worst(b.threshold) && p.threshold > b.threshold) ? p : b)).threshold;
  let best = allowed[0];
  for (const p of allowed) if (p.dice > best.dice) best = p;
  return best.threshold;
}

/** Lung voxels at or above each threshold, in mL, from a probability map over `region` of the volume's grid. */
export function maskVolumesMl(probability: Float32Array, region: { min: readonly number[]; max: readonly number[] }, dims: readonly [number, number, number], lungMask: Uint8Array, voxelMl: number, thresholds: readonly number[]): number[] {
  const [nx, ny] = dims;
  const rw = region.max[0] - region.min[0] + 1, rh = region.max[1] - region.min[1] + 1, rz = region.max[2] - region.min[2] + 1;
  const counts = new Array<number>(thresholds.length).fill(0);
  let i = 0;
  for (let z = 0; z < rz; z++) {
    for (let y = 0; y < rh; y++) {
      const o = region.min[0] + nx * (region.min[1] + y + ny * (region.min[2] + z));
      for (let x = 0; x < rw; x++, i++) {
        if (!lungMask[o + x]) continue;
        for (let k = 0; k < thresholds.length; k++) if (probability[i] >= thresholds[k]) counts[k]++;
      }
    }
  }
  return counts.map((n) => n * voxelMl);
}

export interface ReplayPredictor {
  predict: TilePredictor;
  /** Start the next pass: later calls replay the recorded outputs in order (same batches). */
  rewind(): void;
  /** Network calls made (not replayed). */
  calls: number;
}

/**
 * Runs `predict` on the first pass and replays its outputs on later passes over the same volume
 * (learnedCandidates tiles a volume identically whatever its threshold or size filter), so a
 * settings sweep costs one network pass per volume. A batch of another shape is an error.
 */
export function replayPredictor(predict: TilePredictor): ReplayPredictor {
  const recorded: Array<{ dims: readonly number[]; out: Float32Array }> = [];
  let pos = 0;
  let recording = true;
  const r: ReplayPredictor = {
    calls: 0,
    rewind: () => {
      recording = false;
      pos = 0;
    },
    predict: async (batch, dims) => {
      if (recording) {
        const out = Float32Array.from(await predict(batch, dims));
        recorded.push({ dims: [...dims], out });
        r.calls++;
        return out;
      }
      const rec = recorded[pos++];
      if (!rec || rec.dims.join() !== dims.join()) throw new RangeError(`replayPredictor: call ${pos} asks for ${dims.join('×')}, recorded ${rec ? rec.dims.join('×') : 'nothing'}`);
      return rec.out;
    },
  };
  return r;
}

export interface CandidateSettingPoint {
  threshold: number;
  minVolumeMl: number;
  /** Hysteresis seed (0 = none). */
  seedThreshold: number;
  /** Validation lesions (3-D, pooled over volumes) and how many some candidate touched. */
  lesions: number;
  hit: number;
  recall: number | null;
  /** False-positive candidates per validation volume, in volume order. */
  falsePositives: number[];
  falsePositiveMl: number[];
  medianFalsePositives: number;
  /** Candidate voxels off the lesion masks per validation volume, mL (all of them on lesion-free volumes). */
  offLesionMl: number[];
  medianOffLesionMl: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * v3's guard against degenerate recall, scale-free: on lesion-free CT the candidates may cover at
 * most this share of the lung (median over the lesion-free volumes), and their count per lesion-free
 * CT must meet maxFp too. `lungMl[i]` is volume i's lung volume (only lesion-free ones are read).
 */
export interface LesionFreeLungGuard {
  lungMl: ReadonlyArray<number | null>;
  maxLungFraction: number;
}
/** A candidate stage covering more than a few percent of a healthy lung is no longer a selection (v3 guard). */
export const MAX_LESION_FREE_LUNG_FRACTION = 0.03;

/**
 * The candidate stage's settings (§3.3.2 keeps the threshold low for recall): among the settings
 * with a median of ≤ maxFp false-positive candidates per validation volume and a median of
 * ≤ maxOffLesionMl candidate volume on the LESION-FREE validation volumes (`lesionFree[i]` marks
 * volume i; on volumes with lesions the off-mask volume is not a false positive measure: the
 * pseudo-label masks are incomplete and the restacked volumes' voxel size is assumed), the one
 * with the highest validation lesion recall (ties: fewer false positives, then the lower
 * threshold); when none meets both, the one with the least lesion-free volume, then the fewest
 * false positives. With `lungGuard` (v3) the lesion-free volume bound is a share of the lung
 * instead of mL, and the median false-positive count over the lesion-free volumes alone must be
 * ≤ maxFp as well.
 */
export function chooseCandidateSettings(points: readonly CandidateSettingPoint[], lesionFree: readonly boolean[], maxFp = MAX_FALSE_POSITIVE_CANDIDATES, maxOffLesionMl = MAX_OFF_LESION_ML, lungGuard?: LesionFreeLungGuard): CandidateSettingPoint {
  const freeMl = (p: CandidateSettingPoint) => {
    const v = lungGuard ? p.offLesionMl.map((ml, i) => ml / (lungGuard.lungMl[i] ?? 1)).filter((_, i) => lesionFree[i]) : p.offLesionMl.filter((_, i) => lesionFree[i]);
    return v.length ? median(v) : 0;
  };
  const freeFp = (p: CandidateSettingPoint) => {
    const v = p.falsePositives.filter((_, i) => lesionFree[i]);
    return v.length ? median(v) : 0;
  };
  const limit = lungGuard ? lungGuard.maxLungFraction : maxOffLesionMl;
  const ok = points.filter((p) => p.medianFalsePositives <= maxFp && freeMl(p) <= limit && (!lungGuard || freeFp(p) <= maxFp));
  if (ok.length === 0) return [...points].sort((a, b) => freeMl(a) - freeMl(b) || a.medianFalsePositives - b.medianFalsePositives || a.threshold - b.threshold || a.seedThreshold - b.seedThreshold)[0];
  return [...ok].sort((a, b) => (b.recall ?? 0) - (a.recall ?? 0) || a.medianFalsePositives - b.medianFalsePositives || a.threshold - b.threshold || a.minVolumeMl - b.minVolumeMl || a.seedThreshold - b.seedThreshold)[0];
}

export interface VolumeSettingResult {
  threshold: number;
  minVolumeMl: number;
  seedThreshold: number;
  lesions: number;
  hit: number;
  falsePositives: number;
  falsePositiveMl: number;
  /** Kept candidate voxels not on a lesion voxel, mL. */
  offLesionMl: number;
}

export interface SweepCandidateSettingsOptions {
  /** Candidates of the volume at a threshold with the SMALLEST min volume of the grid and no cap (ids largest first). */
  candidatesAt: (threshold: number) => Promise<CandidateSet>;
  /** 1 = lesion on the volume grid; null = lesion-free. */
  truth: Uint8Array | null;
  dims: Vec3;
  voxelMl: number;
  thresholds: readonly number[];
  minVolumesMl: readonly number[];
  /** Hysteresis seeds (a candidate's peak probability must reach it; 0 = none); default [0]. */
  seedThresholds?: readonly number[];
  /** Screening's cap: the largest this many candidates are kept after the size filter. */
  maxCandidates: number;
  /** Lesions (26-connected) below this many voxels are not counted. */
  minLesionVoxels: number;
}

/**
 * Lesion recall and false-positive candidates of one volume for every (threshold, min volume)
 * setting, as the candidate stage would give them (size filter, then the largest maxCandidates):
 * one candidate pass per threshold, the size filter applied to its list, the lesions labelled once.
 */
export async function sweepCandidateSettings(o: SweepCandidateSettingsOptions): Promise<VolumeSettingResult[]> {
  const out: VolumeSettingResult[] = [];
  let lesionLabels: Uint32Array | null = null;
  const countedLesion: number[] = [];
  if (o.truth) {
    const cc = labelComponents3d(o.truth, o.dims, { connectivity: 26 });
    const st = componentStats(cc.labels, cc.count, o.dims);
    lesionLabels = cc.labels;
    for (let l = 1; l <= cc.count; l++) if (st.voxelCounts[l] >= o.minLesionVoxels) countedLesion.push(l);
  }
  for (const t of o.thresholds) {
    const set = await o.candidatesAt(t);
    const n = set.candidates.length;
    const touches = new Uint8Array(n + 1);
    const onLesionVoxels = new Float64Array(n + 1);
    const touchingByLesion = new Map<number, Set<number>>();
    if (o.truth) {
      for (let i = 0; i < set.labels.length; i++) if (set.labels[i] !== 0 && o.truth[i] !== 0) onLesionVoxels[set.labels[i]]++;
    }
    if (lesionLabels) {
      for (let i = 0; i < set.labels.length; i++) {
        const c = set.labels[i];
        const l = lesionLabels[i];
        if (c === 0 || l === 0) continue;
        touches[c] = 1;
        let s = touchingByLesion.get(l);
        if (!s) touchingByLesion.set(l, (s = new Set()));
        s.add(c);
      }
    }
    for (const v of o.minVolumesMl) for (const seed of o.seedThresholds ?? [0]) {
      const kept = new Uint8Array(n + 1);
      let k = 0;
      let fp = 0, fpMl = 0, offMl = 0;
      for (const c of set.candidates) {
        if (c.volumeMl < v || k >= o.maxCandidates) continue;
        if (seed > 0 && (c.maxProbability ?? 0) < seed) continue;
        kept[c.id] = 1;
        k++;
        offMl += (c.voxelCount - onLesionVoxels[c.id]) * o.voxelMl;
        if (!touches[c.id]) {
          fp++;
          fpMl += c.voxelCount * o.voxelMl;
        }
      }
      let hit = 0;
      for (const l of countedLesion) {
        const s = touchingByLesion.get(l);
        if (s && [...s].some((c) => kept[c])) hit++;
      }
      out.push({ threshold: t, minVolumeMl: v, seedThreshold: seed, lesions: countedLesion.length, hit, falsePositives: fp, falsePositiveMl: fpMl, offLesionMl: offMl });
    }
  }
  return out;
}
