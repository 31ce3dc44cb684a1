/**
 * The evaluation manifest of `ctscreen eval`: one CT a row, `path,label[,split]`, paths relative to
 * the manifest's folder. A header row (`path,label,...`) and `#` comment lines are allowed.
 *
 *   parseManifest(text, file): Manifest     throws InputError naming the file and line
 *   readManifest(file): Manifest
 *   checkManifestLabels(manifest, labels)   every label must be a case-level class
 *
 * Case ids are the paths with their common leading folders removed ('covid-ct-md/P001'), so the
 * predictions CSV and per-case report folders are readable and unique.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../core/errors.ts';
import { parseCsvRows } from './metrics-input.ts';

export interface ManifestCase {
  /** Unique, readable id (path without common leading folders and without extension). */
  id: string;
  /** Path as written in the manifest. */
  pathAsWritten: string;
  /** Absolute path of the CT (folder or file). */
  path: string;
  /** Case-level truth: an infection label of the classifier, or the no-infection label. */
  label: string;
  /** Optional third column (e.g. 'train', 'validation', 'test'), reported as given. */
  split?: string;
  /** Line of the manifest the case is on. */
  line: number;
}

export interface Manifest {
  file: string;
  cases: ManifestCase[];
}

const HEADER_FIRST_FIELD = 'path';
const VOLUME_EXTENSIONS = /(\.nii\.gz|\.nii|\.zip|\.dcm)$/i;

function caseIds(paths: readonly string[]): string[] {
  const parts = paths.map((p) => p.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.' && s !== '..'));
  // drop the leading folders every case shares (e.g. '../../shared/data/')
  let common = 0;
  if (parts.length > 1) {
    const shortest = Math.min(...parts.map((p) => p.length));
    while (common < shortest - 1 && parts.every((p) => p[common] === parts[0][common])) common++;
  }
  const ids = parts.map((p) => (p.length > 0 ? p.slice(common).join('/').replace(VOLUME_EXTENSIONS, '') : 'case'));
  const seen = new Map<string, number>();
  return ids.map((id) => {
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  });
}

export function parseManifest(text: string, file: string): Manifest {
  const fail = (line: number, msg: string): never => {
    throw new InputError('EVAL_MANIFEST', `${file} line ${line}: ${msg}`, { path: file });
  };
  let rows = parseCsvRows(text, file).filter((r) => !r.fields[0].trim().startsWith('#'));
  if (rows.length > 0 && rows[0].fields[0].trim().toLowerCase() === HEADER_FIRST_FIELD) {
    const h = rows[0].fields.map((f) => f.trim().toLowerCase());
    if (h[1] !== 'label' || (h.length > 2 && h[2] !== 'split') || h.length > 3) fail(rows[0].line, `header must be 'path,label' or 'path,label,split', found '${rows[0].fields.join(',')}'`);
    rows = rows.slice(1);
  }
  if (rows.length === 0) throw new InputError('EVAL_MANIFEST', `${file} lists no cases; expected rows 'path,label[,split]' with paths relative to the manifest`, { path: file });
  const base = dirname(resolve(file));
  const raw = rows.map((r) => {
    const f = r.fields.map((x) => x.trim());
    if (f.length < 2 || f.length > 3) fail(r.line, `has ${f.length} field(s); expected 'path,label' or 'path,label,split'`);
    if (f[0] === '') fail(r.line, 'path is empty');
    if (f[1] === '') fail(r.line, 'label is empty');
    return { pathAsWritten: f[0], path: isAbsolute(f[0]) ? f[0] : resolve(base, f[0]), label: f[1], split: f[2] === undefined || f[2] === '' ? undefined : f[2], line: r.line };
  });
  const firstLine = new Map<string, number>();
  for (const c of raw) {
    const earlier = firstLine.get(c.path);
    if (earlier !== undefined) fail(c.line, `${c.pathAsWritten} is already listed on line ${earlier}`);
    firstLine.set(c.path, c.line);
  }
  const ids = caseIds(raw.map((c) => c.pathAsWritten));
  return { file, cases: raw.map((c, i) => ({ id: ids[i], ...c })) };
}

export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError('EVAL_MANIFEST', `cannot read manifest ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); give a CSV of 'path,label[,split]' rows`, { path: file, cause: e });
  }
  return parseManifest(text, file);
}

/** Every case label must be one of `labels` (the case-level classes of the classifier in use). */
export function checkManifestLabels(manifest: Manifest, labels: readonly string[]): void {
  for (const c of manifest.cases) {
    if (!labels.includes(c.label)) {
      throw new InputError('EVAL_MANIFEST', `${manifest.file} line ${c.line}: label '${c.label}' is not a case-level class of the classifier; expected one of ${labels.join(', ')}`, { path: manifest.file });
    }
  }
}
