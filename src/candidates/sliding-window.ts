/**
 * Tiled inference of a 2.5D slice network over a CT volume, as a pure function with the predictor
 * passed in (STYLE §2, MONAI's sliding_window_inference): the window slides along z, one axial
 * slice and its neighbours (channels) per tile; in-plane, each slice's lung box is ONE tile resized
 * to tileSize² (a reduced resolution keeps a 150-slice CT within the ~2 s budget on 2 cores).
 *
 *   slidingWindow(volume, options, predict): Promise<SlidingWindowResult>
 *   lungSliceBoxes(lungMask, dims, spacingMm, marginMm): (Box2 | null)[]
 */
import type { Box3, Vec3, Volume } from '../core/volume.ts';
import { maskBounds } from '../core/ndimage/mask-bounds.ts';
import { extractTile, pasteTile, type Box2, type WindowHu } from './tile.ts';

/** Predicts a batch: input n × channels × tileSize × tileSize, output n × tileSize × tileSize (n × 1 × … is the same). */
export type TilePredictor = (batch: Float32Array, dims: readonly [number, number, number, number]) => Promise<Float32Array> | Float32Array;

export interface SlidingWindowOptions {
  /** Side of the square network input, pixels. */
  tileSize: number;
  /** Slice offsets stacked as channels, e.g. [-1, 0, 1]; slices beyond the volume repeat the edge slice. */
  sliceOffsets: readonly number[];
  /** Tiles per predictor call. */
  batchSize: number;
  /** Crop box of each axial slice (length = number of slices); null skips the slice (probability 0). */
  sliceBoxes: readonly (Box2 | null)[];
  /** Window for HU → [0, 1]; default the lung window. */
  windowHu?: WindowHu;
  /**
   * Batches handed to the predictor before the first result is awaited (default 2): with a predictor
   * that runs elsewhere (a worker thread), batch k + 1 is tiled while batch k runs. 1 = strictly one at a time.
   */
  inFlight?: number;
  /**
   * Called once per predicted slice as soon as its plane of the map is final, in the order the batches
   * come back: per-slice work on the map (thresholds) then runs while later batches are in the
   * network, instead of after the window with the other core idle.
   */
  onSlice?: (plane: SlicePlane) => void;
}

/** One predicted slice's plane of the map, final (SlidingWindowOptions.onSlice). */
export interface SlicePlane {
  /** Slice index in the volume. */
  z: number;
  /** The whole map over `region` (as in the result); this slice's plane starts at `offset`. */
  probability: Float32Array;
  offset: number;
  region: Box3;
}

/** Two batches in flight keep a worker-thread predictor busy while this thread tiles and pastes (double buffering). */
export const DEFAULT_IN_FLIGHT = 2;

export interface SlidingWindowResult {
  /** Voxel box of the volume the map covers: the union of the slice boxes (null when every slice was skipped). */
  region: Box3 | null;
  /** Predictor output resized back onto each slice box, over `region` in zyx order; 0 outside the boxes. */
  probability: Float32Array;
  /** Slices given to the predictor. */
  slicesPredicted: number;
}

