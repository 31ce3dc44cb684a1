import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibratedSoftmax, classifyPatches } from '../../src/classify/classify-patches.ts';
import { ModelError } from '../../src/core/errors.ts';
import { floatTensor, type Tensor } from '../../src/models/load-model.ts';
import { makeCard } from '../models/card-fixture.ts';

test('calibratedSoftmax divides logits by T before the softmax', () => {
  const p = calibratedSoftmax(Float32Array.from([0, Math.log(3), 0]), 3, 1);
  assert.ok(Math.abs(p[0] - 0.2) < 1e-6 && Math.abs(p[1] - 0.6) < 1e-6);
  // T = 2: exp(ln3/2) = √3 → √3 / (2 + √3)
  const q = calibratedSoftmax(Float32Array.from([0, Math.log(3), 0]), 3, 2);
  assert.ok(Math.abs(q[1] - Math.sqrt(3) / (2 + Math.sqrt(3))) < 1e-6);
});

test('classifyPatches batches the feeds, applies the temperature and returns vote-ready predictions', async () => {
  const card = { ...makeCard('m.onnx', new Uint8Array([1]), { channels: 1, size: 2 }), temperature: 1 };
  const batches: number[] = [];
  // stub model: logits = [sum of pixels, distance, 0]
  const model = {
    card,
    run: async (feeds: Record<string, Tensor>) => {
      const n = feeds.patches.dims[0];
      batches.push(n);
      const px = feeds.patches.data as Float32Array;
      const d = feeds.distance.data as Float32Array;
      const out = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        out[i * 3] = px[i * 4] + px[i * 4 + 1] + px[i * 4 + 2] + px[i * 4 + 3];
        out[i * 3 + 1] = d[i];
      }
      return { logits: floatTensor(out, [n, 3]) };
    },
  };
  const data = Float32Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const r = await classifyPatches({ patches: { count: 3, channels: 1, sizePx: 2, data, distance: Float32Array.from([0, 5, 0]), sliceIndex: Int32Array.from([4, 5, 6]) }, model, batchSize: 2 });
  assert.deepEqual(batches, [2, 1]);
  assert.deepEqual(Array.from(r.predicted), [0, 1, 0]);
  // patch 2: logits [0, 0, 0] → uniform
  assert.ok(r.predictions[2].probabilities.every((p) => Math.abs(p - 1 / 3) < 1e-6));
  assert.equal(r.predictions[1].sliceIndex, 5);
  assert.equal(r.predictions[1].distanceFromEdge, 5);
  // patch 0: logits [4, 0, 0] → e^4 / (e^4 + 2)
  assert.ok(Math.abs(r.probabilities[0] - Math.exp(4) / (Math.exp(4) + 2)) < 1e-6);
});

test('classifyPatches refuses patches of another size than the card says', async () => {
  const card = makeCard('m.onnx', new Uint8Array([1]), { channels: 1, size: 2 });
  const model = { card, run: async () => ({}) };
  await assert.rejects(classifyPatches({ patches: { count: 1, channels: 1, sizePx: 3, data: new Float32Array(9), distance: new Float32Array(1) }, model }), (e: unknown) => e instanceof ModelError && /expects patches \[batch, 1, 2, 2\] but got 1×3×3/.test(e.message));
});
