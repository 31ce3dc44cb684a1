// Property tests (fast-check) for the decision math of paper §2.6: Noisy-OR (eq. 1), the export
// rules and the region vote, over any inputs rather than the hand-computed cases in test/decide.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ClassSpec } from '../../src/core/classes.ts';
import { decideCase, NO_INFECTION_FOUND, noisyOr } from '../../src/decide/noisy-or.ts';
import type { PatchPrediction, VotedRegion } from '../../src/decide/types.ts';
import { voteRegion } from '../../src/decide/vote.ts';

const spec: ClassSpec = { labels: ['covid19', 'other_pneumonia', 'irrelevant'], infectionLabels: ['covid19', 'other_pneumonia'], irrelevantLabel: 'irrelevant' };
const SEED = 10;
const runs = { seed: SEED, numRuns: 300 };

const probability = fc.double({ min: 0, max: 1, noNaN: true });
const probabilities = fc.array(probability, { maxLength: 40 });
/** Ulp-scale slack: results are compared across different orders of float operations. */
const EPS = 1e-12;

function product(ps: readonly number[]): number {
  return ps.reduce((acc, p) => acc * (1 - p), 1);
}

test('Noisy-OR equals 1 − ∏(1 − p), lies in [max p, 1], and is 0 exactly for no evidence', () => {
  fc.assert(
    fc.property(probabilities, (ps) => {
      const p = noisyOr(ps);
      assert.ok(Math.abs(p - (1 - product(ps))) <= EPS, `${p} vs ${1 - product(ps)}`);
      assert.ok(p >= 0 && p <= 1);
      assert.ok(p >= Math.max(0, ...ps) - EPS, `${p} < max ${Math.max(...ps)}`);
      if (ps.every((x) => x === 0)) assert.ok(Object.is(p, 0));
    }),
    runs,
  );
});

test('Noisy-OR is permutation invariant, monotone in each input, and unchanged by a zero', () => {
  fc.assert(
    fc.property(fc.array(probability, { minLength: 1, maxLength: 30 }), fc.nat(), probability, fc.nat(), (ps, i, raise, seed) => {
      const shuffled = [...ps].sort((a, b) => ((a * 7919 + seed) % 1) - ((b * 7919 + seed) % 1));
      assert.ok(Math.abs(noisyOr(shuffled) - noisyOr(ps)) <= EPS);
      const k = i % ps.length;
      const higher = [...ps];
      higher[k] = ps[k] + (1 - ps[k]) * raise;
      assert.ok(noisyOr(higher) >= noisyOr(ps) - EPS, `raising input ${k} lowered Noisy-OR`);
      assert.equal(noisyOr([...ps, 0]), noisyOr(ps));
    }),
    runs,
  );
});

test('Noisy-OR refuses anything that is not a probability', () => {
  fc.assert(
    fc.property(fc.oneof(fc.double({ min: 1, max: 1e300, minExcluded: true }), fc.double({ min: -1e300, max: -1e-300 }), fc.constant(Number.NaN)), (bad) => {
      assert.throws(() => noisyOr([0.5, bad]), RangeError);
    }),
    runs,
  );
});

const region = fc.record({ label: fc.constantFrom(...spec.labels), confidence: probability });

