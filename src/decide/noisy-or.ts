import type { ClassSpec } from '../core/classes.ts';
import { validateClassSpec } from '../core/classes.ts';
import { NO_INFECTION_FOUND } from '../core/report-schema.ts';
import type { CaseDecision, DecisionRule, InfectionScore, VotedRegion } from './types.ts';

/**
 * Case label when no region was voted an infection type (§2.6.2, rule 1). Not a classifier class:
 * a model card must not use it as a label. Defined with the report schema, re-exported here.
 */
export { NO_INFECTION_FOUND };
export const NO_INFECTION_FOUND_DISPLAY = 'No infection found';

/**
 * log(1 − P) of the Noisy-OR of independent probabilities (§2.6.2, eq. 1): Σ log(1 − P_i).
 * Summing log1p(−P_i) keeps full precision for small P_i and never underflows the product, however
 * many regions there are; a P_i of 1 gives −Infinity (P = 1).
 */
export function noisyOrLogComplement(probabilities: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Noisy-OR: probability ${i} is ${p}; expected a number in [0, 1]`);
    s += Math.log1p(-p);
  }
  return s;
}

/** P from log(1 − P); `0 -` rather than unary minus so that no evidence gives +0, not −0. */
function pFromLogComplement(logComplement: number): number {
  return 0 - Math.expm1(logComplement);
}

/** Noisy-OR (§2.6.2, eq. 1): P = 1 − ∏(1 − P_i); 0 for no inputs. */
export function noisyOr(probabilities: readonly number[]): number {
  return pFromLogComplement(noisyOrLogComplement(probabilities));
}

/** Display name of a class or of the no-infection decision. */
export function displayNameOf(label: string, spec: ClassSpec): string {
  if (label === NO_INFECTION_FOUND) return spec.displayNames?.[NO_INFECTION_FOUND] ?? NO_INFECTION_FOUND_DISPLAY;
  return spec.displayNames?.[label] ?? label;
}

/**
 * The case decision from the voted regions (§2.6.2).
 *
 * Regions voted a class that is not an infection type (the irrelevant class) are dropped (§2.6.1).
 * For each infection type P = 1 − ∏(1 − P_i) over its regions. The case is the type with the dominant P,
 * and the exported confidences follow the paper's rules, written for any number of infection types:
 *  1) every P is 0 → no infection found (no confidence is exported);
 *  2) exactly one P is non-zero → that P is exported directly;
 *  3) otherwise the softmax S_i = e^{P_i} / Σ_j e^{P_j} (eq. 2) over the types with non-zero P.
 * With the paper's two types, "over the non-zero types" changes nothing; with more, a type without any
 * region keeps confidence 0 as rule 2 intends, instead of taking a share e^0 of the softmax.
 *
 * Types are ranked by log(1 − P), which orders exactly like P but still separates types whose P both
 * round to 1.0 in floating point (many regions). Exact ties go to the earlier type in
 * `spec.infectionLabels` with `tie: true` and a warning, since the paper gives no rule for them.
 */
export function decideCase(regions: readonly VotedRegion[], spec: ClassSpec): CaseDecision {
  validateClassSpec(spec);
  if (spec.labels.includes(NO_INFECTION_FOUND)) {
    throw new RangeError(`class label '${NO_INFECTION_FOUND}' is reserved for the case decision; rename it in the model card`);
  }
  const types = spec.infectionLabels;
  const m = types.length;
  const logComplement = new Float64Array(m);
  const regionCount = new Int32Array(m);
  let kept = 0;
  for (let r = 0; r < regions.length; r++) {
    const { label, confidence } = regions[r];
    if (!(confidence >= 0 && confidence <= 1)) throw new RangeError(`decideCase: region ${r} has confidence ${confidence}; expected a number in [0, 1]`);
    if (!spec.labels.includes(label)) throw new RangeError(`decideCase: region ${r} has label '${label}', not among ${spec.labels.join(', ')}`);
    const t = types.indexOf(label);
    if (t < 0) continue;
    kept++;
    regionCount[t]++;
    logComplement[t] += Math.log1p(-confidence);
  }

  const nonZero: number[] = [];
  for (let t = 0; t < m; t++) if (logComplement[t] < 0) nonZero.push(t);

  const exported = new Float64Array(m);
  let rule: DecisionRule;
  if (nonZero.length === 0) {
    rule = 'no-infection';
  } else if (nonZero.length === 1) {
    rule = 'single-type';
    exported[nonZero[0]] = pFromLogComplement(logComplement[nonZero[0]]);
  } else {
    rule = 'softmax';
    const pOf = (t: number) => pFromLogComplement(logComplement[t]);
    let maxP = 0;
    for (const t of nonZero) maxP = Math.max(maxP, pOf(t));
    let z = 0;
    for (const t of nonZero) z += Math.exp(pOf(t) - maxP);
    for (const t of nonZero) exported[t] = Math.exp(pOf(t) - maxP) / z;
  }

  const warnings: string[] = [];
  let tie = false;
  let label = NO_INFECTION_FOUND;
  let confidence: number | null = null;
  if (nonZero.length > 0) {
    let best = nonZero[0];
    for (const t of nonZero) if (logComplement[t] < logComplement[best]) best = t;
    const tied = nonZero.filter((t) => logComplement[t] === logComplement[best]);
    const sameP = nonZero.filter((t) => pFromLogComplement(logComplement[t]) === pFromLogComplement(logComplement[best]));
    if (tied.length > 1) {
      tie = true;
      warnings.push(`infection types ${tied.map((t) => types[t]).join(' and ')} have the same Noisy-OR confidence; reporting the first listed in the model card, '${types[best]}'`);
    } else if (sameP.length > 1) {
      warnings.push(`Noisy-OR confidences of ${sameP.map((t) => types[t]).join(' and ')} both round to ${pFromLogComplement(logComplement[best])}; '${types[best]}' has more evidence (smaller 1 − P)`);
    }
    label = types[best];
    confidence = exported[best];
  }

  const scores: InfectionScore[] = [];
  for (let t = 0; t < m; t++) {
    scores.push({
      label: types[t],
      regionCount: regionCount[t],
      noisyOr: pFromLogComplement(logComplement[t]),
      logComplement: logComplement[t],
      exportedConfidence: exported[t],
    });
  }
  return { label, rule, confidence, scores, keptRegionCount: kept, droppedRegionCount: regions.length - kept, tie, warnings };
}
