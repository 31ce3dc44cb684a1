// CI's short seeded fuzz run (issue 10): synthetic seeds only, so the same cases run on every
// machine; well under 2 minutes on 2 cores. `npm run fuzz` runs the long form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCase } from '../../scripts/fuzz/case.ts';
import { classifyError } from '../../scripts/fuzz/outcome.ts';
import { countKind, formatSummary, judge, runFuzz, type CaseRecord } from '../../scripts/fuzz/run.ts';
import { syntheticSeeds } from '../../scripts/fuzz/seeds.ts';
import { InputError, ModelError, ScreeningError } from '../../src/core/errors.ts';

const SMOKE_SEED = 20261201;
const SMOKE_CASES = 60;
/** Stops early rather than overrun CI's budget on a slow machine (the cases done are still checked). */
const SMOKE_SECONDS = 75;

test('a case is the same bytes every time it is made from (seed, index): replay reproduces it', async () => {
  const seeds = await syntheticSeeds();
  for (const index of [0, 7, 33]) {
    const a = makeCase(SMOKE_SEED, index, seeds);
    const b = makeCase(SMOKE_SEED, index, seeds);
    assert.equal(a.seedId, b.seedId);
    assert.deepEqual(a.mutations, b.mutations);
    assert.equal(a.input.files.length, b.input.files.length);
    a.input.files.forEach((f, i) => assert.ok(Buffer.from(f.bytes).equals(Buffer.from(b.input.files[i].bytes)), `case ${index} file ${f.name}`));
  }
  // making cases never changes the seeds (a Buffer seed's .slice() once edited it in place)
  const before = seeds.map((s) => s.files.map((f) => Buffer.from(f.bytes).toString('base64')));
  for (let i = 0; i < 300; i++) makeCase(SMOKE_SEED + 1, i, seeds);
  assert.deepEqual(seeds.map((s) => s.files.map((f) => Buffer.from(f.bytes).toString('base64'))), before);
  // and different cases differ
  assert.notDeepEqual(makeCase(SMOKE_SEED, 1, seeds).mutations, makeCase(SMOKE_SEED, 2, seeds).mutations);
});

test('the fuzzer\'s assertions: user errors pass; internal errors, model errors, a report failing its schema, slow cases, RSS over the limit and a CLI that disagrees fail', () => {
  assert.equal(classifyError(new InputError('X', 'bad'), 'read').kind, 'user-error');
  assert.equal(classifyError(new ScreeningError('NO_LUNGS', 'none'), 'screen').kind, 'user-error');
  assert.equal(classifyError(new ModelError('MODEL_OUTPUT_INVALID', 'NaN'), 'screen').kind, 'model-error');
  assert.equal(classifyError(new InputError('REPORT_INVALID', 'schema'), 'screen').kind, 'internal');
  assert.equal(classifyError(new TypeError('x is undefined'), 'read').kind, 'internal');
  const base: CaseRecord = { index: 0, seedId: 's', real: false, mutations: [], candidates: 'classical', inProcess: { outcome: { kind: 'report' }, ms: 5, rssMb: 100 } };
  assert.equal(judge(base, 10_000, 2048), undefined);
  assert.equal(judge({ ...base, inProcess: { outcome: { kind: 'user-error', code: 'DICOM_CORRUPT' }, ms: 5 } }, 10_000, 2048), undefined);
  assert.match(judge({ ...base, inProcess: { outcome: { kind: 'internal', code: 'TypeError', message: 'boom' }, ms: 5 } }, 10_000, 2048) ?? '', /^in-process: internal TypeError: boom$/);
  assert.match(judge({ ...base, inProcess: { outcome: { kind: 'report' }, ms: 14_000, cpuMs: 12_000 } }, 10_000, 2048) ?? '', /took 12000 ms CPU time \(14000 ms wall; limit 10000\)/);
  // a loaded machine stretches wall time: judged on CPU time
  assert.equal(judge({ ...base, inProcess: { outcome: { kind: 'report' }, ms: 25_000, cpuMs: 3_000 } }, 10_000, 2048), undefined);
  assert.match(judge({ ...base, inProcess: { outcome: { kind: 'report' }, ms: 5, rssMb: 3000 } }, 10_000, 2048) ?? '', /peak RSS 3000 MiB \(limit 2048\)/);
  assert.match(judge({ ...base, cli: { outcome: { kind: 'user-error', code: 'exit 2' }, ms: 900 } }, 10_000, 2048) ?? '', /cli exit disagrees with in-process: report vs user-error/);
});

test(`seeded fuzz smoke run (seed ${SMOKE_SEED}, ${SMOKE_CASES} cases): every case ends in a report or a user error, within 10 s and 2 GB`, { timeout: 180_000 }, async () => {
  const summary = await runFuzz({ seed: SMOKE_SEED, cases: SMOKE_CASES, seconds: SMOKE_SECONDS, childEvery: 30 });
  const text = formatSummary(summary);
  assert.equal(summary.failures.length, 0, text);
  assert.ok(summary.cases >= 20, `only ${summary.cases} cases ran in ${SMOKE_SECONDS} s\n${text}`);
  // the run reaches both ends: readers refuse broken inputs and whole screenings finish
  assert.ok(countKind(summary, 'report') > 0, text);
  assert.ok(countKind(summary, 'user-error') > 0, text);
  assert.ok(summary.cliCases >= 1, text);
  assert.ok(summary.largestRss !== undefined && summary.largestRss.mb > 0 && summary.largestRss.mb < 2048, text);
});
