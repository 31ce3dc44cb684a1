/**
 * 8-bit slice stacks (a folder of PNG/JPEG, one axial slice per file) → pseudo-HU volumes.
 *
 * Public COVID-19 CT often exists only as windowed 8-bit images (Radiopaedia stacks, the
 * COVID-SemiSeg slices). The grey level is mapped back through the declared display window, so
 * values are approximate HU (one grey step = window width / 255, ≈ 5.9 HU for the lung window)
 * and everything outside the window is lost. The volume says so in `source.pseudoHu` and a warning.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type sharpType from 'sharp';

/** sharp (libvips) loads only when an image is read: DICOM and NIfTI screening never pay its ~0.13 s (issue 16). */
let sharpModule: Promise<typeof sharpType> | null = null;
const loadSharp = () => (sharpModule ??= import('sharp').then((m) => m.default));
import { AIR_HU, LUNG_WINDOW_HU } from '../core/constants.ts';
import { InputError } from '../core/errors.ts';
import { IDENTITY_DIRECTION, type Vec3, type Volume } from '../core/volume.ts';
import { type InputLimits, limitError, resolveLimits } from './limits.ts';

/**
 * Default voxel size for stacks whose spacing is unknown, [x, y, z] in mm.
 * In-plane 0.6 mm: in the Radiopaedia 630×630 stacks here the body spans 564–629 px of the
 * 630 px width at mid-chest; an adult chest with arms is ≈ 350–380 mm wide, i.e. ≈ 0.6 mm/px.
 * Slice 5 mm: those stacks have 39–99 slices for a chest of ≈ 250–350 mm (3–8 mm per slice);
 * 5 mm is the middle and a common reconstruction thickness for shared chest CT.
 */
export const DEFAULT_STACK_SPACING_MM: Vec3 = [0.6, 0.6, 5];

/**
 * A single slice image carries no pixel size either, and is usually a published slice cropped to the
 * thorax and resized (COVID-SemiSeg 273×369 … 512×512): its longer side is taken to span this, the
 * adult chest's ≈ 300–360 mm width (the same assumption the classifier's training export makes for
 * those slices, dataset/patches.ts INFNET_BODY_EXTENT_MM, so patches come at the scale it was
 * trained on). A whole-field 512² slice (FOV ≈ 350–400 mm) is off by at most ≈ 20 %.
 */
export const SINGLE_SLICE_EXTENT_MM = 330;

/** File name extensions read as slices (case-insensitive). */
export const IMAGE_STACK_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

const GREY_LEVELS = 255;

export interface ImageStackOptions {
  /** Display window the images were made with; default the lung window (−600 / 1500 HU). */
  windowHu?: { center: number; width: number };
  /** Voxel size [x, y, z] in mm; default `DEFAULT_STACK_SPACING_MM`. */
  spacingMm?: Vec3;
  /** Resource limits (only maxVoxels applies); defaults `DEFAULT_INPUT_LIMITS`. */
  limits?: Partial<InputLimits>;
}

/** sharp's own default bound on the pixels of one image (0x3FFF²). */
const SHARP_DEFAULT_PIXEL_LIMIT = 0x3fff * 0x3fff;

function checkVoxels(limits: InputLimits, where: string, width: number, height: number, slices: number): void {
  const voxels = width * height * slices;
  if (voxels > limits.maxVoxels) throw limitError('maxVoxels', limits, where, `${slices} image(s) of ${width}×${height} make ${voxels} voxels, more than ${limits.maxVoxels}`, { observed: voxels });
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order ("img2" before "img10"), the order people number slices in. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b);
}

export function isImageFileName(name: string): boolean {
  return IMAGE_STACK_EXTENSIONS.includes(extname(name).toLowerCase());
}

function resolveOptions(options: ImageStackOptions, where: string): { low: number; width: number; spacingMm: Vec3 } {
  const win = options.windowHu ?? LUNG_WINDOW_HU;
  if (!(Number.isFinite(win.center) && Number.isFinite(win.width) && win.width > 0)) {
    throw new InputError('STACK_BAD_WINDOW', `${where}: window centre ${win.center} / width ${win.width} HU is invalid; the width must be a positive number (e.g. lung window −600 / 1500)`);
  }
  const spacingMm = options.spacingMm ?? DEFAULT_STACK_SPACING_MM;
  if (spacingMm.length !== 3 || !spacingMm.every((s) => Number.isFinite(s) && s > 0)) {
    throw new InputError('STACK_BAD_SPACING', `${where}: spacing ${spacingMm.join(',')} mm is invalid; give three positive numbers x,y,z in mm`);
  }
  return { low: win.center - win.width / 2, width: win.width, spacingMm };
}

function pseudoHuWarning(low: number, width: number, spacingMm: Vec3, given: boolean, how = 'an assumed default'): string {
  return (
    `values are pseudo-HU recovered from 8-bit images through window ${low + width / 2}/${width} HU ` +
    `(±${(width / GREY_LEVELS / 2).toFixed(1)} HU, nothing outside ${low}..${low + width} HU)` +
    (given ? '' : `; voxel size ${spacingMm.map((v) => Number(v.toFixed(3))).join('×')} mm is ${how}, slice direction unknown`)
  );
}

