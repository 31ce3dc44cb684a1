import type { Command } from 'commander';
import type { CliIo } from '../main.ts';
import { registerVersion } from './version.ts';
import { registerInfo } from './info.ts';
import { registerDataset } from './dataset.ts';
import { registerModels } from './models.ts';
import { registerMetrics } from './metrics.ts';
import { registerPhantom } from './phantom.ts';
import { registerLungs } from './lungs.ts';
import { registerScreen } from './screen.ts';
import { registerDemo } from './demo.ts';
import { registerEval } from './eval.ts';
import { registerServe } from './serve.ts';
import { registerWorker } from './worker.ts';
import { registerPacs } from './pacs.ts';

/** Every CLI command registers itself here (one line each). */
export type RegisterCommand = (program: Command, io: CliIo) => void;

export const commands: RegisterCommand[] = [
  registerVersion,
  registerInfo,
  registerDataset,
  registerModels,
  registerMetrics,
  registerPhantom,
  registerLungs,
  registerScreen,
  registerDemo,
  registerEval,
  registerServe,
  registerWorker,
  registerPacs,
];
