/**
 * Case-level sanity check of a trained classifier on whole CTs, screened exactly as `ctscreen
 * screen` does (read → lungs → learned or classical candidates → ≤ 50 mm sub-cubes → patches → vote): how many
 * regions each class wins per case, and the case decision. Used by `npm run train:classifier` to
 * show that the v1 source shortcut (COVID-19 on DICOM called other pneumonia) is gone, on the
 * COVID-CT-MD volumes and LIDC-IDRI-0001 (training cases: their patches were trained on), and
 * LIDC-IDRI-0002, RICORD 419639-001012 and the Radiopaedia stacks (never trained on).
 *
 *   measureCaseVotes(options): Promise<CaseVotes[]>
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { readdirSync, existsSync } from 'node:fs';
import { readVolume } from '../../io/read.ts';
import type { PatchModel } from '../../classify/classify-patches.ts';
import type { CandidateGeneratorId } from '../../candidates/types.ts';
import type { LoadedModel } from '../../models/load-model.ts';
import type { SegmenterCard } from '../../models/model-card.ts';
import { screenCase } from '../../pipeline/screen.ts';

export interface VoteCase {
  id: string;
  path: string;
  /** Known diagnosis of the case (a class label). */
  truth: string;
  /** Whether its patches were in the classifier's training split. */
  trainedOn: boolean;
}

export interface CaseVotes {
  id: string;
  truth: string;
  trainedOn: boolean;
  /** Per `modelId@generator`: regions voted each class, and the case decision. */
  byModel: Record<string, { votes: Record<string, number>; regions: number; decision: string }>;
  seconds: number;
}

/** The whole-CT cases of ../shared/data with a known diagnosis (paths only). */
export function voteCases(dataDir: string): VoteCase[] {
  const out: VoteCase[] = [];
  const ctmd = join(dataDir, 'covid-ct-md');
  for (const [id, truth] of [['P001', 'covid19'], ['cap001', 'other_pneumonia'], ['normal001', 'irrelevant']] as const) {
    if (existsSync(join(ctmd, id))) out.push({ id: `covid-ct-md/${id}`, path: join(ctmd, id), truth, trainedOn: true });
  }
  for (const [rel, truth, trainedOn] of [['lidc-idri/LIDC-IDRI-0001', 'irrelevant', true], ['lidc-idri/LIDC-IDRI-0002', 'irrelevant', false], ['ricord-1a/419639-001012', 'covid19', false]] as const) {
    if (existsSync(join(dataDir, rel))) out.push({ id: rel, path: join(dataDir, rel), truth, trainedOn });
  }
  const rp = join(dataDir, 'radiopaedia-covid');
  if (existsSync(rp)) {
    for (const id of readdirSync(rp).sort()) out.push({ id: `radiopaedia-covid/${id}`, path: join(rp, id), truth: 'covid19', trainedOn: false });
  }
  return out;
}

export async function measureCaseVotes(options: { cases: readonly VoteCase[]; classifiers: readonly PatchModel[]; modes?: readonly CandidateGeneratorId[]; segmenter?: LoadedModel<SegmenterCard>; log?: (l: string) => void }): Promise<CaseVotes[]> {
  const modes = options.modes ?? ['classical'];
  const out: CaseVotes[] = [];
  for (const c of options.cases) {
    const t0 = performance.now();
    const volume = await readVolume(c.path);
    const byModel: CaseVotes['byModel'] = {};
    for (const classifier of options.classifiers) for (const mode of modes) {
      const { report } = await screenCase({ volume }, { models: { classifier, segmenter: options.segmenter }, candidates: mode });
      const votes: Record<string, number> = Object.fromEntries(report.classes.labels.map((l) => [l, 0]));
      for (const r of report.regions) votes[r.vote.label] = (votes[r.vote.label] ?? 0) + 1;
      byModel[`${classifier.card.id}@${mode}`] = { votes, regions: report.regions.length, decision: report.decision.label };
    }
    const seconds = (performance.now() - t0) / 1000;
    out.push({ id: c.id, truth: c.truth, trainedOn: c.trainedOn, byModel, seconds });
    options.log?.(`case votes ${c.id} (${c.truth}${c.trainedOn ? ', training case' : ''}): ${Object.entries(byModel).map(([m, v]) => `${m} ${JSON.stringify(v.votes)} → ${v.decision}`).join('; ')}`);
  }
  return out;
}

/** One limitation line per case whose decision is wrong for a model, for the model card. */
export function caseVoteLimitations(cases: readonly CaseVotes[], modelId: string): string[] {
  const out: string[] = [];
  for (const c of cases) {
    const r = c.byModel[modelId];
    if (!r || r.decision === c.truth) continue;
    out.push(`Case-level check (measured): ${c.id} (${c.truth}${c.trainedOn ? ', a TRAINING case' : ', never trained on'}) was decided ${r.decision}; regions voted ${Object.entries(r.votes).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  }
  return out;
}
