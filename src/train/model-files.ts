/**
 * The one shape of both network trainings (STYLE §6), and what they share after PyTorch:
 *
 *   dataset export (TypeScript, src/dataset/) → PyTorch training (training/, Python) → ONNX →
 *   parity (onnxruntime-node vs PyTorch on the same inputs) → model card JSON + Markdown
 *
 *   runPython(args, options): Promise<void>          the Python step, progress passed through
 *   maxAbsDifference(got, want, what): number         parity measure (throws on a shape mismatch)
 *   checkParity(maxAbsDiff, file): void               refuses a model over PARITY_TOLERANCE
 *   checkModelSize(bytes, file): void                 refuses a model over MAX_MODEL_BYTES
 *   writeModelCard(card, outDir): string              validated card JSON + its Markdown twin
 *
 * `train:candidates` (segmenter/) and `train:classifier` (classifier/) both go through these, so
 * the tolerance, the size limit and the card format cannot drift apart between them.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../core/errors.ts';
import { REPO_ROOT } from '../models/load-model.ts';
import { parseModelCard, renderModelCardMarkdown, type ModelCard } from '../models/model-card.ts';

/** Issue 5: ONNX and PyTorch outputs must agree to this (max absolute difference of the outputs). */
export const PARITY_TOLERANCE = 1e-4;
/** Issue 5: each model file at most 25 MB. */
export const MAX_MODEL_BYTES = 25 * 2 ** 20;
/** PyTorch 1.13 is installed for the system interpreter only (not the python3 first on PATH). */
export const DEFAULT_PYTHON = '/usr/bin/python3';

export interface RunPythonOptions {
  python?: string;
  /** OMP_NUM_THREADS for the child (PyTorch's intra-op threads). */
  threads?: number;
  /** Progress lines of the child (stdout and stderr). */
  log?: (line: string) => void;
  /** What is run, for error messages (e.g. 'training/classifier/train.py'). */
  what: string;
}

/** Runs the system Python from the repository root; rejects with TRAIN_PYTHON naming the last lines it printed. */
export function runPython(args: readonly string[], options: RunPythonOptions): Promise<void> {
  const python = options.python ?? DEFAULT_PYTHON;
  const log = options.log ?? (() => {});
  const env = options.threads === undefined ? process.env : { ...process.env, OMP_NUM_THREADS: String(options.threads) };
  return new Promise((res, rej) => {
    const child = spawn(python, [...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    let tail = '';
    const onData = (b: Buffer) => {
      const text = b.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => rej(new ModelError('TRAIN_PYTHON', `cannot start ${python} (${e.message}); PyTorch 1.13 must be installed for it (apt-get install python3-torch)`)));
    child.on('close', (code) => (code === 0 ? res() : rej(new ModelError('TRAIN_PYTHON', `${options.what} exited with ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`))));
  });
}

/** Largest |got − want| over two output tensors of the same length. */
export function maxAbsDifference(got: ArrayLike<number>, want: ArrayLike<number>, what: string): number {
  if (got.length !== want.length) throw new ModelError('PARITY_SHAPE', `parity: ONNX output ${what} has ${got.length} values, PyTorch ${want.length}`);
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
  return max;
}

/** Refuses an ONNX file whose outputs differ from PyTorch's by more than PARITY_TOLERANCE (NaN fails too). */
export function checkParity(maxAbsDiff: number, file: string): void {
  if (!(maxAbsDiff <= PARITY_TOLERANCE)) throw new ModelError('PARITY_FAILED', `${file}: onnxruntime and PyTorch differ by ${maxAbsDiff} > ${PARITY_TOLERANCE}`);
}

/** Refuses a model file over MAX_MODEL_BYTES. */
export function checkModelSize(bytes: number, file: string): void {
  if (bytes > MAX_MODEL_BYTES) throw new ModelError('MODEL_TOO_BIG', `${file} is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the 25 MB limit`);
}

/** Validates a card and writes its JSON and Markdown into outDir as `<id>.card.{json,md}`; returns the JSON path. */
export function writeModelCard(card: ModelCard, outDir: string): string {
  const checked = parseModelCard(JSON.parse(JSON.stringify(card)), `${card.id}.card.json`);
  const cardPath = join(outDir, `${card.id}.card.json`);
  writeFileSync(cardPath, `${JSON.stringify(checked, null, 2)}\n`);
  writeFileSync(join(outDir, `${card.id}.card.md`), renderModelCardMarkdown(checked));
  return cardPath;
}
