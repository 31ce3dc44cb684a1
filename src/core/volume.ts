/**
 * The one volume type every stage speaks.
 *
 * Memory order is "zyx": x (column) varies fastest, then y (row), then z (slice):
 *   index = x + nx * (y + ny * z)
 * which is the order of DICOM pixel rows stacked slice after slice and of NIfTI.
 * `dims`, `spacingMm` and voxel coordinates are always given as [x, y, z].
 * Patient coordinates are DICOM LPS, in millimetres.
 */
export type Vec3 = readonly [number, number, number];
/** Row-major 3×3. Column j is the unit direction (in LPS) of voxel axis j (x, y or z). */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

export type VoxelData = Int16Array | Float32Array | Uint8Array;

export type SourceFormat = 'dicom' | 'nifti' | 'image-stack' | 'synthetic';

/** Non-identifying description of where a volume came from. Never holds patient names or IDs. */
export interface VolumeSource {
  format: SourceFormat;
  /** Path as given by the user (a folder, file or zip). */
  path?: string;
  modality?: string;
  seriesInstanceUid?: string;
  seriesDescription?: string;
  transferSyntaxUid?: string;
  sliceCount: number;
  /** True when voxel values are approximate HU recovered from 8-bit windowed images. */
  pseudoHu: boolean;
  /** DICOM PatientPosition (0018,5100), e.g. 'HFS' (supine) or 'HFP' (prone): which lung is dependent. */
  patientPosition?: string;
}

export interface Volume<T extends VoxelData = VoxelData> {
  /** Voxel values in Hounsfield units (or a label map for masks), memory order zyx. */
  data: T;
  /** [nx, ny, nz]: columns, rows, slices. */
  dims: Vec3;
  /** Voxel size [x, y, z] in mm; z is the distance between slice centres. */
  spacingMm: Vec3;
  /** LPS position (mm) of the centre of voxel (0, 0, 0). */
  originMm: Vec3;
  direction: Mat3;
  source: VolumeSource;
  /** Reader and processing warnings a clinician or engineer should see. */
  warnings: string[];
}

export const IDENTITY_DIRECTION: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function voxelCount(dims: Vec3): number {
  return dims[0] * dims[1] * dims[2];
}

export function voxelIndex(dims: Vec3, x: number, y: number, z: number): number {
  return x + dims[0] * (y + dims[1] * z);
}

/** Continuous voxel coordinate → LPS mm. */
export function voxelToPatient(vol: Pick<Volume, 'originMm' | 'spacingMm' | 'direction'>, ijk: Vec3): Vec3 {
  const { originMm: o, spacingMm: s, direction: d } = vol;
  const a = ijk[0] * s[0];
  const b = ijk[1] * s[1];
  const c = ijk[2] * s[2];
  return [
    o[0] + d[0] * a + d[1] * b + d[2] * c,
    o[1] + d[3] * a + d[4] * b + d[5] * c,
    o[2] + d[6] * a + d[7] * b + d[8] * c,
  ];
}

/** LPS mm → continuous voxel coordinate (direction assumed orthonormal). */
export function patientToVoxel(vol: Pick<Volume, 'originMm' | 'spacingMm' | 'direction'>, p: Vec3): Vec3 {
  const { originMm: o, spacingMm: s, direction: d } = vol;
  const r0 = p[0] - o[0];
  const r1 = p[1] - o[1];
  const r2 = p[2] - o[2];
  // inverse of an orthonormal matrix is its transpose
  return [
    (d[0] * r0 + d[3] * r1 + d[6] * r2) / s[0],
    (d[1] * r0 + d[4] * r1 + d[7] * r2) / s[1],
    (d[2] * r0 + d[5] * r1 + d[8] * r2) / s[2],
  ];
}

/** A new volume on the same grid as `like`, with other data (e.g. a mask). */
export function sameGrid<T extends VoxelData>(like: Volume, data: T, source?: Partial<VolumeSource>): Volume<T> {
  if (data.length !== voxelCount(like.dims)) {
    throw new RangeError(`data has ${data.length} voxels, grid needs ${voxelCount(like.dims)}`);
  }
  return {
    data,
    dims: like.dims,
    spacingMm: like.spacingMm,
    originMm: like.originMm,
    direction: like.direction,
    source: { ...like.source, ...source },
    warnings: [],
  };
}

/** Inclusive voxel box [min, max] in [x, y, z]. */
export interface Box3 {
  min: Vec3;
  max: Vec3;
}
