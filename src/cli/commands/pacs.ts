import type { Command } from 'commander';
import { InputError } from '../../core/errors.ts';
import { DEFAULT_RETRY_FOR_MS } from '../../pacs/dicomweb.ts';
import { DEFAULT_POLL_MS, openConnector, type SeriesOutcome, type SeriesStateName } from '../../pacs/watch.ts';
import { jsonLogger } from '../../server/log.ts';
import type { CliIo } from '../main.ts';
import { parseCandidatesFlag } from './screen.ts';
import { parseCount, untilStopped } from './serve.ts';

interface PacsFlags {
  url: string;
  dicomwebRoot: string;
  user?: string;
  password?: string;
  data: string;
  classifier?: string;
  segmenter?: string;
  candidates?: string;
  retryForS: string;
  pollS: string;
}

const EXIT_HOOK_STATES: readonly SeriesStateName[] = ['retrieved', 'screened'];

function connectorOptions(flags: PacsFlags, io: CliIo) {
  const hook = process.env.CTSCREEN_PACS_TEST_EXIT_AFTER as SeriesStateName | undefined;
  if (hook !== undefined && !EXIT_HOOK_STATES.includes(hook)) throw new InputError('CLI_FLAG', `CTSCREEN_PACS_TEST_EXIT_AFTER '${hook}' must be one of ${EXIT_HOOK_STATES.join(', ')}`);
  return {
    url: flags.url,
    dicomwebRoot: flags.dicomwebRoot,
    user: flags.user,
    password: flags.password ?? process.env.CTSCREEN_PACS_PASSWORD,
    dataDir: flags.data,
    load: { classifier: flags.classifier, segmenter: flags.segmenter },
    candidates: parseCandidatesFlag(flags.candidates),
    retryForMs: parseCount('retry-for-s', flags.retryForS, 1) * 1000,
    pollMs: parseCount('poll-s', flags.pollS, 1) * 1000,
    log: jsonLogger(io.stderr),
    exitAfter: hook,
  };
}

function summary(outcomes: SeriesOutcome[]): string {
  const now = (s: SeriesStateName) => outcomes.filter((o) => o.state === s && !o.earlier).length;
  return `${now('stored')} stored, ${now('skipped')} skipped, ${now('failed')} not screened; ${outcomes.filter((o) => o.earlier).length} series handled by an earlier run`;
}

function common(cmd: Command): Command {
  return cmd
    .requiredOption('--url <url>', 'the archive, e.g. http://127.0.0.1:8042 (Orthanc)')
    .option('--dicomweb-root <path>', 'DICOMweb root under --url', '/dicom-web')
    .option('--user <name>', 'HTTP basic auth user')
    .option('--password <pw>', 'HTTP basic auth password (or CTSCREEN_PACS_PASSWORD)')
    .option('--data <dir>', 'state (cursor, per-series progress) and result files live here', 'ctscreen-pacs')
    .option('--classifier <id|path>', 'patch classifier (default the registry\'s first)')
    .option('--segmenter <id|path>', 'candidate segmenter')
    .option('--candidates <mode>', 'learned or classical candidate regions')
    .option('--retry-for-s <n>', 'keep retrying an archive that is down or answers 5xx this long', String(DEFAULT_RETRY_FOR_MS / 1000))
    .option('--poll-s <n>', 'ask the change feed again after this many seconds', String(DEFAULT_POLL_MS / 1000));
}

/** `ctscreen pacs watch|screen`: the DICOMweb connector (src/pacs). */
export function registerPacs(program: Command, io: CliIo): void {
  const pacs = program.command('pacs').description('screen chest CT in a DICOMweb archive (Orthanc) and store SEG, SR and secondary captures back into the study');
  common(pacs.command('watch'))
    .description('follow Orthanc\'s change feed (StableSeries; QIDO-RS by StudyDate where there is none) and screen each new chest CT series')
    .option('--once', 'stop when the feed has nothing new')
    .action(async (flags: PacsFlags & { once?: boolean }) => {
      const c = await openConnector(connectorOptions(flags, io));
      if (flags.once) {
        const out = await c.watch({ once: true });
        io.stdout(`ctscreen pacs watch: ${summary(out)}\n`);
        return;
      }
      const ac = new AbortController();
      const running = c.watch({ once: false, signal: ac.signal });
      io.stdout(`ctscreen pacs watch: following ${c.client.origin} (models ${c.modelKey})\n`);
      await Promise.race([running, untilStopped(async () => ac.abort(), io)]);
      await running;
    });
  common(pacs.command('screen'))
    .description('screen the chest CT series of one study now (QIDO-RS for its series)')
    .requiredOption('--study <uid>', 'StudyInstanceUID')
    .action(async (flags: PacsFlags & { study: string }) => {
      if (!/^[0-9.]{1,64}$/.test(flags.study)) throw new InputError('CLI_FLAG', `--study '${flags.study}' is not a DICOM UID (digits and dots, at most 64)`);
      const c = await openConnector(connectorOptions(flags, io));
      const out = await c.screenStudy(flags.study);
      io.stdout(`ctscreen pacs screen: ${summary(out)}\n`);
    });
}
