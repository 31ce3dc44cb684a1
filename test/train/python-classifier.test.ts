// Runs the Python unit tests of training/ (model shapes, M1/M2 distance use, temperature fit,
// ×3 oversampling, seeded augmentation) with the system interpreter that has PyTorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PYTHON } from '../../src/train/model-files.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('python training unit tests pass', { timeout: 120_000 }, (t) => {
  if (spawnSync(DEFAULT_PYTHON, ['-c', 'import torch, numpy, pytest'], { stdio: 'ignore' }).status !== 0) {
    t.skip(`${DEFAULT_PYTHON} lacks torch, numpy or pytest (apt-get install python3-torch python3-pytest)`);
    return;
  }
  const r = spawnSync(DEFAULT_PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'training/tests/test_classifier.py'], { cwd: root, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /9 passed/);
});
