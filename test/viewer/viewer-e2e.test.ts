// End-to-end: the built viewer in headless Debian Chromium (playwright-core) against the server
// under test (server-under-test.ts: the contract server now, `ctscreen serve` once src/server exists).
// Upload the demo phantom, wait for done, open the case, check the lesion overlay's colour where the
// phantom's lesion is (canvas pixels against values computed here), toggle it off, click a region,
// and use scroll and presets from the keyboard alone.
// Skips when Chromium is absent (.ci/run installs it). CTSCREEN_SCREENSHOTS=DIR saves screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { CaseReport } from '../../src/core/report-schema.ts';
import type { Volume } from '../../src/core/volume.ts';
import { decodeNifti, writeNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import type {} from '../../viewer/src/case-view.ts'; // window.__ctscreenViewer
import { NOTICE } from '../../viewer/src/dom.ts';
import { CANDIDATE_OPACITY, LESION_COLOUR, LESION_OPACITY, classColour, type Rgb } from '../../viewer/src/overlay.ts';
import { formatPercent, regionLabelValue } from '../../viewer/src/format.ts';
import { WINDOW_PRESETS, greyOf, type WindowLevel } from '../../viewer/src/windowing.ts';
import { CHROMIUM, CHROMIUM_ARGS, buildViewer, startServerUnderTest, type ServerUnderTest } from './server-under-test.ts';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;
/** The demo's phantom (bin/ctscreen.mjs demo): seed 7, 96 slices, COVID-like lesions. */
const PHANTOM = { seed: 7, slices: 96, lesions: 'covid' as const };
const SCREENING_TIMEOUT_MS = 180_000;

describe('viewer end to end in headless Chromium', { skip, timeout: 300_000 }, () => {
  let server: ServerUnderTest;
  let browser: Browser;
  let page: Page;
  let work: string;
  let jobId: string;
  let report: CaseReport;
  let ct: Volume;
  /**
   * The overlay whose colour is checked at the phantom's lesion: the lesion mask when the job has
   * lesions.nii.gz, else the candidate regions (coloured by the voted class of the region there).
   */
  interface Target {
    name: 'lesions' | 'candidates';
    mask: Volume;
    colourAt(i: number): Rgb;
    opacity: number;
  }
  /** The candidate regions always; the lesion mask first when the job has one. */
  let targets: Target[];
  let target: Target;
  let phantomLesions: Uint8Array;
  const shots = process.env.CTSCREEN_SCREENSHOTS;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ctscreen-viewer-e2e-in-'));
    const phantom = makeChestPhantom(PHANTOM);
    phantomLesions = phantom.lesionLabels;
    await writeNifti(phantom.volume, join(work, 'phantom-ct.nii.gz'));
    await buildViewer();
    // so the lesion overlay is exercised even while the segmenter card has no lesion threshold
    server = await startServerUnderTest({ lesionsFromCandidates: true, candidates: 'classical' });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    if (shots) await mkdir(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function serverFile(name: string): Promise<Uint8Array | null> {
    const res = await fetch(`${server.url}/v1/jobs/${jobId}/files/${name}`, { headers: { authorization: `Bearer ${server.token}` } });
    if (res.status === 404) return null;
    assert.equal(res.status, 200, `GET ${name}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  const probe = <T>(f: string) => page.evaluate(`(() => { const v = window.__ctscreenViewer; return ${f}; })()`) as Promise<T>;
  async function pixelAt(x: number, y: number, z: number): Promise<number[]> {
    return page.evaluate(([x, y, z]) => {
      const v = window.__ctscreenViewer!;
      const p = v.voxelToCanvas(x, y, z);
      if (!p) throw new Error(`voxel (${x}, ${y}, ${z}) is not on the shown slice ${v.sliceIndex}`);
      const c = document.getElementById('slice-canvas') as HTMLCanvasElement;
      const dpr = window.devicePixelRatio || 1;
      return Array.from(c.getContext('2d')!.getImageData(Math.floor(p[0] * dpr), Math.floor(p[1] * dpr), 1, 1).data);
    }, [x, y, z]);
  }
  const waitFrame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const blend = (g: number, c: readonly number[], a: number) => c.map((v) => Math.round((1 - a) * g + a * v));
  const close = (got: number[], want: number[], what: string) => assert.ok(want.every((v, i) => Math.abs(v - got[i]) <= 1), `${what}: got rgb(${got.slice(0, 3)}), expected rgb(${want})`);

  test('token, upload with progress, the job runs to done in the worklist', async () => {
    await page.goto(server.url);
    await page.fill('#token-input', server.token);
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('#drop-zone');
    assert.equal(await page.textContent('#notice'), NOTICE);
    await page.setInputFiles('#file-input', join(work, 'phantom-ct.nii.gz'));
    await page.waitForFunction(() => /uploaded/.test(document.getElementById('upload-status')?.textContent ?? ''));
    assert.equal(await page.$eval('#upload-progress', (e) => (e as HTMLProgressElement).value), 1);
    const row = page.locator('tr[data-job-id]').first();
    jobId = (await row.getAttribute('data-job-id'))!;
    // polled live: the row shows the running stage with its progress bar, then done (a screening takes seconds)
    await page.waitForSelector(`tr[data-job-id="${jobId}"][data-status="running"] progress.stage-progress`, { timeout: SCREENING_TIMEOUT_MS });
    if (shots) await page.screenshot({ path: join(shots, 'worklist-running.png') });
    await page.waitForSelector(`tr[data-job-id="${jobId}"][data-status="done"]`, { timeout: SCREENING_TIMEOUT_MS });
    report = JSON.parse(new TextDecoder().decode((await serverFile('report.json'))!)) as CaseReport;
    const cells = await page.locator(`tr[data-job-id="${jobId}"] td`).allTextContents();
    assert.equal(cells[0], 'phantom-ct.nii.gz');
    assert.equal(cells[2], report.decision.displayName);
    assert.equal(cells[3], formatPercent(report.decision.confidence));
    if (shots) await page.screenshot({ path: join(shots, 'worklist.png') });
  });

  test('drag-and-drop: two files are refused in the page, a broken PNG ends as a named failure, never as a result', async () => {
    const drop = (names: string[]) =>
      page.evaluate((names) => {
        const dt = new DataTransfer();
        for (const n of names) dt.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], n, { type: 'image/png' }));
        document.getElementById('drop-zone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, names);
    await drop(['a.png', 'b.png']);
    assert.match((await page.textContent('#worklist-error')) ?? '', /drop one file at a time .* got 2/);
    const before = await page.locator('tr[data-job-id]').count();
    await drop(['broken.png']);
    // the server refuses it at upload (an error line) or accepts it and the job fails (a failed row with its error)
    await page.waitForFunction(
      (before) => /upload of broken\.png refused/.test(document.getElementById('worklist-error')?.textContent ?? '') || (document.querySelectorAll('tr[data-job-id]').length > before && document.querySelector('tr[data-status="failed"] .error') !== null),
      before,
      { timeout: SCREENING_TIMEOUT_MS },
    );
    const failed = page.locator('tr[data-status="failed"]');
    if ((await failed.count()) > 0) {
      assert.equal(await failed.locator('td.decision').textContent(), '');
      assert.ok(((await failed.locator('.error').textContent()) ?? '').length > 5);
    }
  });

  test('the case opens on its first slice with the decision, regions and notice', async () => {
    await page.click(`tr[data-job-id="${jobId}"] a.open`);
    await page.waitForFunction(() => window.__ctscreenViewer?.ready === true || window.__ctscreenViewer?.error, undefined, { timeout: 60_000 });
    assert.equal(await probe('v.error'), null);
    ct = decodeNifti((await serverFile('volume.nii.gz'))!);
    const candidates = decodeNifti((await serverFile('candidates.nii.gz'))!);
    const byLabel = new Map(report.regions.map((r) => [regionLabelValue(r), r]));
    targets = [{ name: 'candidates', mask: candidates, colourAt: (i) => classColour(byLabel.get(candidates.data[i])!.vote.label), opacity: CANDIDATE_OPACITY }];
    const lesions = await serverFile('lesions.nii.gz');
    if (lesions) {
      targets.unshift({ name: 'lesions', mask: decodeNifti(lesions), colourAt: () => LESION_COLOUR, opacity: LESION_OPACITY });
    } else {
      // a job without a lesion mask: the viewer says so
      assert.equal(await page.isDisabled('#toggle-lesions'), true);
      assert.match((await page.textContent('#missing-lesions')) ?? '', /not available/);
    }
    target = targets[0];
    assert.deepEqual(await probe('[v.sliceCount, v.plane]'), [ct.dims[2], 'axial']);
    assert.equal(await page.textContent('#notice'), NOTICE);
    assert.equal(await page.textContent('#decision-label'), report.decision.displayName);
    assert.equal(await page.locator('tr[data-region]').count(), report.regions.length);
    if (shots) await page.screenshot({ path: join(shots, 'case-phantom.png') });
  });

  /** A voxel inside both the phantom's true lesion and the target overlay's mask, with its 3×3 in-plane neighbours (same label). */
  function lesionVoxel(t: Target): [number, number, number] {
    const [nx, ny, nz] = ct.dims;
    const m = t.mask.data;
    const inBoth = (i: number, centre: number) => phantomLesions[i] !== 0 && m[i] !== 0 && m[i] === m[centre];
    let best: { z: number; voxels: [number, number][] } = { z: -1, voxels: [] };
    for (let z = 0; z < nz; z++) {
      const voxels: [number, number][] = [];
      for (let y = 1; y < ny - 1; y++) {
        for (let x = 1; x < nx - 1; x++) {
          let all = true;
          for (let dy = -1; dy <= 1 && all; dy++) for (let dx = -1; dx <= 1 && all; dx++) all = inBoth(x + dx + nx * (y + dy + ny * z), x + nx * (y + ny * z));
          if (all) voxels.push([x, y]);
        }
      }
      if (voxels.length > best.voxels.length) best = { z, voxels };
    }
    assert.ok(best.voxels.length > 0, 'the screening found none of the phantom lesions, so there is no lesion to look at');
    const cx = best.voxels.reduce((s, v) => s + v[0], 0) / best.voxels.length;
    const cy = best.voxels.reduce((s, v) => s + v[1], 0) / best.voxels.length;
    const [x, y] = best.voxels.reduce((a, v) => (Math.hypot(v[0] - cx, v[1] - cy) < Math.hypot(a[0] - cx, a[1] - cy) ? v : a));
    return [x, y, best.z];
  }
  const indexOf = (x: number, y: number, z: number) => x + ct.dims[0] * (y + ct.dims[1] * z);
  const huAt = (x: number, y: number, z: number) => ct.data[indexOf(x, y, z)];
  /** Turns the overlays other than the target off (on = false) or back on. */
  async function othersOff(t: Target, off: boolean): Promise<void> {
    for (const name of ['lungs', 'lesions', 'candidates'] as const) {
      if (name === t.name || (await page.isDisabled(`#toggle-${name}`))) continue;
      if ((await page.isChecked(`#toggle-${name}`)) === off) await page.click(`#toggle-${name}`);
    }
  }

  test('keyboard only: Tab to the viewer, arrows/Home/PageDown scroll to the lesion slice, 1 and 2 switch presets', async () => {
    // the other overlays off, so the target colour is blended over the CT alone
    await othersOff(target, true);
    // from the last checkbox back to the viewer: overlay controls and the slider lie between
    for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.id)) !== 'viewer'; i++) await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'viewer');
    const [x, y, z] = lesionVoxel(target);
    await page.keyboard.press('Home');
    await waitFrame();
    assert.equal(await probe('v.sliceIndex'), 0);
    for (let i = 0; i < z; i++) await page.keyboard.press('ArrowDown');
    await waitFrame();
    assert.equal(await probe('v.sliceIndex'), z);
    if (z + 10 < ct.dims[2]) {
      await page.keyboard.press('PageDown');
      await waitFrame();
      assert.equal(await probe('v.sliceIndex'), z + 10);
      await page.keyboard.press('PageUp');
      await waitFrame();
      assert.equal(await probe('v.sliceIndex'), z);
    }
    assert.equal(await page.textContent('#slice-label'), `axial slice ${z + 1} / ${ct.dims[2]} (index ${z})`);
    const hu = huAt(x, y, z);
    const at = (w: WindowLevel) => blend(greyOf(hu, w), target.colourAt(indexOf(x, y, z)), target.opacity);
    close(await pixelAt(x, y, z), at(WINDOW_PRESETS.lung), `lesion voxel (${x}, ${y}, ${z}), ${hu} HU, lung window`);
    await page.keyboard.press('2');
    await waitFrame();
    assert.deepEqual(await probe('v.window'), WINDOW_PRESETS.mediastinum);
    assert.equal(await page.textContent('#window-label'), 'W 350 / L 40');
    close(await pixelAt(x, y, z), at(WINDOW_PRESETS.mediastinum), 'lesion voxel, mediastinum window');
    await page.keyboard.press('1');
    await waitFrame();
    assert.deepEqual(await probe('v.window'), WINDOW_PRESETS.lung);
    await othersOff(target, false);
  });

  test('the lesion overlay and the candidate regions are drawn in their colours at the phantom lesion, and are gone when toggled off', async () => {
    for (const t of targets) {
      await othersOff(t, true);
      const [x, y, z] = lesionVoxel(t);
      await page.evaluate((z) => window.__ctscreenViewer!.setSlice(z), z);
      await waitFrame();
      assert.equal(await probe('v.sliceIndex'), z);
      const g = greyOf(huAt(x, y, z), WINDOW_PRESETS.lung);
      const on = await pixelAt(x, y, z);
      close(on, blend(g, t.colourAt(indexOf(x, y, z)), t.opacity), `${t.name} overlay on at (${x}, ${y}, ${z})`);
      assert.ok(Math.max(...on.slice(0, 3)) - Math.min(...on.slice(0, 3)) > 40, `the ${t.name} pixel is coloured, not grey: rgb(${on.slice(0, 3)})`);
      await page.click(`#toggle-${t.name}`);
      await waitFrame();
      close(await pixelAt(x, y, z), [g, g, g], `${t.name} overlay off`);
      await page.click(`#toggle-${t.name}`);
      await othersOff(t, false);
    }
  });

  test('clicking a region jumps to its centre slice and highlights its row', async () => {
    const now = await probe<number>('v.sliceIndex');
    const region = report.regions.find((r) => r.centreSlice !== now && r.kept) ?? report.regions.find((r) => r.centreSlice !== now);
    assert.ok(region, 'a region off the current slice');
    await page.click(`tr[data-region="${region.id}"]`);
    await waitFrame();
    assert.equal(await probe('v.sliceIndex'), region.centreSlice);
    assert.equal(await probe('v.selectedRegion'), region.id);
    assert.equal(await page.$eval('#slice-slider', (e) => (e as HTMLInputElement).value), String(region.centreSlice));
    assert.ok(await page.locator(`tr[data-region="${region.id}"]`).evaluate((e) => e.classList.contains('selected')));
    const votes = await page.locator(`tr[data-region="${region.id}"] td.votes div`).allTextContents();
    assert.equal(votes.length, region.patches.length);
    assert.match(votes[0], new RegExp(`^z${region.patches[0].sliceIndex}: `));
    // the wheel scrolls one slice per notch
    await page.evaluate(() => window.scrollTo(0, 0)); // the row click may have scrolled the page
    const box = (await page.locator('#slice-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 100);
    await page.waitForFunction((want) => window.__ctscreenViewer?.sliceIndex === want, Math.min(region.centreSlice + 1, ct.dims[2] - 1));
    if (shots) await page.screenshot({ path: join(shots, 'case-phantom-region.png') });
  });
});
