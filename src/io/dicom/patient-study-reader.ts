/**
 * The patient/study attributes of one source file, read by dcmjs (which decodes the character set to
 * UTF-8). A module of its own so that dcmjs (≈ 40 ms to load) is loaded only when a DICOM output asks
 * for them (references.ts imports this lazily), not at every DICOM read.
 *
 *   readPatientStudy(file, keywords): { modules, read }
 */
import dcmjs, { type NaturalizedDataset } from 'dcmjs';

export function readPatientStudy(file: Uint8Array | null, keywords: readonly string[]): { modules: NaturalizedDataset; read: boolean } {
  if (!file) return { modules: {}, read: false };
  try {
    const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
    const dict = dcmjs.data.DicomMessage.readFile(buffer, { untilTag: '7FE00010', ignoreErrors: true });
    const all = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    const modules: NaturalizedDataset = {};
    for (const k of keywords) if (all[k] !== undefined) modules[k] = all[k];
    return { modules, read: true };
  } catch {
    // not Part 10 (dcmjs needs the preamble) or unreadable by dcmjs: outputs get empty type-2 attributes
    return { modules: {}, read: false };
  }
}
