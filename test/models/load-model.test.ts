import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../../src/core/errors.ts';
import { cachedModelCount, clearModelCache, floatTensor, loadModel, resolveModel } from '../../src/models/load-model.ts';
import { parseModelCard, renderModelCardMarkdown, NOT_A_DIAGNOSTIC_DEVICE } from '../../src/models/model-card.ts';
import { LINEAR_FIXTURE, makeCard, writeLinearFixture } from './card-fixture.ts';

const { channels: C, size: S } = LINEAR_FIXTURE;
const setup = () => writeLinearFixture('ctscreen-models-');

test('a loaded model runs and gives the hand-computed linear logits', async (t) => {
  const { dir, onnx } = setup();
  t.after(async () => {
    await clearModelCache();
    rmSync(dir, { recursive: true, force: true });
  });
  const m = await loadModel(onnx);
  assert.equal(m.card.id, 'test-classifier');
  // pixels [1,2,3,4], distance 0.5:
  // class0 = 1*1 + 4*1 + 0.5*2 + 0.5 = 6.5; class1 = 2 + 4 - 0.5 + 0 = 5.5; class2 = 3 + 4 + 0 - 0.5 = 6.5
  const out = await m.run({ patches: floatTensor(Float32Array.from([1, 2, 3, 4]), [1, C, S, S]), distance: floatTensor(Float32Array.from([0.5]), [1, 1]) });
  assert.deepEqual([...(out.logits.data as Float32Array)], [6.5, 5.5, 6.5]);
});

test('the session is created once and reused; a card path resolves the same model', async (t) => {
  const { dir, onnx } = setup();
  t.after(async () => {
    await clearModelCache();
    rmSync(dir, { recursive: true, force: true });
  });
  await clearModelCache();
  const [a, b] = await Promise.all([loadModel(onnx), loadModel(onnx)]);
  const c = await loadModel(join(dir, 'm.card.json'));
  assert.equal(a, b);
  assert.equal(a, c);
  assert.equal(a.session, c.session);
  assert.equal(cachedModelCount(), 1);
});

test('an ONNX file that does not match its card checksum is a ModelError naming the file', async (t) => {
  const { dir, onnx, card } = setup();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'm.card.json'), JSON.stringify({ ...card, onnx: { ...card.onnx, sha256: '0'.repeat(64) } }));
  await assert.rejects(loadModel(onnx), (e: unknown) => e instanceof ModelError && e.code === 'MODEL_CHECKSUM' && e.message.includes(onnx));
  assert.equal(cachedModelCount(), 0, 'failed loads are not cached');
});

test('a card whose inputs differ from the graph is rejected', async (t) => {
  const { dir, onnx, card } = setup();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const noDistance = { ...card, input: { ...card.input, inputs: card.input.inputs.slice(0, 1) } };
  writeFileSync(join(dir, 'm.card.json'), JSON.stringify(noDistance));
  await assert.rejects(loadModel(onnx), /has inputs \[distance, patches\] but its card .* lists \[patches\]/);
});

test('missing card, missing onnx, wrong task and unknown id are ModelErrors with the path', async (t) => {
  const { dir, onnx } = setup();
  t.after(async () => {
    await clearModelCache();
    rmSync(dir, { recursive: true, force: true });
  });
  await assert.rejects(loadModel(join(dir, 'absent.onnx')), (e: unknown) => e instanceof ModelError && e.code === 'MODEL_CARD_MISSING' && e.message.includes('absent.card.json'));
  rmSync(onnx);
  await assert.rejects(loadModel(onnx), (e: unknown) => e instanceof ModelError && e.code === 'MODEL_MISSING');
  const s2 = setup();
  await assert.rejects(loadModel(s2.onnx, { task: 'segmenter' }), /is a classifier, expected a segmenter/);
  assert.throws(() => resolveModel('no-such-model'), /unknown model 'no-such-model': expected one of .*classifier-m2/);
  rmSync(s2.dir, { recursive: true, force: true });
});

test('card schema: rejects a missing disclaimer, bad classSpec and a class-count mismatch', () => {
  const good = makeCard('m.onnx', new Uint8Array([1, 2, 3]));
  assert.equal(parseModelCard(JSON.parse(JSON.stringify(good)), 'x.card.json').disclaimer, NOT_A_DIAGNOSTIC_DEVICE);
  assert.throws(() => parseModelCard({ ...good, disclaimer: 'fine for diagnosis' }, 'x.card.json'), /model card x.card.json is invalid: disclaimer/);
  assert.throws(() => parseModelCard({ ...good, classSpec: { ...good.classSpec, irrelevantLabel: 'covid19' } }, 'x.card.json'), /cannot be both an infection and the irrelevant label/);
  const fourOut = { ...good, input: { ...good.input, outputs: [{ ...good.input.outputs[0], shape: ['batch', 4] }] } };
  assert.throws(() => parseModelCard(fourOut, 'x.card.json'), /output 'logits' has 4 classes but classSpec lists 3/);
  const md = renderModelCardMarkdown(good);
  assert.match(md, /not a diagnostic device/);
  assert.match(md, /Temperature .*1\.5000/);
});
