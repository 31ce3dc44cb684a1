/**
 * `ctscreen dataset patches`: turns ../shared/data into classifier training tensors (§2.4), all
 * preprocessing in TypeScript, through the same `cutPatch` / `extractPatches` that screening uses.
 *
 *   exportPatchDataset(options): Promise<PatchExportResult>
 *
 * Lungs and candidates of the CT volumes come from the stages screening uses: `extractLungs` +
 * `volumeEdgeDistance` (src/lung), BOTH candidate generators screening offers (the learned
 * segmenter, screening's default, and the classical HU bands), each followed by
 * `splitLargeCandidates` (≤ 50 mm sub-cubes) and merged without near-duplicates, so training patches
 * are cut exactly as screening cuts them, whichever generator it runs.
 *
 * Label policy (what the public data offers; see LABEL_POLICY, copied into the index and the cards):
 * - covid19: COVID-SemiSeg infection-mask components (50 doctor slices + the 1600 model-made pseudo
 *   label slices, whose diagnosis is certain but whose mask outlines are a model's) and candidate
 *   sub-cubes of COVID-CT-MD P001 whose patch slices are all labelled infected;
 * - other_pneumonia: the same for COVID-CT-MD cap001 (the only CAP patient), and the 2-D lesion
 *   components of the 3 TB volumes;
 * - irrelevant: lung boxes away from every mask (COVID-SemiSeg, TB) and candidate sub-cubes wholly
 *   on uninfected slices (P001, cap001, normal001) or on the lesion-free LIDC-IDRI slabs (v3:
 *   hard negatives mined with the real candidate stage, nodules included).
 * - v5: every HU CT volume a second time as its thick-slice reconstruction (means of k slices,
 *   ≤ 5 mm; reconstruction.ts), mined the same way with the slice labels carried to the slabs.
 * - v6: the lesion-free training volumes (normal001, LIDC-IDRI-0001) a third time with simulated
 *   supine dependent density (dependent-density.ts), their candidates mined as irrelevant.
 * - v7: and with simulated emphysema (emphysema.ts). v8: and SOLID_MASS_DRAWS times with 2–4 simulated
 *   solid masses (solid-mass.ts, tumour stand-ins): each mass's box and the candidates near it are irrelevant.
 * The split is the fixed one shared with the segmenter (dataset/patient-split.ts).
 * Radiopaedia COVID stacks carry case-level labels only (no lesion location): not used for patches.
 */
import { mulberry32 } from '../core/random.ts';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { CLASSIFIER_CLASSES } from '../core/classes.ts';
import { InputError } from '../core/errors.ts';
import type { Box3, Volume } from '../core/volume.ts';
import { classicalCandidates } from '../candidates/classical.ts';
import { HU_VOLUMES, isValidationPseudoPatient, SPLIT_RATIONALE } from './patient-split.ts';
import { covidCtMdSliceLabels, DEPENDENT_DENSITY_NAME, EMPHYSEMA_NAME, SOLID_MASSES_NAME, syntheticSeed } from './segmentation.ts';
import { dependentDensity, drawDependentDensity } from './dependent-density.ts';
import { drawEmphysema, emphysema } from './emphysema.ts';
import { drawSolidMasses, solidMassBox, SPICULE_REACH_MM, withSolidMasses, type SolidMassSpec } from './solid-mass.ts';
import type { LearnedRunOptions } from '../candidates/learned.ts';
import type { CandidateGenerator, CandidateGeneratorId, CandidateSet } from '../candidates/types.ts';
import { labelComponents3d, componentStats } from '../core/ndimage/connected-components.ts';
import { DEFAULT_MAX_SIDE_MM, splitLargeCandidates } from '../candidates/split-large.ts';
import { readImageAsPseudoHu, SINGLE_SLICE_EXTENT_MM } from '../io/image-stack.ts';
import { readNifti } from '../io/nifti.ts';
import { readVolume } from '../io/read.ts';
import { thickReconstruction, thickSliceFlags } from './reconstruction.ts';
import { volumeEdgeDistance } from '../lung/distance-from-edge.ts';
import { extractLungs } from '../lung/extract-lungs.ts';
import { label2d } from '../core/ndimage/morphology.ts';
import { cutPatch, cropSideMm } from '../classify/extract-patches.ts';
import { imageSliceLungMask } from './image-slice-lungs.ts';
import { makeGroupSplit, writePatchDataset, type PatchDatasetFingerprint, type PatchSample, type PatchSplit } from './patch-format.ts';
import { DEFAULT_PATCH_SPEC, type PatchSpec } from '../classify/patch-spec.ts';

/** COVID-SemiSeg slices are cropped to the body and resized; their longer side is taken to span what screening assumes for one slice. */
export const INFNET_BODY_EXTENT_MM = SINGLE_SLICE_EXTENT_MM;
/** Mask components smaller than this are outline noise, mm². */
export const MIN_LESION_AREA_MM2 = 25;
/** Boxes of irrelevant samples drawn with sides in this range, mm (the size range of the infection boxes). */
export const IRRELEVANT_BOX_MM: readonly [number, number] = [8, 40];
/** An irrelevant box keeps at least this distance from any infection mask, mm. */
export const IRRELEVANT_CLEARANCE_MM = 10;
/** TB mask components smaller than this are outline noise, mL. */
export const MIN_TB_COMPONENT_ML = 0.05;
/** Two candidate boxes whose 3-D IoU reaches this are one region seen by both generators: keep one. */
export const DUPLICATE_BOX_IOU = 0.5;
/** A TB candidate with at least this share of its box on the lesion mask is other_pneumonia; one touching none is irrelevant; between: dropped. */
export const TB_CANDIDATE_LESION_FRACTION = 0.1;
/** The classical generator's cap before splitting: the paper averages ~6 cubes per CT, diffuse disease gives more. */
export const EXPORT_MAX_COMPONENTS = 100;
/** v8: simulated-solid-mass volumes per lesion-free training CT (2–4 masses each). */
export const SOLID_MASS_DRAWS = 3;
/** v8: a candidate of a mass volume is mined when its box comes within this of a mass's lobules: as far as its spicules reach. */
export const SOLID_MASS_NEAR_MM = SPICULE_REACH_MM;

