/**
 * Mutations, structure-aware per format: DICOM (tags, VRs, lengths, transfer syntax, pixel data,
 * encapsulated fragments, series composition), NIfTI (header fields, data, gzip), zip (container
 * bytes, entry names, methods, sizes), PNG (chunks, IHDR) and JPEG (markers, SOF), plus plain byte
 * mutations on any file. Every mutation is drawn from a seeded Random and says what it did in one
 * line, so a failing case can be replayed from (run seed, case index) and read from its log line.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import type { Random } from '../../src/phantom/random.ts';
import { supportedSyntaxes } from '../../src/io/dicom/transfer-syntax.ts';
import {
  concatBytes,
  type DicomElement,
  type DicomModel,
  findElement,
  ITEM_TAG,
  joinItems,
  parseDicomModel,
  SEQUENCE_DELIMITER_TAG,
  setElement,
  splitItems,
  textValue,
  writeDicomModel,
} from './dicom-model.ts';
import type { FuzzFile, InputKind } from './seeds.ts';

/** A case's input as it will be written to disk: its layout and its files. */
export interface CaseInput {
  kind: InputKind;
  files: FuzzFile[];
  /** DICOM zips: the members, zipped when the case is written (unless `zipBytes` was mutated). */
  zipBytes?: Uint8Array;
}

type Mutator = (input: CaseInput, rng: Random) => string | undefined;

const hex = (g: number, e: number) => `(${g.toString(16).padStart(4, '0')},${e.toString(16).padStart(4, '0')})`;

// ---------------------------------------------------------------- plain bytes

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe];

function byteMutation(bytes: Uint8Array, rng: Random): { bytes: Uint8Array; what: string } {
  const n = bytes.length;
  const op = rng.int(0, 6);
  if (n === 0) return { bytes: Uint8Array.of(rng.int(0, 255)), what: 'bytes: empty file given one byte' };
  switch (op) {
    case 0: {
      const out = bytes.slice();
      const k = rng.int(1, 16);
      for (let i = 0; i < k; i++) out[rng.int(0, n - 1)] ^= 1 << rng.int(0, 7);
      return { bytes: out, what: `bytes: flipped ${k} bit(s)` };
    }
    case 1: {
      const at = rng.int(0, n - 1);
      return { bytes: bytes.slice(0, at), what: `bytes: truncated to ${at} of ${n}` };
    }
    case 2: {
      const at = rng.int(0, n - 1);
      const len = rng.int(1, 64);
      const ins = Uint8Array.from({ length: len }, () => rng.pick(INTERESTING_BYTES));
      return { bytes: concatBytes([bytes.subarray(0, at), ins, bytes.subarray(at)]), what: `bytes: inserted ${len} at ${at}` };
    }
    case 3: {
      const at = rng.int(0, n - 1);
      const len = rng.int(1, Math.min(4096, n - at));
      return { bytes: concatBytes([bytes.subarray(0, at), bytes.subarray(at + len)]), what: `bytes: deleted ${len} at ${at}` };
    }
    case 4: {
      const out = bytes.slice();
      const at = rng.int(0, Math.max(0, n - 4));
      const v = rng.pick([0, 0xffffffff, 0x7fffffff, 0x80000000, 1, 0xfffffffe]);
      new DataView(out.buffer).setUint32(at, v >>> 0, true);
      return { bytes: out, what: `bytes: u32 ${v} at ${at}` };
    }
    case 5: {
      const from = rng.int(0, n - 1);
      const len = rng.int(1, Math.min(2048, n - from));
      const at = rng.int(0, n - 1);
      return { bytes: concatBytes([bytes.subarray(0, at), bytes.subarray(from, from + len), bytes.subarray(at)]), what: `bytes: duplicated ${len} from ${from} at ${at}` };
    }
    default: {
      const len = rng.int(1, 512);
      return { bytes: concatBytes([bytes, Uint8Array.from({ length: len }, () => rng.int(0, 255))]), what: `bytes: appended ${len} random` };
    }
  }
}

function pickFile(input: CaseInput, rng: Random): number {
  return rng.int(0, input.files.length - 1);
}

const anyBytes: Mutator = (input, rng) => {
  const i = pickFile(input, rng);
  const r = byteMutation(input.files[i].bytes, rng);
  input.files[i] = { ...input.files[i], bytes: r.bytes };
  return `${input.files[i].name}: ${r.what}`;
};

// ---------------------------------------------------------------- DICOM

