/**
 * Coded concepts of ctscreen's DICOM outputs: SNOMED CT (SCT) and DICOM (DCM) codes where the
 * standard has them (segment categories CID 7150, types CID 7151 / 7152, algorithm families CID 7162,
 * TID 1500 / 1411 / 1501 concept names), and ctscreen's own coding scheme 99CTSCREEN (a private
 * scheme, PS3.16 §8.2: designator starting "99", declared in CodingSchemeIdentificationSequence) for
 * what no standard code says: Noisy-OR probability, the paper's distance-from-edge, the screening result.
 */
import type { ClassList } from '../../core/report-schema.ts';
import { NO_INFECTION_FOUND } from '../../core/report-schema.ts';
import { code, type Code } from './dicom-common.ts';

export const PRIVATE_SCHEME = '99CTSCREEN';
export const CODING_SCHEME_IDENTIFICATION = [
  { CodingSchemeDesignator: PRIVATE_SCHEME, CodingSchemeName: 'ctscreen local codes', CodingSchemeResponsibleOrganization: 'ctscreen project' },
];

export const CODES = {
  // segment categories and types
  anatomicalStructure: code('91723000', 'SCT', 'Anatomical Structure'),
  abnormalStructure: code('49755003', 'SCT', 'Morphologically Abnormal Structure'),
  lung: code('39607008', 'SCT', 'Lung'),
  rightLung: code('3341006', 'SCT', 'Right lung'),
  leftLung: code('44029006', 'SCT', 'Left lung'),
  lesion: code('52988006', 'SCT', 'Lesion'),
  covid19: code('840539006', 'SCT', 'COVID-19'),
  pneumonia: code('233604007', 'SCT', 'Pneumonia'),
  // algorithm families (CID 7162)
  artificialIntelligence: code('123110', 'DCM', 'Artificial Intelligence'),
  morphologicalOperations: code('123104', 'DCM', 'Morphological Operations'),
  // SEG derivation
  segmentation: code('113076', 'DCM', 'Segmentation'),
  sourceImageForProcessing: code('121322', 'DCM', 'Source image for image processing operation'),
  // TID 1500 and its sub-templates
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  languageOfContent: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  english: code('eng', 'RFC5646', 'English'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: code('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: code('121015', 'DCM', 'Device Observer Model Name'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  ctChest: code('169069000', 'SCT', 'CT of chest'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUid: code('112040', 'DCM', 'Tracking Unique Identifier'),
  referencedSegment: code('121191', 'DCM', 'Referenced Segment'),
  sourceSeriesForSegmentation: code('121232', 'DCM', 'Source series for segmentation'),
  finding: code('121071', 'DCM', 'Finding'),
  findingSite: code('363698007', 'SCT', 'Finding Site'),
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  algorithmParameters: code('111002', 'DCM', 'Algorithm Parameters'),
  volume: code('118565006', 'SCT', 'Volume'),
  qualitativeEvaluations: code('C0034375', 'UMLS', 'Qualitative Evaluations'),
  // ctscreen's own
  screeningResult: code('SCREENRESULT', PRIVATE_SCHEME, 'Screening result'),
  decisionConfidence: code('DECISIONCONF', PRIVATE_SCHEME, 'Exported confidence of the screening result'),
  calibratedProbability: code('CALIBPROB', PRIVATE_SCHEME, 'Calibrated probability of an infection'),
  noisyOr: code('NOISYOR', PRIVATE_SCHEME, 'Noisy-OR probability'),
  exportedConfidence: code('EXPORTEDCONF', PRIVATE_SCHEME, 'Exported confidence'),
  regionCount: code('REGIONCOUNT', PRIVATE_SCHEME, 'Number of regions voted this type'),
  distanceFromEdge: code('DISTEDGE', PRIVATE_SCHEME, 'Relative distance from lung edge'),
  voteConfidence: code('VOTECONF', PRIVATE_SCHEME, 'Region vote confidence'),
  involvedPercent: code('INVOLVED', PRIVATE_SCHEME, 'Lung involvement'),
  notice: code('NOTICE', PRIVATE_SCHEME, 'Notice'),
  noInfectionFound: code('NOINFECTIONFOUND', PRIVATE_SCHEME, 'No infection found'),
  notScreened: code('NOTSCREENED', PRIVATE_SCHEME, 'Not screened'),
  indeterminate: code('INDETERMINATE', PRIVATE_SCHEME, 'Indeterminate'),
  irrelevant: code('IRRELEVANT', PRIVATE_SCHEME, 'Irrelevant to infection'),
} as const;

export const UNITS = {
  millilitre: code('ml', 'UCUM', 'milliliter'),
  percent: code('%', 'UCUM', 'percent'),
  ratio: code('1', 'UCUM', 'no units'),
  count: code('{regions}', 'UCUM', 'regions'),
} as const;

/** Known class labels (the model cards' and the decision's) → their standard code. */
const KNOWN: Readonly<Record<string, Code>> = {
  covid19: CODES.covid19,
  other_pneumonia: CODES.pneumonia,
  [NO_INFECTION_FOUND]: CODES.noInfectionFound,
  not_screened: CODES.notScreened,
  indeterminate: CODES.indeterminate,
};

/**
 * The code of a class or decision label: a standard one when known, the irrelevant class and any
 * unknown label as a private code (its value the label, upper-cased to an SH of 16 characters).
 */
export function labelCode(label: string, classes: Pick<ClassList, 'irrelevantLabel' | 'displayNames'>, displayName?: string): Code {
  const known = KNOWN[label];
  if (known) return known;
  if (label === classes.irrelevantLabel) return CODES.irrelevant;
  const value = label.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 16) || 'UNKNOWN';
  return code(value, PRIVATE_SCHEME, displayName ?? classes.displayNames?.[label] ?? label);
}

/** The finding site of a lung side. */
export function sideCode(side: 'left' | 'right' | 'both'): Code {
  return side === 'right' ? CODES.rightLung : side === 'left' ? CODES.leftLung : CODES.lung;
}