export interface PatchExportLimits {
  /** COVID-SemiSeg pseudo-label slices per volume (evenly spaced among slices with infection). */
  pseudoSlicesPerVolume: number;
  /** Infection components per slice (largest first). */
  lesionsPerSlice: number;
  /** Irrelevant boxes per 2-D slice. */
  irrelevantPerSlice: number;
  /** Candidate cubes per class and volume (COVID-CT-MD, TB). */
  cubesPerVolume: number;
  /** Slices cut from each irrelevant candidate sub-cube of a CT (hard negatives; centre ± 1 plus evenly spaced ones). */
  irrelevantSlicesPerCube: number;
  /** Random lung boxes on uninfected CT slices (easy negatives: normal lung on DICOM HU), per volume. */
  lungBoxesPerVolume: number;
  /** Irrelevant lung boxes per TB lesion cube. */
  tbIrrelevantPerLesion: number;
  /**
   * Candidate cubes per class and TB volume (on / off the lesion mask). 0 by default: at 40, M2's
   * validation patch macro-F1 on the v2.1 patches fell 0.719 → 0.687 and 2 of 5 Radiopaedia stacks
   * were decided other_pneumonia (0 at 0), measured 2026-11-26 on 2 cores.
   */
  tbCandidatesPerClass: number;
}

/**
 * v2.1: irrelevant examples were raised (4 boxes per 8-bit slice, 7 slices per irrelevant CT
 * sub-cube, 60 lung boxes per CT, 2 per TB lesion cube): with the ×3 infection oversampling (§2.4)
 * and fewer irrelevant than infection patches, v2.0 recalled only 0.46 of the validation irrelevant
 * patches and called half of normal001's (training) regions infections. The paper's data had many
 * more irrelevant cubes than infections, which the ×3 was meant to balance.
 */
export const DEFAULT_EXPORT_LIMITS: PatchExportLimits = { pseudoSlicesPerVolume: 10, lesionsPerSlice: 3, irrelevantPerSlice: 4, cubesPerVolume: 120, irrelevantSlicesPerCube: 7, lungBoxesPerVolume: 60, tbIrrelevantPerLesion: 2, tbCandidatesPerClass: 0 };

export interface PatchExportOptions {
  dataDir: string;
  outDir: string;
  seed?: number;
  spec?: PatchSpec;
  limits?: Partial<PatchExportLimits>;
  /** The learned candidate generator (loadLearnedGenerator): its candidates join the classical ones on CT volumes; absent = classical only. */
  learned?: CandidateGenerator<LearnedRunOptions>;
  log?: (line: string) => void;
}

export interface PatchExportResult {
  fingerprint: PatchDatasetFingerprint;
  split: PatchSplit;
  count: number;
  seconds: number;
}

export const LABEL_POLICY: readonly string[] = [
  'covid19 = components of COVID-SemiSeg infection masks: doctor masks (50 MedSeg slices) and model-made pseudo masks (from 20 COVID-19-CT-Seg volumes). Pseudo masks count as covid19 at full weight: the volumes\' COVID-19 diagnosis is certain, only the outline is a model\'s. Irrelevant boxes on pseudo-label slices keep a 10 mm clearance from the pseudo mask.',
  'covid19 also = candidate sub-cubes of COVID-CT-MD P001 whose three patch slices (centre ± 1) are all labelled infected (slice labels, no masks: noisy; a candidate on an infected slice need not be the lesion).',
  'other_pneumonia = the same slice-label candidates of COVID-CT-MD cap001 (the ONLY community-acquired pneumonia patient), plus the 2-D components of the 3 TB volumes\' lesion masks on every second slice. TB counts as other_pneumonia: it is the only other infection with masks; its share and recall are reported separately per source.',
  'irrelevant = lung boxes (8–40 mm) at least 10 mm from any infection mask on COVID-SemiSeg and TB slices (4 per 8-bit slice, 2 per TB lesion cube); candidate sub-cubes wholly on uninfected slices of P001, cap001 and normal001 (all of normal001) and ALL candidate sub-cubes of the LIDC-IDRI slabs (lesion-free; nodules may be present), each cut at up to 7 slices of its z range (v3 hard-negative mining: the candidates of the screening itself, on lesion-free HU CT; v5: also on the thick-slice reconstruction of each HU volume, means of k slices ≤ 5 mm, slice labels carried to the slabs; v6: also on the lesion-free training volumes with simulated supine dependent density, a posterior subpleural band; v7: and with simulated emphysema; v8: and 3 times with 2–4 simulated solid masses of 10–40 mm, half spiculated (tumour stand-ins), the box of each mass and the candidates within 15 mm of one); and up to 60 lung boxes per COVID-CT-MD volume on slices whose neighbours are uninfected too (easy negatives). Candidates spanning infected and uninfected slices are dropped.',
  'Radiopaedia COVID stacks (case-level diagnosis only, no lesion location) are not used for patches.',
  `Candidates of the CT volumes = screening's, from BOTH generators: extractLungs, the learned segmenter (candidates-segmenter, its card's low threshold) and the classical HU-band generator (each at most ${EXPORT_MAX_COMPONENTS} components), each followed by splitLargeCandidates (sub-cubes ≤ ${DEFAULT_MAX_SIDE_MM} mm), merged round-robin with boxes of 3-D IoU ≥ ${DUPLICATE_BOX_IOU} dropped as duplicates; at most 120 cubes per class and COVID-CT-MD volume. Optionally (limits.tbCandidatesPerClass, 0 by default) the same candidates on the TB volumes, labelled by the lesion mask: ≥ ${TB_CANDIDATE_LESION_FRACTION * 100} % of the box on the mask → other_pneumonia, none → irrelevant, between → dropped.`,
  ` COVID-SemiSeg slices (body-cropped 8-bit, where extractLungs finds no lungs) use a per-slice lung mask (src/dataset/image-slice-lungs.ts) for irrelevant boxes; every distance-from-edge is the lung stage's volumeEdgeDistance.`,
];

