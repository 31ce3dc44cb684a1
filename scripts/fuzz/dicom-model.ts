/**
 * A DICOM file as a list of top-level elements, so the fuzzer can change one tag, VR, length or
 * transfer syntax and write the file back (structure-aware mutation). Parsing is dicom-parser's;
 * each element keeps its raw value bytes (sequences and encapsulated pixel data included, with
 * their items and delimiters), so nothing the fuzzer does not touch changes.
 */
import dicomParser from 'dicom-parser';
import { deflateSync, inflateSync } from 'fflate';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';

export interface DicomElement {
  group: number;
  element: number;
  /** Explicit VR as written (two letters; may be anything after a mutation). */
  vr: string;
  /** Raw value bytes; for undefined length, everything up to and including the delimiter. */
  value: Uint8Array;
  undefinedLength: boolean;
  /** Declared length = actual + this (a length-field mutation); 0 normally. */
  lengthDelta?: number;
}

export interface DicomModel {
  /** 128-byte preamble + 'DICM' written when true. */
  part10: boolean;
  meta: DicomElement[];
  body: DicomElement[];
  /** Overrides the computed (0002,0000) group length when set (a mutation). */
  metaGroupLength?: number;
  /** Garbage appended after the data set. */
  trailer?: Uint8Array;
}

/** VRs whose explicit header is 12 bytes (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export function isLongVr(vr: string): boolean {
  return LONG_VRS.has(vr);
}

function tagOf(key: string): [number, number] {
  return [Number.parseInt(key.slice(1, 5), 16), Number.parseInt(key.slice(5, 9), 16)];
}

export function syntaxOf(model: DicomModel): string {
  const el = model.meta.find((e) => e.group === 2 && e.element === 0x10);
  if (!el) return TS.implicitLittle;
  return String.fromCharCode(...el.value).replace(/[\0 ]+$/, '');
}

function encoding(syntax: string): { explicit: boolean; le: boolean; deflate: boolean } {
  return { explicit: syntax !== TS.implicitLittle, le: syntax !== TS.explicitBig, deflate: syntax === TS.deflatedExplicitLittle };
}

function elementsOf(ds: dicomParser.DataSet, explicit: boolean, end: number): DicomElement[] {
  const list = Object.entries(ds.elements)
    .map(([key, el]) => ({ key, el }))
    .sort((a, b) => a.el.dataOffset - b.el.dataOffset);
  return list.map(({ key, el }, i) => {
    const [group, element] = tagOf(key);
    const vr = el.vr ?? 'UN';
    const undefinedLength = el.hadUndefinedLength === true;
    let stop: number;
    if (undefinedLength) {
      const next = list[i + 1];
      if (next) {
        const nvr = next.el.vr ?? 'UN';
        const headerLen = explicit && group !== 0xfffe ? (isLongVr(nvr) ? 12 : 8) : 8;
        stop = next.el.dataOffset - headerLen;
      } else stop = end;
    } else stop = el.dataOffset + el.length;
    return { group, element, vr, value: ds.byteArray.slice(el.dataOffset, Math.min(stop, ds.byteArray.length)), undefinedLength };
  });
}

/** Parses a DICOM file (Part 10 or raw implicit LE) into a model; throws what dicom-parser throws. */
export function parseDicomModel(bytes: Uint8Array): DicomModel {
  const part10 = bytes.length >= 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
  const ds = dicomParser.parseDicom(bytes, {
    ...(part10 ? {} : { TransferSyntaxUID: TS.implicitLittle }),
    inflater: ((arr: Uint8Array, position: number) => {
      const inflated = inflateSync(arr.subarray(position));
      const full = new Uint8Array(position + inflated.length);
      full.set(arr.subarray(0, position), 0);
      full.set(inflated, position);
      return full;
    }) as unknown as (arr: Uint8Array, position: number) => void,
  });
  const syntax = part10 ? (ds.string('x00020010') ?? TS.implicitLittle).trim() : TS.implicitLittle;
  const all = elementsOf(ds, encoding(syntax).explicit, ds.byteArray.length);
  return { part10, meta: all.filter((e) => e.group === 2 && e.element !== 0), body: all.filter((e) => e.group !== 2) };
}

