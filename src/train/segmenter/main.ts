// `npm run train:candidates [-- --data DIR --work DIR --epochs N --seed N --models DIR --no-emphysema-negatives]`: shared data →
// models/candidates-segmenter.{onnx,card.json,md} + metrics + split, the same shape as
// `npm run train:classifier`: dataset export (TypeScript) → PyTorch (training/segmenter/, resumes
// from its checkpoint) → ONNX → parity, thresholds, candidate recall, card (./finalize.ts).
// Every step leaves an inspectable file under the work folder (STYLE §6).
// The environment variables DATA, WORK and EPOCHS still work (the flags win).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_VALIDATION_GROUPS, exportSegmentationDataset, SEGMENTER_TILE_SIZE } from '../../dataset/segmentation.ts';
import { REPO_ROOT } from '../../models/load-model.ts';
import { runPython } from '../model-files.ts';
import { finalizeSegmenter } from './finalize.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.DATA ?? '../shared/data' },
    work: { type: 'string', default: process.env.WORK ?? 'training/work' },
    epochs: { type: 'string', default: process.env.EPOCHS ?? '96' },
    // the network's seed (weights, crops, augmentation; train.py --seed): other seeds measure the
    // run-to-run spread; the dataset export and its split do not depend on it
    seed: { type: 'string', default: '1' },
    models: { type: 'string', default: 'models' },
    // the emphysema negatives (ExportSegmentationOptions.emphysemaNegatives): tried at 24 epochs for segmenter
    // 6.0.0 and not adopted (it cost sensitivity); with 96 epochs segmenter 8.0.0, the default since;
    // --no-emphysema-negatives reproduces 7.0.0
    'emphysema-negatives': { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const at = (p: string) => resolve(REPO_ROOT, p);
const data = at(values.data!);
const work = at(values.work!);
const dataset = join(work, 'segmentation-dataset');
const segWork = join(work, 'segmenter');
const log = (l: string) => process.stderr.write(`${l}\n`);
if (!existsSync(join(data, 'infnet-semiseg'))) {
  log(`train:candidates: ${join(data, 'infnet-semiseg')} not found; set --data (or DATA) to the shared data folder`);
  process.exit(2);
}
log('[1/4] dataset export (TypeScript preprocessing)');
// the defaults of `ctscreen dataset segmentation` (tile size, held-out patients, split seed 1)
let last = 0;
const summary = await exportSegmentationDataset({
  dataDir: data,
  outDir: dataset,
  tileSize: SEGMENTER_TILE_SIZE,
  validationGroups: DEFAULT_VALIDATION_GROUPS,
  seed: 1,
  emphysemaNegatives: values['emphysema-negatives'],
  onProgress: (done, total) => {
    if (done === total || done - last >= 200) {
      last = done;
      log(`segmentation dataset: ${done}/${total} slices`);
    }
  },
});
log(JSON.stringify(summary));
log(`[2/4] training (PyTorch, 1 thread; resumes from ${join(segWork, 'checkpoint.pt')})`);
await runPython(['training/segmenter/train.py', '--data', dataset, '--out', segWork, '--epochs', values.epochs!, '--seed', values.seed!], { log, what: 'training/segmenter/train.py' });
log('[3/4] ONNX export + PyTorch reference outputs');
await runPython(['training/segmenter/export_onnx.py', '--data', dataset, '--work', segWork, '--out', join(segWork, 'candidates-segmenter.onnx')], { log, what: 'training/segmenter/export_onnx.py' });
log('[4/4] parity, threshold, candidate recall, model card (TypeScript)');
const r = await finalizeSegmenter({ dataDir: data, datasetDir: dataset, workDir: segWork, modelsDir: at(values.models!), log, emphysemaNegatives: values['emphysema-negatives'] });
console.log(JSON.stringify({ parity: r.parityMaxAbsDiff, threshold: r.threshold, recall: r.recall }, null, 1));
