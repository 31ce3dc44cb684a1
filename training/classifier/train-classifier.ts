// `npm run train:classifier [-- --epochs N --data DIR --out DIR]`: shared data → patch export (TS) →
// M1 and M2 training (PyTorch) → temperature → ONNX → parity → validation tables → model cards.
// The logic lives in src/classify/{patch-dataset,train-classifier}.ts; this is the command shell.
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../../src/models/load-model.ts';
import { exportPatchDataset } from '../../src/classify/patch-dataset.ts';
import { trainClassifier, type CardExtras } from '../../src/classify/train-classifier.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(REPO_ROOT, '../shared/data') },
    out: { type: 'string', default: join(REPO_ROOT, 'models') },
    work: { type: 'string', default: join(REPO_ROOT, 'training/work/classifier') },
    epochs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '20200219' },
  },
});
const seed = Number(values.seed);
const t0 = Date.now();
const datasetDir = join(values.work!, 'dataset');
const exp = await exportPatchDataset({ dataDir: values.data!, outDir: datasetDir, seed });
process.stderr.write(`train:classifier: ${exp.count} patches exported in ${exp.seconds.toFixed(0)} s\n`);
const counts = (source: string) => exp.fingerprint.perSource[source] ?? {};
const extras: CardExtras = {
  data: [
    { source: 'infnet-semiseg (COVID-SemiSeg)', licence: 'non-commercial use only', use: 'covid19 patches from doctor masks (50 MedSeg slices) and model-made pseudo masks (20 COVID-19-CT-Seg volumes, 10 slices each); irrelevant lung boxes away from the masks', counts: counts('infnet-semiseg') },
    { source: 'covid-ct-md (COVID-CT-MD sample)', licence: 'public for research (no licence file); treated as non-commercial', use: 'P001 covid19 and cap001 other_pneumonia candidates on infected slices (slice labels); irrelevant candidates on uninfected slices and normal001', counts: counts('covid-ct-md') },
    { source: 'tb-lesions (BTBDB subportal)', licence: 'Apache-2.0', use: 'other_pneumonia from tuberculosis lesion masks; irrelevant lung boxes away from them', counts: counts('tb-lesions') },
    { source: 'radiopaedia-covid', licence: 'CC BY-NC-SA 3.0', use: 'not used for patches (case-level labels only, no lesion location)' },
  ],
  limitations: [
    'Community-acquired pneumonia comes from ONE patient (COVID-CT-MD cap001), kept in training; validation has no CAP patient, so other_pneumonia is validated on one tuberculosis volume only.',
    'No public Influenza-A CT was found: other_pneumonia (CAP + TB) stands in for the paper\'s Influenza-A class.',
    'COVID-19 training patches are mostly 8-bit COVID-SemiSeg slices (pseudo-HU, unknown pixel size, model-made masks); other_pneumonia is all HU (DICOM / NIfTI). Quantising every patch to 8-bit lung-window steps reduces, but cannot remove, a source shortcut; per-source accuracy is reported.',
    'COVID-CT-MD labels are per slice, not per lesion: candidates on infected slices are labelled infected although some are vessels or normal lung.',
    'Lung masks and candidates in the export are provisional (src/classify/lung-adapter.ts, provisionalCandidates) until the lung and candidate stages land.',
    'Validation is small (7 patient groups) and the temperature is fitted on the same split the tables report, so the calibration numbers are optimistic.',
  ],
};
const res = await trainClassifier({ datasetDir, outDir: values.out!, workDir: values.work!, epochs: Number(values.epochs), seed, cardExtras: extras });
for (const v of res.variants) {
  process.stdout.write(`${v.card.id}: patch acc ${v.tables.patch.accuracy.toFixed(3)} macro-F1 ${v.tables.patch.macroF1.toFixed(3)}; region acc ${v.tables.region.accuracy.toFixed(3)} (${v.tables.region.count}); parity ${v.parityMaxAbsDiff.toExponential(2)}; T ${v.card.temperature.toFixed(3)}\n`);
}
process.stdout.write(`train:classifier: total ${((Date.now() - t0) / 60000).toFixed(1)} min → ${values.out}\n`);
