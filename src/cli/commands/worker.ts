import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { jsonLogger } from '../../server/log.ts';
import { DEFAULT_WORKERS, startWorker } from '../../server/serve.ts';
import type { CliIo } from '../main.ts';
import { parseCount, untilStopped } from './serve.ts';

interface WorkerFlags {
  queue?: string;
  data: string;
  workers: string;
  classifier?: string;
  segmenter?: string;
}

/** `ctscreen worker --queue redis://… --data DIR`: screens BullMQ jobs of a `serve --queue` elsewhere. */
export function registerWorker(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('screen jobs from a BullMQ queue (of `ctscreen serve --queue`), reading and writing the shared --data folder')
    .option('--queue <url>', 'redis://HOST:PORT of the server\'s queue')
    .option('--data <dir>', 'the data folder the server uses, mounted here (NFS or similar)', 'ctscreen-data')
    .option('--workers <n>', 'screening processes on this machine', String(DEFAULT_WORKERS))
    .option('--classifier <id|path>', 'patch classifier (default the registry\'s first)')
    .option('--segmenter <id|path>', 'candidate segmenter')
    .action(async (flags: WorkerFlags) => {
      if (!flags.queue) throw new InputError('CLI_FLAG', 'ctscreen worker needs --queue redis://HOST:PORT (the embedded queue runs its workers inside `ctscreen serve`)');
      const w = await startWorker({ queueUrl: flags.queue, dataDir: flags.data, workers: parseCount('workers', flags.workers, 1), load: { classifier: flags.classifier, segmenter: flags.segmenter }, log: jsonLogger(io.stderr) });
      io.stdout(`ctscreen worker: taking jobs from ${flags.queue} (data ${flags.data}, ${flags.workers} process(es))\n`);
      await untilStopped(() => w.close(), io);
    });
}
