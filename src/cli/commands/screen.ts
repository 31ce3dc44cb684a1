import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { CandidateGeneratorId } from '../../candidates/types.ts';
import { InputError } from '../../core/errors.ts';
import type { CaseReport } from '../../core/report-schema.ts';
import type { Vec3 } from '../../core/volume.ts';
import { DECISION_MODES } from '../../core/report-schema.ts';
import { runScreening as runPipelineScreening, type ScreeningRun } from '../../pipeline/run-screening.ts';
import type { DecisionMode } from '../../pipeline/stages.ts';
import type { ScreenProgressEvent } from '../../pipeline/screen.ts';
import { formatPercent } from '../../report/html-report.ts';
import { detectInputKind } from '../../io/read.ts';
import { CANDIDATE_GENERATORS, OUTPUT_TYPE_CHOICES, type OutputType } from '../../registry.ts';
import type { ScreeningOutputs } from '../../report/write-outputs.ts';
import { dicomOutputNeedsDicomInput } from '../../report/writers/dicom-output-error.ts';
import { addLimitFlags, limitsFromFlags, type LimitFlags } from '../flags.ts';
import type { CliIo } from '../main.ts';

export function parseCandidatesFlag(value: string | undefined): CandidateGeneratorId | undefined {
  if (value === undefined) return undefined;
  if (!(CANDIDATE_GENERATORS as readonly string[]).includes(value)) throw new InputError('CLI_FLAG', `--candidates '${value}' is not a candidate generator; expected one of ${CANDIDATE_GENERATORS.join(', ')}`);
  return value as CandidateGeneratorId;
}

export function parseDecisionFlag(value: string | undefined): DecisionMode | undefined {
  if (value === undefined) return undefined;
  if (!(DECISION_MODES as readonly string[]).includes(value)) throw new InputError('CLI_FLAG', `--decision '${value}' is not a decision mode; expected one of ${DECISION_MODES.join(', ')}`);
  return value as DecisionMode;
}

export function parsePositiveIntFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InputError('CLI_FLAG', `--${name} '${value}' must be a positive integer`);
  return Number(value);
}

/** `--output-type`: one or more (comma-separated) of the registry's output types, or 'all'. */
export function parseOutputTypeFlag(value: string | undefined): OutputType[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.includes('all')) return [...OUTPUT_TYPE_CHOICES];
  const bad = parts.filter((p) => !(OUTPUT_TYPE_CHOICES as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length > 0) throw new InputError('CLI_FLAG', `--output-type '${value}' is not an output type; expected one or more of ${OUTPUT_TYPE_CHOICES.join(', ')} (comma-separated), or all`);
  return [...new Set(parts)] as OutputType[];
}

/** DICOM outputs reference the source study: refused before screening for an input that has none. */
async function checkOutputTypes(input: string, types: OutputType[] | undefined, out: string | undefined): Promise<void> {
  if (!types) return;
  if (out === undefined) throw new InputError('CLI_FLAG', '--output-type needs --out <dir>: it chooses which files are written there');
  if (!types.includes('dicom')) return;
  const kind = await detectInputKind(input);
  if (!kind.startsWith('dicom')) throw dicomOutputNeedsDicomInput(kind === 'nifti' ? 'a NIfTI file' : '8-bit slice images', input);
}

function parseSpacing(value: string | undefined): Vec3 | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((v) => !(Number.isFinite(v) && v > 0))) throw new InputError('CLI_FLAG', `--spacing '${value}' must be three positive numbers of mm, x,y,z (e.g. 0.7,0.7,5)`);
  return [parts[0], parts[1], parts[2]];
}

/**
 * A progress bar per pipeline stage on a terminal (cli-progress), nothing otherwise. Stages report
 * only start and end, so each bar fills when its stage is done and shows the stage's time.
 */
