/**
 * The fuzz run: drives the in-process runner (worker.ts, a child process so hangs and runaway
 * memory can be killed) case by case, runs every `childEvery`-th case again through the CLI
 * (`node bin/ctscreen.mjs screen <case> --json`) in a fresh process, and checks each outcome:
 * a report or a user error, within the time limit, under the RSS limit.
 *
 *   runFuzz(options): Promise<FuzzSummary>
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { CandidateMode } from './case.ts';
import { ACCEPTABLE, type Outcome, type OutcomeKind, outcomeLabel } from './outcome.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..');

/** The issue's limits: a case takes at most 10 s and 2 GB. */
export const CASE_TIME_LIMIT_MS = 10_000;
export const RSS_LIMIT_MB = 2048;
/**
 * A case still running this many times the limit (wall time) is killed and counts as a timeout:
 * generous, since a shared machine at load 20 stretches wall time ~10× (the limit itself is judged
 * on CPU time).
 */
const HARD_KILL_FACTOR = 6;
const RSS_POLL_MS = 200;

export interface FuzzOptions {
  seed: number;
  /** Stop after this many cases… */
  cases: number;
  /** …or after this many seconds, whichever comes first (0: no time limit). */
  seconds: number;
  /** Run every n-th case through the CLI child as well (0: never). */
  childEvery: number;
  /** Only these case indices (replay). */
  only?: number[];
  /** ../shared/data, for real seeds; undefined or missing: synthetic seeds only. */
  dataDir?: string;
  timeLimitMs?: number;
  rssLimitMb?: number;
  /** Only seed inputs whose id contains this (e.g. 'png', 'real-', 'nifti'). */
  seedFilter?: string;
  /** In-process runners working at once (default 1); each is a process with the models loaded. */
  lanes?: number;
  /** Keep each case's files (for replay) instead of deleting them. */
  keep?: boolean;
  /** Called with each case's record as it finishes (progress, JSONL log). */
  onCase?: (r: CaseRecord) => void;
}

export interface RunResult {
  outcome: Outcome;
  /** Wall time. */
  ms: number;
  /** CPU time (user + system, every thread), which the time limit is judged on; undefined when unknown. */
  cpuMs?: number;
  /** Peak RSS of the case (in-process) or of the whole CLI process, MiB; undefined when unknown. */
  rssMb?: number;
}

export interface CaseRecord {
  index: number;
  seedId: string;
  real: boolean;
  mutations: string[];
  candidates: CandidateMode;
  inProcess: RunResult;
  cli?: RunResult;
  /** Path of the kept input (with `keep`). */
  path?: string;
  /** Why the case failed; undefined when it passed. */
  failure?: string;
}

export interface FuzzSummary {
  seed: number;
  seedFilter?: string;
  seeds: string[];
  cases: number;
  cliCases: number;
  outcomes: { inProcess: Map<string, number>; cli: Map<string, number> };
  /** The finished case with the most CPU time, with its wall time. */
  slowest?: { cpuMs: number; ms: number; index: number; where: 'in-process' | 'cli'; seedId: string };
  slowestWall?: { ms: number; index: number; where: 'in-process' | 'cli'; seedId: string };
  largestRss?: { mb: number; index: number; where: 'in-process' | 'cli'; seedId: string };
  failures: CaseRecord[];
  seconds: number;
}

function vmRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

class InProcessRunner {
  private child: ChildProcess | undefined;
  private listener: ((m: FromWorker) => void) | undefined;
  private readonly queue: FromWorker[] = [];
  private exitListener: ((code: number | null, signal: string | null) => void) | undefined;
  seeds: string[] = [];

  constructor(private readonly init: Extract<ToWorker, { type: 'init' }>) {}

