/**
 * The PACS connector: chest CT series found in the archive are retrieved (WADO-RS), screened, and
 * their DICOM SEG, SR and secondary captures stored into the same study (STOW-RS).
 *
 *   selectChestCt(metadata): SeriesChoice          pure: is this series a chest CT we screen, and if not why
 *   modelKeyOf(loaded): string                     which models a result comes from (idempotency key)
 *   openConnector(options): Promise<Connector>     models loaded once, state under --data
 *   connector.watch({ once }) / connector.screenStudy(studyUid)
 *
 * Each series moves through a state machine persisted (atomically) in DATA/pacs-state.json:
 *   retrieved → screened → stored      (or skipped / failed, with the reason)
 * keyed by series UID and model key: a series screened by the same models is never screened again;
 * other models give a new result series. A kill at any point resumes at the last persisted state;
 * the result files (and so their SOP Instance UIDs) are made once, and before a STOW the archive is
 * asked (QIDO-RS) which of them it already holds, so nothing is stored twice. The feed's cursor moves
 * past a series only once it is handled; when the archive is down, requests retry with backoff and
 * the cursor stays where it was. Only GET and STOW are sent: nothing in the archive is deleted or changed.
 *
 * Screening runs in this process on a screener loaded once (pipeline/run-screening.ts), not on the
 * service's SQLite queue: the per-series state file already is this connector's durable queue (it
 * survives kills and knows the archive-side steps the service's jobs do not), and the embedded queue
 * would add a second lock on the data folder and a worker-pool process for one series at a time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctscreenVersion } from '../core/version.ts';
import { InputError, isCtscreenError, ModelError } from '../core/errors.ts';
import { loadScreeningModels, type LoadedScreeningModels, type LoadScreeningModelsOptions } from '../pipeline/load-models.ts';
import { screenerFrom, type Screener } from '../pipeline/run-screening.ts';
import { THICK_SLICE_MM } from '../io/screenable.ts';
import type { CandidateGeneratorId } from '../candidates/types.ts';
import { readNaturalized } from '../report/writers/dicom-common.ts';
import type { Logger } from '../server/log.ts';
import { DicomWebClient, jsonNumbers, jsonStrings, jsonValue, TAG, type DicomJson, type DicomWebOptions } from './dicomweb.ts';
import { readStableSeries } from './orthanc-changes.ts';

/** Fewer slices than this is not a chest CT volume (a localizer, a partial scan, a key image). */
export const MIN_CHEST_SLICES = 20;
/** Axial: the slice normal within ~25° of the patient's z axis. */
export const AXIAL_MIN_NORMAL_Z = 0.9;
/** Contiguous: no gap between neighbouring slices wider than this many times the median spacing. */
export const MAX_GAP_RATIO = 1.5;
export const STATE_FILE = 'pacs-state.json';
/** How often `watch` asks the feed again when it has nothing new. */
export const DEFAULT_POLL_MS = 5_000;

export type SeriesChoice = { ok: true; slices: number; spacingMm: number } | { ok: false; reason: string };

/** Is the series (its WADO-RS metadata, one dataset per instance) a chest CT volume we screen? */
export function selectChestCt(metadata: readonly DicomJson[]): SeriesChoice {
  if (metadata.length === 0) return { ok: false, reason: 'no instances' };
  const modality = jsonValue(metadata[0], TAG.modality) ?? '(none)';
  if (modality !== 'CT') return { ok: false, reason: `modality ${modality}, not CT` };
  if (metadata.some((m) => jsonStrings(m, TAG.imageType).some((t) => t.toUpperCase() === 'LOCALIZER'))) return { ok: false, reason: 'localizer (ImageType LOCALIZER)' };
  const o = jsonNumbers(metadata[0], TAG.orientation);
  if (o.length !== 6) return { ok: false, reason: 'no ImageOrientationPatient' };
  const normal = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
  const len = Math.hypot(normal[0], normal[1], normal[2]);
  if (!(len > 0) || Math.abs(normal[2] / len) < AXIAL_MIN_NORMAL_Z) return { ok: false, reason: `not axial (slice normal z component ${(normal[2] / (len || 1)).toFixed(2)})` };
  const positions: number[] = [];
  for (const m of metadata) {
    const p = jsonNumbers(m, TAG.position);
    if (p.length === 3) positions.push((p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2]) / len);
  }
  const unique = [...new Set(positions.map((z) => Math.round(z * 1000) / 1000))].sort((a, b) => a - b);
  if (unique.length < MIN_CHEST_SLICES) return { ok: false, reason: `${unique.length} distinct slice positions, fewer than ${MIN_CHEST_SLICES}` };
  const gaps = unique.slice(1).map((z, i) => z - unique[i]);
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
  const widest = Math.max(...gaps);
  if (widest > MAX_GAP_RATIO * median) return { ok: false, reason: `not contiguous (a ${widest.toFixed(1)} mm gap, median spacing ${median.toFixed(1)} mm)` };
  const thickness = jsonNumbers(metadata[0], TAG.sliceThickness)[0] ?? median;
  if (thickness > THICK_SLICE_MM) return { ok: false, reason: `slice thickness ${thickness.toFixed(1)} mm > ${THICK_SLICE_MM} mm` };
  return { ok: true, slices: unique.length, spacingMm: median };
}