interface Collector {
  samples: PatchSample[];
  patches: Float32Array[];
  spec: PatchSpec;
}

function addPatch(c: Collector, volume: Volume, box: Box3, z: number, distance: number, meta: Omit<PatchSample, 'distance' | 'box' | 'slice'>): void {
  const p = new Float32Array(c.spec.sizePx * c.spec.sizePx);
  cutPatch(volume, (box.min[0] + box.max[0]) / 2, (box.min[1] + box.max[1]) / 2, z, cropSideMm(box, volume.spacingMm, c.spec), c.spec, p, 0);
  c.patches.push(p);
  c.samples.push({ ...meta, distance, box, slice: z });
}

function addCube(c: Collector, volume: Volume, box: Box3, distanceAt: (x: number, y: number, z: number) => number, meta: Omit<PatchSample, 'distance' | 'box' | 'slice'>): void {
  const nz = volume.dims[2];
  const cz = Math.round((box.min[2] + box.max[2]) / 2);
  const cx = (box.min[0] + box.max[0]) / 2;
  const cy = (box.min[1] + box.max[1]) / 2;
  for (const off of c.spec.sliceOffsets) {
    const z = Math.min(nz - 1, Math.max(0, cz + off));
    addPatch(c, volume, box, z, distanceAt(cx, cy, z), meta);
  }
}

/** Slices of a cube for hard negatives: its patch slices (centre ± 1) plus up to n evenly spaced ones of its z range. */
export function negativeSlices(box: Box3, centreZ: number, offsets: readonly number[], n: number, nz: number): number[] {
  const zs = new Set(offsets.map((o) => Math.min(nz - 1, Math.max(0, centreZ + o))));
  const len = box.max[2] - box.min[2] + 1;
  for (let k = 0; k < n && zs.size < n; k++) zs.add(box.min[2] + Math.floor(((k + 0.5) * len) / n));
  return [...zs].sort((a, b) => a - b);
}

async function readGreyMask(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  const m = new Uint8Array(info.width * info.height);
  for (let i = 0; i < m.length; i++) m[i] = data[i * info.channels] > 127 ? 1 : 0;
  return { data: m, width: info.width, height: info.height };
}

/** Boxes of the 2-D components of a mask, largest first, area ≥ MIN_LESION_AREA_MM2. */
function maskBoxes2d(mask: Uint8Array, w: number, h: number, spacing: number, z: number): Box3[] {
  const cc = label2d(mask, w, h, { connectivity: 8 });
  const minX = new Int32Array(cc.count + 1).fill(w), maxX = new Int32Array(cc.count + 1).fill(-1);
  const minY = new Int32Array(cc.count + 1).fill(h), maxY = new Int32Array(cc.count + 1).fill(-1);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const k = cc.labels[y * w + x];
    if (!k) continue;
    if (x < minX[k]) minX[k] = x;
    if (x > maxX[k]) maxX[k] = x;
    if (y < minY[k]) minY[k] = y;
    if (y > maxY[k]) maxY[k] = y;
  }
  const out: Array<{ box: Box3; size: number }> = [];
  for (let k = 1; k <= cc.count; k++) {
    if (cc.sizes[k] * spacing * spacing < MIN_LESION_AREA_MM2) continue;
    out.push({ box: { min: [minX[k], minY[k], z], max: [maxX[k], maxY[k], z] }, size: cc.sizes[k] });
  }
  return out.sort((a, b) => b.size - a.size).map((o) => o.box);
}

/** Random lung boxes whose clearance zone touches no infection voxel on slice z. */
function irrelevantBoxes(lung: Uint8Array, infection: Uint8Array | null, dims: readonly number[], spacing: number, z: number, n: number, rand: () => number): Box3[] {
  const [nx, ny] = dims;
  const base = z * nx * ny;
  const lungIdx: number[] = [];
  for (let i = 0; i < nx * ny; i++) if (lung[base + i]) lungIdx.push(i);
  const out: Box3[] = [];
  for (let tries = 0; out.length < n && tries < 40 * n && lungIdx.length > 0; tries++) {
    const i = lungIdx[Math.floor(rand() * lungIdx.length)];
    const cx = i % nx, cy = Math.floor(i / nx);
    const half = Math.round(((IRRELEVANT_BOX_MM[0] + rand() * (IRRELEVANT_BOX_MM[1] - IRRELEVANT_BOX_MM[0])) / spacing) / 2);
    const box: Box3 = { min: [Math.max(0, cx - half), Math.max(0, cy - half), z], max: [Math.min(nx - 1, cx + half), Math.min(ny - 1, cy + half), z] };
    if (infection) {
      const c = Math.ceil(IRRELEVANT_CLEARANCE_MM / spacing);
      let hit = false;
      for (let y = Math.max(0, box.min[1] - c); y <= Math.min(ny - 1, box.max[1] + c) && !hit; y++) {
        for (let x = Math.max(0, box.min[0] - c); x <= Math.min(nx - 1, box.max[0] + c); x++) if (infection[base + y * nx + x]) { hit = true; break; }
      }
      if (hit) continue;
    }
    out.push(box);
  }
  return out;
}

