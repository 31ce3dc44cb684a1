// Per-region outputs of screening on every case of a manifest, for calibrating the case decision
// (issue 9 §5): for each region its vote, the patch softmax vectors, volume and whether it lies on a
// true lesion where the data say so. One JSON per case plus a summary, written outside git.
//
//   node --import tsx src/train/classifier/region-dump.ts [--manifest eval/shared-data-manifest.csv] [--out /work/region-dump] [--classifier ID]
//
// Truth per region ("onLesion"):
//   tb-lesions        the voxel mask: true when a candidate voxel of the region is on it
//   covid-ct-md P001 / cap001   slice labels (labels.csv): true when a patch slice is labelled infected
//                     (slice level: a region on an infected slice need not be the lesion)
//   lesion-free cases (label no_infection_found)   false
//   otherwise (Radiopaedia, RICORD: no lesion location)   null
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { covidCtMdSliceLabels } from '../../dataset/segmentation.ts';
import { readManifest } from '../../eval/manifest.ts';
import { readTrainingSplits, splitMembership } from '../../eval/training-split.ts';
import { readNifti } from '../../io/nifti.ts';
import { readVolume } from '../../io/read.ts';
import { clearModelCache, REPO_ROOT } from '../../models/load-model.ts';
import { loadScreeningModels } from '../../pipeline/load-models.ts';
import { screenCase } from '../../pipeline/screen.ts';

const { values: a } = parseArgs({ options: { manifest: { type: 'string', default: join(REPO_ROOT, 'eval/shared-data-manifest.csv') }, out: { type: 'string', default: '/work/region-dump' }, classifier: { type: 'string' } } });
const manifest = readManifest(resolve(a.manifest!));
const out = resolve(a.out!);
mkdirSync(out, { recursive: true });
const loaded = await loadScreeningModels({ classifier: a.classifier, candidates: 'learned' });
const splits = readTrainingSplits(join(REPO_ROOT, 'models'));
const summary: unknown[] = [];
for (const c of manifest.cases) {
  const t0 = performance.now();
  const volume = await readVolume(c.path);
  const { report, artifacts } = await screenCase({ volume }, { models: loaded.models, candidates: loaded.candidates });
  const [nx, ny] = volume.dims;
  // truth per region
  let onLesion: (k: number) => boolean | null = () => null;
  let truthSource: string | null = null;
  if (c.label === 'no_infection_found') {
    onLesion = () => false;
    truthSource = 'lesion-free case';
  } else if (c.path.includes('tb-lesions') && existsSync(c.path.replace(/\.nii\.gz$/, '-msk.nii.gz'))) {
    const m = (await readNifti(c.path.replace(/\.nii\.gz$/, '-msk.nii.gz'))).data;
    const labels = artifacts.candidateLabels;
    onLesion = (k) => {
      if (!labels) return false;
      const r = artifacts.regions[k];
      const b = r.box;
      for (let z = b.min[2]; z <= b.max[2]; z++) for (let y = b.min[1]; y <= b.max[1]; y++) for (let x = b.min[0]; x <= b.max[0]; x++) {
        const i = x + nx * (y + ny * z);
        if (labels[i] === r.labelValue && m[i] > 0.5) return true;
      }
      return false;
    };
    truthSource = 'voxel mask (tb-lesions *-msk.nii.gz)';
  } else if (/covid-ct-md[\\/](P001|cap001)/.test(c.path)) {
    const caseId = basename(c.path);
    const { infected } = await covidCtMdSliceLabels(dirname(dirname(c.path)), caseId, volume);
    onLesion = (k) => report.regions[k].patches.some((p) => infected[p.sliceIndex]);
    truthSource = 'slice labels (covid-ct-md labels.csv): a patch slice labelled infected';
  }
  const regions = report.regions.map((r, k) => ({
    id: r.id,
    votedLabel: r.vote.label,
    confidence: r.vote.confidence,
    voteRule: r.vote.rule,
    kept: r.kept,
    patchSoftmax: r.patches.map((p) => ({ slice: p.sliceIndex, probabilities: p.probabilities, distanceFromEdge: p.distanceFromEdge })),
    volumeMl: r.volumeMl,
    boxVoxels: r.boxVoxels,
    sizeMm: r.sizeMm,
    onLesion: onLesion(k),
  }));
  const infectionVoted = regions.filter((r) => r.kept);
  const caseOut = {
    case: c.id,
    label: c.label,
    splits: splitMembership(c.path, splits).map((m) => `${m.file}: ${m.split}`),
    truthSource,
    models: report.models,
    decision: report.decision,
    candidates: regions.length,
    infectionVotedRegions: infectionVoted.length,
    maxInfectionVotedConfidence: infectionVoted.length ? Math.max(...infectionVoted.map((r) => r.confidence)) : null,
    regions,
    seconds: (performance.now() - t0) / 1000,
  };
  writeFileSync(join(out, `${c.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`), `${JSON.stringify(caseOut, null, 1)}\n`);
  const { regions: _r, models: _m, ...head } = caseOut;
  summary.push(head);
  process.stderr.write(`region dump ${c.id}: ${regions.length} regions, ${infectionVoted.length} infection-voted, max ${caseOut.maxInfectionVotedConfidence?.toFixed(3) ?? '—'} → ${report.decision.label} (${caseOut.seconds.toFixed(1)} s)\n`);
}
writeFileSync(join(out, 'summary.json'), `${JSON.stringify({ manifest: manifest.file, classifier: loaded.models.classifier.card.id, segmenter: loaded.models.segmenter?.card.id ?? null, cases: summary }, null, 1)}\n`);
await clearModelCache();
