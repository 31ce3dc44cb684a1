/**
 * Which evaluation cases a model was trained (or validated) on, read from the patient-level split
 * files the training commands leave next to the models (`models/*split*.json`, STYLE §6). Numbers
 * on training cases are not validation: `ctscreen eval` reports them separately.
 *
 *   readTrainingSplits(modelsDir): SplitRecord[]
 *   splitMembership(casePath, splits): SplitMembership[]
 *   groupNamesCase(group, casePath): boolean
 *
 * Split files name groups (patients) as `<dataset tag>-<case key>`, e.g. 'covid-ct-md-P001' for
 * covid-ct-md/P001 and 'tb-tb1_001' for tb-lesions/tb1_001_1001_….nii.gz. A group names a case when
 * its tag matches a folder of the case path (equal, or the folder's first word) and its key is a
 * path segment below that folder or the leading part of one, cut at '_', '-' or '.'.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SplitRecord {
  /** Split file name, e.g. 'classifier-split.json'. */
  file: string;
  /** Models whose card points at this split file (ids), or the file's stem when no card does. */
  models: string[];
  train: string[];
  validation: string[];
}

export interface SplitMembership {
  file: string;
  models: string[];
  group: string;
  split: 'train' | 'validation';
}

function stringArray(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : [];
}

/** Reads every `*split*.json` in `modelsDir` that has train/validation lists; others are skipped. */
export function readTrainingSplits(modelsDir: string): SplitRecord[] {
  if (!existsSync(modelsDir)) return [];
  const names = readdirSync(modelsDir).sort();
  const cardsBySplit = new Map<string, string[]>();
  for (const n of names.filter((f) => f.endsWith('.card.json'))) {
    try {
      const card = JSON.parse(readFileSync(join(modelsDir, n), 'utf8')) as { id?: unknown; training?: { split?: { file?: unknown } } };
      const f = card.training?.split?.file;
      if (typeof f === 'string' && typeof card.id === 'string') cardsBySplit.set(f, [...(cardsBySplit.get(f) ?? []), card.id]);
    } catch {
      // an unreadable card is reported by `ctscreen models`; here it only loses the model names
    }
  }
  const out: SplitRecord[] = [];
  for (const n of names.filter((f) => /split/i.test(f) && f.endsWith('.json'))) {
    let json: { train?: unknown; validation?: unknown };
    try {
      json = JSON.parse(readFileSync(join(modelsDir, n), 'utf8')) as typeof json;
    } catch {
      continue;
    }
    const train = stringArray(json.train);
    const validation = stringArray(json.validation);
    if (train.length === 0 && validation.length === 0) continue;
    out.push({ file: n, models: cardsBySplit.get(n) ?? [n.replace(/\.json$/, '')], train, validation });
  }
  return out;
}

const KEY_BOUNDARY = /^[_\-.]/;

function stem(segment: string): string {
  return segment.replace(/(\.nii\.gz|\.nii|\.zip|\.dcm|\.json)$/i, '');
}

/** True when split group `group` names the case at `casePath` (see the file header for the rule). */
export function groupNamesCase(group: string, casePath: string): boolean {
  const segs = casePath.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.' && s !== '..').map((s) => stem(s).toLowerCase());
  const g = group.toLowerCase();
  for (let cut = g.indexOf('-'); cut > 0; cut = g.indexOf('-', cut + 1)) {
    const tag = g.slice(0, cut);
    const key = g.slice(cut + 1);
    if (key === '') continue;
    for (let d = 0; d < segs.length - 1; d++) {
      const folder = segs[d];
      if (!(folder === tag || folder.split('-')[0] === tag)) continue;
      for (let s = d + 1; s < segs.length; s++) {
        const seg = segs[s];
        if (seg === key || (seg.startsWith(key) && KEY_BOUNDARY.test(seg.slice(key.length)))) return true;
      }
    }
  }
  return false;
}

/** Every split group that names the case, with the split it is in. */
export function splitMembership(casePath: string, splits: readonly SplitRecord[]): SplitMembership[] {
  const out: SplitMembership[] = [];
  for (const s of splits) {
    for (const [split, groups] of [['train', s.train], ['validation', s.validation]] as const) {
      for (const group of groups) if (groupNamesCase(group, casePath)) out.push({ file: s.file, models: s.models, group, split });
    }
  }
  return out;
}
