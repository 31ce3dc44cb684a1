import type { ClassSpec } from '../core/classes.ts';
import { decideCase } from './noisy-or.ts';
import type { CaseDecision, PatchPrediction, RegionVote } from './types.ts';
import { voteRegion } from './vote.ts';

export interface DecideOptions {
  /** Patch predictions of each candidate region, one array per region (usually three patches each). */
  regions: readonly (readonly PatchPrediction[])[];
  /** Class list from the classifier's model card. */
  spec: ClassSpec;
}

export interface DecideResult {
  /** One vote per region, in the order given (irrelevant ones included, with `kept: false`). */
  votes: RegionVote[];
  decision: CaseDecision;
}

/** The whole §2.6 decision: vote each region (§2.6.1), then Noisy-OR over the kept ones (§2.6.2). */
export function decide(options: DecideOptions): DecideResult {
  const { regions, spec } = options;
  const votes = regions.map((patches, r) => voteRegion(patches, spec, `region ${r}`));
  return { votes, decision: decideCase(votes, spec) };
}
