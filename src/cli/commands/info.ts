import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { InputError } from '../../core/errors.ts';
import type { Vec3 } from '../../core/volume.ts';
import { readVolumeWithReport, type ReadVolumeOptions } from '../../io/read.ts';
import { summarizeRead, type VolumeInfo } from '../../io/summary.ts';
import { addLimitFlags, limitsFromFlags, type LimitFlags } from '../flags.ts';
import type { CliIo } from '../main.ts';

interface InfoFlags extends LimitFlags {
  json?: boolean;
  series?: string;
  spacing?: string;
  window?: string;
  workers?: string;
}

function parseNumbers(flag: string, value: string, count: number, example: string): number[] {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length !== count || !parts.every(Number.isFinite)) {
    throw new InputError('CLI_BAD_OPTION', `--${flag} '${value}' is invalid; expected ${count} comma-separated numbers, e.g. --${flag} ${example}`);
  }
  return parts;
}

export function readOptionsFromFlags(flags: InfoFlags): ReadVolumeOptions {
  const options: ReadVolumeOptions = { limits: limitsFromFlags(flags) };
  if (flags.series) options.seriesUid = flags.series;
  if (flags.spacing) options.spacingMm = parseNumbers('spacing', flags.spacing, 3, '0.6,0.6,5') as unknown as Vec3;
  if (flags.window) {
    const [center, width] = parseNumbers('window', flags.window, 2, '-600,1500');
    options.windowHu = { center, width };
  }
  if (flags.workers !== undefined) {
    const n = Number(flags.workers);
    if (!Number.isInteger(n) || n < 0) throw new InputError('CLI_BAD_OPTION', `--workers '${flags.workers}' is invalid; expected a whole number ≥ 0`);
    options.workers = n;
  }
  return options;
}

const fmt = (v: number, digits = 3) => Number(v.toFixed(digits)).toString();

export function formatInfo(info: VolumeInfo): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(12)}${v}`);
  const d = info.dicom;
  row('input', `${info.path} (${info.inputKind}${d ? `, ${d.filesSeen} files${d.skippedFiles ? `, ${d.skippedFiles} skipped` : ''}` : ''})`);
  if (d) {
    row('series', `${d.series.length} found`);
    for (const s of d.series) {
      const mark = s.chosen ? '*' : ' ';
      const desc = s.description ? ` "${s.description}"` : '';
      lines.push(`  ${mark} ${s.seriesInstanceUid || '(no UID)'}  ${s.modality || '?'}  ${s.slices} slices  ${s.size[0]}×${s.size[1]}${desc}  ${s.imageType}  ${s.transferSyntax}${s.rejected ? `  [not usable: ${s.rejected}]` : ''}`);
    }
    row('chosen', `${d.chosenSeriesUid} (${d.reason})`);
  }
  row('dims', `${info.dims.join(' × ')} voxels (x × y × z)`);
  row('spacing', `${info.spacingMm.map((s) => fmt(s)).join(' × ')} mm`);
  row('origin', `(${info.originMm.map((s) => fmt(s, 2)).join(', ')}) mm LPS`);
  row('orientation', `${info.orientation} (direction ${info.direction.map((x) => fmt(x, 4)).join(' ')})`);
  row(info.pseudoHu ? 'pseudo-HU' : 'HU', `min ${fmt(info.hu.min, 1)}, p1 ${info.hu.p1}, median ${info.hu.median}, p99 ${info.hu.p99}, max ${fmt(info.hu.max, 1)} (${info.dataType})`);
  if (info.warnings.length === 0) row('warnings', 'none');
  else {
    row('warnings', `${info.warnings.length}`);
    for (const w of info.warnings) lines.push(`  - ${w}`);
  }
  row('read time', `${(info.readMs / 1000).toFixed(2)} s${d && d.workersUsed > 0 ? ` (${d.workersUsed} decode threads)` : ''}`);
  return `${lines.join('\n')}\n`;
}

/** `ctscreen info <path> [--json]`: what a scan is, as read (issue 2). */
export function registerInfo(program: Command, io: CliIo): void {
  const command = program
    .command('info')
    .description('read a scan (DICOM folder/.zip/file, NIfTI, PNG/JPEG slices) and show series, geometry, HU range and warnings; never patient names or IDs')
    .argument('<path>', 'DICOM folder, .zip, DICOM file, .nii/.nii.gz, folder of PNG/JPEG slices, or one image')
    .option('--json', 'print one JSON object instead of text')
    .option('--series <uid>', 'DICOM: read this SeriesInstanceUID instead of the automatic choice')
    .option('--spacing <x,y,z>', '8-bit slices: voxel size in mm (default 0.6,0.6,5)')
    .option('--window <center,width>', '8-bit slices: display window they were made with (default -600,1500)')
    .option('--workers <n>', 'DICOM: decode threads for compressed series (default: one per core, up to 4; 0 = none)');
  addLimitFlags(command)
    .action(async (path: string, flags: InfoFlags) => {
      const options = readOptionsFromFlags(flags);
      const t0 = performance.now();
      const result = await readVolumeWithReport(path, options);
      const info = summarizeRead(path, result, performance.now() - t0);
      io.stdout(flags.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
    });
}
