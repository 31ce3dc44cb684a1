import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PY = '/usr/bin/python3';

test('segmenter training code: python unit tests (pytest)', (t) => {
  if (spawnSync(PY, ['-c', 'import torch, numpy, pytest'], { stdio: 'ignore' }).status !== 0) {
    t.skip(`${PY} lacks torch, numpy or pytest (apt-get install python3-torch python3-pytest)`);
    return;
  }
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const r = spawnSync(PY, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'training/tests/test_segmenter.py'], { cwd: root, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /5 passed/);
});
