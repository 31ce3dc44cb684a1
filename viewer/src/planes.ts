/**
 * Which voxels a displayed slice shows, and where: the radiological display convention applied to a
 * volume's affine, then a strided copy of one slice into display order (row by row, left to right).
 *
 * Display convention (radiological, as on every CT workstation):
 *   axial     screen right → patient left,      screen down → posterior
 *   coronal   screen right → patient left,      screen down → inferior
 *   sagittal  screen right → posterior,         screen down → inferior
 * In RAS terms (the NIfTI affine's space) patient left is −x, posterior −y and inferior −z.
 *
 * The slice index is the voxel index along the plane's voxel axis, unflipped: for 'axial' that is
 * voxel z, the index the report's `centreSlice` and `slicesUsed` use (core/report-schema.ts).
 */
import { axisSpacingMm } from './nifti.ts';

export type Plane = 'axial' | 'coronal' | 'sagittal';
export type Axis = 0 | 1 | 2;

/** The voxel axis each plane slices along: ctscreen volumes are stacks of axial slices along voxel z. */
export const PLANE_SLICE_AXIS: Record<Plane, Axis> = { axial: 2, coronal: 1, sagittal: 0 };

/** RAS direction that screen columns (left → right) and rows (top → bottom) must follow. */
const SCREEN_TARGETS: Record<Plane, { col: readonly number[]; row: readonly number[] }> = {
  axial: { col: [-1, 0, 0], row: [0, -1, 0] },
  coronal: { col: [-1, 0, 0], row: [0, 0, -1] },
  sagittal: { col: [0, -1, 0], row: [0, 0, -1] },
};

export interface PlaneLayout {
  plane: Plane;
  sliceAxis: Axis;
  sliceCount: number;
  /** Voxel axis along screen columns, and whether voxel index decreases left → right. */
  colAxis: Axis;
  colFlip: boolean;
  rowAxis: Axis;
  rowFlip: boolean;
  /** Slice size in pixels. */
  width: number;
  height: number;
  /** Physical size of one display pixel (mm), for the aspect ratio. */
  colSpacingMm: number;
  rowSpacingMm: number;
}

function direction(affine: readonly number[], axis: Axis): number[] {
  const v = [affine[axis], affine[4 + axis], affine[8 + axis]];
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return v.map((x) => x / n);
}
const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Layout of `plane` for a volume of `dims` with voxel → RAS `affine` (3×4 row-major). */
export function planeLayout(dims: readonly [number, number, number], affine: readonly number[], plane: Plane): PlaneLayout {
  const sliceAxis = PLANE_SLICE_AXIS[plane];
  const [a, b] = ([0, 1, 2] as Axis[]).filter((x) => x !== sliceAxis);
  const da = direction(affine, a);
  const db = direction(affine, b);
  const t = SCREEN_TARGETS[plane];
  // the in-plane axis closer to the screen's column direction runs along the columns
  const aIsCol = Math.abs(dot(da, t.col)) + Math.abs(dot(db, t.row)) >= Math.abs(dot(db, t.col)) + Math.abs(dot(da, t.row));
  const colAxis = aIsCol ? a : b;
  const rowAxis = aIsCol ? b : a;
  const dc = aIsCol ? da : db;
  const dr = aIsCol ? db : da;
  return {
    plane,
    sliceAxis,
    sliceCount: dims[sliceAxis],
    colAxis,
    colFlip: dot(dc, t.col) < 0,
    rowAxis,
    rowFlip: dot(dr, t.row) < 0,
    width: dims[colAxis],
    height: dims[rowAxis],
    colSpacingMm: axisSpacingMm(affine, colAxis),
    rowSpacingMm: axisSpacingMm(affine, rowAxis),
  };
}

function strides(dims: readonly [number, number, number]): [number, number, number] {
  return [1, dims[0], dims[0] * dims[1]];
}

/** Display pixel (col, row) of slice `index` → voxel [x, y, z]. */
export function displayToVoxel(layout: PlaneLayout, col: number, row: number, index: number): [number, number, number] {
  const v: [number, number, number] = [0, 0, 0];
  v[layout.sliceAxis] = index;
  v[layout.colAxis] = layout.colFlip ? layout.width - 1 - col : col;
  v[layout.rowAxis] = layout.rowFlip ? layout.height - 1 - row : row;
  return v;
}

/** Voxel [x, y, z] → display pixel [col, row] (and the slice index it lies on). */
export function voxelToDisplay(layout: PlaneLayout, voxel: readonly number[]): { col: number; row: number; index: number } {
  const c = voxel[layout.colAxis];
  const r = voxel[layout.rowAxis];
  return { col: layout.colFlip ? layout.width - 1 - c : c, row: layout.rowFlip ? layout.height - 1 - r : r, index: voxel[layout.sliceAxis] };
}

interface Indexable {
  length: number;
  [i: number]: number;
}

/**
 * Copies slice `index` of `data` (memory order x fastest, then y, then z) into `out` in display order.
 * `out` must hold layout.width × layout.height values.
 */
export function extractSlice<T extends Indexable>(data: Indexable, dims: readonly [number, number, number], layout: PlaneLayout, index: number, out: T): T {
  const { width: w, height: h } = layout;
  if (index < 0 || index >= layout.sliceCount || !Number.isInteger(index)) throw new RangeError(`slice ${index} is outside 0…${layout.sliceCount - 1}`);
  if (out.length < w * h) throw new RangeError(`output holds ${out.length} values, the slice has ${w * h}`);
  const s = strides(dims);
  const colStride = layout.colFlip ? -s[layout.colAxis] : s[layout.colAxis];
  const rowStride = layout.rowFlip ? -s[layout.rowAxis] : s[layout.rowAxis];
  const first = index * s[layout.sliceAxis] + (layout.colFlip ? (w - 1) * s[layout.colAxis] : 0) + (layout.rowFlip ? (h - 1) * s[layout.rowAxis] : 0);
  // axial slices of an unflipped grid are one contiguous block, rows of other planes often contiguous runs
  const typed = ArrayBuffer.isView(data) && ArrayBuffer.isView(out);
  if (typed && colStride === 1 && rowStride === w) {
    (out as unknown as Int16Array).set((data as unknown as Int16Array).subarray(first, first + w * h));
    return out;
  }
  let o = 0;
  if (typed && colStride === 1) {
    for (let r = 0, rowStart = first; r < h; r++, rowStart += rowStride, o += w) (out as unknown as Int16Array).set((data as unknown as Int16Array).subarray(rowStart, rowStart + w), o);
    return out;
  }
  for (let r = 0, rowStart = first; r < h; r++, rowStart += rowStride) {
    for (let c = 0, i = rowStart; c < w; c++, i += colStride) out[o++] = data[i];
  }
  return out;
}