test('case decision: probabilities stay in [0, 1], the decision is the type with the largest Noisy-OR, softmax confidences sum to 1', () => {
  fc.assert(
    fc.property(fc.array(region, { maxLength: 30 }), (regions) => {
      const d = decideCase(regions, spec);
      for (const s of d.scores) {
        assert.ok(s.noisyOr >= 0 && s.noisyOr <= 1 && s.exportedConfidence >= 0 && s.exportedConfidence <= 1);
        const own = regions.filter((r) => r.label === s.label).map((r) => r.confidence);
        assert.equal(s.regionCount, own.length);
        assert.ok(Math.abs(s.noisyOr - noisyOr(own)) <= EPS);
      }
      assert.equal(d.keptRegionCount + d.droppedRegionCount, regions.length);
      const nonZero = d.scores.filter((s) => s.noisyOr > 0);
      if (nonZero.length === 0) {
        assert.equal(d.label, NO_INFECTION_FOUND);
        assert.equal(d.confidence, null);
        return;
      }
      assert.ok(d.confidence !== null && d.confidence >= 0 && d.confidence <= 1);
      const best = Math.max(...d.scores.map((s) => s.noisyOr));
      assert.equal(d.scores.find((s) => s.label === d.label)!.noisyOr, best);
      if (d.rule === 'softmax') assert.ok(Math.abs(nonZero.reduce((a, s) => a + s.exportedConfidence, 0) - 1) <= EPS);
      if (d.rule === 'single-type') assert.equal(d.confidence, nonZero[0].noisyOr);
    }),
    runs,
  );
});

test('case decision: adding an irrelevant region (or an infection region of probability 0) never changes the decision; order of regions does not matter', () => {
  fc.assert(
    fc.property(fc.array(region, { maxLength: 20 }), probability, fc.nat(), (regions, c, at) => {
      const base = decideCase(regions, spec);
      const k = regions.length === 0 ? 0 : at % (regions.length + 1);
      const withIrrelevant: VotedRegion[] = [...regions.slice(0, k), { label: 'irrelevant', confidence: c }, ...regions.slice(k)];
      const d = decideCase(withIrrelevant, spec);
      assert.deepEqual({ ...d, droppedRegionCount: d.droppedRegionCount - 1 }, base);
      const withZero = decideCase([...regions, { label: 'covid19', confidence: 0 }], spec);
      assert.equal(withZero.label, base.label);
      assert.equal(withZero.confidence, base.confidence);
      const reversed = decideCase([...regions].reverse(), spec);
      assert.equal(reversed.label, base.label);
      assert.equal(reversed.rule, base.rule);
      if (base.confidence !== null) assert.ok(Math.abs(reversed.confidence! - base.confidence) <= EPS);
    }),
    runs,
  );
});

/** A softmax-like probability vector over the three classes. */
const patch: fc.Arbitrary<PatchPrediction> = fc
  .tuple(fc.double({ min: 0.001, max: 1, noNaN: true }), fc.double({ min: 0.001, max: 1, noNaN: true }), fc.double({ min: 0.001, max: 1, noNaN: true }))
  .map(([a, b, c]) => ({ probabilities: [a / (a + b + c), b / (a + b + c), c / (a + b + c)] }));

function argmax(p: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

test('region vote (§2.6.1): a type shared by two of three patches wins with its most confident patch; otherwise the most confident patch wins', () => {
  fc.assert(
    fc.property(fc.array(patch, { minLength: 3, maxLength: 3 }), (patches) => {
      const v = voteRegion(patches, spec);
      const labels = patches.map((p) => argmax(p.probabilities));
      const conf = patches.map((p, j) => p.probabilities[labels[j]]);
      const counts = [0, 1, 2].map((t) => labels.filter((l) => l === t).length);
      const majority = counts.findIndex((c) => c >= 2);
      if (majority >= 0) {
        assert.equal(v.rule, 'majority');
        assert.equal(v.labelIndex, majority);
        assert.equal(v.confidence, Math.max(...conf.filter((_, j) => labels[j] === majority)));
      } else {
        assert.equal(v.rule, 'most-confident');
        assert.equal(v.confidence, Math.max(...conf));
      }
      assert.ok(v.confidence >= 1 / 3 - EPS && v.confidence <= 1);
      assert.equal(v.kept, v.label !== 'irrelevant');
      // without exact ties the vote does not depend on patch order
      fc.pre(new Set(conf).size === conf.length);
      const r = voteRegion([...patches].reverse(), spec);
      assert.equal(r.label, v.label);
      assert.equal(r.confidence, v.confidence);
    }),
    runs,
  );
});
