import type { Command } from 'commander';
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { DEFAULT_VALIDATION_GROUPS, exportSegmentationDataset, SEGMENTER_TILE_SIZE } from '../../dataset/segmentation.ts';
import type { CliIo } from '../main.ts';

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError('CLI_BAD_NUMBER', `${flag} ${v} is not a non-negative integer`);
  return n;
}

/** `ctscreen dataset segmentation --data DIR --out DIR`: tensors for the candidate segmenter (§2.3). */
export function registerDatasetSegmentation(dataset: Command, io: CliIo): void {
  dataset
    .command('segmentation')
    .description('export 2.5D slice tiles + infection masks, index, fingerprint and patient-level split for the candidate segmenter')
    .requiredOption('--data <dir>', 'shared data folder (with infnet-semiseg/)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--tile-size <px>', 'tile side in pixels', String(SEGMENTER_TILE_SIZE))
    .option('--validation-groups <n>', 'pseudo-label patients held out for validation', String(DEFAULT_VALIDATION_GROUPS))
    .option('--seed <n>', 'split seed', '1')
    .option('--limit-per-volume <n>', 'at most n slices per volume (quick runs)')
    .action(async (o: { data: string; out: string; tileSize: string; validationGroups: string; seed: string; limitPerVolume?: string }) => {
      const tileSize = positiveInt('--tile-size', o.tileSize);
      if (tileSize < 8 || tileSize % 8 !== 0) throw new InputError('CLI_BAD_NUMBER', `--tile-size ${tileSize} must be a multiple of 8 (the U-Net halves it three times)`);
      let last = 0;
      const summary = await exportSegmentationDataset({
        dataDir: resolve(o.data),
        outDir: resolve(o.out),
        tileSize,
        validationGroups: positiveInt('--validation-groups', o.validationGroups),
        seed: positiveInt('--seed', o.seed),
        limitPerVolume: o.limitPerVolume === undefined ? undefined : positiveInt('--limit-per-volume', o.limitPerVolume),
        onProgress: (done, total) => {
          if (done === total || done - last >= 200) {
            last = done;
            io.stderr(`segmentation dataset: ${done}/${total} slices\n`);
          }
        },
      });
      io.stdout(`${JSON.stringify(summary)}\n`);
    });
}
