/**
 * The card of the calibrated case decision (decide/calibrated.ts): its few parameters, the models
 * they were fitted for, how they were fitted and validated. Written by `npm run train:decision`
 * (training/decision/), read once at load; a decision fitted for other models is not used, since its
 * probabilities would mean nothing for them.
 *
 *   DecisionCardSchema, type DecisionCard
 *   readDecisionCard(path): DecisionCard              throws ModelError naming the file and field
 *   decisionModelFromCard(card): CaseDecisionModel
 *   decisionCardFits(card, used): string | null       why the card does not fit the models used, or null
 *   renderDecisionCardMarkdown(card): string
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ModelError } from '../core/errors.ts';
import type { CaseDecisionModel } from '../decide/calibrated.ts';
import { NON_COMMERCIAL_NOTICE, NOT_A_DIAGNOSTIC_DEVICE } from './model-card.ts';

export const DECISION_CARD_SCHEMA_VERSION = 1;

const probability = z.number().min(0).max(1);
const ModelIdSchema = z.strictObject({ id: z.string().min(1), version: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

const CaseRowSchema = z.strictObject({
  case: z.string().min(1),
  group: z.string().min(1).describe('patient'),
  label: z.string().min(1),
  infected: z.boolean(),
  modelSplit: z.enum(['train', 'validation', 'none']).describe("the segmenter's/classifier's split this patient is in"),
  maxRegionProbability: probability,
  lesionMl: z.number().nonnegative(),
  regions: z.number().int().nonnegative(),
  /** 3.0.0: a thick-slice reconstruction of the case (e.g. 'thick-4.0mm'); 5.0.0: a partial slab ('slab-40mm-z20 …'); absent: as acquired. */
  reconstruction: z.string().min(1).optional(),
  /** P(infected) from the model fitted without this case's patient (leave-one-patient-out). */
  heldOutProbability: probability,
});

const RateSchema = z.strictObject({ value: z.number().nullable(), ci95: z.tuple([z.number(), z.number()]).nullable(), n: z.number().int().nonnegative() });

export const DecisionCardSchema = z.strictObject({
  schemaVersion: z.literal(DECISION_CARD_SCHEMA_VERSION),
  id: z.string().min(1),
  version: z.string().min(1),
  task: z.literal('case-decision'),
  description: z.string().min(1),
  createdAt: z.string().min(1),
  fittedFor: z.strictObject({ candidates: z.enum(['learned', 'classical']), segmenter: ModelIdSchema.nullable(), classifier: ModelIdSchema }),
  parameters: z.strictObject({
    region: z.strictObject({ slope: z.number(), intercept: z.number() }),
    case: z.strictObject({ intercept: z.number(), maxRegionLogit: z.number(), lesionLog1pMl: z.number() }),
    operatingPoint: z.strictObject({ infectedAtOrAbove: probability, noInfectionBelow: probability }),
    typeRule: z.strictObject({ primary: z.string().min(1), primaryAtOrAbove: probability }).optional(),
    /** 5.0.0: a "no infection" P with a region at or above this and that much lesion mask is indeterminate (decide/calibrated.ts). */
    strongRegion: z.strictObject({ indeterminateAtOrAbove: probability, minLesionMl: z.number().nonnegative() }).optional(),
  }),
  fit: z.strictObject({
    method: z.string().min(1),
    regionCalibration: z.string().min(1),
    operatingPoint: z.string().min(1),
    typeRule: z.string().min(1).optional(),
    strongRegion: z.string().min(1).optional(),
    l2: z.number().nonnegative(),
    seed: z.number().int(),
  }),
  cases: z.array(CaseRowSchema),
  validation: z.strictObject({
    note: z.string().min(1),
    /** Leave-one-patient-out over every case; and the same restricted to patients no network trained on. */
    allCases: z.record(z.string(), RateSchema),
    unseenPatients: z.record(z.string(), RateSchema),
    /** 3.0.0: the same over the thick-slice reconstructions of the cases (held out with their patient). */
    thickSliceReconstructions: z.record(z.string(), RateSchema).optional(),
    /** 5.0.0: the same over partial 40 mm slabs of the CTs with slice labels (held out with their patient). */
    partialSlabs: z.record(z.string(), RateSchema).optional(),
  }),
  limitations: z.array(z.string().min(1)),
  licence: z.literal(NON_COMMERCIAL_NOTICE),
  notice: z.literal(NOT_A_DIAGNOSTIC_DEVICE),
});

