/**
 * Model cards: the JSON every trained model ships with (the code reads it) plus a Markdown twin
 * (people read it). The training command writes both; `loadModel` refuses a model whose card is
 * missing, malformed or inconsistent with the ONNX file.
 *
 * Stable API (other stages build on it):
 *   ModelCardSchema           zod schema of the JSON card: a union by task, validated once at load
 *   type ModelCard            z.infer of it = ClassifierCard | SegmenterCard
 *   type ClassifierCard       task 'classifier': patch size, window, margins, grey levels, slice offsets present
 *   type SegmenterCard        task 'segmenter': tile size, threshold, one slice offset per channel present
 *   parseModelCard(json, path): ModelCard           throws ModelError naming the file and field
 *   readModelCard(path): ModelCard                  reads + parses a `.card.json`
 *   renderModelCardMarkdown(card): string            the people-facing twin
 *   NOT_A_DIAGNOSTIC_DEVICE                          the fixed sentence every card carries
 *   NON_COMMERCIAL_NOTICE                            the licence inheritance sentence
 *
 * The class list lives in the card (core/classes.ts ClassSpec), never in decision code (§2.6).
 * What a stage needs of its model's card is required by the card's task here, so the patch spec
 * (classify/patch-spec.ts patchSpecFromCard) and the tiling (candidates/learned.ts
 * segmenterSettings) are read from a checked card and never validated again. The calibrated case
 * decision's card (task 'case-decision') has its own schema in decision-card.ts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { validateClassSpec, type ClassSpec } from '../core/classes.ts';
import { ModelError } from '../core/errors.ts';

export const MODEL_CARD_SCHEMA_VERSION = 1;

/** Every card carries this sentence verbatim; the schema rejects a card without it. */
export const NOT_A_DIAGNOSTIC_DEVICE =
  'This model is research software and is not a diagnostic device: it must not be used to diagnose, treat or triage patients.';

/** Models trained on ../shared/data inherit the non-commercial terms of its sources (data README). */
export const NON_COMMERCIAL_NOTICE =
  'Trained on data licensed for non-commercial research only (CC BY-NC-SA 3.0, COVID-SemiSeg non-commercial, COVID-CT-MD research use); the weights inherit these terms.';

const positiveInt = z.number().int().positive();

const TensorSpecSchema = z.object({
  /** Name of the ONNX graph input/output. */
  name: z.string().min(1),
  /** Dimensions; a string names a dynamic axis (e.g. 'batch'). */
  shape: z.array(z.union([positiveInt, z.string().min(1)])).min(1),
  dtype: z.enum(['float32', 'int64', 'uint8']),
  description: z.string().min(1),
});

const WindowSchema = z.object({
  centerHu: z.number(),
  widthHu: z.number().positive(),
});

const ChannelSchema = z.object({
  description: z.string().min(1),
  /** Window applied to HU before scaling to [0, 1]; absent when the channel is not an HU image. */
  windowHu: WindowSchema.optional(),
});

/** What every network's input section holds. */
const inputFields = {
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
  /** One entry per image channel, in tensor order. */
  channels: z.array(ChannelSchema).min(1),
  /** How voxel values become tensor values, in words (e.g. 'clip HU to window, scale to [0, 1]'). */
  normalisation: z.string().min(1),
};

/** A classifier's input: how a candidate cube becomes its patches (§2.2, §2.4; classify/patch-spec.ts). */
const ClassifierInputSchema = z.object({
  ...inputFields,
  /** The lung window of each patch channel. */
  channels: z.array(ChannelSchema.extend({ windowHu: WindowSchema })).min(1),
  /** Patch height and width fed to the network, pixels (square). */
  patchSizePx: z.tuple([positiveInt, positiveInt]).refine(([h, w]) => h === w, 'patchSizePx must be square'),
  /** Fixed margin added around a candidate box before cropping, mm (§2.4). */
  marginMm: z.number().nonnegative(),
  /** Smallest crop side before resizing, mm, so tiny boxes still show context. */
  minCropMm: z.number().positive(),
  /** Normalised values are rounded to 1/greyLevels steps (8-bit sources and HU sources alike). */
  greyLevels: positiveInt,
  /** Axial slice offsets around a cube centre turned into patches (§2.2: centre and two neighbours). */
  sliceOffsets: z.array(z.number().int()).min(1),
  /** Factor applied to the relative distance-from-edge before it enters the network (§2.5.2); M2 only. */
  distanceScale: z.number().positive().optional(),
});

