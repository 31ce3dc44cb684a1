// Network bench (issues 6 and 16): the two networks of the screening through onnxruntime-node, as the
// pipeline runs them, and through PyTorch on the CPU, on the SAME inputs. One in-process screening
// per bench case records every batch the pipeline feeds each network (to disk, as it goes: RICORD's
// segmenter batches are about a GB); both runtimes then replay exactly those batches REPEATS times,
// timing the network calls only. PyTorch runs the networks rebuilt from the weights inside the same
// ONNX files (training/bench/torch_from_onnx.py), so a fresh clone benches too; max |Δ| between the
// two runtimes' outputs shows it is the same network. Each network's multiply-accumulates per sample
// (counted by the PyTorch side) make its times rates (GMAC/s), read against one fixed 1024³ fp32
// matrix product timed through both runtimes in the same minute: how far either runtime could go.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { isCtscreenError } from '../../src/core/errors.ts';
import { DEFAULT_INTRA_OP_THREADS, resolveModel, type Tensor } from '../../src/models/load-model.ts';
import { loadScreeningModels } from '../../src/pipeline/load-models.ts';
import { screenCase, type ScreeningModels } from '../../src/pipeline/screen.ts';
import { measure } from './measure.ts';
import { benchCases, median, REPO, TARGET_NETWORK_SPEEDUP, type BenchCase } from './cases.ts';
import type { Bench, BenchRow } from './types.ts';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = join(REPO, 'training/bench/torch_inference.py');
const REPEATS = 3;
const NETWORKS = ['segmenter', 'classifier'] as const;
type Network = (typeof NETWORKS)[number];

interface TensorFile {
  file: string;
  shape: readonly number[];
}
interface RecordedBatch {
  model: Network;
  feeds: Record<string, TensorFile>;
  output: TensorFile;
}

function writeTensor(dir: string, file: string, t: Tensor): TensorFile {
  const data = t.data as Float32Array;
  writeFileSync(join(dir, file), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return { file, shape: [...t.dims] };
}

function readTensor(dir: string, t: TensorFile): Tensor {
  const bytes = readFileSync(join(dir, t.file));
  return new ort.Tensor('float32', new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), [...t.shape]);
}

/** What the pipeline calls of a network (its PatchModel and SegmenterModel both are this). */
interface Runnable {
  card: { id: string; input: { outputs: { name: string }[] } };
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

/** The model, with every batch (feeds and first output) written to `dir` as it runs. */
function recording<M extends Runnable>(model: M, name: Network, dir: string, recorded: RecordedBatch[]): M {
  return {
    ...model,
    run: async (feeds) => {
      const out = await model.run(feeds);
      const i = recorded.length;
      const files: Record<string, TensorFile> = {};
      // written before returning: the sliding window reuses its batch buffer
      for (const [k, t] of Object.entries(feeds)) files[k] = writeTensor(dir, `${i}-${k}.f32`, t);
      recorded.push({ model: name, feeds: files, output: writeTensor(dir, `${i}-output.f32`, out[model.card.input.outputs[0].name]) });
      return out;
    },
  };
}

/** Median over REPEATS of the summed time of `model.run` on every recorded batch of that network. */
async function replayOrt(model: Runnable, batches: RecordedBatch[], dir: string): Promise<number> {
  const totals: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    let ms = 0;
    for (const b of batches) {
      const feeds: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(b.feeds)) feeds[k] = readTensor(dir, t);
      const t0 = performance.now();
      await model.run(feeds);
      ms += performance.now() - t0;
    }
    totals.push(ms);
  }
  return median(totals);
}

interface TorchNetwork {
  ms?: Record<string, number>;
  batches?: number;
  samples?: number;
  /** Multiply-accumulates of one sample through the network (forward hooks in torch_inference.py). */
  macsPerSample?: number;
  maxAbsDiff?: number;
  skipped?: string;
}
interface TorchResult {
  segmenter?: TorchNetwork;
  classifier?: TorchNetwork;
  /** One fixed fp32 matrix product through PyTorch, and the same product as an ONNX file for onnxruntime. */
  gemm?: { ms: Record<string, number>; macs: number; onnx: string; shape: number[] };
  torch?: string;
  peakRssMiB?: number;
}

/** GMAC/s: multiply-accumulates per second, in units of 10⁹. */
function gmacs(macs: number, ms: number): number {
  return macs / ms / 1e6;
}

/** Median of 5 runs (after a warm-up) of the fixed matrix product torch_inference.py exported. */
async function ortGemmMs(path: string, shape: readonly number[]): Promise<number> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: DEFAULT_INTRA_OP_THREADS, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const x = new ort.Tensor('float32', new Float32Array(shape[0] * shape[1]).fill(0.5), [...shape]);
    return (await measure(() => session.run({ x }), { runs: 5, warmup: 1 })).ms;
  } finally {
    await session.release();
  }
}

function runTorch(dir: string, onnx: Record<Network, string | undefined>): { result: TorchResult; why: string } {
  const args = [TORCH_SCRIPT, '--inputs', dir, '--threads', String(DEFAULT_INTRA_OP_THREADS), '--repeats', String(REPEATS)];
  if (onnx.segmenter) args.push('--segmenter-onnx', onnx.segmenter);
  if (onnx.classifier) args.push('--classifier-onnx', onnx.classifier);
  const py = spawnSync(PYTHON, args, { encoding: 'utf8', cwd: REPO, maxBuffer: 16 * 2 ** 20 });
  if (py.status === 0) return { result: JSON.parse(py.stdout.trim().split('\n').pop()!) as TorchResult, why: '' };
  return { result: {}, why: `PyTorch run failed: ${(py.stderr || py.error?.message || '').trim().split('\n').slice(-1)[0]}` };
}

