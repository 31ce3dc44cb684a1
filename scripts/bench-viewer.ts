/**
 * Viewer bench (part of `npm run bench`; alone: `npm run bench:viewer`). In headless Debian Chromium on
 * loopback, against the server under test (test/viewer/server-under-test.ts):
 *   - open: from navigating to a screened 150-slice 512×512 case to its first slice drawn (the page
 *     loads, fetches report + volume + masks, gunzips, parses, windows and draws), median of 5 opens;
 *   - scroll: slices per second stepping through every slice (a) with one ArrowDown keydown per
 *     animation frame, as a held key does, and (b) drawing each slice synchronously (the renderer's
 *     own throughput, no frame pacing).
 *
 * Options: --runs N (opens, default 5), --slices N (default 150), --case PATH (also upload this CT,
 * e.g. a DICOM zip, repeatable), --screenshots DIR (worklist and case view of every case, PNG).
 * Skips with a message when Chromium is absent.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { writeNifti } from '../src/io/nifti.ts';
import { makeChestPhantom } from '../src/phantom/chest-phantom.ts';
import { CHROMIUM, CHROMIUM_ARGS, buildViewer, startServerUnderTest, type ServerUnderTest } from '../test/viewer/server-under-test.ts';
import type {} from '../viewer/src/case-view.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    slices: { type: 'string', default: '150' },
    case: { type: 'string', multiple: true, default: [] },
    screenshots: { type: 'string' },
  },
});
const RUNS = Number(flags.runs);
const SLICES = Number(flags.slices);
const SCREENING_TIMEOUT_MS = 15 * 60_000;

async function upload(server: ServerUnderTest, path: string): Promise<string> {
  const body = await readFile(path);
  const name = basename(path);
  const type = name.endsWith('.zip') ? 'application/zip' : name.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream';
  const res = await fetch(`${server.url}/v1/jobs`, { method: 'POST', body, headers: { authorization: `Bearer ${server.token}`, 'content-type': type, 'x-filename': name } });
  if (res.status !== 202) throw new Error(`upload of ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function waitDone(server: ServerUnderTest, id: string): Promise<void> {
  const until = Date.now() + SCREENING_TIMEOUT_MS;
  while (Date.now() < until) {
    // the contract server screens in this process, so a long stage can hold its answer past undici's timeouts: ask again
    const job = (await fetch(`${server.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${server.token}` } })
      .then((r) => r.json())
      .catch(() => ({ status: 'unknown' }))) as { status: string; error?: { message: string } };
    if (job.status === 'done') return;
    if (job.status === 'failed') throw new Error(`job ${id} failed: ${job.error?.message}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`job ${id} not done within ${SCREENING_TIMEOUT_MS} ms`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`viewer bench skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'ctscreen-bench-viewer-'));
  await buildViewer();
  const server = await startServerUnderTest();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const phantomPath = join(work, `phantom-512x512x${SLICES}.nii.gz`);
    const phantom = makeChestPhantom({ seed: 11, slices: SLICES, size: [512, 512], lesions: 'covid' });
    await writeNifti(phantom.volume, phantomPath);
    const t0 = performance.now();
    const id = await upload(server, phantomPath);
    await waitDone(server, id);
    console.error(`screened the ${SLICES}-slice phantom in ${((performance.now() - t0) / 1000).toFixed(1)} s (server: ${server.kind})`);
    const extra: { id: string; name: string }[] = [];
    for (const p of flags.case) {
      const cid = await upload(server, p);
      await waitDone(server, cid);
      extra.push({ id: cid, name: basename(p) });
    }

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    await context.addInitScript((t) => sessionStorage.setItem('ctscreen.token', t), server.token);
    const opens: number[] = [];
    const phases: { opened: number; fetched: number; decoded: number; first: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await context.newPage();
      await page.goto(`${server.url}/#/case/${id}`);
      await page.waitForFunction(() => window.__ctscreenViewer?.firstDrawAtMs != null || window.__ctscreenViewer?.error, undefined, { timeout: 120_000 });
      const r = await page.evaluate(() => ({ first: window.__ctscreenViewer!.firstDrawAtMs, error: window.__ctscreenViewer!.error, opened: window.__ctscreenViewer!.openedAtMs, files: window.__ctscreenViewer!.loadedAtMs }));
      if (r.error) throw new Error(r.error);
      opens.push(r.first!);
      phases.push({ opened: r.opened, fetched: r.files['volume.nii.gz']?.fetched ?? NaN, decoded: r.files['volume.nii.gz']?.decoded ?? NaN, first: r.first! });
      if (i < RUNS - 1) await page.close();
    }
    const page = context.pages()[0];
    // a string, not a function: tsx would wrap named inner functions in a helper the page lacks
    const scroll = (await page.evaluate(`(async () => {
      const v = window.__ctscreenViewer;
      const el = document.getElementById('viewer');
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      v.setSlice(0);
      v.drawNow();
      await frame();
      const n = v.sliceCount - 1;
      let t = performance.now();
      const before = v.drawCount;
      for (let i = 0; i < n; i++) {
        el.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
        await frame();
      }
      await frame();
      const keyMs = performance.now() - t;
      const keyDraws = v.drawCount - before;
      const keyEnd = v.sliceIndex;
      t = performance.now();
      for (let i = 0; i < v.sliceCount; i++) {
        v.setSlice(i);
        v.drawNow();
      }
      const syncMs = performance.now() - t;
      return { n, keyMs, keyDraws, keyEnd, syncMs, count: v.sliceCount };
    })()`)) as { n: number; keyMs: number; keyDraws: number; keyEnd: number; syncMs: number; count: number };
    if (scroll.keyEnd !== scroll.n) throw new Error(`keyboard scroll ended on slice ${scroll.keyEnd}, expected ${scroll.n}`);

    console.log(`\nViewer bench: headless Chromium (${CHROMIUM}, --disable-gpu, canvas 2D), loopback, server ${server.kind}; load average ${loadavg()[0].toFixed(2)}`);
    console.log(`case: synthetic chest phantom 512×512×${scroll.count} int16 (volume.nii.gz and the masks the job has)\n`);
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| open case → first slice drawn (median of ${RUNS}) | ${median(opens).toFixed(0)} ms (all: ${opens.map((x) => x.toFixed(0)).join(', ')}) |`);
    const m = (f: (p: (typeof phases)[number]) => number) => median(phases.map(f)).toFixed(0);
    console.log(`| … of which: page and script load / volume.nii.gz fetched and gunzipped (streamed) / parsed / drawn (medians, ms since navigation) | ${m((p) => p.opened)} / ${m((p) => p.fetched)} / ${m((p) => p.decoded)} / ${m((p) => p.first)} |`);
    console.log(`| scroll, one ArrowDown per animation frame | ${((scroll.n / scroll.keyMs) * 1000).toFixed(1)} slices/s (${scroll.n} slices, ${scroll.keyDraws} draws) |`);
    console.log(`| scroll, synchronous draw per slice | ${((scroll.count / scroll.syncMs) * 1000).toFixed(1)} slices/s (${(scroll.syncMs / scroll.count).toFixed(2)} ms a slice) |`);

    if (flags.screenshots) {
      const dir = flags.screenshots;
      await mkdir(dir, { recursive: true });
      const shot = async (hash: string, file: string, setup?: () => Promise<void>) => {
        await page.goto(`${server.url}/${hash}`);
        if (hash.startsWith('#/case')) await page.waitForFunction(() => window.__ctscreenViewer?.ready === true || window.__ctscreenViewer?.error);
        else await page.waitForSelector('tr[data-job-id]');
        await setup?.();
        await page.screenshot({ path: join(dir, file) });
        console.error(`screenshot ${join(dir, file)}`);
      };
      await shot('#/', 'worklist.png');
      await shot(`#/case/${id}`, 'case-phantom-512.png');
      for (const c of extra) {
        const stem = c.name.replace(/\.(zip|nii\.gz|nii|gz)$/, '');
        await shot(`#/case/${c.id}`, `case-${stem}.png`);
        await shot(`#/case/${c.id}`, `case-${stem}-mediastinum-coronal.png`, async () => {
          await page.keyboard.press('2');
          await page.selectOption('#plane-select', 'coronal');
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        });
      }
    }
  } finally {
    await browser.close();
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`viewer bench failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
