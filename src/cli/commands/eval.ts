import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.ts';
import type { Command } from 'commander';
import { readManifest } from '../../eval/manifest.ts';
import { DEFAULT_BOOTSTRAP_RESAMPLES } from '../../eval/metrics.ts';
import { DEFAULT_EVAL_JOBS, formatEvalText, runEval } from '../../eval/run-eval.ts';
import { addLimitFlags, limitsFromFlags, type LimitFlags } from '../flags.ts';
import type { CliIo } from '../main.ts';
import { DECISION_MODES } from '../../core/report-schema.ts';
import { parseCandidatesFlag, parseDecisionFlag, parsePositiveIntFlag } from './screen.ts';
import { CANDIDATE_GENERATORS } from '../../registry.ts';

/** Where `ctscreen eval` writes when no --out is given. */
export const DEFAULT_EVAL_DIR = 'ctscreen-eval';

interface EvalFlags extends LimitFlags {
  out: string;
  candidates?: string;
  classifier?: string;
  segmenter?: string;
  maxCandidates?: string;
  jobs: string;
  bootstrap: string;
  json?: boolean;
  decision?: string;
}

/** `ctscreen eval <manifest.csv>`: screens every case and prints case-level metrics (§3.3.5). */
export function registerEval(program: Command, io: CliIo): void {
  const command = program
    .command('eval')
    .description('screen every CT of a manifest (rows path,label[,split]; paths relative to it) and print case-level metrics')
    .argument('<manifest>', 'CSV manifest')
    .option('--out <dir>', 'per-case reports, predictions.csv, cases.csv and summary files go here', DEFAULT_EVAL_DIR)
    .option('--candidates <generator>', `candidate regions: ${CANDIDATE_GENERATORS.join(' or ')} (default: learned when its model is present)`)
    .option('--classifier <id|path>', 'patch classifier (registry id or .onnx path)')
    .option('--segmenter <id|path>', 'candidate segmenter (registry id or .onnx path)')
    .option('--max-candidates <n>', 'classify at most this many candidate regions per case')
    .option('--jobs <n>', 'cases screened at once, each in its own process', String(DEFAULT_EVAL_JOBS))
    .option('--bootstrap <n>', 'bootstrap resamples for confidence intervals', String(DEFAULT_BOOTSTRAP_RESAMPLES))
    .option('--decision <mode>', `case decision: ${DECISION_MODES.join(' or ')} (default calibrated)`)
    .option('--json', 'print the summary JSON instead of the tables');
  addLimitFlags(command)
    .action(async (manifestPath: string, flags: EvalFlags) => {
      const candidates = parseCandidatesFlag(flags.candidates);
      const decision = parseDecisionFlag(flags.decision);
      const jobs = parsePositiveIntFlag('jobs', flags.jobs)!;
      const maxCandidates = parsePositiveIntFlag('max-candidates', flags.maxCandidates);
      const limits = limitsFromFlags(flags);
      if (!/^\d+$/.test(flags.bootstrap.trim())) throw new InputError('CLI_FLAG', `--bootstrap '${flags.bootstrap}' must be an integer ≥ 0 (0 = no confidence intervals)`);
      const bootstrap = Number(flags.bootstrap);
      const manifest = readManifest(manifestPath);
      const progress = !flags.json && process.stderr.isTTY === true;
      const run = await runEval({
        manifest,
        outDir: resolve(flags.out),
        candidates,
        classifier: flags.classifier,
        segmenter: flags.segmenter,
        maxCandidates,
        limits,
        jobs,
        bootstrap,
        decision,
        onCase: progress ? (r, done, total) => process.stderr.write(`[${done}/${total}] ${r.id}: ${r.status === 'ok' ? r.predicted : `FAILED (${r.error?.message ?? ''})`} ${(r.ms / 1000).toFixed(1)} s\n`) : undefined,
      });
      io.stdout(flags.json ? readFileSync(run.files.summaryJson, 'utf8') : formatEvalText(run));
    });
}
