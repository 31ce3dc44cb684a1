/**
 * A case decision whose confidence means something (beyond the paper, issue 9).
 *
 * The paper's rule (§2.6.2) calls a case infected as soon as one region is voted an infection type,
 * and with tens of candidate regions both Noisy-OR probabilities saturate, so its exported confidence
 * sits at 50 %. This decision keeps the paper's region vote and adds three calibrated steps, each
 * with parameters from a decision model card (models/case-decision.card.json), fitted by
 * `npm run train:decision` on patient-level held-out predictions:
 *
 *  1. region infection probability  p_r = σ(a · logit(q_r) + b), where q_r = 1 − mean over the
 *     region's patches of P(irrelevant): the classifier's own "this is an infection" evidence,
 *     recalibrated to "this region is a true infection";
 *  2. case infection probability    P = σ(c0 + c1 · logit(max_r p_r) + c2 · log(1 + lesion mL)):
 *     the strongest region and how much lesion the segmenter sees (a logistic model: one false
 *     positive region among 64 no longer makes a case infected, unlike Noisy-OR);
 *  3. type given infection           P(t | infected) ∝ Σ_r p_r · m_r(t), m_r = the region's mean
 *     patch probabilities of the infection types, renormalised over them.
 *
 * The case is infected of the leading type when P ≥ the operating point's upper threshold, has no
 * infection when P < its lower threshold, and is indeterminate in between: weak evidence is said to
 * be weak rather than guessed. Since 5.0.0 a case with P below the lower threshold is indeterminate
 * too when its strongest region is beyond any lesion-free CT of the fit and its lesion mask is at least
 * one candidate's smallest volume (`strongRegion`): conflicting
 * evidence (a confident region, little lesion volume) is not reported as "no infection". Since 5.1.0 a
 * case P calls infected is indeterminate when nearly all of its lesion mask lies along the dependent
 * pleura (`dependentRule`): on a supine CT that is indistinguishable from dependent atelectasis.
 *
 *   regionInfectionProbability(patches, spec, model)   step 1
 *   decideCalibrated(options): CalibratedDecision      steps 1–3 and the operating point
 */
import type { ClassSpec } from '../core/classes.ts';
import { INDETERMINATE, NO_INFECTION_FOUND } from '../core/report-schema.ts';
import type { PatchPrediction } from './types.ts';
import { checkedProbabilities } from './vote.ts';

/** Probabilities are clamped to [ε, 1 − ε] before a logit, so no region gives ±Infinity. */
export const LOGIT_EPSILON = 1e-4;

/** Parameters of the calibrated decision; validated with the card (models/model-card.ts). */
export interface CaseDecisionModel {
  id: string;
  version: string;
  /** Step 1: p_r = σ(slope · logit(q_r) + intercept). slope 1, intercept 0 keeps q_r. */
  region: { slope: number; intercept: number };
  /** Step 2: P = σ(intercept + maxRegionLogit · logit(max p_r) + lesionLog1pMl · log(1 + lesion mL)). */
  case: { intercept: number; maxRegionLogit: number; lesionLog1pMl: number };
  /** infected when P ≥ infectedAtOrAbove; no infection when P < noInfectionBelow; indeterminate between. */
  operatingPoint: { infectedAtOrAbove: number; noInfectionBelow: number };
  /**
   * Type operating point (2.0.0): an infected case is `primary` when that type's share of the
   * infection evidence is ≥ primaryAtOrAbove, otherwise the strongest other type. Absent: the
   * strongest type (argmax), as 1.0.0.
   */
  typeRule?: { primary: string; primaryAtOrAbove: number };
  /**
   * 5.0.0: a case whose P says "no infection" but whose strongest region reaches indeterminateAtOrAbove
   * (beyond the strongest region of any lesion-free CT of the fit) and whose lesion mask holds at least
   * minLesionMl (the candidate stage's smallest component) is indeterminate instead: small-extent
   * disease (a few mL of lesion mask behind a confident region) is what step 2 misses. Absent: no such rule.
   */
  strongRegion?: { indeterminateAtOrAbove: number; minLesionMl: number };
  /**
   * 5.1.0: a case P calls infected is indeterminate instead when at least fractionAtOrAbove of its
   * lesion mask lies within bandMm of the dependent pleura (lung/dependent-lung.ts): on a supine CT
   * such a finding cannot be told from dependent atelectasis, a normal finding. Design constants, not
   * fitted. Absent: no such rule.
   */
  dependentRule?: { bandMm: number; fractionAtOrAbove: number };
}

/** The infection type of an infected case from its type shares (the model's typeRule, else the strongest). */
export function chooseInfectionType(typeProbabilities: Readonly<Record<string, number>>, types: readonly string[], rule?: CaseDecisionModel['typeRule']): string {
  const strongest = (list: readonly string[]) => list.reduce((a, b) => (typeProbabilities[b] > typeProbabilities[a] ? b : a));
  if (!rule || !types.includes(rule.primary) || types.length < 2) return strongest(types);
  return typeProbabilities[rule.primary] >= rule.primaryAtOrAbove ? rule.primary : strongest(types.filter((t) => t !== rule.primary));
}

