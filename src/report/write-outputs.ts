/**
 * The files of one screening in an output folder:
 *   report.json              the validated case report (core/report-schema.ts)
 *   report.html              the self-contained report a clinician reads (html-report.ts)
 *   candidates.nii.gz        candidate regions as labels on the input grid (k = region Rk's label value; 0 none)
 *   lungs.nii.gz             lung mask on the input grid (1 right, 2 left), when lungs were found
 *   lesions.nii.gz           lesion mask on the input grid (0/1, segmenter at its Dice-optimal threshold), when there is one
 *   dicom/                   SEG, TID 1500 SR and key-slice secondary captures (writers/dicom-outputs.ts)
 *   volume.nii.gz            the CT itself in HU (int16) on the input grid, output type 'volume' (viewers draw it)
 *
 * report.json is always written; the others by output type (registry outputFormats), by default
 * nifti and html (the files above without dicom/).
 *
 *   writeScreeningOutputs({ outDir, report, artifacts, outputTypes? }): Promise<ScreeningOutputs>
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { validateCaseReport, type CaseReport } from '../core/report-schema.ts';
import { sameGrid, type Vec3, type Volume } from '../core/volume.ts';
import { writeNifti } from '../io/nifti.ts';
import type { DicomReferences } from '../io/dicom/references.ts';
import { DEFAULT_OUTPUT_TYPES, outputFormats, outputWriters, type OutputType } from '../registry.ts';
import { renderHtmlReport } from './html-report.ts';
import { displayCrop, renderKeySlice, type KeySliceFigure, type OverlayRegion } from './key-slices.ts';
import { dicomOutputNeedsDicomInput } from './writers/dicom-output-error.ts';
import type { DicomOutputs } from './writers/dicom-outputs.ts';

/** zlib level of the NIfTI masks: measured on normal001's lung mask 145 → 31 ms, 232 → 516 kB. */
export const MASK_GZIP_LEVEL = 1;

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
export const CT_VOLUME_NIFTI = outputFileName('ct-volume');

/** What the report writer needs of a screening's artifacts (pipeline/screen.ts ScreenArtifacts fits). */
export interface ReportArtifacts {
  volume: Volume;
  lungMask: Uint8Array | null;
  candidateLabels: Uint32Array | null;
  regions: readonly OverlayRegion[];
  keySlices: readonly number[];
  /** 0/1 lesion mask on the volume grid, when the candidate stage gives one (DICOM SEG lesion segment). */
  lesionMask?: Uint8Array | null;
  /** DICOM inputs only: what DICOM outputs reference and copy (identifying; never logged). */
  dicomReferences?: DicomReferences | null;
  /**
   * The key slices' pictures, already being rendered (screenCase's renderKeySlices option,
   * key-slice-renderer.ts); used by the HTML when they are the pictures of `keySlices`.
   */
  keySliceFigures?: Promise<KeySliceFigure[]>;
}

export interface WriteOutputsOptions {
  outDir: string;
  report: CaseReport;
  artifacts: ReportArtifacts;
  /** Default DEFAULT_OUTPUT_TYPES (nifti, html); report.json is always written. */
  outputTypes?: readonly OutputType[];
}

export interface ScreeningOutputs {
  json: string;
  html: string | null;
  candidateMask: string | null;
  lungMask: string | null;
  lesionMask: string | null;
  dicom: DicomOutputs | null;
  /** The CT copy, when output type 'volume' was asked for. */
  volume: string | null;
}

/** uint8 labels while they fit (viewers read them everywhere), int16 beyond; a larger label is a bug. */
export const MAX_MASK_LABEL = 32767;

/**
 * The candidate label volume as a NIfTI label map. Only the regions' boxes are read: each box bounds
 * every voxel of its label (OverlayRegion.box) and the labels hold no other values, so the rest of
 * the map is 0 (P001: the boxes hold ~1 % of the 39 M voxels that a scan for the largest label read).
 */
export function labelsForNifti(labels: Uint32Array | null, dims: Vec3, regions: readonly Pick<OverlayRegion, 'labelValue' | 'box'>[]): Uint8Array | Int16Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  if (!labels) return new Uint8Array(n);
  if (labels.length !== n) throw new RangeError(`candidate labels have ${labels.length} voxels, the volume ${dims.join('×')} has ${n}`);
  let max = 0;
  for (const r of regions) if (r.labelValue > max) max = r.labelValue;
  if (max > MAX_MASK_LABEL) throw new RangeError(`candidate label ${max} does not fit a NIfTI int16 label map`);
  const out = max <= 255 ? new Uint8Array(n) : new Int16Array(n);
  // each box's rows copied with set(): every label fits the smaller type, so the conversion keeps each value (boxes may overlap: the same values twice)
  for (const { box } of regions) {
    for (let z = box.min[2]; z <= box.max[2]; z++) {
      for (let y = box.min[1]; y <= box.max[1]; y++) {
        const row = nx * (y + ny * z);
        out.set(labels.subarray(row + box.min[0], row + box.max[0] + 1), row + box.min[0]);
      }
    }
  }
  return out;
}

/** HU rounded and clamped to int16 (an Int16Array passes through unchanged). */
export function huAsInt16(data: Volume['data']): Int16Array {
  if (data instanceof Int16Array) return data;
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(data[i])));
  return out;
}

