// The bench's PyTorch side rebuilds the networks from the committed ONNX weights (issue 16: no training
// checkpoint on a fresh clone); its Python tests check the rebuilt networks compute what was exported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Debian's python3-torch installs for the system interpreter (as the bench uses). */
const DEFAULT_PYTHON = '/usr/bin/python3';

test('PyTorch networks rebuilt from ONNX weights equal the exported networks; the bench counts their multiply-accumulates right', { timeout: 120_000 }, (t) => {
  if (spawnSync(DEFAULT_PYTHON, ['-c', 'import torch, numpy, pytest'], { stdio: 'ignore' }).status !== 0) {
    t.skip(`${DEFAULT_PYTHON} lacks torch, numpy or pytest (apt-get install python3-torch python3-pytest)`);
    return;
  }
  const r = spawnSync(DEFAULT_PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'training/tests/test_torch_from_onnx.py', 'training/tests/test_torch_inference.py'], { cwd: root, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /5 passed/);
});