/** Decodes one image as 8-bit grey (colour is averaged, alpha dropped). */
async function decodeGrey(file: string, limits: InputLimits): Promise<{ data: Uint8Array; width: number; height: number }> {
  const sharp = await loadSharp();
  // sharp refuses an image claiming more pixels before decoding it (a PNG/JPEG bomb)
  const meta = await sharp(file).metadata().catch(() => undefined);
  if (meta?.width && meta.height) checkVoxels(limits, file, meta.width, meta.height, 1);
  try {
    const { data, info } = await sharp(file, { limitInputPixels: Math.min(limits.maxVoxels, SHARP_DEFAULT_PIXEL_LIMIT) })
      .flatten({ background: '#000000' })
      .greyscale()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new InputError('STACK_BAD_IMAGE', `${file}: cannot decode as PNG/JPEG (${(e as Error).message})`, { path: file, cause: e });
  }
}

/**
 * Grey level → HU through the window; levels below air are clamped to air, since nothing in a
 * body is below −1000 HU and black there means outside the scan (as DICOM padding → air).
 */
function greyToHu(src: Uint8Array, dst: Int16Array, offset: number, low: number, width: number): void {
  const lut = new Int16Array(GREY_LEVELS + 1);
  for (let g = 0; g <= GREY_LEVELS; g++) lut[g] = Math.max(AIR_HU, Math.round(low + (g / GREY_LEVELS) * width));
  for (let i = 0; i < src.length; i++) dst[offset + i] = lut[src[i]];
}

/** Reads a folder of PNG/JPEG slices (natural name order = slice order) as a pseudo-HU volume. */
export async function readImageStack(dir: string, options: ImageStackOptions = {}): Promise<Volume<Int16Array>> {
  const { low, width, spacingMm } = resolveOptions(options, dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new InputError('STACK_UNREADABLE', `${dir}: cannot list folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { path: dir, cause: e });
  }
  const files: string[] = [];
  for (const name of names.filter(isImageFileName).sort(naturalCompare)) {
    const p = join(dir, name);
    if ((await stat(p)).isFile()) files.push(p);
  }
  if (files.length === 0) {
    throw new InputError('STACK_EMPTY', `${dir}: no PNG or JPEG files (${IMAGE_STACK_EXTENSIONS.join(', ')}) found`, { path: dir });
  }
  const limits = resolveLimits(options.limits);
  const first = await decodeGrey(files[0], limits);
  checkVoxels(limits, dir, first.width, first.height, files.length);
  const slice = first.width * first.height;
  const data = new Int16Array(slice * files.length);
  greyToHu(first.data, data, 0, low, width);
  for (let z = 1; z < files.length; z++) {
    const img = await decodeGrey(files[z], limits);
    if (img.width !== first.width || img.height !== first.height) {
      throw new InputError('STACK_SIZE_MISMATCH', `${files[z]}: image is ${img.width}×${img.height} but ${files[0]} is ${first.width}×${first.height}; all slices of a stack must have one size`, { path: files[z] });
    }
    greyToHu(img.data, data, z * slice, low, width);
  }
  return {
    data,
    dims: [first.width, first.height, files.length],
    spacingMm,
    originMm: [0, 0, 0],
    direction: IDENTITY_DIRECTION,
    source: { format: 'image-stack', path: dir, sliceCount: files.length, pseudoHu: true },
    warnings: [pseudoHuWarning(low, width, spacingMm, options.spacingMm !== undefined)],
  };
}

/**
 * Reads one 8-bit image as a 1-slice pseudo-HU volume (2-D screening; single dataset slices). Without
 * a given spacing, the in-plane pixel size follows from SINGLE_SLICE_EXTENT_MM.
 */
export async function readImageAsPseudoHu(file: string, options: ImageStackOptions = {}): Promise<Volume<Int16Array>> {
  const img = await decodeGrey(file, resolveLimits(options.limits));
  const fitted = SINGLE_SLICE_EXTENT_MM / Math.max(img.width, img.height);
  const { low, width, spacingMm } = resolveOptions({ ...options, spacingMm: options.spacingMm ?? [fitted, fitted, DEFAULT_STACK_SPACING_MM[2]] }, file);
  const data = new Int16Array(img.width * img.height);
  greyToHu(img.data, data, 0, low, width);
  return {
    data,
    dims: [img.width, img.height, 1],
    spacingMm,
    originMm: [0, 0, 0],
    direction: IDENTITY_DIRECTION,
    source: { format: 'image-stack', path: file, sliceCount: 1, pseudoHu: true },
    warnings: [pseudoHuWarning(low, width, spacingMm, options.spacingMm !== undefined, `assumed (the image's longer side taken as ${SINGLE_SLICE_EXTENT_MM} mm of chest)`)],
  };
}
