/**
 * How well candidates cover the truth (§3.3.2: the generator must miss as few foci as possible).
 *
 *   lesionRecall(input): LesionRecallResult      share of ground-truth lesions hit by ≥ 1 candidate voxel
 *   sliceRecall(input): SliceRecallResult        share of infected slices holding ≥ 1 candidate voxel
 *   pixelDice(prediction, truth): number
 *   falsePositiveCandidates(input): FalsePositiveResult  candidates touching no lesion voxel, their count and volume
 */
import type { Vec3 } from '../core/volume.ts';
import { componentStats, labelComponents3d, type Connectivity } from '../core/ndimage/connected-components.ts';

export interface LesionRecallInput {
  /** 1 = lesion, on the grid of `candidates`. */
  truth: Uint8Array;
  /** Candidate labels or any mask: non-zero = covered by a candidate. */
  candidates: Uint32Array | Uint8Array;
  dims: Vec3;
  /** Ground-truth lesions smaller than this are not counted (mask specks). Default 1. */
  minLesionVoxels?: number;
  /** How ground-truth voxels group into lesions (default 26). */
  connectivity?: Connectivity;
}

export interface LesionRecallResult {
  lesions: number;
  hit: number;
  /** hit / lesions; null when there is no lesion to find. */
  recall: number | null;
  /** Voxel counts of the lesions that no candidate touched. */
  missedSizes: number[];
}

export function lesionRecall(input: LesionRecallInput): LesionRecallResult {
  const { truth, candidates, dims } = input;
  if (truth.length !== candidates.length) throw new RangeError(`truth has ${truth.length} voxels, candidates ${candidates.length}`);
  const { labels, count } = labelComponents3d(truth, dims, { connectivity: input.connectivity ?? 26 });
  const st = componentStats(labels, count, dims);
  const hitBy = new Uint8Array(count + 1);
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0 && candidates[i] !== 0) hitBy[labels[i]] = 1;
  const min = input.minLesionVoxels ?? 1;
  let lesions = 0;
  let hit = 0;
  const missedSizes: number[] = [];
  for (let l = 1; l <= count; l++) {
    if (st.voxelCounts[l] < min) continue;
    lesions++;
    if (hitBy[l]) hit++;
    else missedSizes.push(st.voxelCounts[l]);
  }
  return { lesions, hit, recall: lesions > 0 ? hit / lesions : null, missedSizes };
}

export interface SliceRecallInput {
  /** Per axial slice: does the reference call it infected? */
  infected: readonly boolean[];
  candidates: Uint32Array | Uint8Array;
  dims: Vec3;
}

export interface SliceRecallResult {
  infectedSlices: number;
  infectedWithCandidate: number;
  /** infectedWithCandidate / infectedSlices (null without infected slices). */
  recall: number | null;
  cleanSlices: number;
  cleanWithCandidate: number;
}

export function sliceRecall(input: SliceRecallInput): SliceRecallResult {
  const [nx, ny, nz] = input.dims;
  if (input.infected.length !== nz) throw new RangeError(`${input.infected.length} slice labels for ${nz} slices`);
  const plane = nx * ny;
  let inf = 0, infHit = 0, clean = 0, cleanHit = 0;
  for (let z = 0; z < nz; z++) {
    let any = false;
    for (let i = z * plane, e = i + plane; i < e; i++) {
      if (input.candidates[i] !== 0) {
        any = true;
        break;
      }
    }
    if (input.infected[z]) {
      inf++;
      if (any) infHit++;
    } else {
      clean++;
      if (any) cleanHit++;
    }
  }
  return { infectedSlices: inf, infectedWithCandidate: infHit, recall: inf > 0 ? infHit / inf : null, cleanSlices: clean, cleanWithCandidate: cleanHit };
}

/** 2|P∩T| / (|P| + |T|) of two binary maps (1 when both are empty). */
export function pixelDice(prediction: Uint8Array, truth: Uint8Array): number {
  if (prediction.length !== truth.length) throw new RangeError(`prediction has ${prediction.length} values, truth ${truth.length}`);
  let inter = 0, p = 0, t = 0;
  for (let i = 0; i < truth.length; i++) {
    const a = prediction[i] !== 0;
    const b = truth[i] !== 0;
    if (a) p++;
    if (b) t++;
    if (a && b) inter++;
  }
  return p + t === 0 ? 1 : (2 * inter) / (p + t);
}

export interface FalsePositiveInput {
  /** Candidate labels 1..count on the volume grid (0 = none). */
  labels: Uint32Array;
  /** 1 = lesion; null = the volume is lesion-free (every candidate is a false positive). */
  truth: Uint8Array | null;
  /** Volume of one voxel, mL. */
  voxelMl: number;
}

export interface FalsePositiveResult {
  candidates: number;
  falsePositives: number;
  /** Voxels of the false-positive candidates, in mL. */
  falsePositiveMl: number;
}

/** Candidates that touch no lesion voxel (all of them on a lesion-free volume), with their volume. */
export function falsePositiveCandidates(input: FalsePositiveInput): FalsePositiveResult {
  const { labels, truth, voxelMl } = input;
  if (truth && truth.length !== labels.length) throw new RangeError(`truth has ${truth.length} voxels, labels ${labels.length}`);
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  const size = new Float64Array(max + 1);
  const onLesion = new Uint8Array(max + 1);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 0) continue;
    size[l]++;
    if (truth && truth[i] !== 0) onLesion[l] = 1;
  }
  let candidates = 0, fp = 0, fpVoxels = 0;
  for (let l = 1; l <= max; l++) {
    if (size[l] === 0) continue;
    candidates++;
    if (!onLesion[l]) {
      fp++;
      fpVoxels += size[l];
    }
  }
  return { candidates, falsePositives: fp, falsePositiveMl: fpVoxels * voxelMl };
}