type TagKind = 'US' | 'DS' | 'DS3' | 'DS6' | 'DS2' | 'IS' | 'UI' | 'CS';
const TAGS: Array<{ g: number; e: number; vr: string; kind: TagKind; name: string }> = [
  { g: 0x0028, e: 0x0010, vr: 'US', kind: 'US', name: 'Rows' },
  { g: 0x0028, e: 0x0011, vr: 'US', kind: 'US', name: 'Columns' },
  { g: 0x0028, e: 0x0100, vr: 'US', kind: 'US', name: 'BitsAllocated' },
  { g: 0x0028, e: 0x0101, vr: 'US', kind: 'US', name: 'BitsStored' },
  { g: 0x0028, e: 0x0102, vr: 'US', kind: 'US', name: 'HighBit' },
  { g: 0x0028, e: 0x0103, vr: 'US', kind: 'US', name: 'PixelRepresentation' },
  { g: 0x0028, e: 0x0002, vr: 'US', kind: 'US', name: 'SamplesPerPixel' },
  { g: 0x0028, e: 0x0120, vr: 'US', kind: 'US', name: 'PixelPaddingValue' },
  { g: 0x0028, e: 0x0121, vr: 'US', kind: 'US', name: 'PixelPaddingRangeLimit' },
  { g: 0x0028, e: 0x1053, vr: 'DS', kind: 'DS', name: 'RescaleSlope' },
  { g: 0x0028, e: 0x1052, vr: 'DS', kind: 'DS', name: 'RescaleIntercept' },
  { g: 0x0020, e: 0x0032, vr: 'DS', kind: 'DS3', name: 'ImagePositionPatient' },
  { g: 0x0020, e: 0x0037, vr: 'DS', kind: 'DS6', name: 'ImageOrientationPatient' },
  { g: 0x0028, e: 0x0030, vr: 'DS', kind: 'DS2', name: 'PixelSpacing' },
  { g: 0x0018, e: 0x0050, vr: 'DS', kind: 'DS', name: 'SliceThickness' },
  { g: 0x0018, e: 0x1120, vr: 'DS', kind: 'DS', name: 'GantryTilt' },
  { g: 0x0028, e: 0x0008, vr: 'IS', kind: 'IS', name: 'NumberOfFrames' },
  { g: 0x0020, e: 0x0013, vr: 'IS', kind: 'IS', name: 'InstanceNumber' },
  { g: 0x0020, e: 0x000e, vr: 'UI', kind: 'UI', name: 'SeriesInstanceUID' },
  { g: 0x0008, e: 0x0016, vr: 'UI', kind: 'UI', name: 'SOPClassUID' },
  { g: 0x0008, e: 0x0060, vr: 'CS', kind: 'CS', name: 'Modality' },
  { g: 0x0008, e: 0x0008, vr: 'CS', kind: 'CS', name: 'ImageType' },
  { g: 0x0028, e: 0x0004, vr: 'CS', kind: 'CS', name: 'PhotometricInterpretation' },
];

const US_VALUES = [0, 1, 2, 3, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 64, 255, 256, 4096, 0x7fff, 0x8000, 0xfffe, 0xffff];
const DS_VALUES = ['0', '-0', '1', '-1', '0.0001', '1e-30', '1e30', '1e308', '-1e308', 'NaN', 'Infinity', '-Infinity', '', '\\', '1\\', 'abc', '  ', '3e', '0x10', `1${'0'.repeat(400)}`, '-1024', '2.5', '-2000'];
const IOP_VALUES = [
  '1\\0\\0\\0\\1\\0',
  '0\\0\\0\\0\\0\\0',
  '1\\0\\0\\1\\0\\0',
  '-1\\0\\0\\0\\-1\\0',
  '0.9396926\\0.3420201\\0\\-0.3420201\\0.9396926\\0',
  '1\\0\\0\\0\\0\\-1',
  '2\\0\\0\\0\\2\\0',
  '1e-9\\0\\0\\0\\1e-9\\0',
  'NaN\\0\\0\\0\\1\\0',
  '1\\0\\0',
  '1\\0\\0\\0\\0.99\\0.14',
];
const UI_VALUES = ['', '1.2.3', '09bc8aea-ff9c-4106-8514-294cbcf9a082', '1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.2', 'x'.repeat(200), '\0\0\0\0', '1..2', ' 1.2 '];
const CS_VALUES = ['', 'CT', 'MR', 'OT', 'ct', 'DERIVED\\SECONDARY', 'ORIGINAL\\PRIMARY\\LOCALIZER', 'ORIGINAL\\PRIMARY\\AXIAL', 'MONOCHROME1', 'RGB', 'PALETTE COLOR', 'YBR_FULL', '\\\\\\', 'Ü'];
const IS_VALUES = ['0', '1', '2', '-1', '2147483648', '', 'abc', '1.5', '1000000'];

function usBytes(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >> 8) & 0xff);
}

function tagValue(kind: TagKind, rng: Random): string | number {
  switch (kind) {
    case 'US':
      return rng.pick(US_VALUES);
    case 'DS':
      return rng.pick(DS_VALUES);
    case 'DS2':
      return rng.next() < 0.5 ? `${rng.pick(DS_VALUES)}\\${rng.pick(DS_VALUES)}` : rng.pick(['0\\0', '-0.7\\0.7', '0.7', '1e-9\\1e-9', '1000\\1000', '0.7\\0.7\\0.7']);
    case 'DS3':
      return rng.next() < 0.5 ? [0, 1, 2].map(() => rng.pick(DS_VALUES)).join('\\') : rng.pick(['0\\0\\0', '-200\\-200\\-100', '1\\2', '1e308\\1e308\\1e308', '0\\0\\NaN']);
    case 'DS6':
      return rng.pick(IOP_VALUES);
    case 'IS':
      return rng.pick(IS_VALUES);
    case 'UI':
      return rng.pick(UI_VALUES);
    case 'CS':
      return rng.pick(CS_VALUES);
  }
}

