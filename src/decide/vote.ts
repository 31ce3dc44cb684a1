import type { ClassSpec } from '../core/classes.ts';
import { validateClassSpec } from '../core/classes.ts';
import { ModelError } from '../core/errors.ts';
import type { PatchPrediction, RegionVote } from './types.ts';

/** Slack allowed on each probability for float32 softmax round-off; values are clamped to [0, 1]. */
export const PROBABILITY_RANGE_TOLERANCE = 1e-6;
/** How far the sum of a patch's probabilities may stray from 1 before the output is judged not a softmax. */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;

/**
 * Checks one patch's classifier output against the class list and returns its clamped probabilities.
 * Wrong length, non-finite values or a sum far from 1 mean the model does not match its card.
 */
export function checkedProbabilities(patch: PatchPrediction, spec: ClassSpec, where = 'patch'): number[] {
  const p = patch.probabilities;
  const k = spec.labels.length;
  if (p.length !== k) {
    throw new ModelError('MODEL_OUTPUT_INVALID', `${where}: classifier gave ${p.length} probabilities but the model card lists ${k} classes (${spec.labels.join(', ')})`);
  }
  const out = new Array<number>(k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const v = p[i];
    if (!Number.isFinite(v) || v < -PROBABILITY_RANGE_TOLERANCE || v > 1 + PROBABILITY_RANGE_TOLERANCE) {
      throw new ModelError('MODEL_OUTPUT_INVALID', `${where}: probability of '${spec.labels[i]}' is ${v}; expected a number in [0, 1] (softmax output)`);
    }
    out[i] = Math.min(1, Math.max(0, v));
    sum += out[i];
  }
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
    throw new ModelError('MODEL_OUTPUT_INVALID', `${where}: probabilities sum to ${sum}, expected 1 ± ${PROBABILITY_SUM_TOLERANCE} (softmax output)`);
  }
  return out;
}

/**
 * Vote of one candidate region's patches (paper §2.6.1, after bagging):
 *  1) if at least two patches are predicted the same type, the most confident patch of that type wins;
 *  2) otherwise the single most confident patch wins.
 * A patch's type is its argmax class and its confidence that class's probability.
 *
 * The paper always has three patches (centre slice and its two neighbours). Regions at the edge of the
 * scan may have fewer, and a caller may use more; the same rule is applied as a plurality vote: the
 * types with the most patches win if that count is at least two (when several types tie on that
 * count, e.g. 2 + 2 of 4, the most confident patch among those types decides); with no type repeated
 * (N = 1, or all different) the most confident patch wins. For N = 3 this is exactly the paper's rule.
 *
 * Exact ties are broken deterministically: within a patch the earlier class in `spec.labels` order,
 * between patches the earlier patch in the order given.
 *
 * A region voted a class outside `spec.infectionLabels` (the irrelevant class) is marked `kept: false`:
 * it is ignored by Noisy-OR (§2.6.1, last sentence).
 */
export function voteRegion(patches: readonly PatchPrediction[], spec: ClassSpec, regionName = 'region'): RegionVote {
  validateClassSpec(spec);
  if (patches.length === 0) throw new RangeError(`voteRegion: ${regionName} has no patch predictions; a region needs at least one`);
  const k = spec.labels.length;
  const n = patches.length;
  const patchLabelIndex = new Int32Array(n);
  const patchConfidences = new Array<number>(n);
  const counts = new Int32Array(k);
  for (let j = 0; j < n; j++) {
    const p = checkedProbabilities(patches[j], spec, `${regionName} patch ${j}`);
    let best = 0;
    for (let i = 1; i < k; i++) if (p[i] > p[best]) best = i;
    patchLabelIndex[j] = best;
    patchConfidences[j] = p[best];
    counts[best]++;
  }
  let maxCount = 0;
  for (let i = 0; i < k; i++) if (counts[i] > maxCount) maxCount = counts[i];
  const rule = maxCount >= 2 ? 'majority' : 'most-confident';
  let chosen = -1;
  for (let j = 0; j < n; j++) {
    if (rule === 'majority' && counts[patchLabelIndex[j]] !== maxCount) continue;
    if (chosen < 0 || patchConfidences[j] > patchConfidences[chosen]) chosen = j;
  }
  const labelIndex = patchLabelIndex[chosen];
  const label = spec.labels[labelIndex];
  return {
    label,
    labelIndex,
    confidence: patchConfidences[chosen],
    patchIndex: chosen,
    rule,
    patchLabels: Array.from(patchLabelIndex, (i) => spec.labels[i]),
    patchConfidences,
    kept: spec.infectionLabels.includes(label),
  };
}
