// The PACS connector against a real Orthanc (test/pacs/orthanc.ts): a synthetic chest CT uploaded
// through the REST API is found on the change feed, retrieved over WADO-RS, screened (stub classifier,
// classical candidates) and its SEG, SR and secondary capture stored back with STOW-RS; a second run
// adds nothing; a watcher killed between screening and storing finishes on restart with exactly one
// result set; a watcher that finds Orthanc down waits and completes when it is back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { DicomWebClient } from '../../src/pacs/dicomweb.ts';
import { loadState, STATE_FILE } from '../../src/pacs/watch.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { SECRET_PATIENT_ID, SECRET_PATIENT_NAME, writeSeries } from '../io/dicom-writer.ts';
import { withTempDir } from '../io/temp-dir.ts';
import { writeStubClassifierOnnx } from '../pipeline/fixtures.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { assertDciodvfyClean } from '../report/writers/dicom-test-tools.ts';
import { writeVolumeAsDicom } from '../report/writers/volume-to-dicom.ts';
import { ORTHANC_PASSWORD, ORTHANC_USER, orthancMissing, startOrthanc, studyListing, uploadFiles, waitStable, type Orthanc, type SeriesListing } from './orthanc.ts';

const STUDY = '1.2.826.0.1.3680043.10.999.700';
const CT_SERIES = '1.2.826.0.1.3680043.10.999.701';
const LOCALIZER_SERIES = '1.2.826.0.1.3680043.10.999.702';
// 128×128×24 slices 5 mm apart: small enough to screen in seconds, a chest CT by the selection rules
const ph = makeChestPhantom({ size: [128, 128], slices: 24, sliceSpacingMm: 5, seed: 3, lesions: 'covid' });

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

interface Fixture {
  orthanc: Orthanc;
  data: string;
  args: string[];
}

async function withOrthancStudy(dir: string, fn: (f: Fixture) => Promise<void>, studyDate?: string): Promise<void> {
  const orthanc = await startOrthanc(join(dir, 'orthanc'));
  try {
    const classifier = writeStubClassifierOnnx(dir);
    const ct = await writeVolumeAsDicom(ph.volume, { dir: join(dir, 'ct'), studyUid: STUDY, seriesUid: CT_SERIES, studyDate });
    // a 3-image localizer in the same study: skipped, with its reason
    const loc = await writeSeries({ dir: join(dir, 'loc'), syntax: TS.explicitLittle, nx: 32, ny: 32, nz: 3, seriesUid: LOCALIZER_SERIES, studyUid: STUDY, imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER' });
    await uploadFiles(orthanc, [...ct, ...loc.files]);
    await waitStable(orthanc, CT_SERIES);
    await waitStable(orthanc, LOCALIZER_SERIES);
    const data = join(dir, 'data');
    const args = ['--url', orthanc.url, '--user', ORTHANC_USER, '--password', ORTHANC_PASSWORD, '--data', data, '--classifier', classifier, '--candidates', 'classical'];
    await fn({ orthanc, data, args });
  } finally {
    await orthanc.stop();
  }
}

const resultSeries = (l: SeriesListing[]) => l.filter((s) => s.seriesUid !== CT_SERIES && s.seriesUid !== LOCALIZER_SERIES);
const events = (log: string) => log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });

