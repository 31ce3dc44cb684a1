/**
 * Flags shared by the commands that read scans (`screen`, `info`, `eval`, `lungs`): the resource
 * limits of src/io/limits.ts, one flag each, parsed into the one `InputLimits` options object.
 */
import type { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { DEFAULT_INPUT_LIMITS, formatLimit, type InputLimits, LIMIT_FLAGS, MIB } from '../io/limits.ts';

export interface LimitFlags {
  maxDecompressedMb?: string;
  maxEntries?: string;
  maxEntryMb?: string;
  maxVoxels?: string;
}

const FLAG_KEYS: Readonly<Record<keyof InputLimits, keyof LimitFlags>> = {
  maxDecompressedBytes: 'maxDecompressedMb',
  maxEntries: 'maxEntries',
  maxEntryBytes: 'maxEntryMb',
  maxVoxels: 'maxVoxels',
};

const HELP: Readonly<Record<keyof InputLimits, string>> = {
  maxDecompressedBytes: 'a .zip or .nii.gz may inflate to at most this many MiB in total',
  maxEntries: 'a .zip (or DICOM folder) may hold at most this many files',
  maxEntryBytes: 'one file in a .zip or folder may be at most this many MiB (inflated)',
  maxVoxels: 'a header (DICOM series, NIfTI, image stack) may claim at most this many voxels',
};

/** Adds the limit flags to a command. */
export function addLimitFlags(command: Command): Command {
  for (const key of Object.keys(LIMIT_FLAGS) as (keyof InputLimits)[]) {
    const { flag, unit } = LIMIT_FLAGS[key];
    command.option(`${flag} <${unit === 'MiB' ? 'MiB' : 'n'}>`, `${HELP[key]} (default ${formatLimit(key, DEFAULT_INPUT_LIMITS[key])})`);
  }
  return command;
}

/** The limits the flags set (only those given; the readers fill in the defaults). */
export function limitsFromFlags(flags: LimitFlags): Partial<InputLimits> {
  const out: Partial<InputLimits> = {};
  for (const key of Object.keys(LIMIT_FLAGS) as (keyof InputLimits)[]) {
    const raw = flags[FLAG_KEYS[key]];
    if (raw === undefined) continue;
    const { flag, unit } = LIMIT_FLAGS[key];
    const v = Number(raw.trim());
    const ok = unit === 'MiB' ? Number.isFinite(v) && v > 0 : Number.isSafeInteger(v) && v >= 1;
    if (!ok || raw.trim() === '') throw new InputError('CLI_FLAG', `${flag} '${raw}' must be ${unit === 'MiB' ? 'a positive number of MiB' : 'a positive whole number'}`);
    out[key] = unit === 'MiB' ? Math.floor(v * MIB) : v;
  }
  return out;
}
