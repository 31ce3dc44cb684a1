/**
 * Seed inputs the fuzzer mutates: small synthetic chest CT (src/phantom) written as DICOM in every
 * transfer syntax ctscreen reads, as a zip, as NIfTI (.nii / .nii.gz, axial and oblique), as PNG
 * and JPEG slices; and, when ../shared/data is there, a few real slices of each public dataset.
 * Volumes are small (64×64×6; 64×64×10 for the two series decoded on worker threads) so a case
 * screens in well under a second.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import sharp from 'sharp';
import { LUNG_WINDOW_HU } from '../../src/core/constants.ts';
import type { Mat3, Volume } from '../../src/core/volume.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { encodeNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { dicomSliceBytes, sampleJpegLosslessFrame } from '../../test/io/dicom-writer.ts';

/** How a case is laid out on disk, which decides the reader ctscreen picks. */
export type InputKind = 'dicom-series' | 'dicom-file' | 'dicom-zip' | 'nifti' | 'png' | 'jpeg' | 'image-stack';

export interface FuzzFile {
  name: string;
  bytes: Uint8Array;
}

export interface SeedInput {
  id: string;
  kind: InputKind;
  files: FuzzFile[];
  /** From ../shared/data (never written anywhere but the case's temporary folder). */
  real: boolean;
}

/** Phantom grid of every synthetic seed: enough for lungs to be found, small enough to be fast. */
export const SEED_SIZE: readonly [number, number] = [64, 64];
export const SEED_SLICES = 6;
const SEED_SLICE_MM = 5;

/** Compressed series of at least this many slices are decoded on worker threads (src/io/dicom.ts). */
const POOL_SLICES = 10;

function phantomVolume(seed: number, slices = SEED_SLICES): Volume<Int16Array> {
  return makeChestPhantom({ size: SEED_SIZE, slices, seed, zRangeMm: [80, 80 + (slices - 1) * SEED_SLICE_MM], noiseHu: 10 }).volume;
}

function sliceOf(v: Volume<Int16Array>, z: number): Int16Array {
  const plane = v.dims[0] * v.dims[1];
  return v.data.subarray(z * plane, (z + 1) * plane);
}

/** Lung-window grey (0..255) of HU, as the image-stack reader expects. */
function toGrey(hu: ArrayLike<number>): Uint8Array {
  const lo = LUNG_WINDOW_HU.center - LUNG_WINDOW_HU.width / 2;
  const out = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(((hu[i] - lo) / LUNG_WINDOW_HU.width) * 255)));
  return out;
}

const SERIES_UID = '1.2.826.0.1.3680043.10.999.77';

async function dicomSeries(syntax: string, v: Volume<Int16Array>, variant: 'signed' | 'unsigned' | '8bit' | 'jpeg-lossless'): Promise<FuzzFile[]> {
  const [nx, ny, nz] = v.dims;
  const files: FuzzFile[] = [];
  const sample = variant === 'jpeg-lossless' ? sampleJpegLosslessFrame('jpeg_lossless_sel1.dcm') : undefined;
  for (let z = 0; z < nz; z++) {
    const hu = sliceOf(v, z);
    let stored: ArrayLike<number>;
    let bits = { bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1 as 0 | 1, slope: 1, intercept: 0 };
    if (variant === 'unsigned') {
      stored = Array.from(hu, (h) => Math.max(0, Math.min(4095, h + 1024)));
      bits = { bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, slope: 1, intercept: -1024 };
    } else if (variant === '8bit') {
      stored = toGrey(hu);
      const lo = LUNG_WINDOW_HU.center - LUNG_WINDOW_HU.width / 2;
      bits = { bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, slope: LUNG_WINDOW_HU.width / 255, intercept: lo };
    } else stored = hu;
    const bytes = await dicomSliceBytes({
      syntax,
      rows: sample?.rows ?? ny,
      columns: sample?.columns ?? nx,
      stored,
      encodedFrame: sample?.frame,
      ...bits,
      positionMm: [-(nx * v.spacingMm[0]) / 2, -(ny * v.spacingMm[1]) / 2, v.originMm[2] + z * v.spacingMm[2]],
      orientation: [1, 0, 0, 0, 1, 0],
      pixelSpacingMm: [v.spacingMm[1], v.spacingMm[0]],
      sliceThicknessMm: v.spacingMm[2],
      seriesUid: SERIES_UID,
      sopInstanceUid: `${SERIES_UID}.${z + 1}`,
      instanceNumber: z + 1,
    });
    files.push({ name: `IM${String(z + 1).padStart(4, '0')}.dcm`, bytes });
  }
  return files;
}

