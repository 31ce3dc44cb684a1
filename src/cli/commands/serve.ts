import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { DEFAULT_MAX_UPLOAD_MB } from '../../server/app.ts';
import { loadTokens } from '../../server/auth.ts';
import { jsonLogger } from '../../server/log.ts';
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_WORKERS, startServer } from '../../server/serve.ts';
import type { CliIo } from '../main.ts';
import { parseCandidatesFlag, parsePositiveIntFlag } from './screen.ts';
import { CANDIDATE_GENERATORS } from '../../registry.ts';

export function parseCount(name: string, value: string, min: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new InputError('CLI_FLAG', `--${name} '${value}' must be a whole number ≥ ${min}`);
  return Number(value);
}

/** Resolves on SIGINT/SIGTERM after `close` finished: the command runs until stopped. */
export function untilStopped(close: () => Promise<void>, io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    const stop = (sig: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      io.stderr(`ctscreen: ${sig}, stopping\n`);
      void close().finally(resolve);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

interface ServeFlags {
  host: string;
  port: string;
  data: string;
  workers: string;
  queue?: string;
  tokensFile?: string;
  auth: boolean;
  maxUploadMb: string;
  classifier?: string;
  segmenter?: string;
  candidates?: string;
}

/** `ctscreen serve`: the HTTP API (server/app.ts) with the embedded queue or BullMQ. */
export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the screening service: HTTP API under /v1, jobs in SQLite under --data (or BullMQ with --queue), worker processes that load the models once')
    .option('--host <host>', 'address to listen on', DEFAULT_HOST)
    .option('--port <n>', 'port (0 = any free one)', String(DEFAULT_PORT))
    .option('--data <dir>', 'jobs, uploads and outputs live here (shared with `ctscreen worker` on other machines)', 'ctscreen-data')
    .option('--workers <n>', 'screening processes on this machine (0 = none: only `ctscreen worker`s screen)', String(DEFAULT_WORKERS))
    .option('--queue <url>', 'redis://HOST:PORT: jobs on BullMQ instead of the embedded SQLite queue')
    .option('--tokens-file <file>', 'API tokens, name:token per line (default: CTSCREEN_TOKENS=name:token,…)')
    .option('--no-auth', 'no tokens; only on loopback')
    .option('--max-upload-mb <n>', 'largest upload accepted', String(DEFAULT_MAX_UPLOAD_MB))
    .option('--classifier <id|path>', 'patch classifier the workers load (default the registry\'s first)')
    .option('--segmenter <id|path>', 'candidate segmenter the workers load')
    .option('--candidates <generator>', `candidate regions of jobs that do not choose: ${CANDIDATE_GENERATORS.join(' or ')} (default learned when its model is present)`)
    .action(async (flags: ServeFlags) => {
      const candidates = parseCandidatesFlag(flags.candidates);
      const port = parseCount('port', flags.port, 0);
      if (port > 65535) throw new InputError('CLI_FLAG', `--port '${flags.port}' must be at most 65535`);
      const tokens = flags.auth ? loadTokens({ tokensFile: flags.tokensFile }) : null;
      const s = await startServer({
        host: flags.host,
        port,
        dataDir: flags.data,
        workers: parseCount('workers', flags.workers, 0),
        queueUrl: flags.queue,
        tokens,
        maxUploadMb: parsePositiveIntFlag('max-upload-mb', flags.maxUploadMb)!,
        load: { classifier: flags.classifier, segmenter: flags.segmenter, candidates },
        log: jsonLogger(io.stderr),
      });
      io.stdout(`ctscreen serve: listening on ${s.url} (${s.queue.kind} queue, data ${flags.data}, ${flags.workers} worker process(es)${tokens ? `, ${tokens.length} token(s)` : ', NO AUTH'})\n`);
      await untilStopped(() => s.close(), io);
    });
}