async function benchCase(c: BenchCase, loaded: Awaited<ReturnType<typeof loadScreeningModels>>): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), `ctscreen-bench-${c.id}-`));
  try {
    mkdirSync(dir, { recursive: true });
    const recorded: RecordedBatch[] = [];
    const real = { classifier: loaded.models.classifier, segmenter: loaded.models.segmenter };
    const models: ScreeningModels = {
      ...loaded.models,
      classifier: recording(real.classifier, 'classifier', dir, recorded),
      segmenter: real.segmenter ? recording(real.segmenter, 'segmenter', dir, recorded) : undefined,
    };
    const l0 = loadavg()[0].toFixed(2);
    await screenCase({ path: c.path }, { models, candidates: loaded.candidates });
    writeFileSync(join(dir, 'batches.json'), JSON.stringify(recorded));
    const ortMs: Partial<Record<Network, number>> = {};
    for (const name of NETWORKS) {
      const model = real[name];
      const batches = recorded.filter((b) => b.model === name);
      if (model && batches.length > 0) ortMs[name] = await replayOrt(model, batches, dir);
    }
    const onnxOf = (m: Runnable | undefined) => (m ? resolveModel(m.card.id).onnxPath : undefined);
    const { result: torch, why } = runTorch(dir, { segmenter: onnxOf(real.segmenter), classifier: onnxOf(real.classifier) });
    const load = `load ${l0} → ${loadavg()[0].toFixed(2)}`;
    const rows: BenchRow[] = [];
    // the best-shaped fp32 work there is (one 1024³ matrix product), timed through both runtimes in
    // this minute; the faster of the two rates is what a network's rate is read against
    const gemm = torch.gemm;
    let bestGemm: number | undefined;
    if (gemm) {
      const ms = await ortGemmMs(gemm.onnx, gemm.shape);
      bestGemm = gmacs(gemm.macs, ms);
      rows.push({ stage: 'fp32 GEMM 1024³: onnxruntime-node', input: c.id, ms, note: `${bestGemm.toFixed(1)} GMAC/s; ${DEFAULT_INTRA_OP_THREADS} intra-op threads` });
      for (const [threads, tms] of Object.entries(gemm.ms)) {
        const r = gmacs(gemm.macs, tms);
        bestGemm = Math.max(bestGemm, r);
        rows.push({ stage: `fp32 GEMM 1024³: PyTorch CPU, ${threads} thr.`, input: c.id, ms: tms, note: `${r.toFixed(1)} GMAC/s` });
      }
    }
    const rate = (t: TorchNetwork | undefined, ms: number) => {
      if (!t?.macsPerSample || !t.samples) return '';
      const r = gmacs(t.macsPerSample * t.samples, ms);
      return `; ${t.samples} samples × ${(t.macsPerSample / 1e6).toFixed(1)} MMAC = ${r.toFixed(1)} GMAC/s${bestGemm ? ` (${((100 * r) / bestGemm).toFixed(0)} % of the faster GEMM)` : ''}`;
    };
    for (const name of NETWORKS) {
      const batches = recorded.filter((b) => b.model === name).length;
      const ortTime = ortMs[name];
      if (ortTime === undefined) {
        rows.push({ stage: `${name}: onnxruntime-node`, input: c.id, ms: NaN, note: name === 'segmenter' && loaded.candidates !== 'learned' ? `skipped: ${loaded.candidates} candidates` : 'skipped: no batch fed' });
        continue;
      }
      const t = torch[name];
      rows.push({ stage: `${name}: onnxruntime-node`, input: c.id, ms: ortTime, note: `${batches} batches replayed, median of ${REPEATS}; ${DEFAULT_INTRA_OP_THREADS} intra-op threads${rate(t, ortTime)}; ${load}` });
      if (!t || t.skipped || t.ms === undefined) {
        rows.push({ stage: `${name}: PyTorch CPU`, input: c.id, ms: NaN, note: `skipped: ${t?.skipped ?? why}` });
        continue;
      }
      for (const [threads, ms] of Object.entries(t.ms)) {
        rows.push({
          stage: `${name}: PyTorch CPU, ${threads} thr.`,
          input: c.id,
          ms,
          peakRssMiB: torch.peakRssMiB,
          target: `ORT ≥ ${TARGET_NETWORK_SPEEDUP}× faster`,
          note: `PyTorch time / ORT time = ${(ms / ortTime).toFixed(2)}×${rate(t, ms)}; torch ${torch.torch}; same batches, max |Δ| vs ORT ${t.maxAbsDiff?.toExponential(1)}`,
        });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const networksBench: Bench = async () => {
  let loaded;
  try {
    // the segmenter on this thread at DEFAULT_INTRA_OP_THREADS, as PyTorch runs it: a network-only
    // comparison (screening runs it in a worker thread beside the tiling: the candidates bench)
    loaded = await loadScreeningModels({ segmenterThread: 'main' });
  } catch (e) {
    if (isCtscreenError(e)) return { skipped: `models not available: ${e.message}` };
    throw e;
  }
  const { cases, skipped } = await benchCases();
  const rows: BenchRow[] = [];
  for (const c of cases) rows.push(...(await benchCase(c, loaded)));
  for (const s of skipped) rows.push({ stage: 'networks', input: s.split(':')[0], ms: NaN, note: `skipped: ${s.slice(s.indexOf(':') + 2)}` });
  return rows;
};