/** COVID-SemiSeg pseudo-label volume name → patient group (two Radiopaedia series can be one patient). */
export function infnetGroup(fileName: string): { volume: string; group: string; slice: number } | null {
  const m = /^Data-1_(.+)_(\d+)\.(?:jpg|png)$/.exec(fileName);
  if (!m) return null;
  const volume = m[1];
  const cc = /^coronacases_org_(\d+)$/.exec(volume);
  const rp = /^radiopaedia_org_covid-19-pneumonia-(\d+)_/.exec(volume);
  const group = cc ? `covid19ctseg-coronacases-${cc[1]}` : rp ? `covid19ctseg-radiopaedia-${rp[1]}` : `covid19ctseg-${volume}`;
  return { volume, group, slice: Number(m[2]) };
}

async function exportInfnetSlice(c: Collector, imgPath: string, gtPath: string, meta: { case: string; group: string; labelSource: string }, limits: PatchExportLimits, rand: () => number): Promise<void> {
  const probe = await sharp(imgPath).metadata();
  const spacing = INFNET_BODY_EXTENT_MM / Math.max(probe.width ?? 1, probe.height ?? 1);
  const vol = await readImageAsPseudoHu(imgPath, { spacingMm: [spacing, spacing, 1] });
  const gt = await readGreyMask(gtPath);
  if (gt.width !== vol.dims[0] || gt.height !== vol.dims[1]) throw new InputError('DATASET_MASK_SIZE', `${gtPath}: mask is ${gt.width}×${gt.height}, image ${imgPath} is ${vol.dims[0]}×${vol.dims[1]}`, { path: gtPath });
  const lungs = imageLungs(vol);
  const common = { case: meta.case, source: 'infnet-semiseg', group: meta.group };
  maskBoxes2d(gt.data, gt.width, gt.height, spacing, 0).slice(0, limits.lesionsPerSlice).forEach((box, k) => {
    addPatch(c, vol, box, 0, lungs.distanceAt((box.min[0] + box.max[0]) / 2, (box.min[1] + box.max[1]) / 2, 0), { ...common, label: 'covid19', region: `${meta.case}#l${k}`, labelSource: meta.labelSource });
  });
  irrelevantBoxes(lungs.mask, gt.data, vol.dims, spacing, 0, limits.irrelevantPerSlice, rand).forEach((box, k) => {
    addPatch(c, vol, box, 0, lungs.distanceAt((box.min[0] + box.max[0]) / 2, (box.min[1] + box.max[1]) / 2, 0), { ...common, label: 'irrelevant', region: `${meta.case}#i${k}`, labelSource: 'away-from-mask' });
  });
}

interface Lungs {
  /** 0 background, non-zero lung, zyx. */
  mask: Uint8Array;
  distanceAt: (x: number, y: number, z: number) => number;
}

/** The lung stage, as screening runs it: mask + relative distance-from-edge (§2.5.1). */
function ctLungs(volume: Volume): Lungs {
  const mask = extractLungs(volume).mask;
  const d = volumeEdgeDistance(mask, volume.dims, volume.spacingMm);
  return { mask, distanceAt: (x, y, z) => d.at([x, y, z]) };
}

/** COVID-SemiSeg slices: a per-slice mask (see image-slice-lungs.ts), the lung stage's distance. */
function imageLungs(volume: Volume): Lungs {
  const mask = imageSliceLungMask(volume);
  const d = volumeEdgeDistance(mask, volume.dims, volume.spacingMm);
  return { mask, distanceAt: (x, y, z) => d.at([x, y, z]) };
}

export interface ExportCandidate {
  box: Box3;
  ml: number;
  centreSliceZ: number;
  generator: CandidateGeneratorId;
}

/** Intersection over union of two inclusive voxel boxes. */
export function boxIou(a: Box3, b: Box3): number {
  let inter = 1, va = 1, vb = 1;
  for (let i = 0; i < 3; i++) {
    const lo = Math.max(a.min[i], b.min[i]), hi = Math.min(a.max[i], b.max[i]);
    inter *= Math.max(0, hi - lo + 1);
    va *= a.max[i] - a.min[i] + 1;
    vb *= b.max[i] - b.min[i] + 1;
  }
  return inter / (va + vb - inter);
}

/**
 * Union of the generators' candidate lists: taken round-robin (each list largest first, as the
 * generators order them), a box dropped when it overlaps a kept one with IoU ≥ DUPLICATE_BOX_IOU.
 * Round-robin keeps both generators represented when a per-volume cap cuts the list.
 */
