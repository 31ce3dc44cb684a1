/**
 * Training tensors for the 2.5D candidate segmenter (§2.3), made in TypeScript with the very
 * preprocessing inference uses (tile.ts extractTile: pseudo-HU → lung window → tile).
 *
 *   exportSegmentationDataset(options): Promise<SegmentationDatasetSummary>
 *
 * Writes into `outDir`:
 *   inputs.f32        N × C × S × S float32 (little-endian), channels = slices z−1, z, z+1
 *   masks.u8          N × S × S uint8, 1 = infection
 *   index.json        one entry per sample: case, source, group (patient), split, slice, file, lesion pixels
 *   fingerprint.json  counts per source and split, intensity and mask statistics, neighbour check
 *   split.json        the patient-level split: every group (patient / volume) in exactly one of train / validation
 *
 * What the data offers (../shared/data/README.md) and how it is used:
 * - infnet-semiseg Pseudo-label: 1650 slices with model-made masks from 20 CT volumes
 *   (COVID-19-CT-Seg). Consecutive slice numbers of one volume are adjacent slices (checked: the
 *   mean absolute difference grows with the number gap, see fingerprint), so the two neighbours of
 *   a slice are the slices numbered ±1 of the same volume. Group = patient: Radiopaedia series of
 *   one case number (e.g. case 10, series 85902_1 and 85902_3) are ONE patient.
 * - infnet-semiseg Doctor-label: 50 single slices with radiologist masks (MedSeg), no neighbours
 *   (the centre slice is repeated) and no patient ids: all of them go to validation, so no patient
 *   can straddle the split and validation Dice is measured on expert masks.
 *   (Hybrid-label and MultiClassInfection are the same 50 images: not exported twice.)
 * - v2, lesion-free HU (specificity on real CT): every lung slice of covid-ct-md/normal001 and of
 *   the LIDC-IDRI slabs, and the slices of P001 and cap001 that labels.csv calls uninfected with
 *   both neighbours uninfected too, as tiles with EMPTY masks; the 3 TB volumes (HU, true 3D blob
 *   masks) with their masks. These are cut exactly as inference cuts them: readVolume →
 *   extractLungs → lungSliceBoxes (+ LUNG_BOX_MARGIN_MM) → extractTile of z−1, z, z+1. Their
 *   split is patient-split.ts (LIDC-IDRI-0002 and tb 003 held out).
 * - v4, thick-slice reconstructions (reconstruction.ts): each lesion-free or slice-labelled HU volume
 *   once more as the means of k slices (k · spacing ≤ 5 mm: 4 mm for COVID-CT-MD, 5 mm for the LIDC
 *   slabs), cut the same way, with synthetic lesions on the training ones as for the thin slices.
 * - v5, dependent density (dependent-density.ts): each lesion-free TRAINING volume once more with a
 *   simulated posterior band of supine dependent atelectasis (a seeded draw per volume), empty masks.
 * - Hard negatives (vessels, hila, dependent lung, nodules) are the lung of those tiles and of the
 *   8-bit slices away from the masks; train.py centres part of its crops on them.
 * Images are 8-bit and already windowed with different windows (coronacases darker than the
 * Radiopaedia series); they are read as pseudo-HU through the lung window like any 8-bit stack.
 * Many are rotated 90° or flipped relative to the radiological convention: training applies the
 * eight flips/rotations, so orientation does not matter.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../core/errors.ts';
import { patientToVoxel, type Volume } from '../core/volume.ts';
import { scanDicom } from '../io/dicom.ts';
import { readImageAsPseudoHu } from '../io/image-stack.ts';
import { readNifti } from '../io/nifti.ts';
import { readVolume } from '../io/read.ts';
import { extractLungs } from '../lung/extract-lungs.ts';
import { LUNG_BOX_MARGIN_MM } from '../candidates/learned.ts';
import { HU_VOLUMES, isValidationPseudoPatient, type HuVolumeEntry } from './patient-split.ts';
import { lungSliceBoxes } from '../candidates/sliding-window.ts';
import { extractTile } from '../candidates/tile.ts';
import { drawLesionSpecs, insertLesions } from './synthetic-lesions.ts';
import { thickReconstruction, thickSliceFlags } from './reconstruction.ts';
import { dependentDensity, drawDependentDensity } from './dependent-density.ts';
import { drawEmphysema, emphysema } from './emphysema.ts';

/** The name of the dependent-density variant of a lesion-free training volume (v5), in tile and report records. */
export const DEPENDENT_DENSITY_NAME = 'dependent-density';
/** The reconstruction tag of the emphysema training variant (classifier 7.0.0; the opt-in segmenter export). */
export const EMPHYSEMA_NAME = 'emphysema';
/** The reconstruction tag of the solid-mass training variants of the classifier (8.0.0), followed by the draw's index. */
export const SOLID_MASSES_NAME = 'solid-masses';

