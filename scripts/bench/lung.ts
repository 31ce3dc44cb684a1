// Lung extraction timing (issue 4 target: 150 × 512 × 512 in ≤ 0.5 s on the 2 cores here, reading
// excluded). The COVID-CT-MD series when ../shared/data is present, the synthetic phantom always.
// The first call of a process is slower (the JIT compiles the hot loops as they run): it is shown on
// its own row, because a one-shot `ctscreen lungs` pays it. The machine is shared with training
// runs, so the 1-minute load average goes into the note.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readVolume } from '../../src/io/read.ts';
import { extractLungs } from '../../src/lung/extract-lungs.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { measure } from './measure.ts';
import type { Bench, BenchRow } from './types.ts';

const TARGET = '≤ 500 ms (150×512²)';
const RUNS = { runs: 5, warmup: 2 };

const load = () => `load ${os.loadavg()[0].toFixed(1)}`;

export const lungBench: Bench = async () => {
  const rows: BenchRow[] = [];
  const data = fileURLToPath(new URL('../../../shared/data/covid-ct-md/P001', import.meta.url));
  if (existsSync(data)) {
    const vol = await readVolume(data);
    const input = `COVID-CT-MD P001 ${vol.dims.join('×')}`;
    const t0 = performance.now();
    extractLungs(vol);
    rows.push({ stage: 'lung extraction, first call', input, ms: performance.now() - t0, target: TARGET, note: `cold JIT; ${load()}` });
    const r = await measure(() => extractLungs(vol), RUNS);
    rows.push({ stage: 'lung extraction', input, ms: r.ms, peakRssMiB: r.peakRssMiB, target: TARGET, note: `median of ${RUNS.runs}; ${r.last.volumeMl.right.toFixed(0)} + ${r.last.volumeMl.left.toFixed(0)} mL; ${load()}` });
  }
  const phantom = makeChestPhantom({ size: [512, 512], slices: 150, seed: 7 });
  const p = await measure(() => extractLungs(phantom.volume), RUNS);
  rows.push({ stage: 'lung extraction', input: 'phantom 512×512×150', ms: p.ms, peakRssMiB: p.peakRssMiB, target: TARGET, note: `median of ${RUNS.runs}; working factor ${p.last.diagnostics.workingFactor}; ${load()}` });
  return rows;
};
