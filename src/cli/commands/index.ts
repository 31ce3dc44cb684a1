import type { Command } from 'commander';
import type { CliIo } from '../main.ts';

/** Every CLI command registers itself here (one line each). */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/**
 * A command by name, its module imported only when that command runs (or for help): `ctscreen --version`
 * then loads commander and nothing of the pipeline, onnxruntime or the server (issue 16: start-up ≤ 0.15 s).
 * `name` must be the name the module registers (test/cli/lazy-commands.test.ts checks it).
 */
export interface CommandEntry {
  name: string;
  load: () => Promise<RegisterCommand>;
}

export const commands: CommandEntry[] = [
  { name: 'info', load: async () => (await import('./info.ts')).registerInfo },
  { name: 'dataset', load: async () => (await import('./dataset.ts')).registerDataset },
  { name: 'models', load: async () => (await import('./models.ts')).registerModels },
  { name: 'metrics', load: async () => (await import('./metrics.ts')).registerMetrics },
  { name: 'phantom', load: async () => (await import('./phantom.ts')).registerPhantom },
  { name: 'lungs', load: async () => (await import('./lungs.ts')).registerLungs },
  { name: 'screen', load: async () => (await import('./screen.ts')).registerScreen },
  { name: 'demo', load: async () => (await import('./demo.ts')).registerDemo },
  { name: 'eval', load: async () => (await import('./eval.ts')).registerEval },
  { name: 'robustness', load: async () => (await import('./robustness.ts')).registerRobustness },
  { name: 'serve', load: async () => (await import('./serve.ts')).registerServe },
  { name: 'worker', load: async () => (await import('./worker.ts')).registerWorker },
  { name: 'pacs', load: async () => (await import('./pacs.ts')).registerPacs },
];
