/**
 * A non-identifying summary of what was read: the basis of `ctscreen info` and of the input
 * section of reports. Holds geometry, HU statistics, series found and warnings; never patient
 * names, IDs, dates or institution.
 */
import type { Mat3, Vec3, Volume } from '../core/volume.ts';
import { syntaxName } from './dicom/transfer-syntax.ts';
import type { InputKind, ReadVolumeResult } from './read.ts';

export interface HuStats {
  min: number;
  max: number;
  /** 1st, 50th and 99th percentiles (1-HU bins, from a histogram). */
  p1: number;
  median: number;
  p99: number;
}

export interface SeriesInfo {
  seriesInstanceUid: string;
  modality: string;
  description: string;
  imageType: string;
  slices: number;
  size: readonly [number, number];
  transferSyntax: string;
  chosen: boolean;
  rejected?: string;
}

export interface VolumeInfo {
  path: string;
  inputKind: InputKind;
  format: Volume['source']['format'];
  dims: Vec3;
  spacingMm: Vec3;
  originMm: Vec3;
  direction: Mat3;
  /** Patient direction each voxel axis increases toward, e.g. 'LPS' (DICOM axial). */
  orientation: string;
  dataType: string;
  pseudoHu: boolean;
  hu: HuStats;
  warnings: string[];
  readMs: number;
  dicom?: {
    filesSeen: number;
    skippedFiles: number;
    series: SeriesInfo[];
    chosenSeriesUid: string;
    reason: string;
    workersUsed: number;
  };
}

/** Histogram range for percentiles: the Int16 range, so Int16 CT is exact; floats are rounded to 1 HU. */
const HIST_MIN_HU = -32768;
const HIST_MAX_HU = 32767;

export function huStats(data: ArrayLike<number>): HuStats {
  const bins = new Uint32Array(HIST_MAX_HU - HIST_MIN_HU + 1);
  let min = Infinity;
  let max = -Infinity;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    const b = Math.round(v) - HIST_MIN_HU;
    bins[b < 0 ? 0 : b >= bins.length ? bins.length - 1 : b]++;
  }
  const at = (q: number): number => {
    const target = q * (n - 1);
    let seen = 0;
    for (let b = 0; b < bins.length; b++) {
      seen += bins[b];
      if (seen > target) return Math.min(max, Math.max(min, b + HIST_MIN_HU));
    }
    return max;
  };
  return { min, max, p1: at(0.01), median: at(0.5), p99: at(0.99) };
}

/** 'LPS' for a standard axial DICOM volume, 'RAS' for a typical NIfTI, etc. */
export function orientationCode(direction: Mat3): string {
  const letters = [['L', 'R'], ['P', 'A'], ['S', 'I']];
  let code = '';
  for (let j = 0; j < 3; j++) {
    let best = 0;
    for (let a = 1; a < 3; a++) if (Math.abs(direction[3 * a + j]) > Math.abs(direction[3 * best + j])) best = a;
    code += letters[best][direction[3 * best + j] >= 0 ? 0 : 1];
  }
  return code;
}

/** Text from a header as a terminal may show it: control characters (escape sequences) become '?'. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '?');
}

export function summarizeRead(path: string, result: ReadVolumeResult, readMs: number): VolumeInfo {
  const v = result.volume;
  const d = result.dicom;
  return {
    path,
    inputKind: result.kind,
    format: v.source.format,
    dims: v.dims,
    spacingMm: v.spacingMm,
    originMm: v.originMm,
    direction: v.direction,
    orientation: orientationCode(v.direction),
    dataType: v.data.constructor.name,
    pseudoHu: v.source.pseudoHu,
    hu: huStats(v.data),
    warnings: v.warnings,
    readMs,
    dicom: d && {
      filesSeen: d.scan.filesSeen,
      skippedFiles: d.scan.skipped.count,
      series: d.scan.series.map((s) => ({
        seriesInstanceUid: printable(s.seriesInstanceUid),
        modality: printable(s.modality),
        description: printable(s.description),
        imageType: printable(s.imageType.join('\\')),
        slices: s.sliceCount,
        size: s.size,
        transferSyntax: `${s.transferSyntaxUid} (${syntaxName(s.transferSyntaxUid)})`,
        chosen: s.seriesInstanceUid === d.choice.chosen.seriesInstanceUid,
        rejected: s.rejected,
      })),
      chosenSeriesUid: printable(d.choice.chosen.seriesInstanceUid),
      reason: d.choice.reason,
      workersUsed: d.workersUsed,
    },
  };
}
