/**
 * What every DICOM object ctscreen writes shares: new UIDs, the patient and study modules copied
 * from the source (so results file under the same study), equipment, codes, value formatting, and
 * Part-10 bytes. Data sets are built in dcmjs's naturalized form (keyword → value) and written by
 * dcmjs (`DicomDict.write`), which is correct for that: it looks VRs up in its dictionary, encodes
 * sequences and pads values. Derivations (dcmjs `derive()`, `Segmentation`) are not used: see
 * dicom-seg.ts for why.
 */
import { randomBytes } from 'node:crypto';
import dcmjs, { type NaturalizedDataset } from 'dcmjs';
import { isValidDicomUid, type DicomReferences, type SourceInstanceRef } from '../../io/dicom/references.ts';

/** ctscreen's implementation class UID (2.25 form, generated once for this project). */
export const CTSCREEN_IMPLEMENTATION_CLASS_UID = '2.25.22377588557522829156568599136647764030';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const MANUFACTURER = 'ctscreen (research software, not a diagnostic device)';

export const SOP_CLASS = {
  segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
  comprehensive3dSr: '1.2.840.10008.5.1.4.1.1.88.34',
  secondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
} as const;

/** Series numbers of the result series (the source's own is not read; high numbers sort them last in a viewer). */
export const SERIES_NUMBER = { seg: 9901, sr: 9902, sc: 9903 } as const;

// dcmjs logs through loglevel at 'warn' by default; its messages may quote data set values
dcmjs.log.setLevel('error');

/** A new UID: '2.25.' and a 128-bit random integer in decimal (PS3.5 §B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(10)}`;
}

export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

/** A coded concept; CodeMeaning is LO (at most 64 characters). */
export function code(value: string, scheme: string, meaning: string): Code {
  return { CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: lo(meaning) };
}

/** Text cut to an LO length limit (64), counted in UTF-8 bytes: the values are written as UTF-8. */
export function lo(s: string, max = 64): string {
  let out = s;
  while (Buffer.byteLength(out, 'utf8') > max) out = out.slice(0, -1);
  return out;
}

/** A DS value (at most 16 characters): 10 significant digits, noise near 0 as 0. */
export function ds(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`DS value ${x} is not finite`);
  if (Math.abs(x) < 1e-9) return '0';
  return String(Number(x.toPrecision(10)));
}

/** DA and TM of a moment, UTC. */
export function dicomDateTime(now: Date): { date: string; time: string } {
  const iso = now.toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') };
}

/** What the writers share of one screening: the source, the UIDs resolved once, time, and where warnings go. */
export interface DicomWriteContext {
  references: DicomReferences;
  toolVersion: string;
  now: Date;
  /** The source's StudyInstanceUID, or a new one when the source's is not a valid UID. */
  studyUid: string;
  /** The source's FrameOfReferenceUID, or a new one when it is missing or not valid. */
  frameOfReferenceUid: string;
  /** The source SeriesInstanceUID when it can be referenced, else null. */
  sourceSeriesUid: string | null;
  /** Indices (into references.instances) of the source slices whose UIDs can be referenced. */
  referenceable: ReadonlySet<number>;
  /** Warnings the writers add (never with patient data or UIDs): shown with the report. */
  warnings: string[];
}

/**
 * Resolves the UIDs the outputs reference. A source UID that is not a valid DICOM UID (e.g. a UUID
 * from a converter) is never copied: where the standard requires one a new UID is made, references
 * to it are left out, and a warning says which (without the value).
 */
export async function dicomWriteContext(references: DicomReferences, options: { toolVersion: string; now: Date }): Promise<DicomWriteContext> {
  // the source's patient and study modules, read on first use (dcmjs loads only for DICOM outputs)
  await references.patientStudy.load();
  const warnings: string[] = [];
  const state = (s: string) => (s === '' ? 'missing' : 'not a valid DICOM UID');
  let studyUid = references.studyInstanceUid;
  if (!isValidDicomUid(studyUid)) {
    warnings.push(`DICOM outputs: the source StudyInstanceUID is ${state(studyUid)}; the SEG, SR and secondary captures were given a new study UID, so a PACS files them apart from the source study`);
    studyUid = newUid();
  }
  let frameOfReferenceUid = references.frameOfReferenceUid;
  if (!isValidDicomUid(frameOfReferenceUid)) {
    warnings.push(`DICOM outputs: the source FrameOfReferenceUID is ${state(frameOfReferenceUid)}; the SEG was given a new one, so a viewer may not register it with the CT by UID`);
    frameOfReferenceUid = newUid();
  }
  const sourceSeriesUid = isValidDicomUid(references.seriesInstanceUid) ? references.seriesInstanceUid : null;
  const referenceable = new Set<number>();
  references.instances.forEach((s, i) => {
    if (sourceSeriesUid && isValidDicomUid(s.sopInstanceUid) && isValidDicomUid(s.sopClassUid)) referenceable.add(i);
  });
  if (referenceable.size < references.instances.length) {
    const n = references.instances.length;
    warnings.push(
      sourceSeriesUid
        ? `DICOM outputs: ${n - referenceable.size} of ${n} source slices have SOP Instance or Class UIDs that are not valid DICOM UIDs; the results do not reference those slices`
        : `DICOM outputs: the source SeriesInstanceUID is ${state(references.seriesInstanceUid)}; the results reference no source slices`,
    );
  }
  return { references, toolVersion: options.toolVersion, now: options.now, studyUid, frameOfReferenceUid, sourceSeriesUid, referenceable, warnings };
}