export type DecisionCard = z.infer<typeof DecisionCardSchema>;
export type DecisionCaseRow = z.infer<typeof CaseRowSchema>;

export function parseDecisionCard(json: unknown, path: string): DecisionCard {
  const r = DecisionCardSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelError('MODEL_CARD_INVALID', `decision card ${path} is invalid: ${issues}`, { path });
  }
  const op = r.data.parameters.operatingPoint;
  if (op.noInfectionBelow > op.infectedAtOrAbove) {
    throw new ModelError('MODEL_CARD_INVALID', `decision card ${path}: operatingPoint.noInfectionBelow ${op.noInfectionBelow} exceeds infectedAtOrAbove ${op.infectedAtOrAbove}`, { path });
  }
  return r.data;
}

export function readDecisionCard(path: string): DecisionCard {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelError('MODEL_CARD_MISSING', `decision card ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); run npm run train:decision or use --decision paper`, { path, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError('MODEL_CARD_INVALID', `decision card ${path} is not valid JSON: ${(e as Error).message}`, { path, cause: e });
  }
  return parseDecisionCard(json, path);
}

export function decisionModelFromCard(card: DecisionCard): CaseDecisionModel {
  const p = card.parameters;
  return { id: card.id, version: card.version, region: { ...p.region }, case: { ...p.case }, operatingPoint: { ...p.operatingPoint }, ...(p.typeRule ? { typeRule: { ...p.typeRule } } : {}), ...(p.strongRegion ? { strongRegion: { ...p.strongRegion } } : {}) };
}

export interface ModelsUsed {
  candidates: 'learned' | 'classical';
  segmenter: { id: string; sha256: string } | null;
  classifier: { id: string; sha256: string };
}

/** Why the card's parameters do not apply to the models used (its probabilities would mean nothing), or null. */
export function decisionCardFits(card: DecisionCard, used: ModelsUsed): string | null {
  const f = card.fittedFor;
  if (f.candidates !== used.candidates) return `it was fitted with ${f.candidates} candidates, this screening uses ${used.candidates}`;
  if (f.classifier.sha256 !== used.classifier.sha256) return `it was fitted for classifier ${f.classifier.id} ${f.classifier.version} (sha256 ${f.classifier.sha256.slice(0, 12)}…), this screening uses ${used.classifier.id} (${used.classifier.sha256.slice(0, 12)}…)`;
  if (f.segmenter && used.segmenter && f.segmenter.sha256 !== used.segmenter.sha256) return `it was fitted for segmenter ${f.segmenter.id} ${f.segmenter.version}, this screening uses another (${used.segmenter.sha256.slice(0, 12)}…)`;
  if ((f.segmenter === null) !== (used.segmenter === null)) return 'it was fitted with a different segmenter set-up';
  return null;
}

function fmtRate(r: { value: number | null; ci95: [number, number] | null; n: number }): string {
  if (r.value === null) return `— (n = ${r.n})`;
  return `${r.value.toFixed(3)}${r.ci95 ? ` (95 % CI ${r.ci95[0].toFixed(2)}–${r.ci95[1].toFixed(2)})` : ''}, n = ${r.n}`;
}

export function renderDecisionCardMarkdown(card: DecisionCard): string {
  const p = card.parameters;
  const L: string[] = [];
  L.push(`# ${card.id} ${card.version} — calibrated case decision`, '', card.description, '', `**${card.notice}**`, '', card.licence, '');
  L.push('## Fitted for', '', `- candidates: ${card.fittedFor.candidates}`, `- segmenter: ${card.fittedFor.segmenter ? `${card.fittedFor.segmenter.id} ${card.fittedFor.segmenter.version} (sha256 ${card.fittedFor.segmenter.sha256})` : 'none'}`, `- classifier: ${card.fittedFor.classifier.id} ${card.fittedFor.classifier.version} (sha256 ${card.fittedFor.classifier.sha256})`, '');
  L.push('## Parameters', '', `- region: p_r = σ(${p.region.slope.toFixed(4)} · logit(q_r) + ${p.region.intercept.toFixed(4)}), q_r = 1 − mean P(irrelevant) over the region's patches`);
  L.push(`- case: P = σ(${p.case.intercept.toFixed(4)} + ${p.case.maxRegionLogit.toFixed(4)} · logit(max p_r) + ${p.case.lesionLog1pMl.toFixed(4)} · log(1 + lesion mL))`);
  L.push(`- operating point: infected when P ≥ ${p.operatingPoint.infectedAtOrAbove.toFixed(3)}, no infection when P < ${p.operatingPoint.noInfectionBelow.toFixed(3)}, indeterminate between`);
  L.push(p.typeRule ? `- type: ${p.typeRule.primary} when its share of the infection evidence is ≥ ${p.typeRule.primaryAtOrAbove.toFixed(3)}, otherwise the strongest other type` : '- type: the strongest share of the infection evidence');
  if (p.strongRegion) L.push(`- strong region: a case below the no-infection threshold whose strongest region has p_r ≥ ${p.strongRegion.indeterminateAtOrAbove.toFixed(3)} and whose lesion mask holds ≥ ${p.strongRegion.minLesionMl} mL is indeterminate`);
  L.push('');
  L.push('## How it was fitted', '', `- ${card.fit.method}`, `- region calibration: ${card.fit.regionCalibration}`, `- operating point: ${card.fit.operatingPoint}`, ...(card.fit.typeRule ? [`- type threshold: ${card.fit.typeRule}`] : []), ...(card.fit.strongRegion ? [`- strong region: ${card.fit.strongRegion}`] : []), `- L2 penalty ${card.fit.l2}, seed ${card.fit.seed}`, '');
  const columns: Array<[string, Record<string, { value: number | null; ci95: [number, number] | null; n: number }>]> = [
    ['all cases', card.validation.allCases],
    ['patients no network trained on', card.validation.unseenPatients],
    ...(card.validation.thickSliceReconstructions ? [['thick-slice reconstructions', card.validation.thickSliceReconstructions] as [string, typeof card.validation.allCases]] : []),
    ...(card.validation.partialSlabs ? [['partial 40 mm slabs', card.validation.partialSlabs] as [string, typeof card.validation.allCases]] : []),
  ];
  L.push('## Validation (leave-one-patient-out)', '', card.validation.note, '', `| measure | ${columns.map(([h]) => h).join(' | ')} |`, `|---|${columns.map(() => '---|').join('')}`);
  const keys = [...new Set(columns.flatMap(([, r]) => Object.keys(r)))];
  for (const k of keys) L.push(`| ${k} | ${columns.map(([, r]) => (r[k] ? fmtRate(r[k]) : '—')).join(' | ')} |`);
  L.push('', '## Cases', '', '| case | reconstruction | patient | label | network split | regions | max p_r | lesion mL | held-out P |', '|---|---|---|---|---|---|---|---|---|');
  for (const c of card.cases) L.push(`| ${c.case} | ${c.reconstruction ?? 'as acquired'} | ${c.group} | ${c.label} | ${c.modelSplit} | ${c.regions} | ${c.maxRegionProbability.toFixed(3)} | ${c.lesionMl.toFixed(1)} | ${c.heldOutProbability.toFixed(3)} |`);
  L.push('', '## Limitations', '', ...card.limitations.map((l) => `- ${l}`), '');
  return `${L.join('\n')}\n`;
}
