import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { listModels } from '../../src/models/list-models.ts';
import { candidateGenerators, decisionModels, models } from '../../src/registry.ts';
import { makeCard } from './card-fixture.ts';

test('ctscreen models lists every registry model with its status', async () => {
  const out: string[] = [];
  const code = await main(['models'], { stdout: (t) => void out.push(t), stderr: () => {} });
  assert.equal(code, 0);
  const text = out.join('');
  for (const m of models) assert.match(text, new RegExp(`^${m.id}  \\[${m.stage}\\]  (ready|not-trained|invalid)$`, 'm'));
  for (const d of decisionModels) assert.match(text, new RegExp(`^${d.id}  \\[decision\\]  (ready|not-trained)$`, 'm'));
  assert.match(text, /^candidate generators \(--candidates\): learned, classical$/m);
  for (const g of candidateGenerators) assert.match(text, new RegExp(`^  ${g.id}( \\(runs the segmenter\\))?: `, 'm'));
  assert.match(text, /not a diagnostic device/);
  const json: unknown[] = [];
  await main(['models', '--json'], { stdout: (t) => void json.push(t), stderr: () => {} });
  const rows = JSON.parse(json.join('')) as { id: string; stage: string }[];
  assert.deepEqual(rows.filter((r) => r.stage === 'decision').map((r) => r.id), decisionModels.map((d) => d.id));
});

test('listModels: ready with a matching card, invalid when the ONNX size disagrees, not-trained when absent', () => {
  const root = mkdtempSync(join(tmpdir(), 'ctscreen-list-'));
  try {
    mkdirSync(join(root, 'models'));
    const bytes = new Uint8Array([8, 1, 2, 3]);
    writeFileSync(join(root, 'models/a.onnx'), bytes);
    writeFileSync(join(root, 'models/a.card.json'), JSON.stringify(makeCard('a.onnx', bytes)));
    writeFileSync(join(root, 'models/b.onnx'), new Uint8Array([1]));
    writeFileSync(join(root, 'models/b.card.json'), JSON.stringify(makeCard('b.onnx', bytes)));
    const entry = (id: string) => ({ id, stage: 'classifier' as const, description: id, onnxPath: `models/${id}.onnx`, cardPath: `models/${id}.card.json` });
    const rows = listModels({ root, entries: [entry('a'), entry('b'), entry('c')] });
    assert.deepEqual(rows.map((r) => r.status), ['ready', 'invalid', 'not-trained']);
    assert.match(rows[1].problem ?? '', /has 1 bytes, its card says 4/);
    assert.match(rows[2].problem ?? '', /npm run train:classifier/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
