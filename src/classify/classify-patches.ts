/**
 * Batched patch classification (§2.5): the model is passed in (a LoadedModel from src/models fits),
 * so this is a pure function of its inputs and testable with a hand-made linear ONNX graph.
 *
 *   classifyPatches({ patches, model, batchSize? }): Promise<PatchClassification>
 *
 * Probabilities are softmax(logits / T) with the card's temperature (fitted on validation), in the
 * card's class order; `predictions` are ready for the region vote (src/decide voteRegion).
 */
import { ModelError } from '../core/errors.ts';
import type { ClassSpec } from '../core/classes.ts';
import type { PatchPrediction } from '../decide/types.ts';
import type { ClassifierCard } from '../models/model-card.ts';
import { floatTensor, type Tensor } from '../models/load-model.ts';
import type { PatchBatch } from './extract-patches.ts';

/** Patches per ONNX run: big enough to amortise the call, small enough to keep memory flat. */
export const DEFAULT_CLASSIFY_BATCH = 128;

/** What classifyPatches needs of a model (a LoadedModel, or a stub in tests). */
export interface PatchModel {
  card: ClassifierCard;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

export interface ClassifyPatchesOptions {
  patches: Pick<PatchBatch, 'count' | 'channels' | 'sizePx' | 'data' | 'distance'> & Partial<Pick<PatchBatch, 'sliceIndex'>>;
  model: PatchModel;
  batchSize?: number;
}

export interface PatchClassification {
  classSpec: ClassSpec;
  count: number;
  /** count × classes raw logits. */
  logits: Float32Array;
  /** count × classes calibrated probabilities. */
  probabilities: Float32Array;
  /** Per patch: argmax class index. */
  predicted: Int32Array;
  /** One PatchPrediction per patch, for voteRegion. */
  predictions: PatchPrediction[];
}

/** Softmax of logits / temperature, row by row, numerically stable. */
export function calibratedSoftmax(logits: Float32Array, classes: number, temperature: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += classes) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[r + k] / temperature);
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const e = Math.exp(logits[r + k] / temperature - max);
      out[r + k] = e;
      sum += e;
    }
    for (let k = 0; k < classes; k++) out[r + k] /= sum;
  }
  return out;
}

function checkShapes(options: ClassifyPatchesOptions): void {
  const { patches, model } = options;
  const card = model.card;
  const img = card.input.inputs.find((x) => x.name === 'patches');
  if (card.task !== 'classifier' || !img) throw new ModelError('MODEL_TASK_MISMATCH', `model '${card.id}' is not a patch classifier (no 'patches' input)`);
  const [, c, h, w] = img.shape;
  if (c !== patches.channels || h !== patches.sizePx || w !== patches.sizePx) {
    throw new ModelError('MODEL_CARD_MISMATCH', `model '${card.id}' expects patches [${img.shape.join(', ')}] but got ${patches.channels}×${patches.sizePx}×${patches.sizePx}; cut them with patchSpecFromCard(card)`);
  }
  const plane = patches.channels * patches.sizePx * patches.sizePx;
  if (patches.data.length !== patches.count * plane || patches.distance.length !== patches.count) {
    throw new RangeError(`patch batch holds ${patches.data.length} values and ${patches.distance.length} distances for ${patches.count} patches of ${plane}`);
  }
}

export async function classifyPatches(options: ClassifyPatchesOptions): Promise<PatchClassification> {
  checkShapes(options);
  const { patches, model } = options;
  const card = model.card;
  const k = card.classSpec.labels.length;
  const batchSize = options.batchSize ?? DEFAULT_CLASSIFY_BATCH;
  const plane = patches.channels * patches.sizePx * patches.sizePx;
  const wantsDistance = card.input.inputs.some((x) => x.name === 'distance');
  const outName = card.input.outputs[0].name;
  const logits = new Float32Array(patches.count * k);
  for (let s = 0; s < patches.count; s += batchSize) {
    const n = Math.min(batchSize, patches.count - s);
    const feeds: Record<string, Tensor> = {
      patches: floatTensor(patches.data.subarray(s * plane, (s + n) * plane), [n, patches.channels, patches.sizePx, patches.sizePx]),
    };
    if (wantsDistance) feeds.distance = floatTensor(patches.distance.subarray(s, s + n), [n, 1]);
    const out = await model.run(feeds);
    const t = out[outName];
    if (!t || t.data.length !== n * k) throw new ModelError('MODEL_OUTPUT', `model '${card.id}' returned ${t ? t.data.length : 'no'} '${outName}' values for ${n} patches × ${k} classes`);
    logits.set(t.data as Float32Array, s * k);
  }
  const probabilities = calibratedSoftmax(logits, k, card.temperature);
  const predicted = new Int32Array(patches.count);
  const predictions: PatchPrediction[] = new Array(patches.count);
  for (let i = 0; i < patches.count; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + best]) best = c;
    predicted[i] = best;
    predictions[i] = {
      probabilities: Array.from(probabilities.subarray(i * k, (i + 1) * k)),
      sliceIndex: patches.sliceIndex?.[i],
      distanceFromEdge: patches.distance[i],
    };
  }
  return { classSpec: card.classSpec, count: patches.count, logits, probabilities, predicted, predictions };
}
