/**
 * Patch extraction (§2.2, §2.4): for every candidate cube, its centre axial slice and the two
 * neighbours, each cropped around the cube's in-plane box with a fixed margin (a square crop, so
 * shapes are not distorted), resampled bilinearly to sizePx × sizePx, lung-window normalised to
 * [0, 1], plus the relative distance-from-edge of the patch centre (§2.5.1) for the
 * location-attention model.
 *
 *   extractPatches({ volume, cubes, distanceAt, spec? }): PatchBatch
 */
import { AIR_HU } from '../core/constants.ts';
import type { Box3, Volume } from '../core/volume.ts';
import { DEFAULT_PATCH_SPEC, type PatchSpec } from './patch-spec.ts';

export interface PatchCube {
  /** Inclusive voxel box [x, y, z]. */
  box: Box3;
}

export interface ExtractPatchesOptions {
  volume: Volume;
  cubes: readonly PatchCube[];
  /**
   * Relative distance-from-edge (§2.5.1) at a voxel position (x, y continuous, z a slice index):
   * distance to the lung boundary / diagonal of the lungs' bounding rectangle. From the lung stage.
   */
  distanceAt: (x: number, y: number, z: number) => number;
  spec?: PatchSpec;
}

export interface PatchBatch {
  count: number;
  channels: number;
  sizePx: number;
  /** count × channels × sizePx × sizePx, values in [0, 1]. */
  data: Float32Array;
  /** Relative distance-from-edge of each patch centre. */
  distance: Float32Array;
  /** Index into `cubes` of each patch. */
  cubeIndex: Int32Array;
  /** Axial slice of each patch. */
  sliceIndex: Int32Array;
  /** 1 when the wanted neighbour slice was outside the volume and the nearest slice was used. */
  clamped: Uint8Array;
}

/** Side of the square crop, mm: the larger box side plus the margin on both sides, at least minCropMm. */
export function cropSideMm(box: Box3, spacingMm: readonly number[], spec: Pick<PatchSpec, 'marginMm' | 'minCropMm'>): number {
  const wMm = (box.max[0] - box.min[0] + 1) * spacingMm[0];
  const hMm = (box.max[1] - box.min[1] + 1) * spacingMm[1];
  return Math.max(Math.max(wMm, hMm) + 2 * spec.marginMm, spec.minCropMm);
}

/**
 * Writes one patch into `out` at `offset`: a square of `sideMm` centred on voxel (cx, cy) of slice
 * z, resampled bilinearly; outside the image counts as air.
 */
export function cutPatch(volume: Volume, cx: number, cy: number, z: number, sideMm: number, spec: PatchSpec, out: Float32Array, offset: number): void {
  const [nx, ny] = volume.dims;
  const data = volume.data;
  const sliceBase = z * nx * ny;
  const s = spec.sizePx;
  const low = spec.windowHu.centerHu - spec.windowHu.widthHu / 2;
  const invWidth = 1 / spec.windowHu.widthHu;
  const levels = spec.greyLevels;
  const stepX = sideMm / s / volume.spacingMm[0];
  const stepY = sideMm / s / volume.spacingMm[1];
  const x0 = cx - (s / 2 - 0.5) * stepX;
  const y0 = cy - (s / 2 - 0.5) * stepY;
  for (let j = 0; j < s; j++) {
    const y = y0 + j * stepY;
    const yf = Math.floor(y);
    const ty = y - yf;
    for (let i = 0; i < s; i++) {
      const x = x0 + i * stepX;
      const xf = Math.floor(x);
      const tx = x - xf;
      const v00 = xf >= 0 && xf < nx && yf >= 0 && yf < ny ? data[sliceBase + yf * nx + xf] : AIR_HU;
      const v10 = xf + 1 >= 0 && xf + 1 < nx && yf >= 0 && yf < ny ? data[sliceBase + yf * nx + xf + 1] : AIR_HU;
      const v01 = xf >= 0 && xf < nx && yf + 1 >= 0 && yf + 1 < ny ? data[sliceBase + (yf + 1) * nx + xf] : AIR_HU;
      const v11 = xf + 1 >= 0 && xf + 1 < nx && yf + 1 >= 0 && yf + 1 < ny ? data[sliceBase + (yf + 1) * nx + xf + 1] : AIR_HU;
      const hu = (v00 * (1 - tx) + v10 * tx) * (1 - ty) + (v01 * (1 - tx) + v11 * tx) * ty;
      let v = (hu - low) * invWidth;
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      out[offset + j * s + i] = Math.round(v * levels) / levels;
    }
  }
}

export function extractPatches(options: ExtractPatchesOptions): PatchBatch {
  const spec = options.spec ?? DEFAULT_PATCH_SPEC;
  const { volume, cubes } = options;
  if (spec.channels !== 1) throw new RangeError(`extractPatches cuts 1-channel lung-window patches, spec asks for ${spec.channels}`);
  const nz = volume.dims[2];
  const per = spec.sliceOffsets.length;
  const count = cubes.length * per;
  const plane = spec.sizePx * spec.sizePx;
  const batch: PatchBatch = {
    count,
    channels: 1,
    sizePx: spec.sizePx,
    data: new Float32Array(count * plane),
    distance: new Float32Array(count),
    cubeIndex: new Int32Array(count),
    sliceIndex: new Int32Array(count),
    clamped: new Uint8Array(count),
  };
  for (let c = 0; c < cubes.length; c++) {
    const { box } = cubes[c];
    const cx = (box.min[0] + box.max[0]) / 2;
    const cy = (box.min[1] + box.max[1]) / 2;
    const cz = Math.round((box.min[2] + box.max[2]) / 2);
    const side = cropSideMm(box, volume.spacingMm, spec);
    for (let k = 0; k < per; k++) {
      const p = c * per + k;
      const want = cz + spec.sliceOffsets[k];
      const z = want < 0 ? 0 : want >= nz ? nz - 1 : want;
      cutPatch(volume, cx, cy, z, side, spec, batch.data, p * plane);
      batch.distance[p] = options.distanceAt(cx, cy, z);
      batch.cubeIndex[p] = c;
      batch.sliceIndex[p] = z;
      batch.clamped[p] = z === want ? 0 : 1;
    }
  }
  return batch;
}

/** What a single slice means for the patches (extractPatches clamps the neighbour slices onto the only one: its `clamped` flag). */
export const SINGLE_SLICE_CAVEAT = 'single slice (2-D screening): each region\'s three patches (centre slice and neighbours) are its one slice three times, so the region vote is that patch\'s own prediction (the COVID-SemiSeg slices the classifier was trained on were patched the same way); regions have no extent across slices and lung volumes are areas times an assumed thickness';