  async start(): Promise<void> {
    const child = fork(join(HERE, 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], cwd: REPO_ROOT });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    // messages can arrive back to back (a 2 ms case sends 'started' and 'done' in one read):
    // queue them so none is lost between two waits
    child.on('message', (m: FromWorker) => {
      if (this.listener) this.listener(m);
      else this.queue.push(m);
    });
    child.on('exit', (code, signal) => this.exitListener?.(code, signal));
    this.child = child;
    child.send(this.init);
    const ready = await this.next(120_000, () => undefined);
    if (ready.kind !== 'message' || ready.message.type !== 'ready') {
      throw new Error(`fuzz worker did not start: ${ready.kind === 'message' ? JSON.stringify(ready.message) : ready.kind} ${stderr}`);
    }
    this.seeds = ready.message.seeds;
  }

  /** Waits for the next message, the worker's exit, a timeout or the RSS guard. */
  private next(timeoutMs: number, rssCheck: () => string | undefined): Promise<{ kind: 'message'; message: FromWorker } | { kind: 'exit'; code: number | null; signal: string | null } | { kind: 'timeout' } | { kind: 'memory'; detail: string }> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve({ kind: 'message', message: queued });
    return new Promise((done) => {
      const finish = (r: Parameters<typeof done>[0]) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.listener = undefined;
        this.exitListener = undefined;
        done(r);
      };
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
      const poll = setInterval(() => {
        const over = rssCheck();
        if (over) finish({ kind: 'memory', detail: over });
      }, RSS_POLL_MS);
      this.listener = (message) => finish({ kind: 'message', message });
      this.exitListener = (code, signal) => finish({ kind: 'exit', code, signal });
    });
  }

  send(m: ToWorker): void {
    this.child!.send(m);
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  async kill(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    this.queue.length = 0;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((res) => {
      c.once('exit', () => res());
      c.kill('SIGKILL');
    });
  }

  async runCase(index: number, limitMs: number, rssLimitMb: number): Promise<{ started?: Extract<FromWorker, { type: 'started' }>; result: RunResult; restart: boolean }> {
    if (!this.child) await this.start();
    const rssCheck = () => {
      const mb = vmRssMb(this.pid());
      return mb !== undefined && mb > rssLimitMb ? `${mb.toFixed(0)} MiB` : undefined;
    };
    this.send({ type: 'case', index });
    const t0 = performance.now();
    let started: Extract<FromWorker, { type: 'started' }> | undefined;
    for (;;) {
      const r = await this.next(limitMs * HARD_KILL_FACTOR, rssCheck);
      const ms = performance.now() - t0;
      if (r.kind === 'message') {
        const m = r.message;
        if (m.type === 'started') {
          started = m;
          continue;
        }
        if (m.type === 'done') return { started, result: { outcome: m.outcome, ms: m.ms, cpuMs: m.cpuMs, rssMb: m.rssMb }, restart: false };
        if (m.type === 'fatal') {
          await this.kill();
          return { started, result: { outcome: { kind: 'internal', code: 'FUZZ_WORKER', message: m.message.split('\n')[0], stage: 'fuzzer' }, ms }, restart: true };
        }
        continue;
      }
      await this.kill();
      if (r.kind === 'timeout') return { started, result: { outcome: { kind: 'timeout', message: `killed after ${ms.toFixed(0)} ms`, stage: 'in-process' }, ms }, restart: true };
      if (r.kind === 'memory') return { started, result: { outcome: { kind: 'memory', message: `RSS ${r.detail} > ${rssLimitMb} MiB, killed`, stage: 'in-process' }, ms, rssMb: Number.parseFloat(r.detail) }, restart: true };
      return { started, result: { outcome: { kind: 'crash', code: r.signal ?? `exit ${r.code}`, message: 'in-process runner died', stage: 'in-process' }, ms }, restart: true };
    }
  }
}

const PEAK_RSS_PRELOAD = pathToFileURL(join(HERE, 'peak-rss.mjs')).href;

