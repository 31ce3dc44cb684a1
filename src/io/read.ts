/**
 * One entry point for every input ctscreen accepts: a DICOM folder (searched recursively), a .zip
 * of one, a single DICOM file, a NIfTI file, a folder of 8-bit PNG/JPEG slices or one such image.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import type { Vec3, Volume } from '../core/volume.ts';
import { readers } from '../registry.ts';
import { isImageFileName } from './image-stack.ts';
import type { ReadDicomResult } from './dicom.ts';
import { hasPart10Magic, looksLikeRawDataSet } from './dicom/parse.ts';
import { checkVolume } from './check-volume.ts';
import type { InputLimits } from './limits.ts';

export type InputKind = 'dicom-folder' | 'dicom-zip' | 'dicom-file' | 'nifti' | 'image-stack' | 'image';

export interface ReadVolumeOptions {
  /** DICOM: read this SeriesInstanceUID instead of the automatically chosen series. */
  seriesUid?: string;
  /** 8-bit images: display window they were made with (default lung window). */
  windowHu?: { center: number; width: number };
  /** 8-bit images: voxel size [x, y, z] mm (default `DEFAULT_STACK_SPACING_MM`). */
  spacingMm?: Vec3;
  /** DICOM: worker threads for compressed series (default: one per core, at most 4; 0 = none). */
  workers?: number;
  /** Resource limits for every reader (defaults `DEFAULT_INPUT_LIMITS` in limits.ts; flags in cli/flags.ts). */
  limits?: Partial<InputLimits>;
}

/** 'DICM' sits at bytes 128..131 of a DICOM Part-10 file. */
const DICM_OFFSET = 128;
/** Folders searched for DICOM at most this deep, so a wrong path (e.g. `/`) fails fast. */
const MAX_SEARCH_DEPTH = 8;

function lower(p: string): string {
  return p.toLowerCase();
}

export function isNiftiFileName(p: string): boolean {
  const l = lower(p);
  return l.endsWith('.nii') || l.endsWith('.nii.gz');
}

/** True when the file starts like DICOM: Part-10 preamble + 'DICM', or a raw group-0008 data set. */
export async function looksLikeDicomFile(file: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'r');
    const buf = new Uint8Array(DICM_OFFSET + 4);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    return hasPart10Magic(head) || looksLikeRawDataSet(head);
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

/** Looks for anything that could be DICOM below `dir` (a .dcm name or the DICM magic). */
async function folderHasDicom(dir: string, depth: number): Promise<boolean> {
  if (depth > MAX_SEARCH_DEPTH) return false;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.isFile() && (lower(e.name).endsWith('.dcm') || (!isImageFileName(e.name) && (await looksLikeDicomFile(join(dir, e.name)))))) return true;
  }
  for (const e of entries) {
    if (e.isDirectory() && (await folderHasDicom(join(dir, e.name), depth + 1))) return true;
  }
  return false;
}

/** Decides how to read `path` from what is there (names and magic bytes), without reading it. */
export async function detectInputKind(path: string): Promise<InputKind> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new InputError('INPUT_NOT_FOUND', `${path}: no such file or folder`, { path, cause: e });
  }
  if (st.isDirectory()) {
    if (await folderHasDicom(path, 0)) return 'dicom-folder';
    const names = await readdir(path);
    if (names.some(isImageFileName)) return 'image-stack';
    throw new InputError('INPUT_NO_DATA', `${path}: folder holds no DICOM files and no PNG/JPEG slices; give a DICOM series folder, a .zip, a .nii/.nii.gz file or a folder of slice images`, { path });
  }
  if (isNiftiFileName(path)) return 'nifti';
  if (lower(path).endsWith('.zip')) return 'dicom-zip';
  if (isImageFileName(path)) return 'image';
  if (lower(path).endsWith('.dcm') || (await looksLikeDicomFile(path))) return 'dicom-file';
  throw new InputError('INPUT_UNKNOWN_FORMAT', `${path}: not a recognised input (expected a DICOM folder or file, .zip, .nii, .nii.gz, .png, .jpg or .jpeg)`, { path });
}

export interface ReadVolumeResult {
  volume: Volume;
  kind: InputKind;
  /** For DICOM inputs: the series found, the one chosen and why. */
  dicom?: Omit<ReadDicomResult, 'volume'>;
}

/** Reads any supported input, returning what was found along with the volume (for `info`). */
export async function readVolumeWithReport(path: string, options: ReadVolumeOptions = {}): Promise<ReadVolumeResult> {
  const result = await readByKind(path, await detectInputKind(path), options);
  checkVolume(result.volume, path);
  return result;
}

/** The registry's reader for this kind of input (registry.readers; every InputKind has one). */
async function readByKind(path: string, kind: InputKind, options: ReadVolumeOptions): Promise<ReadVolumeResult> {
  const reader = readers.find((r) => r.kinds.includes(kind));
  if (!reader) throw new Error(`no reader for input kind '${kind}' in the registry (src/registry.ts)`);
  return reader.read(path, kind, options);
}

/** Reads any supported input into one volume in HU (pseudo-HU for 8-bit images). */
export async function readVolume(path: string, options: ReadVolumeOptions = {}): Promise<Volume> {
  return (await readVolumeWithReport(path, options)).volume;
}
