/**
 * Robustness to how a CT was acquired and reconstructed (issue 9: a healthy CT from another scanner
 * must still come out healthy). Every case of a manifest is screened as acquired and once per
 * perturbation; the table says which calls changed, how far P(infection) moved, and whether any
 * lesion-free case became "infected" or any infected case "no infection".
 *
 *   PERTURBATIONS                           the registered perturbations (drive `ctscreen robustness`)
 *   perturbationById(id)                    one of them, or a user error naming the choices
 *   addGaussianNoise / kernel3x3 / offsetHu / ivContrast / halveInPlane / insertSolidNodule   the pure transforms
 *   (dependent density: src/dataset/dependent-density.ts, also a training augmentation; emphysema:
 *   src/dataset/emphysema.ts, a training augmentation of classifier 7.0.0, not of the committed segmenter
 *   (other draws, on the lesion-free training CTs; the severe reading lies beyond them); pleural effusion:
 *   pleural-effusion.ts, never trained on; solid masses: src/dataset/solid-mass.ts, a training augmentation of
 *   classifier 8.0.0 on the lesion-free training CTs, with other draws than these)
 *   runRobustness(options): RobustnessRun   screens the cases (models loaded once, passed in)
 *   formatRobustnessText(run)               the table
 *
 * These are simulations of scanner differences, not real scans from other scanners: a case that
 * stays right under all of them is not shown to be right on real data from elsewhere. The thick-slice
 * reconstruction is the one the networks also trained on (src/dataset/reconstruction.ts); the others
 * were never trained on, but for the training augmentations named above. The solid nodule stands in for a
 * lung tumour (not infection).
 */
import { clampSimulatedHu } from '../core/constants.ts';
import { InputError } from '../core/errors.ts';
import { gaussianStream, mulberry32 } from '../core/random.ts';
import type { Vec3, Volume } from '../core/volume.ts';
import { dependentDensity, STRONG_DEPENDENT_DENSITY } from '../dataset/dependent-density.ts';
import { thickReconstruction } from '../dataset/reconstruction.ts';
import { drawSolidMasses, insertSolidMass, withSolidMasses } from '../dataset/solid-mass.ts';
import { emphysema, MODERATE_EMPHYSEMA, SEVERE_EMPHYSEMA } from '../dataset/emphysema.ts';
import { MODERATE_EFFUSION, pleuralEffusion } from '../dataset/pleural-effusion.ts';
import { extractLungs } from '../lung/extract-lungs.ts';
import type { Screener } from '../pipeline/run-screening.ts';
import { readInput, type DecisionMode } from '../pipeline/stages.ts';
import { lesionMaskMl } from './lesion-free.ts';
import type { Manifest } from './manifest.ts';

/** A perturbed int16 volume is clamped to air .. dense bone (scanner padding is not kept). */
const clampHu = clampSimulatedHu;

function withData(volume: Volume, data: Int16Array, note: string, geometry: Partial<Pick<Volume, 'dims' | 'spacingMm' | 'originMm'>> = {}): Volume {
  return { ...volume, ...geometry, data, source: { ...volume.source, sliceCount: (geometry.dims ?? volume.dims)[2] }, warnings: [...volume.warnings, `robustness perturbation: ${note}`] };
}

/** Independent Gaussian noise of `sigmaHu` on every voxel (lower dose), seeded. */
export function addGaussianNoise(volume: Volume, sigmaHu: number, seed: number): Volume {
  const g = gaussianStream(mulberry32(seed));
  const d = volume.data;
  const out = new Int16Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = clampHu(d[i] + sigmaHu * g());
  return withData(volume, out, `Gaussian noise σ ${sigmaHu} HU`);
}

/**
 * In-plane 3 × 3 mean m (edge pixels average their in-image neighbours) and out = v + amount · (v − m):
 * amount −1 is the mean itself (a softer kernel), amount > 0 an unsharp mask (a sharper kernel).
 */
