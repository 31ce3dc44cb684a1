// Bench rows for src/io: DICOM series read time and peak memory on the real COVID-CT-MD sample
// (JPEG Lossless .70, 512×512×148), with and without decode worker threads, plus a NIfTI read.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readDicom } from '../../src/io/dicom.ts';
import { readNifti } from '../../src/io/nifti.ts';
import { defaultWorkerCount } from '../../src/io/dicom/pool.ts';
import { measure } from './measure.ts';
import type { Bench, BenchRow } from './types.ts';

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const P001 = `${DATA}covid-ct-md/P001`;
const TB = `${DATA}tb-lesions/tb1_001_1001_1_33554433-128x128x64.nii.gz`;

export const ioBench: Bench = async () => {
  if (!existsSync(P001)) return { skipped: `${P001} not found (real data folder absent)` };
  const rows: BenchRow[] = [];
  const workers = defaultWorkerCount();
  for (const w of [workers, 0]) {
    // the zero-worker run goes second so its RSS peak is not hidden by the threaded one's
    const r = await measure(() => readDicom(P001, { workers: w }), { runs: 3, warmup: 1 });
    const v = r.last.volume;
    rows.push({
      stage: 'io: read DICOM series',
      input: `covid-ct-md/P001 (${v.dims.join('×')}, JPEG Lossless .70)`,
      ms: r.ms,
      peakRssMiB: r.peakRssMiB,
      note: w > 0 ? `${r.last.workersUsed} decode threads` : 'decoded on the main thread',
    });
  }
  if (existsSync(TB)) {
    const r = await measure(() => readNifti(TB), { runs: 5, warmup: 1 });
    rows.push({ stage: 'io: read NIfTI', input: 'tb-lesions tb1_001 (128×128×64 float, gz)', ms: r.ms, peakRssMiB: r.peakRssMiB });
  }
  return rows;
};
