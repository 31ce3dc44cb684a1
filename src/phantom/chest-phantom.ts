/**
 * Synthetic chest CT phantom with ground truth: body with skin, fat and muscle, ribs, sternum and
 * spine, a hollow table, heart, aorta and mediastinal fat, liver/stomach (with a gas bubble) under
 * the diaphragm domes, two lungs with gravity-dependent density and branching vessel and bronchial
 * trees, trachea and main bronchi, CT-like blur and noise, air outside the scan circle, and lesions
 * placed by parameters. Seeded: the same options give the same volume.
 * The tests and the demo of every stage build on it (STYLE §8: phantoms built from parameters).
 */
import { LUNG_WINDOW_HU } from '../core/constants.ts';
import { InputError } from '../core/errors.ts';
import type { Mat3, Vec3, Volume } from '../core/volume.ts';
import {
  BODY,
  BRONCHUS_WALL_MM,
  HILUM,
  LUNG_HEIGHT_MM,
  MAIN_BRONCHUS_LUMEN_MM,
  TISSUE_HU,
  TRACHEA,
  backgroundHu,
  diaphragmZ,
  levelGeometry,
  lungAt,
} from './anatomy.ts';
import { type LesionKind, type LesionPattern, type LesionPreset, type PhantomLesionSpec, type PlacedLesion, blobRadius, makeBlob, presetLesions } from './lesions.ts';
import { createRandom, type Random } from './random.ts';
import { type PhantomGrid, type TreeSegment, type Vec3Mm, forEachNearSegment, growTree } from './vessel-tree.ts';

export type { LesionKind, LesionPattern, LesionPreset, PhantomLesionSpec } from './lesions.ts';

export interface PhantomOptions {
  /** PRNG seed (default 1). */
  seed?: number;
  /** In-plane matrix [columns, rows] (default [256, 256]). */
  size?: readonly [number, number];
  /** In-plane pixel size, mm (default: a 360 mm field of view over the matrix). */
  pixelSpacingMm?: number | readonly [number, number];
  /** Number of axial slices (default 64). */
  slices?: number;
  /** Distance between slice centres, mm (default: the z range divided evenly among the slices). */
  sliceSpacingMm?: number;
  /**
   * Height range (mm) covered, measured from the lung bases (0) to the apices (240); default
   * [-30, 255], a whole chest. [0, 80] gives the lung bases only (partial coverage).
   * With one slice, the slice sits in the middle of the range.
   */
  zRangeMm?: readonly [number, number];
  /** Lesions: a preset or explicit specs (default 'covid'). */
  lesions?: LesionPreset | readonly PhantomLesionSpec[];
  /** Overrides the number of lesions a preset makes. */
  lesionCount?: number;
  /** Standard deviation of the image noise, HU (default 15). */
  noiseHu?: number;
  /** Draw the patient table under the body (default true). */
  table?: boolean;
  /** Value outside the circular scan field of view (default −2048, as many scanners pad). */
  outsideScanHu?: number;
  /** Store columns right-to-left (direction cosine x = −1): the anatomy is unchanged in LPS. */
  mirrorX?: boolean;
  /** Quantise to 8 bits in the lung window and map back, as the reader does for JPEG stacks. */
  pseudoHu8Bit?: boolean;
}

export interface PhantomLesionInfo {
  /** Value of this lesion in `lesionLabels` (1-based). */
  label: number;
  kind: LesionKind;
  pattern: LesionPattern;
  side: 'right' | 'left';
  diameterMm: number;
  /** Voxel coordinate [x, y, z] of the blob centre (may lie just outside the lung when subpleural). */
  centreVoxel: Vec3;
  /** Voxels of this lesion inside the lung on this grid (0 when the slices miss it). */
  voxels: number;
  volumeMl: number;
  /** Whether the lesion touches the pleura (a lung-mask border that is not an airway). */
  touchesPleura: boolean;
}

