/**
 * The case report as a DICOM Comprehensive 3D SR following TID 1500 (Measurement Report), a new
 * series in the source study:
 *
 *   Imaging Measurement Report (TID 1500)
 *     language; observer = device ctscreen (model ids); procedure reported = CT of chest
 *     Image Library: every source slice
 *     Imaging Measurements
 *       'case'             (TID 1501) finding = decision, exported confidence, calibrated probability when present
 *       'noisy-or <label>' (TID 1501) finding = infection type, Noisy-OR P (§2.6.2 eq. 1), exported confidence, regions
 *       'right lung' / 'left lung' (TID 1411 → SEG lung segment) volume mL, involvement %
 *       'R<k>'             (TID 1411 → SEG segment of its voted class when kept; TID 1501 when dropped)
 *                          finding = voted class, finding site = lung side, volume mL, distance from edge, vote confidence
 *     Qualitative Evaluations: screening result (coded), the not-a-diagnostic-device notice
 *
 *   buildMeasurementReport(input, ctx): DicomObject
 *
 * Every number is written as DS (NumericValue) and, when DS's 16 characters lose digits, also as
 * FloatingPointValue, so that the SR reads back to exactly the values of report.json.
 * Built by hand in dcmjs's naturalized form (dcmjs's `sr` helpers cover only part of TID 1500), written by dcmjs.
 */
import type { NaturalizedDataset } from 'dcmjs';
import type { CaseReport, RegionReport } from '../../core/report-schema.ts';
import { CODES, CODING_SCHEME_IDENTIFICATION, labelCode, sideCode, UNITS } from './codes.ts';
import { CTSCREEN_IMPLEMENTATION_CLASS_UID, ds, equipment, lo, MANUFACTURER, newSeries, newUid, part10Bytes, patientStudyModules, SERIES_NUMBER, SOP_CLASS, sopCommon, sopReference, type Code, type DicomWriteContext } from './dicom-common.ts';
import type { SegmentationObject } from './dicom-seg.ts';

export interface DicomObject {
  bytes: Uint8Array;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

export interface MeasurementReportInput {
  report: CaseReport;
  /** The SEG the measurement groups reference; null when none was written. */
  seg: Pick<SegmentationObject, 'sopClassUid' | 'sopInstanceUid' | 'seriesInstanceUid' | 'segments'> | null;
}

type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS PROPERTIES';
type Item = NaturalizedDataset;

const container = (rel: Relationship | null, concept: Code, children: Item[], template?: string): Item => ({
  ...(rel ? { RelationshipType: rel } : {}),
  ValueType: 'CONTAINER',
  ConceptNameCodeSequence: [concept],
  ContinuityOfContent: 'SEPARATE',
  ...(template ? { ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: template }] } : {}),
  // an empty ContentSequence is an error (type 1C): a container without children has none
  ...(children.length > 0 ? { ContentSequence: children } : {}),
});
const text = (rel: Relationship, concept: Code, value: string): Item => ({ RelationshipType: rel, ValueType: 'TEXT', ConceptNameCodeSequence: [concept], TextValue: value });
const coded = (rel: Relationship, concept: Code, value: Code): Item => ({ RelationshipType: rel, ValueType: 'CODE', ConceptNameCodeSequence: [concept], ConceptCodeSequence: [value] });
const uidref = (rel: Relationship, concept: Code, uid: string): Item => ({ RelationshipType: rel, ValueType: 'UIDREF', ConceptNameCodeSequence: [concept], UID: uid });
function num(concept: Code, value: number, unit: Code): Item {
  const numeric = ds(value);
  const measured: NaturalizedDataset = { NumericValue: numeric, MeasurementUnitsCodeSequence: [unit] };
  // FloatingPointValue is required when NumericValue cannot hold the value's precision (PS3.3 C.18.1)
  if (Number(numeric) !== value) measured.FloatingPointValue = value;
  return { RelationshipType: 'CONTAINS', ValueType: 'NUM', ConceptNameCodeSequence: [concept], MeasuredValueSequence: [measured] };
}

