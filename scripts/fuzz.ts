/**
 * `npm run fuzz [-- --cases N --seconds S --seed K --child-every M --lanes L --seeds ID-PART --replay I[,J] --keep --log F --no-real]`
 *
 * Mutates DICOM, NIfTI, zip and PNG/JPEG inputs and screens each (scripts/fuzz/run.ts); prints
 * outcomes by kind and code, the slowest case and the largest RSS, and a replay line per failure.
 * Exit 1 when any case failed, 0 otherwise.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, REPO_ROOT, runFuzz } from './fuzz/run.ts';

interface Args {
  cases: number;
  seconds: number;
  seed: number;
  childEvery: number;
  replay?: number[];
  keep: boolean;
  log?: string;
  real: boolean;
  lanes: number;
  seeds?: string;
}

function parse(argv: string[]): Args {
  const a: Args = { cases: 200, seconds: 0, seed: 1, childEvery: 10, keep: false, real: true, lanes: 1 };
  const int = (flag: string, v: string | undefined) => {
    if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${flag} needs a non-negative integer, got ${v}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === '--cases') a.cases = int(f, argv[++i]);
    else if (f === '--seconds') a.seconds = int(f, argv[++i]);
    else if (f === '--seed') a.seed = int(f, argv[++i]);
    else if (f === '--child-every') a.childEvery = int(f, argv[++i]);
    else if (f === '--replay') a.replay = (argv[++i] ?? '').split(',').map((x) => int(f, x));
    else if (f === '--lanes') a.lanes = Math.max(1, int(f, argv[++i]));
    else if (f === '--seeds') a.seeds = argv[++i];
    else if (f === '--keep') a.keep = true;
    else if (f === '--no-real') a.real = false;
    else if (f === '--log') a.log = argv[++i];
    else throw new Error(`unknown flag ${f}; flags: --cases N --seconds S --seed K --child-every M --lanes L --seeds ID-PART --replay I[,J] --keep --log FILE --no-real`);
  }
  return a;
}

const args = parse(process.argv.slice(2));
const replaying = args.replay !== undefined;
if (args.log) writeFileSync(args.log, '');
let done = 0;
const summary = await runFuzz({
  seed: args.seed,
  cases: args.cases,
  seconds: args.seconds,
  childEvery: replaying ? 1 : args.childEvery,
  only: args.replay,
  lanes: args.lanes,
  seedFilter: args.seeds,
  keep: args.keep || replaying,
  dataDir: args.real ? join(REPO_ROOT, '..', 'shared', 'data') : undefined,
  onCase: (r) => {
    done++;
    if (args.log) appendFileSync(args.log, `${JSON.stringify(r)}\n`);
    if (replaying) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else if (r.failure) process.stderr.write(`case ${r.index} FAILED (${r.seedId}): ${r.failure}\n  mutations: ${r.mutations.join(' | ')}\n`);
    else if (done % 100 === 0) process.stderr.write(`… ${done} cases\n`);
  },
});
process.stdout.write(`${formatSummary(summary)}\n`);
process.exitCode = summary.failures.length > 0 ? 1 : 0;
