import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkManifestLabels, readManifest } from '../../eval/manifest.ts';
import { formatRobustnessText, PERTURBATIONS, perturbationById, runRobustness } from '../../eval/robustness.ts';
import { classifierCard } from '../../eval/run-eval.ts';
import { openScreener } from '../../pipeline/run-screening.ts';
import { DECISION_MODES, NO_INFECTION_FOUND } from '../../core/report-schema.ts';
import { CANDIDATE_GENERATORS } from '../../registry.ts';
import type { CliIo } from '../main.ts';
import { parseCandidatesFlag, parseDecisionFlag, parsePositiveIntFlag } from './screen.ts';

/** Where `ctscreen robustness` writes when no --out is given. */
export const DEFAULT_ROBUSTNESS_DIR = 'ctscreen-robustness';

interface RobustnessFlags {
  out: string;
  perturbations?: string;
  seed: string;
  candidates?: string;
  classifier?: string;
  segmenter?: string;
  decision?: string;
  json?: boolean;
}

/** `ctscreen robustness <manifest.csv>`: every case as acquired and under simulated acquisition differences. */
export function registerRobustness(program: Command, io: CliIo): void {
  program
    .command('robustness')
    .description('screen every CT of a manifest as acquired and under simulated acquisition differences (noise, kernels, HU offset, IV contrast, resolution, thick slices, dependent density, a solid mass); prints which calls change')
    .argument('<manifest>', 'CSV manifest (rows path,label[,split], as for eval)')
    .option('--perturbations <ids>', `comma-separated, from ${PERTURBATIONS.map((p) => p.id).join(', ')} (default all)`)
    .option('--seed <n>', 'seed of the random perturbations', '1')
    .option('--out <dir>', 'robustness.json and robustness.txt go here', DEFAULT_ROBUSTNESS_DIR)
    .option('--candidates <generator>', `candidate regions: ${CANDIDATE_GENERATORS.join(' or ')} (default: learned when its model is present)`)
    .option('--classifier <id|path>', 'patch classifier (registry id or .onnx path)')
    .option('--segmenter <id|path>', 'candidate segmenter (registry id or .onnx path)')
    .option('--decision <mode>', `case decision: ${DECISION_MODES.join(' or ')} (default calibrated)`)
    .option('--json', 'print robustness.json instead of the tables')
    .action(async (manifestPath: string, flags: RobustnessFlags) => {
      const perturbations = (flags.perturbations?.split(',').map((s) => s.trim()).filter(Boolean) ?? PERTURBATIONS.map((p) => p.id)).map(perturbationById);
      const seed = parsePositiveIntFlag('seed', flags.seed)!;
      const candidates = parseCandidatesFlag(flags.candidates);
      const decision = parseDecisionFlag(flags.decision);
      const manifest = readManifest(manifestPath);
      checkManifestLabels(manifest, [...classifierCard(flags.classifier).classSpec.infectionLabels, NO_INFECTION_FOUND]);
      const screener = await openScreener({ classifier: flags.classifier, segmenter: flags.segmenter, candidates, decision });
      const progress = !flags.json && process.stderr.isTTY === true;
      const run = await runRobustness({
        manifest,
        screener,
        decision,
        perturbations,
        noInfectionLabel: NO_INFECTION_FOUND,
        seed,
        onRow: progress ? (r) => process.stderr.write(`${r.case} ${r.reading}: ${r.called}\n`) : undefined,
      });
      const out = resolve(flags.out);
      mkdirSync(out, { recursive: true });
      const json = `${JSON.stringify({ manifest: manifest.file, perturbations: perturbations.map((p) => ({ id: p.id, description: p.description })), ...run }, null, 1)}\n`;
      const text = formatRobustnessText(run, perturbations);
      writeFileSync(join(out, 'robustness.json'), json);
      writeFileSync(join(out, 'robustness.txt'), text);
      io.stdout(flags.json ? json : text);
    });
}
