import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCommit } from '../../src/train/provenance.ts';

test('describeCommit names the uncommitted files under src/ and training/, not just "+uncommitted"', () => {
  assert.equal(describeCommit('abc123', ''), 'abc123');
  assert.equal(describeCommit('abc123', ' M src/classify/patch-dataset.ts\n?? training/__init__.py\n'), 'abc123 with uncommitted changes in src/classify/patch-dataset.ts, training/__init__.py');
  const many = Array.from({ length: 8 }, (_, i) => ` M src/f${i}.ts`).join('\n');
  assert.equal(describeCommit('h', many), 'h with uncommitted changes in src/f0.ts, src/f1.ts, src/f2.ts, src/f3.ts, src/f4.ts, src/f5.ts and 2 more');
});
