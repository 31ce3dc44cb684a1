// Tiny models for pipeline tests: the pipeline takes its models as arguments, so the core suite
// screens phantoms without any trained network. Their maths is simple enough to predict by hand.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { floatTensor, type Tensor } from '../../src/models/load-model.ts';
import type { ClassifierCard, SegmenterCard } from '../../src/models/model-card.ts';
import type { SegmenterModel } from '../../src/pipeline/stages.ts';
import { makeCard } from '../models/card-fixture.ts';
import { linearPatchClassifier, writeOnnx } from '../models/onnx-builder.ts';

export const STUB_PATCH_PX = 16;
/**
 * Mean lung-window value above which the stub calls a patch covid19: aerated lung (≈ −850 HU) is
 * ≈ 0.33, ground glass (≈ −500 HU) ≈ 0.57; a patch around a focus with its margin lies in between.
 */
export const STUB_COVID_MEAN = 0.42;
/** Logit slope of the stub: (mean − STUB_COVID_MEAN) · slope for covid19, 0 for the others… */
export const STUB_SLOPE = 40;
/** …except irrelevant, which gets this constant logit. */
export const STUB_IRRELEVANT_LOGIT = 2;

function classifierCard(onnxFile = 'stub.onnx', bytes = new Uint8Array([1])): ClassifierCard {
  const card = makeCard(onnxFile, bytes, { channels: 1, size: STUB_PATCH_PX });
  card.id = 'stub-classifier';
  card.temperature = 1;
  card.input.marginMm = 8;
  card.input.minCropMm = 32;
  return card;
}

/** logits = [slope · (mean − STUB_COVID_MEAN), 0, STUB_IRRELEVANT_LOGIT] per patch. */
export function stubClassifier(calls: number[] = []) {
  const card = classifierCard();
  const plane = STUB_PATCH_PX * STUB_PATCH_PX;
  return {
    card,
    async run(feeds: Record<string, Tensor>) {
      const n = feeds.patches.dims[0];
      calls.push(n);
      const px = feeds.patches.data as Float32Array;
      const out = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        let m = 0;
        for (let j = 0; j < plane; j++) m += px[i * plane + j];
        out[i * 3] = STUB_SLOPE * (m / plane - STUB_COVID_MEAN);
        out[i * 3 + 2] = STUB_IRRELEVANT_LOGIT;
      }
      return { logits: floatTensor(out, [n, 3]) };
    },
  };
}

/** The same stub as an ONNX file with its card (linear: W = slope / pixels on covid19), for CLI tests. */
export function writeStubClassifierOnnx(dir: string): string {
  const k = STUB_PATCH_PX * STUB_PATCH_PX;
  const w = new Float32Array(k * 3);
  for (let i = 0; i < k; i++) w[i * 3] = STUB_SLOPE / k;
  const g = linearPatchClassifier({ channels: 1, size: STUB_PATCH_PX, classes: 3, w, d: new Float32Array(3), b: Float32Array.from([-STUB_SLOPE * STUB_COVID_MEAN, 0, STUB_IRRELEVANT_LOGIT]), withDistance: true });
  const onnx = join(dir, 'stub-classifier.onnx');
  const bytes = writeOnnx(onnx, g);
  writeFileSync(join(dir, 'stub-classifier.card.json'), JSON.stringify(classifierCard('stub-classifier.onnx', new Uint8Array(bytes))));
  return onnx;
}

export const STUB_TILE_PX = 32;

/** A segmenter stub: `predict(tile centre channel)` per pixel → probability; card says 3 slices, tile 32, threshold 0.5. */
export function stubSegmenter(predict: (value: number) => number, extra: Record<string, number> = {}): SegmenterModel {
  const base = classifierCard();
  const card: SegmenterCard = {
    ...base,
    id: 'stub-segmenter',
    task: 'segmenter',
    input: {
      normalisation: base.input.normalisation,
      inputs: [{ name: 'input', shape: ['batch', 3, STUB_TILE_PX, STUB_TILE_PX], dtype: 'float32', description: 'slices z-1, z, z+1' }],
      outputs: [{ name: 'probability', shape: ['batch', 1, STUB_TILE_PX, STUB_TILE_PX], dtype: 'float32', description: 'lesion probability' }],
      channels: [-1, 0, 1].map((o) => ({ description: `slice z${o}`, windowHu: { centerHu: -600, widthHu: 1500 } })),
      sliceOffsets: [-1, 0, 1],
      extra: { tileSize: STUB_TILE_PX, threshold: 0.5, ...extra },
    },
  };
  const plane = STUB_TILE_PX * STUB_TILE_PX;
  return {
    card,
    async run(feeds: Record<string, Tensor>) {
      const x = feeds.input.data as Float32Array;
      const n = feeds.input.dims[0];
      const out = new Float32Array(n * plane);
      for (let b = 0; b < n; b++) for (let i = 0; i < plane; i++) out[b * plane + i] = predict(x[(b * 3 + 1) * plane + i]);
      return { probability: floatTensor(out, [n, 1, STUB_TILE_PX, STUB_TILE_PX]) };
    },
  };
}
