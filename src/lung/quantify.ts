/**
 * Lung quantification: volume per lung, the share of each lung in HU bands, and — given a lesion
 * mask — the percentage of each lung (and of its upper / middle / lower third) that the lesions
 * occupy. Thirds are by height within each lung's own extent (patient z), as CT severity scores
 * grade involvement by zone.
 */
import { InputError } from '../core/errors.ts';
import { type Volume, voxelToPatient } from '../core/volume.ts';

export interface HuBand {
  fromHu: number;
  /** Exclusive upper limit. */
  toHu: number;
  name: string;
}

/** Bands named in issue 4: emphysema-like, normally aerated, ground-glass range, consolidation range. */
export const DEFAULT_HU_BANDS: readonly HuBand[] = [
  { fromHu: -1050, toHu: -950, name: 'hyperlucent' },
  { fromHu: -950, toHu: -750, name: 'normally aerated' },
  { fromHu: -750, toHu: -400, name: 'ground-glass range' },
  { fromHu: -400, toHu: 0, name: 'consolidation range' },
];

export interface BandFraction extends HuBand {
  /** Fraction (0–1) of the lung's voxels in [fromHu, toHu). */
  fraction: number;
}

export interface LesionShare {
  voxels: number;
  volumeMl: number;
  /** Percent of the lung's volume occupied by lesion. */
  percent: number;
  /** Percent per third of the lung's height; null where that third has no lung voxels. */
  thirds: { upper: number | null; middle: number | null; lower: number | null };
}

export interface LungRegionStats {
  voxels: number;
  volumeMl: number;
  meanHu: number;
  bands: BandFraction[];
  lesion?: LesionShare;
}

export interface LungStats {
  right: LungRegionStats;
  left: LungRegionStats;
  total: LungRegionStats;
  /** True when HU are recovered from 8-bit images: band fractions are approximate. */
  pseudoHu: boolean;
}

export interface QuantifyOptions {
  /** Non-zero = lesion, same grid as the volume. */
  lesionMask?: Uint8Array;
  bands?: readonly HuBand[];
}

