/**
 * What screening finds on CT without infection (issue 9's targets, in `ctscreen eval`): per
 * lesion-free case the candidate regions, the infection-voted ones and the lesion-mask volume, and
 * their medians over all such cases and over those no model was trained on, against the targets
 * (≤ MAX_FALSE_POSITIVE_CANDIDATES regions and ≤ MAX_OFF_LESION_ML mL per lesion-free CT, median).
 * Every region and every lesion voxel on such a CT is a false positive.
 *
 *   lesionMaskMl(report): number | null         the lesion mask's volume (null: no mask was made)
 *   lesionFreeSummary(cases, label): LesionFreeSummary
 *   formatLesionFree(summary): string
 */
import type { CaseReport } from '../core/report-schema.ts';
import { MAX_FALSE_POSITIVE_CANDIDATES, MAX_OFF_LESION_ML, median } from './segmenter-evaluation.ts';

/** Volume of the lesion mask (lung voxels at the segmenter's lesion threshold), mL; null when involvement came from candidate regions. */
export function lesionMaskMl(report: Pick<CaseReport, 'lung'>): number | null {
  const lung = report.lung;
  if (!lung || lung.involvementFrom !== 'lesion-mask') return null;
  let ml = 0;
  for (const s of [lung.left, lung.right]) if (s && s.volumeMl !== null && s.involvedPercent !== null) ml += (s.volumeMl * s.involvedPercent) / 100;
  return ml;
}

export interface LesionFreeCase {
  id: string;
  trainingCase: boolean;
  regions: number;
  infectionVotedRegions: number;
  lesionMl: number | null;
}

export interface LesionFreeMedians {
  cases: number;
  regions: number | null;
  infectionVotedRegions: number | null;
  lesionMl: number | null;
}

export interface LesionFreeSummary {
  cases: LesionFreeCase[];
  all: LesionFreeMedians;
  heldOut: LesionFreeMedians;
  targets: { regions: number; lesionMl: number };
}

function medians(cases: readonly LesionFreeCase[]): LesionFreeMedians {
  const ml = cases.map((c) => c.lesionMl).filter((v): v is number => v !== null);
  return {
    cases: cases.length,
    regions: cases.length ? median(cases.map((c) => c.regions)) : null,
    infectionVotedRegions: cases.length ? median(cases.map((c) => c.infectionVotedRegions)) : null,
    lesionMl: ml.length ? median(ml) : null,
  };
}

export function lesionFreeSummary(cases: readonly LesionFreeCase[]): LesionFreeSummary {
  return { cases: [...cases], all: medians(cases), heldOut: medians(cases.filter((c) => !c.trainingCase)), targets: { regions: MAX_FALSE_POSITIVE_CANDIDATES, lesionMl: MAX_OFF_LESION_ML } };
}

export function formatLesionFree(s: LesionFreeSummary): string {
  const L: string[] = [];
  const ml = (v: number | null) => (v === null ? '—' : v.toFixed(1));
  const w = Math.max(4, ...s.cases.map((c) => c.id.length));
  L.push(`${'case'.padEnd(w)}  ${'regions'.padStart(7)}  ${'infection-voted'.padStart(15)}  ${'lesion mask mL'.padStart(14)}  set`);
  for (const c of s.cases) L.push(`${c.id.padEnd(w)}  ${String(c.regions).padStart(7)}  ${String(c.infectionVotedRegions).padStart(15)}  ${ml(c.lesionMl).padStart(14)}  ${c.trainingCase ? 'TRAINING case' : 'held out'}`);
  const line = (name: string, m: LesionFreeMedians) => {
    if (!m.cases) return `median, ${name}: no case`;
    const met = (v: number | null, t: number) => (v === null ? '' : v <= t ? ' (target met)' : ' (target MISSED)');
    return `median, ${name} (${m.cases} CT): ${m.regions} regions${met(m.regions, s.targets.regions)}, ${m.infectionVotedRegions} infection-voted, lesion mask ${ml(m.lesionMl)} mL${met(m.lesionMl, s.targets.lesionMl)}`;
  };
  L.push(line('all', s.all), line('held out', s.heldOut), `targets (issue 9): ≤ ${s.targets.regions} candidate regions and ≤ ${s.targets.lesionMl} mL of lesion per lesion-free CT, median; every region and lesion voxel on these CTs is a false positive`);
  return `${L.join('\n')}\n`;
}
