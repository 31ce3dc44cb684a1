import type { Command } from 'commander';
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { exportPatchDataset } from '../../dataset/patches.ts';
import { loadLearnedGenerator, SEGMENTER_MODEL_ID } from '../../candidates/learned.ts';
import type { CliIo } from '../main.ts';

/** `ctscreen dataset patches --data DIR --out DIR [--seed N]`: classifier training tensors (§2.4). */
export function registerDatasetPatches(dataset: Command, io: CliIo): void {
  dataset
    .command('patches')
    .description('export classifier patches (index.json, patches.bin, split.json, fingerprint.json) from ../shared/data')
    .requiredOption('--data <dir>', 'the shared data folder (../shared/data)')
    .requiredOption('--out <dir>', 'output folder for the tensors and the split file')
    .option('--seed <n>', 'seed of sampling and split', '20200219')
    .option('--segmenter <idOrPath>', 'learned candidate segmenter whose candidates join the classical ones', SEGMENTER_MODEL_ID)
    .action(async (opts: { data: string; out: string; seed: string; segmenter: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new InputError('CLI_SEED', `--seed must be an integer, got '${opts.seed}'`);
      const learned = await loadLearnedGenerator(opts.segmenter, { intraOpThreads: 1 });
      const r = await exportPatchDataset({ dataDir: resolve(opts.data), outDir: resolve(opts.out), seed, learned, log: (l) => io.stderr(`${l}\n`) });
      io.stdout(`${r.count} patches in ${r.seconds.toFixed(1)} s → ${resolve(opts.out)}\n`);
      io.stdout(`per class: ${Object.entries(r.fingerprint.perClass).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
      io.stdout(`split: ${r.split.train.length} train / ${r.split.validation.length} validation groups\n`);
    });
}