export interface ChestPhantom {
  volume: Volume<Int16Array>;
  /** 0 background, 1 right lung, 2 left lung (trachea and main bronchi excluded). */
  lungLabels: Uint8Array;
  /** 0 none, k = lesion k (see `lesions[k-1]`). */
  lesionLabels: Uint8Array;
  lesions: PhantomLesionInfo[];
}

const DEFAULT_FOV_MM = 360;
const DEFAULT_Z_RANGE_MM: readonly [number, number] = [-30, 255];
const LESION_HEIGHT_RANGE: readonly [number, number] = [0.2, 0.75];
/** Edge softness of lesions as a fraction of the radius: GGO is ill-defined, consolidation sharper. */
const LESION_EDGE: Record<LesionKind, number> = { 'ground-glass': 0.18, consolidation: 0.06 };
const VESSEL_PARTIAL_VOLUME_MM = 0.8;
const CENTRAL_HILUM_CLEARANCE_MM = 20;
const MAX_VOXELS = 512 * 512 * 600;

function positiveInt(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new InputError('PHANTOM_OPTION', `phantom option ${name} must be an integer in 1…${max}, got ${v}`);
  return v;
}
function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new InputError('PHANTOM_OPTION', `phantom option ${name} must be a positive number of mm, got ${v}`);
  return v;
}

interface Resolved {
  nx: number; ny: number; nz: number;
  sx: number; sy: number; sz: number;
  z0: number;
  seed: number;
  noiseHu: number;
  table: boolean;
  outsideScanHu: number;
  mirrorX: boolean;
  pseudoHu8Bit: boolean;
}

function resolve(o: PhantomOptions): Resolved {
  const [nx, ny] = o.size ?? [256, 256];
  positiveInt('size[0]', nx, 2048);
  positiveInt('size[1]', ny, 2048);
  const ps = o.pixelSpacingMm ?? DEFAULT_FOV_MM / Math.max(nx, ny);
  const [sx, sy] = typeof ps === 'number' ? [ps, ps] : ps;
  positive('pixelSpacingMm', sx);
  positive('pixelSpacingMm', sy);
  const nz = positiveInt('slices', o.slices ?? 64, 4096);
  const [from, to] = o.zRangeMm ?? DEFAULT_Z_RANGE_MM;
  if (!(Number.isFinite(from) && Number.isFinite(to) && to >= from)) {
    throw new InputError('PHANTOM_OPTION', `phantom option zRangeMm must be [from, to] with from ≤ to, got [${from}, ${to}]`);
  }
  let sz: number;
  let z0: number;
  if (nz === 1) {
    sz = positive('sliceSpacingMm', o.sliceSpacingMm ?? 5);
    z0 = (from + to) / 2;
  } else {
    sz = positive('sliceSpacingMm', o.sliceSpacingMm ?? Math.max(0.1, (to - from) / (nz - 1)));
    z0 = o.sliceSpacingMm === undefined ? from : (from + to) / 2 - ((nz - 1) * sz) / 2;
  }
  if (nx * ny * nz > MAX_VOXELS) throw new InputError('PHANTOM_OPTION', `phantom of ${nx}×${ny}×${nz} voxels is too large (max ${MAX_VOXELS})`);
  const noiseHu = o.noiseHu ?? 15;
  if (!(noiseHu >= 0)) throw new InputError('PHANTOM_OPTION', `phantom option noiseHu must be ≥ 0, got ${noiseHu}`);
  return {
    nx, ny, nz, sx, sy, sz, z0,
    seed: o.seed ?? 1,
    noiseHu,
    table: o.table ?? true,
    outsideScanHu: o.outsideScanHu ?? -2048,
    mirrorX: o.mirrorX ?? false,
    pseudoHu8Bit: o.pseudoHu8Bit ?? false,
  };
}

/** Gas in the stomach fundus under the left dome: air inside the body that is not lung. */
const STOMACH_GAS = { x: 62, y: BODY.centreY - 8, z: 16, rx: 22, ry: 17, rz: 9 } as const;

