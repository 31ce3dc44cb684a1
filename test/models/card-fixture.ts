// A valid classifier card for tests; callers override what they test.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linearPatchClassifier, writeOnnx } from './onnx-builder.ts';
import { NOT_A_DIAGNOSTIC_DEVICE, type ClassifierCard } from '../../src/models/model-card.ts';

export function makeCard(onnxFile: string, onnxBytes: Uint8Array, opts: { withDistance?: boolean; channels?: number; size?: number; classes?: string[] } = {}): ClassifierCard {
  const channels = opts.channels ?? 3;
  const size = opts.size ?? 4;
  const labels = opts.classes ?? ['covid19', 'other_pneumonia', 'irrelevant'];
  const inputs: ClassifierCard['input']['inputs'] = [{ name: 'patches', shape: ['batch', channels, size, size], dtype: 'float32', description: 'patches' }];
  if (opts.withDistance ?? true) inputs.push({ name: 'distance', shape: ['batch', 1], dtype: 'float32', description: 'scaled distance' });
  return {
    schemaVersion: 1,
    id: 'test-classifier',
    version: '0.0.1',
    task: 'classifier',
    description: 'tiny linear test model',
    paperSections: ['§2.5'],
    classSpec: { labels, infectionLabels: labels.slice(0, 2), irrelevantLabel: labels[labels.length - 1] },
    input: {
      inputs,
      outputs: [{ name: 'logits', shape: ['batch', labels.length], dtype: 'float32', description: 'logits' }],
      channels: Array.from({ length: channels }, (_, i) => ({ description: `channel ${i}`, windowHu: { centerHu: -600, widthHu: 1500 } })),
      normalisation: 'clip to window, scale to [0, 1]',
      patchSizePx: [size, size],
      marginMm: 2,
      minCropMm: 4,
      greyLevels: 255,
      sliceOffsets: [-1, 0, 1],
      distanceScale: 10,
    },
    temperature: 1.5,
    onnx: { file: onnxFile, opset: 13, sha256: createHash('sha256').update(onnxBytes).digest('hex'), bytes: onnxBytes.length },
    architecture: 'linear',
    parameters: 10,
    training: {
      data: [{ source: 'synthetic', licence: 'n/a', use: 'test' }],
      split: { file: 'split.json', unit: 'patient', train: 1, validation: 1 },
      labelPolicy: [],
      seed: 1,
      epochs: 0,
      hyperparameters: {},
      timeSeconds: 0,
      hardware: 'none',
      framework: 'none',
      gitCommit: 'deadbeef',
      trainedAt: '2024-01-01T00:00:00Z',
    },
    metrics: { accuracy: 0.5 },
    limitations: [],
    licence: 'test',
    disclaimer: NOT_A_DIAGNOSTIC_DEVICE,
  };
}

/** The 1×2×2 linear classifier with distance of load-model.test.ts: W rows = pixel, cols = class. */
export const LINEAR_FIXTURE = {
  channels: 1,
  size: 2,
  w: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]),
  d: Float32Array.from([2, -1, 0]),
  b: Float32Array.from([0.5, 0, -0.5]),
};

/** LINEAR_FIXTURE written as m.onnx + m.card.json into a new temporary folder (the caller removes it). */
export function writeLinearFixture(prefix: string): { dir: string; onnx: string; bytes: Uint8Array; card: ClassifierCard } {
  const { channels, size, w, d, b } = LINEAR_FIXTURE;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const onnx = join(dir, 'm.onnx');
  const bytes = writeOnnx(onnx, linearPatchClassifier({ channels, size, classes: 3, w, d, b, withDistance: true }));
  const card = makeCard('m.onnx', bytes, { channels, size });
  writeFileSync(join(dir, 'm.card.json'), JSON.stringify(card));
  return { dir, onnx, bytes, card };
}
