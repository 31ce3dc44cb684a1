import type { Command } from 'commander';
import type { CliIo } from '../main.ts';
import { registerDatasetPatches } from './dataset-patches.ts';
import { registerDatasetSegmentation } from './dataset-segmentation.ts';

/** `ctscreen dataset <kind>`: each training-data exporter adds its subcommand registrar here. */
export type RegisterDatasetSubcommand = (dataset: Command, io: CliIo) => void;

const subcommands: RegisterDatasetSubcommand[] = [
  registerDatasetPatches,
  registerDatasetSegmentation,
];

export function registerDataset(program: Command, io: CliIo): void {
  const dataset = program.command('dataset').description('export training tensors (preprocessing lives once, in TypeScript)');
  for (const register of subcommands) register(dataset, io);
}
