/** Test helpers for DICOM outputs: dciodvfy (dicom3tools) and a flat view of a TID 1500 SR. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readNaturalized } from '../../../src/report/writers/dicom-common.ts';


/** dciodvfy's errors and warnings for one file (it prints them on stderr). */
export function dciodvfy(file: string): { errors: string[]; warnings: string[]; iod: string } {
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return { errors: lines.filter((l) => l.startsWith('Error')), warnings: lines.filter((l) => l.startsWith('Warning')), iod: lines.find((l) => !l.startsWith('Error') && !l.startsWith('Warning')) ?? '' };
}

/** dciodvfy reports no error on any of `files` (warnings are allowed); fails when dciodvfy is not installed (.ci/run installs it). */
export function assertDciodvfyClean(files: string[]): void {
  for (const f of files) {
    const v = dciodvfy(f);
    assert.ok(v.iod !== '', `dciodvfy did not run on ${f}: install Debian dicom3tools (.ci/run does)`);
    assert.deepEqual(v.errors, [], `${f}: ${v.errors.join('\n')}`);
  }
}

type Item = Record<string, unknown>;
const seq = (x: unknown): Item[] => (Array.isArray(x) ? (x as Item[]) : x ? [x as Item] : []);
const conceptOf = (i: Item) => seq(i.ConceptNameCodeSequence)[0] as { CodeValue: string; CodingSchemeDesignator: string; CodeMeaning: string } | undefined;

export interface SrNum {
  value: number;
  unit: string;
}
export interface SrGroup {
  trackingId: string;
  trackingUid: string;
  template: string | null;
  finding: string | null;
  findingSite: string | null;
  /** Referenced SEG segment number, when the group points at one. */
  segment: number | null;
  /** NUM items by concept code value. */
  nums: Record<string, SrNum>;
}

function numValue(i: Item): SrNum {
  const m = seq(i.MeasuredValueSequence)[0];
  const fp = m.FloatingPointValue;
  const value = fp !== undefined ? Number(Array.isArray(fp) ? fp[0] : fp) : Number(m.NumericValue);
  return { value, unit: String((seq(m.MeasurementUnitsCodeSequence)[0] as Item).CodeValue) };
}

/** The SR's root, measurement groups and qualitative evaluations, read back by dcmjs. */
export function readSr(file: string): { root: Item; groups: SrGroup[]; qualitative: Item[]; library: Item[] } {
  const root = readNaturalized(new Uint8Array(readFileSync(file)));
  const top = seq(root.ContentSequence);
  const find = (items: Item[], value: string) => items.find((i) => conceptOf(i)?.CodeValue === value);
  const measurements = seq(find(top, '126010')?.ContentSequence);
  const groups = measurements.map((g) => {
    const items = seq(g.ContentSequence);
    const code = (value: string) => {
      const it = find(items, value);
      return it ? String((seq(it.ConceptCodeSequence)[0] as Item).CodeValue) : null;
    };
    const segItem = find(items, '121191');
    const nums: Record<string, SrNum> = {};
    for (const it of items) if (it.ValueType === 'NUM') nums[conceptOf(it)!.CodeValue] = numValue(it);
    return {
      trackingId: String(find(items, '112039')?.TextValue),
      trackingUid: String(find(items, '112040')?.UID),
      template: seq(g.ContentTemplateSequence)[0] ? String(seq(g.ContentTemplateSequence)[0].TemplateIdentifier) : null,
      finding: code('121071'),
      findingSite: code('363698007'),
      segment: segItem ? Number(seq(segItem.ReferencedSOPSequence)[0].ReferencedSegmentNumber) : null,
      nums,
    };
  });
  const library = seq(seq(find(top, '111028')?.ContentSequence)[0]?.ContentSequence);
  return { root, groups, qualitative: seq(find(top, 'C0034375')?.ContentSequence), library };
}

/** A short indented print of an SR content tree (concept: value). */
export function srTreeText(file: string, maxGroups = 6): string {
  const root = readNaturalized(new Uint8Array(readFileSync(file)));
  const lines: string[] = [];
  const walk = (item: Item, depth: number) => {
    const c = conceptOf(item);
    let v = '';
    if (item.ValueType === 'TEXT') v = String(item.TextValue);
    else if (item.ValueType === 'CODE') v = String((seq(item.ConceptCodeSequence)[0] as Item).CodeMeaning);
    else if (item.ValueType === 'NUM') v = `${numValue(item).value} ${numValue(item).unit}`;
    else if (item.ValueType === 'UIDREF') v = String(item.UID);
    else if (item.ValueType === 'IMAGE') {
      const r = seq(item.ReferencedSOPSequence)[0];
      v = `${r.ReferencedSOPInstanceUID}${r.ReferencedSegmentNumber !== undefined ? ` segment ${r.ReferencedSegmentNumber}` : ''}`;
    }
    lines.push(`${'  '.repeat(depth)}${item.RelationshipType ?? ''} ${item.ValueType} ${c?.CodeMeaning ?? ''}${v ? `: ${v}` : ''}`);
    const children = seq(item.ContentSequence);
    const isLibrary = c?.CodeValue === '126200';
    const isMeasurements = c?.CodeValue === '126010';
    const shown = isLibrary ? children.slice(0, 2) : isMeasurements ? children.slice(0, maxGroups) : children;
    for (const ch of shown) walk(ch, depth + 1);
    if (shown.length < children.length) lines.push(`${'  '.repeat(depth + 1)}… ${children.length - shown.length} more`);
  };
  walk(root, 0);
  return lines.join('\n');
}
