// The embedded queue: the SQLite state machine by hand, then real jobs on a real worker pool
// (stub classifier, classical candidates): outputs fetched through the API, and a worker child
// killed mid-job whose job is run again and completes once.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { zipSync } from 'fflate';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { SECRET_PATIENT_ID, SECRET_PATIENT_NAME } from '../io/dicom-writer.ts';
import { writeVolumeAsDicom } from '../report/writers/volume-to-dicom.ts';
import { WorkerPool } from '../../src/pipeline/worker-pool.ts';
import { createApp } from '../../src/server/app.ts';
import { parseTokens } from '../../src/server/auth.ts';
import { EmbeddedQueue } from '../../src/server/jobs/embedded-queue.ts';
import { JobStore, MAX_ATTEMPTS } from '../../src/server/jobs/store.ts';
import { silentLogger } from '../../src/server/log.ts';
import { pollJob, serverFixture, TOKEN_A, TOKENS, type JobJson } from './fixtures.ts';

const fx = await serverFixture('queue');
after(() => rmSync(fx.dir, { recursive: true, force: true }));

function newJob(store: JobStore, id: string) {
  store.insert({ id, owner: 'alice', createdAt: new Date().toISOString(), inputName: null, inputFile: `jobs/${id}/input/input.nii.gz`, inputBytes: 1, options: {} });
}

test('store: claim → complete is guarded by attempt and holder; stale completions change nothing', () => {
  const store = new JobStore(join(fx.dir, 'sm1.sqlite'));
  newJob(store, 'a'.repeat(22));
  newJob(store, 'b'.repeat(22));
  const c1 = store.claim('h1', 10_000, 1000)!;
  assert.equal(c1.job.id, 'a'.repeat(22), 'oldest first');
  assert.equal(c1.attempt, 1);
  assert.equal(store.get(c1.job.id)!.status, 'running');
  // the worker died: back to the queue, and claimed again as attempt 2
  assert.equal(store.retry(c1, 'h1', 'killed'), 'queued');
  const c2 = store.claim('h1', 10_000, 2000)!;
  assert.equal(c2.job.id, c1.job.id);
  assert.equal(c2.attempt, 2);
  const result = { resultDir: 'x', decision: { label: 'covid19', displayName: 'COVID-19', confidence: 0.9 }, timingsMs: { lung: 5 } };
  // attempt 1 finishing late, or another holder, cannot complete attempt 2
  assert.equal(store.complete(c1, 'h1', result), false);
  assert.equal(store.complete(c2, 'h2', result), false);
  assert.equal(store.complete(c2, 'h1', result), true);
  assert.equal(store.complete(c2, 'h1', result), false, 'a job completes once');
  const done = store.get(c2.job.id)!;
  assert.deepEqual([done.status, done.attempts, done.progress, done.decision?.label], ['done', 2, 1, 'covid19']);
  assert.equal(store.fail(c2, 'h1', { code: 'X', message: 'y' }), false, 'done is final');
  assert.deepEqual(store.stageTimings(), [{ stage: 'lung', sumMs: 5, count: 1 }]);
  assert.deepEqual(store.counts(), { queued: 1, running: 0, done: 1, failed: 0 });
  store.close();
});

test('store: a worker that keeps dying fails the job after MAX_ATTEMPTS; expired leases and a dead server are re-queued', () => {
  const store = new JobStore(join(fx.dir, 'sm2.sqlite'));
  const id = 'c'.repeat(22);
  newJob(store, id);
  let last = '';
  for (let i = 1; i <= MAX_ATTEMPTS; i++) last = store.retry(store.claim('h', 1000)!, 'h', 'SIGKILL');
  assert.equal(last, 'failed');
  const j = store.get(id)!;
  assert.equal(j.status, 'failed');
  assert.equal(j.error?.code, 'WORKER_LOST');
  assert.match(j.error!.message, /died on each of 3 attempts \(last: SIGKILL\)/);
  // a lease nobody renewed runs out: the job is queued again
  const id2 = 'd'.repeat(22);
  newJob(store, id2);
  store.claim('h', 1000, 10_000);
  assert.deepEqual(store.expireLeases(10_500), [0, 0]);
  assert.deepEqual(store.expireLeases(11_001), [1, 0]);
  assert.equal(store.get(id2)!.status, 'queued');
  // a new server takes the folder over and re-queues what the old one had running
  store.takeOver('old', 60_000);
  store.claim('old', 60_000);
  assert.equal(store.get(id2)!.status, 'running');
  assert.equal(store.takeOver('new', 60_000), 1);
  assert.equal(store.get(id2)!.status, 'queued');
  store.close();
});