function writeElements(elements: readonly DicomElement[], explicit: boolean, le: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const el of elements) {
    const long = explicit ? isLongVr(el.vr) : true;
    const header = new Uint8Array(explicit ? (long ? 12 : 8) : 8);
    const v = new DataView(header.buffer);
    v.setUint16(0, el.group, le);
    v.setUint16(2, el.element, le);
    const declared = el.undefinedLength ? 0xffffffff : Math.max(0, el.value.length + (el.lengthDelta ?? 0));
    if (explicit) {
      header[4] = el.vr.charCodeAt(0) & 0xff;
      header[5] = el.vr.charCodeAt(1) & 0xff;
      if (long) v.setUint32(8, declared >>> 0, le);
      else v.setUint16(6, declared & 0xffff, le);
    } else {
      v.setUint32(4, declared >>> 0, le);
    }
    parts.push(header, el.value);
  }
  return concatBytes(parts);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Writes the model back as bytes, encoding the body as the (possibly mutated) transfer syntax says. */
export function writeDicomModel(model: DicomModel): Uint8Array {
  const syntax = syntaxOf(model);
  const { explicit, le, deflate } = encoding(syntax);
  const meta = writeElements(model.meta, true, true);
  const groupLength = writeElements([{ group: 2, element: 0, vr: 'UL', value: u32le(model.metaGroupLength ?? meta.length), undefinedLength: false }], true, true);
  let body = writeElements(model.body, explicit, le);
  if (deflate) body = deflateSync(body);
  const parts: Uint8Array[] = [];
  if (model.part10) {
    const preamble = new Uint8Array(132);
    preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
    parts.push(preamble, groupLength, meta);
  }
  parts.push(body);
  if (model.trailer) parts.push(model.trailer);
  return concatBytes(parts);
}

export function u32le(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x >>> 0, true);
  return b;
}

/** Text value padded to even length as DICOM wants (UI with NUL, others with space). */
export function textValue(s: string, vr: string): Uint8Array {
  const padded = s.length % 2 ? s + (vr === 'UI' ? '\0' : ' ') : s;
  return Uint8Array.from(padded, (c) => c.charCodeAt(0) & 0xff);
}

export function findElement(list: readonly DicomElement[], group: number, element: number): DicomElement | undefined {
  return list.find((e) => e.group === group && e.element === element);
}

/** Sets (or adds, in tag order) an element's value. */
export function setElement(list: DicomElement[], group: number, element: number, vr: string, value: Uint8Array): void {
  const el = findElement(list, group, element);
  if (el) {
    el.value = value;
    el.undefinedLength = false;
    return;
  }
  const at = list.findIndex((e) => e.group > group || (e.group === group && e.element > element));
  const fresh: DicomElement = { group, element, vr, value, undefinedLength: false };
  if (at < 0) list.push(fresh);
  else list.splice(at, 0, fresh);
}

/** One item of encapsulated pixel data (PS3.5 A.4): the basic offset table first, then fragments. */
export interface PixelItem {
  tag: number;
  bytes: Uint8Array;
}

/** Splits an encapsulated Pixel Data value into items; the last entry is the delimiter when present. */
export function splitItems(value: Uint8Array): PixelItem[] {
  const items: PixelItem[] = [];
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  let p = 0;
  while (p + 8 <= value.length) {
    const tag = (v.getUint16(p, true) << 16) | v.getUint16(p + 2, true);
    const len = v.getUint32(p + 4, true);
    const end = Math.min(value.length, p + 8 + len);
    items.push({ tag: tag >>> 0, bytes: value.slice(p + 8, end) });
    p = end;
    if (tag >>> 0 === 0xfffee0dd) break;
  }
  return items;
}

export function joinItems(items: readonly PixelItem[], lengthOverride?: Map<number, number>): Uint8Array {
  const parts: Uint8Array[] = [];
  items.forEach((it, i) => {
    const h = new Uint8Array(8);
    const v = new DataView(h.buffer);
    v.setUint16(0, it.tag >>> 16, true);
    v.setUint16(2, it.tag & 0xffff, true);
    v.setUint32(4, (lengthOverride?.get(i) ?? it.bytes.length) >>> 0, true);
    parts.push(h, it.bytes);
  });
  return concatBytes(parts);
}

export const ITEM_TAG = 0xfffee000;
export const SEQUENCE_DELIMITER_TAG = 0xfffee0dd;