export function makeChestPhantom(options: PhantomOptions = {}): ChestPhantom {
  const r = resolve(options);
  const rng = createRandom(r.seed);
  const { nx, ny, nz, sx, sy, sz } = r;
  const n = nx * ny * nz;
  const grid: PhantomGrid = { nx, ny, nz, x0: -((nx - 1) / 2) * sx, y0: -((ny - 1) / 2) * sy, z0: r.z0, sx, sy, sz };
  const hu = new Float32Array(n);
  const lung = new Uint8Array(n);
  /** 1 = trachea / main bronchi (not lung), 2 = intrapulmonary bronchial lumen (lung). */
  const airway = new Uint8Array(n);
  const ribPhase = rng.uniform(0, 24);

  paintAnatomy(grid, r, ribPhase, hu, lung, airway);
  paintMainAirways(grid, hu, lung, airway);
  const insideLung = (p: Vec3Mm, side: 1 | 2) => lungAt(p[0], p[1], levelGeometry(p[2])) === side;
  const trees: TreeSegment[] = [];
  for (const side of [1, 2] as const) {
    const h = side === 1 ? HILUM.right : HILUM.left;
    trees.push(...growTree([h[0], h[1], h[2]], side, rng, { rootRadiusMm: 5, rootLengthMm: 30, maxDepth: 9, minRadiusMm: 0.5, inside: insideLung }));
  }
  paintTrees(grid, trees, hu, lung, airway);

  const specs = Array.isArray(options.lesions)
    ? (options.lesions as readonly PhantomLesionSpec[])
    : presetLesions((options.lesions as LesionPreset | undefined) ?? 'covid', rng, options.lesionCount);
  const placed: PlacedLesion[] = [];
  specs.forEach((s, i) => placed.push(placeLesion(s, i, rng, trees, insideLung, placed)));
  const lesionLabels = new Uint8Array(n);
  if (placed.length > 255) throw new InputError('PHANTOM_OPTION', `at most 255 lesions, got ${placed.length}`);
  placed.forEach((l, i) => paintLesion(grid, l, i + 1, hu, lung, airway, lesionLabels));

  const data = finishImage(grid, r, rng, hu);
  const infos = placed.map((l, i) => lesionInfo(grid, l, i + 1, lung, airway, lesionLabels));

  const direction: Mat3 = r.mirrorX ? [-1, 0, 0, 0, 1, 0, 0, 0, 1] : [1, 0, 0, 0, 1, 0, 0, 0, 1];
  let originX = grid.x0;
  if (r.mirrorX) {
    mirrorColumns(data, nx, ny * nz);
    mirrorColumns(lung, nx, ny * nz);
    mirrorColumns(lesionLabels, nx, ny * nz);
    originX = -grid.x0;
    for (const info of infos) (info as { centreVoxel: Vec3 }).centreVoxel = [nx - 1 - info.centreVoxel[0], info.centreVoxel[1], info.centreVoxel[2]];
  }
  const volume: Volume<Int16Array> = {
    data,
    dims: [nx, ny, nz],
    spacingMm: [sx, sy, sz],
    originMm: [originX, grid.y0, grid.z0],
    direction,
    source: { format: 'synthetic', sliceCount: nz, pseudoHu: r.pseudoHu8Bit, seriesDescription: `ctscreen chest phantom seed ${r.seed}` },
    warnings: [],
  };
  return { volume, lungLabels: lung, lesionLabels, lesions: infos };
}

