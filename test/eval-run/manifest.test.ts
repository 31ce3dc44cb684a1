import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.ts';
import { checkManifestLabels, parseManifest, readManifest } from '../../src/eval/manifest.ts';

test('manifest rows become cases with paths resolved against the manifest folder and short ids', () => {
  const m = parseManifest(
    ['path,label,split', '# a comment', '../../shared/data/covid-ct-md/P001,covid19,validation', '../../shared/data/tb-lesions/tb1_003_102-128x128x64.nii.gz,other_pneumonia', ''].join('\n'),
    '/work/repo/eval/m.csv',
  );
  assert.equal(m.cases.length, 2);
  assert.deepEqual(
    m.cases.map((c) => [c.id, c.path, c.label, c.split, c.line]),
    [
      ['covid-ct-md/P001', '/work/shared/data/covid-ct-md/P001', 'covid19', 'validation', 3],
      ['tb-lesions/tb1_003_102-128x128x64', '/work/shared/data/tb-lesions/tb1_003_102-128x128x64.nii.gz', 'other_pneumonia', undefined, 4],
    ],
  );
});

test('a header is optional and a lone case keeps its own name', () => {
  const m = parseManifest('scans/a.nii.gz,covid19\n', '/x/m.csv');
  assert.equal(m.cases[0].id, 'scans/a');
  assert.equal(m.cases[0].path, '/x/scans/a.nii.gz');
});

test('bad manifests fail with the file and line', () => {
  assert.throws(() => parseManifest('a.nii,covid19\nb.nii\n', 'm.csv'), (e: unknown) => e instanceof InputError && /m\.csv line 2: has 1 field/.test(e.message));
  assert.throws(() => parseManifest('a.nii,covid19\na.nii,covid19\n', 'm.csv'), /m\.csv line 2: a\.nii is already listed on line 1/);
  assert.throws(() => parseManifest('path,label\n', 'm.csv'), /m\.csv lists no cases/);
  assert.throws(() => parseManifest('path,truth\na,b\n', 'm.csv'), /header must be/);
  assert.throws(() => parseManifest(',covid19\n', 'm.csv'), /line 1: path is empty/);
  assert.throws(() => readManifest('/nonexistent/m.csv'), /cannot read manifest \/nonexistent\/m\.csv \(ENOENT\)/);
});

test('labels are checked against the case-level classes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-manifest-'));
  const file = join(dir, 'm.csv');
  writeFileSync(file, 'a.nii,covid19\nb.nii,influenza\n');
  const m = readManifest(file);
  assert.doesNotThrow(() => checkManifestLabels({ ...m, cases: m.cases.slice(0, 1) }, ['covid19', 'no_infection_found']));
  assert.throws(() => checkManifestLabels(m, ['covid19', 'no_infection_found']), /line 2: label 'influenza' is not a case-level class of the classifier; expected one of covid19, no_infection_found/);
});

test('the shared-data manifest lists every labelled CT once, and each exists when the data is here', (t) => {
  const file = fileURLToPath(new URL('../../eval/shared-data-manifest.csv', import.meta.url));
  const m = readManifest(file);
  assert.equal(m.cases.length, 14);
  checkManifestLabels(m, ['covid19', 'other_pneumonia', 'no_infection_found']);
  assert.deepEqual(m.cases.slice(0, 3).map((c) => c.id), ['covid-ct-md/P001', 'covid-ct-md/cap001', 'covid-ct-md/normal001']);
  assert.deepEqual(m.cases.slice(11).map((c) => [c.id, c.label]), [['lidc-idri/LIDC-IDRI-0001', 'no_infection_found'], ['lidc-idri/LIDC-IDRI-0002', 'no_infection_found'], ['ricord-1a/419639-001012', 'covid19']]);
  const data = fileURLToPath(new URL('../../../shared/data', import.meta.url));
  if (!existsSync(data)) return t.skip(`${data} not present`);
  for (const c of m.cases) assert.ok(existsSync(c.path), c.path);
});