export function kernel3x3(volume: Volume, amount: number): Volume {
  const [nx, ny, nz] = volume.dims;
  const d = volume.data;
  const out = new Int16Array(d.length);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let s = 0;
        let n = 0;
        for (let yy = Math.max(0, y - 1); yy <= Math.min(ny - 1, y + 1); yy++) {
          for (let xx = Math.max(0, x - 1); xx <= Math.min(nx - 1, x + 1); xx++) {
            s += d[xx + nx * (yy + ny * z)];
            n++;
          }
        }
        const i = x + nx * (y + ny * z);
        out[i] = clampHu(d[i] + amount * (d[i] - s / n));
      }
    }
  }
  return withData(volume, out, amount < 0 ? `softer kernel (3 × 3 mean, amount ${amount})` : `sharper kernel (unsharp mask, amount ${amount})`);
}

/** Every voxel shifted by `hu` (a scanner's calibration drift; contrast-enhanced blood is larger still). */
export function offsetHu(volume: Volume, hu: number): Volume {
  const d = volume.data;
  const out = new Int16Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = clampHu(d[i] + hu);
  return withData(volume, out, `HU offset ${hu > 0 ? '+' : ''}${hu}`);
}

/**
 * Intravenous contrast, simulated: blood enhances, so vessels (and the heart and great vessels) rise by
 * up to `enhancementHu` while air does not. Within the lungs a voxel's HU is a partial-volume mix of
 * air (−900 HU taken as the parenchyma's floor) and tissue (+40 HU); the rise is scaled by that
 * tissue fraction, clamp((v + 900) / 940, 0, 1), so small vessels rise less than large ones. Bone
 * (> 200 HU) is left alone. Parenchymal lesions enhance too in reality, far less than vessels; this
 * raises them as much as vessels of the same density (a harsher test for false positives).
 */
export function ivContrast(volume: Volume, enhancementHu: number): Volume {
  const d = volume.data;
  const out = new Int16Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    const f = v > 200 ? 0 : Math.max(0, Math.min(1, (v + 900) / 940));
    out[i] = clampHu(v + enhancementHu * f);
  }
  return withData(volume, out, `IV contrast simulated (+${enhancementHu} HU at soft-tissue density, scaled by the tissue fraction)`);
}

/**
 * 2 × 2 in-plane block means: half the matrix at twice the pixel size (a large field of view, as in
 * PET/CT). A trailing odd row or column is dropped; the origin moves to the first block's centre.
 */
export function halveInPlane(volume: Volume): Volume {
  const [nx, ny, nz] = volume.dims;
  const mx = nx >> 1;
  const my = ny >> 1;
  if (mx < 1 || my < 1) throw new RangeError(`halveInPlane: ${nx} × ${ny} is too small`);
  const d = volume.data;
  const out = new Int16Array(mx * my * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < my; y++) {
      for (let x = 0; x < mx; x++) {
        const i = 2 * x + nx * (2 * y + ny * z);
        out[x + mx * (y + my * z)] = Math.round((d[i] + d[i + 1] + d[i + nx] + d[i + nx + 1]) / 4);
      }
    }
  }
  const [sx, sy, sz] = volume.spacingMm;
  const m = volume.direction;
  const o = volume.originMm;
  // the first block's centre is half a (new-minus-old) pixel along the row and the column directions
  const originMm: Vec3 = [o[0] + m[0] * (sx / 2) + m[1] * (sy / 2), o[1] + m[3] * (sx / 2) + m[4] * (sy / 2), o[2] + m[6] * (sx / 2) + m[7] * (sy / 2)];
  return withData(volume, out, `half in-plane resolution (${(2 * sx).toFixed(2)} mm pixels)`, { dims: [mx, my, nz], spacingMm: [2 * sx, 2 * sy, sz], originMm });
}

/**
 * A solid, lobulated soft-tissue mass (a stand-in for a lung tumour): the union of a sphere of
 * `diameterMm` and three smaller ones around it (seeded), at `hu` ± 15 HU of noise, centred on
 * `centreVoxel`; bone (> 200 HU) is left as it is. Returns the volume and how many voxels changed.
 */
export function insertSolidNodule(volume: Volume, centreVoxel: Vec3, diameterMm: number, seed: number, hu = 35): { volume: Volume; voxels: number } {
  const out = Int16Array.from(volume.data);
  const voxels = insertSolidMass(out, volume, { centreVoxel, diameterMm, hu, seed, spicules: 0 });
  return { volume: withData(volume, out, `solid ${diameterMm} mm soft-tissue mass inserted (a tumour stand-in)`), voxels };
}