export function quantifyLungs(volume: Volume, lungMask: Uint8Array, options: QuantifyOptions = {}): LungStats {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  const n = plane * nz;
  if (lungMask.length !== n) throw new InputError('MASK_GRID', `lung mask has ${lungMask.length} voxels but the volume has ${nx}×${ny}×${nz} = ${n}`);
  const lesion = options.lesionMask;
  if (lesion && lesion.length !== n) throw new InputError('MASK_GRID', `lesion mask has ${lesion.length} voxels but the volume has ${n}`);
  const bands = options.bands ?? DEFAULT_HU_BANDS;
  const nb = bands.length;
  const voxelMl = (volume.spacingMm[0] * volume.spacingMm[1] * volume.spacingMm[2]) / 1000;
  // per side (index 1, 2): counts, HU sums, band counts, per-slice lung and lesion counts
  const count = [0, 0, 0];
  const huSum = [0, 0, 0];
  const lesionCount = [0, 0, 0];
  const bandCount = [new Float64Array(nb), new Float64Array(nb), new Float64Array(nb)];
  const sliceLung = [new Float64Array(nz), new Float64Array(nz), new Float64Array(nz)];
  const sliceLesion = [new Float64Array(nz), new Float64Array(nz), new Float64Array(nz)];
  const data = volume.data;
  // most of a CT is not lung: four mask bytes are tested at once where the mask allows it
  const words = (lungMask.byteOffset & 3) === 0 && (plane & 3) === 0 ? new Uint32Array(lungMask.buffer, lungMask.byteOffset, n >> 2) : null;
  if (data instanceof Int16Array) {
    int16Counts(data, lungMask, words, lesion, plane, nz, bands, { count, huSum, lesionCount, bandCount, sliceLung, sliceLesion });
  } else for (let z = 0; z < nz; z++) {
    for (let i = plane * z, end = plane * (z + 1); i < end; i++) {
      if (words && (i & 3) === 0 && words[i >> 2] === 0) {
        i += 3;
        continue;
      }
      const s = lungMask[i];
      if (s !== 1 && s !== 2) continue;
      const v = data[i];
      count[s]++;
      huSum[s] += v;
      sliceLung[s][z]++;
      for (let b = 0; b < nb; b++) {
        if (v >= bands[b].fromHu && v < bands[b].toHu) {
          bandCount[s][b]++;
          break;
        }
      }
      if (lesion && lesion[i] !== 0) {
        lesionCount[s]++;
        sliceLesion[s][z]++;
      }
    }
  }
  for (let z = 0; z < nz; z++) {
    sliceLung[0][z] = sliceLung[1][z] + sliceLung[2][z];
    sliceLesion[0][z] = sliceLesion[1][z] + sliceLesion[2][z];
  }
  count[0] = count[1] + count[2];
  huSum[0] = huSum[1] + huSum[2];
  lesionCount[0] = lesionCount[1] + lesionCount[2];
  for (let b = 0; b < nb; b++) bandCount[0][b] = bandCount[1][b] + bandCount[2][b];
  // patient height of each slice centre, for thirds
  const sliceZ = new Float64Array(nz);
  for (let z = 0; z < nz; z++) sliceZ[z] = voxelToPatient(volume, [(nx - 1) / 2, (ny - 1) / 2, z])[2];

  const region = (s: 0 | 1 | 2): LungRegionStats => {
    const c = count[s];
    const r: LungRegionStats = {
      voxels: c,
      volumeMl: c * voxelMl,
      meanHu: c > 0 ? huSum[s] / c : NaN,
      bands: bands.map((b, k) => ({ ...b, fraction: c > 0 ? bandCount[s][k] / c : 0 })),
    };
    if (lesion) {
      r.lesion = {
        voxels: lesionCount[s],
        volumeMl: lesionCount[s] * voxelMl,
        percent: c > 0 ? (100 * lesionCount[s]) / c : 0,
        thirds: thirds(sliceLung[s], sliceLesion[s], sliceZ),
      };
    }
    return r;
  };
  return { right: region(1), left: region(2), total: region(0), pseudoHu: volume.source.pseudoHu };
}

interface SideCounts {
  count: number[];
  huSum: number[];
  lesionCount: number[];
  bandCount: Float64Array[];
  sliceLung: Float64Array[];
  sliceLesion: Float64Array[];
}

const INT16_BINS = 65536;

/**
 * quantifyLungs' counts for integer HU (DICOM, NIfTI): one histogram bin per HU and side instead of a
 * band search per voxel; bands and HU sums come from the histograms afterwards. Every count is an
 * integer and every HU sum an integer below 2^53, so the numbers are exactly those of the per-voxel loop.
 */
function int16Counts(data: Int16Array, lungMask: Uint8Array, words: Uint32Array | null, lesion: Uint8Array | undefined, plane: number, nz: number, bands: readonly HuBand[], out: SideCounts): void {
  const hist = new Int32Array(2 * INT16_BINS);
  const lesionHere = [0, 0, 0];
  // right, left, lesion right, lesion left of one slice
  const acc = new Int32Array(4);
  for (let z = 0; z < nz; z++) {
    acc.fill(0);
    const end = plane * (z + 1);
    if (words) {
      // runs of all-zero mask words (most of a CT is not lung) are skipped four voxels a read; the voxels
      // of each run of non-zero words are counted in one call
      const we = end >> 2;
      let w = (plane * z) >> 2;
      while (w < we) {
        while (w < we && words[w] === 0) w++;
        const from = w;
        while (w < we && words[w] !== 0) w++;
        if (w > from) countSpan(data, lungMask, lesion, hist, from << 2, w << 2, acc);
      }
    } else countSpan(data, lungMask, lesion, hist, plane * z, end, acc);
    out.sliceLung[1][z] = acc[0];
    out.sliceLung[2][z] = acc[1];
    out.count[1] += acc[0];
    out.count[2] += acc[1];
    if (lesion) {
      out.sliceLesion[1][z] = acc[2];
      out.sliceLesion[2][z] = acc[3];
      lesionHere[1] += acc[2];
      lesionHere[2] += acc[3];
    }
  }
  out.lesionCount[1] += lesionHere[1];
  out.lesionCount[2] += lesionHere[2];
  for (const s of [1, 2]) {
    const base = (s - 1) * INT16_BINS;
    let sum = 0;
    for (let b = 0; b < INT16_BINS; b++) {
      const c = hist[base + b];
      if (c === 0) continue;
      const v = b - 32768;
      sum += c * v;
      for (let k = 0; k < bands.length; k++) {
        if (v >= bands[k].fromHu && v < bands[k].toHu) {
          out.bandCount[s][k] += c;
          break;
        }
      }
    }
    out.huSum[s] += sum;
  }
}

