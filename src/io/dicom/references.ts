/**
 * What DICOM outputs (SEG, SR, secondary capture) need of the source series, kept apart from the
 * privacy-scrubbed Volume: the study, series, frame of reference and per-slice SOP instance UIDs, and
 * the patient and study modules to copy so that results file under the same study in a PACS.
 *
 *   dicomReferences(geom, firstFile): DicomReferences     built by the DICOM reader (dicom.ts)
 *   isValidDicomUid(s): boolean                           PS3.5 §9.1 syntax check
 *
 * The patient and study attributes are identifying. They live only here, never go into report.json,
 * a log line or an error message: `PatientStudyModules` prints as a placeholder in JSON.stringify and
 * util.inspect, so a careless `console.log(references)` leaks nothing.
 */
import { inspect } from 'node:util';
import type { NaturalizedDataset } from 'dcmjs';
import type { Vec3 } from '../../core/volume.ts';
import type { DicomSliceHeader } from './parse.ts';
import type { SliceGeometry } from './series.ts';

/** Two positions closer than this (mm) are one position: the source slice and the grid slice coincide. */
export const SAME_POSITION_TOLERANCE_MM = 0.01;

/** Patient, Patient Study and General Study attributes copied from the source into every output (PS3.3 C.7.1.1, C.7.2.1, C.7.2.2). */
export const COPIED_PATIENT_STUDY_KEYWORDS = [
  'PatientName', 'PatientID', 'IssuerOfPatientID', 'IssuerOfPatientIDQualifiersSequence', 'PatientBirthDate', 'PatientBirthTime', 'PatientSex',
  'OtherPatientIDsSequence', 'PatientIdentityRemoved', 'DeidentificationMethod', 'DeidentificationMethodCodeSequence',
  'PatientAge', 'PatientSize', 'PatientWeight',
  'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'IssuerOfAccessionNumberSequence', 'StudyDescription',
] as const;

/** One source image a volume slice came from. */
export interface SourceInstanceRef {
  sopClassUid: string;
  sopInstanceUid: string;
  /** ImagePositionPatient of the source slice, LPS mm. */
  positionMm: Vec3;
}

/**
 * The identifying attributes of the source, in dcmjs's naturalized form; never serialised or printed.
 * They are read from the source's first file only when a DICOM output asks for them (`load()`): a
 * screening without DICOM outputs never loads dcmjs.
 */
export class PatientStudyModules {
  #source: Uint8Array | null;
  #attributes: NaturalizedDataset | null;
  #read = false;
  /** `source`: the first source file's bytes, read on load() (null: no file, empty attributes). */
  constructor(source: Uint8Array | null) {
    this.#source = source;
    this.#attributes = null;
  }
  /** Reads the attributes from the source file (once). */
  async load(): Promise<void> {
    if (this.#attributes) return;
    const { readPatientStudy } = await import('./patient-study-reader.ts');
    const { modules, read } = readPatientStudy(this.#source, COPIED_PATIENT_STUDY_KEYWORDS);
    this.#attributes = modules;
    this.#read = read;
    this.#source = null;
  }
  /** False when the source's modules could not be read (e.g. a raw, non-Part-10 file); meaningful after load(). */
  get read(): boolean {
    return this.#read;
  }
  /** A copy of the attributes, for a DICOM writer only; load() first. */
  attributes(): NaturalizedDataset {
    if (!this.#attributes) throw new Error('PatientStudyModules.attributes() before load(): a DICOM writer must await load() first');
    // dcmjs's values carry accessor properties structuredClone refuses; they are plain JSON underneath
    return JSON.parse(JSON.stringify(this.#attributes)) as NaturalizedDataset;
  }
  toJSON(): string {
    return '[patient and study attributes withheld]';
  }
  [inspect.custom](): string {
    return 'PatientStudyModules [withheld]';
  }
}

export interface DicomReferences {
  /** As in the source; may be '' or not a valid UID (writers check with isValidDicomUid). */
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  modality: string;
  /** ImageOrientationPatient of the series: row direction, then column direction. */
  orientation: readonly [number, number, number, number, number, number];
  /** Source instances in the reader's slice order (ascending along the slice normal). */
  instances: SourceInstanceRef[];
  /**
   * For each volume slice z: the source instance at that position (`exact`), or the nearest one when
   * the reader resampled an uneven stack or shifted a tilted one (then the grid slice is not a source slice).
   */
  sliceSources: Array<{ instance: number; exact: boolean }>;
  /** Read on demand (`await patientStudy.load()`); `patientStudy.read` is false when the file could not be read. */
  patientStudy: PatientStudyModules;
}

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** PS3.5 §9.1: digits and dots, no leading zeros in a component, at most 64 characters. */
export function isValidDicomUid(s: string): boolean {
  return s.length > 0 && s.length <= 64 && UID_PATTERN.test(s);
}

/** The references of the series the reader turned into a volume (geom.ordered is its slice order). */
export function dicomReferences(geom: SliceGeometry, firstFile: Uint8Array | null): DicomReferences {
  const ordered: DicomSliceHeader[] = geom.ordered;
  const first = ordered[0];
  const instances = ordered.map((h) => ({ sopClassUid: h.sopClassUid, sopInstanceUid: h.sopInstanceUid, positionMm: h.positionMm! }));
  const nz = geom.dims[2];
  const sliceSources: DicomReferences['sliceSources'] = [];
  let j = 0;
  for (let z = 0; z < nz; z++) {
    const along = z * geom.sliceStepMm;
    while (j + 1 < geom.alongNormalMm.length && Math.abs(geom.alongNormalMm[j + 1] - along) <= Math.abs(geom.alongNormalMm[j] - along)) j++;
    const shift = geom.inPlaneShiftPx[j];
    const inPlaneMm = Math.hypot(shift[0] * geom.spacingMm[0], shift[1] * geom.spacingMm[1]);
    sliceSources.push({ instance: j, exact: Math.abs(geom.alongNormalMm[j] - along) < SAME_POSITION_TOLERANCE_MM && inPlaneMm < SAME_POSITION_TOLERANCE_MM });
  }
  return {
    studyInstanceUid: first.studyInstanceUid,
    seriesInstanceUid: first.seriesInstanceUid,
    frameOfReferenceUid: first.frameOfReferenceUid,
    modality: first.modality,
    orientation: first.orientation!,
    instances,
    sliceSources,
    patientStudy: new PatientStudyModules(firstFile),
  };
}