export function mergeCandidateLists(lists: ReadonlyArray<readonly ExportCandidate[]>, iou = DUPLICATE_BOX_IOU): { candidates: ExportCandidate[]; duplicates: number } {
  const out: ExportCandidate[] = [];
  let duplicates = 0;
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let k = 0; k < longest; k++) {
    for (const list of lists) {
      const c = list[k];
      if (!c) continue;
      if (out.some((o) => boxIou(o.box, c.box) >= iou)) duplicates++;
      else out.push(c);
    }
  }
  return { candidates: out, duplicates };
}

/**
 * Candidates of a CT as screening can see them: the learned generator (screening's default, when
 * given) and the classical HU-band generator, each followed by splitLargeCandidates (≤ 50 mm
 * sub-cubes), merged without near-duplicates. v2.1 drew only classical candidates while screening
 * had moved to the learned segmenter (82 candidates on normal001 vs 21 classical): a classifier
 * must be trained on the candidate distribution it is used on.
 */
export async function screeningCandidates(volume: Volume, lungMask: Uint8Array, learned?: CandidateGenerator<LearnedRunOptions>): Promise<{ candidates: ExportCandidate[]; perGenerator: Record<string, number>; duplicates: number }> {
  const sets: CandidateSet[] = [];
  if (learned) sets.push(await learned({ volume, lungMask }, { maxCandidates: EXPORT_MAX_COMPONENTS }));
  sets.push(await classicalCandidates({ volume, lungMask }, { maxCandidates: EXPORT_MAX_COMPONENTS }));
  const lists = sets.map((set) => splitLargeCandidates(set, { grid: volume }).candidates.map((c) => ({ box: c.boxVoxels, ml: c.volumeMl, centreSliceZ: c.centreSliceZ, generator: set.generator })));
  const merged = mergeCandidateLists(lists);
  return { ...merged, perGenerator: Object.fromEntries(sets.map((s, i) => [s.generator, lists[i].length])) };
}

/** Share of a voxel box's voxels that are on a binary zyx mask. */
export function boxMaskFraction(mask: Uint8Array, dims: readonly number[], box: Box3): number {
  const [nx, ny] = dims;
  let on = 0, all = 0;
  for (let z = box.min[2]; z <= box.max[2]; z++) {
    for (let y = box.min[1]; y <= box.max[1]; y++) {
      const row = (z * ny + y) * nx;
      for (let x = box.min[0]; x <= box.max[0]; x++, all++) on += mask[row + x];
    }
  }
  return all ? on / all : 0;
}

