import type { DECISION_RULES, VOTE_RULES } from '../core/report-schema.ts';

/**
 * Types of the decision stage (paper §2.6). Everything is generic over the `ClassSpec` that comes
 * with the classifier's model card: no class name is hard-coded here.
 */

/** One classified image patch of a candidate region (the classify stage produces these). */
export interface PatchPrediction {
  /** Classifier output, one probability per class in `ClassSpec.labels` order (softmax, sums to 1). */
  probabilities: readonly number[];
  /** Axial slice (voxel z) the patch was cut from. */
  sliceIndex?: number;
  /** Relative distance-from-edge of the patch centre (§2.5.1): distance to the lung boundary / lung bounding-box diagonal. */
  distanceFromEdge?: number;
}

/**
 * How the vote was won (§2.6.1):
 * - 'majority': at least two patches share the winning type; the most confident of them is taken.
 * - 'most-confident': no type has two patches; the single most confident patch is taken.
 */
export type VoteRule = (typeof VOTE_RULES)[number];

/** The result of the vote of a region's patches. */
export interface RegionVote {
  /** Winning class label (one of `ClassSpec.labels`). */
  label: string;
  /** Index of `label` in `ClassSpec.labels`. */
  labelIndex: number;
  /** Confidence of the region: the chosen patch's probability of `label`, in [0, 1]. */
  confidence: number;
  /** Index (into the patches given) of the patch whose prediction was chosen. */
  patchIndex: number;
  rule: VoteRule;
  /** Each patch's own predicted label (its argmax), in the order given. */
  patchLabels: string[];
  /** Each patch's own confidence (its maximum probability), in the order given. */
  patchConfidences: number[];
  /** False when the region was voted a non-infection class (e.g. irrelevant): Noisy-OR ignores it. */
  kept: boolean;
}

/** The minimum `decideCase` needs of a region: its voted label and confidence (a `RegionVote` fits). */
export interface VotedRegion {
  label: string;
  confidence: number;
}

/** Noisy-OR result of one infection type (§2.6.2, eq. 1). */
export interface InfectionScore {
  label: string;
  /** Number of kept regions voted this type. */
  regionCount: number;
  /** P = 1 − ∏(1 − P_i) over those regions; 0 when there are none. */
  noisyOr: number;
  /**
   * Σ log(1 − P_i) = log(1 − P): the same information as `noisyOr` without rounding to 1 when many
   * regions saturate it; −Infinity when some P_i = 1. Used to rank types whose P both round to 1.
   */
  logComplement: number;
  /** Confidence exported for this type by the paper's three rules (§2.6.2); 0 for a type with P = 0. */
  exportedConfidence: number;
}

/**
 * Which of the paper's three output rules (§2.6.2) applied:
 * - 'no-infection': every P is 0 → no infection found.
 * - 'single-type': exactly one P is non-zero → that P is exported directly.
 * - 'softmax': several P are non-zero → softmax over them (eq. 2).
 */
export type DecisionRule = (typeof DECISION_RULES)[number];

export interface CaseDecision {
  /** The dominant infection label, or `NO_INFECTION_FOUND`. */
  label: string;
  rule: DecisionRule;
  /** Exported confidence of `label`; null for no infection found (the paper exports none). */
  confidence: number | null;
  /** One entry per infection type, in `ClassSpec.infectionLabels` order. */
  scores: InfectionScore[];
  /** Regions that took part in Noisy-OR (voted an infection type). */
  keptRegionCount: number;
  /** Regions ignored (voted irrelevant or any other non-infection class). */
  droppedRegionCount: number;
  /**
   * True when two or more types share the top P exactly (including the same log(1 − P)); the paper has
   * no rule for this, so the first of them in `infectionLabels` order is reported and a warning added.
   */
  tie: boolean;
  /** Things the reader of the report should know about this decision. */
  warnings: string[];
}