/** Edits the parsed model of one file of a DICOM input; undefined when the file does not parse. */
function withModel(input: CaseInput, rng: Random, edit: (m: DicomModel, name: string) => string | undefined): string | undefined {
  const i = pickFile(input, rng);
  const file = input.files[i];
  let model: DicomModel;
  try {
    model = parseDicomModel(file.bytes);
  } catch {
    return undefined;
  }
  const what = edit(model, file.name);
  if (what === undefined) return undefined;
  input.files[i] = { ...file, bytes: writeDicomModel(model) };
  return `${file.name}: ${what}`;
}

const dicomSetTag: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    const t = rng.pick(TAGS);
    const v = tagValue(t.kind, rng);
    const asUs = t.kind === 'US' && typeof v === 'number';
    setElement(m.body, t.g, t.e, t.vr, asUs ? usBytes(v as number) : textValue(String(v), t.vr));
    return `set ${t.name}${hex(t.g, t.e)} = ${JSON.stringify(v)}`;
  });

const dicomDeleteTag: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    if (rng.next() < 0.7) {
      const t = rng.pick(TAGS);
      const i = m.body.findIndex((e) => e.group === t.g && e.element === t.e);
      if (i < 0) return undefined;
      m.body.splice(i, 1);
      return `deleted ${t.name}${hex(t.g, t.e)}`;
    }
    if (m.body.length === 0) return undefined;
    const i = rng.int(0, m.body.length - 1);
    const [el] = m.body.splice(i, 1);
    return `deleted element ${hex(el.group, el.element)}`;
  });

const VRS = ['OB', 'OW', 'UN', 'SQ', 'US', 'SS', 'UL', 'SL', 'FD', 'FL', 'DS', 'IS', 'CS', 'UI', 'LO', 'AE', 'UT', 'XX', '\0\0', 'ob'];

const dicomChangeVr: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    if (m.body.length === 0) return undefined;
    const pixel = rng.next() < 0.3 ? findElement(m.body, 0x7fe0, 0x0010) : undefined;
    const el = pixel ?? m.body[rng.int(0, m.body.length - 1)];
    const vr = rng.pick(VRS);
    const was = el.vr;
    el.vr = vr;
    return `VR of ${hex(el.group, el.element)} ${was} → ${JSON.stringify(vr)}`;
  });

const dicomLength: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    if (m.body.length === 0) return undefined;
    const pixel = rng.next() < 0.3 ? findElement(m.body, 0x7fe0, 0x0010) : undefined;
    const el: DicomElement = pixel ?? m.body[rng.int(0, m.body.length - 1)];
    if (rng.next() < 0.2 && !el.undefinedLength) {
      el.undefinedLength = true;
      return `length of ${hex(el.group, el.element)} (${el.vr}) set undefined`;
    }
    const delta = rng.pick([-1, 1, 2, -2, 3, 1000, 0x7fffffff, -el.value.length, 0xfffffffe - el.value.length, 65536]);
    el.undefinedLength = false;
    el.lengthDelta = delta;
    return `length of ${hex(el.group, el.element)} (${el.vr}, ${el.value.length} bytes) ${delta >= 0 ? '+' : ''}${delta}`;
  });

const UNKNOWN_SYNTAXES = ['1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.100', '1.2.3.4', '', 'garbage\0', '1.2.840.10008.1.2.1 '];

const dicomSyntax: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    if (!m.part10) return undefined;
    const uid = rng.next() < 0.6 ? rng.pick(supportedSyntaxes()) : rng.pick(UNKNOWN_SYNTAXES);
    setElement(m.meta, 0x0002, 0x0010, 'UI', textValue(uid, 'UI'));
    return `transfer syntax → ${JSON.stringify(uid)} (pixels not re-encoded)`;
  });

const dicomMeta: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    const op = rng.int(0, 3);
    if (op === 0) {
      m.part10 = false;
      return 'written without preamble and file meta (raw data set)';
    }
    if (op === 1) {
      m.metaGroupLength = rng.pick([0, 1, 0xffffffff, 10000, 7]);
      return `file meta group length → ${m.metaGroupLength}`;
    }
    if (op === 2) {
      m.meta = m.meta.filter((e) => e.element !== 0x10);
      return 'file meta without TransferSyntaxUID';
    }
    m.trailer = Uint8Array.from({ length: rng.int(1, 300) }, () => rng.int(0, 255));
    return `${m.trailer.length} garbage bytes after the data set`;
  });

const dicomPixels: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    const el = findElement(m.body, 0x7fe0, 0x0010);
    if (!el) return undefined;
    if (el.undefinedLength) return encapsulatedMutation(el, rng);
    const n = el.value.length;
    const op = rng.int(0, 4);
    if (op === 0) {
      const keep = rng.int(0, Math.max(0, n - 1));
      el.value = el.value.slice(0, keep);
      return `native pixel data truncated to ${keep} of ${n} bytes`;
    }
    if (op === 1) {
      el.value = new Uint8Array(0);
      return 'native pixel data empty';
    }
    if (op === 2) {
      const out = el.value.slice();
      for (let i = 0; i < out.length; i++) out[i] = rng.int(0, 255);
      el.value = out;
      return 'native pixel data random';
    }
    if (op === 3) {
      el.value = concatBytes([el.value, Uint8Array.of(0)]);
      return 'native pixel data one byte longer (odd length)';
    }
    const out = el.value.slice();
    out.fill(0xff);
    el.value = out;
    return 'native pixel data all 0xff';
  });