/** A segmenter's input: tiles of neighbouring slices (§2.3; candidates/sliding-window.ts) and its thresholds. */
const SegmenterInputSchema = z
  .object({
    ...inputFields,
    /** Axial slice offsets stacked as channels, one per channel (z−1, z, z+1). */
    sliceOffsets: z.array(z.number().int()).min(1),
    extra: z
      .object({
        /** Side of the square tile, pixels. */
        tileSize: positiveInt,
        /** LOW candidate threshold (§3.3.2, for recall), chosen on validation patients. */
        threshold: z.number().gt(0).lt(1),
        /** Dice-optimal threshold for the lesion mask (lung involvement, lesions.nii.gz), chosen on validation tiles; absent on v1 cards. */
        lesionThreshold: z.number().gt(0).lt(1).optional(),
        /** Candidate components smaller than this are dropped, mL (chosen on validation patients); absent on v1 cards. */
        minVolumeMl: z.number().positive().optional(),
        /** Hysteresis (v3): a candidate must reach this probability somewhere; null or absent = none. */
        seedThreshold: z.number().gt(0).lt(1).nullable().optional(),
      })
      .catchall(z.unknown()),
  })
  .refine((i) => i.sliceOffsets.length === i.channels.length, { message: 'sliceOffsets must list one offset per channel', path: ['sliceOffsets'] })
  .refine((i) => i.extra.seedThreshold == null || i.extra.seedThreshold >= i.extra.threshold, { message: 'seedThreshold must not be below threshold', path: ['extra', 'seedThreshold'] });

