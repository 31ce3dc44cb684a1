// Classifier throughput on this machine's cores: 512 patches through the registry's M2 model
// (ORT, 2 intra-op threads), batched as screening batches them. Target (issue 5): ≥ 500 patches/s.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { classifyPatches } from '../../src/classify/classify-patches.ts';
import { patchSpecFromCard } from '../../src/classify/patch-spec.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { clearModelCache, loadModel, REPO_ROOT } from '../../src/models/load-model.ts';
import { models } from '../../src/registry.ts';
import { measure } from './measure.ts';
import type { Bench } from './types.ts';

const PATCHES = 512;
const THREADS = 2;

export const classifyBench: Bench = async () => {
  const rows = [];
  for (const id of ['classifier-m2', 'classifier-m1']) {
    const entry = models.find((m) => m.id === id);
    if (!entry || !existsSync(resolve(REPO_ROOT, entry.onnxPath))) return { skipped: `${id} not trained (npm run train:classifier)` };
    const model = await loadModel(id, { intraOpThreads: THREADS, task: 'classifier' });
    const spec = patchSpecFromCard(model.card);
    const plane = spec.channels * spec.sizePx * spec.sizePx;
    const rand = mulberry32(1);
    const data = new Float32Array(PATCHES * plane);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(rand() * 255) / 255;
    const distance = new Float32Array(PATCHES);
    for (let i = 0; i < PATCHES; i++) distance[i] = rand() * 0.2;
    const m = await measure(() => classifyPatches({ patches: { count: PATCHES, channels: spec.channels, sizePx: spec.sizePx, data, distance }, model }), { runs: 5, warmup: 1 });
    rows.push({ stage: 'classify', input: `${PATCHES} patches ${spec.sizePx}×${spec.sizePx}, ${id}`, ms: m.ms, peakRssMiB: m.peakRssMiB, target: '≥ 500 patches/s', note: `${((PATCHES / m.ms) * 1000).toFixed(0)} patches/s, ORT ${THREADS} threads` });
  }
  await clearModelCache();
  return rows;
};