/** A Referenced SOP / Source Image item for a source slice. */
export function sopReference(s: SourceInstanceRef): NaturalizedDataset {
  return { ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: s.sopInstanceUid };
}

/**
 * Patient, Patient Study and General Study modules from the source, type-2 attributes present even
 * when the source lacks them (PS3.3 C.7.1.1, C.7.2.1). Text is UTF-8: dcmjs decodes the source's
 * character set when reading and encodes UTF-8 when writing, hence ISO_IR 192.
 */
export function patientStudyModules(ctx: DicomWriteContext): NaturalizedDataset {
  const copied = ctx.references.patientStudy.attributes();
  const out: NaturalizedDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    PatientName: '',
    PatientID: '',
    PatientBirthDate: '',
    PatientSex: '',
    StudyDate: '',
    StudyTime: '',
    ReferringPhysicianName: '',
    StudyID: '',
    AccessionNumber: '',
    ...copied,
    StudyInstanceUID: ctx.studyUid,
  };
  return out;
}

/** General Series (and the modality's series module) of a new result series. */
export function newSeries(modality: string, seriesUid: string, seriesNumber: number, description: string, now: Date): NaturalizedDataset {
  const { date, time } = dicomDateTime(now);
  return { Modality: modality, SeriesInstanceUID: seriesUid, SeriesNumber: String(seriesNumber), SeriesDescription: lo(description), SeriesDate: date, SeriesTime: time };
}

/** General Equipment and Enhanced General Equipment (PS3.3 C.7.5.1, C.7.5.2). */
export function equipment(toolVersion: string): NaturalizedDataset {
  return { Manufacturer: MANUFACTURER, ManufacturerModelName: 'ctscreen', DeviceSerialNumber: 'none', SoftwareVersions: toolVersion };
}

/** SOP Common plus the instance's creation time. */
export function sopCommon(sopClassUid: string, sopInstanceUid: string, now: Date): NaturalizedDataset {
  const { date, time } = dicomDateTime(now);
  return { SOPClassUID: sopClassUid, SOPInstanceUID: sopInstanceUid, InstanceCreationDate: date, InstanceCreationTime: time, ContentDate: date, ContentTime: time };
}

/**
 * Part-10 bytes of a naturalized data set, Explicit VR Little Endian, written by dcmjs. Native pixel
 * data (OB) are appended here rather than by dcmjs, which copies large buffers slowly (≈ 0.1 s per MB
 * measured); Pixel Data (7FE0,0010) is the last element of these data sets, so appending keeps tag order.
 */
export function part10Bytes(dataset: NaturalizedDataset, pixelData?: Uint8Array): Uint8Array {
  if (dataset.PixelData !== undefined) throw new Error('part10Bytes: pass pixel data as the second argument');
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: CTSCREEN_IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'CTSCREEN',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  const head = new Uint8Array(dict.write());
  if (!pixelData) return head;
  const length = pixelData.length + (pixelData.length % 2);
  const out = new Uint8Array(head.length + 12 + length);
  out.set(head, 0);
  const v = new DataView(out.buffer, head.length, 12);
  v.setUint16(0, 0x7fe0, true);
  v.setUint16(2, 0x0010, true);
  out[head.length + 4] = 0x4f; // 'O'
  out[head.length + 5] = 0x42; // 'B'
  v.setUint32(8, length, true);
  out.set(pixelData, head.length + 12);
  return out;
}

/** A Part-10 file read back into naturalized form (tests, and the SEG renderer). */
export function readNaturalized(bytes: Uint8Array): NaturalizedDataset {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(buffer);
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
}
