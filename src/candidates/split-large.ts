/**
 * Large candidate regions → focus-sized sub-cubes (§2.2, §2.4). The paper's cubes are foci of
 * infection, a few centimetres across; the classifier sees the cube's centre axial slice cropped to
 * the cube's box. A lung-sized HU-band component (confluent ground glass, or ground glass fused
 * with vessels) would otherwise become one patch showing a whole lung, at one slice — measured on
 * COVID-CT-MD P001 / cap001, where the largest classical components span 110–165 mm in-plane.
 *
 * Each candidate whose voxel box is longer than `maxSideMm` along any axis is tiled: the box is cut
 * into ceil(side / maxSideMm) equal parts along each such axis, and every tile holding at least
 * `minTileMl` of the component's voxels becomes its own candidate, with the tight box of those
 * voxels, its own centroid and centre slice (the tight box's middle slice, where patches are cut). Component voxels in dropped tiles are removed from
 * the label volume (they are fringes smaller than the smallest candidate a generator keeps).
 *
 *   splitLargeCandidates(set, options): CandidateSet
 */
import type { Box3, Vec3, Volume } from '../core/volume.ts';
import { voxelBoxToMm } from '../core/geometry.ts';
import type { Candidate, CandidateSet } from './types.ts';

/** ≈ the size of a large focus / a segment's width: one patch still shows a recognisable lesion pattern. */
export const DEFAULT_MAX_SIDE_MM = 50;
/** A tile with less of the component than this is a fringe, not a focus (= CLASSICAL_MIN_VOLUME_ML). */
export const DEFAULT_MIN_TILE_ML = 0.2;
const MM3_PER_ML = 1000;

export interface SplitLargeOptions {
  /** Grid of the label volume (dims, spacing; origin and direction for the mm boxes). */
  grid: Pick<Volume, 'dims' | 'originMm' | 'spacingMm' | 'direction'>;
  /** Longest allowed side of a candidate's box along each voxel axis, mm (default DEFAULT_MAX_SIDE_MM). */
  maxSideMm?: number;
  /** Tiles with fewer component voxels than this are dropped, mL (default DEFAULT_MIN_TILE_ML). */
  minTileMl?: number;
  /** Keep at most this many candidates after splitting, largest first (default all). */
  maxCandidates?: number;
  /**
   * The caller hands `set.labels` over: it is rewritten in place instead of copied (a volume-sized
   * Uint32Array, ~0.1 s to allocate for 512² × 150). It must hold only 0 and the set's candidate
   * ids, as the generators' labels do. Default false (the function is then pure).
   */
  reuseLabels?: boolean;
}


interface Piece {
  /** Old candidate this piece came from. */
  parent: Candidate;
  /** Tile index within the parent (0 for unsplit candidates). */
  tile: number;
  count: number;
  min: [number, number, number];
  max: [number, number, number];
  sum: [number, number, number];
  /** False for a candidate kept whole. */
  tiled: boolean;
  /** Highest lesion probability inside the piece (when the set carries its map and a seed). */
  peak: number;
}

/** Tiles per axis and the voxel start of each tile along it (equal parts of the box). */
function tiling(lo: number, hi: number, spacingMm: number, maxSideMm: number): number[] {
  const n = hi - lo + 1;
  const parts = Math.max(1, Math.ceil((n * spacingMm) / maxSideMm - 1e-9));
  const starts: number[] = [];
  for (let k = 0; k < parts; k++) starts.push(lo + Math.floor((k * n) / parts));
  return starts;
}

/** Index of the tile that holds coordinate v (starts ascending). */
function tileOf(starts: readonly number[], v: number): number {
  let k = starts.length - 1;
  while (k > 0 && v < starts[k]) k--;
  return k;
}

/** A candidate being tiled: its box, tile starts per axis, one piece per tile, and per-axis tile lookups. */
interface Tiled {
  box: Box3;
  starts: number[][];
  acc: Piece[];
  tileOfX: Int32Array;
  tileOfY: Int32Array;
  tileOfZ: Int32Array;
  /** Tiles along x and y: a voxel's tile is tileOfX + tx · (tileOfY + ty · tileOfZ). */
  tx: number;
  ty: number;
}

