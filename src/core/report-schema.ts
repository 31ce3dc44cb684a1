/**
 * The case report: the one result type of screening a CT. The screening pipeline writes it, the server
 * returns it, the HTML/DICOM reports render it. It is JSON-safe (finite numbers, no typed arrays) and
 * carries no patient identifiers (every object is strict, so an extra field such as a name is refused).
 *
 *   CaseReportSchema               zod schema, cross-checked (labels, decision, regions, box bounds)
 *   type CaseReport                z.infer of it
 *   validateCaseReport(x, source)  parse + check; throws InputError naming the source and fields
 *   createCaseReport(body, opts)   adds version, tool, time and notice, then validates
 *   caseReportJsonSchema()         JSON Schema of the report, for consumers outside TypeScript
 *   describeInput(volume)          a Volume → the report's non-identifying input description
 *
 * Versioning (semver of the JSON shape): a new optional field is a minor bump, a renamed/removed
 * field or a changed meaning is a major bump. Readers refuse another major version.
 *
 * Terms (paper §2.6): a *region* is a candidate cube from the candidate stage, classified through its
 * patches (the centre slice and its neighbours), and *voted* one class (§2.6.1). Regions voted an
 * infection type are *kept* and combined per type by Noisy-OR into P (§2.6.2), from which the case
 * decision and the exported confidences follow.
 */
import { ctscreenVersion } from './version.ts';
import { z } from 'zod';
import { InputError, InternalError } from './errors.ts';
import type { Box3, SourceFormat, Vec3, Volume } from './volume.ts';
import { voxelToPatient } from './volume.ts';

export const REPORT_SCHEMA_VERSION = '2.0.0';

/** Fixed sentence every report carries (and every rendering must show). */
export const NOT_A_DIAGNOSTIC_DEVICE_NOTICE =
  'ctscreen is research software and not a diagnostic device. This report must not be used to diagnose, treat or triage patients; a qualified clinician must read the CT.';

/** Case label when no region was voted an infection type (§2.6.2 rule 1). Never a classifier class. */
export const NO_INFECTION_FOUND = 'no_infection_found';

/** Case label when nothing could be screened (no lungs, not CT, too few slices): never 'no infection'. */
export const NOT_SCREENED = 'not_screened';
/** Case label of the calibrated decision when the evidence lies between its operating thresholds. */
export const INDETERMINATE = 'indeterminate';
/** Labels a case decision may have besides the infection types; none may be a classifier class. */
export const RESERVED_DECISION_LABELS = [NO_INFECTION_FOUND, NOT_SCREENED, INDETERMINATE] as const;
/** How the case decision was made: calibrated (default, decide/calibrated.ts) or the paper's rule (§2.6.2). */
export const DECISION_MODES = ['calibrated', 'paper'] as const;

/** How a region's vote was won (§2.6.1); see decide/vote.ts. */
export const VOTE_RULES = ['majority', 'most-confident'] as const;
/** Which of the three output rules of §2.6.2 applied; see decide/noisy-or.ts. */
export const DECISION_RULES = ['no-infection', 'single-type', 'softmax'] as const;
/** Rules of the report's headline decision: the paper's three, the calibrated model's, or none (not screened). */
export const CASE_DECISION_RULES = [...DECISION_RULES, 'calibrated', 'not-screened'] as const;
/** Pipeline stages whose wall time is reported, in milliseconds. */
export const TIMING_STAGES = ['read', 'lung', 'candidates', 'classify', 'decide', 'quantify', 'report', 'total'] as const;
/** Roles a model can play in a screening. */
export const MODEL_ROLES = ['lung', 'candidates', 'classifier', 'decision'] as const;
const SOURCE_FORMATS = ['dicom', 'nifti', 'image-stack', 'synthetic'] as const satisfies readonly SourceFormat[];

const probability = z.number().min(0).max(1);
const percent = z.number().min(0).max(100);
const nonNegativeInt = z.number().int().nonnegative();
const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const voxelVec3 = z.tuple([nonNegativeInt, nonNegativeInt, nonNegativeInt]);
const label = z.string().min(1);

export const ClassListSchema = z
  .strictObject({
    labels: z.array(label).min(2).describe('Classifier output order (from the model card)'),
    infectionLabels: z.array(label).min(1).describe('Labels that are infection types and take part in Noisy-OR'),
    irrelevantLabel: label.describe('The irrelevant-to-infection label; regions voted it are dropped'),
    displayNames: z.record(z.string(), z.string()).optional(),
  })
  .describe('Class list of the classifier used');