/** An oblique, x-flipped, anisotropic copy of the grid (same voxels, other geometry). */
function obliqueGeometry(v: Volume<Int16Array>): Volume<Int16Array> {
  const a = (20 * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  // columns: x axis flipped and rotated about the patient z axis, y rotated, z unchanged
  const direction: Mat3 = [-c, -s, 0, -s, c, 0, 0, 0, 1];
  return { ...v, direction, spacingMm: [v.spacingMm[0], v.spacingMm[1] * 1.3, v.spacingMm[2]], originMm: [12.5, -40, 80] };
}

async function imageBytes(grey: Uint8Array, w: number, h: number, format: 'png' | 'jpeg', channels: 1 | 3 | 4 = 1): Promise<Uint8Array> {
  let raw: Uint8Array = grey;
  if (channels > 1) {
    raw = new Uint8Array(w * h * channels);
    for (let i = 0; i < w * h; i++) for (let k = 0; k < channels; k++) raw[i * channels + k] = k === 3 ? 255 : grey[i];
  }
  const img = sharp(Buffer.from(raw), { raw: { width: w, height: h, channels } });
  const buf = format === 'png' ? await img.png().toBuffer() : await img.jpeg({ quality: 90 }).toBuffer();
  return new Uint8Array(buf);
}

/** The synthetic seeds, in a fixed order (their ids are what a replay line names). */
export async function syntheticSeeds(): Promise<SeedInput[]> {
  const v = phantomVolume(3);
  const seeds: SeedInput[] = [];
  const series: Array<[string, string, 'signed' | 'unsigned' | '8bit' | 'jpeg-lossless']> = [
    ['explicit-le', TS.explicitLittle, 'unsigned'],
    ['implicit-le', TS.implicitLittle, 'signed'],
    ['explicit-be', TS.explicitBig, 'unsigned'],
    ['deflated', TS.deflatedExplicitLittle, 'signed'],
    ['rle', TS.rle, 'unsigned'],
    ['jpeg-ls', TS.jpegLs, 'unsigned'],
    ['jpeg2000', TS.jpeg2000Lossless, 'unsigned'],
    ['jpeg-baseline', TS.jpegBaseline, '8bit'],
    ['jpeg-lossless', TS.jpegLossless70, 'jpeg-lossless'],
  ];
  for (const [id, syntax, variant] of series) {
    const files = await dicomSeries(syntax, v, variant);
    seeds.push({ id: `dicom-${id}`, kind: 'dicom-series', files, real: false });
    if (id === 'explicit-le' || id === 'rle' || id === 'jpeg-ls') seeds.push({ id: `dicom-file-${id}`, kind: 'dicom-file', files: [files[2]], real: false });
    if (id === 'explicit-le' || id === 'jpeg2000') seeds.push({ id: `zip-${id}`, kind: 'dicom-zip', files, real: false });
  }
  seeds.push({ id: 'nifti-int16', kind: 'nifti', files: [{ name: 'vol.nii', bytes: encodeNifti(v, { gzip: false }) }], real: false });
  seeds.push({ id: 'nifti-gz-oblique', kind: 'nifti', files: [{ name: 'vol.nii.gz', bytes: encodeNifti(obliqueGeometry(v), { gzip: true }) }], real: false });
  const f32 = { ...v, data: Float32Array.from(v.data) };
  seeds.push({ id: 'nifti-gz-float32', kind: 'nifti', files: [{ name: 'vol.nii.gz', bytes: encodeNifti(f32, { gzip: true }) }], real: false });
  const [nx, ny, nz] = v.dims;
  const mid = toGrey(sliceOf(v, nz >> 1));
  seeds.push({ id: 'png-grey', kind: 'png', files: [{ name: 'slice.png', bytes: await imageBytes(mid, nx, ny, 'png') }], real: false });
  seeds.push({ id: 'png-rgba', kind: 'png', files: [{ name: 'slice.png', bytes: await imageBytes(mid, nx, ny, 'png', 4) }], real: false });
  seeds.push({ id: 'jpeg-rgb', kind: 'jpeg', files: [{ name: 'slice.jpg', bytes: await imageBytes(mid, nx, ny, 'jpeg', 3) }], real: false });
  const stack: FuzzFile[] = [];
  for (let z = 0; z < nz; z++) stack.push({ name: `s${z + 1}.png`, bytes: await imageBytes(toGrey(sliceOf(v, z)), nx, ny, 'png') });
  seeds.push({ id: 'png-stack', kind: 'image-stack', files: stack, real: false });
  // enough compressed slices for the decode worker pool, so its error paths are fuzzed too
  const tall = phantomVolume(3, POOL_SLICES);
  seeds.push({ id: 'dicom-jpeg-ls-pool', kind: 'dicom-series', files: await dicomSeries(TS.jpegLs, tall, 'unsigned'), real: false });
  seeds.push({ id: 'dicom-rle-pool', kind: 'dicom-series', files: await dicomSeries(TS.rle, tall, 'signed'), real: false });
  return seeds;
}

/** Slices read from each real DICOM series: enough for a volume, few enough to stay fast. */
const REAL_SLICES = 4;

function instanceNumber(bytes: Uint8Array): number {
  try {
    const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
    return Number.parseInt(ds.string('x00200013') ?? '0', 10);
  } catch {
    return 0;
  }
}

function realDicom(dir: string, first: number): FuzzFile[] {
  const names = readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.dcm'));
  const withIndex = names.map((n) => {
    const bytes = new Uint8Array(readFileSync(join(dir, n)));
    return { name: n, bytes, k: instanceNumber(bytes) };
  });
  withIndex.sort((a, b) => a.k - b.k || (a.name < b.name ? -1 : 1));
  return withIndex.slice(first, first + REAL_SLICES).map(({ name, bytes }, i) => ({ name: `real${i + 1}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`, bytes }));
}

/** Real seeds from `dataDir` (../shared/data); empty when it is not there. */
export function realSeeds(dataDir: string): SeedInput[] {
  if (!existsSync(dataDir)) return [];
  const seeds: SeedInput[] = [];
  const tryAdd = (make: () => SeedInput | undefined) => {
    try {
      const s = make();
      if (s && s.files.length > 0) seeds.push(s);
    } catch {
      // a dataset folder missing or laid out differently: that seed is skipped
    }
  };
  tryAdd(() => ({ id: 'real-covid-ct-md-P001', kind: 'dicom-series', files: realDicom(join(dataDir, 'covid-ct-md', 'P001'), 60), real: true }));
  tryAdd(() => ({ id: 'real-lidc-idri-0001', kind: 'dicom-series', files: realDicom(join(dataDir, 'lidc-idri', 'LIDC-IDRI-0001'), 6), real: true }));
  tryAdd(() => {
    const dir = join(dataDir, 'tb-lesions');
    const name = readdirSync(dir).filter((n) => n.endsWith('.nii.gz') && !n.includes('-msk')).sort()[0];
    return name ? { id: 'real-tb-nifti', kind: 'nifti', files: [{ name: 'tb.nii.gz', bytes: new Uint8Array(readFileSync(join(dir, name))) }], real: true } : undefined;
  });
  tryAdd(() => {
    const dir = join(dataDir, 'radiopaedia-covid', '74560');
    const names = readdirSync(dir).filter((n) => n.endsWith('.jpeg')).sort();
    const name = names[names.length >> 1];
    return name ? { id: 'real-radiopaedia-jpeg', kind: 'jpeg', files: [{ name: 'slice.jpeg', bytes: new Uint8Array(readFileSync(join(dir, name))) }], real: true } : undefined;
  });
  tryAdd(() => {
    const dir = join(dataDir, 'infnet-semiseg', 'LungInfection-Train', 'Doctor-label', 'Imgs');
    const name = readdirSync(dir).filter((n) => n.endsWith('.jpg')).sort()[0];
    return name ? { id: 'real-semiseg-jpeg', kind: 'jpeg', files: [{ name: 'slice.jpg', bytes: new Uint8Array(readFileSync(join(dir, name))) }], real: true } : undefined;
  });
  return seeds;
}
