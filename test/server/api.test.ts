// The HTTP API in-process (Hono app.request), every route and every refusal. The queue is the real
// embedded SQLite queue without workers, so jobs stay queued unless a test adds a pool.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { API_ERROR_CODES, ERROR_CODES, errorInfo } from '../../src/core/error-codes.ts';
import { ModelError } from '../../src/core/errors.ts';
import { InputError } from '../../src/core/errors.ts';
import { createApp, parseJobOptions, cleanFileName } from '../../src/server/app.ts';
import { loadTokens, parseTokens, tokenOwner } from '../../src/server/auth.ts';
import { EmbeddedQueue } from '../../src/server/jobs/embedded-queue.ts';
import { silentLogger } from '../../src/server/log.ts';
import { startServer } from '../../src/server/serve.ts';
import { serverFixture, TOKEN_A, TOKEN_B, TOKENS, writeTokensFile } from './fixtures.ts';

const fx = await serverFixture('api');
const dataDir = join(fx.dir, 'data');
const queue = new EmbeddedQueue({ dataDir, pool: null, log: silentLogger });
const viewerDir = join(fx.dir, 'viewer-dist');
mkdirSync(viewerDir);
writeFileSync(join(viewerDir, 'index.html'), '<!doctype html><title>ctscreen viewer</title>');
writeFileSync(join(viewerDir, 'app.js'), 'console.log(1)');
const logs: string[] = [];
const app = createApp({ queue, dataDir, tokens: parseTokens(TOKENS, 'test'), maxUploadBytes: 2 * 1024 * 1024, maxQueued: 6, viewerDir, log: (e, f) => logs.push(JSON.stringify({ e, ...f })) });
after(() => queue.close());

const A = { authorization: `Bearer ${TOKEN_A}` };
const B = { authorization: `Bearer ${TOKEN_B}` };
const ct = readFileSync(fx.ctGz);

async function refusal(res: Response, status: number, code: string, message: RegExp): Promise<string> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.match(body.error.message, message);
  assert.equal(ERROR_CODES[code as keyof typeof ERROR_CODES]?.http, status, `catalogue status of ${code}`);
  return body.error.message;
}

function upload(body: Uint8Array | ReadableStream | null, type: string | null, headers: Record<string, string> = A, query = '') {
  const h: Record<string, string> = { ...headers };
  if (type) h['content-type'] = type;
  return app.request(`/v1/jobs${query}`, { method: 'POST', headers: h, body: body as BodyInit | null });
}

