/**
 * The DICOM outputs of one screening, each a new series in the source study (issue 12):
 *   dicom/seg.dcm        Segmentation: lungs, lesion mask, candidate regions by voted class (dicom-seg.ts)
 *   dicom/sr.dcm         Comprehensive 3D SR, TID 1500 measurement report (dicom-sr.ts)
 *   dicom/sc-<k>.dcm     Secondary Capture of key slice k with overlays (dicom-sc.ts)
 *
 *   writeDicomOutputs(options): Promise<DicomOutputs>
 *   (dicomOutputNeedsDicomInput lives in ./dicom-output-error.ts: the screen path imports it without dcmjs)
 *
 * File names come from the registry's output formats. Needs the source's DICOM references (a DICOM
 * input); a NIfTI or image input has no study to file results under and gets an InputError.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dicomOutputNeedsDicomInput } from './dicom-output-error.ts';
import type { CaseReport } from '../../core/report-schema.ts';
import type { Volume } from '../../core/volume.ts';
import type { DicomReferences } from '../../io/dicom/references.ts';
import { outputFormats } from '../../registry.ts';
import type { OverlayRegion } from '../key-slices.ts';
import { dicomWriteContext } from './dicom-common.ts';
import { buildSecondaryCaptures } from './dicom-sc.ts';
import { buildSegmentation, type SegmentInfo } from './dicom-seg.ts';
import { buildMeasurementReport } from './dicom-sr.ts';

function fileNameOf(id: string): string {
  const entry = outputFormats.find((f) => f.id === id);
  if (!entry) throw new Error(`output format '${id}' is not in the registry (src/registry.ts)`);
  return entry.fileName;
}
export const DICOM_SEG_FILE = fileNameOf('dicom-seg');
export const DICOM_SR_FILE = fileNameOf('dicom-sr');
/** '{k}' is the key slice's number, 1 = the report's first key slice. */
export const DICOM_SC_FILE = fileNameOf('dicom-sc');

export interface DicomOutputArtifacts {
  volume: Volume;
  lungMask: Uint8Array | null;
  lesionMask?: Uint8Array | null;
  candidateLabels: Uint32Array | null;
  regions: readonly OverlayRegion[];
  keySlices: readonly number[];
  dicomReferences?: DicomReferences | null;
}

export interface DicomOutputs {
  seg: string | null;
  sr: string;
  sc: string[];
  segments: SegmentInfo[];
  /** Problems with the source's UIDs or geometry the outputs had to work around (no patient data). */
  warnings: string[];
}

export async function writeDicomOutputs(options: { outDir: string; report: CaseReport; artifacts: DicomOutputArtifacts; now?: Date }): Promise<DicomOutputs> {
  const { outDir, report, artifacts } = options;
  const refs = artifacts.dicomReferences;
  if (!refs) throw dicomOutputNeedsDicomInput(report.input.format);
  const ctx = await dicomWriteContext(refs, { toolVersion: report.tool.version, now: options.now ?? new Date(report.createdAt) });
  const seg = buildSegmentation(
    { volume: artifacts.volume, lungMask: artifacts.lungMask, lesionMask: artifacts.lesionMask, candidateLabels: artifacts.candidateLabels, regions: artifacts.regions, classes: report.classes, models: report.models },
    ctx,
  );
  if (!seg) ctx.warnings.push('DICOM SEG: not written, no segment has a voxel (no lungs and no candidate regions)');
  const sr = buildMeasurementReport({ report, seg }, ctx);
  const sc = buildSecondaryCaptures(
    { report, slices: artifacts.keySlices, keySlice: { volume: artifacts.volume, lungMask: artifacts.lungMask, candidateLabels: artifacts.candidateLabels, regions: artifacts.regions, classes: report.classes } },
    ctx,
  );
  const out: DicomOutputs = {
    seg: seg ? join(outDir, DICOM_SEG_FILE) : null,
    sr: join(outDir, DICOM_SR_FILE),
    sc: sc.map((_, k) => join(outDir, DICOM_SC_FILE.replace('{k}', String(k + 1)))),
    segments: seg?.segments ?? [],
    warnings: ctx.warnings,
  };
  await mkdir(dirname(out.sr), { recursive: true });
  if (seg && out.seg) await writeFile(out.seg, seg.bytes);
  await writeFile(out.sr, sr.bytes);
  await Promise.all(sc.map((o, k) => writeFile(out.sc[k], o.bytes)));
  return out;
}