/** `ctscreen screen <path> --json` in a fresh process: its exit code, time and peak RSS. */
export async function runCli(path: string, candidates: CandidateMode, limitMs: number, rssLimitMb: number, rssFile: string): Promise<RunResult> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', PEAK_RSS_PRELOAD, join(REPO_ROOT, 'bin', 'ctscreen.mjs'), 'screen', path, '--json', '--candidates', candidates], {
    cwd: REPO_ROOT,
    env: { ...process.env, CTSCREEN_FUZZ_RSS_FILE: rssFile, CTSCREEN_DEBUG: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let killedFor: 'timeout' | 'memory' | undefined;
  let rssSeen = 0;
  const timer = setTimeout(() => {
    killedFor = 'timeout';
    child.kill('SIGKILL');
  }, limitMs * HARD_KILL_FACTOR);
  const poll = setInterval(() => {
    const mb = vmRssMb(child.pid);
    if (mb !== undefined) rssSeen = Math.max(rssSeen, mb);
    if (mb !== undefined && mb > rssLimitMb) {
      killedFor = 'memory';
      child.kill('SIGKILL');
    }
  }, RSS_POLL_MS);
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((res) => child.on('exit', (c, s) => res({ code: c, signal: s })));
  clearTimeout(timer);
  clearInterval(poll);
  const ms = performance.now() - t0;
  let rssMb: number | undefined = rssSeen || undefined;
  let cpuMs: number | undefined;
  if (existsSync(rssFile)) {
    const usage = JSON.parse(await readFile(rssFile, 'utf8')) as { maxRssKb: number; cpuMs: number };
    rssMb = usage.maxRssKb / 1024;
    cpuMs = usage.cpuMs;
    await rm(rssFile, { force: true });
  }
  const line = stderr.split('\n').find((l) => l.startsWith('ctscreen:')) ?? stderr.trim().split('\n').pop() ?? '';
  let outcome: Outcome;
  if (killedFor === 'timeout') outcome = { kind: 'timeout', message: `killed after ${ms.toFixed(0)} ms`, stage: 'cli' };
  else if (killedFor === 'memory') outcome = { kind: 'memory', message: `RSS above ${rssLimitMb} MiB, killed`, stage: 'cli' };
  else if (signal) outcome = { kind: 'crash', code: signal, message: line.slice(0, 300), stage: 'cli' };
  else if (code === 0) outcome = { kind: 'report', stage: 'cli' };
  else if (code === 2) outcome = { kind: 'user-error', code: 'exit 2', message: line.slice(0, 300), stage: 'cli' };
  else outcome = { kind: code === 1 ? 'internal' : 'crash', code: `exit ${code}`, message: line.slice(0, 300), stage: 'cli' };
  return { outcome, ms, cpuMs, rssMb };
}

