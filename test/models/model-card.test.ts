// The card is a union by task, checked once when it is parsed (models/model-card.ts); what the
// stages derive from it (tiling, patch spec) only reads the checked fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmenterSettings } from '../../src/candidates/learned.ts';
import { patchSpecFromCard } from '../../src/classify/patch-spec.ts';
import { ModelError } from '../../src/core/errors.ts';
import { parseModelCard } from '../../src/models/model-card.ts';
import { makeCard } from './card-fixture.ts';

test('segmenter card: tile size, offsets and thresholds are checked once when the card is parsed; segmenterSettings only reads them', () => {
  const base = makeCard('seg.onnx', new Uint8Array([1]));
  const json = {
    ...base,
    id: 'candidates-segmenter',
    task: 'segmenter',
    input: {
      inputs: [{ name: 'input', shape: ['batch', 3, 128, 128], dtype: 'float32', description: 'x' }],
      outputs: [{ name: 'probability', shape: ['batch', 1, 128, 128], dtype: 'float32', description: 'p' }],
      channels: [{ description: 'a' }, { description: 'b' }, { description: 'c' }],
      normalisation: 'lung window',
      sliceOffsets: [-1, 0, 1],
      extra: { tileSize: 128, threshold: 0.2 },
    },
  };
  const card = parseModelCard(json, 'v1.card.json');
  assert.equal(card.task, 'segmenter');
  if (card.task !== 'segmenter') return;
  // a v1 card (no lesionThreshold / minVolumeMl): the generator's default min volume, no lesion threshold
  assert.deepEqual(segmenterSettings(card), { tileSize: 128, sliceOffsets: [-1, 0, 1], threshold: 0.2, minVolumeMl: 0.05, lesionThreshold: null, seedThreshold: null, inputName: 'input', outputName: 'probability' });
  // v3: the hysteresis seed is read as written, and may not lie below the candidate threshold
  const seeded = parseModelCard({ ...json, input: { ...json.input, extra: { tileSize: 128, threshold: 0.2, seedThreshold: 0.85 } } }, 'v3.card.json');
  if (seeded.task === 'segmenter') assert.equal(segmenterSettings(seeded).seedThreshold, 0.85);
  assert.throws(() => parseModelCard({ ...json, input: { ...json.input, extra: { tileSize: 128, threshold: 0.2, seedThreshold: 0.1 } } }, 's.card.json'), /s\.card\.json is invalid: input\.extra\.seedThreshold: seedThreshold must not be below threshold/);
  // v2: both come from the card
  const v2 = parseModelCard({ ...json, input: { ...json.input, extra: { tileSize: 128, threshold: 0.2, lesionThreshold: 0.55, minVolumeMl: 0.2 } } }, 'v2.card.json');
  if (v2.task !== 'segmenter') return assert.fail('v2 is a segmenter card');
  assert.deepEqual([segmenterSettings(v2).lesionThreshold, segmenterSettings(v2).minVolumeMl], [0.55, 0.2]);
  const bad = (input: object, path: string) => () => parseModelCard({ ...json, input: { ...json.input, ...input } }, path);
  assert.throws(bad({ extra: { tileSize: 128, threshold: 0.2, lesionThreshold: 1.5 } }, 'y.card.json'), (e: unknown) => e instanceof ModelError && /y\.card\.json is invalid: input\.extra\.lesionThreshold/.test((e as Error).message));
  assert.throws(bad({ extra: { tileSize: 128 } }, 'x.card.json'), (e: unknown) => e instanceof ModelError && /x\.card\.json is invalid: input\.extra\.threshold/.test((e as Error).message));
  assert.throws(bad({ extra: { tileSize: 12.5, threshold: 0.2 } }, 'z.card.json'), /z\.card\.json is invalid: input\.extra\.tileSize/);
  assert.throws(bad({ sliceOffsets: [0] }, 'w.card.json'), /w\.card\.json is invalid: input\.sliceOffsets: sliceOffsets must list one offset per channel/);
  // a classifier card lacking its patch settings is refused at parse time too, naming the field
  const { patchSizePx: _drop, ...noPatch } = base.input;
  assert.throws(() => parseModelCard({ ...base, input: noPatch }, 'c.card.json'), /c\.card\.json is invalid: input\.patchSizePx/);
  assert.throws(() => parseModelCard({ ...base, input: { ...base.input, patchSizePx: [64, 32] } }, 'd.card.json'), /d\.card\.json is invalid: input\.patchSizePx: patchSizePx must be square/);
});

test('classifier card: the patch spec is read from the checked card', () => {
  const card = parseModelCard(makeCard('c.onnx', new Uint8Array([1]), { channels: 1, size: 64 }), 'c.card.json');
  if (card.task !== 'classifier') return assert.fail('a classifier card');
  assert.deepEqual(patchSpecFromCard(card), { sizePx: 64, channels: 1, windowHu: { centerHu: -600, widthHu: 1500 }, greyLevels: 255, marginMm: 2, minCropMm: 4, sliceOffsets: [-1, 0, 1] });
});
