/**
 * Inputs of `ctscreen metrics`: a confusion matrix given on the command line, or a predictions CSV.
 * Every malformed input is an InputError that names where (argument or file and line) and what would
 * be right.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';

/** Cases as class indices into `labels`, plus per-class scores when the source had them. */
export interface MetricsInput {
  labels: string[];
  /** Case ids (CSV) or null (confusion matrix). */
  caseIds: string[] | null;
  actual: Int32Array;
  predicted: Int32Array;
  /** Per case, one score per label in `labels` order; null without score columns. */
  scores: number[][] | null;
  notes: string[];
}

/** Prefix of the CSV columns holding per-class scores, e.g. `score_covid19`. */
export const SCORE_COLUMN_PREFIX = 'score_';
const REQUIRED_COLUMNS = ['case', 'label', 'predicted'] as const;

/** Splits a `--labels a,b,c` value; refuses empty or repeated names. */
export function parseLabelsArg(value: string): string[] {
  const labels = value.split(',').map((s) => s.trim());
  if (labels.some((l) => l === '')) throw new InputError('METRICS_LABELS', `--labels '${value}' has an empty name; give comma-separated class names, e.g. --labels covid19,other,none`);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) throw new InputError('METRICS_LABELS', `--labels '${value}' names '${dup}' twice`);
  return labels;
}

/**
 * Parses `--confusion "26,3,1;4,25,1;2,1,27"`: rows (actual class) separated by ';', counts (predicted
 * class) by ','. Without labels the classes are called c1, c2, …
 */
export function parseConfusionArg(value: string, labels?: readonly string[]): { labels: string[]; matrix: number[][] } {
  const bad = (msg: string) => new InputError('METRICS_CONFUSION', `--confusion '${value}': ${msg}`);
  const rows = value.split(';').map((r) => r.trim());
  if (rows.length > 1 && rows[rows.length - 1] === '') rows.pop(); // a trailing ';'
  const matrix = rows.map((row, i) => {
    if (row === '') throw bad(`row ${i + 1} is empty; write rows as counts separated by ',' and rows separated by ';', e.g. "26,3,1;4,25,1;2,1,27"`);
    return row.split(',').map((cell, j) => {
      const t = cell.trim();
      if (!/^\d+$/.test(t)) throw bad(`'${t}' at row ${i + 1}, column ${j + 1} is not a non-negative integer count`);
      return Number(t);
    });
  });
  const k = matrix[0].length;
  matrix.forEach((row, i) => {
    if (row.length !== k) throw bad(`row ${i + 1} has ${row.length} counts but row 1 has ${k}`);
  });
  if (matrix.length !== k) throw bad(`${matrix.length} rows of ${k} counts; a confusion matrix is square (rows = actual class, columns = predicted class)`);
  if (labels && labels.length !== k) throw new InputError('METRICS_LABELS', `--labels has ${labels.length} names (${labels.join(', ')}) but --confusion has ${k} classes`);
  return { labels: labels ? [...labels] : Array.from({ length: k }, (_, i) => `c${i + 1}`), matrix };
}

/** RFC 4180 fields of CSV text: commas, double quotes with "" escapes, CRLF or LF line ends. */
export function parseCsvRows(text: string, file: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0].trim() === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new InputError('METRICS_CSV', `${file} line ${rowLine}: a quoted field is not closed`, { path: file });
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

/**
 * Parses a predictions CSV: header `case,label,predicted` and optionally `score_<class>` columns (one
 * per class). Class order: `labels` if given, else the score columns, else the sorted set of labels seen.
 */
