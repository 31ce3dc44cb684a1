/**
 * Turns the decision stage's results into the pieces of the case report (core/report-schema.ts), so
 * the screening pipeline assembles a report without re-deriving any of the §2.6 logic.
 */
import type { ClassSpec } from '../core/classes.ts';
import type { ClassList, DecisionReport, InfectionReport, PaperDecisionReport, PatchReport, RegionReport } from '../core/report-schema.ts';
import { voxelBoxToMm } from '../core/geometry.ts';
import { INDETERMINATE, NOT_SCREENED } from '../core/report-schema.ts';
import type { CalibratedDecision, CaseDecisionModel } from './calibrated.ts';
import type { Box3, Volume } from '../core/volume.ts';
import { displayNameOf } from './noisy-or.ts';
import type { CaseDecision, PatchPrediction, RegionVote } from './types.ts';
import { checkedProbabilities } from './vote.ts';

/** The report's class list from the model card's class spec. */
export function reportClasses(spec: ClassSpec): ClassList {
  const out: ClassList = { labels: [...spec.labels], infectionLabels: [...spec.infectionLabels], irrelevantLabel: spec.irrelevantLabel };
  if (spec.displayNames) out.displayNames = { ...spec.displayNames };
  return out;
}

/** Display names of the decision labels that are not classes. */
export const NOT_SCREENED_DISPLAY = 'Not screened';
export const INDETERMINATE_DISPLAY = 'Indeterminate';

function decisionDisplayName(label: string, spec: ClassSpec): string {
  if (label === NOT_SCREENED) return spec.displayNames?.[NOT_SCREENED] ?? NOT_SCREENED_DISPLAY;
  if (label === INDETERMINATE) return spec.displayNames?.[INDETERMINATE] ?? INDETERMINATE_DISPLAY;
  return displayNameOf(label, spec);
}

/** The report's `paperDecision` (§2.6.2) and `infections` (the per-type Noisy-OR values). */
export function reportPaperDecision(decision: CaseDecision, spec: ClassSpec): { paperDecision: PaperDecisionReport; infections: InfectionReport[] } {
  return {
    paperDecision: {
      label: decision.label,
      displayName: displayNameOf(decision.label, spec),
      rule: decision.rule,
      confidence: decision.confidence,
      tie: decision.tie,
    },
    infections: decision.scores.map((s) => ({
      label: s.label,
      displayName: displayNameOf(s.label, spec),
      regionCount: s.regionCount,
      noisyOr: s.noisyOr,
      exportedConfidence: s.exportedConfidence,
    })),
  };
}

/** The report's decision sections in paper mode: `decision` is the paper's decision itself. */
export function reportDecision(decision: CaseDecision, spec: ClassSpec): { decision: DecisionReport; paperDecision: PaperDecisionReport; infections: InfectionReport[] } {
  const parts = reportPaperDecision(decision, spec);
  return { decision: reportDecisionPaperMode(parts.paperDecision), ...parts };
}

/** The headline decision in paper mode: the paper's decision itself. */
export function reportDecisionPaperMode(paper: PaperDecisionReport): DecisionReport {
  return { ...paper, mode: 'paper' };
}

/** The headline decision in calibrated mode (decide/calibrated.ts). */
export function reportDecisionCalibrated(c: CalibratedDecision, model: CaseDecisionModel, spec: ClassSpec, tie: boolean): DecisionReport {
  return {
    label: c.label,
    displayName: decisionDisplayName(c.label, spec),
    mode: 'calibrated',
    rule: 'calibrated',
    confidence: c.confidence,
    tie,
    infectionProbability: c.infectionProbability,
    typeProbabilities: { ...c.typeProbabilities },
    operatingPoint: { ...model.operatingPoint, ...(model.strongRegion ? { strongRegionAtOrAbove: model.strongRegion.indeterminateAtOrAbove, strongRegionMinLesionMl: model.strongRegion.minLesionMl } : {}) },
    decisionModel: { id: model.id, version: model.version },
  };
}

/** The decision of a case that could not be screened: never 'no infection'. */
export function reportNotScreened(reason: string, mode: DecisionReport['mode'], spec: ClassSpec): DecisionReport {
  return { label: NOT_SCREENED, displayName: decisionDisplayName(NOT_SCREENED, spec), mode, rule: 'not-screened', confidence: null, tie: false, notScreenedReason: reason };
}

export interface RegionReportOptions {
  /** Stable id within the case, e.g. 'R1'. */
  id: string;
  /** Inclusive voxel box of the candidate region, [x, y, z]. */
  box: Box3;
  /** Grid of the screened volume, to express the box in mm. */
  geometry: Pick<Volume, 'originMm' | 'spacingMm' | 'direction'>;
  /** The region's patch predictions, each with its `sliceIndex`. */
  patches: readonly PatchPrediction[];
  /** `voteRegion(patches, spec)`. */
  vote: RegionVote;
  spec: ClassSpec;
  /** Centre slice of the candidate cube; by default the middle of the box along z. */
  centreSlice?: number;
  /** Lesion volume in mL, when the candidate stage measured it. */
  volumeMl?: number | null;
  side?: 'left' | 'right' | 'both' | null;
  /** Calibrated probability that the region is a true infection (calibrated decision only). */
  infectionProbability?: number;
}

/** One region of the report: box in voxels and mm, slices, patch predictions, vote, kept/dropped. */
export function reportRegion(options: RegionReportOptions): RegionReport {
  const { id, box, geometry, patches, vote, spec } = options;
  if (patches.length !== vote.patchLabels.length) {
    throw new RangeError(`region ${id}: ${patches.length} patches but the vote saw ${vote.patchLabels.length}`);
  }
  const patchReports: PatchReport[] = patches.map((p, j) => {
    if (p.sliceIndex === undefined) throw new RangeError(`region ${id} patch ${j} has no sliceIndex; the report needs each patch's slice`);
    const probs = checkedProbabilities(p, spec, `region ${id} patch ${j}`);
    const probabilities: Record<string, number> = {};
    spec.labels.forEach((l, i) => (probabilities[l] = probs[i]));
    return {
      sliceIndex: p.sliceIndex,
      probabilities,
      predictedLabel: vote.patchLabels[j],
      confidence: vote.patchConfidences[j],
      distanceFromEdge: p.distanceFromEdge ?? null,
    };
  });
  const slicesUsed = [...new Set(patchReports.map((p) => p.sliceIndex))].sort((a, b) => a - b);
  const { minMm, maxMm, sizeMm } = voxelBoxToMm(geometry, box, 'centres');
  const region: RegionReport = {
    id,
    boxVoxels: { min: [box.min[0], box.min[1], box.min[2]], max: [box.max[0], box.max[1], box.max[2]] },
    boxMm: { min: [...minMm], max: [...maxMm] },
    sizeMm: [...sizeMm],
    centreSlice: options.centreSlice ?? Math.floor((box.min[2] + box.max[2]) / 2),
    slicesUsed,
    volumeMl: options.volumeMl ?? null,
    patches: patchReports,
    vote: { label: vote.label, confidence: vote.confidence, patchIndex: vote.patchIndex, rule: vote.rule },
    kept: vote.kept,
  };
  if (options.side !== undefined) region.side = options.side;
  if (options.infectionProbability !== undefined) region.infectionProbability = options.infectionProbability;
  return region;
}
