/**
 * `npm run train:classifier`, as an API: patch dataset → PyTorch training of M1 and M2 (§2.5.2) →
 * temperature → ONNX → parity (onnxruntime-node vs PyTorch) → validation tables (§3.3.3–§3.3.4) →
 * model card JSON + Markdown, split, fingerprint and metrics under `outDir`.
 *
 *   trainClassifier(options): Promise<TrainClassifierResult>
 *
 * Python (training/classifier/train.py) only reads the exported tensors; every preprocessing step
 * lives once, in TypeScript (src/dataset/patches.ts). The steps after PyTorch (parity, size limit,
 * card writer) are the segmenter's too (../model-files.ts). Seeded and resumable: the Python side checkpoints every epoch.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clearModelCache, loadModel, floatTensor } from '../../models/load-model.ts';
import { NON_COMMERCIAL_NOTICE, NOT_A_DIAGNOSTIC_DEVICE, type ModelCard } from '../../models/model-card.ts';
import { readPatchDataset, type PatchDatasetIndex } from '../../dataset/patch-format.ts';
import { checkModelSize, checkParity, maxAbsDifference, PARITY_TOLERANCE, runPython, writeModelCard } from '../model-files.ts';
import { gitCommit } from '../provenance.ts';
import { validationTables, type ValidationTables } from './validation-tables.ts';

/**
 * v2: trained on DICOM COVID-19 too, screening's lungs and candidates, anti-shortcut augmentation.
 * v2.2: candidates of both generators (learned + classical), so one classifier serves either screening
 * mode; lung masks without the abdominal organs at the bases. The committed models/ are what
 * `npm run train:classifier` writes with its defaults (v2.1 was made by an earlier export and is gone).
 */
// 9.0.0: v8's recipe, its irrelevant class mined with segmenter 7.0.0's candidates (96 training epochs)
// 10.0.0: v8's recipe, mined with segmenter 8.0.0's candidates (96 epochs with emphysema negatives)
export const CLASSIFIER_VERSION = '10.0.0';

export type ClassifierVariant = 'm1' | 'm2';

export interface TrainClassifierOptions {
  /** Folder with index.json / patches.bin / split.json (from `ctscreen dataset patches`). */
  datasetDir: string;
  /** Where the ONNX files, cards, split and metrics go (the repository's models/ for the real run). */
  outDir: string;
  /** Checkpoints and Python outputs. */
  workDir: string;
  variants?: ClassifierVariant[];
  epochs?: number;
  seed?: number;
  /** Stop after this many optimiser steps (CI smoke run); 0 / undefined = full epochs. */
  maxSteps?: number;
  batchSize?: number;
  /** Torch threads (default 1: on the 2 shared cores, 2 OpenMP threads thrash when anything else runs — measured 30–60 vs 240 samples/s). */
  threads?: number;
  python?: string;
  /** Progress lines (Python's progress and ETA are passed through). */
  log?: (line: string) => void;
  /** Extra card facts supplied by the dataset exporter (data sources, licences, label policy, limitations). */
  cardExtras?: CardExtras;
}

export interface CardExtras {
  data: ModelCard['training']['data'];
  limitations: string[];
}

export interface TrainedVariant {
  variant: ClassifierVariant;
  card: ModelCard;
  onnxPath: string;
  cardPath: string;
  parityMaxAbsDiff: number;
  tables: ValidationTables;
}

export interface TrainClassifierResult {
  variants: TrainedVariant[];
  metricsPath: string;
  splitPath: string;
  seconds: number;
}

interface PythonResult {
  id: string;
  labels: string[];
  parameters: number;
  distanceScale: number;
  history: Array<Record<string, number>>;
  trainSeconds: number;
  steps: number;
  epochs: number;
  config: Record<string, unknown>;
  torch: string;
  hardware: string;
  temperature: number;
  validation?: Record<string, unknown>;
  onnx: { opset: number; sha256: string; bytes: number; file: string };
}

