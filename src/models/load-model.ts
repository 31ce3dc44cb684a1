/**
 * Loads a trained model (ONNX + model card) into an onnxruntime-node session, ONCE per file and
 * thread setting, and reuses it (STYLE §9): screening many scans never re-parses the graph.
 *
 * Stable API (the classifier and the candidate segmenter both use it):
 *   resolveModel(idOrPath, options?): ResolvedModel      registry id | path to .onnx | path to .card.json
 *   loadModel(idOrPath, options?): Promise<LoadedModel>   validated card + cached session
 *   LoadedModel = { card, session, onnxPath, cardPath, run(feeds) }
 *     session: on this thread, or with { thread: 'worker' } in a worker thread of its own (./worker-session.ts)
 *     run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>
 *   floatTensor(data: Float32Array, dims): ort.Tensor
 *   clearModelCache(): Promise<void>                       releases every cached session (tests, server shutdown)
 *
 * A path to `X.onnx` expects its card at `X.card.json`; a registry id uses the registry's paths,
 * relative to the repository root. Every problem is a ModelError naming the file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { ModelError } from '../core/errors.ts';
import { models as registryModels, type ModelEntry } from '../registry.ts';
import { readModelCard, type CardOf, type ModelCard, type ModelTask } from './model-card.ts';
import { createWorkerSession } from './worker-session.ts';

/** Repository root: registry paths are relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The machines here have 2 cores; one screening uses both for a model by default. */
export const DEFAULT_INTRA_OP_THREADS = 2;
/**
 * ORT's pool threads busy-wait for work between and after runs unless told not to. On 2 shared cores
 * that spinning takes the CPU from the other thread and from this one's JavaScript (tiling between
 * segmenter batches): P001 screened with spinning took 6.44 s wall, without 5.49 s (one thread 5.46 s;
 * medians of 3, load 2.8, issue 16).
 */
export const INTRA_OP_SPINNING = false;

export type Tensor = ort.Tensor;
export type InferenceSession = ort.InferenceSession;

/** What ctscreen uses of a session: an ort.InferenceSession or a WorkerSession. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/** Where a session runs: on the loading thread, or in a worker thread of its own (its runs leave this thread free). */
export type SessionThread = 'main' | 'worker';

export interface ResolvedModel {
  onnxPath: string;
  cardPath: string;
  /** The registry entry, when the model was named by id. */
  entry?: ModelEntry;
}

export interface LoadModelOptions {
  /** ORT intra-op threads (default 2). Sessions are cached per (file, threads, thread). */
  intraOpThreads?: number;
  /** 'main' (default) or 'worker': the session in a worker thread of its own (./worker-session.ts). */
  thread?: SessionThread;
  /** Folder registry paths are relative to (default: the repository root). */
  root?: string;
  /** Expected task; a card of another task is a ModelError. */
  task?: ModelCard['task'];
  /** Skip the sha256 check of the ONNX file against the card (default false). */
  skipChecksum?: boolean;
}

export interface LoadedModel<C extends ModelCard = ModelCard> {
  card: C;
  session: ModelSession;
  onnxPath: string;
  cardPath: string;
  /** Runs the graph; feeds are keyed by the card's input names. */
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
}

export function resolveModel(idOrPath: string, options: Pick<LoadModelOptions, 'root'> = {}): ResolvedModel {
  const root = options.root ?? REPO_ROOT;
  const entry = registryModels.find((m) => m.id === idOrPath);
  if (entry) {
    return { onnxPath: resolve(root, entry.onnxPath), cardPath: resolve(root, entry.cardPath), entry };
  }
  const looksLikePath = idOrPath.includes('/') || idOrPath.endsWith('.onnx') || idOrPath.endsWith('.json');
  if (!looksLikePath) {
    const ids = registryModels.map((m) => m.id).join(', ') || '(none registered)';
    throw new ModelError('MODEL_UNKNOWN', `unknown model '${idOrPath}': expected one of ${ids}, or a path to a .onnx file or .card.json`);
  }
  const p = isAbsolute(idOrPath) ? idOrPath : resolve(idOrPath);
  if (p.endsWith('.card.json')) {
    const card = readModelCard(p);
    return { onnxPath: resolve(dirname(p), card.onnx.file), cardPath: p };
  }
  if (p.endsWith('.onnx')) {
    return { onnxPath: p, cardPath: p.replace(/\.onnx$/, '.card.json') };
  }
  throw new ModelError('MODEL_UNKNOWN', `model path ${p} is neither a .onnx file nor a .card.json card`, { path: p });
}

