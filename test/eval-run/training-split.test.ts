import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { groupNamesCase, readTrainingSplits, splitMembership } from '../../src/eval/training-split.ts';

test('split groups name the shared-data cases they come from, and only those', () => {
  const rows: [string, string, boolean][] = [
    ['covid-ct-md-P001', '/d/covid-ct-md/P001', true],
    ['covid-ct-md-P001', '/d/covid-ct-md/P0010', false],
    ['covid-ct-md-cap001', '/d/covid-ct-md/cap001', true],
    ['covid-ct-md-cap001', '/d/covid-ct-md/P001', false],
    ['tb-tb1_001', '/d/tb-lesions/tb1_001_1001_1_33554433-128x128x64.nii.gz', true],
    ['tb-tb1_001', '/d/tb-lesions/tb1_0011_9-128x128x64.nii.gz', false],
    ['tb-tb1_001', '/d/other/tb1_001_1001.nii.gz', false],
    ['covid19ctseg-radiopaedia-10', '/d/radiopaedia-covid/74560', false],
    ['radiopaedia-case-10', '/d/radiopaedia-covid/10', false],
    ['medseg-doctor', '/d/covid-ct-md/P001', false],
  ];
  for (const [group, path, want] of rows) assert.equal(groupNamesCase(group, path), want, `${group} vs ${path}`);
});

test('split files next to the models are read with the ids of the cards that use them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-splits-'));
  writeFileSync(join(dir, 'classifier-split.json'), JSON.stringify({ unit: 'patient', train: ['covid-ct-md-cap001', 'tb-tb1_001'], validation: ['covid-ct-md-P001'] }));
  writeFileSync(join(dir, 'segmenter-split.json'), JSON.stringify({ train: ['coronacases-001'], validation: [] }));
  writeFileSync(join(dir, 'broken-split.json'), '{');
  writeFileSync(join(dir, 'classifier-m2.card.json'), JSON.stringify({ id: 'classifier-m2', training: { split: { file: 'classifier-split.json' } } }));
  writeFileSync(join(dir, 'classifier-m1.card.json'), JSON.stringify({ id: 'classifier-m1', training: { split: { file: 'classifier-split.json' } } }));
  const splits = readTrainingSplits(dir);
  assert.deepEqual(splits.map((s) => [s.file, s.models]), [['classifier-split.json', ['classifier-m1', 'classifier-m2']], ['segmenter-split.json', ['segmenter-split']]]);
  assert.deepEqual(splitMembership('/data/covid-ct-md/cap001', splits), [{ file: 'classifier-split.json', models: ['classifier-m1', 'classifier-m2'], group: 'covid-ct-md-cap001', split: 'train' }]);
  assert.deepEqual(splitMembership('/data/covid-ct-md/P001', splits).map((m) => m.split), ['validation']);
  assert.deepEqual(splitMembership('/data/radiopaedia-covid/74560', splits), []);
  assert.deepEqual(readTrainingSplits(join(dir, 'absent')), []);
});