test('healthz and the OpenAPI document need no token; the document lists every route', async () => {
  const h = await app.request('/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'ok', queue: 'embedded' });
  const o = await app.request('/v1/openapi.json');
  assert.equal(o.status, 200);
  const doc = (await o.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.match(doc.openapi, /^3\./);
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/healthz', '/metrics', '/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/files/{name}', '/v1/models', '/v1/openapi.json']);
  assert.deepEqual(Object.keys(doc.paths['/v1/jobs']).sort(), ['get', 'post']);
  assert.ok(doc.paths['/v1/jobs/{id}'].delete);
  // the served document is the file in the repository
  assert.deepEqual(doc, JSON.parse(readFileSync(new URL('../../src/server/openapi.json', import.meta.url), 'utf8')));
});

test('auth: no token, a wrong token and a malformed header are 401; each token is its own name', async () => {
  await refusal(await app.request('/v1/jobs'), 401, 'AUTH_REQUIRED', /Authorization: Bearer/);
  await refusal(await app.request('/v1/jobs', { headers: { authorization: `Bearer ${TOKEN_A.slice(0, -1)}x` } }), 401, 'AUTH_INVALID', /not valid/);
  await refusal(await app.request('/v1/jobs', { headers: { authorization: 'Bearer short' } }), 401, 'AUTH_INVALID', /not valid/);
  await refusal(await app.request('/v1/jobs', { headers: { authorization: `Basic ${TOKEN_A}` } }), 401, 'AUTH_INVALID', /not valid/);
  await refusal(await app.request('/metrics'), 401, 'AUTH_REQUIRED', /Bearer/);
  const tokens = parseTokens(TOKENS, 'test');
  assert.equal(tokenOwner(tokens, TOKEN_A), 'alice');
  assert.equal(tokenOwner(tokens, TOKEN_B), 'bob');
  assert.equal(tokenOwner(tokens, ''), null);
  assert.throws(() => parseTokens('alice:short', 'CTSCREEN_TOKENS'), /token of 'alice' has 5 characters; use at least 16/);
  assert.throws(() => parseTokens(`alice:${TOKEN_A},alice:${TOKEN_B}`, 'CTSCREEN_TOKENS'), /'alice' appears twice/);
  assert.throws(() => parseTokens('no-colon-here-at-all', 'CTSCREEN_TOKENS'), /must be name:token/);
  assert.equal(loadTokens({ tokensFile: writeTokensFile(fx.dir) }).length, 2);
  assert.equal(loadTokens({ env: { CTSCREEN_TOKENS: TOKENS } }).map((t) => t.name).join(','), 'alice,bob');
  assert.deepEqual(loadTokens({ env: {} }), []);
});

test('the server refuses to start without tokens, and --no-auth off loopback', async () => {
  const base = { port: 0, dataDir: join(fx.dir, 'never'), workers: 0, maxUploadMb: 1, load: {}, log: silentLogger };
  await assert.rejects(startServer({ ...base, host: '127.0.0.1', tokens: [] }), (e: Error) => e instanceof InputError && /no API tokens: set CTSCREEN_TOKENS/.test(e.message));
  await assert.rejects(startServer({ ...base, host: '0.0.0.0', tokens: null }), (e: Error) => e instanceof InputError && /--no-auth serves only on loopback; --host 0.0.0.0 needs tokens/.test(e.message));
});

test('ctscreen serve without tokens exits 2 with the reason, and worker without --queue', async () => {
  const { main } = await import('../../src/cli/main.ts');
  let err = '';
  const io = { stdout: () => {}, stderr: (t: string) => (err += t) };
  const saved = process.env.CTSCREEN_TOKENS;
  delete process.env.CTSCREEN_TOKENS;
  try {
    assert.equal(await main(['serve', '--data', join(fx.dir, 'cli-data'), '--workers', '0', '--port', '0'], io), 2);
    assert.match(err, /ctscreen: error: no API tokens: set CTSCREEN_TOKENS=name:token\[,name:token…\] or give --tokens-file, or run with --no-auth \(loopback only\)/);
    assert.equal(await main(['worker', '--data', join(fx.dir, 'cli-data')], io), 2);
    assert.match(err, /ctscreen worker needs --queue redis:\/\/HOST:PORT/);
    assert.equal(await main(['serve', '--queue', 'http://x', '--no-auth', '--workers', '0'], io), 2);
    assert.match(err, /only redis:\/\/HOST:PORT queues are supported/);
  } finally {
    if (saved !== undefined) process.env.CTSCREEN_TOKENS = saved;
  }
});

test('uploads: each accepted kind is sniffed and queued with 202 and an unguessable id', async () => {
  const dicom = Buffer.alloc(300);
  dicom.write('DICM', 128, 'latin1');
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
  const raw = gunzipSync(ct);
  const cases: [Buffer, string, string][] = [
    [ct, 'application/gzip', '.nii.gz'],
    [ct, 'application/octet-stream', '.nii.gz'],
    [raw, 'application/octet-stream', '.nii'],
    [Buffer.from(zipSync({ 'a/1.dcm': new Uint8Array(dicom) })), 'application/zip', '.zip'],
    [dicom, 'application/dicom', '.dcm'],
    [png, 'image/png', '.png'],
  ];
  const ids = new Set<string>();
  for (const [body, type, ext] of cases) {
    const r = await upload(body, type);
    assert.equal(r.status, 202, `${type} ${ext}`);
    const j = (await r.json()) as { id: string; status: string };
    assert.equal(j.status, 'queued');
    assert.match(j.id, /^[A-Za-z0-9_-]{22}$/);
    ids.add(j.id);
    const rec = await queue.get(j.id);
    assert.ok(rec!.inputFile.endsWith(`input/input${ext}`), `${type} stored as ${rec!.inputFile}`);
    assert.equal(rec!.inputBytes, body.length);
    assert.deepEqual(readFileSync(join(dataDir, rec!.inputFile)), body);
    await app.request(`/v1/jobs/${j.id}`, { method: 'DELETE', headers: A });
  }
  assert.equal(ids.size, cases.length);
  // 6 queued at most (maxQueued): jpeg goes in as the last one after the deletes above
  assert.equal((await upload(jpeg, 'image/jpeg')).status, 202);
  // logs carry ids, sizes and kinds, never the client's file name
  assert.ok(logs.some((l) => /"e":"job.created".*"bytes":\d+.*"kind":"nifti-gz"/.test(l)));
});

test('upload refusals: 415 type, 415 body not what it claims, 413 too large (declared or streamed), 400 empty, 400/422 options', async () => {
  const m415 = await refusal(await upload(Buffer.from('hello'), 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE', /Content-Type text\/plain is not accepted; send one of application\/zip/);
  await refusal(await upload(Buffer.from('hello'), null), 415, 'UNSUPPORTED_MEDIA_TYPE', /Content-Type \(none\) is not accepted/);
  await refusal(await upload(Buffer.from(zipSync({ a: new Uint8Array(3) })), 'image/png'), 415, 'UNSUPPORTED_MEDIA_TYPE', /sent as image\/png is a zip archive; send it as application\/zip/);
  await refusal(await upload(gzipSync(Buffer.from('not a nifti header at all')), 'application/gzip'), 415, 'UNSUPPORTED_MEDIA_TYPE', /sent as application\/gzip is none of a gzipped NIfTI-1 file/);
  await refusal(await upload(Buffer.from('plain text'), 'application/octet-stream'), 415, 'UNSUPPORTED_MEDIA_TYPE', /is none of a zip archive, a DICOM file, a NIfTI-1 file/);
  const big = Buffer.alloc(3 * 1024 * 1024, 1);
  await refusal(await upload(big, 'application/zip', { ...A, 'content-length': String(big.length) }), 413, 'UPLOAD_TOO_LARGE', /upload \(3 MiB\) is larger than the server's limit of 2 MiB \(--max-upload-mb\)/);
  // no Content-Length: counted while streaming to disk, and the partial file removed
  const stream = new ReadableStream({ start(c) { for (let i = 0; i < 6; i++) c.enqueue(new Uint8Array(512 * 1024)); c.close(); } });
  await refusal(await app.request('/v1/jobs', { method: 'POST', headers: { ...A, 'content-type': 'application/zip' }, body: stream, duplex: 'half' } as RequestInit), 413, 'UPLOAD_TOO_LARGE', /larger than the server's limit of 2 MiB/);
  await refusal(await upload(Buffer.alloc(0), 'application/zip'), 400, 'EMPTY_BODY', /no (bytes|body)/);
  await refusal(await upload(ct, 'application/gzip', A, '?candidates=magic'), 400, 'BAD_REQUEST', /candidates='magic' is not a candidate generator; expected learned or classical/);
  await refusal(await upload(ct, 'application/gzip', A, '?decision=coin'), 400, 'BAD_REQUEST', /decision='coin' is not a decision rule; expected calibrated or paper/);
  await refusal(await upload(ct, 'application/gzip', A, '?outputs=report.json,secrets.txt'), 400, 'BAD_REQUEST', /outputs: 'secrets.txt' is neither an output type \(html, nifti, volume, dicom\) nor one of their files \(report.json, report.html/);
  await refusal(await upload(ct, 'application/gzip', A, '?outputs=dicom'), 400, 'BAD_REQUEST', /outputs=dicom needs a DICOM input/);
  await refusal(await upload(Buffer.from(zipSync({})), 'application/zip'), 422, 'EMPTY_ARCHIVE', /the zip archive has no entries; zip the DICOM series folder/);
  await refusal(await upload(ct, 'application/gzip', A, '?color=red'), 400, 'BAD_REQUEST', /unknown query option 'color'/);
  assert.ok(m415.length > 0);
  // no upload was left on disk by any refusal
  const { readdirSync } = await import('node:fs');
  const left = readdirSync(join(dataDir, 'jobs')).filter((d) => readdirSync(join(dataDir, 'jobs', d, 'input')).some((f) => f.endsWith('.part')));
  assert.deepEqual(left, []);
});

test('query options: candidates, decision and outputs by type or file name (report.json always)', () => {
  assert.deepEqual(parseJobOptions({ candidates: 'classical', decision: 'paper', outputs: 'volume.nii.gz,lungs.nii.gz,report.json,nifti' }), { candidates: 'classical', decision: 'paper', outputs: ['volume', 'nifti'] });
  assert.deepEqual(parseJobOptions({ decision: 'calibrated', outputs: 'html' }), { decision: 'calibrated', outputs: ['html'] });
  assert.deepEqual(parseJobOptions({}), {});
  assert.equal(cleanFileName('../../etc/passwd'), 'passwd');
  assert.equal(cleanFileName('scan%20one.zip'), 'scan one.zip');
  assert.equal(cleanFileName(undefined), null);
});

test('jobs: the caller lists and reads its own; another name gets 404; files 404 until done; delete is 204 then 404', async () => {
  const r = await upload(ct, 'application/gzip', { ...A, 'x-filename': 'chest ct.nii.gz' }, '?candidates=classical');
  const { id } = (await r.json()) as { id: string };
  const g = await app.request(`/v1/jobs/${id}`, { headers: A });
  assert.equal(g.status, 200);
  const job = (await g.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(job).sort(), ['createdAt', 'decision', 'error', 'files', 'finishedAt', 'id', 'inputName', 'progress', 'stage', 'startedAt', 'status'].sort());
  assert.equal(job.status, 'queued');
  assert.equal(job.inputName, 'chest ct.nii.gz');
  assert.equal(job.progress, 0);
  assert.deepEqual(job.files, []);
  const list = (await (await app.request('/v1/jobs', { headers: A })).json()) as { jobs: { id: string }[] };
  assert.ok(list.jobs.some((j) => j.id === id));
  const bobs = (await (await app.request('/v1/jobs', { headers: B })).json()) as { jobs: { id: string }[] };
  assert.deepEqual(bobs.jobs, []);
  await refusal(await app.request(`/v1/jobs/${id}`, { headers: B }), 404, 'NOT_FOUND', new RegExp(`no job ${id}`));
  await refusal(await app.request(`/v1/jobs/${id}`, { method: 'DELETE', headers: B }), 404, 'NOT_FOUND', /no job/);
  await refusal(await app.request(`/v1/jobs/${id}/files/report.json`, { headers: B }), 404, 'NOT_FOUND', /no job/);
  await refusal(await app.request(`/v1/jobs/${id}/files/report.json`, { headers: A }), 404, 'FILE_NOT_READY', /is queued; its files exist once it is done/);
  await refusal(await app.request(`/v1/jobs/${id}/files/..%2F..%2Fjobs.sqlite`, { headers: A }), 404, 'FILE_NOT_READY', /queued/);
  await refusal(await app.request('/v1/jobs/not-an-id', { headers: A }), 404, 'NOT_FOUND', /malformed id/);
  const d = await app.request(`/v1/jobs/${id}`, { method: 'DELETE', headers: A });
  assert.equal(d.status, 204);
  await refusal(await app.request(`/v1/jobs/${id}`, { headers: A }), 404, 'NOT_FOUND', /no job/);
});

test('a full queue is 503 QUEUE_FULL', async () => {
  let n = (await queue.counts()).queued;
  while (n < 6) {
    assert.equal((await upload(ct, 'application/gzip')).status, 202);
    n++;
  }
  await refusal(await upload(ct, 'application/gzip'), 503, 'QUEUE_FULL', /6 jobs are already waiting; retry later/);
});

test('models, metrics, unknown routes and the viewer', async () => {
  const m = (await (await app.request('/v1/models', { headers: A })).json()) as { models: { id: string; status: string }[]; candidates: string[]; decisions: string[]; outputs: { fileName: string; type: string }[] };
  assert.ok(m.models.some((x) => x.id === 'classifier-m2'));
  assert.deepEqual(m.candidates, ['learned', 'classical']);
  assert.deepEqual(m.decisions, ['calibrated', 'paper']);
  assert.ok(m.outputs.some((o) => o.fileName === 'volume.nii.gz' && o.type === 'volume'));
  const metrics = await app.request('/metrics', { headers: A });
  assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
  const text = await metrics.text();
  assert.match(text, /# TYPE ctscreen_jobs gauge\nctscreen_jobs\{state="queued"\} \d+\nctscreen_jobs\{state="running"\} 0\nctscreen_jobs\{state="done"\} 0\nctscreen_jobs\{state="failed"\} 0/);
  assert.match(text, /# TYPE ctscreen_stage_seconds summary/);
  await refusal(await app.request('/v1/nothing', { headers: A }), 404, 'NOT_FOUND', /no route GET \/v1\/nothing/);
  const index = await app.request('/');
  assert.equal(index.status, 200);
  assert.match(await index.text(), /ctscreen viewer/);
  assert.equal(await (await app.request('/app.js')).text(), 'console.log(1)');
  // a client-side route of the viewer gets its index.html
  assert.match(await (await app.request('/jobs/some-id')).text(), /ctscreen viewer/);
});

test('error catalogue: every status the API uses, and the class fallbacks', () => {
  const statuses = new Set<number>(Object.values(ERROR_CODES).map((e) => e.http));
  for (const s of [400, 401, 404, 413, 415, 422, 503]) assert.ok(statuses.has(s), `status ${s}`);
  for (const [code, info] of Object.entries(API_ERROR_CODES)) assert.deepEqual(ERROR_CODES[code], info, code);
  assert.deepEqual(errorInfo(new InputError('INPUT_LIMIT_DECOMPRESSED', 'x')), { exit: 2, http: 413 });
  assert.deepEqual(errorInfo(new ModelError('MODEL_MISSING', 'x')), { exit: 2, http: 500 });
  assert.deepEqual(errorInfo(new Error('bug')), { exit: 1, http: 500 });
});

test('Redis away: the API answers 503 QUEUE_UNAVAILABLE and /healthz 503, within seconds', async () => {
  const { RedisQueue } = await import('../../src/server/jobs/redis-queue.ts');
  // port 1 on loopback: nothing listens there
  const rq = new RedisQueue({ url: 'redis://127.0.0.1:1', dataDir, log: silentLogger });
  const down = createApp({ queue: rq, dataDir, tokens: null, maxUploadBytes: 1 << 20, log: silentLogger });
  try {
    const t0 = Date.now();
    await refusal(await down.request('/v1/jobs'), 503, 'QUEUE_UNAVAILABLE', /the job queue \(Redis\) cannot be reached; retry later/);
    const h = await down.request('/healthz');
    assert.equal(h.status, 503);
    assert.deepEqual(await h.json(), { status: 'unavailable', queue: 'redis', problem: 'the job queue (Redis) cannot be reached' });
    assert.ok(Date.now() - t0 < 15_000);
  } finally {
    await rq.close();
  }
});
