import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeNifti } from '../../io/nifti.ts';
import { makeChestPhantom } from '../../phantom/chest-phantom.ts';
import type { CliIo } from '../main.ts';
import { parsePositiveIntFlag, runScreening, summaryText } from './screen.ts';

/** Where `ctscreen demo` writes when no --out is given (relative to the current folder). */
export const DEFAULT_DEMO_DIR = 'ctscreen-demo';
/** 96 slices of 3 mm over the whole chest: thin-section like a screening CT, quick on 2 cores. */
const DEMO_SLICES = 96;
const DEMO_SEED = 7;

/**
 * `ctscreen demo`: a synthetic chest CT with COVID-like lesions (multifocal, peripheral ground glass),
 * screened with the committed models; the first command of the README, so it must work on a fresh
 * machine after `npm ci` and nothing else.
 */
export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('make a synthetic chest CT with COVID-like lesions, screen it and write the report')
    .option('--out <dir>', 'output folder', DEFAULT_DEMO_DIR)
    .option('--seed <n>', 'phantom seed', String(DEMO_SEED))
    .option('--json', 'print the report (and output paths) as JSON; no progress bars')
    .action(async (flags: { out: string; seed: string; json?: boolean }) => {
      const seed = parsePositiveIntFlag('seed', flags.seed)!;
      const outDir = resolve(flags.out);
      const phantom = makeChestPhantom({ seed, slices: DEMO_SLICES, lesions: 'covid' });
      await mkdir(outDir, { recursive: true });
      const ctPath = join(outDir, 'phantom-ct.nii.gz');
      await writeNifti(phantom.volume, ctPath);
      const sides = phantom.lesions.map((l) => `${l.side} ${l.kind} ${l.diameterMm.toFixed(0)} mm`).join(', ');
      const note = `synthetic phantom (seed ${seed}) with ${phantom.lesions.length} COVID-like peripheral lesions: ${sides}`;
      const r = await runScreening({ volume: phantom.volume }, { outDir, progress: !flags.json && process.stderr.isTTY === true, extraWarnings: [`DEMO: ${note}; not a patient`] });
      // how many phantom lesions an infection-voted region touches: the demo's own ground truth
      const kept = new Set(r.artifacts.regions.filter((g) => g.kept).map((g) => g.labelValue));
      const hit = new Set<number>();
      const labels = r.artifacts.candidateLabels;
      if (labels) for (let i = 0; i < labels.length; i++) if (phantom.lesionLabels[i] !== 0 && kept.has(labels[i])) hit.add(phantom.lesionLabels[i]);
      if (flags.json) {
        io.stdout(`${JSON.stringify({ phantom: { ct: ctPath, seed, lesions: phantom.lesions.length, lesionsFound: hit.size }, outputs: r.outputs, report: r.report }, null, 2)}\n`);
        return;
      }
      io.stdout(`ctscreen demo: ${note}\nphantom CT: ${ctPath}\nlesions touched by infection-voted regions: ${hit.size} of ${phantom.lesions.length}\n\n`);
      io.stdout(summaryText(r.report, r.outputs));
      io.stdout(`\nOpen the report: ${r.outputs!.html}\n`);
    });
}