const PACKAGE_VERSION = ctscreenVersion();

/** The models (and tool version) a result comes from; another key screens the series again. */
export function modelKeyOf(loaded: LoadedScreeningModels): string {
  const { classifier, segmenter, decision } = loaded.models;
  const used = {
    tool: PACKAGE_VERSION,
    candidates: loaded.candidates,
    classifier: [classifier.card.id, classifier.card.version, classifier.card.onnx.sha256],
    segmenter: loaded.candidates === 'learned' && segmenter ? [segmenter.card.id, segmenter.card.version, segmenter.card.onnx.sha256] : null,
    decision: decision ? [decision.id, decision.version] : null,
  };
  return createHash('sha256').update(JSON.stringify(used)).digest('hex').slice(0, 16);
}

export type SeriesStateName = 'retrieved' | 'screened' | 'stored' | 'skipped' | 'failed';

export interface SeriesState {
  studyUid: string;
  seriesUid: string;
  modelKey: string | null;
  state: SeriesStateName;
  reason?: string;
  /** Under the data folder: the retrieved CT and the result files. */
  dir?: string;
  /** SOP Instance UIDs of the result objects, fixed once screened. */
  resultUids?: string[];
  decision?: string;
  updatedAt: string;
}

export interface PacsState {
  version: 1;
  /** Orthanc /changes cursor (last handled Seq). */
  cursor: number;
  /** QIDO-RS fallback: StudyDate (YYYYMMDD) to search from. */
  pollDate?: string;
  series: Record<string, SeriesState>;
}

export function loadState(dataDir: string): PacsState {
  const f = join(dataDir, STATE_FILE);
  if (!existsSync(f)) return { version: 1, cursor: 0, series: {} };
  try {
    const s = JSON.parse(readFileSync(f, 'utf8')) as PacsState;
    if (s.version !== 1 || typeof s.cursor !== 'number' || typeof s.series !== 'object') throw new Error('shape');
    return s;
  } catch {
    throw new InputError('PACS_STATE', `${f} is not a ctscreen PACS state file; move it away to start over (the archive's results stay)`);
  }
}

/** Write to a temporary file, then rename: a kill leaves the old state or the new, never half of one. */
export function saveState(dataDir: string, state: PacsState): void {
  const f = join(dataDir, STATE_FILE);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(tmp, f);
}

export interface ConnectorOptions extends DicomWebOptions {
  dataDir: string;
  load: LoadScreeningModelsOptions;
  candidates?: CandidateGeneratorId;
  log: Logger;
  pollMs?: number;
  /** Test hook: exit the process right after persisting this state (restart tests). */
  exitAfter?: SeriesStateName;
}

export interface SeriesOutcome {
  seriesUid: string;
  state: SeriesStateName;
  reason?: string;
  /** Finished by an earlier run (nothing done now). */
  earlier?: boolean;
}

export interface Connector {
  readonly modelKey: string;
  readonly client: DicomWebClient;
  /** Follow the change feed (or QIDO polling); with once, stop when the feed has nothing new. */
  watch(o: { once: boolean; signal?: AbortSignal }): Promise<SeriesOutcome[]>;
  screenStudy(studyUid: string): Promise<SeriesOutcome[]>;
}

const RESULT_DIR = 'result';
const CT_DIR = 'ct';