/** Synthetic lesions per synthetic tile: 1 to this many. */
export const SYNTHETIC_MAX_LESIONS = 3;

/** A seed per (patient group, slice): the synthetic tiles are the same on every export. */
export function syntheticSeed(group: string, z: number): number {
  let h = 2166136261 >>> 0;
  for (const ch of `${group}/${z}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

export const SEGMENTER_TILE_SIZE = 128;
/** Slices stacked as channels: the slice and its two neighbours (§2.2's centre + two neighbours). */
export const SEGMENTER_SLICE_OFFSETS: readonly number[] = [-1, 0, 1];
/** Pseudo-label PNGs are soft (0..255): at least half grey counts as infection. */
const MASK_GREY_THRESHOLD = 128;
/** A resized mask pixel is infection when at least half of it was. */
const TILE_MASK_THRESHOLD = 0.5;
/** Pseudo-label patients held out for validation (besides all Doctor-label slices). */
export const DEFAULT_VALIDATION_GROUPS = 4;

const PSEUDO_DIR = 'infnet-semiseg/LungInfection-Train/Pseudo-label';
const DOCTOR_DIR = 'infnet-semiseg/LungInfection-Train/Doctor-label';
const PSEUDO_NAME = /^Data-1_(.+)_(\d+)\.jpg$/;

export type SegmentationSource = 'infnet-pseudo' | 'infnet-doctor' | 'covid-ct-md' | 'lidc-idri' | 'tb-lesions' | 'synthetic-hu';
export type SplitName = 'train' | 'validation';
/** A P001 / cap001 slice is lesion-free for training when it and this many slices either side are labelled uninfected. */
export const CLEAN_SLICE_MARGIN = 1;

export interface SegmentationSample {
  index: number;
  /** e.g. 'coronacases_org_001/50' or 'doctor/12'. */
  case: string;
  source: SegmentationSource;
  /** Patient (or, where unknown, the single slice) the sample belongs to: the split unit. */
  group: string;
  /** Volume the slice comes from (pseudo labels) — a patient may have several series. */
  volume?: string;
  /** HU tiles of a thick-slice reconstruction (v4: its name, e.g. 'thick-4.0mm'; `slice` is then the slab) or of the dependent-density variant (v5: 'dependent-density'). */
  reconstruction?: string;
  slice: number;
  split: SplitName;
  /** Image path relative to the data folder. */
  file: string;
  /** Original image size [width, height]. */
  sizePx: [number, number];
  neighbours: 'adjacent-slices' | 'centre-repeated';
  /** Infection pixels in the tile / in the original mask. */
  lesionPixelsTile: number;
  lesionPixelsOriginal: number;
}

export interface SegmentationSplit {
  unit: string;
  seed: number;
  train: string[];
  validation: string[];
  /** Sources used only to evaluate candidate recall, never for training. */
  evaluationOnly: Array<{ source: string; why: string }>;
}

export interface ExportSegmentationOptions {
  /** The shared data folder (with infnet-semiseg/). */
  dataDir: string;
  outDir: string;
  tileSize?: number;
  validationGroups?: number;
  seed?: number;
  /** At most this many slices per volume / doctor slices (quick runs and tests); default all. */
  limitPerVolume?: number;
  /** Add the HU volumes of patient-split.ts found under dataDir (default true). */
  includeHu?: boolean;
  /** Add one synthetic-lesion copy of every clean HU training slice (src/dataset/synthetic-lesions.ts; default true). */
  syntheticLesions?: boolean;
  /**
   * Add the lesion-free training CTs once more with a drawn emphysema (emphysema.ts), empty masks (default
   * false here; `train:candidates` turns it on). Tried at 24 epochs for segmenter 6.0.0 and not adopted: at
   * the lesion threshold it needs on lesion-free CT it measured less of every infected CT; trained 96 epochs it
   * is segmenter 8.0.0, and `train:candidates --no-emphysema-negatives` reproduces 7.0.0 (README).
   */
  emphysemaNegatives?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface SegmentationDatasetSummary {
  outDir: string;
  samples: number;
  tileSize: number;
  channels: number;
  bySplit: Record<SplitName, number>;
  bySource: Record<string, number>;
  groups: { train: number; validation: number };
}

/** Deterministic shuffle (mulberry32), so the split is reproducible from the seed. */
function seededShuffle<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Patient of a COVID-19-CT-Seg volume name: Radiopaedia series of one case number are one patient. */
export function pseudoPatientGroup(volume: string): string {
  const rp = /^radiopaedia_org_covid-19-pneumonia-(\d+)_/.exec(volume);
  if (rp) return `radiopaedia-case-${rp[1]}`;
  return volume;
}

interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

async function readGrey(file: string): Promise<GreyImage> {
  try {
    const { data, info } = await sharp(file).greyscale().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new InputError('DATASET_BAD_MASK', `${file}: cannot decode mask image (${(e as Error).message})`, { path: file, cause: e });
  }
}

interface SliceSource {
  image: string;
  mask: string;
  source: SegmentationSource;
  volume?: string;
  group: string;
  slice: number;
  caseId: string;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    throw new InputError('DATASET_MISSING', `${dir}: cannot list folder (${(e as NodeJS.ErrnoException).code}); expected the COVID-SemiSeg layout of ../shared/data/README.md`, { path: dir, cause: e });
  }
}

async function discover(dataDir: string, limit: number): Promise<{ volumes: Map<string, SliceSource[]>; doctor: SliceSource[] }> {
  const pseudoImgs = join(dataDir, PSEUDO_DIR, 'Imgs');
  const volumes = new Map<string, SliceSource[]>();
  for (const name of await listDir(pseudoImgs)) {
    const m = PSEUDO_NAME.exec(name);
    if (!m) continue;
    const volume = m[1];
    const slice = Number(m[2]);
    const list = volumes.get(volume) ?? [];
    list.push({
      image: join(pseudoImgs, name),
      mask: join(dataDir, PSEUDO_DIR, 'GT', name.replace(/\.jpg$/, '.png')),
      source: 'infnet-pseudo',
      volume,
      group: pseudoPatientGroup(volume),
      slice,
      caseId: `${volume}/${slice}`,
    });
    volumes.set(volume, list);
  }
  for (const list of volumes.values()) {
    list.sort((a, b) => a.slice - b.slice);
    if (list.length > limit) list.splice(limit);
  }
  const doctorImgs = join(dataDir, DOCTOR_DIR, 'Imgs');
  const doctor: SliceSource[] = [];
  for (const name of await listDir(doctorImgs)) {
    const m = /^(\d+)\.jpg$/.exec(name);
    if (!m) continue;
    const slice = Number(m[1]);
    doctor.push({
      image: join(doctorImgs, name),
      mask: join(dataDir, DOCTOR_DIR, 'GT', `${slice}.png`),
      source: 'infnet-doctor',
      group: `medseg-slice-${slice}`,
      slice,
      caseId: `doctor/${slice}`,
    });
  }
  doctor.sort((a, b) => a.slice - b.slice);
  if (doctor.length > limit) doctor.splice(limit);
  if (volumes.size === 0 && doctor.length === 0) {
    throw new InputError('DATASET_EMPTY', `${join(dataDir, 'infnet-semiseg')}: no Data-1_<volume>_<slice>.jpg or <n>.jpg slices found`, { path: dataDir });
  }
  return { volumes, doctor };
}

interface RunningStats {
  n: number;
  sum: number;
  sumSq: number;
  histogram: Uint32Array;
}
const HIST_BINS = 100;
function newStats(): RunningStats {
  return { n: 0, sum: 0, sumSq: 0, histogram: new Uint32Array(HIST_BINS) };
}
function addStats(s: RunningStats, v: Float32Array): void {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    s.n++;
    s.sum += x;
    s.sumSq += x * x;
    s.histogram[Math.min(HIST_BINS - 1, Math.floor(x * HIST_BINS))]++;
  }
}
function summarise(s: RunningStats): Record<string, number> {
  const mean = s.sum / Math.max(1, s.n);
  const pct = (p: number) => {
    let acc = 0;
    for (let b = 0; b < HIST_BINS; b++) {
      acc += s.histogram[b];
      if (acc >= p * s.n) return (b + 0.5) / HIST_BINS;
    }
    return 1;
  };
  return { voxels: s.n, mean, std: Math.sqrt(Math.max(0, s.sumSq / Math.max(1, s.n) - mean * mean)), p01: pct(0.01), p50: pct(0.5), p99: pct(0.99) };
}

/** Mean absolute difference of two tiles (the neighbour-adjacency check). */
function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/**
 * Voxel z of each DICOM file's InstanceNumber, from its ImagePositionPatient through the volume's
 * geometry (file names are not in slice order). The headers are the DICOM reader's (`scanDicom`:
 * the series `readVolume` chose), so the exporter parses no DICOM of its own.
 */
export async function instanceNumberToZ(dir: string, volume: Pick<Volume, 'originMm' | 'spacingMm' | 'direction'>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const { slices } = await scanDicom(dir);
  for (const [, h] of slices) {
    if (h.instanceNumber === undefined || !h.positionMm) continue;
    out.set(h.instanceNumber, Math.round(patientToVoxel(volume, h.positionMm)[2]));
  }
  return out;
}

/**
 * Infected voxel slices of a COVID-CT-MD case from labels.csv (`case, diagnosis, slice_index,
 * instance_number, infected, …`): the instance_number column is matched to the DICOM
 * InstanceNumber (the data README: slice_index k = InstanceNumber k + 1; checked in the
 * fingerprint: P001's infected slices form the contiguous run a real lesion gives).
 */
export async function covidCtMdSliceLabels(dataDir: string, caseId: string, volume: Volume): Promise<{ infected: boolean[]; labelled: number }> {
  const text = await readFile(join(dataDir, 'covid-ct-md', 'labels.csv'), 'utf8');
  const zOf = await instanceNumberToZ(join(dataDir, 'covid-ct-md', caseId), volume);
  const infected = new Array<boolean>(volume.dims[2]).fill(false);
  let labelled = 0;
  for (const line of text.trim().split('\n').slice(1)) {
    const cols = line.split(',');
    if (cols[0] !== caseId) continue;
    const z = zOf.get(Number(cols[3]));
    if (z === undefined || z < 0 || z >= infected.length) continue;
    labelled++;
    if (cols[4] === '1') infected[z] = true;
  }
  return { infected, labelled };
}

interface HuTileSample {
  entry: HuVolumeEntry;
  source: SegmentationSource;
  z: number;
  reconstruction?: string;
  channels: Float32Array[];
  mask: Uint8Array;
  lesionPixelsOriginal: number;
  sizePx: [number, number];
}

export interface HuVolumeReport {
  group: string;
  split: SplitName;
  kind: HuVolumeEntry['kind'];
  slices: number;
  lungSlices: number;
  tiles: number;
  tilesWithLesion: number;
  infectedSlices?: number;
  labelledSlices?: number;
  /** Infected slice z runs (labels.csv), to check the instance-number mapping by eye. */
  infectedRuns?: Array<[number, number]>;
  /** Extra training tiles of this volume's clean slices with synthetic lesions (v3). */
  syntheticTiles?: number;
  /** A thick-slice reconstruction of the volume (v4, reconstruction.ts), e.g. 'thick-4.0mm'; absent: as acquired. */
  reconstruction?: string;
  skipped?: string;
}

function runsOf(flags: readonly boolean[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let z = 0; z < flags.length; z++) {
    if (!flags[z]) continue;
    if (out.length && out[out.length - 1][1] === z - 1) out[out.length - 1][1] = z;
    else out.push([z, z]);
  }
  return out;
}

const sourceOfHu = (path: string): SegmentationSource => (path.startsWith('covid-ct-md') ? 'covid-ct-md' : path.startsWith('lidc-idri') ? 'lidc-idri' : 'tb-lesions');

/**
 * Tiles of the HU volumes (patient-split.ts), cut as inference cuts them: lesion-free volumes give
 * every lung slice with an empty mask; slice-labelled ones (P001, cap001) only slices labelled
 * uninfected with CLEAN_SLICE_MARGIN clean neighbours; TB volumes every lung slice with its mask.
 */
async function huVolumeTiles(dataDir: string, s: number, limit: number, synthetic: boolean, emphysemaNegatives: boolean): Promise<{ tiles: HuTileSample[]; reports: HuVolumeReport[] }> {
  const tiles: HuTileSample[] = [];
  const reports: HuVolumeReport[] = [];
  const tileLen = s * s;
  for (const entry of HU_VOLUMES) {
    if (entry.kind === 'covid-unmasked') continue;
    const path = join(dataDir, entry.path);
    if (!existsSync(path)) continue;
    const volume = await readVolume(path);
    const nz = volume.dims[2];
    const report: HuVolumeReport = { group: entry.group, split: entry.split, kind: entry.kind, slices: nz, lungSlices: 0, tiles: 0, tilesWithLesion: 0 };
    reports.push(report);
    let lungMask: Uint8Array;
    try {
      lungMask = extractLungs(volume).mask;
    } catch (e) {
      report.skipped = `lung extraction failed: ${(e as Error).message}`;
      continue;
    }
    let truth: Uint8Array | null = null;
    let keep: (z: number) => boolean = () => true;
    let infectedFlags: boolean[] | null = null;
    if (entry.kind === 'tb-masked') {
      const m = await readNifti(path.replace(/\.nii\.gz$/, '-msk.nii.gz'));
      truth = Uint8Array.from(m.data as ArrayLike<number>, (v) => (v > 0.5 ? 1 : 0));
    } else if (entry.kind === 'slice-labelled') {
      const caseId = entry.path.split('/')[1];
      const { infected, labelled } = await covidCtMdSliceLabels(dataDir, caseId, volume);
      report.infectedSlices = infected.filter(Boolean).length;
      report.labelledSlices = labelled;
      report.infectedRuns = runsOf(infected);
      infectedFlags = infected;
      keep = (z) => {
        for (let d = -CLEAN_SLICE_MARGIN; d <= CLEAN_SLICE_MARGIN; d++) if (infected[Math.min(nz - 1, Math.max(0, z + d))]) return false;
        return true;
      };
    }
    const cut = (v: Volume, mask: Uint8Array, keepZ: (z: number) => boolean, rep: HuVolumeReport, reconstruction?: string) => {
      const [vx, vy, vz] = v.dims;
      const boxes = lungSliceBoxes(mask, v.dims, v.spacingMm, LUNG_BOX_MARGIN_MM);
      const scratch = new Float32Array(vy * s);
      const maskTile = new Float32Array(tileLen);
      for (let z = 0; z < vz; z++) {
        const box = boxes[z];
        if (!box) continue;
        rep.lungSlices++;
        if (!keepZ(z) || rep.tiles >= limit) continue;
        const channels = SEGMENTER_SLICE_OFFSETS.map((o) => {
          const zz = Math.min(vz - 1, Math.max(0, z + o));
          const t = new Float32Array(tileLen);
          extractTile({ data: v.data, width: vx, height: vy, offset: vx * vy * zz }, box, s, t, 0, scratch);
          return t;
        });
        const tileMask = new Uint8Array(tileLen);
        let orig = 0;
        if (truth && !reconstruction) {
          for (let i = vx * vy * z; i < vx * vy * (z + 1); i++) orig += truth[i];
          if (orig > 0) {
            extractTile({ data: truth, width: vx, height: vy, offset: vx * vy * z }, box, s, maskTile, 0, scratch, null);
            for (let i = 0; i < tileLen; i++) tileMask[i] = maskTile[i] >= TILE_MASK_THRESHOLD ? 1 : 0;
          }
        }
        tiles.push({ entry, source: sourceOfHu(entry.path), z, reconstruction, channels, mask: tileMask, lesionPixelsOriginal: orig, sizePx: [vx, vy] });
        rep.tiles++;
        if (tileMask.some((x) => x)) rep.tilesWithLesion++;
        // v3: the same lesion-free TRAINING slice once more with synthetic lesions inserted (synthetic-lesions.ts)
        if (synthetic && entry.split === 'train' && entry.kind !== 'tb-masked') {
          const slab = { data: v.data, dims: v.dims, spacingMm: v.spacingMm, lungMask: mask };
          const seed = syntheticSeed(reconstruction ? `${entry.group}/${reconstruction}` : entry.group, z);
          const specs = drawLesionSpecs(slab, z, seed, 1 + (seed % SYNTHETIC_MAX_LESIONS));
          if (specs.length === 0) continue;
          const ins = insertLesions(slab, z, specs, SEGMENTER_SLICE_OFFSETS);
          const centre = SEGMENTER_SLICE_OFFSETS.indexOf(0);
          const synChannels = ins.slices.map((hu) => {
            const t = new Float32Array(tileLen);
            extractTile({ data: hu, width: vx, height: vy, offset: 0 }, box, s, t, 0, scratch);
            return t;
          });
          const synMask = new Uint8Array(tileLen);
          let synOrig = 0;
          for (const x of ins.masks[centre]) synOrig += x;
          if (synOrig > 0) {
            extractTile({ data: ins.masks[centre], width: vx, height: vy, offset: 0 }, box, s, maskTile, 0, scratch, null);
            for (let i = 0; i < tileLen; i++) synMask[i] = maskTile[i] >= TILE_MASK_THRESHOLD ? 1 : 0;
          }
          tiles.push({ entry, source: 'synthetic-hu', z, reconstruction, channels: synChannels, mask: synMask, lesionPixelsOriginal: synOrig, sizePx: [vx, vy] });
          rep.syntheticTiles = (rep.syntheticTiles ?? 0) + 1;
        }
      }
    };
    cut(volume, lungMask, keep, report);
    // v4: a thick-slice reconstruction (means of k slices, ≤ THICK_SLICE_MM) of every lesion-free or
    // slice-labelled volume, as CT is often read (reconstruction.ts); TB volumes are 4.5 mm already
    const reconstructed = entry.kind === 'tb-masked' ? null : thickReconstruction(volume);
    if (reconstructed) {
      const { volume: thick, k, name } = reconstructed;
      const thickReport: HuVolumeReport = { group: entry.group, split: entry.split, kind: entry.kind, reconstruction: name, slices: thick.dims[2], lungSlices: 0, tiles: 0, tilesWithLesion: 0 };
      reports.push(thickReport);
      let thickLungs: Uint8Array | null = null;
      try {
        thickLungs = extractLungs(thick).mask;
      } catch (e) {
        thickReport.skipped = `lung extraction failed: ${(e as Error).message}`;
      }
      if (thickLungs) {
        let keepThick: (z: number) => boolean = () => true;
        if (infectedFlags) {
          const flags = thickSliceFlags(infectedFlags, k);
          thickReport.infectedSlices = flags.filter(Boolean).length;
          keepThick = (z) => {
            for (let d = -CLEAN_SLICE_MARGIN; d <= CLEAN_SLICE_MARGIN; d++) if (flags[Math.min(flags.length - 1, Math.max(0, z + d))]) return false;
            return true;
          };
        }
        cut(thick, thickLungs, keepThick, thickReport, name);
      }
    }
    // v5: lesion-free TRAINING volumes once more with simulated dependent density (dependent-density.ts,
    // a seeded draw per volume), empty masks (and synthetic lesions on top, as on every clean training
    // slice): the posterior band of a supine patient is not a lesion
    if (synthetic && entry.kind === 'lesion-free' && entry.split === 'train') {
      const dependent = dependentDensity(volume, lungMask, drawDependentDensity(syntheticSeed(`${entry.group}/${DEPENDENT_DENSITY_NAME}`, 0)));
      const depReport: HuVolumeReport = { group: entry.group, split: entry.split, kind: entry.kind, reconstruction: DEPENDENT_DENSITY_NAME, slices: nz, lungSlices: 0, tiles: 0, tilesWithLesion: 0 };
      reports.push(depReport);
      // the lung mask of the volume as acquired: the band is inside the lungs, where lesions would be
      cut(dependent, lungMask, () => true, depReport, DEPENDENT_DENSITY_NAME);
    }
    // segmenter 8.0.0 (train:candidates' default): once more with simulated emphysema (emphysema.ts, the classifier
    // export's draw for the same volume), empty masks: lung destroyed towards air is not a lesion
    if (emphysemaNegatives && synthetic && entry.kind === 'lesion-free' && entry.split === 'train') {
      const destroyed = emphysema(volume, lungMask, drawEmphysema(syntheticSeed(`${entry.group}/${EMPHYSEMA_NAME}`, 0)));
      const empReport: HuVolumeReport = { group: entry.group, split: entry.split, kind: entry.kind, reconstruction: EMPHYSEMA_NAME, slices: nz, lungSlices: 0, tiles: 0, tilesWithLesion: 0 };
      reports.push(empReport);
      cut(destroyed, lungMask, () => true, empReport, EMPHYSEMA_NAME);
    }
  }
  return { tiles, reports };
}

export async function exportSegmentationDataset(options: ExportSegmentationOptions): Promise<SegmentationDatasetSummary> {
  const { dataDir, outDir } = options;
  const s = options.tileSize ?? SEGMENTER_TILE_SIZE;
  const seed = options.seed ?? 1;
  const nVal = options.validationGroups ?? DEFAULT_VALIDATION_GROUPS;
  if (!existsSync(join(dataDir, 'infnet-semiseg'))) {
    throw new InputError('DATASET_MISSING', `${dataDir}: no infnet-semiseg/ folder; pass --data pointing at the shared data folder (../shared/data)`, { path: dataDir });
  }
  const { volumes, doctor } = await discover(dataDir, options.limitPerVolume ?? Infinity);

  // patient-level split (patient-split.ts): the fixed held-out COVID-19-CT-Seg patients; every
  // doctor slice to validation. Only data holding none of them (synthetic test data) falls back
  // to drawing `validationGroups` patients by seed, stratified by origin (coronacases vs Radiopaedia).
  const pseudoGroups = [...new Set([...volumes.keys()].map(pseudoPatientGroup))].sort();
  const valPseudo = new Set<string>(pseudoGroups.filter(isValidationPseudoPatient));
  const fixedSplit = valPseudo.size > 0;
  if (!fixedSplit) {
    const families = ['radiopaedia', 'other'].map((f) => seededShuffle(pseudoGroups.filter((g) => (f === 'radiopaedia') === g.startsWith('radiopaedia')), seed));
    const maxVal = Math.min(nVal, Math.max(0, pseudoGroups.length - 1));
    for (let k = 0; valPseudo.size < maxVal; k++) {
      const fam = families[k % 2].length > 0 ? families[k % 2] : families[(k + 1) % 2];
      const g = fam.shift();
      if (g !== undefined) valPseudo.add(g);
    }
  }
  const hu = options.includeHu === false ? { tiles: [], reports: [] } : await huVolumeTiles(dataDir, s, options.limitPerVolume ?? Infinity, options.syntheticLesions ?? true, options.emphysemaNegatives ?? false);
  const splitOf = (g: string, src: SegmentationSource): SplitName => (src === 'infnet-doctor' || valPseudo.has(g) ? 'validation' : 'train');

  const c = SEGMENTER_SLICE_OFFSETS.length;
  const tileLen = s * s;
  const total = [...volumes.values()].reduce((a, l) => a + l.length, 0) + doctor.length + hu.tiles.length;
  const inputs = new Float32Array(total * c * tileLen);
  const masks = new Uint8Array(total * tileLen);
  const samples: SegmentationSample[] = [];
  const intensity: Record<string, RunningStats> = {};
  const adjacency: Array<{ volume: string; meanAbsDiffGap1: number; meanAbsDiffGap2: number; adjacent: boolean }> = [];
  const sizes: Record<string, { minW: number; maxW: number; minH: number; maxH: number }> = {};
  const maskTile = new Float32Array(tileLen);
  let done = 0;

  const tileOf = async (file: string): Promise<{ tile: Float32Array; width: number; height: number }> => {
    const vol = await readImageAsPseudoHu(file);
    const [w, h] = vol.dims;
    const tile = new Float32Array(tileLen);
    extractTile({ data: vol.data, width: w, height: h, offset: 0 }, { x0: 0, y0: 0, x1: w - 1, y1: h - 1 }, s, tile, 0);
    return { tile, width: w, height: h };
  };

  const addSample = async (src: SliceSource, channels: Float32Array[], size: [number, number], neighbours: SegmentationSample['neighbours']) => {
    const k = samples.length;
    channels.forEach((t, ch) => inputs.set(t, (k * c + ch) * tileLen));
    const grey = await readGrey(src.mask);
    if (grey.width !== size[0] || grey.height !== size[1]) {
      throw new InputError('DATASET_MASK_SIZE', `${src.mask}: mask is ${grey.width}×${grey.height} but its image ${src.image} is ${size[0]}×${size[1]}`, { path: src.mask });
    }
    const bin = new Uint8Array(grey.data.length);
    let orig = 0;
    for (let i = 0; i < bin.length; i++) {
      bin[i] = grey.data[i] >= MASK_GREY_THRESHOLD ? 1 : 0;
      orig += bin[i];
    }
    extractTile({ data: bin, width: grey.width, height: grey.height, offset: 0 }, { x0: 0, y0: 0, x1: grey.width - 1, y1: grey.height - 1 }, s, maskTile, 0, undefined, null);
    let px = 0;
    for (let i = 0; i < tileLen; i++) {
      const v = maskTile[i] >= TILE_MASK_THRESHOLD ? 1 : 0;
      masks[k * tileLen + i] = v;
      px += v;
    }
    const split = splitOf(src.group, src.source);
    samples.push({
      index: k,
      case: src.caseId,
      source: src.source,
      group: src.group,
      ...(src.volume ? { volume: src.volume } : {}),
      slice: src.slice,
      split,
      file: relative(dataDir, src.image),
      sizePx: size,
      neighbours,
      lesionPixelsTile: px,
      lesionPixelsOriginal: orig,
    });
    const key = `${src.source}`;
    intensity[key] ??= newStats();
    addStats(intensity[key], channels[Math.floor(c / 2)]);
    const sz = (sizes[key] ??= { minW: Infinity, maxW: 0, minH: Infinity, maxH: 0 });
    sz.minW = Math.min(sz.minW, size[0]);
    sz.maxW = Math.max(sz.maxW, size[0]);
    sz.minH = Math.min(sz.minH, size[1]);
    sz.maxH = Math.max(sz.maxH, size[1]);
    options.onProgress?.(++done, total);
  };

  for (const [volume, list] of [...volumes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const tiles: Array<{ tile: Float32Array; width: number; height: number }> = [];
    for (const src of list) tiles.push(await tileOf(src.image));
    // neighbours are the slices numbered ±1 when present; otherwise the centre is repeated (as slidingWindow does at the volume's ends)
    const bySlice = new Map(list.map((src, i) => [src.slice, i]));
    for (let i = 0; i < list.length; i++) {
      const src = list[i];
      const prev = bySlice.get(src.slice - 1);
      const next = bySlice.get(src.slice + 1);
      const channels = SEGMENTER_SLICE_OFFSETS.map((o) => (o < 0 ? tiles[prev ?? i] : o > 0 ? tiles[next ?? i] : tiles[i]).tile);
      await addSample(src, channels, [tiles[i].width, tiles[i].height], prev === undefined && next === undefined ? 'centre-repeated' : 'adjacent-slices');
    }
    if (tiles.length >= 3) {
      let g1 = 0, g2 = 0;
      for (let i = 0; i + 1 < tiles.length; i++) g1 += meanAbsDiff(tiles[i].tile, tiles[i + 1].tile) / (tiles.length - 1);
      for (let i = 0; i + 2 < tiles.length; i++) g2 += meanAbsDiff(tiles[i].tile, tiles[i + 2].tile) / (tiles.length - 2);
      adjacency.push({ volume, meanAbsDiffGap1: g1, meanAbsDiffGap2: g2, adjacent: g1 < g2 });
    }
  }
  for (const src of doctor) {
    const t = await tileOf(src.image);
    await addSample(src, SEGMENTER_SLICE_OFFSETS.map(() => t.tile), [t.width, t.height], 'centre-repeated');
  }
  for (const h of hu.tiles) {
    const k = samples.length;
    h.channels.forEach((t, ch) => inputs.set(t, (k * c + ch) * tileLen));
    masks.set(h.mask, k * tileLen);
    let px = 0;
    for (let i = 0; i < tileLen; i++) px += h.mask[i];
    samples.push({ index: k, case: h.reconstruction ? `${h.entry.group}/${h.reconstruction}/${h.z}` : `${h.entry.group}/${h.z}`, source: h.source, group: h.entry.group, ...(h.reconstruction ? { reconstruction: h.reconstruction } : {}), slice: h.z, split: h.entry.split, file: h.entry.path, sizePx: h.sizePx, neighbours: 'adjacent-slices', lesionPixelsTile: px, lesionPixelsOriginal: h.lesionPixelsOriginal });
    intensity[h.source] ??= newStats();
    addStats(intensity[h.source], h.channels[Math.floor(c / 2)]);
    options.onProgress?.(++done, total);
  }

  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'inputs.f32'), Buffer.from(inputs.buffer, inputs.byteOffset, inputs.byteLength));
  await writeFile(join(outDir, 'masks.u8'), masks);
  const layout = { tileSize: s, channels: c, sliceOffsets: SEGMENTER_SLICE_OFFSETS, inputs: 'inputs.f32', masks: 'masks.u8', dtype: { inputs: 'float32-le', masks: 'uint8' } };
  await writeFile(join(outDir, 'index.json'), JSON.stringify({ ...layout, dataDir, samples }, null, 1));

  const groupsBySplit = { train: new Set<string>(), validation: new Set<string>() };
  for (const x of samples) groupsBySplit[x.split].add(x.group);
  const split: SegmentationSplit = {
    unit: `patient (COVID-19-CT-Seg case; Radiopaedia series of one case number together; HU volumes by patient); MedSeg Doctor-label slices have no patient id and are all in validation; ${fixedSplit ? 'held-out patients fixed in src/dataset/patient-split.ts (shared with the classifier)' : 'held-out pseudo-label patients drawn by seed (data without the fixed validation patients)'}`,
    seed,
    train: [...groupsBySplit.train].sort(),
    validation: [...groupsBySplit.validation].sort(),
    evaluationOnly: [
      { source: 'covid-ct-md', why: 'P001 / cap001 infected slices: slice labels only, no voxel masks: slice-level recall check (their clean slices train with empty masks)' },
      { source: 'radiopaedia-covid', why: 'no masks: case-level check' },
      { source: 'ricord-1a', why: 'COVID-19 without masks, held out: candidate check on another scanner' },
    ],
  };
  await writeFile(join(outDir, 'split.json'), JSON.stringify(split, null, 1));

  const count = (pred: (x: SegmentationSample) => boolean) => samples.filter(pred).length;
  const bySource: Record<string, number> = {};
  for (const x of samples) bySource[x.source] = (bySource[x.source] ?? 0) + 1;
  const fingerprint = {
    ...layout,
    samples: samples.length,
    counts: Object.fromEntries(
      (['infnet-pseudo', 'infnet-doctor', 'covid-ct-md', 'lidc-idri', 'tb-lesions', 'synthetic-hu'] as const).map((src) => [
        src,
        {
          train: count((x) => x.source === src && x.split === 'train'),
          validation: count((x) => x.source === src && x.split === 'validation'),
          withLesion: count((x) => x.source === src && x.lesionPixelsTile > 0),
          lesionPixelFraction: samples.filter((x) => x.source === src).reduce((a, x) => a + x.lesionPixelsTile, 0) / Math.max(1, count((x) => x.source === src) * tileLen),
        },
      ]),
    ),
    groups: { train: split.train.length, validation: split.validation.length },
    huVolumes: hu.reports,
    intensityAfterLungWindow: Object.fromEntries(Object.entries(intensity).map(([k, v]) => [k, summarise(v)])),
    originalSizePx: sizes,
    neighbourAdjacencyCheck: {
      rule: 'mean |Δ| of tiles numbered 1 apart must be below that of tiles 2 apart if consecutive numbers are adjacent slices',
      volumes: adjacency,
      allAdjacent: adjacency.every((a) => a.adjacent),
    },
  };
  await writeFile(join(outDir, 'fingerprint.json'), JSON.stringify(fingerprint, null, 1));
  return {
    outDir,
    samples: samples.length,
    tileSize: s,
    channels: c,
    bySplit: { train: count((x) => x.split === 'train'), validation: count((x) => x.split === 'validation') },
    bySource,
    groups: { train: split.train.length, validation: split.validation.length },
  };
}