export function parsePredictionsCsv(text: string, file: string, labels?: readonly string[]): MetricsInput {
  const fail = (line: number, msg: string): never => {
    throw new InputError('METRICS_CSV', `${file} line ${line}: ${msg}`, { path: file });
  };
  const rows = parseCsvRows(text, file);
  if (rows.length === 0) throw new InputError('METRICS_CSV', `${file} is empty; expected a header 'case,label,predicted[,score_<class>…]' and one row per case`, { path: file });
  const header = rows[0].fields.map((h) => h.trim());
  const col = new Map<string, number>();
  header.forEach((h, i) => {
    if (col.has(h)) fail(rows[0].line, `column '${h}' appears twice`);
    col.set(h, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !col.has(c));
  if (missing.length > 0) fail(rows[0].line, `header lacks ${missing.map((m) => `'${m}'`).join(', ')}; found ${header.map((h) => `'${h}'`).join(', ')}; expected case,label,predicted[,score_<class>…]`);
  const notes: string[] = [];
  const scoreCols = header.filter((h) => h.startsWith(SCORE_COLUMN_PREFIX));
  const ignored = header.filter((h) => !scoreCols.includes(h) && !(REQUIRED_COLUMNS as readonly string[]).includes(h));
  if (ignored.length > 0) notes.push(`${file}: ignored column(s) ${ignored.join(', ')}`);
  const scoreLabels = scoreCols.map((h) => h.slice(SCORE_COLUMN_PREFIX.length));
  if (scoreLabels.some((l) => l === '')) fail(rows[0].line, `score column '${SCORE_COLUMN_PREFIX}' has no class name`);

  const data = rows.slice(1);
  if (data.length === 0) throw new InputError('METRICS_CSV', `${file} has a header but no cases`, { path: file });
  for (const r of data) {
    if (r.fields.length !== header.length) fail(r.line, `has ${r.fields.length} fields but the header has ${header.length}`);
  }
  const get = (r: { fields: string[] }, name: string) => r.fields[col.get(name)!].trim();

  let classes: string[];
  let from: string;
  if (labels) {
    classes = [...labels];
    from = '--labels';
  } else if (scoreLabels.length > 0) {
    classes = scoreLabels;
    from = 'the score columns';
  } else {
    classes = [...new Set(data.flatMap((r) => [get(r, 'label'), get(r, 'predicted')]))].filter((l) => l !== '').sort();
    from = 'the labels seen';
  }
  if (scoreLabels.length > 0 && (scoreLabels.length !== classes.length || classes.some((c) => !scoreLabels.includes(c)))) {
    fail(rows[0].line, `score columns are for ${scoreLabels.join(', ')} but the classes are ${classes.join(', ')} (${from}); give one score_<class> column per class`);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const scoreIndex = classes.map((c) => col.get(SCORE_COLUMN_PREFIX + c)!);

  const n = data.length;
  const actual = new Int32Array(n);
  const predicted = new Int32Array(n);
  const scores: number[][] | null = scoreLabels.length > 0 ? [] : null;
  const caseIds: string[] = [];
  const seen = new Map<string, number>();
  data.forEach((r, c) => {
    const id = get(r, 'case');
    if (id === '') fail(r.line, 'case id is empty');
    const earlier = seen.get(id);
    if (earlier !== undefined) fail(r.line, `case '${id}' already appears on line ${earlier}`);
    seen.set(id, r.line);
    caseIds.push(id);
    for (const [name, out] of [['label', actual], ['predicted', predicted]] as const) {
      const v = get(r, name);
      const k = index.get(v);
      if (k === undefined) fail(r.line, `${name} '${v}' is not among ${classes.join(', ')} (${from})`);
      out[c] = k!;
    }
    if (scores) {
      scores.push(
        scoreIndex.map((ci, k) => {
          const t = r.fields[ci].trim();
          const v = Number(t);
          if (t === '' || !Number.isFinite(v)) fail(r.line, `${SCORE_COLUMN_PREFIX}${classes[k]} '${t}' is not a number`);
          return v;
        }),
      );
    }
  });
  return { labels: classes, caseIds, actual, predicted, scores, notes };
}

/** Reads and parses a predictions CSV file. */
export function readPredictionsCsv(file: string, labels?: readonly string[]): MetricsInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError('METRICS_CSV', `cannot read predictions file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); give a CSV with header case,label,predicted[,score_<class>…]`, { path: file, cause: e });
  }
  return parsePredictionsCsv(text, file, labels);
}