/** The middle slice's right-lung centroid (image left half: the patient's right in a standard axial view), or null. */
function rightLungCentre(volume: Volume): Vec3 | null {
  let mask: Uint8Array;
  try {
    mask = extractLungs(volume).mask;
  } catch {
    return null;
  }
  const [nx, ny, nz] = volume.dims;
  const z = Math.floor(nz / 2);
  let sx = 0, sy = 0, n = 0;
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx / 2; x++) if (mask[x + nx * (y + ny * z)]) (sx += x), (sy += y), n++;
  return n ? [Math.round(sx / n), Math.round(sy / n), z] : null;
}

export interface Perturbation {
  id: string;
  description: string;
  /** The perturbed volume, or null with why when it does not apply to this volume. */
  apply: (volume: Volume, seed: number) => Volume | { skip: string };
}

/** The perturbations `ctscreen robustness` offers, in the order its table lists them. */
export const PERTURBATIONS: readonly Perturbation[] = [
  { id: 'noise-25', description: 'Gaussian noise σ 25 HU (lower dose)', apply: (v, seed) => addGaussianNoise(v, 25, seed) },
  { id: 'noise-50', description: 'Gaussian noise σ 50 HU (low-dose CT)', apply: (v, seed) => addGaussianNoise(v, 50, seed + 1) },
  { id: 'sharp-kernel', description: 'unsharp mask 3 × 3, amount 1 (a sharper reconstruction kernel)', apply: (v) => kernel3x3(v, 1) },
  { id: 'soft-kernel', description: '3 × 3 mean (a softer reconstruction kernel)', apply: (v) => kernel3x3(v, -1) },
  { id: 'hu+40', description: 'every voxel +40 HU (calibration drift)', apply: (v) => offsetHu(v, 40) },
  { id: 'iv-contrast', description: 'IV contrast: blood-density voxels +150 HU, partial-volume voxels in proportion (a contrast-enhanced CT)', apply: (v) => ivContrast(v, 150) },
  { id: 'half-resolution', description: '2 × 2 in-plane block means (a large field of view)', apply: (v) => halveInPlane(v) },
  {
    id: 'thick-slices',
    description: 'means of k slices, k · spacing ≤ 5 mm (a thick-slice reconstruction; also used in training)',
    apply: (v) => {
      const thick = thickReconstruction(v);
      return thick ? thick.volume : { skip: `slices of ${v.spacingMm[2].toFixed(2)} mm are already thick (or too few)` };
    },
  },
  {
    id: 'pet-ct-like',
    description: 'σ 25 HU noise, the softer kernel and thick slices together (the low-dose CT of a PET-CT, as in lung-cancer staging; thin-slice cases only)',
    apply: (v, seed) => {
      const thick = thickReconstruction(kernel3x3(addGaussianNoise(v, 25, seed + 2), -1));
      return thick ? thick.volume : { skip: `slices of ${v.spacingMm[2].toFixed(2)} mm are already thick (or too few)` };
    },
  },
  {
    id: 'dependent-density',
    description: 'posterior 8 mm of the inferior half of the lungs +400 to +100 HU (supine dependent atelectasis, a normal finding)',
    apply: (v) => withLungMask(v, (mask) => dependentDensity(v, mask, STRONG_DEPENDENT_DENSITY)),
  },
  {
    id: 'solid-nodule-30mm',
    description: 'a solid lobulated 30 mm soft-tissue mass in the right lung (a lung-tumour stand-in, not infection)',
    apply: (v, seed) => {
      if (v.dims[2] < 3) return { skip: 'fewer than 3 slices' };
      const c = rightLungCentre(v);
      return c ? insertSolidNodule(v, c, 30, seed).volume : { skip: 'no lungs found to place it in' };
    },
  },
  {
    id: 'solid-masses',
    description: '2–4 solid masses of 10–40 mm in the lungs, half of them spiculated (tumours and large nodules, not infection; a seeded draw per case)',
    apply: (v, seed) => {
      if (v.dims[2] < 3) return { skip: 'fewer than 3 slices' };
      return withLungMask(v, (mask) => {
        const masses = drawSolidMasses(v, mask, seed + 3);
        return masses.length ? withSolidMasses(v, masses) : { skip: 'no lungs found to place them in' };
      });
    },
  },
  {
    id: 'emphysema',
    description: 'moderate centrilobular emphysema (2–8 mm holes, 15 % of the upper 60 % of the lung) and 4 paraseptal bullae of 10–30 mm (a smoker\'s lung, not infection)',
    apply: (v, seed) => withLungMask(v, (mask) => emphysema(v, mask, { ...MODERATE_EMPHYSEMA, seed: seed + 4 })),
  },
  {
    id: 'severe-emphysema',
    description: 'severe centrilobular emphysema (35 % of the upper 80 % of the lung) and 10 paraseptal bullae: beyond the emphysema the networks trained on (≤ 25 %, ≤ 6 bullae)',
    apply: (v, seed) => withLungMask(v, (mask) => emphysema(v, mask, { ...SEVERE_EMPHYSEMA, seed: seed + 6 })),
  },
  {
    id: 'pleural-effusion',
    description: 'bilateral posterior pleural effusion, up to 25 mm deep over the inferior 40 % of the lung, with 8 mm of compressive atelectasis (not infection)',
    apply: (v, seed) => withLungMask(v, (mask) => pleuralEffusion(v, mask, { ...MODERATE_EFFUSION, seed: seed + 5 })),
  },
];

