// `kill -9` of the embedded server mid-job: the restarted server resumes the queued and the
// interrupted jobs, and every job completes exactly once (one job.done per job across both logs).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { logEvents, pollJob, serverFixture, startCli, type JobJson } from './fixtures.ts';

const fx = await serverFixture('kill-server');
after(() => rmSync(fx.dir, { recursive: true, force: true }));

test('kill -9 of the embedded server → restart → every job completes once', { timeout: 180_000 }, async () => {
  const data = join(fx.dir, 'data');
  const args = ['serve', '--no-auth', '--port', '0', '--data', data, '--workers', '1', '--classifier', fx.classifier];
  const env = { CTSCREEN_LEASE_MS: '1500' };
  const s1 = startCli(args, env);
  const url1 = (await s1.waitFor(/listening on (http:\/\/\S+)/))[1];
  const ct = readFileSync(fx.ctGz);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${url1}/v1/jobs?candidates=classical`, { method: 'POST', headers: { 'content-type': 'application/gzip' }, body: ct });
    assert.equal(r.status, 202);
    ids.push(((await r.json()) as { id: string }).id);
  }
  const get = (url: string) => (id: string) => async () => (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as JobJson;
  await pollJob(get(url1)(ids[0]), (j) => j.status === 'running' && j.stage !== null, 60_000);
  s1.child.kill('SIGKILL');
  await s1.exited;

  const s2 = startCli(args, env);
  const url2 = (await s2.waitFor(/listening on (http:\/\/\S+)/))[1];
  try {
    for (const id of ids) {
      const j = await pollJob(get(url2)(id), undefined, 120_000);
      assert.equal(j.status, 'done', `${id}: ${JSON.stringify(j.error)}`);
      assert.ok(j.files.includes('report.json'));
    }
    const events = [...logEvents(s1.log()), ...logEvents(s2.log())];
    for (const id of ids) assert.equal(events.filter((e) => e.event === 'job.done' && e.job === id).length, 1, `${id} completed once`);
    // the interrupted job was started by both servers, and resumed by the second
    assert.equal(events.filter((e) => e.event === 'job.started' && e.job === ids[0]).length, 2);
    assert.ok(logEvents(s2.log()).some((e) => e.event === 'queue.resumed' && Number(e.jobs) >= 1));
    // the logs name no file and carry nothing from the input
    assert.doesNotMatch(s1.log() + s2.log(), /ct\.nii|inputName|covid/i);
    const list = (await (await fetch(`${url2}/v1/jobs`)).json()) as { jobs: JobJson[] };
    assert.deepEqual(list.jobs.map((j) => j.id), ids);
  } finally {
    s2.child.kill('SIGTERM');
    await s2.exited;
  }
});