function encapsulatedMutation(el: DicomElement, rng: Random): string {
  const items = splitItems(el.value);
  const delimiterAt = items.findIndex((it) => it.tag === SEQUENCE_DELIMITER_TAG);
  const content = delimiterAt >= 0 ? items.slice(0, delimiterAt) : items;
  const delim = delimiterAt >= 0 ? items.slice(delimiterAt) : [];
  const fragIdx = content.length > 1 ? rng.int(1, content.length - 1) : -1;
  const op = rng.int(0, 9);
  let what: string;
  let lengthOverride: Map<number, number> | undefined;
  switch (op) {
    case 0:
      content.splice(1);
      what = 'all fragments removed (offset table only)';
      break;
    case 1:
      delim.length = 0;
      what = 'sequence delimiter removed';
      break;
    case 2: {
      if (content.length === 0) return 'no items';
      const bot = new Uint8Array(8);
      new DataView(bot.buffer).setUint32(0, rng.pick([0xffffff00, 12345, 1]), true);
      content[0] = { tag: ITEM_TAG, bytes: bot };
      what = 'basic offset table with bogus offsets';
      break;
    }
    case 3: {
      if (fragIdx < 0) return 'no fragment';
      const f = content[fragIdx].bytes;
      const at = rng.int(0, f.length);
      content.splice(fragIdx, 1, { tag: ITEM_TAG, bytes: f.slice(0, at) }, { tag: ITEM_TAG, bytes: f.slice(at) });
      what = `fragment ${fragIdx} split at ${at} of ${f.length}`;
      break;
    }
    case 4:
      if (fragIdx < 0) return 'no fragment';
      content.splice(fragIdx, 0, { tag: ITEM_TAG, bytes: content[fragIdx].bytes });
      what = `fragment ${fragIdx} duplicated`;
      break;
    case 5:
      content.splice(Math.max(1, fragIdx), 0, { tag: ITEM_TAG, bytes: new Uint8Array(0) });
      what = 'zero-length fragment inserted';
      break;
    case 6:
      if (fragIdx < 0) return 'no fragment';
      content[fragIdx] = { tag: rng.pick([0xfffee00d, 0x7fe00010, 0x00000000]), bytes: content[fragIdx].bytes };
      what = `fragment ${fragIdx} item tag wrong`;
      break;
    case 7:
      if (fragIdx < 0) return 'no fragment';
      lengthOverride = new Map([[fragIdx, rng.pick([0xffffffff, content[fragIdx].bytes.length + 100, 3, 0])]]);
      what = `fragment ${fragIdx} length field → ${lengthOverride.get(fragIdx)}`;
      break;
    case 8: {
      if (fragIdx < 0) return 'no fragment';
      const f = content[fragIdx].bytes;
      const keep = rng.int(0, f.length);
      content[fragIdx] = { tag: ITEM_TAG, bytes: f.slice(0, keep) };
      what = `fragment ${fragIdx} truncated to ${keep} of ${f.length}`;
      break;
    }
    default: {
      if (fragIdx < 0) return 'no fragment';
      const f = content[fragIdx].bytes.slice();
      // codec headers (JPEG markers, SOF size, RLE segment table) are at the start
      const k = rng.int(1, 8);
      for (let i = 0; i < k; i++) f[rng.int(0, Math.min(f.length, 64) - 1)] = rng.pick(INTERESTING_BYTES);
      content[fragIdx] = { tag: ITEM_TAG, bytes: f };
      what = `fragment ${fragIdx}: ${k} header byte(s) overwritten`;
      break;
    }
  }
  el.value = joinItems([...content, ...delim], lengthOverride);
  return `encapsulated pixel data: ${what}`;
}

const dicomInsertOdd: Mutator = (input, rng) =>
  withModel(input, rng, (m) => {
    const op = rng.int(0, 2);
    if (op === 0) {
      // an undefined-length private sequence holding garbage items
      const garbage = Uint8Array.from({ length: rng.int(0, 40) }, () => rng.int(0, 255));
      const item = joinItems([{ tag: ITEM_TAG, bytes: garbage }, { tag: SEQUENCE_DELIMITER_TAG, bytes: new Uint8Array(0) }]);
      setElement(m.body, 0x0009, 0x1010, 'SQ', item);
      const el = findElement(m.body, 0x0009, 0x1010)!;
      el.undefinedLength = rng.next() < 0.5;
      return `private SQ (0009,1010) with garbage (undefined length ${el.undefinedLength})`;
    }
    if (op === 1) {
      const el = m.body[rng.int(0, Math.max(0, m.body.length - 1))];
      if (!el) return undefined;
      m.body.splice(m.body.indexOf(el), 0, { ...el, value: el.value.slice() });
      return `element ${hex(el.group, el.element)} duplicated`;
    }
    // elements out of tag order
    if (m.body.length < 2) return undefined;
    const i = rng.int(0, m.body.length - 2);
    [m.body[i], m.body[i + 1]] = [m.body[i + 1], m.body[i]];
    return `elements ${hex(m.body[i].group, m.body[i].element)} and ${hex(m.body[i + 1].group, m.body[i + 1].element)} out of order`;
  });