function tileLookups(starts: number[][], b: Box3): Pick<Tiled, 'tileOfX' | 'tileOfY' | 'tileOfZ' | 'tx' | 'ty'> {
  return {
    tileOfX: tilesAlong(starts[0], b.min[0], b.max[0]),
    tileOfY: tilesAlong(starts[1], b.min[1], b.max[1]),
    tileOfZ: tilesAlong(starts[2], b.min[2], b.max[2]),
    tx: starts[0].length,
    ty: starts[1].length,
  };
}

/** Per tile: count, min x y z, max x y z, sum x y z, peak probability. */
const TILE_STATS = 11;

/** Lists the voxels of `id` inside `box`, in z, y, x order (tile 0). Kept small so the engine optimises the loop on its own. */
function listBoxVoxels(labels: Uint32Array, nx: number, ny: number, box: Box3, id: number, voxels: VoxelList): void {
  const [x0, y0, z0] = box.min;
  const [x1, y1, z1] = box.max;
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++) {
      const row = nx * (y + ny * z);
      for (let i = row + x0, end = row + x1; i <= end; i++) if (labels[i] === id) voxels.push(i, 0);
    }
  }
}

/**
 * Lists the voxels of `id` inside its tiled box with their tile, and gathers each tile's
 * TILE_STATS into `stats` (the peak from `seedMap`, the probability map over its region, when given).
 */
function gatherTiles(labels: Uint32Array, nx: number, ny: number, t: Tiled, id: number, stats: Float64Array, seedMap: { data: Float32Array; min: readonly number[]; w: number; h: number } | null, voxels: VoxelList): void {
  const [x0, y0, z0] = t.box.min;
  const [x1, y1, z1] = t.box.max;
  const { tileOfX, tileOfY, tileOfZ, tx, ty } = t;
  for (let k = 0; k < stats.length; k += TILE_STATS) {
    stats[k + 1] = stats[k + 2] = stats[k + 3] = Infinity;
    stats[k + 4] = stats[k + 5] = stats[k + 6] = -Infinity;
    stats[k + 10] = -Infinity;
  }
  for (let z = z0; z <= z1; z++) {
    const kz = ty * tileOfZ[z - z0];
    for (let y = y0; y <= y1; y++) {
      const kyz = tx * (tileOfY[y - y0] + kz);
      let i = x0 + nx * (y + ny * z);
      for (let x = x0; x <= x1; x++, i++) {
        if (labels[i] !== id) continue;
        const k = tileOfX[x - x0] + kyz;
        voxels.push(i, k);
        const o = k * TILE_STATS;
        stats[o]++;
        if (x < stats[o + 1]) stats[o + 1] = x;
        if (y < stats[o + 2]) stats[o + 2] = y;
        if (z < stats[o + 3]) stats[o + 3] = z;
        if (x > stats[o + 4]) stats[o + 4] = x;
        if (y > stats[o + 5]) stats[o + 5] = y;
        if (z > stats[o + 6]) stats[o + 6] = z;
        stats[o + 7] += x;
        stats[o + 8] += y;
        stats[o + 9] += z;
        if (seedMap) {
          const v = seedMap.data[x - seedMap.min[0] + seedMap.w * (y - seedMap.min[1] + seedMap.h * (z - seedMap.min[2]))];
          if (v > stats[o + 10]) stats[o + 10] = v;
        }
      }
    }
  }
}

/** Voxel indices with their tile, growing as needed (sized by the candidates' voxel counts, which it should not outgrow). */
class VoxelList {
  index: Int32Array;
  tile: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.index = new Int32Array(Math.max(16, capacity));
    this.tile = new Int32Array(this.index.length);
  }
  push(i: number, k: number): void {
    if (this.length === this.index.length) {
      const index = new Int32Array(2 * this.length);
      const tile = new Int32Array(2 * this.length);
      index.set(this.index);
      tile.set(this.tile);
      this.index = index;
      this.tile = tile;
    }
    this.index[this.length] = i;
    this.tile[this.length++] = k;
  }
}

