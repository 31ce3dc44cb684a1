// Scale-out on a real Redis: `serve --queue` with no local workers, two `ctscreen worker` processes
// sharing the data folder. Jobs complete; kill -9 of the worker screening a job → the job completes
// on the other. Redis comes from CTSCREEN_TEST_REDIS_URL (.ci/run starts one); without it a private
// redis-server is started on a loopback port when the binary exists, else the test is skipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { logEvents, pollJob, serverFixture, startCli, TOKEN_A, TOKEN_B, TOKENS, type CliProcess, type JobJson } from './fixtures.ts';

const fx = await serverFixture('redis');
let url = process.env.CTSCREEN_TEST_REDIS_URL;
let ownRedis: number | null = null;
if (!url && spawnSync('redis-server', ['--version']).status === 0) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const r = spawnSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', join(fx.dir, 'redis.pid'), '--dir', fx.dir]);
  if (r.status === 0) {
    url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() !== 'PONG'; i++) await new Promise((res) => setTimeout(res, 100));
    ownRedis = Number(readFileSync(join(fx.dir, 'redis.pid'), 'utf8'));
  }
}
after(() => {
  if (ownRedis) process.kill(ownRedis, 'SIGTERM');
  rmSync(fx.dir, { recursive: true, force: true });
});

test('BullMQ on Redis: 2 worker processes complete the jobs; kill -9 of one mid-job → the job completes on the other', { skip: url ? false : 'no Redis (set CTSCREEN_TEST_REDIS_URL or install redis-server)', timeout: 240_000 }, async () => {
  // a fresh database of the Redis, so jobs of an earlier run do not mix in
  const queueUrl = `${url!.replace(/\/\d*$/, '')}/${3 + Math.floor(Math.random() * 12)}`;
  spawnSync('redis-cli', ['-u', queueUrl, 'flushdb']);
  const data = join(fx.dir, 'data');
  const env = { CTSCREEN_LEASE_MS: '2000', CTSCREEN_TOKENS: TOKENS };
  const server = startCli(['serve', '--port', '0', '--data', data, '--workers', '0', '--queue', queueUrl], env);
  const workers: CliProcess[] = [];
  try {
    const base = (await server.waitFor(/listening on (http:\/\/\S+)/))[1];
    for (let i = 0; i < 2; i++) workers.push(startCli(['worker', '--queue', queueUrl, '--data', data, '--workers', '1', '--classifier', fx.classifier], env));
    for (const w of workers) await w.waitFor(/taking jobs/);
    const A = { authorization: `Bearer ${TOKEN_A}` };
    const health = (await (await fetch(`${base}/healthz`)).json()) as { queue: string };
    assert.equal(health.queue, 'redis');
    const ct = readFileSync(fx.ctGz);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${base}/v1/jobs?candidates=classical`, { method: 'POST', headers: { ...A, 'content-type': 'application/gzip', 'x-filename': `case-${i}.nii.gz` }, body: ct });
      assert.equal(r.status, 202);
      ids.push(((await r.json()) as { id: string }).id);
    }
    const get = (id: string, h = A) => async () => (await (await fetch(`${base}/v1/jobs/${id}`, { headers: h })).json()) as JobJson;
    // another name's job is 404 here too
    assert.equal((await fetch(`${base}/v1/jobs/${ids[0]}`, { headers: { authorization: `Bearer ${TOKEN_B}` } })).status, 404);
    // find a job some worker has started, and kill that worker
    let victim = -1;
    let victimJob = '';
    const t0 = Date.now();
    while (victim < 0 && Date.now() - t0 < 60_000) {
      for (let w = 0; w < workers.length && victim < 0; w++) {
        const started = logEvents(workers[w].log()).find((e) => e.event === 'job.started');
        if (started) [victim, victimJob] = [w, String(started.job)];
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(victim >= 0, 'a worker started a job');
    const running = await pollJob(get(victimJob), (j) => j.status !== 'queued', 30_000);
    assert.equal(running.status, 'running');
    workers[victim].child.kill('SIGKILL');
    await workers[victim].exited;
    const other = workers[1 - victim];
    for (const id of ids) {
      const j = await pollJob(get(id), undefined, 150_000);
      assert.equal(j.status, 'done', `${id}: ${JSON.stringify(j.error)}`);
      assert.ok(j.decision && j.files.includes('volume.nii.gz'));
      assert.equal(j.inputName, `case-${ids.indexOf(id)}.nii.gz`);
    }
    const otherEvents = logEvents(other.log());
    assert.equal(otherEvents.filter((e) => e.event === 'job.done' && e.job === victimJob).length, 1, 'the killed worker\'s job completed on the other');
    assert.equal(logEvents(workers[victim].log()).filter((e) => e.event === 'job.done' && e.job === victimJob).length, 0);
    // same files as the embedded queue writes, fetched through the server from the shared folder
    const rep = (await (await fetch(`${base}/v1/jobs/${victimJob}/files/report.json`, { headers: A })).json()) as { decision: { label: string } };
    assert.equal(rep.decision.label, running.decision?.label ?? rep.decision.label);
    const list = (await (await fetch(`${base}/v1/jobs`, { headers: A })).json()) as { jobs: JobJson[] };
    assert.deepEqual(list.jobs.map((j) => j.id).sort(), [...ids].sort());
    const metrics = await (await fetch(`${base}/metrics`, { headers: A })).text();
    assert.match(metrics, /ctscreen_jobs\{state="done"\} 4/);
    // delete works on the Redis queue too
    assert.equal((await fetch(`${base}/v1/jobs/${ids[1]}`, { method: 'DELETE', headers: A })).status, 204);
    assert.equal((await fetch(`${base}/v1/jobs/${ids[1]}`, { headers: A })).status, 404);
  } finally {
    for (const p of [server, ...workers]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all([server, ...workers].map((p) => p.exited));
  }
});
