/**
 * The fuzzer's in-process runner, a child process of the fuzzer so a hang or a runaway allocation
 * can be killed without losing the run. It builds the seeds and loads the committed models once,
 * then per case: writes the case, reads it (readVolumeWithReport, what `info` does) and screens the
 * volume read (screenCase with the committed classifier and learned or classical candidates).
 * Peak RSS per case: Linux's VmHWM, reset before each case through /proc/self/clear_refs. CPU time
 * per case (user + system, all threads) is measured beside wall time: on a shared, loaded machine wall
 * time says more about the neighbours than about ctscreen.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readVolumeWithReport } from '../../src/io/read.ts';
import { loadScreeningModels, type LoadedScreeningModels } from '../../src/pipeline/load-models.ts';
import { screenCase } from '../../src/pipeline/screen.ts';
import { makeCase, writeCase, type CandidateMode } from './case.ts';
import { classifyError, type Outcome } from './outcome.ts';
import { realSeeds, type SeedInput, syntheticSeeds } from './seeds.ts';
import type { ToWorker, FromWorker } from './protocol.ts';

function send(m: FromWorker): void {
  process.send!(m);
}

/** Peak RSS (MiB) since the last reset, or the process's lifetime peak where /proc is missing. */
function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: the lifetime peak is reported instead
  }
}

let seeds: SeedInput[] = [];
const models = new Map<CandidateMode, LoadedScreeningModels>();
let runSeed = 1;
let workDir = '';

async function runCase(index: number): Promise<void> {
  const c = makeCase(runSeed, index, seeds);
  const dir = join(workDir, `case-${index}`);
  const path = await writeCase(c, dir);
  send({ type: 'started', index, seedId: c.seedId, real: c.real, mutations: c.mutations, candidates: c.candidates, path });
  resetPeakRss();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let outcome: Outcome;
  let stage = 'read';
  try {
    const read = await readVolumeWithReport(path, {});
    stage = 'screen';
    const m = models.get(c.candidates)!;
    await screenCase({ volume: read.volume }, { models: m.models, candidates: m.candidates, warnings: m.warnings });
    outcome = { kind: 'report', stage };
  } catch (e) {
    outcome = classifyError(e, stage);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  send({ type: 'done', index, outcome, ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: peakRssMb() });
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    runSeed = m.seed;
    workDir = m.workDir;
    (async () => {
      seeds = [...(await syntheticSeeds()), ...(m.dataDir ? realSeeds(m.dataDir) : [])].filter((s) => !m.seedFilter || s.id.includes(m.seedFilter));
      if (seeds.length === 0) throw new Error(`no seed input id contains '${m.seedFilter}'`);
      models.set('learned', await loadScreeningModels({ candidates: 'learned', intraOpThreads: 1 }));
      models.set('classical', await loadScreeningModels({ candidates: 'classical', intraOpThreads: 1 }));
      send({ type: 'ready', seeds: seeds.map((s) => s.id) });
    })().catch((e) => {
      send({ type: 'fatal', message: (e as Error)?.stack ?? String(e) });
    });
  } else if (m.type === 'case') {
    runCase(m.index).catch((e) => send({ type: 'fatal', message: (e as Error)?.stack ?? String(e) }));
  } else if (m.type === 'cleanup') {
    rm(join(workDir, `case-${m.index}`), { recursive: true, force: true }).then(() => send({ type: 'cleaned', index: m.index }));
  }
});
