/**
 * Candidate regions (paper §2.2–§2.3): 3D "cubes" around possible foci of infection, produced by a
 * generator (learned segmenter or classical HU bands) and handed to the patch classifier, which
 * cuts the cube's centre axial slice and its two neighbours.
 *
 *   type CandidateGenerator = (input: CandidateInput, options?) => Promise<CandidateSet>
 */
import type { BoxMm } from '../core/geometry.ts';
import type { Box3, Vec3, Volume } from '../core/volume.ts';

export type CandidateGeneratorId = 'learned' | 'classical';

export interface Candidate {
  /** 1-based; equals this candidate's value in `CandidateSet.labels`. Ids are ordered by volume, largest first. */
  id: number;
  /** Inclusive voxel box [x, y, z] of the component on the input grid. */
  boxVoxels: Box3;
  /** The same box in LPS mm: the hull through its voxel faces (core/geometry.ts voxelBoxToMm). */
  boxMm: BoxMm;
  /** Mean voxel coordinate [x, y, z] of the component (continuous). */
  centroidVoxel: Vec3;
  /**
   * Centre axial slice of the cube, round((min z + max z) / 2) (§2.2: "the center image together
   * with the two neighbors"). A 3D connected component covers every slice of its z range, so this
   * slice always holds some of the candidate.
   */
  centreSliceZ: number;
  voxelCount: number;
  /** voxelCount × voxel volume, millilitres. */
  volumeMl: number;
  /** Mean / max lesion probability over the component's voxels (learned generator only). */
  meanProbability?: number;
  maxProbability?: number;
}

export interface CandidateSet {
  generator: CandidateGeneratorId;
  candidates: Candidate[];
  /**
   * Component labels on the input grid (zyx memory order, same dims as the volume): 0 = none,
   * k = candidate with id k. The report writes it as a NIfTI candidate mask.
   */
  labels: Uint32Array;
  dims: Vec3;
  /** Probability threshold used (learned generator). */
  threshold?: number;
  /** Components found before the size filter / cap. */
  componentsBeforeFilter: number;
  /** Things an engineer should know (e.g. "312 components, kept the 200 largest"). */
  warnings: string[];
  /** Wall time of the steps, ms. */
  timingsMs: Record<string, number>;
  /** The learned generator's probability map over `region` (x fastest), for the lesion mask (lesion-mask.ts). */
  probability?: { data: Float32Array; region: Box3 };
  /**
   * The lesion mask (0/1 on the input grid, inside the lungs) at `threshold`, made slice by slice while
   * the map was computed (learned generator given a lesion threshold); otherwise lesion-mask.ts makes it
   * from `probability` afterwards, with the same voxels.
   */
  lesion?: { mask: Uint8Array; voxels: number; threshold: number };
  /** Hysteresis seed the generator applied (learned, v3): split-large keeps only sub-cubes that reach it too. */
  seedThreshold?: number;
}

export interface CandidateInput {
  /** CT in HU (or pseudo-HU). */
  volume: Volume;
  /** 1 = lung, on the volume's grid (lung stage output). */
  lungMask: Uint8Array;
}

export type CandidateGenerator<O = unknown> = (input: CandidateInput, options?: O) => Promise<CandidateSet>;