/** `f` of the volume's lung mask (extractLungs as acquired), or a skip when no lungs are found. */
function withLungMask(v: Volume, f: (mask: Uint8Array) => Volume | { skip: string }): Volume | { skip: string } {
  let mask: Uint8Array;
  try {
    mask = extractLungs(v).mask;
  } catch {
    return { skip: 'no lungs found' };
  }
  return f(mask);
}

export function perturbationById(id: string): Perturbation {
  const p = PERTURBATIONS.find((x) => x.id === id);
  if (!p) throw new InputError('CLI_FLAG', `unknown perturbation '${id}'; choose from ${PERTURBATIONS.map((x) => x.id).join(', ')}`);
  return p;
}

export interface RobustnessRow {
  case: string;
  label: string;
  /** 'as acquired' or a perturbation id. */
  reading: string;
  /** The call, or 'skipped' (with why) when the perturbation does not apply, or 'failed'. */
  called: string;
  infectionProbability: number | null;
  lesionMl: number | null;
  regions: number | null;
  infectionVotedRegions: number | null;
  note?: string;
}

export interface PerturbationSummary {
  reading: string;
  cases: number;
  /** Cases whose call equals their call as acquired. */
  unchanged: number;
  /** Lesion-free cases called an infection type (a new false positive when it was not so as acquired). */
  negativesCalledInfected: number;
  /** Infected cases called no infection. */
  infectedCalledNone: number;
  /** Largest P(infection) of a lesion-free case; smallest of an infected case. */
  maxNegativeP: number | null;
  minInfectedP: number | null;
}

export interface RobustnessRun {
  rows: RobustnessRow[];
  summary: PerturbationSummary[];
  seed: number;
}

export const ACQUIRED = 'as acquired';

export interface RunRobustnessOptions {
  manifest: Manifest;
  screener: Screener;
  perturbations: readonly Perturbation[];
  /** The label of a case without infection (the class spec's no-infection label). */
  noInfectionLabel: string;
  /** Case decision for every screening (default: the screener's). */
  decision?: DecisionMode;
  seed?: number;
  onRow?: (row: RobustnessRow) => void;
}

function rowOf(id: string, label: string, reading: string, report: Awaited<ReturnType<Screener['screen']>>['report']): RobustnessRow {
  const d = report.decision as { label: string; infectionProbability?: number };
  return {
    case: id,
    label,
    reading,
    called: d.label,
    infectionProbability: typeof d.infectionProbability === 'number' ? d.infectionProbability : null,
    lesionMl: lesionMaskMl(report),
    regions: report.regions.length,
    infectionVotedRegions: report.regions.filter((r) => r.vote.label !== report.classes.irrelevantLabel).length,
  };
}