/** tileOf for every coordinate lo..hi, looked up per voxel instead of searched. */
function tilesAlong(starts: readonly number[], lo: number, hi: number): Int32Array {
  const t = new Int32Array(hi - lo + 1);
  for (let v = lo; v <= hi; v++) t[v - lo] = tileOf(starts, v);
  return t;
}

/** Splits candidates larger than maxSideMm into sub-cubes; see the file header. Pure: `set` is not changed. */
export function splitLargeCandidates(set: CandidateSet, options: SplitLargeOptions): CandidateSet {
  const { grid } = options;
  const maxSideMm = options.maxSideMm ?? DEFAULT_MAX_SIDE_MM;
  const minTileMl = options.minTileMl ?? DEFAULT_MIN_TILE_ML;
  if (!(maxSideMm > 0)) throw new RangeError(`maxSideMm must be > 0, got ${maxSideMm}`);
  const [nx, ny] = grid.dims;
  const sp = grid.spacingMm;
  const voxelMl = (sp[0] * sp[1] * sp[2]) / MM3_PER_ML;
  const minTileVoxels = Math.max(1, Math.ceil(minTileMl / voxelMl - 1e-9));
  const labels = set.labels;

  const pieces: Piece[] = [];
  // per old id: tiling, or null when the candidate stays whole; and the piece index of each tile (-1 dropped)
  const splitOf = new Map<number, { starts: number[][]; pieceOfTile: Int32Array }>();
  let splitCount = 0;
  let droppedTiles = 0;
  let unseededTiles = 0;
  // hysteresis (v3): a sub-cube of a split component must reach the generator's seed itself
  const prob = set.probability;
  const seed = set.seedThreshold !== undefined && prob ? set.seedThreshold : null;
  const pr = prob?.region ?? { min: [0, 0, 0], max: [0, 0, 0] };
  const prw = pr.max[0] - pr.min[0] + 1;
  const prh = pr.max[1] - pr.min[1] + 1;
  // candidates to tile, by id
  const tiledById = new Map<number, Tiled>();
  for (const c of set.candidates) {
    const b = c.boxVoxels;
    const starts = [0, 1, 2].map((a) => tiling(b.min[a], b.max[a], sp[a], maxSideMm));
    const tiles = starts[0].length * starts[1].length * starts[2].length;
    if (tiles === 1) continue;
    const acc: Piece[] = [];
    for (let t = 0; t < tiles; t++) acc.push({ parent: c, tile: t, count: 0, min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity], sum: [0, 0, 0], tiled: true, peak: seed === null ? Infinity : -Infinity });
    tiledById.set(c.id, { box: b, starts, acc, ...tileLookups(starts, b) });
  }
  // Each candidate's voxels are those of its id inside its own box (the boxes bound them; a voxel
  // outside its box or of no candidate is left as it is). They are found box by box — P001's 27
  // boxes hold 1.3 M voxels, their union 13.5 M — and listed with their tile, so the relabelling
  // below reads no label it has already rewritten. Counts, integer sums, extremes and peaks do not
  // depend on the order voxels come in, so the pieces are those of one pass in z, y, x order.
  const voxels = new VoxelList(set.candidates.reduce((a, c) => a + c.voxelCount, 0));
  const listed: Array<{ c: Candidate; from: number; to: number }> = [];
  const seedMap = seed !== null ? { data: prob!.data, min: pr.min, w: prw, h: prh } : null;
  for (const c of set.candidates) {
    const from = voxels.length;
    const t = tiledById.get(c.id);
    if (!t) listBoxVoxels(labels, nx, ny, c.boxVoxels, c.id, voxels);
    else {
      const stats = new Float64Array(t.acc.length * TILE_STATS);
      gatherTiles(labels, nx, ny, t, c.id, stats, seedMap, voxels);
      t.acc.forEach((p, k) => {
        const o = k * TILE_STATS;
        p.count = stats[o];
        if (p.count === 0) return;
        for (let a = 0; a < 3; a++) {
          p.min[a] = stats[o + 1 + a];
          p.max[a] = stats[o + 4 + a];
          p.sum[a] = stats[o + 7 + a];
        }
        if (seed !== null) p.peak = stats[o + 10];
      });
    }
    listed.push({ c, from, to: voxels.length });
  }
  for (const c of set.candidates) {
    const t = tiledById.get(c.id);
    if (!t) {
      const b = c.boxVoxels;
      pieces.push({ parent: c, tile: 0, count: c.voxelCount, min: [...b.min], max: [...b.max], sum: [0, 0, 0], tiled: false, peak: Infinity });
      continue;
    }
    splitCount++;
    const pieceOfTile = new Int32Array(t.acc.length).fill(-1);
    t.acc.forEach((p, k) => {
      if (p.count >= minTileVoxels && (seed === null || p.peak >= seed)) {
        pieceOfTile[k] = pieces.length;
        pieces.push(p);
      } else if (p.count >= minTileVoxels) unseededTiles++;
      else if (p.count > 0) droppedTiles++;
    });
    splitOf.set(c.id, { starts: t.starts, pieceOfTile });
  }

  // largest first, ties in input order (deterministic), as the generators order their ids
  const order = pieces.map((_, k) => k).sort((a, b) => pieces[b].count - pieces[a].count || a - b);
  const warnings = [...set.warnings];
  if (options.maxCandidates !== undefined && order.length > options.maxCandidates) {
    warnings.push(`${order.length} candidates after splitting large regions; kept the ${options.maxCandidates} largest`);
    order.length = options.maxCandidates;
  }
  const newIdOfPiece = new Int32Array(pieces.length);
  order.forEach((k, rank) => (newIdOfPiece[k] = rank + 1));
  const wholeNewId = new Map<number, number>();
  pieces.forEach((p, k) => {
    if (!splitOf.has(p.parent.id)) wholeNewId.set(p.parent.id, newIdOfPiece[k]);
  });

  const out = options.reuseLabels === true ? labels : new Uint32Array(labels.length);
  // every listed voxel written once, after all were read (so in place is safe)
  const { index, tile } = voxels;
  for (const { c, from, to } of listed) {
    const split = splitOf.get(c.id);
    if (!split) {
      const whole = wholeNewId.get(c.id) ?? 0;
      for (let v = from; v < to; v++) out[index[v]] = whole;
      continue;
    }
    const { pieceOfTile } = split;
    for (let v = from; v < to; v++) {
      const k = pieceOfTile[tile[v]];
      out[index[v]] = k < 0 ? 0 : newIdOfPiece[k];
    }
  }

  const candidates: Candidate[] = order.map((k, rank) => {
    const p = pieces[k];
    if (!p.tiled) return { ...p.parent, id: rank + 1 };
    const boxVoxels: Box3 = { min: [p.min[0], p.min[1], p.min[2]], max: [p.max[0], p.max[1], p.max[2]] };
    // the box centre slice, as the patch extractor cuts it (§2.2); a tile's part of a component is
    // usually connected across its z range, so this slice holds some of it
    const centre = Math.round((p.min[2] + p.max[2]) / 2);
    const c: Candidate = {
      id: rank + 1,
      boxVoxels,
      boxMm: voxelBoxToMm(grid, boxVoxels),
      centroidVoxel: [p.sum[0] / p.count, p.sum[1] / p.count, p.sum[2] / p.count] as Vec3,
      centreSliceZ: centre,
      voxelCount: p.count,
      volumeMl: p.count * voxelMl,
    };
    // the probability map is not at hand here: a tile reports its parent component's values
    if (p.parent.meanProbability !== undefined) c.meanProbability = p.parent.meanProbability;
    if (p.parent.maxProbability !== undefined) c.maxProbability = p.parent.maxProbability;
    return c;
  });
  if (splitCount > 0) warnings.push(`${splitCount} candidate region(s) larger than ${maxSideMm} mm split into ${pieces.length - (set.candidates.length - splitCount)} sub-cubes (${droppedTiles} fringe tile(s) under ${minTileMl} mL dropped${seed !== null ? `, ${unseededTiles} without a voxel at the seed probability ${seed} dropped` : ''})`);
  return { ...set, candidates, labels: out, warnings };
}