export const ModelRefSchema = z.strictObject({
  role: z.enum(MODEL_ROLES),
  id: z.string().min(1).describe('Model id (registry / model card), or the name of a classical method'),
  version: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('Digest of the ONNX file, when a learned model was used'),
});

/** A conformant DICOM UID (PS3.5 9.1): digits and dots, at most 64 characters. */
export const DICOM_UID_PATTERN = /^[0-9.]{1,64}$/;
/** Longest value of a DICOM UI / LO element (PS3.5 6.2), the most the report carries of a text read from the input. */
export const MAX_INPUT_TEXT_CHARS = 64;
/** Text read from an input as the report may carry it: 1–64 printable characters (no control characters). */
const INPUT_TEXT_PATTERN = /^[^\u0000-\u001f\u007f-\u009f]{1,64}$/u;

/**
 * A series UID as the report carries it: as read (trimmed) when it is printable and at most 64
 * characters — a UUID written by an anonymiser included —, otherwise undefined (left out).
 */
export function reportableUid(uid: string | undefined): string | undefined {
  const t = uid?.trim();
  return t !== undefined && INPUT_TEXT_PATTERN.test(t) ? t : undefined;
}

/**
 * Why a series UID read from the input is not a conformant DICOM UID and what the report does with
 * it (the reader's warning), or undefined when it is conformant. A quirk of the input never fails the
 * screening: the report carries the value as read, or leaves it out.
 */
export function dicomUidProblem(uid: string | undefined): string | undefined {
  const t = uid?.trim() ?? '';
  if (t === '') return 'is missing: the report names no series UID';
  if (DICOM_UID_PATTERN.test(t)) return undefined;
  const kept = reportableUid(t);
  const shown = JSON.stringify(t.length > MAX_INPUT_TEXT_CHARS ? `${t.slice(0, MAX_INPUT_TEXT_CHARS)}…` : t).replace(/[\u0000-\u001f\u007f-\u009f]/gu, '?');
  return `${shown} is not a DICOM UID (digits and dots, at most 64 characters${/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t) ? '; this is a UUID, as some anonymisers write' : ''}): ${kept === undefined ? `left out of the report (${t.length > MAX_INPUT_TEXT_CHARS ? `${t.length} characters` : 'control characters'})` : 'carried as read'}`;
}

/** Free text from the input (e.g. SeriesDescription) with control characters replaced, or undefined when empty. */
function reportableText(text: string | undefined): string | undefined {
  const t = text?.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '?').trim();
  return t ? t : undefined;
}

export const InputDescriptionSchema = z
  .strictObject({
    format: z.enum(SOURCE_FORMATS),
    dimsVoxels: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).describe('[x, y, z]: columns, rows, slices'),
    spacingMm: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).describe('Voxel size [x, y, z] in mm'),
    sliceCount: z.number().int().positive(),
    pseudoHu: z.boolean().describe('True when HU were recovered from 8-bit lung-window images (approximate)'),
    modality: z.string().optional(),
    seriesInstanceUid: z
      .string()
      .regex(INPUT_TEXT_PATTERN, `1 to ${MAX_INPUT_TEXT_CHARS} printable characters`)
      .optional()
      .describe('SeriesInstanceUID as read: a DICOM UID (digits and dots) unless the warnings say otherwise (e.g. an anonymiser\'s UUID); absent when unreadable'),
    seriesDescription: z.string().optional(),
    transferSyntaxUid: z.string().optional(),
  })
  .describe('What was screened; deliberately without file paths or patient identifiers');

export const PatchReportSchema = z.strictObject({
  sliceIndex: nonNegativeInt.describe('Axial slice (voxel z) of the patch'),
  probabilities: z.record(label, probability).describe('Classifier probability of each class, keyed by label'),
  predictedLabel: label.describe("The patch's own class (its highest probability)"),
  confidence: probability.describe('Probability of predictedLabel'),
  distanceFromEdge: z.number().nonnegative().nullable().describe('Relative distance-from-edge of the patch centre (§2.5.1); null if not computed'),
});

