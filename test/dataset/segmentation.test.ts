import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudoPatientGroup } from '../../src/dataset/segmentation.ts';
import { main } from '../../src/cli/main.ts';

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
