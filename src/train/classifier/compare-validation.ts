// `node --import tsx src/train/classifier/compare-validation.ts --dataset DIR CARD.json…`: validation
// tables of several classifier versions on ONE exported patch dataset, on the whole validation split
// and on the v2.1 subset (without the candidate patches of the TB volume that v2.2 added), so a
// retrained model is compared with its predecessor on the same patches (the card numbers are each
// measured on its own export).
import { parseArgs } from 'node:util';
import { loadModel, clearModelCache } from '../../models/load-model.ts';
import { readPatchDataset, type PatchDatasetIndex } from '../../dataset/patch-format.ts';
import { validationTables } from './validation-tables.ts';

/** Label sources that v2.2 added (TB candidates from both generators); v2.1's export had none. */
export const V22_ADDED_LABEL_SOURCES: ReadonlySet<string> = new Set(['tb-mask-candidate', 'off-mask-candidate']);

const { values, positionals } = parseArgs({ options: { dataset: { type: 'string' } }, allowPositionals: true });
if (!values.dataset || positionals.length === 0) throw new Error('usage: compare-validation.ts --dataset DIR CARD.json…');
const { index, data, split } = readPatchDataset(values.dataset);
// excluded samples get a group that is in neither split, so validationTables skips them
const subset: PatchDatasetIndex = { ...index, samples: index.samples.map((s) => (V22_ADDED_LABEL_SOURCES.has(s.labelSource) ? { ...s, group: '(excluded)' } : s)) };
const rows: Record<string, unknown> = {};
for (const card of positionals) {
  const model = await loadModel(card, { task: 'classifier' });
  for (const [name, idx] of [['all', index], ['v2.1-subset', subset]] as const) {
    const t = await validationTables({ index: idx, data, split, model });
    rows[`${model.card.id} ${model.card.version} ${name}`] = { patchCount: t.patch.count, patchAcc: +t.patch.accuracy.toFixed(4), patchMacroF1: +t.patch.macroF1.toFixed(4), patchConfusion: t.patch.matrix, regionCount: t.region.count, regionAcc: +t.region.accuracy.toFixed(4), regionMacroF1: +t.region.macroF1.toFixed(4), regionConfusion: t.region.matrix, perSource: t.perSourceAccuracy, ece: +t.expectedCalibrationError.toFixed(4) };
  }
  await clearModelCache();
}
process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