/** Voxels [from, to): per side the count, its HU histogram and its lesion count, added to acc = [right, left, lesion right, lesion left]. */
function countSpan(data: Int16Array, lungMask: Uint8Array, lesion: Uint8Array | undefined, hist: Int32Array, from: number, to: number, acc: Int32Array): void {
  let right = 0;
  let left = 0;
  let lesionRight = 0;
  let lesionLeft = 0;
  for (let i = from; i < to; i++) {
    const s = lungMask[i];
    if (s === 1) {
      right++;
      hist[data[i] + 32768]++;
      if (lesion && lesion[i] !== 0) lesionRight++;
    } else if (s === 2) {
      left++;
      hist[INT16_BINS + data[i] + 32768]++;
      if (lesion && lesion[i] !== 0) lesionLeft++;
    }
  }
  acc[0] += right;
  acc[1] += left;
  acc[2] += lesionRight;
  acc[3] += lesionLeft;
}

/** Splits the lung's height range (slice centres, mm) into equal thirds; slices go by their centre. */
function thirds(lung: Float64Array, les: Float64Array, sliceZ: Float64Array): LesionShare['thirds'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let z = 0; z < lung.length; z++) {
    if (lung[z] === 0) continue;
    lo = Math.min(lo, sliceZ[z]);
    hi = Math.max(hi, sliceZ[z]);
  }
  const lungT = [0, 0, 0];
  const lesT = [0, 0, 0];
  for (let z = 0; z < lung.length; z++) {
    if (lung[z] === 0) continue;
    // 0 lower, 1 middle, 2 upper; a single-slice lung is all "middle"
    const t = hi > lo ? (sliceZ[z] - lo) / (hi - lo) : 0.5;
    const k = t < 1 / 3 ? 0 : t < 2 / 3 ? 1 : 2;
    lungT[k] += lung[z];
    lesT[k] += les[z];
  }
  const pct = (k: number) => (lungT[k] > 0 ? (100 * lesT[k]) / lungT[k] : null);
  return { lower: pct(0), middle: pct(1), upper: pct(2) };
}

/** A side gets a region when at least this share of the region's lung voxels are in that lung. */
export const SIDE_SHARE = 0.8;

/**
 * Which lung a labelled region lies in (lung mask 1 = right, 2 = left): 'right' or 'left' when at
 * least SIDE_SHARE of its lung voxels are in that lung, 'both' otherwise, null when none is in a lung.
 * `box` bounds the region's voxels (label `value` in `labels`).
 */
export function regionLungSide(lungMask: Uint8Array, labels: Uint32Array, value: number, box: { min: readonly number[]; max: readonly number[] }, dims: readonly number[]): 'left' | 'right' | 'both' | null {
  const [nx, ny] = dims;
  let right = 0;
  let left = 0;
  for (let z = box.min[2]; z <= box.max[2]; z++) {
    for (let y = box.min[1]; y <= box.max[1]; y++) {
      let i = box.min[0] + nx * (y + ny * z);
      for (let x = box.min[0]; x <= box.max[0]; x++, i++) {
        if (labels[i] !== value) continue;
        if (lungMask[i] === 1) right++;
        else if (lungMask[i] === 2) left++;
      }
    }
  }
  const n = right + left;
  if (n === 0) return null;
  return right >= SIDE_SHARE * n ? 'right' : left >= SIDE_SHARE * n ? 'left' : 'both';
}
