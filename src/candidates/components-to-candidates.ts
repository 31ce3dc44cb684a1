/**
 * Connected components → candidate cubes (§2.3): size filter in mL, a cap on the number of
 * candidates (largest first), ids relabelled 1..n by volume, boxes in voxels and LPS mm.
 *
 *   componentsToCandidates(input, options): { candidates, labels, componentsBeforeFilter, warnings }
 */
import type { Box3, Vec3, Volume } from '../core/volume.ts';
import { voxelToPatient } from '../core/volume.ts';
import { componentStats, labelComponents3d, type Connectivity } from './connected-components.ts';
import type { BoxMm, Candidate } from './types.ts';

const MM3_PER_ML = 1000;

export interface ComponentsToCandidatesOptions {
  /** Components smaller than this are dropped, millilitres. */
  minVolumeMl: number;
  /** Components larger than this are dropped (e.g. a whole collapsed lobe is no "focus"), mL; default none. */
  maxVolumeMl?: number;
  /** At most this many candidates, the largest kept. */
  maxCandidates: number;
  connectivity?: Connectivity;
}

export interface ComponentsToCandidatesResult {
  candidates: Candidate[];
  labels: Uint32Array;
  componentsBeforeFilter: number;
  warnings: string[];
}

/** Axis-aligned LPS hull of a voxel box, including the half voxel beyond the outer voxel centres. */
export function boxToMm(grid: Pick<Volume, 'originMm' | 'spacingMm' | 'direction'>, box: Box3): BoxMm {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let c = 0; c < 8; c++) {
    const ijk: Vec3 = [
      (c & 1 ? box.max[0] : box.min[0]) + (c & 1 ? 0.5 : -0.5),
      (c & 2 ? box.max[1] : box.min[1]) + (c & 2 ? 0.5 : -0.5),
      (c & 4 ? box.max[2] : box.min[2]) + (c & 4 ? 0.5 : -0.5),
    ];
    const p = voxelToPatient(grid, ijk);
    for (let a = 0; a < 3; a++) {
      if (p[a] < min[a]) min[a] = p[a];
      if (p[a] > max[a]) max[a] = p[a];
    }
  }
  return { minMm: min, maxMm: max, sizeMm: [max[0] - min[0], max[1] - min[1], max[2] - min[2]] };
}

/**
 * Labels `mask` and turns its components into candidates on `grid`. `probability` (same grid),
 * when given, fills mean/max lesion probability.
 */
export function componentsToCandidates(
  input: { mask: Uint8Array; grid: Pick<Volume, 'dims' | 'originMm' | 'spacingMm' | 'direction'>; probability?: Float32Array },
  options: ComponentsToCandidatesOptions,
): ComponentsToCandidatesResult {
  const { mask, grid, probability } = input;
  const dims = grid.dims;
  const { labels, count } = labelComponents3d(mask, dims, { connectivity: options.connectivity ?? 26 });
  const st = componentStats(labels, count, dims, probability);
  const voxelMl = (grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2]) / MM3_PER_ML;
  const maxMl = options.maxVolumeMl ?? Infinity;
  const kept: number[] = [];
  let tooLarge = 0;
  for (let l = 1; l <= count; l++) {
    const ml = st.voxelCounts[l] * voxelMl;
    if (ml < options.minVolumeMl) continue;
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
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l !== 0) labels[i] = newId[l];
  }
  const candidates: Candidate[] = kept.map((l, k) => {
    const n = st.voxelCounts[l];
    const boxVoxels: Box3 = { min: [st.minX[l], st.minY[l], st.minZ[l]], max: [st.maxX[l], st.maxY[l], st.maxZ[l]] };
    const c: Candidate = {
      id: k + 1,
      boxVoxels,
      boxMm: boxToMm(grid, boxVoxels),
      centroidVoxel: [st.sumX[l] / n, st.sumY[l] / n, st.sumZ[l] / n],
      centreSliceZ: Math.round((st.minZ[l] + st.maxZ[l]) / 2),
      voxelCount: n,
      volumeMl: n * voxelMl,
    };
    if (probability) {
      c.meanProbability = st.valueSum[l] / n;
      c.maxProbability = st.valueMax[l];
    }
    return c;
  });
  return { candidates, labels, componentsBeforeFilter: count, warnings };
}
