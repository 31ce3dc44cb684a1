import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

test('ctscreen phantom then ctscreen lungs: NIfTI, ground truth, stats JSON and overlays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-lungs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'chest.nii.gz');
  const c1 = capture();
  assert.equal(await main(['phantom', '--out', file, '--size', '128', '--slices', '24', '--lesions', 'cap', '--seed', '3'], c1.io), 0, c1.err.join(''));
  for (const f of ['chest.nii.gz', 'chest-lungs.nii.gz', 'chest-lesions.nii.gz', 'chest-lesions.json']) assert.ok(existsSync(join(dir, f)), f);
  const out = join(dir, 'lungs');
  const c2 = capture();
  assert.equal(await main(['lungs', file, '--out', out, '--pngs', '3'], c2.io), 0, c2.err.join(''));
  const stats = JSON.parse(readFileSync(join(out, 'lung-stats.json'), 'utf8'));
  assert.ok(stats.volumeMl.right > 1000 && stats.volumeMl.left > 1000, JSON.stringify(stats.volumeMl));
  assert.equal(stats.overlays.length, 3);
  for (const png of stats.overlays) assert.deepEqual([...readFileSync(join(out, png)).subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  assert.ok(existsSync(join(out, 'lung-mask.nii.gz')));
  assert.match(c2.out.join(''), /right lung \d+ mL, left lung \d+ mL/);
});

test('bad phantom options are one-line user errors', async () => {
  const c = capture();
  assert.equal(await main(['phantom', '--out', '/tmp/x.nii.gz', '--lesions', 'flu'], c.io), 2);
  assert.match(c.err.join(''), /--lesions 'flu' is not a preset; use one of covid, cap, none/);
  const d = capture();
  assert.equal(await main(['phantom', '--out', '/tmp/x.png'], d.io), 2);
  assert.match(d.err.join(''), /must end in \.nii or \.nii\.gz/);
});
