/**
 * The files of one screening in an output folder:
 *   report.json              the validated case report (core/report-schema.ts)
 *   report.html              the self-contained report a clinician reads (html-report.ts)
 *   candidates.nii.gz        candidate regions as labels on the input grid (k = region Rk's label value; 0 none)
 *   lungs.nii.gz             lung mask on the input grid (1 right, 2 left), when lungs were found
 *   lesions.nii.gz           lesion mask on the input grid (0/1, segmenter at its Dice-optimal threshold), when there is one
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
export const LESION_MASK_NIFTI = outputFileName('lesion-mask');

/** What the report writer needs of a screening's artifacts (pipeline/screen.ts ScreenArtifacts fits). */
export interface ReportArtifacts {
  volume: Volume;
  lungMask: Uint8Array | null;
  candidateLabels: Uint32Array | null;
  /** Lesion mask (0/1) on the volume grid; absent or null without one. */
  lesionMask?: Uint8Array | null;
  regions: readonly OverlayRegion[];
  keySlices: readonly number[];
}

export interface WriteOutputsOptions {
  outDir: string;
  report: CaseReport;
  artifacts: ReportArtifacts;
}

export interface ScreeningOutputs {
  json: string;
  html: string;
  candidateMask: string;
  lungMask: string | null;
  lesionMask: string | null;
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

/** The HTML of a screening (key slices rendered from the artifacts). */
export function screeningHtml(report: CaseReport, artifacts: ReportArtifacts): string {
  const options = { volume: artifacts.volume, lungMask: artifacts.lungMask, candidateLabels: artifacts.candidateLabels, regions: artifacts.regions, classes: report.classes };
  const figures = artifacts.keySlices.map((z) => renderKeySlice(options, z));
  return renderHtmlReport({ report, keySlices: figures });
}

export async function writeScreeningOutputs(options: WriteOutputsOptions): Promise<ScreeningOutputs> {
  const { outDir, report, artifacts } = options;
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
    lungMask: artifacts.lungMask ? join(outDir, LUNG_MASK_NIFTI) : null,
    lesionMask: artifacts.lesionMask ? join(outDir, LESION_MASK_NIFTI) : null,
  };
  const { volume } = artifacts;
  const n = volume.data.length;
  await writeFile(out.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(out.html, screeningHtml(report, artifacts));
  // masks go on the input grid with its geometry, so they overlay the CT in any viewer
  await writeNifti(sameGrid(volume, labelsForNifti(artifacts.candidateLabels, n)), out.candidateMask);
  if (artifacts.lungMask && out.lungMask) await writeNifti(sameGrid(volume, artifacts.lungMask), out.lungMask);
  if (artifacts.lesionMask && out.lesionMask) await writeNifti(sameGrid(volume, artifacts.lesionMask), out.lesionMask);
  return out;
}
