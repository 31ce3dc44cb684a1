/**
 * Trachea and main bronchi: found as the small, round, central air column at the top of the scan
 * and grown downward through near-pure air (Hu, Hoffman & Reinhardt 2001, "Automatic lung
 * segmentation for accurate quantitation of volumetric X-ray CT images"). The airway must leave the
 * lung mask (paper §2.2 extracts the pulmonary region; airways are not lung), and it is what joins
 * the two lungs into one air component.
 */
import { label2d } from '../core/ndimage/morphology.ts';

export interface AirwayGrid {
  /** Working grid [nx, ny, nz] and voxel size (mm). */
  dims: readonly [number, number, number];
  spacingMm: readonly [number, number, number];
  /** HU per voxel of the working grid. */
  hu: Float32Array;
  /** 1 where air is enclosed by the body on its slice. */
  enclosedAir: Uint8Array;
  /** Body centre column per slice (NaN where the slice has no body). */
  bodyCentreX: Float64Array;
  /** Body width (pixels) per slice. */
  bodyWidth: Float64Array;
  /** Slice order from the top (superior) of the patient down. */
  slicesTopDown: readonly number[];
}

export interface AirwayResult {
  /** 1 = airway voxel on the working grid. */
  mask: Uint8Array;
  /** The airway voxels' indices (so callers can clear them without scanning the grid). */
  indices: Int32Array;
  found: boolean;
  voxels: number;
  /** Threshold the growth ended with (HU). */
  thresholdHu: number;
  seedSlice: number;
  leaked: boolean;
}

/** Trachea cross-section area limits (adults: ≈ 1.5–3 cm², up to ≈ 5 cm² near the thoracic inlet). */
const TRACHEA_AREA_MM2 = { min: 60, max: 700 } as const;
/** How far from the body's centre line the trachea may sit, as a fraction of body width. */
const TRACHEA_MAX_OFFSET = 0.12;
/** The growth stays in near-pure air: lung parenchyma is ≈ −850 HU, an airway lumen ≈ −1000 HU. */
const AIRWAY_THRESHOLDS_HU = [-950, -975, -990] as const;
/** A BFS layer this many times larger than the trachea's cross-section means the growth leaked. */
const LEAK_LAYER_FACTOR = 5;
/** Trachea + main and lobar bronchi hold ≈ 30–100 mL; more means the growth leaked into lung. */
const MAX_AIRWAY_ML = 250;
/** Thickness of the blurred lumen edge absorbed into the airway (one scanner point-spread width). */
const AIRWAY_SHELL_MM = 1.5;
/** Below the carina, airway farther than this from it is intrapulmonary and stays lung. */
const MAIN_BRONCHUS_REACH_MM = 45;
/** The airway's width on a slice jumps past this multiple of the trachea's at the carina. */
const CARINA_WIDTH_FACTOR = 1.8;

export function findAirway(g: AirwayGrid): AirwayResult {
  const [nx, ny, nz] = g.dims;
  const plane = nx * ny;
  const pixelMm2 = g.spacingMm[0] * g.spacingMm[1];
  const empty: AirwayResult = { mask: new Uint8Array(plane * nz), indices: new Int32Array(0), found: false, voxels: 0, thresholdHu: AIRWAY_THRESHOLDS_HU[0], seedSlice: -1, leaked: false };
  const seed = findTracheaSeed(g, pixelMm2);
  if (seed === null) return empty;
  const voxelMl = (pixelMm2 * g.spacingMm[2]) / 1000;
  const maxVoxels = Math.floor(MAX_AIRWAY_ML / voxelMl);
  let best: AirwayResult = empty;
  let members: Int32Array = new Int32Array(0);
  for (const t of AIRWAY_THRESHOLDS_HU) {
    const r = grow(g, seed.pixels, seed.slice, t, seed.pixels.length, maxVoxels);
    best = { mask: r.mask, indices: empty.indices, voxels: r.voxels, leaked: r.leaked, thresholdHu: t, seedSlice: seed.slice, found: true };
    members = r.members;
    if (!r.leaked) break;
  }
  // ascending order: the per-slice passes below read them slice by slice, as a scan would
  members.sort();
  members = keepTracheaAndMainBronchi(g, best.mask, members);
  best.indices = absorbShell(g, best.mask, members);
  best.voxels = best.indices.length;
  return best;
}

