/**
 * The files of one screening in an output folder:
 *   report.json              the validated case report (core/report-schema.ts)
 *   report.html              the self-contained report a clinician reads (html-report.ts)
 *   candidates.nii.gz        candidate regions as labels on the input grid (k = region Rk's label value; 0 none)
 *   lungs.nii.gz             lung mask on the input grid (1 right, 2 left), when lungs were found
 *   volume.nii.gz            the CT itself in HU (int16) on the input grid, only when asked for (the viewer draws it)
 *
 *   writeScreeningOutputs({ outDir, report, artifacts }): Promise<ScreeningOutputs>
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { validateCaseReport, type CaseReport } from '../core/report-schema.ts';
import { sameGrid, type Volume } from '../core/volume.ts';
import { writeNifti } from '../io/nifti.ts';
import { outputFormats } from '../registry.ts';
import { renderHtmlReport } from './html-report.ts';
import { renderKeySlice, type OverlayRegion } from './key-slices.ts';

function outputFileName(id: string): string {
  const entry = outputFormats.find((f) => f.id === id);
  if (!entry) throw new Error(`output format '${id}' is not in the registry (src/registry.ts)`);
  return entry.fileName;
}

/** File names come from the registry's output formats (STYLE §5). */
export const REPORT_JSON = outputFileName('report-json');
export const REPORT_HTML = outputFileName('report-html');
export const CANDIDATE_MASK_NIFTI = outputFileName('candidate-mask');
export const LUNG_MASK_NIFTI = outputFileName('lung-mask');
export const CT_VOLUME_NIFTI = outputFileName('ct-volume');

/** Formats written when the caller names none (the CT copy is large and only viewers need it). */
export const DEFAULT_OUTPUT_FORMATS: readonly string[] = ['report-json', 'report-html', 'candidate-mask', 'lung-mask'];

/** What the report writer needs of a screening's artifacts (pipeline/screen.ts ScreenArtifacts fits). */
export interface ReportArtifacts {
  volume: Volume;
  lungMask: Uint8Array | null;
  candidateLabels: Uint32Array | null;
  regions: readonly OverlayRegion[];
  keySlices: readonly number[];
}

export interface WriteOutputsOptions {
  outDir: string;
  report: CaseReport;
  artifacts: ReportArtifacts;
  /** Registry output-format ids to write (default DEFAULT_OUTPUT_FORMATS); report.json is always written. */
  formats?: readonly string[];
}

export interface ScreeningOutputs {
  json: string;
  html: string;
  candidateMask: string;
  lungMask: string | null;
  /** Present only when the 'ct-volume' format was asked for. */
  volume?: string;
}

/** uint8 labels while they fit (viewers read them everywhere), int16 beyond; a larger label is a bug. */
export const MAX_MASK_LABEL = 32767;

function labelsForNifti(labels: Uint32Array | null, n: number): Uint8Array | Int16Array {
  let max = 0;
  if (labels) for (let i = 0; i < n; i++) if (labels[i] > max) max = labels[i];
  if (max > MAX_MASK_LABEL) throw new RangeError(`candidate label ${max} does not fit a NIfTI int16 label map`);
  const out = max <= 255 ? new Uint8Array(n) : new Int16Array(n);
  if (labels) for (let i = 0; i < n; i++) out[i] = labels[i];
  return out;
}

/** HU rounded and clamped to int16 (an Int16Array passes through unchanged). */
export function huAsInt16(data: Volume['data']): Int16Array {
  if (data instanceof Int16Array) return data;
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(data[i])));
  return out;
}

/** The HTML of a screening (key slices rendered from the artifacts). */
export function screeningHtml(report: CaseReport, artifacts: ReportArtifacts): string {
  const options = { volume: artifacts.volume, lungMask: artifacts.lungMask, candidateLabels: artifacts.candidateLabels, regions: artifacts.regions, classes: report.classes };
  const figures = artifacts.keySlices.map((z) => renderKeySlice(options, z));
  return renderHtmlReport({ report, keySlices: figures });
}

export async function writeScreeningOutputs(options: WriteOutputsOptions): Promise<ScreeningOutputs> {
  const { outDir, report, artifacts } = options;
  const formats = new Set(options.formats ?? DEFAULT_OUTPUT_FORMATS);
  for (const f of formats) if (!outputFormats.some((e) => e.id === f)) throw new InputError('OUTPUT_FORMAT', `output format '${f}' is not known; expected some of ${outputFormats.map((e) => e.id).join(', ')}`);
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    throw new InputError('OUTPUT_DIR', `cannot create output folder ${outDir} (${(e as NodeJS.ErrnoException).code ?? 'error'}); give a writable --out folder`, { path: outDir, cause: e });
  }
  // a report that fails its own schema must never be written
  validateCaseReport(report, 'report to write');
  const out: ScreeningOutputs = {
    json: join(outDir, REPORT_JSON),
    html: join(outDir, REPORT_HTML),
    candidateMask: join(outDir, CANDIDATE_MASK_NIFTI),
    lungMask: artifacts.lungMask && formats.has('lung-mask') ? join(outDir, LUNG_MASK_NIFTI) : null,
  };
  const { volume } = artifacts;
  const n = volume.data.length;
  await writeFile(out.json, `${JSON.stringify(report, null, 2)}\n`);
  if (formats.has('report-html')) await writeFile(out.html, screeningHtml(report, artifacts));
  // masks go on the input grid with its geometry, so they overlay the CT in any viewer
  if (formats.has('candidate-mask')) await writeNifti(sameGrid(volume, labelsForNifti(artifacts.candidateLabels, n)), out.candidateMask);
  if (artifacts.lungMask && out.lungMask) await writeNifti(sameGrid(volume, artifacts.lungMask), out.lungMask);
  if (formats.has('ct-volume')) {
    out.volume = join(outDir, CT_VOLUME_NIFTI);
    await writeNifti(sameGrid(volume, huAsInt16(volume.data)), out.volume);
  }
  return out;
}
