// Bench of the whole screening (issue 6): per-stage time and peak RSS of `screenCase` on a real
// 150-slice CT (COVID-CT-MD P001, read included), and — side by side, in the same run, on the same
// inputs — the two networks through onnxruntime-node (as the pipeline runs them) and through PyTorch
// on the CPU (training/bench/torch_inference.py with the training checkpoints). Targets are printed,
// never enforced.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isCtscreenError } from '../../src/core/errors.ts';
import { TIMING_STAGES } from '../../src/core/report-schema.ts';
import type { Tensor } from '../../src/models/load-model.ts';
import { loadScreeningModels } from '../../src/pipeline/load-models.ts';
import { screenCase, type ScreeningModels } from '../../src/pipeline/screen.ts';
import type { Bench, BenchRow } from './types.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CASE = join(REPO, '../shared/data/covid-ct-md/P001');
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = join(REPO, 'training/bench/torch_inference.py');
const RUNS = 3;
const TARGET_TOTAL_MS = 5000;
const TARGET_RSS_MIB = 1.5 * 1024;

interface RecordedTensor {
  data: Float32Array;
  dims: readonly number[];
}

interface Recorded {
  model: 'segmenter' | 'classifier';
  feeds: Record<string, RecordedTensor>;
  output: RecordedTensor;
}

/** A copy: the sliding window reuses its batch buffer, so a kept reference would change under us. */
function copyTensor(t: Tensor): RecordedTensor {
  return { data: Float32Array.from(t.data as Float32Array), dims: [...t.dims] };
}

/** The model, with every run timed and (while `recording`) its inputs and first output kept. */
function instrument<M extends { card: { input: { outputs: { name: string }[] } }; run(f: Record<string, Tensor>): Promise<Record<string, Tensor>> }>(
  model: M,
  name: Recorded['model'],
  state: { recording: boolean; recorded: Recorded[]; ms: Record<string, number> },
): M {
  return {
    ...model,
    run: async (feeds: Record<string, Tensor>) => {
      const t0 = performance.now();
      const out = await model.run(feeds);
      state.ms[name] = (state.ms[name] ?? 0) + performance.now() - t0;
      if (state.recording) {
        const copies: Record<string, RecordedTensor> = {};
        for (const [k, t] of Object.entries(feeds)) copies[k] = copyTensor(t);
        state.recorded.push({ model: name, feeds: copies, output: copyTensor(out[model.card.input.outputs[0].name]) });
      }
      return out;
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const pipelineBench: Bench = async () => {
  if (!existsSync(CASE)) return { skipped: `${CASE} not present (the shared data is not on this machine)` };
  let loaded;
  try {
    loaded = await loadScreeningModels({});
  } catch (e) {
    if (isCtscreenError(e)) return { skipped: `models not available: ${e.message}` };
    throw e;
  }
  // the 2 cores are shared: the load average says how much of them the bench really had
  const loadBefore = loadavg()[0];
  const state = { recording: false, recorded: [] as Recorded[], ms: {} as Record<string, number> };
  const models: ScreeningModels = {
    classifier: instrument(loaded.models.classifier, 'classifier', state),
    segmenter: loaded.models.segmenter ? instrument(loaded.models.segmenter, 'segmenter', state) : undefined,
  };
  const stageMs: Record<string, number[]> = {};
  const netMs: Record<string, number[]> = { segmenter: [], classifier: [] };
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let slices = 0;
  let regions = 0;
  try {
    for (let run = 0; run <= RUNS; run++) {
      // run 0 warms up (sessions, JIT) and records the networks' inputs for PyTorch
      state.recording = run === 0;
      state.ms = {};
      const { report } = await screenCase({ path: CASE }, { models, candidates: loaded.candidates });
      peak = Math.max(peak, process.memoryUsage().rss);
      if (run === 0) {
        slices = report.input.sliceCount;
        regions = report.regions.length;
        continue;
      }
      for (const s of TIMING_STAGES) if (report.timingsMs[s] !== undefined) (stageMs[s] ??= []).push(report.timingsMs[s]!);
      for (const k of Object.keys(netMs)) netMs[k].push(state.ms[k] ?? 0);
    }
  } finally {
    clearInterval(timer);
  }
  const input = `P001 ${slices} slices 512², ${loaded.candidates} candidates`;
  const rows: BenchRow[] = [];
  for (const s of TIMING_STAGES) {
    if (!stageMs[s]) continue;
    const total = s === 'total';
    rows.push({
      stage: `pipeline: ${s}`,
      input,
      ms: median(stageMs[s]),
      peakRssMiB: total ? peak / 2 ** 20 : undefined,
      target: total ? `≤ ${TARGET_TOTAL_MS} ms, ≤ ${TARGET_RSS_MIB} MiB` : undefined,
      note: total ? `median of ${RUNS} runs after 1 warm-up; ${regions} regions; read included; load avg ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}` : undefined,
    });
  }

  // the same batches through PyTorch
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-bench-'));
  try {
    const manifest = state.recorded.map((r, i) => {
      const feeds: Record<string, { file: string; shape: readonly number[] }> = {};
      for (const [name, t] of Object.entries(r.feeds)) {
        const file = `${i}-${name}.f32`;
        writeFileSync(join(dir, file), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        feeds[name] = { file, shape: t.dims };
      }
      const out = `${i}-output.f32`;
      writeFileSync(join(dir, out), Buffer.from(r.output.data.buffer, r.output.data.byteOffset, r.output.data.byteLength));
      return { model: r.model, feeds, output: { file: out, shape: r.output.dims } };
    });
    writeFileSync(join(dir, 'batches.json'), JSON.stringify(manifest));
    const py = spawnSync(PYTHON, [TORCH_SCRIPT, '--inputs', dir, '--threads', '2,1', '--repeats', String(RUNS)], { encoding: 'utf8', cwd: REPO });
    let torch: Record<string, { ms?: Record<string, number>; batches?: number; maxAbsDiff?: number; skipped?: string }> & { peakRssMiB?: number; torch?: string } = {};
    if (py.status === 0) torch = JSON.parse(py.stdout.trim().split('\n').pop()!);
    const why = py.status === 0 ? '' : `PyTorch run failed: ${(py.stderr || py.error?.message || '').trim().split('\n').slice(-1)[0]}`;
    for (const name of ['segmenter', 'classifier'] as const) {
      const batches = state.recorded.filter((r) => r.model === name).length;
      if (batches === 0) {
        rows.push({ stage: `${name}: onnxruntime-node`, input, ms: 0, note: name === 'segmenter' ? `not run (${loaded.candidates} candidates)` : 'no candidate regions' });
        continue;
      }
      const ort = median(netMs[name]);
      rows.push({ stage: `${name}: onnxruntime-node`, input, ms: ort, note: `${batches} batch(es), 2 intra-op threads` });
      const t = torch[name];
      if (!t || t.skipped || t.ms === undefined) {
        rows.push({ stage: `${name}: PyTorch CPU`, input, ms: NaN, note: t?.skipped ?? why });
      } else {
        for (const [threads, ms] of Object.entries(t.ms)) {
          rows.push({ stage: `${name}: PyTorch CPU, ${threads} thr.`, input, ms, peakRssMiB: torch.peakRssMiB, note: `torch ${torch.torch}; PyTorch/ORT ${(ms / ort).toFixed(2)}×; same batches, max |Δ| vs ORT ${t.maxAbsDiff?.toExponential(1)}` });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
};
