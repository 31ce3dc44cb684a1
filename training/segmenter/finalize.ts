// Step 4 of `npm run train:candidates` (run.sh): everything after PyTorch, in TypeScript so the
// numbers come from the shipped ONNX file through the code screening uses.
//   1. parity: onnxruntime-node vs the PyTorch reference outputs (max |Δ| ≤ 1e-4, else exit 1)
//   2. threshold: validation tiles, lesion recall per threshold, the low threshold of §3.3.2
//   3. candidate recall, learned vs classical: restacked validation volumes, expert slices,
//      TB volumes (true 3D masks), COVID-CT-MD slice labels (--skip-recall leaves this out)
//   4. models/candidates-segmenter.{onnx,card.json,md}, candidates-metrics.json, candidates-split.json
// Usage: node --import tsx training/segmenter/finalize.ts --data DIR --dataset DIR --work DIR --models DIR [--skip-recall]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { classicalCandidates } from '../../src/candidates/classical.ts';
import { lesionRecall, sliceRecall } from '../../src/candidates/candidate-recall.ts';
import { learnedCandidates, loadLearnedGenerator } from '../../src/candidates/learned.ts';
import type { SegmentationSample } from '../../src/candidates/segmentation-dataset.ts';
import { chooseThreshold, croppedLungMask, readSegmentationDataset, restackPseudoVolume, RECALL_TARGET, tileThresholdSweep, THRESHOLD_GRID, type ThresholdPoint } from '../../src/candidates/segmenter-evaluation.ts';
import type { TilePredictor } from '../../src/candidates/sliding-window.ts';
import type { CandidateInput, CandidateSet } from '../../src/candidates/types.ts';
import { LUNG_WINDOW_HU } from '../../src/core/constants.ts';
import type { Volume } from '../../src/core/volume.ts';
import { NOT_A_DIAGNOSTIC_DEVICE, parseModelCard, renderModelCardMarkdown, type ModelCard } from '../../src/models/model-card.ts';

const PARITY_TOLERANCE = 1e-4;
const MODEL_ID = 'candidates-segmenter';
const MAX_MODEL_BYTES = 25 * 2 ** 20;
/** 3D lesions in the restacked volumes / TB volumes below this many voxels are mask specks. */
const MIN_LESION_VOXELS = 20;

const { values: a } = parseArgs({ options: { data: { type: 'string' }, dataset: { type: 'string' }, work: { type: 'string' }, models: { type: 'string' }, 'skip-recall': { type: 'boolean', default: false } } });
if (!a.dataset || !a.work || !a.models) {
  console.error('usage: finalize.ts --data DIR --dataset DIR --work DIR --models DIR [--skip-recall]');
  process.exit(2);
}
const dataDir = resolve(a.data ?? '../shared/data');
const work = resolve(a.work);
const modelsDir = resolve(a.models);
const log = (m: string) => process.stderr.write(`${m}\n`);