export const VoteReportSchema = z.strictObject({
  label,
  confidence: probability,
  patchIndex: nonNegativeInt.describe('Which patch (index into patches) gave the vote'),
  rule: z.enum(VOTE_RULES),
});

export const RegionReportSchema = z.strictObject({
  id: z.string().min(1),
  boxVoxels: z.strictObject({ min: voxelVec3, max: voxelVec3 }).describe('Inclusive voxel box [x, y, z]'),
  boxMm: z.strictObject({ min: vec3, max: vec3 }).describe('LPS mm hull of the centres of the box voxels, min ≤ max on each axis (core/geometry.ts voxelBoxToMm)'),
  sizeMm: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).describe('Box extent along L, P, S in mm, voxel faces included (for an axial scan: x, y, z)'),
  centreSlice: nonNegativeInt,
  slicesUsed: z.array(nonNegativeInt).min(1).describe('Axial slices the patches were cut from'),
  volumeMl: z.number().nonnegative().nullable().describe('Volume of the candidate lesion voxels in mL; null if unknown'),
  side: z.enum(['left', 'right', 'both']).nullable().optional().describe("Patient's lung side the region lies in"),
  patches: z.array(PatchReportSchema).min(1),
  vote: VoteReportSchema,
  infectionProbability: probability.optional().describe('Calibrated probability that this region is a true infection (decide/calibrated.ts step 1)'),
  kept: z.boolean().describe('True when voted an infection type (takes part in Noisy-OR); false when dropped'),
});

export const InfectionReportSchema = z.strictObject({
  label,
  displayName: z.string().min(1),
  regionCount: nonNegativeInt,
  noisyOr: probability.describe('P = 1 − ∏(1 − P_i) over the kept regions of this type (§2.6.2 eq. 1)'),
  exportedConfidence: probability.describe('Confidence exported by the rules of §2.6.2 (direct P or softmax); 0 without regions'),
});

/** The paper's decision (§2.6.2): always computed, shown beside the calibrated one. */
export const PaperDecisionSchema = z.strictObject({
  label: label.describe(`An infection label, or '${NO_INFECTION_FOUND}'`),
  displayName: z.string().min(1),
  rule: z.enum(DECISION_RULES),
  confidence: probability.nullable().describe('Exported confidence of the decided type; null for no infection found'),
  tie: z.boolean().describe('Several types had exactly the same P; the first in the class list was taken'),
});

export const DecisionReportSchema = z.strictObject({
  label: label.describe(`An infection label, '${NO_INFECTION_FOUND}', '${INDETERMINATE}' (calibrated, weak evidence) or '${NOT_SCREENED}'`),
  displayName: z.string().min(1),
  mode: z.enum(DECISION_MODES).describe("'calibrated' (default) or 'paper' (the rule of §2.6.2, selected with --decision paper)"),
  rule: z.enum(CASE_DECISION_RULES),
  confidence: probability.nullable().describe('Probability of label: calibrated P(label), or the paper\'s exported confidence; null when indeterminate, not screened, or the paper finds no infection'),
  tie: z.boolean().describe('Several types had exactly the same P; the first in the class list was taken'),
  infectionProbability: probability.optional().describe('Calibrated probability that the case has an infection (calibrated mode)'),
  typeProbabilities: z.record(label, probability).optional().describe('Calibrated P(type | infected) per infection label'),
  operatingPoint: z.strictObject({ infectedAtOrAbove: probability, noInfectionBelow: probability, strongRegionAtOrAbove: probability.optional().describe('Decision 5.0.0: below noInfectionBelow, a case whose strongest region reaches this (with at least strongRegionMinLesionMl of lesion mask) is indeterminate'), strongRegionMinLesionMl: z.number().nonnegative().optional() }).optional().describe('Thresholds on infectionProbability, chosen on patient-level held-out cases (decision model card)'),
  decisionModel: z.strictObject({ id: z.string().min(1), version: z.string().min(1) }).optional(),
  notScreenedReason: z.string().min(1).optional().describe(`Why nothing was screened (label '${NOT_SCREENED}')`),
});

export const HuBandSchema = z.strictObject({
  label: z.string().min(1).describe("e.g. 'aerated', 'ground-glass', 'consolidation'"),
  minHu: z.number().nullable().describe('Inclusive lower bound; null = open'),
  maxHu: z.number().nullable().describe('Exclusive upper bound; null = open'),
  fraction: probability.describe('Fraction of the lung volume in this band'),
});

