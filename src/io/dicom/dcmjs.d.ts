// The part of dcmjs (no types of its own) that ctscreen uses: reading a data set into dcmjs's
// "naturalized" form (keyword → value) and writing one as Part-10 bytes.
declare module 'dcmjs' {
  /** A data set in dcmjs's naturalized form: DICOM keywords as keys, sequences as arrays of such. */
  export type NaturalizedDataset = Record<string, unknown>;
  export interface DenaturalizedDataset {
    [tag: string]: { vr: string; Value?: unknown[] };
  }
  export class DicomDict {
    constructor(meta: DenaturalizedDataset);
    meta: DenaturalizedDataset;
    dict: DenaturalizedDataset;
    write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
  }
  export class DicomMessage {
    static readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean; untilTag?: string | null; includeUntilTagValue?: boolean }): DicomDict;
  }
  export class DicomMetaDictionary {
    static naturalizeDataset(dataset: DenaturalizedDataset): NaturalizedDataset;
    static denaturalizeDataset(dataset: NaturalizedDataset): DenaturalizedDataset;
  }
  const dcmjs: {
    data: { DicomDict: typeof DicomDict; DicomMessage: typeof DicomMessage; DicomMetaDictionary: typeof DicomMetaDictionary };
    log: { setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'): void; getLevel(): number };
  };
  export default dcmjs;
}
