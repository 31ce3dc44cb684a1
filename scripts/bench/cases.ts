// The CTs the whole-process and network benches screen (issue 16): the demo phantom (always; written
// once per bench run), and when ../shared/data is on this machine COVID-CT-MD P001 (148 × 512²) and
// the 248-slice MIDRC-RICORD series. Targets are printed beside the measurement, never enforced.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DATA = join(REPO, '../shared/data');

/** Issue 16's targets, on the 2 cores of the development machine at load ≤ 1.5. */
export const TARGET_RSS_MIB = 1024;
/** Networks through onnxruntime-node at least this many times faster than through PyTorch CPU. */
export const TARGET_NETWORK_SPEEDUP = 3;

export interface BenchCase {
  id: string;
  /** What the table's input column says. */
  label: string;
  path: string;
  /** Whole-process wall-time target, ms (none for the phantom). */
  targetMs?: number;
}

/** The demo phantom (the README's `demo`: seed 7, 96 slices of 256²) as NIfTI, made once per run. */
let phantomDir: string | null = null;
async function phantomPath(): Promise<string> {
  if (!phantomDir) {
    phantomDir = mkdtempSync(join(tmpdir(), 'ctscreen-bench-phantom-'));
    process.once('exit', () => rmSync(phantomDir!, { recursive: true, force: true }));
  }
  const path = join(phantomDir, 'phantom-ct.nii.gz');
  if (!existsSync(path)) await writeNifti(makeChestPhantom({ seed: 7, slices: 96, lesions: 'covid' }).volume, path);
  return path;
}

const SHARED: (Omit<BenchCase, 'path'> & { rel: string })[] = [
  { id: 'P001', rel: 'covid-ct-md/P001', label: 'covid-ct-md/P001 (148 × 512², JPEG Lossless)', targetMs: 2500 },
  { id: 'RICORD', rel: 'ricord-1a/419639-001012', label: 'ricord-1a/419639-001012 (248 × 512², JPEG Lossless)', targetMs: 4000 },
];

/** The cases present on this machine, and a line for each one that is not. */
export async function benchCases(): Promise<{ cases: BenchCase[]; skipped: string[] }> {
  const cases: BenchCase[] = [{ id: 'phantom', label: 'demo phantom (96 × 256², NIfTI)', path: await phantomPath() }];
  const skipped: string[] = [];
  for (const c of SHARED) {
    const path = join(DATA, c.rel);
    if (existsSync(path)) cases.push({ id: c.id, label: c.label, path, targetMs: c.targetMs });
    else skipped.push(`${c.id}: ${path} not present (the shared data is not on this machine)`);
  }
  return { cases, skipped };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}