/** Series-level changes: which files there are and how they relate. */
const dicomSeries: Mutator = (input, rng) => {
  const files = input.files;
  const op = rng.int(0, 5);
  if (op === 0 && files.length > 1) {
    const i = pickFile(input, rng);
    files.push({ name: `dup-${files[i].name}`, bytes: files[i].bytes });
    return `${files[i].name} duplicated (same position twice)`;
  }
  if (op === 1 && files.length > 1) {
    const keep = rng.int(1, files.length - 1);
    files.splice(keep);
    return `only ${keep} file(s) kept`;
  }
  if (op === 2) {
    files.push({ name: rng.pick(['notes.txt', 'DICOMDIR', 'junk.dcm', 'image.png']), bytes: Uint8Array.from({ length: rng.int(0, 300) }, () => rng.int(0, 255)) });
    return `junk file ${files[files.length - 1].name} added`;
  }
  if (op === 3) {
    files.push({ name: 'empty.dcm', bytes: new Uint8Array(0) });
    return 'empty .dcm file added';
  }
  if (op === 4 && files.length > 1) {
    // one slice copied with a new position: same SeriesInstanceUID, shifted by a fraction of a step
    const i = pickFile(input, rng);
    let model: DicomModel;
    try {
      model = parseDicomModel(files[i].bytes);
    } catch {
      return undefined;
    }
    const shift = rng.pick([0.001, 0.3, 7.7, -50, 1e6]);
    const ipp = findElement(model.body, 0x0020, 0x0032);
    if (!ipp) return undefined;
    const p = String.fromCharCode(...ipp.value).trim().split('\\').map(Number);
    p[2] += shift;
    ipp.value = textValue(p.join('\\'), 'DS');
    files.push({ name: `moved-${files[i].name}`, bytes: writeDicomModel(model) });
    return `${files[i].name} copied ${shift} mm along z`;
  }
  return withModel(input, rng, (m) => {
    setElement(m.body, 0x0028, 0x0010, 'US', usBytes(rng.pick([32, 63, 65, 128])));
    return 'one slice with another Rows value (pixels unchanged)';
  });
};

// ---------------------------------------------------------------- NIfTI

type NiftiType = 'i16' | 'f32' | 'u8' | 'i32';
const NIFTI_FIELDS: Array<{ name: string; offset: number; type: NiftiType; values: number[] }> = [
  { name: 'sizeof_hdr', offset: 0, type: 'i32', values: [0, 540, 347, 349, -348, 0x5c010000] },
  ...[0, 1, 2, 3, 4, 5].map((i) => ({ name: `dim[${i}]`, offset: 40 + 2 * i, type: 'i16' as const, values: [0, -1, 1, 2, 3, 4, 7, 8, 255, 32767, -32768] })),
  { name: 'intent_code', offset: 68, type: 'i16', values: [0, 1002, 2001] },
  { name: 'datatype', offset: 70, type: 'i16', values: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024, 1536, 2304, -1] },
  { name: 'bitpix', offset: 72, type: 'i16', values: [0, 1, 8, 16, 32, 64, 128, -8] },
  ...[0, 1, 2, 3, 4].map((i) => ({ name: `pixdim[${i}]`, offset: 76 + 4 * i, type: 'f32' as const, values: [0, -1, 1, 1e-30, 1e30, Number.NaN, Infinity, -Infinity, 0.5, 5] })),
  { name: 'vox_offset', offset: 108, type: 'f32', values: [0, 347, 348, 352, 353, 1e9, -1, Number.NaN, 352.5, 1e30] },
  { name: 'scl_slope', offset: 112, type: 'f32', values: [0, 1, -1, 1e-30, 1e30, Number.NaN, Infinity, 0.5] },
  { name: 'scl_inter', offset: 116, type: 'f32', values: [0, -1024, 1e30, Number.NaN, -Infinity, 0.5] },
  { name: 'xyzt_units', offset: 123, type: 'u8', values: [0, 1, 2, 3, 8, 255] },
  { name: 'qform_code', offset: 252, type: 'i16', values: [0, 1, 2, 5, -1, 32767] },
  { name: 'sform_code', offset: 254, type: 'i16', values: [0, 1, 2, 5, -1, 32767] },
  ...['quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z'].map((name, i) => ({ name, offset: 256 + 4 * i, type: 'f32' as const, values: [0, 1, -1, 2, 0.5, Number.NaN, Infinity, 1e30] })),
  ...Array.from({ length: 12 }, (_, i) => ({ name: `srow_${'xyz'[i >> 2]}[${i & 3}]`, offset: 280 + 4 * i, type: 'f32' as const, values: [0, 1, -1, 1e-30, 1e30, Number.NaN, -Infinity, 5] })),
];

function gunzipMaybe(bytes: Uint8Array): { raw: Uint8Array; gz: boolean } {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return { raw: new Uint8Array(gunzipSync(bytes)), gz: true };
    } catch {
      return { raw: bytes, gz: false };
    }
  }
  return { raw: bytes, gz: false };
}

