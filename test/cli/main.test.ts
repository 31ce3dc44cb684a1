import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

test('unknown command is a usage error with exit code 2, no stack trace', async () => {
  const c = capture();
  const code = await main(['no-such-command'], c.io);
  assert.equal(code, 2);
  assert.doesNotMatch(c.err.join(''), /\n\s+at /);
});

test('--version prints the package version and exits 0', async () => {
  const c = capture();
  const code = await main(['--version'], c.io);
  assert.equal(code, 0);
  assert.match(c.out.join(''), /^\d+\.\d+\.\d+/);
});