function paintAnatomy(grid: PhantomGrid, r: Resolved, ribPhase: number, hu: Float32Array, lung: Uint8Array, airway: Uint8Array): void {
  const { nx, ny, nz, x0, y0, z0, sx, sy, sz } = grid;
  const tableTop = BODY.centreY + BODY.semiYPosterior + 9;
  const TABLE_HALF_WIDTH_MM = 112;
  const TABLE_SHELL_MM = 2.5;
  const TABLE_THICKNESS_MM = 14;
  const tracheaOuter = TRACHEA.lumenRadius + TRACHEA.wall;
  // Imported bindings are read through getters once transpiled: alias them outside the voxel loop.
  const lungAtL = lungAt, backgroundHuL = backgroundHu, diaphragmZL = diaphragmZ, levelGeometryL = levelGeometry;
  const T = TISSUE_HU, tr = TRACHEA, bodyCy = BODY.centreY;
  for (let k = 0; k < nz; k++) {
    const z = z0 + k * sz;
    const g = levelGeometryL(z);
    for (let j = 0; j < ny; j++) {
      const y = y0 + j * sy;
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) {
        const x = x0 + i * sx;
        const idx = row + i;
        const side = lungAtL(x, y, g);
        if (side !== 0) {
          lung[idx] = side;
          // gravity: dependent (posterior) lung is denser; slow texture breaks the flatness
          const dep = (y - bodyCy) / 90;
          hu[idx] = T.lung + T.lungGravityGradient * dep + 9 * Math.sin(0.045 * x + 0.031 * z) * Math.cos(0.05 * y + 0.02 * z);
          continue;
        }
        let v = backgroundHuL(x, y, g, ribPhase);
        if (v === T.air && r.table) {
          // curved table: its top follows a shallow arc; hollow foam core inside a carbon shell
          const arc = tableTop - 0.0012 * x * x;
          const d = y - arc;
          if (Math.abs(x) < TABLE_HALF_WIDTH_MM && d >= 0 && d < TABLE_THICKNESS_MM) {
            v = d < TABLE_SHELL_MM || d >= TABLE_THICKNESS_MM - TABLE_SHELL_MM || Math.abs(x) > TABLE_HALF_WIDTH_MM - TABLE_SHELL_MM ? T.tableShell : T.tableFoam;
          }
        }
        if (g.hasTrachea) {
          const dx = x - tr.x, dy = y - tr.y;
          const d2 = dx * dx + dy * dy;
          if (d2 <= tracheaOuter * tracheaOuter) {
            airway[idx] = 1;
            v = d2 <= tr.lumenRadius * tr.lumenRadius ? T.air : T.cartilage;
          }
        }
        if (z < diaphragmZL(x, y) - 3) {
          const ex = (x - STOMACH_GAS.x) / STOMACH_GAS.rx, ey = (y - STOMACH_GAS.y) / STOMACH_GAS.ry, ez = (z - STOMACH_GAS.z) / STOMACH_GAS.rz;
          if (ex * ex + ey * ey + ez * ez <= 1) v = T.air;
        }
        hu[idx] = v;
      }
    }
  }
}

/** Main bronchi from the carina to each hilum: airway, excluded from the lung ground truth. */
function paintMainAirways(grid: PhantomGrid, hu: Float32Array, lung: Uint8Array, airway: Uint8Array): void {
  const carina: Vec3Mm = [TRACHEA.x, TRACHEA.y, TRACHEA.carinaZ];
  for (const side of ['right', 'left'] as const) {
    const h = HILUM[side];
    const lumen = MAIN_BRONCHUS_LUMEN_MM[side];
    const outer = lumen + BRONCHUS_WALL_MM;
    forEachNearSegment(grid, carina, [h[0], h[1], h[2]], outer, (idx, d) => {
      airway[idx] = 1;
      lung[idx] = 0;
      hu[idx] = d <= lumen ? TISSUE_HU.air : TISSUE_HU.muscle;
    });
  }
}

