import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { sameGrid } from '../../core/volume.ts';
import { writeNifti } from '../../io/nifti.ts';
import { type LesionPreset, type PhantomOptions, makeChestPhantom } from '../../phantom/chest-phantom.ts';
import type { CliIo } from '../main.ts';

interface PhantomFlags {
  out: string;
  lesions: string;
  lesionCount?: string;
  seed: string;
  slices: string;
  size: string;
  spacing?: string;
  sliceSpacing?: string;
  basesOnly?: boolean;
  pseudoHu?: boolean;
  table: boolean;
  noise: string;
}

const PRESETS: readonly LesionPreset[] = ['covid', 'cap', 'none'];

function number(flag: string, value: string, integer: boolean): number {
  const v = Number(value);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new InputError('CLI_BAD_OPTION', `--${flag} '${value}' is invalid; expected ${integer ? 'a whole number' : 'a number'}`);
  }
  return v;
}

/** Ground-truth file names written next to the phantom: `<base>-lungs.nii.gz`, `<base>-lesions.nii.gz`, `<base>-lesions.json`. */
export function phantomCompanionPaths(out: string): { lungs: string; lesions: string; json: string } {
  const base = out.replace(/\.nii(\.gz)?$/i, '');
  return { lungs: `${base}-lungs.nii.gz`, lesions: `${base}-lesions.nii.gz`, json: `${base}-lesions.json` };
}

export function registerPhantom(program: Command, io: CliIo): void {
  program
    .command('phantom')
    .description('write a synthetic chest CT (NIfTI, HU) with ground-truth lung and lesion masks next to it')
    .requiredOption('--out <file.nii.gz>', 'output NIfTI path (.nii or .nii.gz)')
    .option('--lesions <preset>', `lesion preset: ${PRESETS.join('|')}`, 'covid')
    .option('--lesion-count <n>', 'number of lesions (overrides the preset)')
    .option('--seed <n>', 'random seed', '1')
    .option('--slices <n>', 'number of axial slices', '64')
    .option('--size <n>', 'in-plane matrix (n × n)', '256')
    .option('--spacing <mm>', 'in-plane pixel size (default: 360 mm field of view)')
    .option('--slice-spacing <mm>', 'distance between slices (default: whole chest over the slices)')
    .option('--bases-only', 'cover only the lung bases (partial coverage)')
    .option('--pseudo-hu', 'quantise to 8 bits in the lung window, as JPEG stacks are')
    .option('--no-table', 'leave out the patient table')
    .option('--noise <hu>', 'image noise standard deviation (HU)', '15')
    .action(async (flags: PhantomFlags) => {
      if (!/\.nii(\.gz)?$/i.test(flags.out)) throw new InputError('CLI_BAD_OPTION', `--out '${flags.out}' must end in .nii or .nii.gz`);
      if (!PRESETS.includes(flags.lesions as LesionPreset)) {
        throw new InputError('CLI_BAD_OPTION', `--lesions '${flags.lesions}' is not a preset; use one of ${PRESETS.join(', ')}`);
      }
      const size = number('size', flags.size, true);
      const options: PhantomOptions = {
        seed: number('seed', flags.seed, true),
        slices: number('slices', flags.slices, true),
        size: [size, size],
        lesions: flags.lesions as LesionPreset,
        table: flags.table,
        pseudoHu8Bit: flags.pseudoHu === true,
        noiseHu: number('noise', flags.noise, false),
      };
      if (flags.lesionCount !== undefined) options.lesionCount = number('lesion-count', flags.lesionCount, true);
      if (flags.spacing !== undefined) options.pixelSpacingMm = number('spacing', flags.spacing, false);
      if (flags.sliceSpacing !== undefined) options.sliceSpacingMm = number('slice-spacing', flags.sliceSpacing, false);
      if (flags.basesOnly) options.zRangeMm = [0, 80];
      const p = makeChestPhantom(options);
      const paths = phantomCompanionPaths(flags.out);
      await mkdir(dirname(flags.out), { recursive: true });
      await writeNifti(p.volume, flags.out);
      await writeNifti(sameGrid(p.volume, p.lungLabels), paths.lungs);
      await writeNifti(sameGrid(p.volume, p.lesionLabels), paths.lesions);
      await writeFile(paths.json, `${JSON.stringify({ options, lesions: p.lesions }, null, 2)}\n`);
      const [nx, ny, nz] = p.volume.dims;
      io.stdout(`phantom ${nx}×${ny}×${nz} (${p.volume.spacingMm.map((s) => s.toFixed(2)).join('×')} mm), ${p.lesions.length} lesion(s) → ${flags.out}\n`);
      io.stdout(`ground truth: ${paths.lungs} (1 right, 2 left lung), ${paths.lesions} (k = lesion k), ${paths.json}\n`);
    });
}