export function stageProgress(enabled: boolean): { onProgress?: (e: ScreenProgressEvent) => void; stop: () => void } {
  if (!enabled) return { stop: () => {} };
  const multi = new cliProgress.MultiBar(
    { format: ' {stage} |{bar}| {status}', barsize: 20, hideCursor: true, clearOnComplete: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress: (e) => {
      const name = e.stage.padEnd(10);
      if (e.phase === 'start') bars.set(e.stage, multi.create(1, 0, { stage: name, status: '…' }));
      else bars.get(e.stage)?.update(1, { stage: name, status: `${(e.ms ?? 0).toFixed(0)} ms${e.detail ? `  ${e.detail}` : ''}` });
    },
    stop: () => multi.stop(),
  };
}

/** The short text summary printed after a screening. */
export function summaryText(report: CaseReport, outputs: ScreeningOutputs | null): string {
  const d = report.decision;
  const kept = report.regions.filter((r) => r.kept).length;
  const lines = [
    `Result: ${d.displayName}${d.confidence === null ? '' : ` (${d.mode === 'calibrated' ? 'probability' : 'confidence'} ${formatPercent(d.confidence)})`}`,
    ...(d.notScreenedReason ? [`Not screened: ${d.notScreenedReason}`] : []),
    ...(d.infectionProbability !== undefined ? [`Probability of an infection: ${formatPercent(d.infectionProbability)} (calibrated; infected at ≥ ${formatPercent(d.operatingPoint?.infectedAtOrAbove, 0)}, none below ${formatPercent(d.operatingPoint?.noInfectionBelow, 0)})`] : []),
    ...(report.paperDecision && d.mode === 'calibrated' ? [`Paper's rule (§2.6.2): ${report.paperDecision.displayName}${report.paperDecision.confidence === null ? '' : ` (${formatPercent(report.paperDecision.confidence)})`}`] : []),
    `Regions: ${report.regions.length} candidate(s), ${kept} voted an infection type${report.infections.filter((s) => s.regionCount > 0).map((s) => `; ${s.displayName}: ${s.regionCount} (Noisy-OR ${formatPercent(s.noisyOr)})`).join('')}`,
  ];
  for (const side of ['right', 'left'] as const) {
    const s = report.lung?.[side];
    if (s) lines.push(`${side === 'right' ? 'Right' : 'Left'} lung: ${s.volumeMl === null ? '—' : `${s.volumeMl.toFixed(0)} mL`}, involved ${s.involvedPercent === null ? '—' : `${s.involvedPercent.toFixed(1)} %`}`);
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  lines.push(`Time: ${((report.timingsMs.total ?? 0) / 1000).toFixed(1)} s`);
  if (outputs) {
    if (outputs.html) lines.push(`Report: ${outputs.html}`);
    lines.push(`JSON: ${outputs.json}`);
    if (outputs.candidateMask) lines.push(`Candidate mask: ${outputs.candidateMask}`);
    if (outputs.lesionMask) lines.push(`Lesion mask: ${outputs.lesionMask}`);
    if (outputs.dicom) lines.push(`DICOM: ${[outputs.dicom.seg, outputs.dicom.sr, ...outputs.dicom.sc].filter((p) => p !== null).join(', ')}`);
  }
  lines.push(report.notice);
  return `${lines.join('\n')}\n`;
}

interface ScreenFlags extends LimitFlags {
  out?: string;
  json?: boolean;
  candidates?: string;
  series?: string;
  classifier?: string;
  segmenter?: string;
  maxCandidates?: string;
  spacing?: string;
  decision?: string;
  outputType?: string;
}

/** Screens `input` with the flags' models; writes outputs when `outDir` is given. Shared by screen and demo. */
export async function runScreening(
  input: { path: string } | { volume: import('../../core/volume.ts').Volume },
  flags: Omit<ScreenFlags, 'json' | 'out'> & { outDir?: string; progress: boolean; extraWarnings?: string[] },
): Promise<ScreeningRun> {
  const progress = stageProgress(flags.progress);
  try {
    const screenInput = 'path' in input ? { path: input.path, read: { seriesUid: flags.series, spacingMm: parseSpacing(flags.spacing), limits: limitsFromFlags(flags) } } : input;
    return await runPipelineScreening(screenInput, {
      classifier: flags.classifier,
      segmenter: flags.segmenter,
      candidates: parseCandidatesFlag(flags.candidates),
      decision: parseDecisionFlag(flags.decision),
      maxCandidates: parsePositiveIntFlag('max-candidates', flags.maxCandidates),
      onProgress: progress.onProgress,
      extraWarnings: flags.extraWarnings,
      outDir: flags.outDir,
      outputTypes: parseOutputTypeFlag(flags.outputType),
    });
  } finally {
    progress.stop();
  }
}

/** `ctscreen screen <input>`: one CT → decision, report.json, report.html and the candidate mask. */
export function registerScreen(program: Command, io: CliIo): void {
  const command = program
    .command('screen')
    .description('screen one chest CT (DICOM folder/zip/file, NIfTI, or 8-bit slice images) and write the report')
    .argument('<input>', 'CT to screen')
    .option('--out <dir>', 'write report.json, report.html, candidates.nii.gz and lungs.nii.gz here')
    .option('--json', 'print the report (and output paths) as JSON; no progress bars')
    .option('--candidates <generator>', `candidate regions: ${CANDIDATE_GENERATORS.join(' or ')} (default: learned when its model is present)`)
    .option('--series <uid>', 'DICOM: SeriesInstanceUID to screen when the input holds several series')
    .option('--classifier <id|path>', 'patch classifier (registry id or .onnx path; default the registry\'s first)')
    .option('--segmenter <id|path>', 'candidate segmenter for learned candidates (registry id or .onnx path)')
    .option('--max-candidates <n>', 'classify at most this many candidate regions (largest first)')
    .option('--spacing <x,y,z>', '8-bit image stacks: voxel size in mm (their files carry none)')
    .option('--decision <mode>', `case decision: ${DECISION_MODES.join(' or ')} (default calibrated; paper = the rule of §2.6.2 exactly)`)
    .option('--output-type <types>', `with --out: ${OUTPUT_TYPE_CHOICES.join(', ')} or all, comma-separated (default nifti,html; report.json always; dicom needs a DICOM input)`);
  addLimitFlags(command)
    .action(async (input: string, flags: ScreenFlags) => {
      await checkOutputTypes(input, parseOutputTypeFlag(flags.outputType), flags.out);
      parseCandidatesFlag(flags.candidates);
      limitsFromFlags(flags);
      parsePositiveIntFlag('max-candidates', flags.maxCandidates);
      parseSpacing(flags.spacing);
      parseDecisionFlag(flags.decision);
      const r = await runScreening({ path: input }, { ...flags, outDir: flags.out, progress: !flags.json && process.stderr.isTTY === true });
      if (flags.json) io.stdout(`${JSON.stringify({ outputs: r.outputs, report: r.report }, null, 2)}\n`);
      else io.stdout(summaryText(r.report, r.outputs));
    });
}