test('pacs watch --once: the CT series gets SEG, SR and SC in its study that Orthanc parses and dciodvfy accepts; the localizer is skipped; a second run adds nothing', { skip: orthancMissing }, () =>
  withTempDir('pacs-watch', (dir) =>
    withOrthancStudy(dir, async ({ orthanc, data, args }) => {
      const wrong = await run(['pacs', 'watch', ...args.map((a) => (a === ORTHANC_PASSWORD ? 'not-the-password' : a)), '--once']);
      assert.equal(wrong.code, 2);
      assert.match(wrong.err, /^ctscreen: error: Orthanc \/changes: the archive refused the credentials \(HTTP 401\); check --user\/--password\n$/m);
      const before = await studyListing(orthanc, STUDY);
      assert.deepEqual(before.map((s) => [s.modality, s.instances]), [['CT', 24], ['CT', 3]].sort());
      const r = await run(['pacs', 'watch', ...args, '--once']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /1 stored, 1 skipped/);
      const log = events(r.err);
      assert.deepEqual(log.find((e) => e.event === 'pacs.skipped'), { ...log.find((e) => e.event === 'pacs.skipped'), series: LOCALIZER_SERIES, reason: 'localizer (ImageType LOCALIZER)' });
      assert.ok(log.some((e) => e.event === 'pacs.retrieved' && e.series === CT_SERIES && e.instances === 24));
      assert.ok(log.some((e) => e.event === 'pacs.stored' && e.series === CT_SERIES && e.alreadyThere === 0));
      assert.ok(!r.err.includes(SECRET_PATIENT_NAME) && !r.err.includes(SECRET_PATIENT_ID), 'nothing identifying in the log');

      const after = await studyListing(orthanc, STUDY);
      const results = resultSeries(after);
      assert.deepEqual(results.map((s) => s.modality).sort(), ['OT', 'SEG', 'SR']);
      assert.equal(results.find((s) => s.modality === 'SEG')!.instances, 1);
      assert.equal(results.find((s) => s.modality === 'SR')!.instances, 1);
      assert.ok(results.find((s) => s.modality === 'OT')!.instances >= 1);
      // the archive's own parse of each stored object, and dciodvfy on what it serves back
      const files: string[] = [];
      for (const s of results) {
        const ids = await orthanc.rest<string[]>(`/series/${s.orthancId}/instances`).then((x) => (x as unknown as Array<{ ID: string }>).map((i) => i.ID));
        for (const id of ids) {
          const tags = await orthanc.rest<Record<string, string>>(`/instances/${id}/simplified-tags`);
          assert.equal(tags.Modality, s.modality);
          assert.equal(tags.StudyInstanceUID, STUDY);
          const f = join(dir, `${id}.dcm`);
          writeFileSync(f, await orthanc.restBytes(`/instances/${id}/file`));
          files.push(f);
        }
      }
      assertDciodvfyClean(files);
      const state = loadState(data);
      assert.deepEqual(Object.values(state.series).map((s) => s.state).sort(), ['skipped', 'stored']);
      process.stdout.write(`# before: ${JSON.stringify(before.map(({ modality, description, instances }) => ({ modality, description, instances })))}\n`);
      process.stdout.write(`# after: ${JSON.stringify(after.map(({ modality, description, instances }) => ({ modality, description, instances })))}\n`);
      process.stdout.write(`# log: ${log.filter((e) => e.series === CT_SERIES).map((e) => JSON.stringify(e)).join('\n# log: ')}\n`);

      // again: the feed now also has our own result series (skipped: not CT), the CT is done
      const r2 = await run(['pacs', 'watch', ...args, '--once']);
      assert.equal(r2.code, 0, r2.err);
      const r3 = await run(['pacs', 'screen', ...args, '--study', STUDY]);
      assert.equal(r3.code, 0, r3.err);
      // our own SEG, SR and SC series are skipped (not CT) when first seen; the CT is done already
      assert.match(r3.out, /^ctscreen pacs screen: 0 stored, [0-3] skipped, 0 not screened; [2-5] series handled by an earlier run/);
      assert.deepEqual(await studyListing(orthanc, STUDY), after, 'nothing added by running again');

      // a newer model version (same network, card version bumped) screens the series again: a new result set
      const newer = join(dir, 'newer');
      mkdirSync(newer);
      const classifier = args[args.indexOf('--classifier') + 1];
      copyFileSync(classifier, join(newer, 'stub-classifier.onnx'));
      const card = JSON.parse(readFileSync(classifier.replace(/\.onnx$/, '.card.json'), 'utf8')) as { version: string };
      writeFileSync(join(newer, 'stub-classifier.card.json'), JSON.stringify({ ...card, version: `${card.version}-newer` }));
      const argsNewer = args.map((a) => (a === classifier ? join(newer, 'stub-classifier.onnx') : a));
      const r4 = await run(['pacs', 'screen', ...argsNewer, '--study', STUDY]);
      assert.equal(r4.code, 0, r4.err);
      assert.match(r4.out, /^ctscreen pacs screen: 1 stored/);
      const twice = resultSeries(await studyListing(orthanc, STUDY));
      assert.deepEqual(twice.map((s) => s.modality).sort(), ['OT', 'OT', 'SEG', 'SEG', 'SR', 'SR'], 'the first result set stays, the newer one is added');
    }),
  ),
);