function paintTrees(grid: PhantomGrid, segs: TreeSegment[], hu: Float32Array, lung: Uint8Array, airway: Uint8Array): void {
  const pv = VESSEL_PARTIAL_VOLUME_MM;
  // A slice is a slab of thickness sz: a vessel anywhere in the slab shows, diluted (partial volume).
  const slabHalf = grid.sz / 2;
  for (const s of segs) {
    const dilution = Math.min(1, (2 * s.radiusMm + 1) / Math.max(grid.sz, 1));
    forEachNearSegment(grid, s.a, s.b, s.radiusMm + pv, (idx, d) => {
      if (lung[idx] !== s.side || airway[idx] !== 0) return;
      const w = Math.min(1, Math.max(0, (s.radiusMm - d) / pv + 0.5)) * dilution;
      const v = hu[idx] * (1 - w) + TISSUE_HU.blood * w;
      if (v > hu[idx]) hu[idx] = v;
    }, slabHalf);
  }
  // bronchi run beside the first generations of arteries (bronchovascular bundles)
  for (const s of segs) {
    if (s.depth > 2) continue;
    const lumen = Math.max(1.6, 0.7 * s.radiusMm);
    const wall = 1.2;
    const dir = [s.b[0] - s.a[0], s.b[1] - s.a[1], s.b[2] - s.a[2]];
    // offset perpendicular to the branch, in the axial plane where possible
    let ox = -dir[1], oy = dir[0];
    const ol = Math.hypot(ox, oy) || 1;
    const off = s.radiusMm + lumen + wall + 0.5;
    ox = (ox / ol) * off;
    oy = (oy / ol) * off;
    const a: Vec3Mm = [s.a[0] + ox, s.a[1] + oy, s.a[2]];
    const b: Vec3Mm = [s.b[0] + ox, s.b[1] + oy, s.b[2]];
    forEachNearSegment(grid, a, b, lumen + wall, (idx, d) => {
      if (lung[idx] !== s.side || airway[idx] === 1) return;
      if (d <= lumen) {
        airway[idx] = 2;
        hu[idx] = TISSUE_HU.air;
      } else if (airway[idx] !== 2) {
        hu[idx] = Math.max(hu[idx], -80);
      }
    });
  }
}

/** True when a blob at c with radius r would overlap an already placed lesion (each keeps its own voxels). */
function overlapsPlaced(c: Vec3Mm, r: number, placed: readonly PlacedLesion[]): boolean {
  for (const p of placed) {
    const d = Math.hypot(c[0] - p.centreMm[0], c[1] - p.centreMm[1], c[2] - p.centreMm[2]);
    if (d < 1.25 * (r + p.radiusMm)) return true;
  }
  return false;
}