function algorithmItems(report: CaseReport): Item[] {
  const c = report.models.find((m) => m.role === 'classifier');
  if (!c) return [];
  const candidates = report.models.find((m) => m.role === 'candidates');
  const params = [c.sha256 ? `sha256=${c.sha256}` : null, candidates ? `candidates=${candidates.id} ${candidates.version}${candidates.sha256 ? ` sha256=${candidates.sha256}` : ''}` : null].filter((s) => s !== null).join('; ');
  const items = [text('HAS CONCEPT MOD', CODES.algorithmName, c.id), text('HAS CONCEPT MOD', CODES.algorithmVersion, c.version)];
  if (params) items.push(text('HAS CONCEPT MOD', CODES.algorithmParameters, params));
  return items;
}

function group(trackingId: string, body: Item[], template: '1411' | '1501'): Item {
  return container('CONTAINS', CODES.measurementGroup, [text('CONTAINS', CODES.trackingIdentifier, trackingId), uidref('CONTAINS', CODES.trackingUid, newUid()), ...body], template);
}

/** TID 1411 rows that point at a SEG segment. */
function segmentReference(seg: NonNullable<MeasurementReportInput['seg']>, segmentNumber: number, ctx: DicomWriteContext): Item[] {
  const items: Item[] = [
    {
      RelationshipType: 'CONTAINS',
      ValueType: 'IMAGE',
      ConceptNameCodeSequence: [CODES.referencedSegment],
      ReferencedSOPSequence: [{ ReferencedSOPClassUID: seg.sopClassUid, ReferencedSOPInstanceUID: seg.sopInstanceUid, ReferencedSegmentNumber: segmentNumber }],
    },
  ];
  if (ctx.sourceSeriesUid) items.push(uidref('CONTAINS', CODES.sourceSeriesForSegmentation, ctx.sourceSeriesUid));
  return items;
}

function regionGroup(r: RegionReport, report: CaseReport, input: MeasurementReportInput, ctx: DicomWriteContext): Item {
  const segment = r.kept ? input.seg?.segments.find((s) => s.kind === 'voted-class' && s.classLabel === r.vote.label) : undefined;
  const body: Item[] = [];
  if (segment && input.seg) body.push(...segmentReference(input.seg, segment.number, ctx));
  body.push(coded('CONTAINS', CODES.finding, labelCode(r.vote.label, report.classes)));
  if (r.side) body.push(coded('HAS CONCEPT MOD', CODES.findingSite, sideCode(r.side)));
  body.push(...algorithmItems(report));
  if (r.volumeMl !== null) body.push(num(CODES.volume, r.volumeMl, UNITS.millilitre));
  const edge = r.patches[r.vote.patchIndex]?.distanceFromEdge ?? null;
  if (edge !== null) body.push(num(CODES.distanceFromEdge, edge, UNITS.ratio));
  body.push(num(CODES.voteConfidence, r.vote.confidence, UNITS.ratio));
  return group(r.id, body, segment ? '1411' : '1501');
}

/** The calibrated probability that the case has an infection (calibrated decision mode only). */
function calibratedProbability(report: CaseReport): number | null {
  const p = report.decision.infectionProbability;
  return typeof p === 'number' && Number.isFinite(p) ? p : null;
}

