// A session in its own worker thread (src/models/worker-session.ts, loadModel's thread: 'worker'):
// the same numbers as on the main thread, runs matched to their feeds, the same typed errors, and a
// thread that never keeps the process alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ModelError } from '../../src/core/errors.ts';
import { clearModelCache, floatTensor, loadModel } from '../../src/models/load-model.ts';
import { LINEAR_FIXTURE, makeCard, writeLinearFixture } from './card-fixture.ts';

const { channels: C, size: S, w: W, d: D, b: B } = LINEAR_FIXTURE;
const setup = () => writeLinearFixture('ctscreen-worker-session-');

/** logits = pixels · W + distance · D + B, by hand in float64 (exact here: small integers and halves). */
function logits(pixels: number[], distance: number): number[] {
  return [0, 1, 2].map((k) => pixels.reduce((a, p, i) => a + p * W[i * 3 + k], 0) + distance * D[k] + B[k]);
}

test('a worker-thread session gives the hand-computed logits, the same as the main-thread session, and concurrent runs their own', async (t) => {
  const { dir, onnx } = setup();
  t.after(async () => {
    await clearModelCache();
    rmSync(dir, { recursive: true, force: true });
  });
  const inWorker = await loadModel(onnx, { thread: 'worker' });
  const onMain = await loadModel(onnx);
  assert.notEqual(inWorker, onMain, 'cached apart');
  assert.deepEqual([...inWorker.session.inputNames].sort(), ['distance', 'patches']);
  const feeds = (pixels: number[], distance: number) => ({ patches: floatTensor(Float32Array.from(pixels), [1, C, S, S]), distance: floatTensor(Float32Array.from([distance]), [1, 1]) });
  const one = await inWorker.run(feeds([1, 2, 3, 4], 0.5));
  assert.deepEqual([...(one.logits.data as Float32Array)], [6.5, 5.5, 6.5]);
  assert.deepEqual(one.logits.dims, [1, 3]);
  // five runs posted at once come back each with its own answer
  const cases = [0, 1, 2, 3, 4].map((k) => ({ pixels: [k, 2 * k, -k, 1], distance: k / 2 }));
  const outs = await Promise.all(cases.map((c) => inWorker.run(feeds(c.pixels, c.distance))));
  for (const [i, c] of cases.entries()) {
    assert.deepEqual([...(outs[i].logits.data as Float32Array)], logits(c.pixels, c.distance), `run ${i}`);
    assert.deepEqual([...(outs[i].logits.data as Float32Array)], [...((await onMain.run(feeds(c.pixels, c.distance))).logits.data as Float32Array)]);
  }
  // the feed's buffer stays the caller's (copied, not moved)
  const mine = feeds([1, 1, 1, 1], 0);
  await inWorker.run(mine);
  assert.equal((mine.patches.data as Float32Array).length, 4);
});

test('a worker-thread session: a file onnxruntime cannot load is the same ModelError; a bad feed rejects and the session still runs', async (t) => {
  const { dir, onnx } = setup();
  t.after(async () => {
    await clearModelCache();
    rmSync(dir, { recursive: true, force: true });
  });
  const broken = join(dir, 'broken.onnx');
  writeFileSync(broken, 'not an onnx graph');
  writeFileSync(join(dir, 'broken.card.json'), JSON.stringify(makeCard('broken.onnx', new Uint8Array(17), { channels: C, size: S })));
  const expectUnreadable = (e: unknown) => e instanceof ModelError && e.code === 'MODEL_UNREADABLE' && e.message.includes(`model file ${broken} cannot be loaded by onnxruntime`);
  await assert.rejects(loadModel(broken, { thread: 'worker', skipChecksum: true }), expectUnreadable);
  await assert.rejects(loadModel(broken, { skipChecksum: true }), expectUnreadable, 'as on the main thread');

  const m = await loadModel(onnx, { thread: 'worker' });
  const wrongDims = { patches: floatTensor(new Float32Array(9), [1, C, 3, 3]), distance: floatTensor(new Float32Array(1), [1, 1]) };
  await assert.rejects(m.run(wrongDims), (e: unknown) => e instanceof Error && !(e instanceof ModelError) && /dimension|shape|Got invalid/i.test(e.message));
  const ok = await m.run({ patches: floatTensor(Float32Array.from([1, 2, 3, 4]), [1, C, S, S]), distance: floatTensor(Float32Array.from([0.5]), [1, 1]) });
  assert.deepEqual([...(ok.logits.data as Float32Array)], [6.5, 5.5, 6.5]);
  // released (clearModelCache): a run after that is refused, not left waiting
  await m.session.release();
  await assert.rejects(m.run(wrongDims), /was released/);
});

test('a worker-thread session does not keep the process alive: a script that loads, runs and returns exits at once', async (t) => {
  const { dir, onnx } = setup();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const loader = fileURLToPath(new URL('../../src/models/load-model.ts', import.meta.url));
  const script = join(dir, 'once.mts');
  // no release, no process.exit: the event loop must empty by itself
  writeFileSync(
    script,
    `import { floatTensor, loadModel } from ${JSON.stringify(loader)};
const m = await loadModel(${JSON.stringify(onnx)}, { thread: 'worker' });
const out = await m.run({ patches: floatTensor(Float32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]), distance: floatTensor(Float32Array.from([0.5]), [1, 1]) });
process.stdout.write(JSON.stringify([...out.logits.data]));
`,
  );
  const started = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 });
  assert.equal(stdout, '[6.5,5.5,6.5]');
  // tsx start-up and the thread's boot are well under this; a thread holding the loop would hit the timeout
  assert.ok(Date.now() - started < 25_000);
});