function withNifti(input: CaseInput, edit: (raw: Uint8Array) => { raw: Uint8Array; what: string } | undefined, regzip = true): string | undefined {
  const file = input.files[0];
  const { raw, gz } = gunzipMaybe(file.bytes);
  if (raw.length < 348) return undefined;
  const r = edit(raw.slice());
  if (!r) return undefined;
  input.files[0] = { ...file, bytes: gz && regzip ? new Uint8Array(gzipSync(r.raw)) : r.raw };
  return `${file.name}: ${r.what}`;
}

const niftiField: Mutator = (input, rng) =>
  withNifti(input, (raw) => {
    const f = rng.pick(NIFTI_FIELDS);
    const v = rng.pick(f.values);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const le = view.getInt32(0, true) === 348;
    if (f.type === 'i16') view.setInt16(f.offset, v, le);
    else if (f.type === 'i32') view.setInt32(f.offset, v, le);
    else if (f.type === 'u8') view.setUint8(f.offset, v);
    else view.setFloat32(f.offset, v, le);
    return { raw, what: `header ${f.name} = ${v}` };
  });

const niftiStructure: Mutator = (input, rng) =>
  withNifti(input, (raw) => {
    const op = rng.int(0, 4);
    if (op === 0) {
      const keep = rng.int(348, raw.length - 1);
      return { raw: raw.slice(0, keep), what: `voxel data truncated to ${keep} of ${raw.length} bytes` };
    }
    if (op === 1) {
      raw[344] = rng.pick([0x6e, 0x00, 0x41]);
      raw[345] = rng.pick([0x69, 0x2b, 0x00]);
      return { raw, what: `magic → ${JSON.stringify(String.fromCharCode(raw[344], raw[345], raw[346]))}` };
    }
    if (op === 2) {
      // byte-swap the header's int16/int32/float32 fields as a big-endian writer would
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      view.setInt32(0, 348, false);
      for (let o = 40; o < 56; o += 2) view.setInt16(o, view.getInt16(o, true), false);
      for (const o of [70, 72, 252, 254]) view.setInt16(o, view.getInt16(o, true), false);
      for (let o = 76; o < 120; o += 4) view.setFloat32(o, view.getFloat32(o, true), false);
      for (let o = 256; o < 328; o += 4) view.setFloat32(o, view.getFloat32(o, true), false);
      return { raw, what: 'header rewritten big-endian (voxel data left little-endian)' };
    }
    if (op === 3) {
      // a NIfTI-1 extension block between header and data
      const ext = new Uint8Array(16);
      const view = new DataView(ext.buffer);
      view.setInt32(0, rng.pick([16, 0, -8, 1e6]), true);
      view.setInt32(4, 4, true);
      raw[348] = 1;
      const out = concatBytes([raw.subarray(0, 352), ext, raw.subarray(352)]);
      new DataView(out.buffer).setFloat32(108, 368, true);
      return { raw: out, what: 'extension block inserted (vox_offset 368)' };
    }
    const out = raw.slice();
    for (let i = 352; i < out.length; i += rng.int(1, 97)) out[i] = rng.int(0, 255);
    return { raw: out, what: 'voxel values scrambled' };
  });

const niftiGzip: Mutator = (input, rng) => {
  const file = input.files[0];
  const { raw, gz } = gunzipMaybe(file.bytes);
  const packed = gz ? file.bytes : new Uint8Array(gzipSync(raw));
  const op = rng.int(0, 6);
  let bytes: Uint8Array;
  let what: string;
  if (op === 0) {
    const keep = rng.int(0, packed.length - 1);
    bytes = packed.slice(0, keep);
    what = `gzip truncated to ${keep} of ${packed.length}`;
  } else if (op === 1) {
    bytes = packed.slice();
    for (let i = 0; i < 4; i++) bytes[bytes.length - 8 + i] ^= 0x5a;
    what = 'gzip CRC corrupted';
  } else if (op === 2) {
    bytes = packed.slice();
    for (let i = 0; i < 8; i++) bytes[rng.int(10, bytes.length - 9)] ^= 1 << rng.int(0, 7);
    what = 'gzip deflate stream: 8 bits flipped';
  } else if (op === 3) {
    bytes = new Uint8Array(gzipSync(packed));
    what = 'gzip of gzip';
  } else if (op === 4) {
    bytes = concatBytes([packed, new Uint8Array(gzipSync(raw.subarray(0, 1000)))]);
    what = 'two gzip members concatenated';
  } else if (op === 5) {
    bytes = raw;
    input.files[0] = { name: file.name.endsWith('.gz') ? file.name : `${file.name}.gz`, bytes };
    return `${file.name}: named .nii.gz but not gzipped`;
  } else {
    bytes = concatBytes([packed, Uint8Array.from({ length: 64 }, () => 0)]);
    what = 'zero bytes after the gzip member';
  }
  input.files[0] = { name: file.name.endsWith('.gz') ? file.name : `${file.name}.gz`, bytes };
  return `${file.name}: ${what}`;
};

// ---------------------------------------------------------------- zip

/** Byte offsets of zip records (local headers 'PK\3\4', central directory 'PK\1\2', end 'PK\5\6'). */
function zipRecords(z: Uint8Array, sig: number): number[] {
  const at: number[] = [];
  const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
  for (let i = 0; i + 4 <= z.length; i++) if (v.getUint32(i, true) === sig) at.push(i);
  return at;
}

