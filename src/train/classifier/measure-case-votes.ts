// `node --import tsx src/train/classifier/measure-case-votes.ts [--data DIR] [--modes learned,classical] CARD.json…`:
// the case-level check of train:classifier (regions voted per class, case decision) for given
// classifier cards and candidate generators, as JSON on stdout. Used to compare classifier versions.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { clearModelCache, loadModel, REPO_ROOT } from '../../models/load-model.ts';
import { SEGMENTER_MODEL_ID } from '../../candidates/learned.ts';
import type { CandidateGeneratorId } from '../../candidates/types.ts';
import { measureCaseVotes, voteCases } from './case-votes.ts';

const { values, positionals } = parseArgs({
  options: { data: { type: 'string', default: resolve(REPO_ROOT, '../shared/data') }, modes: { type: 'string', default: 'learned,classical' } },
  allowPositionals: true,
});
const modes = values.modes!.split(',').map((m) => m.trim()) as CandidateGeneratorId[];
for (const m of modes) if (m !== 'learned' && m !== 'classical') throw new Error(`--modes: '${m}' is not learned or classical`);
if (positionals.length === 0) throw new Error('usage: measure-case-votes.ts [--modes learned,classical] CARD.json…');
const classifiers = [];
for (const p of positionals) classifiers.push(await loadModel(resolve(p), { task: 'classifier' }));
const segmenter = modes.includes('learned') ? await loadModel(SEGMENTER_MODEL_ID, { task: 'segmenter' }) : undefined;
const votes = await measureCaseVotes({ cases: voteCases(values.data!), classifiers, modes, segmenter, log: (l) => process.stderr.write(`${l}\n`) });
await clearModelCache();
process.stdout.write(`${JSON.stringify(votes, null, 1)}\n`);
