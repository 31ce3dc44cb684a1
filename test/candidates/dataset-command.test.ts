import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudoPatientGroup } from '../../src/datasets/segmentation.ts';
import { segmenterSettings } from '../../src/candidates/learned.ts';
import { main } from '../../src/cli/main.ts';
import { ModelError } from '../../src/core/errors.ts';
import { parseModelCard } from '../../src/models/model-card.ts';
import { makeCard } from '../models/card-fixture.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

test('ctscreen dataset segmentation: a data folder without infnet-semiseg is a one-line user error naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-segds-'));
  try {
    const c = capture();
    const code = await main(['dataset', 'segmentation', '--data', dir, '--out', join(dir, 'out')], c.io);
    assert.equal(code, 2);
    assert.match(c.err.join(''), new RegExp(`${dir}: no infnet-semiseg/ folder`));
    assert.doesNotMatch(c.err.join(''), /\n\s+at /);
    const bad = capture();
    assert.equal(await main(['dataset', 'segmentation', '--data', dir, '--out', dir, '--tile-size', '100'], bad.io), 2);
    assert.match(bad.err.join(''), /--tile-size 100 must be a multiple of 8/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pseudoPatientGroup: Radiopaedia series of one case number are one patient; coronacases volumes are their own', () => {
  assert.equal(pseudoPatientGroup('radiopaedia_org_covid-19-pneumonia-10_85902_1-dcm'), 'radiopaedia-case-10');
  assert.equal(pseudoPatientGroup('radiopaedia_org_covid-19-pneumonia-10_85902_3-dcm'), 'radiopaedia-case-10');
  assert.equal(pseudoPatientGroup('coronacases_org_004'), 'coronacases_org_004');
});

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
  assert.deepEqual(segmenterSettings(card), { tileSize: 128, sliceOffsets: [-1, 0, 1], threshold: 0.2, minVolumeMl: 0.05, lesionThreshold: null, inputName: 'input', outputName: 'probability' });
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