export const LungThirdsSchema = z.strictObject({
  upper: percent.nullable(),
  middle: percent.nullable(),
  lower: percent.nullable(),
});

export const LungSideStatsSchema = z.strictObject({
  volumeMl: z.number().nonnegative().nullable(),
  huBands: z.array(HuBandSchema).nullable(),
  involvedPercent: percent.nullable().describe('Percent of this lung inside lesions of kept regions'),
  thirds: LungThirdsSchema.nullable().describe('Involved percent of each cranio-caudal third of this lung'),
});

export const LungStatsSchema = z.strictObject({
  left: LungSideStatsSchema.nullable(),
  right: LungSideStatsSchema.nullable(),
  method: z.string().optional().describe('How the lungs were segmented, in words'),
  involvementFrom: z.enum(['lesion-mask', 'candidate-regions']).optional().describe("What involvedPercent counts: the segmenter's lesion mask at its Dice-optimal threshold, or the voxels of infection-voted candidate regions"),
});

export const CaseReportSchema = z
  .strictObject({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.strictObject({ name: z.literal('ctscreen'), version: z.string().min(1) }),
    createdAt: z.iso.datetime({ offset: true }),
    notice: z.literal(NOT_A_DIAGNOSTIC_DEVICE_NOTICE),
    input: InputDescriptionSchema,
    classes: ClassListSchema,
    models: z.array(ModelRefSchema),
    decision: DecisionReportSchema,
    paperDecision: PaperDecisionSchema.nullable().describe("The paper's §2.6.2 decision from the same regions, whatever the mode; null when not screened"),
    infections: z.array(InfectionReportSchema).describe('One entry per infection label, in class-list order'),
    regions: z.array(RegionReportSchema).describe('Every candidate region, kept or dropped'),
    lung: LungStatsSchema.nullable(),
    warnings: z.array(z.string()),
    timingsMs: z.partialRecord(z.enum(TIMING_STAGES), z.number().nonnegative()),
  })
  .superRefine((r, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const { labels, infectionLabels, irrelevantLabel } = r.classes;
    const labelSet = new Set(labels);
    if (labelSet.size !== labels.length) issue(['classes', 'labels'], 'labels are not unique');
    if (!labelSet.has(irrelevantLabel)) issue(['classes', 'irrelevantLabel'], `'${irrelevantLabel}' is not among the labels`);
    infectionLabels.forEach((l, i) => {
      if (!labelSet.has(l) || l === irrelevantLabel) issue(['classes', 'infectionLabels', i], `'${l}' must be a label other than the irrelevant one`);
    });

    const reserved = new Set<string>(RESERVED_DECISION_LABELS);
    for (const l of reserved) if (labelSet.has(l)) issue(['classes', 'labels'], `'${l}' is reserved for the decision`);
    const pd = r.paperDecision;
    const isNone = pd?.label === NO_INFECTION_FOUND;
    if (pd) {
      if (!isNone && !infectionLabels.includes(pd.label)) issue(['paperDecision', 'label'], `'${pd.label}' is neither an infection label nor '${NO_INFECTION_FOUND}'`);
      if (isNone !== (pd.rule === 'no-infection')) issue(['paperDecision', 'rule'], `rule '${pd.rule}' does not fit decision '${pd.label}'`);
      if (isNone !== (pd.confidence === null)) issue(['paperDecision', 'confidence'], 'confidence must be null exactly when no infection is found');
    }

    const d = r.decision;
    const notScreened = d.label === NOT_SCREENED;
    if (notScreened !== (d.rule === 'not-screened')) issue(['decision', 'rule'], `rule '${d.rule}' does not fit decision '${d.label}'`);
    if (notScreened !== (d.notScreenedReason !== undefined)) issue(['decision', 'notScreenedReason'], `a reason is given exactly when the decision is '${NOT_SCREENED}'`);
    if (notScreened && d.confidence !== null) issue(['decision', 'confidence'], `must be null when '${NOT_SCREENED}'`);
    if (notScreened && r.regions.length > 0) issue(['regions'], `a case that was not screened has no regions`);
    if (notScreened !== (pd === null)) issue(['paperDecision'], `is null exactly when the case was not screened`);
    if (pd && d.mode === 'paper') {
      if (d.label !== pd.label || d.rule !== pd.rule || d.confidence !== pd.confidence) issue(['decision'], 'in paper mode the decision is the paper decision');
    }
    if (pd && d.mode === 'calibrated') {
      if (d.rule !== 'calibrated') issue(['decision', 'rule'], `must be 'calibrated' in calibrated mode`);
      if (d.label !== NO_INFECTION_FOUND && d.label !== INDETERMINATE && !infectionLabels.includes(d.label)) issue(['decision', 'label'], `'${d.label}' is not a decision label`);
      if ((d.label === INDETERMINATE) !== (d.confidence === null)) issue(['decision', 'confidence'], `must be null exactly when '${INDETERMINATE}'`);
      if (d.infectionProbability === undefined || d.operatingPoint === undefined || d.typeProbabilities === undefined) issue(['decision'], 'calibrated mode needs infectionProbability, typeProbabilities and operatingPoint');
    }

    if (r.infections.map((s) => s.label).join('\n') !== infectionLabels.join('\n')) {
      issue(['infections'], `must list the infection labels in order: ${infectionLabels.join(', ')}`);
    }
    const decided = pd ? r.infections.find((s) => s.label === pd.label) : undefined;
    r.infections.forEach((s, i) => {
      if (isNone && s.noisyOr !== 0) issue(['infections', i, 'noisyOr'], 'must be 0 when no infection is found');
      if (decided && s.noisyOr > decided.noisyOr) issue(['infections', i, 'noisyOr'], `exceeds that of the decided type '${d.label}'`);
      const kept = r.regions.filter((g) => g.kept && g.vote.label === s.label).length;
      if (s.regionCount !== kept) issue(['infections', i, 'regionCount'], `is ${s.regionCount} but ${kept} kept regions voted '${s.label}'`);
    });

    const dims = r.input.dimsVoxels;
    const ids = new Set<string>();
    r.regions.forEach((g, i) => {
      const at = (...p: (string | number)[]) => ['regions', i, ...p];
      if (ids.has(g.id)) issue(at('id'), `duplicate region id '${g.id}'`);
      ids.add(g.id);
      for (let a = 0; a < 3; a++) {
        if (g.boxVoxels.min[a] > g.boxVoxels.max[a]) issue(at('boxVoxels'), `min exceeds max on axis ${'xyz'[a]}`);
        if (g.boxVoxels.max[a] >= dims[a]) issue(at('boxVoxels', 'max', a), `${g.boxVoxels.max[a]} is outside the volume (${dims[a]} voxels on ${'xyz'[a]})`);
      }
      if (g.centreSlice < g.boxVoxels.min[2] || g.centreSlice > g.boxVoxels.max[2]) issue(at('centreSlice'), 'is outside the box');
      g.slicesUsed.forEach((z, j) => {
        if (z >= dims[2]) issue(at('slicesUsed', j), `slice ${z} is outside the volume (${dims[2]} slices)`);
      });
      g.patches.forEach((p, j) => {
        const keys = Object.keys(p.probabilities);
        if (keys.length !== labels.length || keys.some((k) => !labelSet.has(k))) issue(at('patches', j, 'probabilities'), `keys must be exactly ${labels.join(', ')}`);
        if (!labelSet.has(p.predictedLabel)) issue(at('patches', j, 'predictedLabel'), `'${p.predictedLabel}' is not a class label`);
        if (!g.slicesUsed.includes(p.sliceIndex)) issue(at('patches', j, 'sliceIndex'), `slice ${p.sliceIndex} is not in slicesUsed`);
      });
      if (!labelSet.has(g.vote.label)) issue(at('vote', 'label'), `'${g.vote.label}' is not a class label`);
      if (g.vote.patchIndex >= g.patches.length) issue(at('vote', 'patchIndex'), `there are only ${g.patches.length} patches`);
      if (g.kept !== infectionLabels.includes(g.vote.label)) issue(at('kept'), `must be ${!g.kept} for a region voted '${g.vote.label}'`);
    });
  });