function zipOf(input: CaseInput, rng: Random, level: 0 | 6): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const f of input.files) entries[`series/${f.name}`] = f.bytes;
  return zipSync(entries, { level: rng.next() < 0.5 ? level : 0 });
}

const zipMutation: Mutator = (input, rng) => {
  const op = rng.int(0, 8);
  if (op === 0 || op === 1) {
    // entry names: traversal, absolute, backslashes, very long, odd bytes
    const name = rng.pick(['../escape.dcm', '/abs/slice.dcm', 'a\\b\\c.dcm', `${'d/'.repeat(40)}x.dcm`, `${'n'.repeat(300)}.dcm`, '__MACOSX/._x.dcm', 'C:/win.dcm', '']);
    const entries: Record<string, Uint8Array> = {};
    input.files.forEach((f, i) => (entries[i === 0 ? name : `series/${f.name}`] = f.bytes));
    input.zipBytes = zipSync(entries, { level: 0 });
    return `zip entry named ${JSON.stringify(name)}`;
  }
  const z = zipOf(input, rng, 6).slice();
  const v = new DataView(z.buffer);
  const locals = zipRecords(z, 0x04034b50);
  const central = zipRecords(z, 0x02014b50);
  const end = zipRecords(z, 0x06054b50);
  if (op === 2 && central.length) {
    const c = rng.pick(central);
    v.setUint16(c + 10, rng.pick([1, 9, 12, 14, 99, 0xffff]), true);
    input.zipBytes = z;
    return `zip central directory: entry compression method ${v.getUint16(c + 10, true)}`;
  }
  if (op === 3 && central.length) {
    const c = rng.pick(central);
    const field = rng.pick([20, 24]);
    const value = rng.pick([0, 1, 0xffffffff, 0x7fffffff, 100]);
    v.setUint32(c + field, value, true);
    input.zipBytes = z;
    return `zip central directory: ${field === 20 ? 'compressed' : 'uncompressed'} size → ${value}`;
  }
  if (op === 4 && locals.length) {
    const l = rng.pick(locals);
    v.setUint32(l + rng.pick([14, 18, 22]), rng.pick([0, 0xffffffff, 12345]), true);
    input.zipBytes = z;
    return 'zip local header: crc/size field changed';
  }
  if (op === 5 && end.length) {
    const e = end[end.length - 1];
    const field = rng.pick([8, 10, 12, 16]);
    if (field >= 12) v.setUint32(e + field, rng.pick([0, 0xffffffff, z.length]), true);
    else v.setUint16(e + field, rng.pick([0, 0xffff, 1]), true);
    input.zipBytes = z;
    return `zip end record: field at +${field} changed`;
  }
  if (op === 6) {
    const r = byteMutation(z, rng);
    input.zipBytes = r.bytes;
    return `zip ${r.what}`;
  }
  if (op === 7) {
    input.zipBytes = zipSync({ 'inner.zip': z }, { level: 0 });
    return 'zip inside a zip';
  }
  input.zipBytes = zipSync({}, {});
  return 'empty zip';
};

// ---------------------------------------------------------------- PNG / JPEG

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** Recomputes the CRC of every whole chunk after the signature; returns how many it changed. */
function fixPngCrcs(b: Uint8Array): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let changed = 0;
  for (let p = 8; p + 12 <= b.length; ) {
    const len = v.getUint32(p, false);
    const end = p + 8 + len;
    if (end + 4 > b.length) break;
    const crc = crc32(b.subarray(p + 4, end));
    if (v.getUint32(end, false) !== crc) {
      v.setUint32(end, crc, false);
      changed++;
    }
    p = end + 4;
  }
  return changed;
}

/** Plain byte mutations of a PNG, with its chunk CRCs then (mostly) made right again. */
const pngBytes: Mutator = (input, rng) => {
  const i = pickFile(input, rng);
  const file = input.files[i];
  if (file.bytes.length < 33 || file.bytes[1] !== 0x50) return undefined;
  const r = byteMutation(file.bytes, rng);
  const fixed = rng.next() < 0.8 ? fixPngCrcs(r.bytes) : 0;
  input.files[i] = { ...file, bytes: r.bytes };
  return `${file.name}: ${r.what}${fixed ? ` (${fixed} chunk CRC(s) fixed)` : ''}`;
};

const pngMutation: Mutator = (input, rng) => {
  const i = pickFile(input, rng);
  const file = input.files[i];
  const b = file.bytes.slice();
  if (b.length < 33 || b[1] !== 0x50) return undefined;
  const v = new DataView(b.buffer);
  const op = rng.int(0, 4);
  let what: string;
  // IHDR data at 16..28: width, height, bit depth, colour type, compression, filter, interlace
  if (op === 0 || op === 1) {
    const field = rng.pick([16, 20]);
    const value = rng.pick([0, 1, 0x7fffffff, 100000, 16384, 65535]);
    v.setUint32(field, value, false);
    what = `IHDR ${field === 16 ? 'width' : 'height'} → ${value}`;
  } else if (op === 2) {
    b[24] = rng.pick([0, 1, 2, 3, 4, 16, 255]);
    b[25] = rng.pick([0, 1, 2, 3, 4, 6, 7]);
    what = `IHDR bit depth ${b[24]} colour type ${b[25]}`;
  } else if (op === 3) {
    b[28] = rng.pick([1, 2]);
    what = `IHDR interlace ${b[28]}`;
  } else {
    b[rng.int(33, b.length - 1)] ^= 0xff;
    what = 'one byte after IHDR flipped';
  }
  // libpng refuses a chunk whose CRC is wrong before looking at it: mostly fix the CRCs so the
  // mutated fields and pixels reach the decoder and the screening behind it
  const fixed = rng.next() < 0.8 ? fixPngCrcs(b) : 0;
  input.files[i] = { ...file, bytes: b };
  if (fixed > 0) what += ` (${fixed} chunk CRC(s) fixed)`;
  return `${file.name}: ${what}`;
};

