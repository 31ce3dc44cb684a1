/**
 * Connected components → candidate cubes (§2.3): size filter in mL, a cap on the number of
 * candidates (largest first), ids relabelled 1..n by volume, boxes in voxels and LPS mm.
 *
 *   componentsToCandidates(input, options): { candidates, labels, componentsBeforeFilter, warnings }
 */
import { voxelBoxToMm } from '../core/geometry.ts';
import type { Box3, Vec3, Volume } from '../core/volume.ts';
import { componentStats, labelComponents3d, type Connectivity } from '../core/ndimage/connected-components.ts';
import type { Candidate } from './types.ts';

const MM3_PER_ML = 1000;

export interface ComponentsToCandidatesOptions {
  /** Components smaller than this are dropped, millilitres. */
  minVolumeMl: number;
  /** Components larger than this are dropped (e.g. a whole collapsed lobe is no "focus"), mL; default none. */
  maxVolumeMl?: number;
  /** At most this many candidates, the largest kept. */
  maxCandidates: number;
  /**
   * Hysteresis: components whose highest probability is below this are dropped, so a candidate is
   * the low threshold's extent around a confident core (needs `probability`; default none).
   */
  minPeakProbability?: number;
  connectivity?: Connectivity;
}

export interface ComponentsToCandidatesResult {
  candidates: Candidate[];
  labels: Uint32Array;
  componentsBeforeFilter: number;
  warnings: string[];
}

/**
 * Labels `mask` and turns its components into candidates on `grid`. `probability` (same grid),
 * when given, fills mean/max lesion probability.
 */
export function componentsToCandidates(
  input: {
    mask: Uint8Array;
    grid: Pick<Volume, 'dims' | 'originMm' | 'spacingMm' | 'direction'>;
    probability?: Float32Array;
    /** When given, `mask` and `probability` cover only this box of `grid` (zyx order within it); labels still come back on the whole grid. */
    region?: Box3;
  },
  options: ComponentsToCandidatesOptions,
): ComponentsToCandidatesResult {
  const { mask, grid, probability } = input;
  const region: Box3 = input.region ?? { min: [0, 0, 0], max: [grid.dims[0] - 1, grid.dims[1] - 1, grid.dims[2] - 1] };
  const dims: Vec3 = [region.max[0] - region.min[0] + 1, region.max[1] - region.min[1] + 1, region.max[2] - region.min[2] + 1];
  const [ox, oy, oz] = region.min;
  const { labels, count, voxels } = labelComponents3d(mask, dims, { connectivity: options.connectivity ?? 26 });
  const st = componentStats(labels, count, dims, probability, voxels);
  const voxelMl = (grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2]) / MM3_PER_ML;
  const maxMl = options.maxVolumeMl ?? Infinity;
  const kept: number[] = [];
  let tooLarge = 0;
  const peak = options.minPeakProbability;
  if (peak !== undefined && !probability) throw new RangeError('minPeakProbability needs the probability map');
  for (let l = 1; l <= count; l++) {
    const ml = st.voxelCounts[l] * voxelMl;
    if (ml < options.minVolumeMl) continue;
    if (peak !== undefined && st.valueMax[l] < peak) continue;
    if (ml > maxMl) tooLarge++;
    else kept.push(l);
  }
  // largest first; ties by first appearance so the order is deterministic
  kept.sort((a, b) => st.voxelCounts[b] - st.voxelCounts[a] || a - b);
  const warnings: string[] = [];
  if (tooLarge > 0) warnings.push(`${tooLarge} component(s) larger than ${maxMl} mL dropped`);
  if (kept.length > options.maxCandidates) {
    warnings.push(`${kept.length} candidates after the size filter; kept the ${options.maxCandidates} largest`);
    kept.length = options.maxCandidates;
  }
  const newId = new Uint32Array(count + 1);
  kept.forEach((l, k) => (newId[l] = k + 1));
  const [gx, gy, gz] = grid.dims;
  const full = input.region ? new Uint32Array(gx * gy * gz) : labels;
  // only the labelled voxels (a few per cent of the region) are visited
  const plane = dims[0] * dims[1];
  for (let v = 0; v < voxels.length; v++) {
    const i = voxels[v];
    if (!input.region) {
      full[i] = newId[labels[i]];
      continue;
    }
    const z = Math.floor(i / plane);
    const r = i - z * plane;
    const y = Math.floor(r / dims[0]);
    full[ox + r - y * dims[0] + gx * (oy + y + gy * (oz + z))] = newId[labels[i]];
  }
  const candidates: Candidate[] = kept.map((l, k) => {
    const n = st.voxelCounts[l];
    const boxVoxels: Box3 = { min: [st.minX[l] + ox, st.minY[l] + oy, st.minZ[l] + oz], max: [st.maxX[l] + ox, st.maxY[l] + oy, st.maxZ[l] + oz] };
    const c: Candidate = {
      id: k + 1,
      boxVoxels,
      boxMm: voxelBoxToMm(grid, boxVoxels),
      centroidVoxel: [st.sumX[l] / n + ox, st.sumY[l] / n + oy, st.sumZ[l] / n + oz],
      centreSliceZ: Math.round((boxVoxels.min[2] + boxVoxels.max[2]) / 2),
      voxelCount: n,
      volumeMl: n * voxelMl,
    };
    if (probability) {
      c.meanProbability = st.valueSum[l] / n;
      c.maxProbability = st.valueMax[l];
    }
    return c;
  });
  return { candidates, labels: full, componentsBeforeFilter: count, warnings };
}
