// `npm run train:classifier [-- --epochs N --data DIR --out DIR]`: shared data → patch export (TS) →
// M1 and M2 training (PyTorch) → temperature → ONNX → parity → validation tables → case-level
// region votes on whole CTs (screened as `ctscreen screen` does) → model cards.
// The logic lives in src/dataset/patches.ts and src/train/classifier/train-classifier.ts; this is the command shell.
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { clearModelCache, loadModel, REPO_ROOT } from '../../models/load-model.ts';
import { exportPatchDataset } from '../../dataset/patches.ts';
import { loadLearnedGenerator, SEGMENTER_MODEL_ID } from '../../candidates/learned.ts';
import type { CandidateGeneratorId } from '../../candidates/types.ts';
import { writeModelCard } from '../model-files.ts';
import { checkTrainingDeterminism, trainClassifier, type CardExtras, type DeterminismResult } from './train-classifier.ts';
import { caseVoteLimitations, measureCaseVotes, voteCases } from './case-votes.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(REPO_ROOT, '../shared/data') },
    out: { type: 'string', default: join(REPO_ROOT, 'models') },
    work: { type: 'string', default: join(REPO_ROOT, 'training/work/classifier') },
    epochs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '20200219' },
    // candidate cubes per class and TB volume (0 = mask-component cubes only, as v2.1)
    'tb-candidates': { type: 'string' },
    variants: { type: 'string', default: 'm1,m2' },
    // candidate generators of the case-level check (v3: learned only, screening's default; 'learned,classical' for both)
    'vote-modes': { type: 'string', default: 'learned' },
    // issue 9 §6: two short runs of M2 with this many steps must give byte-identical ONNX files (0 = skip)
    'determinism-steps': { type: 'string', default: '6' },
  },
});
const seed = Number(values.seed);
const t0 = Date.now();
const datasetDir = join(values.work!, 'dataset');
// both generators screening offers (v2.2): the classifier must see the candidates it will be used on
const learned = await loadLearnedGenerator(SEGMENTER_MODEL_ID, { intraOpThreads: 1 });
const limits = values['tb-candidates'] === undefined ? {} : { tbCandidatesPerClass: Number(values['tb-candidates']) };
const exp = await exportPatchDataset({ dataDir: values.data!, outDir: datasetDir, seed, learned, limits });
process.stderr.write(`train:classifier: ${exp.count} patches exported in ${exp.seconds.toFixed(0)} s\n`);
const counts = (source: string) => exp.fingerprint.perSource[source] ?? {};
const extras: CardExtras = {
  data: [
    { source: 'infnet-semiseg (COVID-SemiSeg)', licence: 'non-commercial use only', use: 'covid19 patches from model-made pseudo masks (COVID-19-CT-Seg volumes, 10 slices each; 14 patients train, coronacases 008/009 and Radiopaedia 14/27 validation) and doctor masks (50 MedSeg slices, ALL IN VALIDATION in v3, shared with the segmenter); irrelevant lung boxes away from the masks', counts: counts('infnet-semiseg') },
    { source: 'covid-ct-md (COVID-CT-MD sample)', licence: 'public for research (no licence file); treated as non-commercial', use: 'ALL IN TRAINING: P001 covid19 and cap001 other_pneumonia candidate sub-cubes (learned segmenter v8 + classical) on infected slices (slice labels); irrelevant sub-cubes (screening\'s own candidates) on uninfected slices and all of normal001; v5: each volume also as its thick-slice reconstruction (means of 2 slices, 4 mm), mined the same way; v6: normal001 also with simulated supine dependent density (src/dataset/dependent-density.ts), its candidates irrelevant; v7: normal001 also with simulated emphysema (src/dataset/emphysema.ts, drawEmphysema), its candidates irrelevant; v8: normal001 also 3 times with 2–4 simulated solid masses (src/dataset/solid-mass.ts, drawSolidMasses; tumour stand-ins), each mass box and the candidates within 15 mm of a mass irrelevant', counts: counts('covid-ct-md') },
    { source: 'lidc-idri (LIDC-IDRI slabs)', licence: 'CC BY 3.0 (TCIA)', use: 'v3 hard negatives: every candidate sub-cube screening finds (segmenter v8 + classical; nodules included) is irrelevant, plus lung boxes, on the slabs as acquired and as 5 mm reconstructions (v5) and LIDC-IDRI-0001 with simulated supine dependent density (v6) and with simulated emphysema (v7) and 3 times with simulated solid masses (v8: each mass box and the candidates near it); LIDC-IDRI-0001 training, LIDC-IDRI-0002 validation', counts: counts('lidc-idri') },
    { source: 'tb-lesions (BTBDB subportal)', licence: 'Apache-2.0', use: `other_pneumonia from tuberculosis lesion masks; irrelevant lung boxes away from them${limits.tbCandidatesPerClass ? '; candidates (learned + classical) on / off the masks' : ''}; tb 001/002 training, tb 003 validation`, counts: counts('tb-lesions') },
    { source: 'ricord-1a (MIDRC-RICORD-1a)', licence: 'CC BY-NC 4.0 (TCIA): non-commercial', use: 'not used for patches (no lesion location): held-out COVID-19 CT from another site and scanner, screened whole as the image-source shortcut check (caseVotes)' },
    { source: 'radiopaedia-covid', licence: 'CC BY-NC-SA 3.0', use: 'not used for patches (case-level labels only, no lesion location); screened whole as a case-level check (caseVotes)' },
  ],
  limitations: [
    'Data licences: CC BY-NC-SA 3.0 (Radiopaedia), CC BY-NC 4.0 (RICORD), COVID-SemiSeg non-commercial, COVID-CT-MD research use: the weights are for non-commercial research only. Not a diagnostic device.',
    'NO COVID-CT-MD PATIENT IS IN VALIDATION. COVID-CT-MD has exactly one DICOM patient per class (P001 COVID-19, cap001 CAP, normal001 normal) and all three are in training (v1 kept P001 in validation and measured the source shortcut, below). Validation patients (never trained on): COVID-19 on 8-bit COVID-SemiSeg (4 COVID-19-CT-Seg patients + the 50 MedSeg expert slices), other pneumonia on one TB volume, irrelevant on those plus LIDC-IDRI-0002 (HU, GE); whole-CT checks on RICORD 419639-001012 (HU COVID-19, another scanner), LIDC-IDRI-0002 and the 5 Radiopaedia stacks (caseVotes). caseVotes on P001, cap001, normal001 and LIDC-IDRI-0001 are TRAINING cases.',
    'Evidence of the source shortcut (classifier v1.0.0, measured): trained with every COVID-19 patch from 8-bit images and the only CAP patient (cap001) in DICOM, with P001 in validation, M2 called 85 of 100 P001 COVID-19 regions other_pneumonia (region confusion rows covid19/other/irrelevant: [[1,85,14],[0,19,13],[0,8,68]]) while 8-bit COVID-SemiSeg regions scored 0.97: it had learned the image source, not the disease.',
    'Community-acquired pneumonia comes from ONE patient (COVID-CT-MD cap001), kept in training; validation has no CAP patient, so other_pneumonia is validated on one tuberculosis volume only.',
    'No public Influenza-A CT was found: other_pneumonia (CAP + TB) stands in for the paper\'s Influenza-A class.',
    'Against the shortcut the training draws each class\'s sources equally often and augments intensity (window/level, gamma, noise, blur, re-quantisation); with one DICOM patient per class this reduces, but cannot rule out, patient- or source-specific cues. Real further DICOM cases (COVID, CAP, normal) are the test that matters.',
    'COVID-CT-MD labels are per slice, not per lesion: candidate sub-cubes on infected slices are labelled infected although some are vessels, atelectasis or normal lung.',
    'COVID-SemiSeg slices are body-cropped 8-bit images on which extractLungs finds no lungs; their irrelevant boxes use a per-slice lung mask (src/dataset/image-slice-lungs.ts). The CT volumes use screening\'s own lungs and candidates (extractLungs; learned segmenter v8 AND classical generator, each + splitLargeCandidates, merged without near-duplicates).',
    'Validation is small and the temperature is fitted on the same split the tables report, so the calibration numbers are optimistic.',
  ],
};
let determinism: DeterminismResult | null = null;
if (Number(values['determinism-steps']) > 0) {
  determinism = await checkTrainingDeterminism({ datasetDir, workDir: values.work!, variant: 'm2', steps: Number(values['determinism-steps']), seed });
  process.stderr.write(`train:classifier: determinism check (${determinism.steps} steps of m2 twice, ${determinism.threads} thread): ${determinism.identical ? 'identical ONNX files' : 'DIFFERENT ONNX files'}\n`);
  extras.limitations.push(determinism.identical
    ? `Run-to-run (measured): two ${determinism.steps}-step M2 trainings from the same data, seed and thread count (${determinism.threads}) gave byte-identical ONNX files (sha256 ${determinism.sha256[0].slice(0, 12)}…): training is bit-reproducible on this machine kind (torch.use_deterministic_algorithms, seeded generators), so on it the M1/M2 difference is not code noise; it is still ONE seed, and across seeds or machines the weights differ (issue 9 measured 0.726 vs 0.687 M1 patch macro-F1 between two machines for v2.2).`
    : `Run-to-run (measured): two ${determinism.steps}-step M2 trainings from the same data and seed gave DIFFERENT ONNX files: the training is not bit-reproducible here, and an M1/M2 difference smaller than the run-to-run spread (issue 9: M1 patch macro-F1 0.726 vs 0.687 between runs of v2.2) is not a finding.`);
}
const res = await trainClassifier({ datasetDir, outDir: values.out!, workDir: values.work!, epochs: Number(values.epochs), seed, cardExtras: extras, variants: values.variants!.split(',') as Array<'m1' | 'm2'> });
for (const v of res.variants) {
  process.stdout.write(`${v.card.id}: patch acc ${v.tables.patch.accuracy.toFixed(3)} macro-F1 ${v.tables.patch.macroF1.toFixed(3)}; region acc ${v.tables.region.accuracy.toFixed(3)} (${v.tables.region.count}); parity ${v.parityMaxAbsDiff.toExponential(2)}; T ${v.card.temperature.toFixed(3)}\n`);
}
// Case-level check on whole CTs, screened as `ctscreen screen` does, with both models.
const classifiers = [];
for (const v of res.variants) classifiers.push(await loadModel(v.cardPath, { task: 'classifier' }));
const modes = values['vote-modes']!.split(',') as CandidateGeneratorId[];
const caseVotes = await measureCaseVotes({ cases: voteCases(values.data!), classifiers, modes, segmenter: await loadModel(SEGMENTER_MODEL_ID, { task: 'segmenter' }), log: (l) => process.stderr.write(`${l}\n`) });
await clearModelCache();
writeFileSync(join(values.out!, 'classifier-case-votes.json'), `${JSON.stringify({ note: 'Regions voted per class per case, screened as ctscreen screen does, per model and candidate generator (key model@learned / model@classical; candidates split into ≤ 50 mm sub-cubes). COVID-CT-MD cases and LIDC-IDRI-0001 are TRAINING cases; LIDC-IDRI-0002, RICORD and the Radiopaedia stacks were never trained on.', cases: caseVotes }, null, 2)}\n`);
for (const v of res.variants) {
  const perCase = Object.fromEntries(caseVotes.map((c) => [c.id, { truth: c.truth, trainedOn: c.trainedOn, ...Object.fromEntries(modes.map((m) => [m, c.byModel[`${v.card.id}@${m}`]])) }]));
  writeModelCard({ ...v.card, metrics: { ...v.card.metrics, caseVotes: perCase }, limitations: [...v.card.limitations, ...modes.flatMap((m) => caseVoteLimitations(caseVotes, `${v.card.id}@${m}`))] }, values.out!);
}
process.stdout.write(`train:classifier: total ${((Date.now() - t0) / 60000).toFixed(1)} min → ${values.out}\n`);