test('a watcher killed after screening, before storing, finishes on restart: exactly one result set, and an object already in the archive is not sent again', { skip: orthancMissing }, () =>
  withTempDir('pacs-restart', (dir) =>
    withOrthancStudy(dir, async ({ orthanc, data, args }) => {
      const child = spawn(process.execPath, ['bin/ctscreen.mjs', 'pacs', 'watch', ...args, '--once'], { env: { ...process.env, CTSCREEN_PACS_TEST_EXIT_AFTER: 'screened' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 86, err);
      assert.equal(resultSeries(await studyListing(orthanc, STUDY)).length, 0, 'killed before any STOW');
      const job = Object.values(loadState(data).series).find((s) => s.seriesUid === CT_SERIES)!;
      assert.equal(job.state, 'screened');
      const cursor = loadState(data).cursor;

      // as if a previous run had stored the SR and died before recording it: send it by hand
      const srFile = join(data, job.dir!, 'result', 'dicom', 'sr.dcm');
      const client = new DicomWebClient({ url: orthanc.url, user: ORTHANC_USER, password: ORTHANC_PASSWORD });
      assert.deepEqual(await client.store(STUDY, [new Uint8Array(readFileSync(srFile))]), { failed: [] });

      const r = await run(['pacs', 'watch', ...args, '--once']);
      assert.equal(r.code, 0, r.err);
      const log = events(r.err);
      assert.ok(log.some((e) => e.event === 'pacs.resume' && e.series === CT_SERIES && e.state === 'screened'));
      const stored = log.find((e) => e.event === 'pacs.stored')!;
      assert.equal(stored.alreadyThere, 1, 'the SR was found by QIDO-RS and not sent again');
      assert.equal(job.resultUids!.length, (stored.sent as number) + 1);
      assert.ok(!log.some((e) => e.event === 'pacs.screened'), 'not screened a second time');
      assert.ok(loadState(data).cursor >= cursor);
      const results = resultSeries(await studyListing(orthanc, STUDY));
      process.stdout.write(`# restart: killed run ${err.split('\n').filter((l) => l.includes('"pacs.')).join(' ')}\n# restart: resumed run ${r.err.split('\n').filter((l) => l.includes('"pacs.')).join(' ')}\n`);
      assert.deepEqual(results.map((s) => s.modality).sort(), ['OT', 'SEG', 'SR'], 'exactly one result series of each kind');
      assert.equal(results.reduce((a, s) => a + s.instances, 0), job.resultUids!.length);
    }),
  ),
);

test('Orthanc down while the watcher runs: it retries with backoff and completes when Orthanc is back', { skip: orthancMissing }, () =>
  withTempDir('pacs-outage', (dir) =>
    withOrthancStudy(dir, async ({ orthanc, data, args }) => {
      await orthanc.stop();
      const child = spawn(process.execPath, ['bin/ctscreen.mjs', 'pacs', 'watch', ...args, '--once', '--retry-for-s', '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      let out = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      try {
        const t0 = Date.now();
        while (events(err).filter((e) => e.event === 'pacs.retry').length < 2) {
          assert.ok(Date.now() - t0 < 60_000, `no retries logged: ${err.slice(-1000)}`);
          assert.equal(child.exitCode, null, `the watcher gave up: ${err.slice(-1000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(loadState(data).cursor, 0, 'cursor kept while the archive is down');
        await orthanc.start();
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 120_000)))]);
        clearTimeout(timer);
        assert.equal(code, 0, err);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      assert.match(out, /1 stored/);
      const retries = events(err).filter((e) => e.event === 'pacs.retry');
      assert.ok(retries.length >= 2 && (retries[1].waitMs as number) > (retries[0].waitMs as number), 'backoff grows');
      process.stdout.write(`# outage log: ${err.split('\n').filter((l) => l.includes('"pacs.')).join('\n# outage log: ')}\n`);
      assert.deepEqual(resultSeries(await studyListing(orthanc, STUDY)).map((s) => s.modality).sort(), ['OT', 'SEG', 'SR']);
      assert.ok(readFileSync(join(data, STATE_FILE), 'utf8').includes('"stored"'));
    }),
  ),
);

test('an archive without a change feed is polled with QIDO-RS by StudyDate', { skip: orthancMissing }, () =>
  withTempDir('pacs-qido', (dir) =>
    withOrthancStudy(
      dir,
      async ({ orthanc, args }) => {
        // a plain DICOMweb archive: Orthanc behind a proxy that answers 404 to its /changes
        const proxy = createServer((req, res) => {
          if (req.url!.startsWith('/changes')) {
            res.writeHead(404).end();
            return;
          }
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', async () => {
            const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => ['authorization', 'accept', 'content-type'].includes(k)) as [string, string][]);
            const r = await fetch(`${orthanc.url}${req.url}`, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' }).end(Buffer.from(await r.arrayBuffer()));
          });
        });
        await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
        try {
          const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
          const r = await run(['pacs', 'watch', ...args.map((a) => (a === orthanc.url ? url : a)), '--once']);
          assert.equal(r.code, 0, r.err);
          assert.ok(events(r.err).some((e) => e.event === 'pacs.no_change_feed'));
          assert.match(r.out, /1 stored, 1 skipped/);
          assert.deepEqual(resultSeries(await studyListing(orthanc, STUDY)).map((s) => s.modality).sort(), ['OT', 'SEG', 'SR']);
        } finally {
          proxy.close();
        }
      },
      new Date().toISOString().slice(0, 10).replace(/-/g, ''),
    ),
  ),
);