/**
 * Only the trachea and the main bronchi leave the lung (issue 4; lung masks conventionally keep
 * intrapulmonary bronchi). Bronchi farther than MAIN_BRONCHUS_REACH_MM below the carina are given
 * back: carving them out would open channels from the hilum into the lung and let central lesions
 * escape hole filling.
 */
function keepTracheaAndMainBronchi(g: AirwayGrid, mask: Uint8Array, members: Int32Array): Int32Array {
  const [nx, ny, nz] = g.dims;
  const plane = nx * ny;
  const [sx, sy, sz] = g.spacingMm;
  // members (ascending) bucketed by slice
  const start = new Int32Array(nz + 1);
  for (let k = 0; k < members.length; k++) start[Math.floor(members[k] / plane) + 1]++;
  for (let z = 0; z < nz; z++) start[z + 1] += start[z];
  let tracheaWidth = 0;
  let seen = 0;
  let carina: [number, number, number] | null = null;
  let last: [number, number, number] | null = null;
  let carinaOrder = -1;
  for (let s = 0; s < g.slicesTopDown.length; s++) {
    const z = g.slicesTopDown[s];
    let n = 0, x0 = nx, x1 = -1, sumX = 0, sumY = 0;
    for (let k = start[z]; k < start[z + 1]; k++) {
      const i = members[k] - plane * z;
      const x = i % nx;
      n++;
      sumX += x;
      sumY += (i - x) / nx;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    }
    if (n === 0) {
      if (seen > 0) { carina = last; carinaOrder = s; break; }
      continue;
    }
    const width = (x1 - x0 + 1) * sx;
    seen++;
    if (seen <= 3) tracheaWidth = Math.max(tracheaWidth, width);
    else if (width > CARINA_WIDTH_FACTOR * tracheaWidth) { carina = last; carinaOrder = s; break; }
    last = [sumX / n, sumY / n, z];
  }
  if (carina === null || carinaOrder < 0) return members;
  const reach2 = MAIN_BRONCHUS_REACH_MM * MAIN_BRONCHUS_REACH_MM;
  for (let s = carinaOrder; s < g.slicesTopDown.length; s++) {
    const z = g.slicesTopDown[s];
    const dz = (z - carina[2]) * sz;
    for (let k = start[z]; k < start[z + 1]; k++) {
      const idx = members[k];
      const i = idx - plane * z;
      const x = i % nx;
      const dx = (x - carina[0]) * sx;
      const dy = ((i - x) / nx - carina[1]) * sy;
      if (dx * dx + dy * dy + dz * dz > reach2) mask[idx] = 0;
    }
  }
  return members.filter((i) => mask[i] === 1);
}

function findTracheaSeed(g: AirwayGrid, pixelMm2: number): { slice: number; pixels: Int32Array } | null {
  const [nx, ny] = g.dims;
  const plane = nx * ny;
  const minPx = TRACHEA_AREA_MM2.min / pixelMm2;
  const maxPx = TRACHEA_AREA_MM2.max / pixelMm2;
  const labels = new Int32Array(plane);
  // search the upper 60 % of the slices for the first level with a trachea-like component
  const limit = Math.max(1, Math.ceil(g.slicesTopDown.length * 0.6));
  for (let s = 0; s < limit; s++) {
    const z = g.slicesTopDown[s];
    const cx = g.bodyCentreX[z];
    if (!Number.isFinite(cx)) continue;
    const cc = label2d(g.enclosedAir, nx, ny, { offset: plane * z, labels });
    if (cc.count === 0) continue;
    const minX = new Int32Array(cc.count + 1).fill(nx);
    const maxX = new Int32Array(cc.count + 1).fill(-1);
    const minY = new Int32Array(cc.count + 1).fill(ny);
    const maxY = new Int32Array(cc.count + 1).fill(-1);
    const sumX = new Float64Array(cc.count + 1);
    for (let i = 0; i < plane; i++) {
      const l = labels[i];
      if (l === 0) continue;
      const x = i % nx;
      const y = (i - x) / nx;
      if (x < minX[l]) minX[l] = x;
      if (x > maxX[l]) maxX[l] = x;
      if (y < minY[l]) minY[l] = y;
      if (y > maxY[l]) maxY[l] = y;
      sumX[l] += x;
    }
    let bestLabel = 0;
    let bestOffset = Infinity;
    for (let l = 1; l <= cc.count; l++) {
      const a = cc.sizes[l];
      if (a < minPx || a > maxPx) continue;
      const w = maxX[l] - minX[l] + 1;
      const h = maxY[l] - minY[l] + 1;
      // round: fills its bounding box like a disc (π/4 ≈ 0.79) and is not elongated
      if (a / (w * h) < 0.5 || Math.max(w / h, h / w) > 2.2) continue;
      const offset = Math.abs(sumX[l] / a - cx);
      if (offset > TRACHEA_MAX_OFFSET * g.bodyWidth[z]) continue;
      if (offset < bestOffset) {
        bestOffset = offset;
        bestLabel = l;
      }
    }
    if (bestLabel === 0) continue;
    const pixels = new Int32Array(cc.sizes[bestLabel]);
    let k = 0;
    for (let i = 0; i < plane; i++) if (labels[i] === bestLabel) pixels[k++] = plane * z + i;
    return { slice: z, pixels };
  }
  return null;
}