export function logit(p: number): number {
  const q = Math.min(1 - LOGIT_EPSILON, Math.max(LOGIT_EPSILON, p));
  return Math.log(q / (1 - q));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** q_r: one minus the mean probability of the irrelevant class over the region's patches. */
export function regionInfectionEvidence(patches: readonly PatchPrediction[], spec: ClassSpec, where = 'region'): number {
  if (patches.length === 0) throw new RangeError(`${where} has no patch predictions`);
  const irr = spec.labels.indexOf(spec.irrelevantLabel);
  let s = 0;
  patches.forEach((p, j) => (s += checkedProbabilities(p, spec, `${where} patch ${j}`)[irr]));
  return 1 - s / patches.length;
}

/** Step 1: the calibrated probability that a region is a true infection. */
export function regionInfectionProbability(patches: readonly PatchPrediction[], spec: ClassSpec, model: Pick<CaseDecisionModel, 'region'>, where = 'region'): number {
  const q = regionInfectionEvidence(patches, spec, where);
  return sigmoid(model.region.slope * logit(q) + model.region.intercept);
}

/** Step 2's linear predictor and probability from its two features. */
export function caseInfectionProbability(maxRegionProbability: number, lesionMl: number, model: Pick<CaseDecisionModel, 'case'>): number {
  if (!(lesionMl >= 0)) throw new RangeError(`lesion volume ${lesionMl} mL; expected a number ≥ 0`);
  const c = model.case;
  return sigmoid(c.intercept + c.maxRegionLogit * logit(maxRegionProbability) + c.lesionLog1pMl * Math.log1p(lesionMl));
}

export interface CalibratedDecisionOptions {
  /** Patch predictions per candidate region, as for the paper's decision. */
  regions: readonly (readonly PatchPrediction[])[];
  spec: ClassSpec;
  model: CaseDecisionModel;
  /** Volume of the lesion mask inside the lungs, mL (0 when the segmenter found none). */
  lesionMl: number;
  /**
   * For the model's dependentRule: the share of the lesion mask within its bandMm of the dependent
   * pleura, computed only when a case would be called infected (a thunk: it scans the masks), and
   * whether the side was assumed (no PatientPosition). Null result or absent: the rule does not apply
   * (no lesion mask, or a decubitus patient).
   */
  dependentFraction?: (bandMm: number) => { fraction: number; assumedSupine: boolean } | null;
}

export interface CalibratedDecision {
  /** An infection label, NO_INFECTION_FOUND or INDETERMINATE. */
  label: string;
  /** P(label): P·P(t | infected) for a type, 1 − P for no infection; null when indeterminate. */
  confidence: number | null;
  /** P, the calibrated probability that the case has an infection. */
  infectionProbability: number;
  /** P(t | infected), one entry per infection label (uniform when no region has evidence). */
  typeProbabilities: Record<string, number>;
  /** p_r per region, in the order given. */
  regionProbabilities: number[];
  /** The two features of step 2, for the report and the fit; the dependent share when the dependent rule was checked. */
  features: { maxRegionProbability: number; lesionMl: number; dependentLesionFraction?: number };
  warnings: string[];
}

/** Why a case got its label: P's operating point, or one of the rules that make it indeterminate. */
export type CaseCallReason = 'infected' | 'no-infection' | 'between' | 'strong-region' | 'dependent';

/**
 * The label from the case's evidence through the model's operating point, type rule, strong-region
 * and dependent-lung rules: the one place these rules live (decideCalibrated, and train:decision's
 * held-out decisions with each fold's thresholds).
 */
export function callCase(options: {
  P: number;
  maxRegionProbability: number;
  lesionMl: number;
  typeProbabilities: Readonly<Record<string, number>>;
  types: readonly string[];
  model: Pick<CaseDecisionModel, 'operatingPoint' | 'typeRule' | 'strongRegion' | 'dependentRule'>;
  dependentFraction?: CalibratedDecisionOptions['dependentFraction'];
}): { label: string; why: CaseCallReason; dependent: { fraction: number; assumedSupine: boolean } | null } {
  const { P, maxRegionProbability: maxP, lesionMl, model } = options;
  const op = model.operatingPoint;
  if (P >= op.infectedAtOrAbove) {
    const dependent = model.dependentRule && options.dependentFraction ? options.dependentFraction(model.dependentRule.bandMm) : null;
    if (dependent && model.dependentRule && dependent.fraction >= model.dependentRule.fractionAtOrAbove) return { label: INDETERMINATE, why: 'dependent', dependent };
    return { label: chooseInfectionType(options.typeProbabilities, options.types, model.typeRule), why: 'infected', dependent };
  }
  if (P >= op.noInfectionBelow) return { label: INDETERMINATE, why: 'between', dependent: null };
  const s = model.strongRegion;
  if (s && maxP >= s.indeterminateAtOrAbove && lesionMl >= s.minLesionMl) return { label: INDETERMINATE, why: 'strong-region', dependent: null };
  return { label: NO_INFECTION_FOUND, why: 'no-infection', dependent: null };
}

/** Steps 1–3 and the operating point (see the file header). */
export function decideCalibrated(options: CalibratedDecisionOptions): CalibratedDecision {
  const { regions, spec, model, lesionMl } = options;
  const op = model.operatingPoint;
  if (!(op.noInfectionBelow >= 0 && op.noInfectionBelow <= op.infectedAtOrAbove && op.infectedAtOrAbove <= 1)) {
    throw new RangeError(`decision model ${model.id}: operating point needs 0 ≤ noInfectionBelow ≤ infectedAtOrAbove ≤ 1, got ${op.noInfectionBelow} / ${op.infectedAtOrAbove}`);
  }
  const types = spec.infectionLabels;
  const typeIdx = types.map((t) => spec.labels.indexOf(t));
  const typeMass = new Float64Array(types.length);
  const regionProbabilities: number[] = [];
  let maxP = 0;
  regions.forEach((patches, r) => {
    const p = regionInfectionProbability(patches, spec, model, `region ${r}`);
    regionProbabilities.push(p);
    if (p > maxP) maxP = p;
    const mean = new Float64Array(types.length);
    for (let j = 0; j < patches.length; j++) {
      const probs = checkedProbabilities(patches[j], spec, `region ${r} patch ${j}`);
      typeIdx.forEach((k, t) => (mean[t] += probs[k]));
    }
    let sum = 0;
    for (let t = 0; t < types.length; t++) sum += mean[t];
    if (sum > 0) for (let t = 0; t < types.length; t++) typeMass[t] += (p * mean[t]) / sum;
  });
  let massSum = 0;
  for (let t = 0; t < types.length; t++) massSum += typeMass[t];
  const typeProbabilities: Record<string, number> = {};
  types.forEach((t, i) => (typeProbabilities[t] = massSum > 0 ? typeMass[i] / massSum : 1 / types.length));

  const P = caseInfectionProbability(maxP, lesionMl, model);
  const warnings: string[] = [];
  const call = callCase({ P, maxRegionProbability: maxP, lesionMl, typeProbabilities, types, model, dependentFraction: options.dependentFraction });
  const { label, dependent } = call;
  let confidence: number | null = null;
  if (call.why === 'dependent' && dependent && model.dependentRule) {
    const r = model.dependentRule;
    warnings.push(`indeterminate: the calibrated infection probability is ${(100 * P).toFixed(0)} %, but ${(100 * dependent.fraction).toFixed(0)} % of the lesion mask lies within ${r.bandMm} mm of the dependent ${dependent.assumedSupine ? 'posterior pleura (the patient assumed supine: no PatientPosition)' : 'pleura'} (≥ ${(100 * r.fractionAtOrAbove).toFixed(0)} %): dependent atelectasis, a normal finding, looks like this and cannot be told from ground glass on this CT alone; prone images settle it, and a clinician must read this CT`);
  } else if (call.why === 'infected') {
    confidence = P * typeProbabilities[label];
    const second = types.filter((t) => t !== label).reduce((m, t) => Math.max(m, typeProbabilities[t]), 0);
    const rule = model.typeRule && types.includes(model.typeRule.primary) ? model.typeRule : null;
    const nearRule = rule !== null && Math.abs(typeProbabilities[rule.primary] - rule.primaryAtOrAbove) < 0.1;
    if (types.length > 1 && (Math.abs(typeProbabilities[label] - second) < 0.2 || nearRule)) {
      warnings.push(`the infection type is uncertain: ${types.map((t) => `${t} ${(100 * typeProbabilities[t]).toFixed(0)} %`).join(', ')} of the infection evidence${rule ? ` (typed ${rule.primary} at ≥ ${(100 * rule.primaryAtOrAbove).toFixed(0)} %, the type threshold of the decision card)` : ''}`);
    }
  } else if (call.why === 'strong-region' && model.strongRegion) {
    warnings.push(`indeterminate: the calibrated infection probability is ${(100 * P).toFixed(0)} % because the lesion mask is small (${lesionMl.toFixed(1)} mL), but one region scores ${(100 * maxP).toFixed(0)} % infection, beyond any lesion-free CT the decision was fitted on (≥ ${(100 * model.strongRegion.indeterminateAtOrAbove).toFixed(0)} %); small-extent disease is what this decision misses, so a clinician must read this CT`);
  } else if (call.why === 'no-infection') {
    confidence = 1 - P;
  } else {
    warnings.push(`indeterminate: the calibrated infection probability ${(100 * P).toFixed(0)} % lies between the operating thresholds ${(100 * op.noInfectionBelow).toFixed(0)} % and ${(100 * op.infectedAtOrAbove).toFixed(0)} %; a clinician must read this CT`);
  }
  return { label, confidence, infectionProbability: P, typeProbabilities, regionProbabilities, features: { maxRegionProbability: maxP, lesionMl, ...(dependent ? { dependentLesionFraction: dependent.fraction } : {}) }, warnings };
}
