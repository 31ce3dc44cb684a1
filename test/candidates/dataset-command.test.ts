import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudoPatientGroup } from '../../src/datasets/segmentation.ts';
import { segmenterSettings } from '../../src/candidates/learned.ts';
import { main } from '../../src/cli/main.ts';
import { ModelError } from '../../src/core/errors.ts';
import type { ModelCard } from '../../src/models/model-card.ts';

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

test('segmenterSettings reads tile size, offsets and threshold from the card and rejects a card without them', () => {
  const card = {
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
  } as unknown as ModelCard;
  // a v1 card (no lesionThreshold / minVolumeMl): the generator's default min volume, no lesion threshold
  assert.deepEqual(segmenterSettings(card), { tileSize: 128, sliceOffsets: [-1, 0, 1], threshold: 0.2, minVolumeMl: 0.05, lesionThreshold: null, inputName: 'input', outputName: 'probability' });
  // v2: both come from the card
  const v2 = { ...card, input: { ...card.input, extra: { tileSize: 128, threshold: 0.2, lesionThreshold: 0.55, minVolumeMl: 0.2 } } } as ModelCard;
  assert.deepEqual([segmenterSettings(v2).lesionThreshold, segmenterSettings(v2).minVolumeMl], [0.55, 0.2]);
  const badLesion = { ...card, input: { ...card.input, extra: { tileSize: 128, threshold: 0.2, lesionThreshold: 1.5 } } } as ModelCard;
  assert.throws(() => segmenterSettings(badLesion, 'y.card.json'), /y\.card\.json: input\.extra\.lesionThreshold must be a probability/);
  const noThreshold = { ...card, input: { ...card.input, extra: { tileSize: 128 } } } as ModelCard;
  assert.throws(() => segmenterSettings(noThreshold, 'x.card.json'), (e: unknown) => e instanceof ModelError && /x\.card\.json: input\.extra\.threshold/.test((e as Error).message));
  const classifier = { ...card, task: 'classifier' } as ModelCard;
  assert.throws(() => segmenterSettings(classifier), /is a classifier, not a segmenter/);
});
