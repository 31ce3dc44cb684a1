/**
 * What `ctscreen models` (and a server's /models) shows: every registry model with the facts of its
 * card, or why it is not usable. Reads cards only; creates no session.
 *
 *   listModels(options?): ModelListing[]
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isCtscreenError } from '../core/errors.ts';
import { models as registryModels, type ModelEntry } from '../registry.ts';
import { REPO_ROOT } from './load-model.ts';
import { readModelCard, type ModelCard } from './model-card.ts';

export type ModelStatus = 'ready' | 'not-trained' | 'invalid';

export interface ModelListing {
  entry: ModelEntry;
  status: ModelStatus;
  /** Present when the card parsed. */
  card?: ModelCard;
  onnxBytes?: number;
  /** Why the model is not ready. */
  problem?: string;
}

export function listModels(options: { root?: string; entries?: readonly ModelEntry[] } = {}): ModelListing[] {
  const root = options.root ?? REPO_ROOT;
  return (options.entries ?? registryModels).map((entry) => {
    const onnxPath = resolve(root, entry.onnxPath);
    const cardPath = resolve(root, entry.cardPath);
    if (!existsSync(cardPath) && !existsSync(onnxPath)) {
      return { entry, status: 'not-trained', problem: `no ${entry.onnxPath} or ${entry.cardPath}; run npm run train:${entry.stage === 'classifier' ? 'classifier' : 'candidates'}` };
    }
    let card: ModelCard;
    try {
      card = readModelCard(cardPath);
    } catch (e) {
      if (isCtscreenError(e)) return { entry, status: 'invalid', problem: e.message };
      throw e;
    }
    if (!existsSync(onnxPath)) return { entry, status: 'invalid', card, problem: `card present but ${entry.onnxPath} is missing` };
    const onnxBytes = statSync(onnxPath).size;
    if (onnxBytes !== card.onnx.bytes) return { entry, status: 'invalid', card, onnxBytes, problem: `${entry.onnxPath} has ${onnxBytes} bytes, its card says ${card.onnx.bytes}` };
    return { entry, status: 'ready', card, onnxBytes };
  });
}