/** The HTML of a screening (key slices rendered from the artifacts, unless `rendered` holds the pictures of exactly those slices). */
export function screeningHtml(report: CaseReport, artifacts: ReportArtifacts, rendered?: readonly KeySliceFigure[]): string {
  const same = rendered !== undefined && rendered.length === artifacts.keySlices.length && rendered.every((f, i) => f.sliceIndex === artifacts.keySlices[i]);
  let figures: readonly KeySliceFigure[];
  if (same) figures = rendered;
  else {
    const options = { volume: artifacts.volume, lungMask: artifacts.lungMask, candidateLabels: artifacts.candidateLabels, regions: artifacts.regions, classes: report.classes };
    const crop = displayCrop(artifacts.volume, artifacts.lungMask);
    figures = artifacts.keySlices.map((z) => renderKeySlice(options, z, crop));
  }
  return renderHtmlReport({ report, keySlices: figures });
}

/** What each output type's writer gets (registry.outputWriters). */
export interface OutputContext {
  outDir: string;
  report: CaseReport;
  artifacts: ReportArtifacts;
}

/** The files of a screening, by what they are (null: not written). */
export type OutputFiles = Omit<ScreeningOutputs, 'json'> & { json: string | null };

/** report.json (always written, after the DICOM writers added their warnings). */
export async function writeReportJson({ outDir, report }: OutputContext): Promise<Partial<OutputFiles>> {
  const json = join(outDir, REPORT_JSON);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return { json };
}

export async function writeReportHtml({ outDir, report, artifacts }: OutputContext): Promise<Partial<OutputFiles>> {
  const html = join(outDir, REPORT_HTML);
  const rendered = artifacts.keySliceFigures ? await artifacts.keySliceFigures : undefined;
  await writeFile(html, screeningHtml(report, artifacts, rendered));
  return { html };
}

/** Candidate, lung and lesion masks on the input grid with its geometry, so they overlay the CT in any viewer. */
export async function writeMaskNiftis({ outDir, artifacts }: OutputContext): Promise<Partial<OutputFiles>> {
  const { volume } = artifacts;
  const candidateMask = join(outDir, CANDIDATE_MASK_NIFTI);
  const lungMask = artifacts.lungMask ? join(outDir, LUNG_MASK_NIFTI) : null;
  const lesionMask = artifacts.lesionMask ? join(outDir, LESION_MASK_NIFTI) : null;
  // masks compress well at any level; level 1 is 3–5× faster than the default (issue 16)
  const fast = { gzipLevel: MASK_GZIP_LEVEL };
  // written together: each file's gzip runs on the thread pool while the next one is encoded
  await Promise.all([
    writeNifti(sameGrid(volume, labelsForNifti(artifacts.candidateLabels, volume.dims, artifacts.regions)), candidateMask, fast),
    artifacts.lungMask && lungMask ? writeNifti(sameGrid(volume, artifacts.lungMask), lungMask, fast) : undefined,
    artifacts.lesionMask && lesionMask ? writeNifti(sameGrid(volume, artifacts.lesionMask), lesionMask, fast) : undefined,
  ]);
  return { candidateMask, lungMask, lesionMask };
}

/** The CT itself in HU as int16, for viewers. */
export async function writeCtVolume({ outDir, artifacts }: OutputContext): Promise<Partial<OutputFiles>> {
  const volume = join(outDir, CT_VOLUME_NIFTI);
  await writeNifti(sameGrid(artifacts.volume, huAsInt16(artifacts.volume.data)), volume);
  return { volume };
}

/** SEG, SR and key-slice secondary captures in the source study. */
export async function writeDicomOutputType({ outDir, report, artifacts }: OutputContext): Promise<Partial<OutputFiles>> {
  // loaded on demand: the DICOM writers bring dcmjs (≈ 40 ms of start-up a screening without DICOM outputs need not pay)
  const { writeDicomOutputs } = await import('./writers/dicom-outputs.ts');
  const dicom = await writeDicomOutputs({ outDir, report, artifacts });
  // what the DICOM writers had to work around (e.g. a source UID that is not a DICOM UID) is the
  // reader's business too: it joins the report's warnings, which the summary and report.json show
  for (const w of dicom.warnings) if (!report.warnings.includes(w)) report.warnings.push(w);
  return { dicom };
}

export async function writeScreeningOutputs(options: WriteOutputsOptions): Promise<ScreeningOutputs> {
  const { outDir, report, artifacts } = options;
  const types = new Set<OutputType>(options.outputTypes ?? DEFAULT_OUTPUT_TYPES);
  if (types.has('dicom') && !artifacts.dicomReferences) throw dicomOutputNeedsDicomInput(report.input.format);
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    throw new InputError('OUTPUT_DIR', `cannot create output folder ${outDir} (${(e as NodeJS.ErrnoException).code ?? 'error'}); give a writable --out folder`, { path: outDir, cause: e });
  }
  // a report that fails its own schema must never be written
  validateCaseReport(report, 'report to write');
  types.add('json');
  const files: OutputFiles = { json: null, html: null, candidateMask: null, lungMask: null, lesionMask: null, dicom: null, volume: null };
  const chosen = outputWriters.filter((w) => types.has(w.outputType));
  // writers that amend the report (dicom's warnings) first, one by one; then the rest together
  for (const writer of chosen.filter((w) => w.amendsReport)) Object.assign(files, await writer.write({ outDir, report, artifacts }));
  const written = await Promise.all(chosen.filter((w) => !w.amendsReport).map((w) => w.write({ outDir, report, artifacts })));
  for (const w of written) Object.assign(files, w);
  if (files.json === null) throw new Error('the registry has no writer for report.json (src/registry.ts outputWriters)');
  return { ...files, json: files.json };
}