function placeLesion(spec: PhantomLesionSpec, index: number, rng: Random, trees: TreeSegment[], insideLung: (p: Vec3Mm, side: 1 | 2) => boolean, placed: readonly PlacedLesion[]): PlacedLesion {
  if (!(spec.diameterMm > 0 && spec.diameterMm <= 150)) {
    throw new InputError('PHANTOM_OPTION', `lesion ${index + 1}: diameterMm must be in (0, 150], got ${spec.diameterMm}`);
  }
  const side: 1 | 2 = spec.side === 'right' ? 1 : spec.side === 'left' ? 2 : rng.next() < 0.5 ? 1 : 2;
  const radius = spec.diameterMm / 2;
  const [hLo, hHi] = LESION_HEIGHT_RANGE;
  for (let attempt = 0; attempt < 200; attempt++) {
    const u = spec.heightFraction !== undefined && attempt < 100 ? spec.heightFraction : rng.uniform(hLo, hHi);
    const z = u * LUNG_HEIGHT_MM;
    const g = levelGeometry(z);
    if (spec.pattern === 'peripheral') {
      // march outward from the lung's middle along a lateral/anterior/posterior ray; stop at the pleura
      const lateral = side === 1 ? -1 : 1;
      const phi = rng.uniform(-1.9, 1.9); // radians from straight lateral; never medial
      const dx = lateral * Math.cos(phi), dy = Math.sin(phi);
      const cx = lateral * 75, cy = BODY.centreY + 10;
      let last: [number, number] | null = null;
      for (let t = 0; t < 220; t += 1) {
        const px = cx + dx * t, py = cy + dy * t;
        if (lungAt(px, py, g) === side) last = [px, py];
      }
      if (last === null) continue;
      // centre a little inside the pleura: the blob is cut by the chest wall (subpleural)
      const c: Vec3Mm = [last[0] - dx * 0.35 * radius, last[1] - dy * 0.35 * radius, z];
      if (!insideLung(c, side) || overlapsPlaced(c, radius, placed)) continue;
      return makeBlob({ ...spec, side: side === 1 ? 'right' : 'left' }, c, rng);
    }
    // central: on a bronchovascular branch of generation 1–3, well away from the mediastinum
    const candidates = trees.filter((s) => s.side === side && s.depth >= 2 && s.depth <= 4);
    if (candidates.length === 0) break;
    const s = rng.pick(candidates);
    const t = rng.uniform(0.3, 1);
    const c: Vec3Mm = [s.a[0] + t * (s.b[0] - s.a[0]), s.a[1] + t * (s.b[1] - s.a[1]), s.a[2] + t * (s.b[2] - s.a[2])];
    if (spec.heightFraction !== undefined && attempt < 120 && Math.abs(c[2] / LUNG_HEIGHT_MM - spec.heightFraction) > 0.12) continue;
    // mid-lung, along a bundle: not fused with the hilum (a lesion fused with the mediastinum is a
    // different, harder case that no threshold-based extractor keeps whole)
    const hilum = side === 1 ? HILUM.right : HILUM.left;
    if (Math.hypot(c[0] - hilum[0], c[1] - hilum[1], c[2] - hilum[2]) < radius + CENTRAL_HILUM_CLEARANCE_MM) continue;
    // keep the whole blob inside the lung so it stays central (not touching pleura or mediastinum)
    let inside = true;
    for (let a = 0; a < 26 && inside; a++) {
      const th = (a / 26) * 2 * Math.PI;
      for (const el of [-0.6, 0, 0.6]) {
        const p: Vec3Mm = [c[0] + 1.2 * radius * Math.cos(th) * Math.cos(el), c[1] + 1.2 * radius * Math.sin(th) * Math.cos(el), c[2] + 1.2 * radius * Math.sin(el)];
        if (!insideLung(p, side)) {
          inside = false;
          break;
        }
      }
    }
    if (!inside || overlapsPlaced(c, radius, placed)) continue;
    return makeBlob({ ...spec, side: side === 1 ? 'right' : 'left' }, c, rng);
  }
  throw new InputError('PHANTOM_OPTION', `lesion ${index + 1} (${spec.pattern}, ${spec.diameterMm} mm) does not fit in the ${side === 1 ? 'right' : 'left'} lung; use a smaller diameter`);
}

function paintLesion(grid: PhantomGrid, l: PlacedLesion, label: number, hu: Float32Array, lung: Uint8Array, airway: Uint8Array, labels: Uint8Array): void {
  const edge = LESION_EDGE[l.spec.kind];
  const reach = l.radiusMm * (1.25 + edge);
  const c = l.centreMm;
  const isGgo = l.spec.kind === 'ground-glass';
  forEachNearSegment(grid, c, c, reach, (idx, _d) => {
    if (lung[idx] === 0) return;
    const i = idx % grid.nx;
    const rest = (idx - i) / grid.nx;
    const j = rest % grid.ny;
    const k = (rest - j) / grid.ny;
    const x = grid.x0 + i * grid.sx, y = grid.y0 + j * grid.sy, z = grid.z0 + k * grid.sz;
    const t = blobRadius(l, x, y, z);
    if (t >= 1 + edge / 2) return;
    const w = Math.min(1, Math.max(0, (1 + edge / 2 - t) / edge));
    if (w >= 0.5) labels[idx] = label;
    if (isGgo) {
      // hazy increase in attenuation that keeps vessels and bronchial walls visible
      const v = hu[idx] * (1 - w) + (l.valueHu + 40 * Math.sin(0.3 * x + 0.2 * y)) * w;
      if (v > hu[idx]) hu[idx] = v;
    } else if (airway[idx] !== 2 || w < 1) {
      // consolidation hides vessels; bronchial lumen stays dark (air bronchogram)
      hu[idx] = hu[idx] * (1 - w) + l.valueHu * w;
    }
  });
}