export async function exportPatchDataset(options: PatchExportOptions): Promise<PatchExportResult> {
  const t0 = Date.now();
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const limits = { ...DEFAULT_EXPORT_LIMITS, ...options.limits };
  const seed = options.seed ?? 20200219;
  const rand = mulberry32(seed);
  const c: Collector = { samples: [], patches: [], spec: options.spec ?? DEFAULT_PATCH_SPEC };
  const data = options.dataDir;
  try {
    await stat(data);
  } catch {
    throw new InputError('DATASET_NO_DATA', `data folder ${data} does not exist; point --data at ../shared/data`, { path: data });
  }
  const measurements: Record<string, unknown> = {};

  // COVID-SemiSeg: doctor slices (MedSeg; patients unknown → one group) and pseudo-label volumes.
  const infnet = join(data, 'infnet-semiseg/LungInfection-Train');
  const doctorImgs = (await readdir(join(infnet, 'Doctor-label/Imgs'))).filter((f) => f.endsWith('.jpg')).sort();
  for (const f of doctorImgs) {
    const stem = f.replace(/\.jpg$/, '');
    await exportInfnetSlice(c, join(infnet, 'Doctor-label/Imgs', f), join(infnet, 'Doctor-label/GT', `${stem}.png`), { case: `medseg-doctor-${stem}`, group: 'medseg-doctor', labelSource: 'doctor-mask' }, limits, rand);
  }
  log(`dataset patches: COVID-SemiSeg doctor slices done (${c.samples.length} patches)`);
  const pseudoDir = join(infnet, 'Pseudo-label');
  const byVolume = new Map<string, Array<{ file: string; slice: number; group: string }>>();
  for (const f of await readdir(join(pseudoDir, 'Imgs'))) {
    const g = infnetGroup(f);
    if (!g) continue;
    if (!byVolume.has(g.volume)) byVolume.set(g.volume, []);
    byVolume.get(g.volume)!.push({ file: f, slice: g.slice, group: g.group });
  }
  for (const [volume, files] of [...byVolume.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    files.sort((a, b) => a.slice - b.slice);
    const take = Math.min(limits.pseudoSlicesPerVolume, files.length);
    for (let k = 0; k < take; k++) {
      const f = files[Math.floor(((k + 0.5) * files.length) / take)];
      const stem = f.file.replace(/\.jpg$/, '');
      await exportInfnetSlice(c, join(pseudoDir, 'Imgs', f.file), join(pseudoDir, 'GT', `${stem}.png`), { case: `${volume}_${f.slice}`, group: f.group, labelSource: 'pseudo-mask' }, limits, rand);
    }
  }
  log(`dataset patches: COVID-SemiSeg pseudo-label volumes done (${c.samples.length} patches)`);

  // HU CT volumes (COVID-CT-MD with slice labels, lesion-free LIDC-IDRI slabs): screening's candidates.
  // Lesion-free volumes and slices give hard negatives: screening's OWN candidates there are irrelevant.
  const huCases: Array<{ path: string; caseId: string; source: string; group: string; label: 'covid19' | 'other_pneumonia' | 'irrelevant'; sliceLabels: boolean; split: string }> = [
    { path: 'covid-ct-md/P001', label: 'covid19' },
    { path: 'covid-ct-md/cap001', label: 'other_pneumonia' },
    { path: 'covid-ct-md/normal001', label: 'irrelevant' },
    { path: 'lidc-idri/LIDC-IDRI-0001', label: 'irrelevant' },
    { path: 'lidc-idri/LIDC-IDRI-0002', label: 'irrelevant' },
  ].flatMap(({ path, label }) => {
    const e = HU_VOLUMES.find((h) => h.path === path);
    if (!e) return [];
    const [source, caseId] = path.split('/');
    return [{ path, caseId, source, group: e.group, label: label as 'covid19' | 'other_pneumonia' | 'irrelevant', sliceLabels: e.kind === 'slice-labelled', split: e.split }];
  });
  for (const hc of huCases) {
    const { caseId, label } = hc;
    const dir = join(data, hc.path);
    try {
      await stat(dir);
    } catch {
      log(`dataset patches: ${hc.path} not found; skipped`);
      continue;
    }
    const acquired = await readVolume(dir);
    const acquiredInfected = hc.sliceLabels ? (await covidCtMdSliceLabels(data, caseId, acquired)).infected : new Array<boolean>(acquired.dims[2]).fill(false);
    // v5 (classifier 5.0.0): the volume as acquired and its thick-slice reconstruction (means of k slices, ≤ 5 mm;
    // reconstruction.ts), mined alike: CT is often read at 4–5 mm, and lesion-free lung looks denser there
    const thick = thickReconstruction(acquired);
    const reconstructions: { vol: Volume; infected: boolean[]; tag: string; masses?: SolidMassSpec[] }[] = [{ vol: acquired, infected: acquiredInfected, tag: '' }];
    // the tag keeps the exported case names of classifier 5.0.0 ('P001-thick4.0mm')
    if (thick) reconstructions.push({ vol: thick.volume, infected: thickSliceFlags(acquiredInfected, thick.k), tag: `-thick${thick.volume.spacingMm[2].toFixed(1)}mm` });
    // v6 (classifier 6.0.0): lesion-free TRAINING volumes once more with simulated dependent density
    // (dependent-density.ts; the segmenter export's draw for the same volume): its candidates are irrelevant
    if (label === 'irrelevant' && hc.split === 'train') {
      const acquiredLungs = extractLungs(acquired).mask;
      const band = dependentDensity(acquired, acquiredLungs, drawDependentDensity(syntheticSeed(`${hc.group}/${DEPENDENT_DENSITY_NAME}`, 0)));
      reconstructions.push({ vol: band, infected: acquiredInfected, tag: `-${DEPENDENT_DENSITY_NAME}` });
      // v7 (classifier 7.0.0): and with simulated emphysema (emphysema.ts, drawEmphysema), the smoker's lung of lung-cancer CT
      const destroyed = emphysema(acquired, acquiredLungs, drawEmphysema(syntheticSeed(`${hc.group}/${EMPHYSEMA_NAME}`, 0)));
      reconstructions.push({ vol: destroyed, infected: acquiredInfected, tag: `-${EMPHYSEMA_NAME}` });
      // v8 (classifier 8.0.0): and with simulated solid masses (solid-mass.ts, drawSolidMasses), the tumours of
      // lung-cancer CT, SOLID_MASS_DRAWS draws of 2–4 each: only the candidates near a mass, plus the mass's own box
      for (let k = 0; k < SOLID_MASS_DRAWS; k++) {
        const masses = drawSolidMasses(acquired, acquiredLungs, syntheticSeed(`${hc.group}/${SOLID_MASSES_NAME}`, k));
        reconstructions.push({ vol: withSolidMasses(acquired, masses), infected: acquiredInfected, tag: `-${SOLID_MASSES_NAME}${k}`, masses });
      }
    }
    for (const { vol, infected, tag, masses } of reconstructions) {
      let lungs: Lungs;
      try {
        lungs = ctLungs(vol);
      } catch (e) {
        log(`dataset patches: ${hc.path}${tag}: lung extraction failed (${(e as Error).message}); skipped`);
        continue;
      }
      const infectedZ = new Set<number>();
      infected.forEach((inf, z) => inf && infectedZ.add(z));
      const found = await screeningCandidates(vol, lungs.mask, options.learned);
      // a mass volume adds only what the masses changed: the candidates within reach of a mass (the rest of
      // its lung is the acquired volume's, mined above)
      const near = masses?.map((m) => solidMassBox(vol, m, SOLID_MASS_NEAR_MM));
      const cands = near ? found.candidates.filter((cand) => near.some((b) => boxIou(b, cand.box) > 0)) : found.candidates;
      let nInf = 0, nIrr = 0, nMixed = 0;
      const meta = (r: string) => ({ case: `${caseId}${tag}`, source: hc.source, group: hc.group, region: `${caseId}${tag}#${r}` });
      const nz = vol.dims[2];
      for (const [k0, cand] of cands.entries()) {
        const ck = `${k0}${cand.generator === 'learned' ? 'L' : 'C'}`;
        // the slices its patches are cut from (§2.2: centre and two neighbours), as addCube clamps them
        const patchZ = c.spec.sliceOffsets.map((o) => Math.min(nz - 1, Math.max(0, cand.centreSliceZ + o)));
        let anyInfected = false;
        for (let z = cand.box.min[2]; z <= cand.box.max[2]; z++) if (infectedZ.has(z)) anyInfected = true;
        if (label !== 'irrelevant' && patchZ.every((z) => infectedZ.has(z))) {
          if (nInf < limits.cubesPerVolume) {
            addCube(c, vol, cand.box, lungs.distanceAt, { ...meta(`c${ck}`), label, labelSource: 'slice-label-candidate' });
            nInf++;
          }
        } else if (!anyInfected) {
          if (nIrr < limits.cubesPerVolume) {
            const cx = (cand.box.min[0] + cand.box.max[0]) / 2, cy = (cand.box.min[1] + cand.box.max[1]) / 2;
            for (const z of negativeSlices(cand.box, cand.centreSliceZ, c.spec.sliceOffsets, limits.irrelevantSlicesPerCube, nz)) {
              addPatch(c, vol, cand.box, z, lungs.distanceAt(cx, cy, z), { ...meta(`c${ck}`), label: 'irrelevant', labelSource: 'uninfected-slice-candidate' });
            }
            nIrr++;
          }
        } else nMixed++;
      }
      let nMassBoxes = 0;
      for (const [j, m] of (masses ?? []).entries()) {
        // the mass itself as a candidate would box it (a tumour the segmenter marks)
        const box = solidMassBox(vol, m);
        const cx = (box.min[0] + box.max[0]) / 2, cy = (box.min[1] + box.max[1]) / 2;
        for (const z of negativeSlices(box, m.centreVoxel[2], c.spec.sliceOffsets, limits.irrelevantSlicesPerCube, nz)) {
          addPatch(c, vol, box, z, lungs.distanceAt(cx, cy, z), { ...meta(`m${j}`), label: 'irrelevant', labelSource: 'simulated-solid-mass' });
        }
        nMassBoxes++;
      }
      // easy negatives: normal lung on uninfected slices, evenly over the volume (not again on a mass volume)
      const clean: number[] = [];
      for (let z = 1; z < nz - 1; z++) if (!infectedZ.has(z) && !infectedZ.has(z - 1) && !infectedZ.has(z + 1)) clean.push(z);
      const nBoxes = masses ? 0 : Math.min(limits.lungBoxesPerVolume, clean.length);
      let nLungBoxes = 0;
      for (let j = 0; j < nBoxes; j++) {
        const z = clean[Math.floor(((j + 0.5) * clean.length) / nBoxes)];
        for (const box of irrelevantBoxes(lungs.mask, null, vol.dims, vol.spacingMm[0], z, 1, rand)) {
          addCube(c, vol, box, lungs.distanceAt, { ...meta(`b${z}`), label: 'irrelevant', labelSource: 'uninfected-slice-lung-box' });
          nLungBoxes++;
        }
      }
      measurements[`${hc.path}${tag}`] = { lungBoxes: nLungBoxes, candidates: cands.length, candidatesPerGenerator: found.perGenerator, duplicateCandidates: found.duplicates, largestCandidateMl: cands.length ? Math.max(...cands.map((x) => x.ml)) : null, infectedSlices: infectedZ.size, infectionCubes: nInf, irrelevantCubes: nIrr, droppedMixedCubes: nMixed, ...(masses ? { solidMasses: nMassBoxes } : {}) };
      log(`dataset patches: ${hc.path}${tag}: ${cands.length} candidate sub-cubes (${Object.entries(found.perGenerator).map(([g, n]) => `${g} ${n}`).join(', ')}, ${found.duplicates} duplicates dropped) → ${label === 'irrelevant' ? '' : `${nInf} ${label}, `}${nIrr} irrelevant (× up to ${limits.irrelevantSlicesPerCube} slices), ${nLungBoxes} lung boxes, ${masses ? `${nMassBoxes} solid-mass boxes, ` : ''}${nMixed} dropped (span infected and uninfected slices)`);
      }
  }

  // TB volumes: true 3-D lesion masks.
  const tbDir = join(data, 'tb-lesions');
  for (const f of (await readdir(tbDir)).filter((x) => x.endsWith('-128x128x64.nii.gz')).sort()) {
    const caseId = f.replace(/-128x128x64\.nii\.gz$/, '');
    const vol = await readNifti(join(tbDir, f));
    const mskVol = await readNifti(join(tbDir, `${caseId}-128x128x64-msk.nii.gz`));
    const msk = new Uint8Array(mskVol.data.length);
    for (let i = 0; i < msk.length; i++) msk[i] = mskVol.data[i] > 0.5 ? 1 : 0;
    const lungs = ctLungs(vol);
    const cc = labelComponents3d(msk, vol.dims, { connectivity: 26 });
    const values = new Float32Array(vol.data.length);
    for (let i = 0; i < values.length; i++) values[i] = vol.data[i];
    const st = componentStats(cc.labels, cc.count, vol.dims, values);
    const voxMl = (vol.spacingMm[0] * vol.spacingMm[1] * vol.spacingMm[2]) / 1000;
    const comps = Array.from({ length: cc.count }, (_, i) => i + 1).filter((k) => st.voxelCounts[k] * voxMl >= MIN_TB_COMPONENT_ML);
    const group = `tb-${caseId.split('_').slice(0, 2).join('_')}`;
    // every second slice of the lesion mask: its 2-D components, each a cube centred on that slice
    let nLes = 0;
    for (let z = 1; z < vol.dims[2] - 1 && nLes < limits.cubesPerVolume; z += 2) {
      for (const [j, box] of maskBoxes2d(msk.subarray(z * vol.dims[0] * vol.dims[1], (z + 1) * vol.dims[0] * vol.dims[1]), vol.dims[0], vol.dims[1], vol.spacingMm[0], z).slice(0, limits.lesionsPerSlice).entries()) {
        if (nLes >= limits.cubesPerVolume) break;
        addCube(c, vol, box, lungs.distanceAt, { case: caseId, source: 'tb-lesions', group, label: 'other_pneumonia', region: `${caseId}#s${z}l${j}`, labelSource: 'tb-mask' });
        nLes++;
      }
    }
    let nIrr = 0;
    for (let z = 2; z < vol.dims[2] - 2 && nIrr < limits.tbIrrelevantPerLesion * nLes; z += 2) {
      for (const box of irrelevantBoxes(lungs.mask, msk, vol.dims, vol.spacingMm[0], z, limits.tbIrrelevantPerLesion, rand)) {
        addCube(c, vol, { min: [box.min[0], box.min[1], z], max: [box.max[0], box.max[1], z] }, lungs.distanceAt, { case: caseId, source: 'tb-lesions', group, label: 'irrelevant', region: `${caseId}#i${z}`, labelSource: 'away-from-mask' });
        nIrr++;
      }
    }
    // screening's candidates on the TB volume: on the lesion mask → other_pneumonia, off it → hard negatives
    const found = await screeningCandidates(vol, lungs.mask, options.learned);
    let nCandLes = 0, nCandIrr = 0, nCandMixed = 0;
    for (const [k0, cand] of found.candidates.entries()) {
      const f = boxMaskFraction(msk, vol.dims, cand.box);
      const region = `${caseId}#c${k0}${cand.generator === 'learned' ? 'L' : 'C'}`;
      if (f >= TB_CANDIDATE_LESION_FRACTION && nCandLes < limits.tbCandidatesPerClass) {
        addCube(c, vol, cand.box, lungs.distanceAt, { case: caseId, source: 'tb-lesions', group, label: 'other_pneumonia', region, labelSource: 'tb-mask-candidate' });
        nCandLes++;
      } else if (f === 0 && nCandIrr < limits.tbCandidatesPerClass) {
        addCube(c, vol, cand.box, lungs.distanceAt, { case: caseId, source: 'tb-lesions', group, label: 'irrelevant', region, labelSource: 'off-mask-candidate' });
        nCandIrr++;
      } else if (f > 0 && f < TB_CANDIDATE_LESION_FRACTION) nCandMixed++;
    }
    log(`dataset patches: TB ${caseId}: ${found.candidates.length} candidates (${Object.entries(found.perGenerator).map(([g, n]) => `${g} ${n}`).join(', ')}) → ${nCandLes} other_pneumonia, ${nCandIrr} irrelevant, ${nCandMixed} dropped (< ${TB_CANDIDATE_LESION_FRACTION} lesion)`);
    measurements[`tb-lesions/${caseId}`] = { candidates: found.candidates.length, candidatesPerGenerator: found.perGenerator, lesionCandidateCubes: nCandLes, irrelevantCandidateCubes: nCandIrr, droppedCandidateCubes: nCandMixed, lesionComponents: cc.count, lesionCubes: nLes, irrelevantCubes: nIrr, meanLesionHu: comps.length ? comps.reduce((a, k) => a + st.valueSum[k], 0) / comps.reduce((a, k) => a + st.voxelCounts[k], 0) : null };
    log(`dataset patches: TB ${caseId}: ${nLes} lesion cubes, ${nIrr} irrelevant`);
  }

  // Patient-level split: the one split of the segmenter (v2, v3) and the classifier (v3, v4) (dataset/patient-split.ts), every group placed by it.
  const groups = [...new Map(c.samples.map((s) => [s.group, s.source])).entries()].map(([group, source]) => ({ group, stratum: source }));
  const forced: Record<string, { split: 'train' | 'validation'; why: string }> = {};
  for (const { group, stratum } of groups) {
    const hu = HU_VOLUMES.find((h) => h.group === group);
    if (hu) forced[group] = { split: hu.split, why: hu.split === 'train' ? (hu.kind === 'tb-masked' ? 'TB volume in training (other_pneumonia)' : group.startsWith('covid-ct-md') ? 'COVID-CT-MD has one DICOM patient per class: all three train (v1 measured the source shortcut when P001 was held out)' : 'lesion-free HU training patient') : hu.kind === 'tb-masked' ? 'one TB volume held out so other_pneumonia is validated at all' : 'lesion-free HU patient held out (second scanner vendor)' };
    else if (group === 'medseg-doctor') forced[group] = { split: 'validation', why: 'the 50 MedSeg expert slices (no patient ids, one group) are the segmenter\'s Dice validation; held out here too so both models share one split (v2 trained on them)' };
    else if (stratum === 'infnet-semiseg') forced[group] = isValidationPseudoPatient(group) ? { split: 'validation', why: 'held-out COVID-19-CT-Seg patient (patient-split.ts)' } : { split: 'train', why: 'COVID-19-CT-Seg training patient' };
  }
  const split = makeGroupSplit(groups, { seed, validationFraction: 0, forced, unit: 'patient (COVID-SemiSeg pseudo labels: COVID-19-CT-Seg patient; MedSeg doctor slices: one group; HU volumes: patient); one split with the segmenter (src/dataset/patient-split.ts)' });
  split.notes.unshift(...SPLIT_RATIONALE);
  const fingerprint = writePatchDataset(options.outDir, { spec: c.spec, classSpec: CLASSIFIER_CLASSES, samples: c.samples, patches: c.patches, split, labelPolicy: [...LABEL_POLICY], measurements });
  return { fingerprint, split, count: c.samples.length, seconds: (Date.now() - t0) / 1000 };
}