test('jobs screened on the worker pool: decision, files through the API, CT copy in HU; a killed worker child costs an attempt, not the job', async () => {
  const dataDir = join(fx.dir, 'data');
  const pool = await WorkerPool.start({ size: 1, load: { classifier: fx.classifier, candidates: 'classical' } });
  const logs: string[] = [];
  const log = (event: string, fields = {}) => logs.push(JSON.stringify({ event, ...fields }));
  const queue = new EmbeddedQueue({ dataDir, pool, log, leaseMs: 3000 });
  const app = createApp({ queue, dataDir, tokens: parseTokens(TOKENS, 'test'), maxUploadBytes: 64 << 20, log });
  const A = { authorization: `Bearer ${TOKEN_A}` };
  const get = async (id: string) => (await (await app.request(`/v1/jobs/${id}`, { headers: A })).json()) as JobJson;
  try {
    const ct = readFileSync(fx.ctGz);
    const post = async () => ((await (await app.request('/v1/jobs?candidates=classical', { method: 'POST', headers: { ...A, 'content-type': 'application/gzip' }, body: ct })).json()) as { id: string }).id;
    const first = await post();
    const j = await pollJob(() => get(first));
    assert.equal(j.status, 'done', JSON.stringify(j.error));
    assert.deepEqual(j.files, ['candidates.nii.gz', 'lungs.nii.gz', 'report.html', 'report.json', 'volume.nii.gz']);
    const rep = await app.request(`/v1/jobs/${first}/files/report.json`, { headers: A });
    assert.equal(rep.headers.get('content-type'), 'application/json');
    const report = (await rep.json()) as { decision: { label: string; displayName: string; confidence: number | null } };
    assert.deepEqual(j.decision, { label: report.decision.label, displayName: report.decision.displayName, confidence: report.decision.confidence });
    const html = await app.request(`/v1/jobs/${first}/files/report.html`, { headers: A });
    assert.match(html.headers.get('content-type')!, /text\/html/);
    // the CT copy is the input's voxels in HU on its grid
    const volBytes = Buffer.from(await (await app.request(`/v1/jobs/${first}/files/volume.nii.gz`, { headers: A })).arrayBuffer());
    const volFile = join(fx.dir, 'volume.nii.gz');
    (await import('node:fs')).writeFileSync(volFile, volBytes);
    const vol = await readNifti(volFile);
    assert.ok(vol.data instanceof Int16Array);
    assert.deepEqual(Array.from(vol.data.subarray(0, 5000)), Array.from(fx.ctHu.subarray(0, 5000)));
    assert.equal(vol.data.length, fx.ctHu.length);
    const missing = await app.request(`/v1/jobs/${first}/files/lesions.nii.gz`, { headers: A });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /has no file 'lesions.nii.gz'; it has candidates.nii.gz/);

    // kill -9 the child while it screens: the job is queued again and completes on attempt 2
    const second = await post();
    await pollJob(() => get(second), (x) => x.status === 'running' && x.stage !== null, 60_000);
    const [pid] = pool.pids();
    process.kill(pid, 'SIGKILL');
    const k = await pollJob(() => get(second));
    assert.equal(k.status, 'done', JSON.stringify(k.error));
    assert.equal((await queue.get(second))!.attempts, 2);
    assert.notEqual(pool.pids()[0], pid, 'the dead child was replaced');

    // only the outputs subset asked for
    const third = ((await (await app.request('/v1/jobs?candidates=classical&decision=paper&outputs=nifti', { method: 'POST', headers: { ...A, 'content-type': 'application/gzip' }, body: ct })).json()) as { id: string }).id;
    assert.deepEqual((await pollJob(() => get(third))).files, ['candidates.nii.gz', 'lungs.nii.gz', 'report.json']);
    const thirdReport = (await (await app.request(`/v1/jobs/${third}/files/report.json`, { headers: A })).json()) as { decision: { mode: string } };
    assert.equal(thirdReport.decision.mode, 'paper');

    // an input the reader refuses fails the job with the reader's code and message (422 family)
    const { gzipSync, gunzipSync } = await import('node:zlib');
    const raw = gunzipSync(ct);
    raw.writeInt16LE(-5, 42); // dim[1] < 1
    const fourth = ((await (await app.request('/v1/jobs', { method: 'POST', headers: { ...A, 'content-type': 'application/gzip' }, body: gzipSync(raw) })).json()) as { id: string }).id;
    const f = await pollJob(() => get(fourth));
    assert.equal(f.status, 'failed');
    assert.ok(f.error && f.error.code !== 'INTERNAL', JSON.stringify(f.error));
    assert.doesNotMatch(f.error.message, new RegExp(dataDir), 'the server\'s folders stay private');
    // a zipped DICOM series: the DICOM objects join the files, served from dicom/…; the API and its
    // logs carry nothing of the patient (only the DICOM objects do, as the source study requires)
    const series = join(fx.dir, 'dicom-ct');
    await writeVolumeAsDicom(makeChestPhantom({ size: [96, 96], slices: 40, seed: 3, lesions: 'covid' }).volume, { dir: series, fileOrder: 'interleaved' });
    const entries: Record<string, Uint8Array> = {};
    for (const f of readdirSync(series)) entries[`ct/${f}`] = new Uint8Array(readFileSync(join(series, f)));
    const fifth = ((await (await app.request('/v1/jobs?candidates=classical', { method: 'POST', headers: { ...A, 'content-type': 'application/zip' }, body: zipSync(entries) })).json()) as { id: string }).id;
    const dj = await pollJob(() => get(fifth));
    assert.equal(dj.status, 'done', JSON.stringify(dj.error));
    assert.ok(dj.files.includes('dicom/seg.dcm') && dj.files.includes('dicom/sr.dcm') && dj.files.some((f) => /^dicom\/sc-\d+\.dcm$/.test(f)), dj.files.join(' '));
    const seg = await app.request(`/v1/jobs/${fifth}/files/dicom/seg.dcm`, { headers: A });
    assert.equal(seg.status, 200);
    assert.equal(seg.headers.get('content-type'), 'application/dicom');
    const segBytes = Buffer.from(await seg.arrayBuffer());
    assert.equal(segBytes.subarray(128, 132).toString('latin1'), 'DICM');
    assert.ok(segBytes.includes(Buffer.from(SECRET_PATIENT_ID)), 'the SEG files under the source patient');
    const apiText = JSON.stringify(dj) + (await (await app.request(`/v1/jobs/${fifth}/files/report.json`, { headers: A })).text());
    assert.ok(!apiText.includes(SECRET_PATIENT_ID) && !apiText.includes(SECRET_PATIENT_NAME));
    assert.ok(!logs.join('\n').includes(SECRET_PATIENT_ID) && !logs.join('\n').includes(SECRET_PATIENT_NAME));

    const metrics = await (await app.request('/metrics', { headers: A })).text();
    assert.match(metrics, /ctscreen_jobs\{state="done"\} 4/);
    assert.match(metrics, /ctscreen_jobs\{state="failed"\} 1/);
    assert.match(metrics, /ctscreen_stage_seconds_count\{stage="lung"\} 4/);
  } finally {
    await queue.close();
  }
});
