// Whole-process bench (issue 16): `node bin/ctscreen.mjs screen <ct> --out <tmp>` as a user runs it,
// start-up, model loading and writing the outputs included, on each bench case; wall time (median of
// RUNS), the child's peak RSS and CPU time (getrusage through scripts/fuzz/peak-rss.mjs, no
// /usr/bin/time needed), and the per-stage times of that run's report.json. Also `--version`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { distState } from '../../bin/dist-state.mjs';
import { TIMING_STAGES } from '../../src/core/report-schema.ts';
import { benchCases, median, REPO, TARGET_RSS_MIB } from './cases.ts';
import type { Bench, BenchRow } from './types.ts';

const RUNS = 3;
const VERSION_RUNS = 5;
const TARGET_VERSION_MS = 150;
const BIN = join(REPO, 'bin', 'ctscreen.mjs');
const PEAK_RSS_PRELOAD = pathToFileURL(join(REPO, 'scripts', 'fuzz', 'peak-rss.mjs')).href;

interface ProcessRun {
  ms: number;
  code: number | null;
  stderr: string;
  /** Peak RSS (MiB) and CPU time (user + system, ms) of the child; null when it could not say. */
  rssMiB: number | null;
  cpuMs: number | null;
}

/**
 * Set on this development VM (and on many hospital machines behind an inspecting proxy): Node then
 * reads and parses that certificate bundle at every start, before any of ctscreen runs (measured here
 * 2026-12-03: `node -e 0` 0.15–0.16 s with it, 0.04 s without). The bench times start-up both ways.
 */
const EXTRA_CA = 'NODE_EXTRA_CA_CERTS';

/** One `node bin/ctscreen.mjs …args` (or `node …nodeArgs` when `script` is null) from spawn to exit. */
function runCli(args: string[], usageFile: string, opts: { script?: string | null; withoutEnv?: string } = {}): Promise<ProcessRun> {
  rmSync(usageFile, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, CTSCREEN_FUZZ_RSS_FILE: usageFile };
  if (opts.withoutEnv) delete env[opts.withoutEnv];
  const script = opts.script === undefined ? BIN : opts.script;
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', PEAK_RSS_PRELOAD, ...(script ? [script] : []), ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      const ms = performance.now() - t0;
      let usage: { maxRssKb: number; cpuMs: number } | null = null;
      try {
        usage = JSON.parse(readFileSync(usageFile, 'utf8'));
      } catch {
        usage = null;
      }
      resolve({ ms, code, stderr, rssMiB: usage ? usage.maxRssKb / 1024 : null, cpuMs: usage ? usage.cpuMs : null });
    });
  });
}

const loadNow = () => loadavg()[0].toFixed(2);

export const processBench: Bench = async () => {
  const state = distState(REPO);
  const entry = state === 'fresh' ? 'built dist/' : `tsx (dist/ ${state})`;
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-bench-process-'));
  const usageFile = join(dir, 'usage.json');
  const rows: BenchRow[] = [];
  try {
    // start-up: ctscreen --version, and Node's own start (`node -e 0`, the floor under it); where
    // NODE_EXTRA_CA_CERTS is set, both again without it
    const startups: { stage: string; args: string[]; script: string | null; target?: string }[] = [
      { stage: 'process: ctscreen --version', args: ['--version'], script: BIN, target: `≤ ${TARGET_VERSION_MS} ms` },
      { stage: 'process: node -e 0 (Node alone)', args: ['-e', '0'], script: null },
    ];
    const extraCa = process.env[EXTRA_CA] !== undefined;
    for (const without of extraCa ? [false, true] : [false]) {
      for (const st of startups) {
        const l0 = loadNow();
        const runs: ProcessRun[] = [];
        for (let i = 0; i < VERSION_RUNS; i++) runs.push(await runCli(st.args, usageFile, { script: st.script, ...(without ? { withoutEnv: EXTRA_CA } : {}) }));
        const v = runs.sort((a, b) => a.ms - b.ms)[Math.floor((VERSION_RUNS - 1) / 2)];
        const envNote = extraCa ? (without ? `; ${EXTRA_CA} unset for this row` : `; ${EXTRA_CA} set (Node loads that bundle at start)`) : '';
        rows.push({
          stage: st.stage + (without ? ` without ${EXTRA_CA}` : ''),
          input: '—',
          ms: v.ms,
          peakRssMiB: v.rssMiB ?? undefined,
          ...(st.target ? { target: st.target } : {}),
          note: `median of ${VERSION_RUNS}; CPU ${v.cpuMs?.toFixed(0) ?? '?'} ms${st.script ? `; ${entry}` : ''}${envNote}; load ${l0} → ${loadNow()}`,
        });
      }
    }

    const { cases, skipped } = await benchCases();
    for (const c of cases) {
      const runs: (ProcessRun & { out: string })[] = [];
      const l1 = loadNow();
      for (let i = 0; i < RUNS; i++) {
        const out = join(dir, `${c.id}-${i}`);
        const r = await runCli(['screen', c.path, '--out', out], usageFile);
        if (r.code !== 0) {
          rows.push({ stage: 'process: ctscreen screen', input: c.label, ms: NaN, note: `failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}` });
          break;
        }
        runs.push({ ...r, out });
      }
      if (runs.length < RUNS) continue;
      const typical = runs.find((r) => r.ms === median(runs.map((x) => x.ms)))!;
      const rss = Math.max(...runs.map((r) => r.rssMiB ?? 0));
      rows.push({
        stage: 'process: ctscreen screen',
        input: c.label,
        ms: typical.ms,
        peakRssMiB: rss || undefined,
        target: `${c.targetMs ? `≤ ${c.targetMs} ms, ` : ''}≤ ${TARGET_RSS_MIB} MiB`,
        note: `median of ${RUNS} (${runs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')} s); CPU ${typical.cpuMs !== null ? (typical.cpuMs / 1000).toFixed(2) : '?'} s; ${entry}; load ${l1} → ${loadNow()}`,
      });
      const reportFile = join(typical.out, 'report.json');
      if (!existsSync(reportFile)) continue;
      const timings = (JSON.parse(readFileSync(reportFile, 'utf8')) as { timingsMs: Partial<Record<(typeof TIMING_STAGES)[number], number>> }).timingsMs;
      for (const s of TIMING_STAGES) {
        if (timings[s] === undefined) continue;
        rows.push({ stage: `  › ${s}${s === 'total' ? ' (in process)' : ''}`, input: c.id, ms: timings[s]!, note: s === 'total' ? `outside it (start-up, model loading, writing the outputs, exit): ${(typical.ms - timings[s]!).toFixed(0)} ms` : undefined });
      }
    }
    for (const s of skipped) rows.push({ stage: 'process: ctscreen screen', input: s.split(':')[0], ms: NaN, note: `skipped: ${s.slice(s.indexOf(':') + 2)}` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
};