/** Why a case fails the fuzzer's assertions, or undefined when it passes. */
export function judge(r: CaseRecord, limitMs: number, rssLimitMb: number): string | undefined {
  const problems: string[] = [];
  const check = (where: string, x: RunResult) => {
    if (!ACCEPTABLE.has(x.outcome.kind)) problems.push(`${where}: ${outcomeLabel(x.outcome)}${x.outcome.message ? `: ${x.outcome.message}` : ''}`);
    else if ((x.cpuMs ?? x.ms) > limitMs) problems.push(`${where}: took ${(x.cpuMs ?? x.ms).toFixed(0)} ms ${x.cpuMs === undefined ? 'wall' : 'CPU'} time (${x.ms.toFixed(0)} ms wall; limit ${limitMs})`);
    if (x.rssMb !== undefined && x.rssMb > rssLimitMb) problems.push(`${where}: peak RSS ${x.rssMb.toFixed(0)} MiB (limit ${rssLimitMb})`);
  };
  check('in-process', r.inProcess);
  if (r.cli) {
    check('cli', r.cli);
    const a = r.inProcess.outcome.kind;
    const b = r.cli.outcome.kind;
    if (ACCEPTABLE.has(a) && ACCEPTABLE.has(b) && a !== b) problems.push(`cli exit disagrees with in-process: ${a} vs ${b}${r.cli.outcome.message ? ` (${r.cli.outcome.message})` : ''}`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const limitMs = options.timeLimitMs ?? CASE_TIME_LIMIT_MS;
  const rssLimitMb = options.rssLimitMb ?? RSS_LIMIT_MB;
  const workDir = await mkdtemp(join(tmpdir(), 'ctscreen-fuzz-'));
  const dataDir = options.dataDir && existsSync(options.dataDir) ? options.dataDir : undefined;
  const lanes = Math.max(1, options.lanes ?? 1);
  const runners = Array.from({ length: lanes }, () => new InProcessRunner({ type: 'init', seed: options.seed, workDir, dataDir, seedFilter: options.seedFilter }));
  const t0 = performance.now();
  const summary: FuzzSummary = { seed: options.seed, seedFilter: options.seedFilter, seeds: [], cases: 0, cliCases: 0, outcomes: { inProcess: new Map(), cli: new Map() }, failures: [], seconds: 0 };
  const indices = options.only ?? Array.from({ length: options.cases }, (_, i) => i);
  let next = 0;
  const lane = async (runner: InProcessRunner) => {
    while (next < indices.length) {
      if (options.seconds > 0 && (performance.now() - t0) / 1000 >= options.seconds) return;
      const index = indices[next++];
      const { started, result } = await runner.runCase(index, limitMs, rssLimitMb);
      const record: CaseRecord = {
        index,
        seedId: started?.seedId ?? '?',
        real: started?.real ?? false,
        mutations: started?.mutations ?? [],
        candidates: started?.candidates ?? 'classical',
        inProcess: result,
      };
      const casePath = started?.path;
      if (casePath && options.childEvery > 0 && index % options.childEvery === 0) {
        record.cli = await runCli(casePath, record.candidates, limitMs, rssLimitMb, join(workDir, `rss-${index}.txt`));
        summary.cliCases++;
        bump(summary.outcomes.cli, outcomeLabel(record.cli.outcome));
      }
      record.failure = judge(record, limitMs, rssLimitMb);
      if (options.keep && casePath) record.path = casePath;
      else await rm(join(workDir, `case-${index}`), { recursive: true, force: true });
      summary.cases++;
      bump(summary.outcomes.inProcess, outcomeLabel(result.outcome));
      for (const [where, x] of [['in-process', record.inProcess], ['cli', record.cli]] as const) {
        if (!x) continue;
        // killed cases (no CPU time) are counted as timeouts, not as the slowest finished case
        if (x.cpuMs !== undefined && (!summary.slowest || x.cpuMs > summary.slowest.cpuMs)) summary.slowest = { cpuMs: x.cpuMs, ms: x.ms, index, where, seedId: record.seedId };
        if (!summary.slowestWall || x.ms > summary.slowestWall.ms) summary.slowestWall = { ms: x.ms, index, where, seedId: record.seedId };
        if (x.rssMb !== undefined && (!summary.largestRss || x.rssMb > summary.largestRss.mb)) summary.largestRss = { mb: x.rssMb, index, where, seedId: record.seedId };
      }
      if (record.failure) summary.failures.push(record);
      options.onCase?.(record);
    }
  };
  try {
    await Promise.all(runners.map((r) => r.start()));
    summary.seeds = runners[0].seeds;
    await Promise.all(runners.map(lane));
  } finally {
    await Promise.all(runners.map((r) => r.kill()));
    if (!options.keep) await rm(workDir, { recursive: true, force: true });
    summary.seconds = (performance.now() - t0) / 1000;
  }
  summary.failures.sort((a, b) => a.index - b.index);
  return summary;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export function replayCommand(seed: number, index: number, seedFilter?: string): string {
  return `npm run fuzz -- --seed ${seed}${seedFilter ? ` --seeds ${seedFilter}` : ''} --replay ${index}`;
}

/** The summary as printed by `npm run fuzz`. */
export function formatSummary(s: FuzzSummary): string {
  const labels = [...new Set([...s.outcomes.inProcess.keys(), ...s.outcomes.cli.keys()])].sort((a, b) => (s.outcomes.inProcess.get(b) ?? 0) - (s.outcomes.inProcess.get(a) ?? 0) || a.localeCompare(b));
  const rows = [['outcome', 'in-process', 'cli'], ...labels.map((l) => [l, String(s.outcomes.inProcess.get(l) ?? 0), String(s.outcomes.cli.get(l) ?? 0)]), ['total', String(s.cases), String(s.cliCases)]];
  const lines = [
    `fuzz seed ${s.seed}: ${s.cases} case(s) in ${s.seconds.toFixed(0)} s (${s.cliCases} also through the CLI), ${s.seeds.length} seed inputs`,
    table(rows),
    s.slowest ? `slowest finished case (CPU time): ${s.slowest.cpuMs.toFixed(0)} ms CPU, ${s.slowest.ms.toFixed(0)} ms wall (case ${s.slowest.index}, ${s.slowest.seedId}, ${s.slowest.where})` : 'slowest case: —',
    s.slowestWall ? `slowest case (wall time): ${s.slowestWall.ms.toFixed(0)} ms (case ${s.slowestWall.index}, ${s.slowestWall.seedId}, ${s.slowestWall.where})` : 'slowest case (wall): —',
    s.largestRss ? `largest RSS: ${s.largestRss.mb.toFixed(0)} MiB (case ${s.largestRss.index}, ${s.largestRss.seedId}, ${s.largestRss.where})` : 'largest RSS: —',
    `failures: ${s.failures.length}`,
  ];
  for (const f of s.failures) {
    lines.push(`  case ${f.index} (${f.seedId}, ${f.candidates}): ${f.failure}`, `    mutations: ${f.mutations.length ? f.mutations.join(' | ') : '(none)'}`, `    replay: ${replayCommand(s.seed, f.index, s.seedFilter)}`);
  }
  return lines.join('\n');
}

/** Counts of an outcome kind, in-process and CLI together (for tests). */
export function countKind(s: FuzzSummary, kind: OutcomeKind): number {
  let n = 0;
  for (const m of [s.outcomes.inProcess, s.outcomes.cli]) for (const [k, v] of m) if (k === kind || k.startsWith(`${kind} `)) n += v;
  return n;
}