export type CaseReport = z.infer<typeof CaseReportSchema>;
export type RegionReport = z.infer<typeof RegionReportSchema>;
export type PatchReport = z.infer<typeof PatchReportSchema>;
export type DecisionReport = z.infer<typeof DecisionReportSchema>;
export type PaperDecisionReport = z.infer<typeof PaperDecisionSchema>;
export type InfectionReport = z.infer<typeof InfectionReportSchema>;
export type InputDescription = z.infer<typeof InputDescriptionSchema>;
export type LungStats = z.infer<typeof LungStatsSchema>;
export type LungSideStats = z.infer<typeof LungSideStatsSchema>;
export type ModelRef = z.infer<typeof ModelRefSchema>;
export type ClassList = z.infer<typeof ClassListSchema>;

/** How many schema problems an error message lists before "and N more". */
const MAX_LISTED_ISSUES = 3;

/**
 * Parses and checks a case report (e.g. JSON read back from a file or sent to the server).
 * Throws an InputError naming `source` and the first bad fields.
 */
export function validateCaseReport(x: unknown, source = 'case report'): CaseReport {
  const version = (x as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'string' && version !== REPORT_SCHEMA_VERSION) {
    const major = (v: string) => v.split('.')[0];
    if (major(version) !== major(REPORT_SCHEMA_VERSION)) {
      throw new InputError('REPORT_VERSION', `${source} has schema version ${version}; this ctscreen reads ${REPORT_SCHEMA_VERSION} (major ${major(REPORT_SCHEMA_VERSION)})`);
    }
  }
  const r = CaseReportSchema.safeParse(x);
  if (!r.success) {
    const all = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    const more = all.length > MAX_LISTED_ISSUES ? `; and ${all.length - MAX_LISTED_ISSUES} more` : '';
    throw new InputError('REPORT_INVALID', `${source} is not a valid ctscreen case report (schema ${REPORT_SCHEMA_VERSION}): ${all.slice(0, MAX_LISTED_ISSUES).join('; ')}${more}`);
  }
  return r.data;
}

