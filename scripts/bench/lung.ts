// Lung extraction timing (issue 4 target: 150 × 512 × 512 in ≤ 0.5 s on the 2 cores here, reading
// excluded). Synthetic phantom always; the COVID-CT-MD series too when ../shared/data is present.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readVolume } from '../../src/io/read.ts';
import { extractLungs } from '../../src/lung/extract-lungs.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { measure } from './measure.ts';
import type { Bench, BenchRow } from './types.ts';

const TARGET = '≤ 500 ms (150×512²)';

export const lungBench: Bench = async () => {
  const rows: BenchRow[] = [];
  const phantom = makeChestPhantom({ size: [512, 512], slices: 150, seed: 7 });
  const r = await measure(() => extractLungs(phantom.volume));
  rows.push({ stage: 'lung extraction', input: 'phantom 512×512×150', ms: r.ms, peakRssMiB: r.peakRssMiB, target: TARGET, note: `working factor ${r.last.diagnostics.workingFactor}` });
  const data = fileURLToPath(new URL('../../../shared/data/covid-ct-md/P001', import.meta.url));
  if (existsSync(data)) {
    const vol = await readVolume(data);
    const rr = await measure(() => extractLungs(vol));
    rows.push({ stage: 'lung extraction', input: `COVID-CT-MD P001 ${vol.dims.join('×')}`, ms: rr.ms, peakRssMiB: rr.peakRssMiB, target: TARGET, note: `${rr.last.volumeMl.right.toFixed(0)} + ${rr.last.volumeMl.left.toFixed(0)} mL` });
  }
  return rows;
};
