/**
 * Loads the models a screening needs, once, for the CLI, eval workers and the server:
 *
 *   loadScreeningModels(options): Promise<LoadedScreeningModels>
 *
 * Defaults come from the registry (STYLE §5): the first classifier (the paper's M2) and the first
 * candidate model. Candidates are learned unless the caller asks for classical ones; when the segmenter is
 * not there, screening falls back to the classical generator and says so. The classifier is required.
 */
import type { CandidateGeneratorId } from '../candidates/types.ts';
import { ModelError } from '../core/errors.ts';
import { loadModel, type LoadModelOptions, type SessionThread } from '../models/load-model.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decisionCardFits, decisionModelFromCard, readDecisionCard } from '../models/decision-card.ts';
import { decisionModels as registryDecisionModels, models as registryModels } from '../registry.ts';
import type { DecisionMode, ScreeningModels } from './stages.ts';

export interface LoadScreeningModelsOptions {
  /** Registry id or path of the classifier (default: the registry's first classifier). */
  classifier?: string;
  /** Registry id or path of the candidate segmenter (default: the registry's first candidate model). */
  segmenter?: string;
  /** Candidate generator asked for; undefined = learned when its model is available, else classical with a warning. */
  candidates?: CandidateGeneratorId;
  /** onnxruntime threads per session (default: the model loader's for the classifier, SEGMENTER_WORKER_THREADS for a segmenter in its worker). */
  intraOpThreads?: number;
  /** Where the segmenter's session runs (default 'worker': its batches run while this thread tiles the next, candidates/sliding-window.ts). */
  segmenterThread?: SessionThread;
  /** Folder registry paths are relative to (default: the repository root). */
  root?: string;
  /** 'calibrated' (default) or 'paper' (§2.6.2 exactly). */
  decision?: DecisionMode;
  /** Path of a decision card (default: the registry's first). */
  decisionCard?: string;
}

export interface LoadedScreeningModels {
  models: ScreeningModels;
  /** The generator screening will use. */
  candidates: CandidateGeneratorId;
  /** E.g. the fallback to classical candidates. */
  warnings: string[];
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The segmenter in its worker thread runs on one onnxruntime thread while the main thread tiles the
 * next batch: P001's sliding window took 619–665 ms with 1 thread and 626–644 ms with 2 (three runs
 * each, load 2.2), against 1031–1283 ms for 2 threads on the main thread; same probability map.
 */
export const SEGMENTER_WORKER_THREADS = 1;

/**
 * The calibrated decision's card when asked for and fitting the loaded networks; otherwise the paper's
 * rule with a warning saying why (a card fitted for other networks gives probabilities that mean nothing).
 */
function withDecision(loaded: LoadedScreeningModels, options: LoadScreeningModelsOptions): LoadedScreeningModels {
  if ((options.decision ?? 'calibrated') === 'paper') return loaded;
  const entry = registryDecisionModels[0];
  const path = options.decisionCard ?? (entry ? join(options.root ?? REPO_ROOT, entry.cardPath) : undefined);
  if (!path) {
    loaded.warnings.push("no calibrated decision model is registered: the paper's decision rule (§2.6.2) was used");
    return loaded;
  }
  let card;
  try {
    card = readDecisionCard(path);
  } catch (e) {
    if (options.decisionCard || !(e instanceof ModelError) || e.code !== 'MODEL_CARD_MISSING') throw e;
    loaded.warnings.push("the calibrated decision model is not trained yet (npm run train:decision): the paper's decision rule (§2.6.2) was used, whose confidence is not calibrated");
    return loaded;
  }
  const { classifier, segmenter } = loaded.models;
  const why = decisionCardFits(card, {
    candidates: loaded.candidates,
    classifier: { id: classifier.card.id, sha256: classifier.card.onnx.sha256 },
    segmenter: loaded.candidates === 'learned' && segmenter ? { id: segmenter.card.id, sha256: segmenter.card.onnx.sha256 } : null,
  });
  if (why) {
    if (options.decision === 'calibrated' && options.decisionCard) throw new ModelError('MODEL_CARD_MISMATCH', `decision card ${path} does not fit this screening: ${why}`, { path });
    loaded.warnings.push(`the calibrated decision model ${card.id} ${card.version} does not apply (${why}): the paper's decision rule (§2.6.2) was used, whose confidence is not calibrated`);
    return loaded;
  }
  loaded.models.decision = decisionModelFromCard(card);
  return loaded;
}

/** Codes of a model that is simply not there (as opposed to broken). */
const ABSENT_CODES = new Set(['MODEL_MISSING', 'MODEL_CARD_MISSING', 'MODEL_UNKNOWN']);

function defaultId(stage: 'classifier' | 'candidates'): string | undefined {
  return registryModels.find((m) => m.stage === stage)?.id;
}

export async function loadScreeningModels(options: LoadScreeningModelsOptions = {}): Promise<LoadedScreeningModels> {
  return withDecision(await loadNetworks(options), options);
}

async function loadNetworks(options: LoadScreeningModelsOptions): Promise<LoadedScreeningModels> {
  const loadOptions: LoadModelOptions = { intraOpThreads: options.intraOpThreads, root: options.root };
  const classifierId = options.classifier ?? defaultId('classifier');
  if (!classifierId) throw new ModelError('MODEL_UNKNOWN', 'no classifier model is registered in src/registry.ts; give one with --classifier <path.onnx>');
  let classifier;
  try {
    classifier = await loadModel(classifierId, { ...loadOptions, task: 'classifier' });
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(e.code, `screening needs the patch classifier '${classifierId}': ${e.message}`, { path: e.path, cause: e });
    throw e;
  }
  const warnings: string[] = [];
  // learned by default (the paper's design, §2.3): classifier v2.2 M2 decided 5/5 Radiopaedia COVID stacks with
  // learned candidates and 4/5 with classical ones (74560 → other_pneumonia); models/classifier-case-votes.json
  if (options.candidates === 'classical') return { models: { classifier }, candidates: 'classical', warnings };

  const segmenterId = options.segmenter ?? defaultId('candidates');
  if (!segmenterId) {
    if (options.candidates === 'learned') throw new ModelError('MODEL_UNKNOWN', 'learned candidates need a segmenter, but none is registered in src/registry.ts; give one with --segmenter <path.onnx> or use --candidates classical');
    warnings.push('no candidate segmenter is registered: classical candidate regions (HU bands) were used instead of the learned segmenter');
    return { models: { classifier }, candidates: 'classical', warnings };
  }
  try {
    const thread = options.segmenterThread ?? 'worker';
    const segmenter = await loadModel(segmenterId, { ...loadOptions, intraOpThreads: options.intraOpThreads ?? (thread === 'worker' ? SEGMENTER_WORKER_THREADS : undefined), thread, task: 'segmenter' });
    return { models: { classifier, segmenter }, candidates: 'learned', warnings };
  } catch (e) {
    if (options.candidates === 'learned' || !(e instanceof ModelError) || !ABSENT_CODES.has(e.code)) throw e;
    warnings.push(`the candidate segmenter '${segmenterId}' is not available (${e.message}); classical candidate regions (HU bands) were used instead`);
    return { models: { classifier }, candidates: 'classical', warnings };
  }
}