const onnxWork = join(work, `${MODEL_ID}.onnx`);
const session = await ort.InferenceSession.create(onnxWork, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const predict: TilePredictor = async (batch, dims) => (await session.run({ input: new ort.Tensor('float32', batch, dims) })).probability.data as Float32Array;

// 1. parity
const parity = JSON.parse(readFileSync(join(work, 'parity.json'), 'utf8')) as { samples: number; inputShape: [number, number, number, number] };
const pIn = new Float32Array(readFileSync(join(work, 'parity-input.f32')).buffer.slice(0));
const pExp = new Float32Array(readFileSync(join(work, 'parity-expected.f32')).buffer.slice(0));
const pGot = await predict(pIn, parity.inputShape);
let maxAbsDiff = 0;
for (let i = 0; i < pExp.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(pGot[i] - pExp[i]));
log(`parity: onnxruntime-node vs PyTorch on ${parity.samples} tiles: max |Δ| = ${maxAbsDiff.toExponential(2)}`);
if (!(maxAbsDiff <= PARITY_TOLERANCE) || pGot.length !== pExp.length) {
  log(`parity FAILED (tolerance ${PARITY_TOLERANCE})`);
  process.exit(1);
}

// 2. threshold on validation tiles
const ds = await readSegmentationDataset(resolve(a.dataset));
const valSamples = ds.samples.filter((s) => s.split === 'validation');
const sweep = await tileThresholdSweep({ predict, inputs: ds.inputs, masks: ds.masks, tileSize: ds.tileSize, channels: ds.channels, samples: valSamples });
const threshold = chooseThreshold(sweep.all);
log(`threshold ${threshold} (validation tile lesion recall ${JSON.stringify(sweep.all.map((p) => [p.threshold, p.lesionRecall?.toFixed(3)]))})`);

// 3. candidate recall, learned vs classical
type Gen = 'learned' | 'classical';
const runBoth = async (input: CandidateInput): Promise<Record<Gen, CandidateSet>> => ({
  learned: await learnedCandidates(input, { predict, tileSize: ds.tileSize, sliceOffsets: [-1, 0, 1], threshold }),
  classical: await classicalCandidates(input),
});
interface Pool { lesions: number; hit: number; candidates: number; cases: number; ms: number; coveredFractionSum: number }
const newPool = (): Pool => ({ lesions: 0, hit: 0, candidates: 0, cases: 0, ms: 0, coveredFractionSum: 0 });
const newPools = (): Record<Gen, Pool> => ({ learned: newPool(), classical: newPool() });
const summarise = (p: Record<Gen, Pool>) =>
  Object.fromEntries(Object.entries(p).map(([g, v]) => [g, { lesions: v.lesions, hit: v.hit, recall: v.lesions ? v.hit / v.lesions : null, candidatesPerCase: v.cases ? v.candidates / v.cases : null, meanLungFractionInCandidates: v.cases ? v.coveredFractionSum / v.cases : null, cases: v.cases }]));
/** Share of lung voxels inside some candidate: recall is cheap when candidates cover everything. */
function lungFractionCovered(labels: Uint32Array, lungMask: Uint8Array): number {
  let lung = 0, covered = 0;
  for (let i = 0; i < lungMask.length; i++) {
    if (lungMask[i] === 0) continue;
    lung++;
    if (labels[i] !== 0) covered++;
  }
  return lung > 0 ? covered / lung : 0;
}
async function lesionEval(pool: Record<Gen, Pool>, volume: Volume, lungMask: Uint8Array, truth: Uint8Array, minLesionVoxels: number) {
  for (const g of ['learned', 'classical'] as const) {
    const t0 = performance.now();
    const set = g === 'learned' ? await learnedCandidates({ volume, lungMask }, { predict, tileSize: ds.tileSize, sliceOffsets: [-1, 0, 1], threshold }) : await classicalCandidates({ volume, lungMask });
    const r = lesionRecall({ truth, candidates: set.labels, dims: volume.dims, minLesionVoxels });
    pool[g].lesions += r.lesions;
    pool[g].hit += r.hit;
    pool[g].candidates += set.candidates.length;
    pool[g].cases++;
    pool[g].ms += performance.now() - t0;
    pool[g].coveredFractionSum += lungFractionCovered(set.labels, lungMask);
  }
}

const recall: Record<string, unknown> = {};
if (!a['skip-recall'] && existsSync(join(dataDir, 'infnet-semiseg'))) {
  // 3a. validation pseudo-label volumes, restacked
  const byVolume = new Map<string, SegmentationSample[]>();
  for (const s of valSamples) if (s.volume) byVolume.set(s.volume, [...(byVolume.get(s.volume) ?? []), s]);
  const pseudo = newPools();
  for (const [vol, list] of byVolume) {
    const { volume, truth } = await restackPseudoVolume(dataDir, list);
    await lesionEval(pseudo, volume, croppedLungMask(volume), truth, MIN_LESION_VOXELS);
    log(`recall: restacked ${vol} (${list.length} slices) done`);
  }
  recall.validationPseudoVolumesRestacked = { ...summarise(pseudo), volumes: [...byVolume.keys()], note: `3D lesions (26-connected, ≥ ${MIN_LESION_VOXELS} voxels) of the model-made masks; lung mask = croppedLungMask (aerated pixels closed 6 mm, holes filled)` };
  // 3b. expert slices, each alone
  const doctor = newPools();
  const { readImageAsPseudoHu } = await import('../../src/io/image-stack.ts');
  const sharp = (await import('sharp')).default;
  for (const s of valSamples.filter((x) => x.source === 'infnet-doctor')) {
    const volume = await readImageAsPseudoHu(join(dataDir, s.file));
    const gt = await sharp(join(dataDir, s.file.replace('/Imgs/', '/GT/').replace(/\.jpg$/, '.png'))).greyscale().raw({ depth: 'uchar' }).toBuffer();
    const truth = Uint8Array.from(gt, (v) => (v >= 128 ? 1 : 0));
    await lesionEval(doctor, volume, croppedLungMask(volume), truth, MIN_LESION_VOXELS);
  }
  recall.validationExpertSlices = { ...summarise(doctor), note: `single slices (no neighbours), radiologist masks; lesions = 8-connected regions ≥ ${MIN_LESION_VOXELS} px` };
  log('recall: expert slices done');
  // 3c. TB volumes (true 3D masks), lungs from the lung stage
  const tbDir = join(dataDir, 'tb-lesions');
  if (existsSync(tbDir)) {
    const { readNifti } = await import('../../src/io/nifti.ts');
    const { extractLungs } = await import('../../src/lung/extract-lungs.ts');
    const tb = newPools();
    const cases: string[] = [];
    for (const f of ['tb1_001_1001_1_33554433', 'tb1_002_10064_1_33554433', 'tb1_003_102_2_16777217']) {
      const img = join(tbDir, `${f}-128x128x64.nii.gz`);
      if (!existsSync(img)) continue;
      const volume = await readNifti(img);
      const m = await readNifti(join(tbDir, `${f}-128x128x64-msk.nii.gz`));
      const truth = Uint8Array.from(m.data as ArrayLike<number>, (v) => (v > 0.5 ? 1 : 0));
      let lungMask: Uint8Array;
      try {
        lungMask = Uint8Array.from(extractLungs(volume).mask, (v) => (v ? 1 : 0));
      } catch (e) {
        log(`recall: ${f}: lung extraction failed (${(e as Error).message}); skipped`);
        continue;
      }
      await lesionEval(tb, volume, lungMask, truth, MIN_LESION_VOXELS);
      cases.push(f);
    }
    recall.tbVolumes = { ...summarise(tb), cases, note: 'tuberculosis lesion masks (coarse blobs, 128×128×64 resampled); never used in training; lungs from extractLungs' };
    log('recall: TB done');
  }
  // 3d. COVID-CT-MD: slice-level labels, lungs from the lung stage
  const mdDir = join(dataDir, 'covid-ct-md');
  if (existsSync(mdDir)) {
    const { readVolume } = await import('../../src/io/read.ts');
    const { extractLungs } = await import('../../src/lung/extract-lungs.ts');
    const dicomParser = (await import('dicom-parser')).default;
    const { readdirSync } = await import('node:fs');
    const rows = readFileSync(join(mdDir, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const md: Record<string, unknown> = {};
    for (const c of ['P001', 'cap001', 'normal001']) {
      const dir = join(mdDir, c);
      if (!existsSync(dir)) continue;
      const volume = await readVolume(dir);
      const lungMask = Uint8Array.from(extractLungs(volume).mask, (v) => (v ? 1 : 0));
      // instance number → volume slice z, through each file's position along the slice normal
      const d = volume.direction;
      const normal = [d[2], d[5], d[8]];
      const zOf = new Map<number, number>();
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.dcm'))) {
        const ds2 = dicomParser.parseDicom(new Uint8Array(readFileSync(join(dir, f))), { untilTag: 'x00200037' });
        const inst = Number(ds2.string('x00200013'));
        const ipp = (ds2.string('x00200032') ?? '').split('\\').map(Number);
        const pos = ipp[0] * normal[0] + ipp[1] * normal[1] + ipp[2] * normal[2];
        const o = volume.originMm;
        const pos0 = o[0] * normal[0] + o[1] * normal[1] + o[2] * normal[2];
        zOf.set(inst, Math.round((pos - pos0) / volume.spacingMm[2]));
      }
      const infected = new Array<boolean>(volume.dims[2]).fill(false);
      for (const r of rows.filter((r) => r[0] === c)) {
        const z = zOf.get(Number(r[3]));
        if (z !== undefined && z >= 0 && z < infected.length) infected[z] = r[4] === '1';
      }
      const both = await runBoth({ volume, lungMask });
      md[c] = Object.fromEntries(
        (['learned', 'classical'] as const).map((g) => [g, { candidates: both[g].candidates.length, lungFractionInCandidates: lungFractionCovered(both[g].labels, lungMask), ms: Math.round(Object.values(both[g].timingsMs).reduce((x, y) => x + y, 0)), ...sliceRecall({ infected, candidates: both[g].labels, dims: volume.dims }) }]),
      );
      log(`recall: COVID-CT-MD ${c} done`);
    }
    recall.covidCtMdSlices = { ...md, note: 'slice-level: share of slices labelled infected (labels.csv, instance number k+1 = slice_index k) holding ≥ 1 candidate voxel; cleanWithCandidate counts candidate-bearing slices the labels call clean (normal001 has no source labels: all clean)' };
  }
}

// 4. model files
mkdirSync(modelsDir, { recursive: true });
const onnxOut = join(modelsDir, `${MODEL_ID}.onnx`);
copyFileSync(onnxWork, onnxOut);
const onnxBytes = readFileSync(onnxOut);
if (onnxBytes.length > MAX_MODEL_BYTES) {
  log(`${onnxOut} is ${onnxBytes.length} bytes, over the 25 MB limit`);
  process.exit(1);
}
const py = JSON.parse(readFileSync(join(work, 'metrics-python.json'), 'utf8')) as { config: Record<string, unknown>; epochs: number; steps: number; trainSeconds: number; trainTiles: number; validationTiles: number; validation: Record<string, unknown>; parameters: number; torch: string; threads: number };
const split = JSON.parse(readFileSync(join(resolve(a.dataset), 'split.json'), 'utf8')) as { train: string[]; validation: string[] };
copyFileSync(join(resolve(a.dataset), 'split.json'), join(modelsDir, 'candidates-split.json'));
copyFileSync(join(resolve(a.dataset), 'fingerprint.json'), join(modelsDir, 'candidates-dataset-fingerprint.json'));
let gitCommit = 'unknown';
try {
  gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const countBy = (src: string, sp: string) => ds.samples.filter((s) => s.source === src && s.split === sp).length;
const s = ds.tileSize;
const metrics = {
  segmenterValidation: {
    pythonDiceAt0_5: py.validation,
    tileThresholdSweep: sweep,
    threshold,
    thresholdRule: `largest of ${THRESHOLD_GRID.join(', ')} whose validation tile lesion recall (lesions ≥ 4 tile px) is ≥ ${RECALL_TARGET}; else the smallest (§3.3.2: low threshold for recall)`,
  },
  candidateRecall: recall,
  parity: { maxAbsDiff, tolerance: PARITY_TOLERANCE, samples: parity.samples },
};
writeFileSync(join(modelsDir, 'candidates-metrics.json'), `${JSON.stringify(metrics, null, 1)}\n`);
/** Card metrics as short sentences (the Markdown shows them as they are); all numbers are in candidates-metrics.json. */
function readableMetrics(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dice = py.validation as Record<string, { globalDice?: number } | undefined>;
  for (const [k, v] of Object.entries(dice)) if (v?.globalDice !== undefined) out[`validation Dice at 0.5, ${k} tiles`] = v.globalDice;
  out['threshold (§3.3.2: low, for recall)'] = threshold;
  const at = (pts: ThresholdPoint[]) => pts.find((p) => p.threshold === threshold);
  for (const [k, pts] of Object.entries({ all: sweep.all, ...sweep.bySource })) {
    const p = at(pts);
    if (p) out[`tile lesion recall at the threshold, ${k}`] = `${p.lesionRecall?.toFixed(3)} of ${p.lesions} lesions (Dice ${p.dice.toFixed(3)})`;
  }
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)} %`);
  type S = { lesions: number; hit: number; recall: number | null; candidatesPerCase: number | null; meanLungFractionInCandidates: number | null };
  for (const [k, v] of Object.entries(recall)) {
    const r = v as Record<string, unknown>;
    if (k === 'covidCtMdSlices') {
      for (const [c, byGen] of Object.entries(r)) {
        if (c === 'note') continue;
        const g = byGen as Record<Gen, { candidates: number; lungFractionInCandidates: number; infectedSlices: number; infectedWithCandidate: number; cleanSlices: number; cleanWithCandidate: number }>;
        out[`slice recall, COVID-CT-MD ${c}`] = (['learned', 'classical'] as const).map((gen) => `${gen}: ${g[gen].infectedWithCandidate}/${g[gen].infectedSlices} infected slices, ${g[gen].cleanWithCandidate}/${g[gen].cleanSlices} clean slices with a candidate, ${g[gen].candidates} candidates, ${pct(g[gen].lungFractionInCandidates)} of lung`).join('; ');
      }
      continue;
    }
    out[`candidate recall, ${k}`] = (['learned', 'classical'] as const)
      .map((gen) => {
        const x = r[gen] as S;
        return `${gen}: ${x.recall === null ? '—' : x.recall.toFixed(3)} (${x.hit}/${x.lesions} lesions; ${x.candidatesPerCase?.toFixed(1)} candidates per case; ${pct(x.meanLungFractionInCandidates)} of lung in candidates)`;
      })
      .join('; ');
  }
  out['metrics file'] = 'candidates-metrics.json';
  return out;
}
const at0 = () => sweep.all.find((p) => p.threshold === threshold)?.lesionRecall;
const pseudoPatients = (names: string[]) => names.filter((g) => !g.startsWith('medseg-')).length;
const cardJson = {
  schemaVersion: 1,
  id: MODEL_ID,
  version: '1.0.0',
  task: 'segmenter',
  description: 'Candidate-region segmenter (paper §2.3): a small 2.5D U-Net giving a lesion (infection) probability per pixel of an axial slice from the slice and its two neighbours; thresholded low and split into 3D connected components, it yields the candidate cubes the patch classifier reads.',
  paperSections: ['2.3', '3.3.2'],
  classSpec: { labels: ['lesion', 'background'], infectionLabels: ['lesion'], irrelevantLabel: 'background', displayNames: { lesion: 'possible focus of infection', background: 'no focus' } },
  input: {
    inputs: [{ name: 'input', shape: ['batch', ds.channels, s, s], dtype: 'float32', description: 'per axial slice: slices z−1, z, z+1 cropped to the lung box of slice z (+2 mm), lung-window normalised, resized to the tile (tile.ts extractTile)' }],
    outputs: [{ name: 'probability', shape: ['batch', 1, s, s], dtype: 'float32', description: 'lesion probability per tile pixel (sigmoid inside the graph)' }],
    channels: [-1, 0, 1].map((o) => ({ description: o === 0 ? 'slice z' : `slice z${o > 0 ? '+' : '−'}1 (edge slice repeated at the volume ends)`, windowHu: { centerHu: LUNG_WINDOW_HU.center, widthHu: LUNG_WINDOW_HU.width } })),
    normalisation: 'HU below −1000 clamped to air, then (HU − (centre − width/2)) / width clipped to [0, 1]; crop resized with an antialiased triangle filter',
    sliceOffsets: [-1, 0, 1],
    extra: { tileSize: s, threshold, lungBoxMarginMm: 2, why2p5d: 'the public masks are single axial slices (COVID-SemiSeg) plus 3 coarse TB volumes: too little for a 3D V-Net; neighbouring slices give the through-plane context that separates vessels from foci' },
  },
  temperature: 1,
  onnx: { file: basename(onnxOut), opset: 13, sha256: createHash('sha256').update(onnxBytes).digest('hex'), bytes: onnxBytes.length },
  architecture: `2.5D U-Net, widths ${(py.config.widths as number[]).join('-')}, BatchNorm + ReLU, transposed-convolution upsampling, sigmoid output`,
  parameters: py.parameters,
  training: {
    data: [
      { source: 'infnet-semiseg', licence: 'COVID-SemiSeg (Fan et al. 2020): non-commercial use only; images from COVID-19-CT-Seg (coronacases.org, Radiopaedia CC BY-NC-SA 3.0) and MedSeg', use: `Pseudo-label slices (model-made masks) of ${pseudoPatients(split.train)} patients for training, ${pseudoPatients(split.validation)} patients held out; the ${countBy('infnet-doctor', 'validation')} Doctor-label (radiologist) slices only for validation`, counts: { 'pseudo-train': countBy('infnet-pseudo', 'train'), 'pseudo-validation': countBy('infnet-pseudo', 'validation'), 'doctor-validation': countBy('infnet-doctor', 'validation') } },
      { source: 'tb-lesions', licence: 'Apache-2.0 (source repository)', use: 'not trained on: 3D lesion-level candidate recall check' },
      { source: 'covid-ct-md', licence: 'public for research (COVID-CT-MD, Afshar et al. 2021)', use: 'not trained on (no voxel masks): slice-level candidate recall check' },
    ],
    split: { file: 'candidates-split.json', unit: 'patient (Radiopaedia series of one case together); all MedSeg expert slices in validation', train: split.train.length, validation: split.validation.length },
    labelPolicy: [
      'Pseudo-label PNG masks are soft (0–255): ≥ 128 is infection; tile pixels are infection when ≥ 50 % of their area was.',
      'Consecutive pseudo-label slice numbers of one volume are adjacent slices (checked in candidates-dataset-fingerprint.json): they are the neighbour channels; at a volume end and for the single expert slices the centre slice is repeated.',
      'The 8-bit images were windowed differently per source; they are read as pseudo-HU through the lung window like any 8-bit stack, and training randomises the window (±15 %).',
      'Images are stored in several orientations (rotated, some upside down): training uses all 8 flips/rotations, so orientation does not matter.',
    ],
    seed: py.config.seed as number,
    epochs: py.epochs,
    hyperparameters: { ...py.config, steps: py.steps, trainTiles: py.trainTiles, validationTiles: py.validationTiles },
    timeSeconds: py.trainSeconds,
    hardware: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} (shared with other jobs), PyTorch threads ${py.threads}`,
    framework: `PyTorch ${py.torch} (CPU), ONNX legacy exporter opset 13`,
    gitCommit,
    trainedAt: new Date().toISOString(),
  },
  metrics: readableMetrics(),
  parity: { maxAbsDiff, tolerance: PARITY_TOLERANCE, samples: parity.samples },
  limitations: [
    'Trained on COVID-19 infection masks only, most of them model-made (pseudo labels); other pneumonia and TB foci are found only as far as they look alike (see the TB recall).',
    'Works per slice at 128 × 128 over each lung box: foci under ≈ 4 mm are below its resolution.',
    'Thresholded low on purpose (§3.3.2): many candidates are normal tissue; the classifier decides.',
    `Validation is small (${pseudoPatients(split.validation)} held-out patients, ${countBy('infnet-doctor', 'validation')} expert slices) and from public 8-bit images, not HU scanners.`,
    ...(threshold === Math.min(...THRESHOLD_GRID) ? [`Even at the lowest threshold tried (${threshold}) the validation tile lesion recall (${at0()?.toFixed(3)}) stays below the ${RECALL_TARGET} target: small and faint foci are missed.`] : []),
    'Low threshold means many candidates on a normal CT too (see COVID-CT-MD normal001): the classifier must vote them irrelevant.',
  ],
  licence: 'Research use only; non-commercial (inherits COVID-SemiSeg / CC BY-NC-SA terms of its training images).',
  disclaimer: NOT_A_DIAGNOSTIC_DEVICE,
};
const cardPath = join(modelsDir, `${MODEL_ID}.card.json`);
const card: ModelCard = parseModelCard(cardJson, cardPath);
writeFileSync(cardPath, `${JSON.stringify(cardJson, null, 1)}\n`);
writeFileSync(join(modelsDir, `${MODEL_ID}.card.md`), renderModelCardMarkdown(card));
// the written card must load through the same path screening uses
await loadLearnedGenerator(cardPath);
log(`wrote ${onnxOut} (${(onnxBytes.length / 2 ** 20).toFixed(2)} MiB), ${cardPath}, candidates-metrics.json, candidates-split.json`);
console.log(JSON.stringify({ parity: maxAbsDiff, threshold, recall }, null, 1));