function lesionInfo(grid: PhantomGrid, l: PlacedLesion, label: number, lung: Uint8Array, airway: Uint8Array, labels: Uint8Array): PhantomLesionInfo {
  const { nx, ny, nz } = grid;
  let voxels = 0;
  let touches = false;
  const plane = nx * ny;
  const n = plane * nz;
  for (let idx = 0; idx < n; idx++) {
    if (labels[idx] !== label) continue;
    voxels++;
    if (touches) continue;
    const i = idx % nx;
    const j = ((idx - i) / nx) % ny;
    const nb = [i > 0 ? idx - 1 : -1, i < nx - 1 ? idx + 1 : -1, j > 0 ? idx - nx : -1, j < ny - 1 ? idx + nx : -1];
    for (const q of nb) if (q >= 0 && lung[q] === 0 && airway[q] !== 1) touches = true;
  }
  return {
    label,
    kind: l.spec.kind,
    pattern: l.spec.pattern,
    side: l.spec.side ?? 'right',
    diameterMm: l.spec.diameterMm,
    centreVoxel: [(l.centreMm[0] - grid.x0) / grid.sx, (l.centreMm[1] - grid.y0) / grid.sy, (l.centreMm[2] - grid.z0) / grid.sz],
    voxels,
    volumeMl: (voxels * grid.sx * grid.sy * grid.sz) / 1000,
    touchesPleura: touches,
  };
}

/** In-plane 3×3 binomial blur (scanner point spread), noise, scan circle, Int16. */
function finishImage(grid: PhantomGrid, r: Resolved, rng: Random, hu: Float32Array): Int16Array {
  const { nx, ny, nz, x0, y0, sx, sy } = grid;
  const plane = nx * ny;
  const out = new Int16Array(plane * nz);
  const tmp = new Float32Array(plane);
  const fov = Math.min(nx * sx, ny * sy) / 2;
  const fov2 = fov * fov;
  const window8 = LUNG_WINDOW_HU;
  const lo = window8.center - window8.width / 2;
  for (let k = 0; k < nz; k++) {
    const base = plane * k;
    // horizontal pass [1 2 1]/4 into tmp, vertical pass while writing out
    for (let j = 0; j < ny; j++) {
      const row = base + nx * j;
      for (let i = 0; i < nx; i++) {
        const c = hu[row + i];
        const l = i > 0 ? hu[row + i - 1] : c;
        const rr = i < nx - 1 ? hu[row + i + 1] : c;
        tmp[nx * j + i] = 0.25 * l + 0.5 * c + 0.25 * rr;
      }
    }
    for (let j = 0; j < ny; j++) {
      const y = y0 + j * sy;
      for (let i = 0; i < nx; i++) {
        const x = x0 + i * sx;
        const o = base + nx * j + i;
        if (x * x + y * y > fov2) {
          out[o] = r.outsideScanHu;
          continue;
        }
        const c = tmp[nx * j + i];
        const u = j > 0 ? tmp[nx * (j - 1) + i] : c;
        const d = j < ny - 1 ? tmp[nx * (j + 1) + i] : c;
        let v = 0.25 * u + 0.5 * c + 0.25 * d + r.noiseHu * rng.gaussian();
        if (r.pseudoHu8Bit) {
          const g8 = Math.max(0, Math.min(255, Math.round(((v - lo) / window8.width) * 255)));
          v = lo + (g8 / 255) * window8.width;
        }
        out[o] = Math.max(-3024, Math.min(3071, Math.round(v)));
      }
    }
  }
  return out;
}

function mirrorColumns(a: Int16Array | Uint8Array, nx: number, rows: number): void {
  for (let rIdx = 0; rIdx < rows; rIdx++) {
    const base = rIdx * nx;
    for (let i = 0, j = nx - 1; i < j; i++, j--) {
      const t = a[base + i];
      a[base + i] = a[base + j];
      a[base + j] = t;
    }
  }
}