/** Every file under dir (recursively). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export async function openConnector(o: ConnectorOptions): Promise<Connector> {
  mkdirSync(o.dataDir, { recursive: true });
  const client = new DicomWebClient(o);
  const loaded = await loadScreeningModels({ ...o.load, candidates: o.candidates });
  const screener: Screener = screenerFrom(loaded);
  const modelKey = modelKeyOf(loaded);
  const log = o.log;
  let state = loadState(o.dataDir);
  const persist = (key: string, s: SeriesState) => {
    state.series[key] = s;
    saveState(o.dataDir, state);
    if (o.exitAfter === s.state) {
      log('pacs.test_exit', { series: s.seriesUid, after: s.state });
      process.exit(86);
    }
  };

  async function handleSeries(studyUid: string, seriesUid: string): Promise<SeriesOutcome> {
    const skipKey = `skip ${seriesUid}`;
    const key = `${seriesUid} ${modelKey}`;
    const skipped = state.series[skipKey];
    if (skipped) return { seriesUid, state: 'skipped', reason: skipped.reason, earlier: true };
    let s = state.series[key];
    if (s?.state === 'stored' || s?.state === 'failed') {
      log('pacs.already_done', { series: seriesUid, state: s.state });
      return { seriesUid, state: s.state, reason: s.reason, earlier: true };
    }
    const jobDir = join('pacs', createHash('sha256').update(key).digest('hex').slice(0, 16));
    const abs = join(o.dataDir, jobDir);
    if (!s) {
      const meta = await client.seriesMetadata(studyUid, seriesUid);
      const choice = selectChestCt(meta);
      if (!choice.ok) {
        log('pacs.skipped', { series: seriesUid, reason: choice.reason });
        persist(skipKey, { studyUid, seriesUid, modelKey: null, state: 'skipped', reason: choice.reason, updatedAt: new Date().toISOString() });
        return { seriesUid, state: 'skipped', reason: choice.reason };
      }
      log('pacs.selected', { series: seriesUid, slices: choice.slices, spacingMm: Math.round(choice.spacingMm * 100) / 100 });
      const t0 = Date.now();
      rmSync(abs, { recursive: true, force: true });
      mkdirSync(join(abs, CT_DIR), { recursive: true });
      const parts = await client.retrieveSeries(studyUid, seriesUid);
      parts.forEach((p, i) => writeFileSync(join(abs, CT_DIR, `${String(i + 1).padStart(5, '0')}.dcm`), p));
      log('pacs.retrieved', { series: seriesUid, instances: parts.length, bytes: parts.reduce((a, p) => a + p.byteLength, 0), ms: Date.now() - t0 });
      s = { studyUid, seriesUid, modelKey, state: 'retrieved', dir: jobDir, updatedAt: new Date().toISOString() };
      persist(key, s);
    }
    if (s.state === 'retrieved') {
      const t0 = Date.now();
      const outDir = join(abs, RESULT_DIR);
      // a screening killed half-way left files whose UIDs were never recorded: start it over
      rmSync(outDir, { recursive: true, force: true });
      let run;
      try {
        run = await screener.screen({ path: join(abs, CT_DIR), read: { workers: 0 } }, { outDir, outputTypes: ['dicom'] });
      } catch (e) {
        // a bug or a model problem is not the series' fault: it stays 'retrieved' for the next run
        if (!isCtscreenError(e) || e instanceof ModelError) throw e;
        // the series cannot be screened (e.g. no lungs found): recorded, not retried, never "no infection"
        log('pacs.not_screened', { series: seriesUid, code: e.code });
        s = { ...s, state: 'failed', reason: e.code, updatedAt: new Date().toISOString() };
        persist(key, s);
        rmSync(abs, { recursive: true, force: true });
        return { seriesUid, state: 'failed', reason: e.code };
      }
      const dicomFiles = filesUnder(join(outDir, 'dicom')).filter((f) => f.endsWith('.dcm'));
      const resultUids = dicomFiles.map((f) => String(readNaturalized(new Uint8Array(readFileSync(f))).SOPInstanceUID));
      log('pacs.screened', { series: seriesUid, decision: run.report.decision.label, objects: dicomFiles.length, ms: Date.now() - t0 });
      s = { ...s, state: 'screened', resultUids, decision: run.report.decision.label, updatedAt: new Date().toISOString() };
      persist(key, s);
    }
    if (s.state === 'screened') {
      const t0 = Date.now();
      const files = filesUnder(join(abs, RESULT_DIR, 'dicom')).filter((f) => f.endsWith('.dcm'));
      const byUid = new Map(files.map((f) => {
        const bytes = new Uint8Array(readFileSync(f));
        return [String(readNaturalized(bytes).SOPInstanceUID), bytes] as const;
      }));
      const expected = s.resultUids ?? [];
      if (expected.length !== byUid.size || expected.some((u) => !byUid.has(u))) {
        throw new InputError('PACS_STATE', `the result files of series job ${jobDir} under --data do not match the state file; move ${STATE_FILE} away to start over`);
      }
      const missing: Uint8Array[] = [];
      for (const uid of expected) {
        const found = await client.searchInstances(studyUid, { SOPInstanceUID: uid });
        if (!found.some((f) => jsonValue(f, TAG.sopInstanceUid) === uid)) missing.push(byUid.get(uid)!);
      }
      if (missing.length > 0) {
        const r = await client.store(studyUid, missing);
        if (r.failed.length > 0) throw new InputError('PACS_STORE', `STOW-RS: the archive refused ${r.failed.length} of ${missing.length} result object(s)`);
      }
      log('pacs.stored', { series: seriesUid, sent: missing.length, alreadyThere: expected.length - missing.length, ms: Date.now() - t0 });
      s = { ...s, state: 'stored', updatedAt: new Date().toISOString() };
      persist(key, s);
      // the retrieved CT is patient data we no longer need; the results stay for inspection
      rmSync(join(abs, CT_DIR), { recursive: true, force: true });
    }
    return { seriesUid, state: s.state, reason: s.reason };
  }

  /** Series started by an earlier run and not finished: finished first. */
  async function resume(out: SeriesOutcome[]): Promise<void> {
    for (const s of Object.values(state.series)) {
      if (s.modelKey === modelKey && (s.state === 'retrieved' || s.state === 'screened')) {
        log('pacs.resume', { series: s.seriesUid, state: s.state });
        out.push(await handleSeries(s.studyUid, s.seriesUid));
      }
    }
  }

  const ymd = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

  async function pollQido(out: SeriesOutcome[]): Promise<void> {
    const today = ymd(new Date());
    const from = state.pollDate ?? today;
    const studies = await client.searchStudies({ StudyDate: `${from}-` });
    for (const st of studies) {
      const studyUid = jsonValue(st, TAG.studyUid);
      if (!studyUid) continue;
      for (const se of await client.searchSeries(studyUid)) {
        const seriesUid = jsonValue(se, TAG.seriesUid);
        if (seriesUid) out.push(await handleSeries(studyUid, seriesUid));
      }
    }
    // today's studies are asked for again next time (more may arrive); the state skips finished series
    state.pollDate = today;
    saveState(o.dataDir, state);
  }

  return {
    modelKey,
    client,
    async watch({ once, signal }) {
      const out: SeriesOutcome[] = [];
      log('pacs.watch', { cursor: state.cursor, modelKey });
      await resume(out);
      for (;;) {
        try {
          const page = await readStableSeries(client, state.cursor);
          if (page === null) {
            log('pacs.no_change_feed', { fallback: 'QIDO-RS by StudyDate' });
            await pollQido(out);
          } else {
            for (const c of page.series) {
              out.push(await handleSeries(c.studyUid, c.seriesUid));
              state.cursor = c.seq;
              saveState(o.dataDir, state);
            }
            state.cursor = page.last;
            saveState(o.dataDir, state);
            if (!page.done) continue;
          }
        } catch (e) {
          // a long outage ends a --once run (exit 2, cursor kept); a standing watcher waits on
          if (once || !(isCtscreenError(e) && e.code === 'PACS_UNAVAILABLE')) throw e;
          log('pacs.archive_down', { cursor: state.cursor });
        }
        if (once || signal?.aborted) return out;
        await new Promise<void>((r) => {
          const t = setTimeout(r, o.pollMs ?? DEFAULT_POLL_MS);
          signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
        if (signal?.aborted) return out;
        state = loadState(o.dataDir);
      }
    },
    async screenStudy(studyUid) {
      const out: SeriesOutcome[] = [];
      await resume(out);
      const series = await client.searchSeries(studyUid);
      if (series.length === 0) throw new InputError('PACS_NOT_FOUND', `study ${studyUid}: the archive has no series for it (QIDO-RS)`);
      for (const se of series) {
        const seriesUid = jsonValue(se, TAG.seriesUid);
        if (seriesUid) out.push(await handleSeries(studyUid, seriesUid));
      }
      return out;
    },
  };
}