const jpegMutation: Mutator = (input, rng) => {
  const i = pickFile(input, rng);
  const file = input.files[i];
  const b = file.bytes.slice();
  let sof = -1;
  for (let p = 2; p + 9 < b.length; p++) if (b[p] === 0xff && (b[p + 1] === 0xc0 || b[p + 1] === 0xc2 || b[p + 1] === 0xc1)) { sof = p; break; }
  const op = rng.int(0, 3);
  let what: string;
  if (op === 0 && sof >= 0) {
    const v = new DataView(b.buffer);
    const field = rng.pick([5, 7]);
    const value = rng.pick([0, 1, 65535, 30000]);
    v.setUint16(sof + field, value, false);
    what = `SOF ${field === 5 ? 'height' : 'width'} → ${value}`;
  } else if (op === 1 && sof >= 0) {
    b[sof + 9] = rng.pick([0, 2, 4, 255]);
    what = `SOF component count → ${b[sof + 9]}`;
  } else if (op === 2) {
    const keep = rng.int(2, b.length - 1);
    input.files[i] = { ...file, bytes: b.slice(0, keep) };
    return `${file.name}: JPEG truncated to ${keep} of ${b.length}`;
  } else {
    for (let k = 0; k < 8; k++) b[rng.int(Math.floor(b.length / 2), b.length - 3)] = rng.pick(INTERESTING_BYTES);
    what = 'entropy-coded bytes overwritten';
  }
  input.files[i] = { ...file, bytes: b };
  return `${file.name}: ${what}`;
};

const stackMutation: Mutator = (input, rng) => {
  const op = rng.int(0, 2);
  if (op === 0 && input.files.length > 1) {
    const i = pickFile(input, rng);
    const j = (i + 1) % input.files.length;
    input.files[i] = { ...input.files[i], bytes: input.files[j === i ? 0 : j].bytes };
    return 'one slice replaced by its neighbour';
  }
  if (op === 1) {
    input.files.push({ name: 'zz-extra.jpg', bytes: Uint8Array.of(0xff, 0xd8, 0xff, 0xd9) });
    return 'an empty JPEG (SOI, EOI only) added';
  }
  input.files.push({ name: 'x.png', bytes: new Uint8Array(0) });
  return 'an empty .png added';
};

// ---------------------------------------------------------------- tables

const TABLE: Record<InputKind, Array<[Mutator, number]>> = {
  'dicom-series': [[dicomSetTag, 6], [dicomDeleteTag, 2], [dicomChangeVr, 2], [dicomLength, 2], [dicomSyntax, 2], [dicomMeta, 1], [dicomPixels, 3], [dicomInsertOdd, 1], [dicomSeries, 2], [anyBytes, 2]],
  'dicom-file': [[dicomSetTag, 6], [dicomDeleteTag, 2], [dicomChangeVr, 2], [dicomLength, 2], [dicomSyntax, 2], [dicomMeta, 1], [dicomPixels, 3], [dicomInsertOdd, 1], [anyBytes, 2]],
  'dicom-zip': [[zipMutation, 5], [dicomSetTag, 1], [dicomPixels, 1], [anyBytes, 1]],
  nifti: [[niftiField, 6], [niftiStructure, 2], [niftiGzip, 2], [anyBytes, 1]],
  png: [[pngMutation, 4], [pngBytes, 2], [anyBytes, 1]],
  jpeg: [[jpegMutation, 4], [anyBytes, 2]],
  'image-stack': [[pngMutation, 3], [pngBytes, 1], [stackMutation, 2], [anyBytes, 1]],
};

function pickWeighted(list: Array<[Mutator, number]>, rng: Random): Mutator {
  const total = list.reduce((s, [, w]) => s + w, 0);
  let r = rng.next() * total;
  for (const [m, w] of list) {
    r -= w;
    if (r < 0) return m;
  }
  return list[list.length - 1][0];
}

/** Applies `count` mutations drawn for the input's kind; returns what each did (skipped ones are left out). */
export function mutate(input: CaseInput, count: number, rng: Random): string[] {
  const done: string[] = [];
  for (let k = 0; k < count; k++) {
    const m = pickWeighted(TABLE[input.kind], rng);
    const what = m(input, rng);
    if (what !== undefined) done.push(what);
  }
  return done;
}

/** Bytes of a DICOM zip case: the mutated container, or its (mutated) members zipped. */
export function zipBytesOf(input: CaseInput): Uint8Array {
  if (input.zipBytes) return input.zipBytes;
  const entries: Record<string, Uint8Array> = {};
  for (const f of input.files) entries[`series/${f.name}`] = f.bytes;
  return zipSync(entries, { level: 6 });
}