export async function runRobustness(options: RunRobustnessOptions): Promise<RobustnessRun> {
  const seed = options.seed ?? 1;
  const rows: RobustnessRow[] = [];
  const push = (r: RobustnessRow) => {
    rows.push(r);
    options.onRow?.(r);
  };
  for (const c of options.manifest.cases) {
    let volume: Volume;
    try {
      volume = (await readInput(c.path)).volume;
    } catch (e) {
      push({ case: c.id, label: c.label, reading: ACQUIRED, called: 'failed', infectionProbability: null, lesionMl: null, regions: null, infectionVotedRegions: null, note: (e as Error).message });
      continue;
    }
    push(rowOf(c.id, c.label, ACQUIRED, (await options.screener.screen({ volume }, { decision: options.decision })).report));
    for (const p of options.perturbations) {
      const v = p.apply(volume, seed);
      if ('skip' in v) {
        push({ case: c.id, label: c.label, reading: p.id, called: 'skipped', infectionProbability: null, lesionMl: null, regions: null, infectionVotedRegions: null, note: v.skip });
        continue;
      }
      push(rowOf(c.id, c.label, p.id, (await options.screener.screen({ volume: v }, { decision: options.decision })).report));
    }
  }
  return { rows, summary: summarise(rows, options.perturbations.map((p) => p.id), options.noInfectionLabel), seed };
}

const INFECTED_CALLS_EXCLUDED = new Set(['not_screened', 'indeterminate', 'skipped', 'failed']);

/** Per reading: how many calls stayed, and the new false positives / negatives. Exported for tests. */
export function summarise(rows: readonly RobustnessRow[], readings: readonly string[], noInfectionLabel: string): PerturbationSummary[] {
  const acquired = new Map(rows.filter((r) => r.reading === ACQUIRED).map((r) => [r.case, r.called]));
  return [ACQUIRED, ...readings].map((reading) => {
    const rs = rows.filter((r) => r.reading === reading && r.called !== 'skipped' && r.called !== 'failed');
    const neg = rs.filter((r) => r.label === noInfectionLabel);
    const inf = rs.filter((r) => r.label !== noInfectionLabel);
    const ps = (list: RobustnessRow[]) => list.map((r) => r.infectionProbability).filter((p): p is number => p !== null);
    return {
      reading,
      cases: rs.length,
      unchanged: rs.filter((r) => acquired.get(r.case) === r.called).length,
      negativesCalledInfected: neg.filter((r) => r.called !== noInfectionLabel && !INFECTED_CALLS_EXCLUDED.has(r.called)).length,
      infectedCalledNone: inf.filter((r) => r.called === noInfectionLabel).length,
      maxNegativeP: ps(neg).length ? Math.max(...ps(neg)) : null,
      minInfectedP: ps(inf).length ? Math.min(...ps(inf)) : null,
    };
  });
}

const pct = (p: number | null) => (p === null ? '—' : `${(100 * p).toFixed(1)} %`);

export function formatRobustnessText(run: RobustnessRun, perturbations: readonly Perturbation[]): string {
  const L: string[] = [];
  L.push('Simulated acquisition differences, not scans from other scanners (src/eval/robustness.ts):');
  for (const p of perturbations) L.push(`  ${p.id.padEnd(18)} ${p.description}`);
  L.push('', `${'case'.padEnd(36)} ${'truth'.padEnd(19)} ${'reading'.padEnd(18)} ${'called'.padEnd(19)} ${'P(inf.)'.padStart(8)} ${'lesion mL'.padStart(10)} regions (inf.-voted)`);
  for (const r of run.rows) {
    const regions = r.regions === null ? '—' : `${r.regions} (${r.infectionVotedRegions})`;
    L.push(`${r.case.padEnd(36)} ${r.label.padEnd(19)} ${r.reading.padEnd(18)} ${r.called.padEnd(19)} ${pct(r.infectionProbability).padStart(8)} ${(r.lesionMl === null ? '—' : r.lesionMl.toFixed(1)).padStart(10)} ${regions}${r.note ? `  (${r.note})` : ''}`);
  }
  L.push('', `${'reading'.padEnd(18)} ${'cases'.padStart(5)} ${'call unchanged'.padStart(15)} ${'no-infection → infected'.padStart(24)} ${'infected → no infection'.padStart(24)} ${'max P, no infection'.padStart(20)} ${'min P, infected'.padStart(16)}`);
  for (const s of run.summary) {
    L.push(`${s.reading.padEnd(18)} ${String(s.cases).padStart(5)} ${`${s.unchanged}/${s.cases}`.padStart(15)} ${String(s.negativesCalledInfected).padStart(24)} ${String(s.infectedCalledNone).padStart(24)} ${pct(s.maxNegativeP).padStart(20)} ${pct(s.minInfectedP).padStart(16)}`);
  }
  return `${L.join('\n')}\n`;
}