const DataSourceSchema = z.object({
  /** Folder under ../shared/data, e.g. 'infnet-semiseg'. */
  source: z.string().min(1),
  licence: z.string().min(1),
  /** How it was used (labels taken, pseudo labels, ...). */
  use: z.string().min(1),
  /** Samples (patches, slices) taken from this source, by split. */
  counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

const ClassSpecSchema = z.object({
  labels: z.array(z.string().min(1)).min(2),
  infectionLabels: z.array(z.string().min(1)),
  irrelevantLabel: z.string().min(1),
  displayNames: z.record(z.string(), z.string()).optional(),
});

/** The fields every network card has, whatever its task. */
const cardFields = {
  schemaVersion: z.literal(MODEL_CARD_SCHEMA_VERSION),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case id'),
  version: z.string().min(1),
  description: z.string().min(1),
  /** Paper section(s) the model implements. */
  paperSections: z.array(z.string()).default([]),
  classSpec: ClassSpecSchema,
  /** Temperature T for calibrated softmax(logits / T), fitted on validation; 1 = uncalibrated. */
  temperature: z.number().positive(),
  onnx: z.object({
    /** File name relative to the card's folder. */
    file: z.string().min(1),
    opset: positiveInt,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: positiveInt,
  }),
  architecture: z.string().min(1),
  parameters: positiveInt,
  training: z.object({
    data: z.array(DataSourceSchema).min(1),
    /** Split file relative to the card's folder, and what a split unit is. */
    split: z.object({ file: z.string().min(1), unit: z.string().min(1), train: z.number().int().nonnegative(), validation: z.number().int().nonnegative() }),
    labelPolicy: z.array(z.string()).default([]),
    seed: z.number().int(),
    epochs: z.number().int().nonnegative(),
    hyperparameters: z.record(z.string(), z.unknown()).default({}),
    timeSeconds: z.number().nonnegative(),
    hardware: z.string().min(1),
    framework: z.string().min(1),
    gitCommit: z.string().min(1),
    trainedAt: z.string().min(1),
  }),
  /** Validation metrics (patch level, region level, ...) as the training command measured them. */
  metrics: z.record(z.string(), z.unknown()),
  parity: z.object({ maxAbsDiff: z.number().nonnegative(), tolerance: z.number().positive(), samples: positiveInt }).optional(),
  limitations: z.array(z.string()).default([]),
  licence: z.string().min(1),
  disclaimer: z.literal(NOT_A_DIAGNOSTIC_DEVICE),
};

export const ClassifierCardSchema = z.object({ ...cardFields, task: z.literal('classifier'), input: ClassifierInputSchema });
export const SegmenterCardSchema = z.object({ ...cardFields, task: z.literal('segmenter'), input: SegmenterInputSchema });
export const ModelCardSchema = z.discriminatedUnion('task', [ClassifierCardSchema, SegmenterCardSchema]);

export type ClassifierCard = z.infer<typeof ClassifierCardSchema>;
export type SegmenterCard = z.infer<typeof SegmenterCardSchema>;
export type ModelCard = z.infer<typeof ModelCardSchema>;
export type ModelTask = ModelCard['task'];
/** The card type of a task. */
export type CardOf<T extends ModelTask> = Extract<ModelCard, { task: T }>;

/** Validates a parsed card; throws ModelError naming the file and the first bad fields. */
export function parseModelCard(json: unknown, path: string): ModelCard {
  const r = ModelCardSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelError('MODEL_CARD_INVALID', `model card ${path} is invalid: ${issues}`, { path });
  }
  const card = r.data;
  try {
    validateClassSpec(card.classSpec as ClassSpec);
  } catch (e) {
    throw new ModelError('MODEL_CARD_INVALID', `model card ${path} has an inconsistent classSpec: ${(e as Error).message}`, { path });
  }
  if (card.task === 'classifier') {
    const logits = card.input.outputs[0];
    const n = logits.shape[logits.shape.length - 1];
    if (typeof n === 'number' && n !== card.classSpec.labels.length) {
      throw new ModelError('MODEL_CARD_INVALID', `model card ${path}: output '${logits.name}' has ${n} classes but classSpec lists ${card.classSpec.labels.length}`, { path });
    }
  }
  return card;
}

export function readModelCard(path: string): ModelCard {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelError('MODEL_CARD_MISSING', `model card ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); run the model's training command or check the path`, { path, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError('MODEL_CARD_INVALID', `model card ${path} is not valid JSON: ${(e as Error).message}`, { path, cause: e });
  }
  return parseModelCard(json, path);
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The Markdown twin of a card: same facts, for people. */
export function renderModelCardMarkdown(card: ModelCard): string {
  const t = card.training;
  const lines: string[] = [];
  lines.push(`# Model card: ${card.id} (v${card.version})`, '');
  lines.push(`> ${card.disclaimer}`, '');
  lines.push(card.description, '');
  lines.push('## Summary', '');
  lines.push(`- Task: ${card.task}${card.paperSections.length ? ` (paper ${card.paperSections.join(', ')})` : ''}`);
  lines.push(`- Architecture: ${card.architecture}; ${card.parameters.toLocaleString('en-US')} parameters`);
  lines.push(`- ONNX: \`${card.onnx.file}\`, opset ${card.onnx.opset}, ${(card.onnx.bytes / 2 ** 20).toFixed(2)} MiB, sha256 \`${card.onnx.sha256}\``);
  lines.push(`- Classes (output order): ${card.classSpec.labels.map((l) => `\`${l}\``).join(', ')}; infections: ${card.classSpec.infectionLabels.map((l) => `\`${l}\``).join(', ')}; irrelevant: \`${card.classSpec.irrelevantLabel}\``);
  lines.push(`- Temperature (calibrated softmax of logits / T): ${card.temperature.toFixed(4)}`);
  lines.push(`- Licence: ${card.licence}`, '');
  lines.push('## Input', '');
  for (const x of card.input.inputs) lines.push(`- input \`${x.name}\` ${x.dtype}[${x.shape.join(', ')}]: ${x.description}`);
  for (const x of card.input.outputs) lines.push(`- output \`${x.name}\` ${x.dtype}[${x.shape.join(', ')}]: ${x.description}`);
  card.input.channels.forEach((c, i) => lines.push(`- channel ${i}: ${c.description}${c.windowHu ? ` (window centre ${c.windowHu.centerHu} HU, width ${c.windowHu.widthHu} HU)` : ''}`));
  lines.push(`- Normalisation: ${card.input.normalisation}`);
  if (card.task === 'classifier') {
    const i = card.input;
    lines.push(`- Patch size: ${i.patchSizePx.join(' × ')} px`);
    lines.push(`- Square crop around the candidate box with a ${i.marginMm} mm margin; minimum crop side ${i.minCropMm} mm`);
    lines.push(`- Values quantised to ${i.greyLevels} grey steps`);
    lines.push(`- Axial slices per candidate: offsets ${i.sliceOffsets.join(', ')} from the cube centre`);
    if (i.distanceScale !== undefined) lines.push(`- Relative distance-from-edge multiplied by ${i.distanceScale} before entering the network`);
  } else {
    lines.push(`- Axial slices per candidate: offsets ${card.input.sliceOffsets.join(', ')} from the cube centre`);
    for (const [k, v] of Object.entries(card.input.extra)) lines.push(`- ${k}: ${fmt(v)}`);
  }
  lines.push('', '## Training data and licences', '');
  for (const d of t.data) {
    const counts = d.counts ? ` Counts: ${Object.entries(d.counts).map(([k, v]) => `${k} ${v}`).join(', ')}.` : '';
    lines.push(`- \`${d.source}\` — ${d.licence}. ${d.use}${counts}`);
  }
  if (t.labelPolicy.length) {
    lines.push('', '### Label policy', '');
    for (const p of t.labelPolicy) lines.push(`- ${p}`);
  }
  lines.push('', '## Split and training', '');
  lines.push(`- Split: \`${t.split.file}\`, unit = ${t.split.unit}; ${t.split.train} train / ${t.split.validation} validation units`);
  lines.push(`- Seed ${t.seed}; ${t.epochs} epochs; ${t.framework}; ${t.hardware}`);
  lines.push(`- Training time: ${(t.timeSeconds / 60).toFixed(1)} min; trained ${t.trainedAt} at commit \`${t.gitCommit}\``);
  for (const [k, v] of Object.entries(t.hyperparameters)) lines.push(`- ${k}: ${fmt(v)}`);
  lines.push('', '## Validation metrics', '');
  lines.push(...renderMetrics(card.metrics));
  if (card.parity) lines.push('', `ONNX parity (onnxruntime vs PyTorch, ${card.parity.samples} samples): max |Δ| = ${card.parity.maxAbsDiff.toExponential(2)} (tolerance ${card.parity.tolerance}).`);
  if (card.limitations.length) {
    lines.push('', '## Limitations', '');
    for (const l of card.limitations) lines.push(`- ${l}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Metrics render as tables where they look like confusion matrices, else as key: value lines. */
function renderMetrics(metrics: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(metrics)) {
    if (v && typeof v === 'object' && 'labels' in v && 'matrix' in v) {
      const { labels, matrix } = v as { labels: string[]; matrix: number[][] };
      out.push(`### ${k} (rows actual, columns predicted)`, '');
      out.push(`| actual \\ predicted | ${labels.join(' | ')} |`, `|---|${labels.map(() => '---').join('|')}|`);
      labels.forEach((l, i) => out.push(`| ${l} | ${matrix[i].join(' | ')} |`));
      const perClass = (v as { perClass?: Record<string, Record<string, number>> }).perClass;
      if (perClass) {
        out.push('', '| class | recall | precision | f1 | support |', '|---|---|---|---|---|');
        for (const l of labels) {
          const p = perClass[l];
          if (p) out.push(`| ${l} | ${fmt(p.recall)} | ${fmt(p.precision)} | ${fmt(p.f1)} | ${fmt(p.support)} |`);
        }
      }
      for (const [kk, vv] of Object.entries(v)) if (!['labels', 'matrix', 'perClass'].includes(kk)) out.push(`- ${kk}: ${fmt(vv)}`);
      out.push('');
    } else {
      out.push(`- ${k}: ${fmt(v)}`);
    }
  }
  return out;
}
