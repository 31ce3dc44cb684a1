import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sameGrid, type Volume } from '../../core/volume.ts';
import { writeNifti } from '../../io/nifti.ts';
import { readVolume } from '../../io/read.ts';
import { extractLungs, type LungMaskResult } from '../../lung/extract-lungs.ts';
import { quantifyLungs } from '../../lung/quantify.ts';
import { OVERLAY_COLOURS, axialSlice, drawContours, encodePng, renderSlice } from '../../report/render-slice.ts';
import { addLimitFlags, type LimitFlags } from '../flags.ts';
import type { CliIo } from '../main.ts';
import { readOptionsFromFlags } from './info.ts';

interface LungsFlags extends LimitFlags {
  out: string;
  series?: string;
  spacing?: string;
  window?: string;
  workers?: string;
  pngs: string;
}

/** Overlays are at least this many pixels wide so small (e.g. 128²) grids stay readable. */
const MIN_OVERLAY_WIDTH_PX = 400;

/** Slices evenly spread over the lungs' height (at 15 %, 32 %, 50 %, 68 %, 85 % for five). */
export function overlaySlices(mask: Uint8Array, dims: readonly [number, number, number], count: number): number[] {
  const plane = dims[0] * dims[1];
  let lo = -1;
  let hi = -1;
  for (let z = 0; z < dims[2]; z++) {
    for (let i = plane * z; i < plane * (z + 1); i++) {
      if (mask[i]) {
        if (lo < 0) lo = z;
        hi = z;
        break;
      }
    }
  }
  if (lo < 0 || count < 1) return [];
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.round(lo + ((hi - lo) * (0.15 + (0.7 * k) / Math.max(1, count - 1))) ));
  return [...out].sort((a, b) => a - b);
}

/** Writes an overlay PNG of slice z: lung window, right lung cyan, left lung amber. */
export async function writeLungOverlay(volume: Volume, mask: Uint8Array, z: number, path: string): Promise<void> {
  const scale = Math.max(1, Math.ceil(MIN_OVERLAY_WIDTH_PX / volume.dims[0]));
  const img = renderSlice(volume, z, { scale });
  drawContours(img, axialSlice(mask, volume.dims, z), { 1: OVERLAY_COLOURS.rightLung, 2: OVERLAY_COLOURS.leftLung }, scale > 2 ? 2 : 1);
  await writeFile(path, encodePng(img));
}

export function registerLungs(program: Command, io: CliIo): void {
  const command = program
    .command('lungs <input>')
    .description('extract the lungs: mask NIfTI on the input grid, stats JSON and overlay PNGs in --out')
    .requiredOption('--out <dir>', 'output folder (created)')
    .option('--pngs <n>', 'number of overlay slices', '5')
    .option('--series <uid>', 'DICOM: read this SeriesInstanceUID instead of the automatic choice')
    .option('--spacing <x,y,z>', '8-bit slices: voxel size in mm (default 0.6,0.6,5)')
    .option('--window <center,width>', '8-bit slices: display window they were made with (default -600,1500)')
    .option('--workers <n>', 'DICOM: decode threads (default: one per core, up to 4; 0 = none)');
  addLimitFlags(command)
    .action(async (input: string, flags: LungsFlags) => {
      const pngs = Number(flags.pngs);
      const volume = await readVolume(input, readOptionsFromFlags(flags));
      const t0 = performance.now();
      const lungs: LungMaskResult = extractLungs(volume, { label: input });
      const ms = performance.now() - t0;
      const stats = quantifyLungs(volume, lungs.mask);
      await mkdir(flags.out, { recursive: true });
      await writeNifti(sameGrid(volume, lungs.mask), join(flags.out, 'lung-mask.nii.gz'));
      const slices = overlaySlices(lungs.mask, volume.dims, Number.isInteger(pngs) && pngs >= 0 ? pngs : 5);
      const pngFiles: string[] = [];
      for (const z of slices) {
        const name = `lungs-z${String(z).padStart(3, '0')}.png`;
        await writeLungOverlay(volume, lungs.mask, z, join(flags.out, name));
        pngFiles.push(name);
      }
      const report = {
        input,
        dims: volume.dims,
        spacingMm: volume.spacingMm,
        pseudoHu: volume.source.pseudoHu,
        extractionMs: Math.round(ms),
        volumeMl: lungs.volumeMl,
        stats,
        warnings: [...volume.warnings, ...lungs.warnings],
        diagnostics: lungs.diagnostics,
        overlays: pngFiles,
      };
      await writeFile(join(flags.out, 'lung-stats.json'), `${JSON.stringify(report, null, 2)}\n`);
      io.stdout(`right lung ${lungs.volumeMl.right.toFixed(0)} mL, left lung ${lungs.volumeMl.left.toFixed(0)} mL (${ms.toFixed(0)} ms) → ${flags.out}\n`);
      for (const w of report.warnings) io.stdout(`warning: ${w}\n`);
    });
}
