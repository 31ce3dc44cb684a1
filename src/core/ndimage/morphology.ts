/**
 * Binary morphology and connected components on flat typed arrays (x fastest), written for the
 * lung extractor's hot loops: no per-pixel allocation, queues reused between calls. In core/ so
 * every stage and the dataset exporter use the same helpers (STYLE: a stage never reaches into
 * another's room).
 */
import { squaredEdt2d } from './distance-transform.ts';

let queue = new Int32Array(0);
function ensureQueue(n: number): Int32Array {
  if (queue.length < n) queue = new Int32Array(Math.max(n, 2 * queue.length));
  return queue;
}

/**
 * Marks (out = 1) every pixel of a 2-D image that is NOT `wall` and is reachable from the image
 * border through non-wall pixels (4-connected). `wall` is read at `image[offset + i]`.
 */
export function floodFromBorder2d(
  wall: Uint8Array,
  width: number,
  height: number,
  out: Uint8Array,
  offset = 0,
): void {
  const n = width * height;
  const q = ensureQueue(n);
  out.fill(0, 0, n);
  let tail = 0;
  const seed = (i: number) => {
    if (out[i] === 0 && wall[offset + i] === 0) {
      out[i] = 1;
      q[tail++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed(x + width * (height - 1));
  }
  for (let y = 0; y < height; y++) {
    seed(width * y);
    seed(width - 1 + width * y);
  }
  for (let head = 0; head < tail; head++) {
    const i = q[head];
    const x = i % width;
    if (x > 0 && out[i - 1] === 0 && wall[offset + i - 1] === 0) { out[i - 1] = 1; q[tail++] = i - 1; }
    if (x < width - 1 && out[i + 1] === 0 && wall[offset + i + 1] === 0) { out[i + 1] = 1; q[tail++] = i + 1; }
    if (i >= width && out[i - width] === 0 && wall[offset + i - width] === 0) { out[i - width] = 1; q[tail++] = i - width; }
    if (i < n - width && out[i + width] === 0 && wall[offset + i + width] === 0) { out[i + width] = 1; q[tail++] = i + width; }
  }
}

let scratchOutside = new Uint8Array(0);

/**
 * 2-D hole filling in place: pixels with `mask[offset+i] === 0` that cannot reach the image border
 * through zero pixels (4-connected) are set to `value`. Returns how many pixels were filled.
 */
export function fillHoles2d(mask: Uint8Array, width: number, height: number, value = 1, offset = 0): number {
  const n = width * height;
  if (scratchOutside.length < n) scratchOutside = new Uint8Array(n);
  floodFromBorder2d(mask, width, height, scratchOutside, offset);
  let filled = 0;
  for (let i = 0; i < n; i++) {
    if (mask[offset + i] === 0 && scratchOutside[i] === 0) {
      mask[offset + i] = value;
      filled++;
    }
  }
  return filled;
}

export interface ComponentLabels {
  /** Component id per pixel/voxel (0 = not in the mask, 1..count). */
  labels: Int32Array;
  count: number;
  /** sizes[k] = pixel/voxel count of component k (sizes[0] unused). */
  sizes: Int32Array;
}

/**
 * Connected components of `mask[offset + i] !== 0` on a 2-D image (4- or 8-connected).
 * `labels` is reused when given and long enough.
 */
export function label2d(
  mask: Uint8Array,
  width: number,
  height: number,
  options: { connectivity?: 4 | 8; offset?: number; labels?: Int32Array } = {},
): ComponentLabels {
  const n = width * height;
  const offset = options.offset ?? 0;
  const eight = options.connectivity === 8;
  const labels = options.labels && options.labels.length >= n ? options.labels : new Int32Array(n);
  labels.fill(0, 0, n);
  const q = ensureQueue(n);
  const sizes: number[] = [0];
  let count = 0;
  for (let start = 0; start < n; start++) {
    if (mask[offset + start] === 0 || labels[start] !== 0) continue;
    count++;
    labels[start] = count;
    let tail = 0;
    q[tail++] = start;
    for (let head = 0; head < tail; head++) {
      const i = q[head];
      const x = i % width;
      const y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          if (!eight && dx !== 0 && dy !== 0) continue;
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = xx + width * yy;
          if (labels[j] === 0 && mask[offset + j] !== 0) {
            labels[j] = count;
            q[tail++] = j;
          }
        }
      }
    }
    sizes.push(tail);
  }
  return { labels, count, sizes: Int32Array.from(sizes) };
}