export async function slidingWindow(volume: Pick<Volume, 'data' | 'dims'>, options: SlidingWindowOptions, predict: TilePredictor): Promise<SlidingWindowResult> {
  const [nx, ny, nz] = volume.dims;
  const { tileSize: s, sliceOffsets, batchSize, sliceBoxes } = options;
  if (!(Number.isInteger(s) && s > 0)) throw new RangeError(`tileSize must be a positive integer, got ${s}`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (sliceOffsets.length === 0) throw new RangeError('sliceOffsets must name at least one slice');
  if (sliceBoxes.length !== nz) throw new RangeError(`sliceBoxes has ${sliceBoxes.length} entries, the volume has ${nz} slices`);
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  const zs: number[] = [];
  sliceBoxes.forEach((b, z) => {
    if (!b) return;
    if (b.x0 < 0 || b.y0 < 0 || b.x1 >= nx || b.y1 >= ny || b.x1 < b.x0 || b.y1 < b.y0) {
      throw new RangeError(`slice ${z} box [${b.x0}..${b.x1}]×[${b.y0}..${b.y1}] is outside the ${nx}×${ny} slice or empty`);
    }
    zs.push(z);
    x0 = Math.min(x0, b.x0);
    y0 = Math.min(y0, b.y0);
    x1 = Math.max(x1, b.x1);
    y1 = Math.max(y1, b.y1);
    z0 = Math.min(z0, z);
    z1 = Math.max(z1, z);
  });
  if (zs.length === 0) return { region: null, probability: new Float32Array(0), slicesPredicted: 0 };
  const rw = x1 - x0 + 1;
  const rh = y1 - y0 + 1;
  const probability = new Float32Array(rw * rh * (z1 - z0 + 1));
  const region: Box3 = { min: [x0, y0, z0], max: [x1, y1, z1] };
  const c = sliceOffsets.length;
  const tileLen = s * s;
  const inFlight = options.inFlight ?? DEFAULT_IN_FLIGHT;
  if (!(Number.isInteger(inFlight) && inFlight > 0)) throw new RangeError(`inFlight must be a positive integer, got ${inFlight}`);
  const batches: number[][] = [];
  for (let start = 0; start < zs.length; start += batchSize) batches.push(zs.slice(start, start + batchSize));
  // one input buffer per batch in flight: a buffer is refilled only after its batch's result came back
  const buffers = Array.from({ length: Math.min(inFlight, batches.length) }, () => new Float32Array(batchSize * c * tileLen));
  const scratch = new Float32Array(ny * s);
  const pasteScratch = new Float32Array(s * nx);
  const submit = (k: number): Promise<Float32Array> => {
    const chunk = batches[k];
    const n = chunk.length;
    const batch = buffers[k % buffers.length];
    chunk.forEach((z, b) => {
      const box = sliceBoxes[z]!;
      for (let ch = 0; ch < c; ch++) {
        const zz = Math.min(nz - 1, Math.max(0, z + sliceOffsets[ch]));
        extractTile({ data: volume.data, width: nx, height: ny, offset: nx * ny * zz }, box, s, batch, (b * c + ch) * tileLen, scratch, options.windowHu);
      }
    });
    const input = n === batchSize ? batch : batch.subarray(0, n * c * tileLen);
    let p: Promise<Float32Array>;
    try {
      p = Promise.resolve(predict(input, [n, c, s, s]));
    } catch (e) {
      p = Promise.reject(e);
    }
    // a batch that fails while an earlier one is awaited is not an unhandled rejection: it is awaited (and thrown) in its turn, or dropped after an earlier failure
    p.catch(() => {});
    return p;
  };
  const running: Promise<Float32Array>[] = [];
  for (let k = 0; k < buffers.length; k++) running.push(submit(k));
  for (let k = 0; k < batches.length; k++) {
    const out = await running.shift()!;
    const chunk = batches[k];
    const n = chunk.length;
    if (out.length !== n * tileLen) throw new RangeError(`predictor returned ${out.length} values for ${n} tiles of ${s}×${s} (expected ${n * tileLen})`);
    chunk.forEach((z, b) => {
      const box = sliceBoxes[z]!;
      const local: Box2 = { x0: box.x0 - x0, y0: box.y0 - y0, x1: box.x1 - x0, y1: box.y1 - y0 };
      pasteTile(out, b * tileLen, s, local, probability, rw, rw * rh * (z - z0), pasteScratch);
      options.onSlice?.({ z, probability, offset: rw * rh * (z - z0), region });
    });
    // batch k is pasted (its output may be its input buffer), so that buffer takes the next batch
    if (k + buffers.length < batches.length) running.push(submit(k + buffers.length));
  }
  return { region, probability, slicesPredicted: zs.length };
}

/**
 * Per-slice crop boxes: the bounding box of the lung mask on each axial slice, widened by
 * `marginMm` and clipped to the slice; null where the slice has no lung. This matches the training
 * slices (COVID-SemiSeg images are cropped to the lungs slice by slice).
 */
export function lungSliceBoxes(lungMask: Uint8Array, dims: Vec3, spacingMm: Vec3, marginMm: number): (Box2 | null)[] {
  const [nx, ny, nz] = dims;
  if (lungMask.length !== nx * ny * nz) throw new RangeError(`lung mask has ${lungMask.length} voxels, dims ${dims.join('×')} need ${nx * ny * nz}`);
  const mx = Math.round(marginMm / spacingMm[0]);
  const my = Math.round(marginMm / spacingMm[1]);
  const boxes: (Box2 | null)[] = [];
  const plane = nx * ny;
  for (let z = 0; z < nz; z++) {
    const b = maskBounds(lungMask.subarray(plane * z, plane * (z + 1)), [nx, ny, 1]);
    boxes.push(b ? { x0: Math.max(0, b.min[0] - mx), y0: Math.max(0, b.min[1] - my), x1: Math.min(nx - 1, b.max[0] + mx), y1: Math.min(ny - 1, b.max[1] + my) } : null);
  }
  return boxes;
}
