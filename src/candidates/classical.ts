/**
 * Classical candidate generator: the fallback when no segmenter model is available, and the
 * baseline the learned one is measured against (candidate recall, §3.3.2).
 *
 * Ground-glass opacity and consolidation are denser than aerated lung (≈ −850 HU) and at most soft
 * tissue: voxels of the lung mask inside LESION_HU_BAND are taken. Vessels fall in the same band;
 * most are thin tubes, so an in-plane opening (erode then dilate with a square of side
 * 2·r + 1) removes structures thinner than ≈ 2·VESSEL_OPENING_RADIUS_MM, and so does the partial-
 * volume rim along the pleura. 3D connected components then become candidate cubes.
 *
 *   classicalCandidates(input, options?): Promise<CandidateSet>
 */
import { performance } from 'node:perf_hooks';
import { InputError } from '../core/errors.ts';
import { voxelCount } from '../core/volume.ts';
import type { Box3 } from '../core/volume.ts';
import type { Connectivity } from '../core/ndimage/connected-components.ts';
import { maskBounds } from '../core/ndimage/mask-bounds.ts';
import { componentsToCandidates } from './components-to-candidates.ts';
import type { CandidateGenerator, CandidateInput, CandidateSet } from './types.ts';

/** Ground glass (from ≈ −750 HU) to consolidation (up to ≈ +100 HU), inclusive. */
export const LESION_HU_BAND = { minHu: -750, maxHu: 100 } as const;
/** In-plane opening radius: bright structures thinner than ≈ 5 mm (vessels, fissures, pleural rim) go. */
export const VESSEL_OPENING_RADIUS_MM = 2.5;
/** Smaller components are noise or vessel stubs: ≈ a 6 mm cube. */
export const CLASSICAL_MIN_VOLUME_ML = 0.2;
export const CLASSICAL_MAX_CANDIDATES = 100;

export interface ClassicalCandidatesOptions {
  bandHu?: { minHu: number; maxHu: number };
  openingRadiusMm?: number;
  minVolumeMl?: number;
  maxVolumeMl?: number;
  maxCandidates?: number;
  connectivity?: Connectivity;
}

/**
 * One separable pass of binary erosion (all of the window) or dilation (any of it) along x or y,
 * window 2r + 1, over a region-sized zyx mask. Outside the region counts as background.
 */
function pass1d(src: Uint8Array, dst: Uint8Array, dims: readonly [number, number, number], axis: 0 | 1, r: number, erode: boolean): void {
  const [nx, ny, nz] = dims;
  const len = axis === 0 ? nx : ny;
  const stride = axis === 0 ? 1 : nx;
  const lines = axis === 0 ? ny * nz : nx * nz;
  const full = 2 * r + 1;
  for (let li = 0; li < lines; li++) {
    // start of this line in memory
    const base = axis === 0 ? li * nx : (li % nx) + nx * ny * Math.floor(li / nx);
    let ones = 0;
    // window [p − r, p + r]; prime with [−r, r − 1]
    for (let q = 0; q < Math.min(r, len); q++) ones += src[base + q * stride];
    for (let p = 0; p < len; p++) {
      const add = p + r;
      if (add < len) ones += src[base + add * stride];
      const drop = p - r - 1;
      if (drop >= 0) ones -= src[base + drop * stride];
      dst[base + p * stride] = erode ? (ones === full ? 1 : 0) : ones > 0 ? 1 : 0;
    }
  }
}

export const classicalCandidates: CandidateGenerator<ClassicalCandidatesOptions> = async (input: CandidateInput, options: ClassicalCandidatesOptions = {}): Promise<CandidateSet> => {
  const t0 = performance.now();
  const { volume, lungMask } = input;
  const n = voxelCount(volume.dims);
  if (lungMask.length !== n) {
    throw new InputError('CANDIDATES_MASK_SIZE', `lung mask has ${lungMask.length} voxels but the volume ${volume.source.path ?? ''} has ${n} (${volume.dims.join('×')}); the mask must be on the volume's grid`);
  }
  const band = options.bandHu ?? LESION_HU_BAND;
  const [nx, ny] = volume.dims;
  const bounds = maskBounds(lungMask, volume.dims);
  const timingsMs: Record<string, number> = {};
  if (!bounds) {
    return { generator: 'classical', candidates: [], labels: new Uint32Array(n), dims: volume.dims, componentsBeforeFilter: 0, warnings: ['lung mask is empty: no candidates'], timingsMs };
  }
  const region: Box3 = { min: bounds.min, max: bounds.max };
  const rd: [number, number, number] = [bounds.max[0] - bounds.min[0] + 1, bounds.max[1] - bounds.min[1] + 1, bounds.max[2] - bounds.min[2] + 1];
  const m = new Uint8Array(rd[0] * rd[1] * rd[2]);
  const data = volume.data;
  let i = 0;
  for (let z = 0; z < rd[2]; z++) {
    for (let y = 0; y < rd[1]; y++) {
      const o = bounds.min[0] + nx * (bounds.min[1] + y + ny * (bounds.min[2] + z));
      for (let x = 0; x < rd[0]; x++, i++) {
        const hu = data[o + x];
        m[i] = lungMask[o + x] !== 0 && hu >= band.minHu && hu <= band.maxHu ? 1 : 0;
      }
    }
  }
  timingsMs.band = performance.now() - t0;
  const radiusMm = options.openingRadiusMm ?? VESSEL_OPENING_RADIUS_MM;
  const rx = Math.round(radiusMm / volume.spacingMm[0]);
  const ry = Math.round(radiusMm / volume.spacingMm[1]);
  if (rx > 0 || ry > 0) {
    const tmp = new Uint8Array(m.length);
    pass1d(m, tmp, rd, 0, rx, true);
    const eroded = new Uint8Array(m.length);
    pass1d(tmp, eroded, rd, 1, ry, true);
    pass1d(eroded, tmp, rd, 0, rx, false);
    const opened = eroded;
    pass1d(tmp, opened, rd, 1, ry, false);
    // the opening is a subset of the band mask already; keep only band voxels for safety at region edges
    for (let k = 0; k < m.length; k++) m[k] &= opened[k];
  }
  timingsMs.opening = performance.now() - t0 - timingsMs.band;
  const t1 = performance.now();
  const r = componentsToCandidates(
    { mask: m, grid: volume, region },
    {
      minVolumeMl: options.minVolumeMl ?? CLASSICAL_MIN_VOLUME_ML,
      maxVolumeMl: options.maxVolumeMl,
      maxCandidates: options.maxCandidates ?? CLASSICAL_MAX_CANDIDATES,
      connectivity: options.connectivity,
    },
  );
  timingsMs.components = performance.now() - t1;
  return { generator: 'classical', candidates: r.candidates, labels: r.labels, dims: volume.dims, componentsBeforeFilter: r.componentsBeforeFilter, warnings: r.warnings, timingsMs };
};