export function buildMeasurementReport(input: MeasurementReportInput, ctx: DicomWriteContext): DicomObject {
  const { report, seg } = input;
  const refs = ctx.references;
  const classifier = report.models.find((m) => m.role === 'classifier');
  const d = report.decision;
  const decisionCode = labelCode(d.label, report.classes, d.displayName);

  const caseBody: Item[] = [coded('CONTAINS', CODES.finding, decisionCode), ...algorithmItems(report)];
  if (d.confidence !== null) caseBody.push(num(CODES.decisionConfidence, d.confidence, UNITS.ratio));
  const calibrated = calibratedProbability(report);
  if (calibrated !== null) caseBody.push(num(CODES.calibratedProbability, calibrated, UNITS.ratio));
  const measurements: Item[] = [group('case', caseBody, '1501')];

  for (const s of report.infections) {
    measurements.push(
      group(`noisy-or ${s.label}`, [
        coded('CONTAINS', CODES.finding, labelCode(s.label, report.classes, s.displayName)),
        ...algorithmItems(report),
        num(CODES.noisyOr, s.noisyOr, UNITS.ratio),
        num(CODES.exportedConfidence, s.exportedConfidence, UNITS.ratio),
        num(CODES.regionCount, s.regionCount, UNITS.count),
      ], '1501'),
    );
  }
  for (const side of ['right', 'left'] as const) {
    const stats = report.lung?.[side];
    if (!stats) continue;
    const segment = seg?.segments.find((s) => s.kind === `${side}-lung`);
    const body: Item[] = [];
    if (segment && seg) body.push(...segmentReference(seg, segment.number, ctx));
    body.push(coded('CONTAINS', CODES.finding, CODES.lung), coded('HAS CONCEPT MOD', CODES.findingSite, sideCode(side)));
    if (stats.volumeMl !== null) body.push(num(CODES.volume, stats.volumeMl, UNITS.millilitre));
    if (stats.involvedPercent !== null) body.push(num(CODES.involvedPercent, stats.involvedPercent, UNITS.percent));
    measurements.push(group(`${side} lung`, body, segment ? '1411' : '1501'));
  }
  for (const r of report.regions) measurements.push(regionGroup(r, report, input, ctx));

  const library = [...ctx.referenceable].sort((a, b) => a - b).map((i) => ({ RelationshipType: 'CONTAINS', ValueType: 'IMAGE', ReferencedSOPSequence: [sopReference(refs.instances[i])] }));
  const content: Item[] = [
    coded('HAS CONCEPT MOD', CODES.languageOfContent, CODES.english),
    coded('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    uidref('HAS OBS CONTEXT', CODES.deviceObserverUid, CTSCREEN_IMPLEMENTATION_CLASS_UID),
    text('HAS OBS CONTEXT', CODES.deviceObserverName, 'ctscreen'),
    text('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, MANUFACTURER),
    text('HAS OBS CONTEXT', CODES.deviceObserverModelName, lo(`ctscreen ${report.tool.version}${classifier ? ` / ${classifier.id} ${classifier.version}` : ''}`)),
    coded('HAS CONCEPT MOD', CODES.procedureReported, CODES.ctChest),
    container('CONTAINS', CODES.imageLibrary, library.length > 0 ? [container('CONTAINS', CODES.imageLibraryGroup, library)] : []),
    container('CONTAINS', CODES.imagingMeasurements, measurements),
    container('CONTAINS', CODES.qualitativeEvaluations, [coded('CONTAINS', CODES.screeningResult, decisionCode), text('CONTAINS', CODES.notice, report.notice)]),
  ];

  const seriesInstanceUid = newUid();
  const sopInstanceUid = newUid();
  const evidence: NaturalizedDataset[] = [];
  if (ctx.sourceSeriesUid && ctx.referenceable.size > 0) {
    evidence.push({ SeriesInstanceUID: ctx.sourceSeriesUid, ReferencedSOPSequence: [...ctx.referenceable].sort((a, b) => a - b).map((i) => sopReference(refs.instances[i])) });
  }
  if (seg) evidence.push({ SeriesInstanceUID: seg.seriesInstanceUid, ReferencedSOPSequence: [{ ReferencedSOPClassUID: seg.sopClassUid, ReferencedSOPInstanceUID: seg.sopInstanceUid }] });
  const dataset: NaturalizedDataset = {
    ...patientStudyModules(ctx),
    ...newSeries('SR', seriesInstanceUid, SERIES_NUMBER.sr, 'ctscreen measurement report (research, not diagnostic)', ctx.now),
    ReferencedPerformedProcedureStepSequence: [],
    ...equipment(ctx.toolVersion),
    ...sopCommon(SOP_CLASS.comprehensive3dSr, sopInstanceUid, ctx.now),
    InstanceNumber: '1',
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    ...(evidence.length > 0 ? { CurrentRequestedProcedureEvidenceSequence: [{ StudyInstanceUID: ctx.studyUid, ReferencedSeriesSequence: evidence }] } : {}),
    CodingSchemeIdentificationSequence: CODING_SCHEME_IDENTIFICATION,
    ...container(null, CODES.imagingMeasurementReport, content, '1500'),
  };
  return { bytes: part10Bytes(dataset), sopClassUid: SOP_CLASS.comprehensive3dSr, sopInstanceUid, seriesInstanceUid };
}
