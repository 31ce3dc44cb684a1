// Bench rows for src/candidates: the segmenter network over a 150-slice 512² CT (target ≤ 2 s on
// the 2 cores here), the whole learned generator (network + threshold + 3D components) and the
// classical generator, on a synthetic chest phantom with its own lung mask (no shared data needed).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { classicalCandidates } from '../../src/candidates/classical.ts';
import { DEFAULT_BATCH_SIZE, LUNG_BOX_MARGIN_MM, onnxTilePredictor, segmenterSettings, learnedCandidates, SEGMENTER_MODEL_ID } from '../../src/candidates/learned.ts';
import { lungSliceBoxes, slidingWindow } from '../../src/candidates/sliding-window.ts';
import { loadModel } from '../../src/models/load-model.ts';
import { SEGMENTER_WORKER_THREADS } from '../../src/pipeline/load-models.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { measure } from './measure.ts';
import type { Bench, BenchRow } from './types.ts';

const MODEL = fileURLToPath(new URL('../../models/candidates-segmenter.onnx', import.meta.url));

export const candidatesBench: Bench = async () => {
  const ph = makeChestPhantom({ size: [512, 512], slices: 150, seed: 3 });
  const volume = ph.volume;
  const lungMask = Uint8Array.from(ph.lungLabels, (v) => (v ? 1 : 0));
  const input = `phantom 512×512×150 (${volume.spacingMm.map((s) => s.toFixed(2)).join('×')} mm), ${ph.lesions.length} lesions`;
  const rows: BenchRow[] = [];
  if (existsSync(MODEL)) {
    const model = await loadModel(SEGMENTER_MODEL_ID, { task: 'segmenter' });
    const st = segmenterSettings(model.card);
    const predict = onnxTilePredictor(model);
    const boxes = lungSliceBoxes(lungMask, volume.dims, volume.spacingMm, LUNG_BOX_MARGIN_MM);
    const slices = boxes.filter((b) => b).length;
    const net = await measure(() => slidingWindow(volume, { tileSize: st.tileSize, sliceOffsets: st.sliceOffsets, batchSize: DEFAULT_BATCH_SIZE, sliceBoxes: boxes }, predict), { runs: 3, warmup: 1 });
    rows.push({ stage: 'candidates: segmenter network on this thread (slidingWindow)', input, ms: net.ms, peakRssMiB: net.peakRssMiB, target: '≤ 2000 ms', note: `${slices} lung slices, ${st.tileSize}² tiles, batch ${DEFAULT_BATCH_SIZE}` });
    // as screening runs it: the session in its own thread, batch k + 1 tiled here while batch k runs
    const inWorker = await loadModel(SEGMENTER_MODEL_ID, { task: 'segmenter', thread: 'worker', intraOpThreads: SEGMENTER_WORKER_THREADS });
    const piped = await measure(() => slidingWindow(volume, { tileSize: st.tileSize, sliceOffsets: st.sliceOffsets, batchSize: DEFAULT_BATCH_SIZE, sliceBoxes: boxes }, onnxTilePredictor(inWorker)), { runs: 3, warmup: 1 });
    rows.push({ stage: 'candidates: segmenter network in its worker thread (slidingWindow, 2 batches in flight)', input, ms: piped.ms, peakRssMiB: piped.peakRssMiB, target: '≤ 2000 ms', note: `as screening runs it: ${SEGMENTER_WORKER_THREADS} onnxruntime thread beside the tiling` });
    const full = await measure(() => learnedCandidates({ volume, lungMask }, { predict, tileSize: st.tileSize, sliceOffsets: st.sliceOffsets, threshold: st.threshold }), { runs: 3, warmup: 1 });
    rows.push({ stage: 'candidates: learned generator (network + 3D components)', input, ms: full.ms, peakRssMiB: full.peakRssMiB, note: `${full.last.candidates.length} candidates at threshold ${st.threshold}` });
  } else {
    rows.push({ stage: 'candidates: segmenter network', input, ms: NaN, note: 'models/candidates-segmenter.onnx missing: run npm run train:candidates' });
  }
  const cl = await measure(() => classicalCandidates({ volume, lungMask }), { runs: 3, warmup: 1 });
  rows.push({ stage: 'candidates: classical generator', input, ms: cl.ms, peakRssMiB: cl.peakRssMiB, note: `${cl.last.candidates.length} candidates` });
  return rows;
};