interface CacheSlot {
  promise: Promise<LoadedModel>;
}
const cache = new Map<string, CacheSlot>();

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function createLoaded(r: ResolvedModel, options: LoadModelOptions): Promise<LoadedModel> {
  const card = readModelCard(r.cardPath);
  if (options.task && card.task !== options.task) {
    throw new ModelError('MODEL_TASK_MISMATCH', `model card ${r.cardPath} is a ${card.task}, expected a ${options.task}`, { path: r.cardPath });
  }
  if (!existsSync(r.onnxPath)) {
    throw new ModelError('MODEL_MISSING', `model file ${r.onnxPath} does not exist; run the model's training command (e.g. npm run train:${card.task === 'classifier' ? 'classifier' : 'candidates'})`, { path: r.onnxPath });
  }
  if (!options.skipChecksum) {
    const sum = sha256File(r.onnxPath);
    if (sum !== card.onnx.sha256) {
      throw new ModelError('MODEL_CHECKSUM', `model file ${r.onnxPath} does not match its card ${r.cardPath} (sha256 ${sum.slice(0, 12)}… vs ${card.onnx.sha256.slice(0, 12)}…); retrain or restore both files together`, { path: r.onnxPath });
    }
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: INTRA_OP_SPINNING ? '1' : '0' } } },
  };
  let session: ModelSession;
  try {
    session = options.thread === 'worker' ? await createWorkerSession(r.onnxPath, sessionOptions) : await ort.InferenceSession.create(r.onnxPath, sessionOptions);
  } catch (e) {
    throw new ModelError('MODEL_UNREADABLE', `model file ${r.onnxPath} cannot be loaded by onnxruntime: ${(e as Error).message.split('\n')[0]}`, { path: r.onnxPath, cause: e });
  }
  const want = card.input.inputs.map((x) => x.name).sort();
  const have = [...session.inputNames].sort();
  if (want.join(',') !== have.join(',')) {
    await session.release();
    throw new ModelError('MODEL_CARD_MISMATCH', `model ${r.onnxPath} has inputs [${have.join(', ')}] but its card ${r.cardPath} lists [${want.join(', ')}]`, { path: r.cardPath });
  }
  const outs = card.input.outputs.map((x) => x.name);
  const missing = outs.filter((n) => !session.outputNames.includes(n));
  if (missing.length > 0) {
    await session.release();
    throw new ModelError('MODEL_CARD_MISMATCH', `model ${r.onnxPath} lacks outputs [${missing.join(', ')}] listed in its card ${r.cardPath}`, { path: r.cardPath });
  }
  return {
    card,
    session,
    onnxPath: r.onnxPath,
    cardPath: r.cardPath,
    run: (feeds) => session.run(feeds),
  };
}

/**
 * Loads (or returns the cached) model. Concurrent callers share one pending load; a failed load is
 * not cached, so fixing the file and calling again works.
 */
export async function loadModel<T extends ModelTask>(idOrPath: string, options: LoadModelOptions & { task: T }): Promise<LoadedModel<CardOf<T>>>;
export async function loadModel(idOrPath: string, options?: LoadModelOptions): Promise<LoadedModel>;
export async function loadModel(idOrPath: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const r = resolveModel(idOrPath, options);
  const key = `${r.onnxPath}|${options.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS}|${options.thread ?? 'main'}|${options.skipChecksum ? 1 : 0}`;
  const hit = cache.get(key);
  if (hit) {
    const m = await hit.promise;
    if (options.task && m.card.task !== options.task) {
      throw new ModelError('MODEL_TASK_MISMATCH', `model card ${m.cardPath} is a ${m.card.task}, expected a ${options.task}`, { path: m.cardPath });
    }
    return m;
  }
  const promise = createLoaded(r, options);
  cache.set(key, { promise });
  try {
    return await promise;
  } catch (e) {
    cache.delete(key);
    throw e;
  }
}

/** Number of sessions held (tests check that loading twice creates one). */
export function cachedModelCount(): number {
  return cache.size;
}

export async function clearModelCache(): Promise<void> {
  const slots = [...cache.values()];
  cache.clear();
  for (const s of slots) {
    try {
      await (await s.promise).session.release();
    } catch {
      // a failed load holds no session
    }
  }
}
