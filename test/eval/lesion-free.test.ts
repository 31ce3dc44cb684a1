import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLesionFree, lesionFreeSummary, lesionMaskMl } from '../../src/eval/lesion-free.ts';

const side = (volumeMl: number | null, involvedPercent: number | null) => ({ volumeMl, involvedPercent }) as never;

test('lesionMaskMl: Σ lung volume × involved share, only when involvement came from the lesion mask', () => {
  // 2000 mL × 1.5 % + 1500 mL × 2 % = 30 + 30
  assert.equal(lesionMaskMl({ lung: { left: side(2000, 1.5), right: side(1500, 2), involvementFrom: 'lesion-mask' } as never }), 60);
  assert.equal(lesionMaskMl({ lung: { left: side(2000, 1.5), right: side(1500, 2), involvementFrom: 'candidate-regions' } as never }), null);
  assert.equal(lesionMaskMl({ lung: null } as never), null);
  // a lung without a volume adds nothing
  assert.equal(lesionMaskMl({ lung: { left: side(null, null), right: side(1000, 0.5), involvementFrom: 'lesion-mask' } as never }), 5);
});

test('lesionFreeSummary: medians over all and over held-out cases, against the targets', () => {
  const s = lesionFreeSummary([
    { id: 'a', trainingCase: true, regions: 31, infectionVotedRegions: 2, lesionMl: 16.9 },
    { id: 'b', trainingCase: true, regions: 10, infectionVotedRegions: 0, lesionMl: 7.1 },
    { id: 'c', trainingCase: false, regions: 2, infectionVotedRegions: 0, lesionMl: 1.5 },
  ]);
  assert.deepEqual(s.all, { cases: 3, regions: 10, infectionVotedRegions: 0, lesionMl: 7.1 });
  assert.deepEqual(s.heldOut, { cases: 1, regions: 2, infectionVotedRegions: 0, lesionMl: 1.5 });
  assert.deepEqual(s.targets, { regions: 5, lesionMl: 10 });
  const text = formatLesionFree(s);
  assert.match(text, /median, all \(3 CT\): 10 regions \(target MISSED\), 0 infection-voted, lesion mask 7\.1 mL \(target met\)/);
  assert.match(text, /median, held out \(1 CT\): 2 regions \(target met\)/);
  // an even count: the mean of the middle two
  assert.equal(lesionFreeSummary([{ id: 'x', trainingCase: false, regions: 1, infectionVotedRegions: 0, lesionMl: 2 }, { id: 'y', trainingCase: false, regions: 4, infectionVotedRegions: 1, lesionMl: null }]).all.regions, 2.5);
  assert.equal(lesionFreeSummary([]).all.regions, null);
});