/** Everything of a report that the screening computes; `createCaseReport` adds the rest. */
export type CaseReportBody = Omit<CaseReport, 'schemaVersion' | 'tool' | 'createdAt' | 'notice'>;

export interface CreateReportOptions {
  /** Creation time; now by default. */
  now?: Date;
  /** ctscreen version; the package version by default. */
  toolVersion?: string;
}


/**
 * Stamps a report body with schema version, tool version, time and notice, and validates it.
 * A body that fails validation is a bug in ctscreen (its readers must turn every quirk of the input
 * into a valid description or an InputError), so it throws an InternalError: exit 1, not 2.
 */
export function createCaseReport(body: CaseReportBody, options: CreateReportOptions = {}): CaseReport {
  const report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'ctscreen' as const, version: options.toolVersion ?? ctscreenVersion() },
    createdAt: (options.now ?? new Date()).toISOString(),
    notice: NOT_A_DIAGNOSTIC_DEVICE_NOTICE,
    ...body,
  };
  try {
    return validateCaseReport(report, 'internally built case report');
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InternalError('REPORT_INTERNAL_INVALID', `${e.message} (a bug in ctscreen: please report it)`, { cause: e });
  }
}

/** JSON Schema (draft 2020-12) of the report's shape; the cross-field checks are described only in prose. */
export function caseReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(CaseReportSchema, { unrepresentable: 'any' }) as Record<string, unknown>;
}

/**
 * The report's input description of a volume: format, grid and series UID, never its path. Values
 * read from the input are carried as read when the schema allows it and left out otherwise (the
 * reader warns, see dicomUidProblem); the grid is checked by the readers (io/check-volume.ts).
 */
export function describeInput(volume: Pick<Volume, 'dims' | 'spacingMm' | 'source'>): InputDescription {
  const s = volume.source;
  const out: InputDescription = {
    format: s.format,
    dimsVoxels: [volume.dims[0], volume.dims[1], volume.dims[2]],
    spacingMm: [volume.spacingMm[0], volume.spacingMm[1], volume.spacingMm[2]],
    sliceCount: s.sliceCount,
    pseudoHu: s.pseudoHu,
  };
  const modality = reportableText(s.modality);
  if (modality !== undefined) out.modality = modality;
  const uid = reportableUid(s.seriesInstanceUid);
  if (uid !== undefined) out.seriesInstanceUid = uid;
  const description = reportableText(s.seriesDescription);
  if (description !== undefined) out.seriesDescription = description;
  const syntax = reportableText(s.transferSyntaxUid);
  if (syntax !== undefined) out.transferSyntaxUid = syntax;
  return out;
}