/** Breadth-first growth through enclosed air below `thresholdHu`, stopped when a layer explodes. */
function grow(g: AirwayGrid, seeds: Int32Array, _seedSlice: number, thresholdHu: number, crossSection: number, maxVoxels: number): { mask: Uint8Array; voxels: number; leaked: boolean; members: Int32Array } {
  const [nx, ny, nz] = g.dims;
  const plane = nx * ny;
  const n = plane * nz;
  const mask = new Uint8Array(n);
  const order = new Int32Array(Math.min(n, maxVoxels + plane * 2));
  const layerStart: number[] = [];
  let tail = 0;
  for (const s of seeds) {
    if (g.hu[s] < thresholdHu || g.enclosedAir[s] === 1) {
      mask[s] = 1;
      order[tail++] = s;
    }
  }
  let head = 0;
  let leaked = false;
  const leakLayer = Math.max(LEAK_LAYER_FACTOR * crossSection, 40);
  while (head < tail) {
    layerStart.push(head);
    const end = tail;
    for (; head < end; head++) {
      const i = order[head];
      const x = i % nx;
      const r = (i - x) / nx;
      const y = r % ny;
      const z = (r - y) / ny;
      // 26-connected: oblique bronchi move sideways between thick slices
      for (let dz = -1; dz <= 1 && !leaked; dz++) {
        const zz = z + dz;
        if (zz < 0 || zz >= nz) continue;
        for (let dy = -1; dy <= 1 && !leaked; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= ny) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= nx) continue;
            const j = xx + nx * (yy + ny * zz);
            if (mask[j] !== 0 || g.enclosedAir[j] === 0 || g.hu[j] >= thresholdHu) continue;
            if (tail >= order.length) {
              leaked = true;
              break;
            }
            mask[j] = 1;
            order[tail++] = j;
          }
        }
      }
      if (leaked) break;
    }
    if (leaked || tail - end > leakLayer || tail > maxVoxels) {
      leaked = true;
      break;
    }
  }
  if (leaked) {
    // undo the last layers: the explosion starts a few layers before it is detected
    const keepLayers = Math.max(1, layerStart.length - 4);
    const cut = layerStart[keepLayers] ?? tail;
    for (let k = cut; k < tail; k++) mask[order[k]] = 0;
    tail = cut;
  }
  return { mask, voxels: tail, leaked, members: order.slice(0, tail) };
}

function absorbShell(g: AirwayGrid, mask: Uint8Array, kept: Int32Array): Int32Array {
  // The lumen's partial-volume shell (wall blurred with air, ≈ −900…−500 HU) is still "air" for the
  // lung threshold and would join the two lungs around the trachea: absorb one shell in-plane.
  const shell = Math.max(1, Math.round(AIRWAY_SHELL_MM / Math.min(g.spacingMm[0], g.spacingMm[1])));
  const [nx, ny, nz] = g.dims;
  let members: number[] = Array.from(kept);
  void nz;
  for (let pass = 0; pass < shell; pass++) {
    const grown: number[] = [];
    for (const i of members) {
      const x = i % nx;
      const y = ((i - x) / nx) % ny;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= ny) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= nx) continue;
          const j = i + dx + nx * dy;
          if (mask[j] === 0 && g.enclosedAir[j] === 1) {
            mask[j] = 1;
            grown.push(j);
          }
        }
      }
    }
    members = members.concat(grown);
  }
  return Int32Array.from(members);
}