/** The classifier's Python step (training/classifier/train.py as a module, from the repository root). */
function runTrainPy(python: string | undefined, args: string[], threads: number, log: (l: string) => void): Promise<void> {
  return runPython(['-m', 'training.classifier.train', ...args], { python, threads, log, what: 'training/classifier/train.py' });
}

export interface DeterminismResult {
  variant: ClassifierVariant;
  steps: number;
  threads: number;
  /** sha256 of the ONNX weights of each run. */
  sha256: [string, string];
  identical: boolean;
}

/**
 * Issue 9 §6: trains the same short run twice (same data, seed, thread count; fresh work folders)
 * and compares the ONNX files byte for byte: identical files mean the training is bit-reproducible
 * on this machine, so a difference between M1 and M2 is not run-to-run noise of the code.
 */
export async function checkTrainingDeterminism(options: { datasetDir: string; workDir: string; variant: ClassifierVariant; steps: number; seed?: number; threads?: number; python?: string; log?: (l: string) => void }): Promise<DeterminismResult> {
  const threads = options.threads ?? 1;
  const hashes: string[] = [];
  for (const run of ['a', 'b']) {
    const dir = resolve(options.workDir, `determinism-${run}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const args = ['--data', resolve(options.datasetDir), '--variant', options.variant, '--out', dir, '--work', dir, '--epochs', '1', '--max-steps', String(options.steps), '--threads', String(threads)];
    if (options.seed !== undefined) args.push('--seed', String(options.seed));
    await runTrainPy(options.python, args, threads, options.log ?? (() => {}));
    hashes.push(createHash('sha256').update(readFileSync(join(dir, `classifier-${options.variant}.onnx`))).digest('hex'));
  }
  return { variant: options.variant, steps: options.steps, threads, sha256: [hashes[0], hashes[1]], identical: hashes[0] === hashes[1] };
}

/** Compares onnxruntime-node outputs with the PyTorch outputs written by train.py on the same inputs. */
export async function measureParity(cardPath: string, parityJsonPath: string): Promise<{ maxAbsDiff: number; samples: number }> {
  const model = await loadModel(cardPath);
  const meta = JSON.parse(readFileSync(parityJsonPath, 'utf8')) as { inputs: string[]; outputs: string[]; tensors: Record<string, { shape: number[]; file: string }> };
  const dir = resolve(parityJsonPath, '..');
  const load = (name: string) => {
    const b = readFileSync(join(dir, meta.tensors[name].file));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const feeds: Record<string, ReturnType<typeof floatTensor>> = {};
  const graphInputs = new Set(model.card.input.inputs.map((x) => x.name));
  for (const name of meta.inputs) if (graphInputs.has(name)) feeds[name] = floatTensor(load(name), meta.tensors[name].shape);
  const out = await model.run(feeds);
  let maxAbsDiff = 0;
  for (const name of meta.outputs) maxAbsDiff = Math.max(maxAbsDiff, maxAbsDifference(out[name].data as Float32Array, load(name), `'${name}'`));
  return { maxAbsDiff, samples: meta.tensors[meta.inputs[0]].shape[0] };
}

function tableMetrics(t: ValidationTables): Record<string, unknown> {
  return {
    patchAccuracy: t.patch.accuracy,
    patchMacroF1: t.patch.macroF1,
    regionAccuracy: t.region.accuracy,
    regionMacroF1: t.region.macroF1,
    expectedCalibrationError: t.expectedCalibrationError,
    patchConfusion: t.patch,
    regionConfusion: t.region,
    singlePatchRegionConfusion: t.regionSinglePatch,
    perSourcePatchAccuracy: t.perSourceAccuracy,
  };
}

function buildCard(variant: ClassifierVariant, py: PythonResult, index: PatchDatasetIndex, split: { train: string[]; validation: string[]; unit: string }, extras: CardExtras | undefined, seconds: number): ModelCard {
  const spec = index.patchSpec;
  const inputs: ModelCard['input']['inputs'] = [{ name: 'patches', shape: ['batch', spec.channels, spec.sizePx, spec.sizePx], dtype: 'float32', description: 'lung-window patches in [0, 1] (see channels and normalisation)' }];
  if (variant === 'm2') inputs.push({ name: 'distance', shape: ['batch', 1], dtype: 'float32', description: 'raw relative distance-from-edge of the patch centre (§2.5.1); the graph multiplies it by distanceScale' });
  const isM2 = variant === 'm2';
  return {
    schemaVersion: 1,
    id: py.id,
    version: CLASSIFIER_VERSION,
    task: 'classifier',
    description: isM2
      ? 'Location-attention patch classifier (paper §2.5, model M2): ResNet-18 features of a candidate patch plus its relative distance-from-edge, classifying COVID-19 vs other pneumonia vs irrelevant-to-infection.'
      : 'Patch classifier without location attention (paper §2.5, model M1, the ablation baseline): ResNet-18 features of a candidate patch only.',
    paperSections: ['§2.2', '§2.4', '§2.5', '§3.3.3', '§3.3.4'],
    classSpec: {
      labels: index.labels,
      infectionLabels: index.infectionLabels,
      irrelevantLabel: index.irrelevantLabel,
      displayNames: { covid19: 'COVID-19', other_pneumonia: 'Other pneumonia (CAP; stands in for the paper\'s Influenza-A)', irrelevant: 'Irrelevant to infection' },
    },
    input: {
      inputs,
      outputs: [{ name: 'logits', shape: ['batch', index.labels.length], dtype: 'float32', description: 'class logits; probabilities = softmax(logits / temperature)' }],
      channels: [{ description: 'the patch\'s own axial slice, lung window', windowHu: spec.windowHu }],
      normalisation: `HU clipped to the window and scaled to [0, 1], rounded to 1/${spec.greyLevels} steps (as 8-bit lung-window images)`,
      patchSizePx: [spec.sizePx, spec.sizePx],
      marginMm: spec.marginMm,
      minCropMm: spec.minCropMm,
      greyLevels: spec.greyLevels,
      sliceOffsets: [...spec.sliceOffsets],
      ...(isM2 ? { distanceScale: py.distanceScale } : {}),
    },
    temperature: py.temperature,
    onnx: py.onnx,
    architecture: `ResNet-18 (BasicBlock ×[2,2,2,2], widths 32-64-128-256, 7×7/2 stem + max pool) → 256-d → FC 16${isM2 ? ' ⊕ scaled distance' : ''} → FC 64 → FC 32 → FC ${index.labels.length}`,
    parameters: py.parameters,
    training: {
      data: extras?.data ?? [{ source: 'dataset', licence: 'see dataset', use: `patches from ${index.count} samples` }],
      split: { file: 'classifier-split.json', unit: split.unit, train: split.train.length, validation: split.validation.length },
      labelPolicy: index.labelPolicy,
      seed: Number(py.config.seed),
      epochs: py.epochs,
      hyperparameters: { batchSize: py.config.batch_size, learningRate: py.config.lr, weightDecay: py.config.weight_decay, optimiser: 'AdamW, one-cycle schedule', loss: 'cross-entropy', oversampling: 'covid19 and other_pneumonia ×3 (§2.4); within each class the sources are drawn equally often (with replacement)', augmentation: 'random crop (4 px edge padding), left-right and up-down flips, transposition (§2.4); against the source shortcut, each with probability 0.5: window/level jitter (centre ±120 HU, width ×0.8–1.25), gamma exp(±0.3), Gaussian noise (σ ≤ 0.03 window), Gaussian blur (σ ≤ 1 px), re-quantisation to 16–255 grey levels (training only)', steps: py.steps, modelSelection: 'last epoch (validation is used for the temperature and the report, not for selection)' },
      timeSeconds: seconds,
      hardware: py.hardware,
      framework: `PyTorch ${py.torch} (training), onnxruntime-node (inference)`,
      gitCommit: gitCommit(),
      trainedAt: new Date().toISOString(),
    },
    metrics: { pythonValidation: py.validation ?? {} },
    limitations: extras?.limitations ?? [],
    licence: NON_COMMERCIAL_NOTICE,
    disclaimer: NOT_A_DIAGNOSTIC_DEVICE,
  };
}

export async function trainClassifier(options: TrainClassifierOptions): Promise<TrainClassifierResult> {
  const t0 = Date.now();
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const variants = options.variants ?? ['m1', 'm2'];
  mkdirSync(options.outDir, { recursive: true });
  mkdirSync(options.workDir, { recursive: true });
  const { index, data, split } = readPatchDataset(options.datasetDir);
  const splitPath = join(options.outDir, 'classifier-split.json');
  copyFileSync(join(options.datasetDir, 'split.json'), splitPath);
  if (existsSync(join(options.datasetDir, 'fingerprint.json'))) copyFileSync(join(options.datasetDir, 'fingerprint.json'), join(options.outDir, 'classifier-fingerprint.json'));
  const pyOut = join(options.workDir, 'python-out');
  const results: TrainedVariant[] = [];
  for (const variant of variants) {
    const vt0 = Date.now();
    const args = ['--data', resolve(options.datasetDir), '--variant', variant, '--out', resolve(pyOut), '--work', resolve(options.workDir)];
    if (options.epochs !== undefined) args.push('--epochs', String(options.epochs));
    if (options.seed !== undefined) args.push('--seed', String(options.seed));
    if (options.maxSteps) args.push('--max-steps', String(options.maxSteps));
    if (options.batchSize) args.push('--batch-size', String(options.batchSize));
    const threads = options.threads ?? 1;
    args.push('--threads', String(threads));
    log(`train:classifier ${variant}: python ${args.join(' ')}`);
    await runTrainPy(options.python, args, threads, log);
    const py = JSON.parse(readFileSync(join(pyOut, `classifier-${variant}.train.json`), 'utf8')) as PythonResult;
    checkModelSize(py.onnx.bytes, py.onnx.file);
    copyFileSync(join(pyOut, py.onnx.file), join(options.outDir, py.onnx.file));
    let card = buildCard(variant, py, index, split, options.cardExtras, py.trainSeconds);
    let cardPath = writeModelCard(card, options.outDir);
    await clearModelCache();
    const parity = await measureParity(cardPath, join(pyOut, `${py.id}.parity.json`));
    log(`train:classifier ${variant}: parity max |Δ| = ${parity.maxAbsDiff.toExponential(2)} over ${parity.samples} samples`);
    checkParity(parity.maxAbsDiff, py.onnx.file);
    const model = await loadModel(cardPath, { task: 'classifier' });
    const tables = await validationTables({ index, data, split, model });
    card = { ...card, parity: { maxAbsDiff: parity.maxAbsDiff, tolerance: PARITY_TOLERANCE, samples: parity.samples }, metrics: { ...tableMetrics(tables), ...card.metrics }, training: { ...card.training, timeSeconds: (Date.now() - vt0) / 1000 } };
    cardPath = writeModelCard(card, options.outDir);
    await clearModelCache();
    results.push({ variant, card, onnxPath: join(options.outDir, py.onnx.file), cardPath, parityMaxAbsDiff: parity.maxAbsDiff, tables });
    log(`train:classifier ${variant}: validation patch accuracy ${tables.patch.accuracy.toFixed(3)}, macro F1 ${tables.patch.macroF1.toFixed(3)}; region accuracy ${tables.region.accuracy.toFixed(3)} (${tables.region.count} regions)`);
  }
  const metricsPath = join(options.outDir, 'classifier-metrics.json');
  const metrics = Object.fromEntries(results.map((r) => [r.card.id, { parityMaxAbsDiff: r.parityMaxAbsDiff, temperature: r.card.temperature, trainingSeconds: r.card.training.timeSeconds, ...tableMetrics(r.tables) }]));
  writeFileSync(metricsPath, `${JSON.stringify({ note: 'Validation split (patient level) measured with the ONNX models in onnxruntime-node; rows actual, columns predicted.', ...metrics }, null, 2)}\n`);
  return { variants: results, metricsPath, splitPath, seconds: (Date.now() - t0) / 1000 };
}