/** 6-connected components of `mask !== 0` in a volume of dims [nx, ny, nz] (x fastest). */
export function label3d(mask: Uint8Array, dims: readonly [number, number, number], labels?: Int32Array): ComponentLabels {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const n = plane * nz;
  const out = labels && labels.length >= n ? labels : new Int32Array(n);
  out.fill(0, 0, n);
  const q = ensureQueue(n);
  const sizes: number[] = [0];
  let count = 0;
  for (let start = 0; start < n; start++) {
    if (mask[start] === 0 || out[start] !== 0) continue;
    count++;
    out[start] = count;
    let tail = 0;
    q[tail++] = start;
    for (let head = 0; head < tail; head++) {
      const i = q[head];
      const x = i % nx;
      const r = (i - x) / nx;
      const y = r % ny;
      const z = (r - y) / ny;
      if (x > 0 && out[i - 1] === 0 && mask[i - 1] !== 0) { out[i - 1] = count; q[tail++] = i - 1; }
      if (x < nx - 1 && out[i + 1] === 0 && mask[i + 1] !== 0) { out[i + 1] = count; q[tail++] = i + 1; }
      if (y > 0 && out[i - nx] === 0 && mask[i - nx] !== 0) { out[i - nx] = count; q[tail++] = i - nx; }
      if (y < ny - 1 && out[i + nx] === 0 && mask[i + nx] !== 0) { out[i + nx] = count; q[tail++] = i + nx; }
      if (z > 0 && out[i - plane] === 0 && mask[i - plane] !== 0) { out[i - plane] = count; q[tail++] = i - plane; }
      if (z < nz - 1 && out[i + plane] === 0 && mask[i + plane] !== 0) { out[i + plane] = count; q[tail++] = i + plane; }
    }
    sizes.push(tail);
  }
  return { labels: out, count, sizes: Int32Array.from(sizes) };
}

let closeBufA = new Uint8Array(0);
let closeDist: Float32Array = new Float32Array(0);

/**
 * Morphological closing of a 2-D binary image with a Euclidean disk of `radiusMm` (exact, via two
 * distance transforms): a pixel is in the result when no disk that avoids the mask covers it.
 * Closing fills concavities narrower than the disk — how a juxtapleural lesion that a threshold cut
 * out of the lung is put back. The image is treated as zero outside its border; give it a margin
 * of at least the radius so the disk can pass around the shape. Result written to `out` (0/1).
 */
export function closeDisk2d(
  mask: Uint8Array,
  width: number,
  height: number,
  spacingMm: readonly [number, number],
  radiusMm: number,
  out: Uint8Array,
): void {
  const n = width * height;
  if (closeBufA.length < n) closeBufA = new Uint8Array(n);
  if (closeDist.length < n) closeDist = new Float32Array(n);
  const r2 = radiusMm * radiusMm;
  // dilation: within radius of a mask pixel
  squaredEdt2d(mask, width, height, spacingMm, { featureWhen: 'nonzero', out: closeDist });
  for (let i = 0; i < n; i++) closeBufA[i] = closeDist[i] <= r2 ? 1 : 0;
  // erosion of the dilation: keep pixels farther than the radius from any non-dilated pixel
  squaredEdt2d(closeBufA, width, height, spacingMm, { featureWhen: 'zero', imageBorderIsFeature: true, out: closeDist });
  for (let i = 0; i < n; i++) out[i] = closeDist[i] > r2 ? 1 : 0;
}

/**
 * Morphological opening with a Euclidean disk (exact, two distance transforms): removes parts of
 * the shape narrower than the disk — how a lesion joined to the hilum by a vessel is cut loose.
 * Pixels outside the image count as background. Result written to `out` (0/1).
 */
export function openDisk2d(
  mask: Uint8Array,
  width: number,
  height: number,
  spacingMm: readonly [number, number],
  radiusMm: number,
  out: Uint8Array,
): void {
  const n = width * height;
  if (closeBufA.length < n) closeBufA = new Uint8Array(n);
  if (closeDist.length < n) closeDist = new Float32Array(n);
  const r2 = radiusMm * radiusMm;
  squaredEdt2d(mask, width, height, spacingMm, { featureWhen: 'zero', imageBorderIsFeature: true, out: closeDist });
  for (let i = 0; i < n; i++) closeBufA[i] = closeDist[i] > r2 ? 1 : 0;
  squaredEdt2d(closeBufA, width, height, spacingMm, { featureWhen: 'nonzero', out: closeDist });
  for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 && closeDist[i] <= r2 ? 1 : 0;
}
