import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelError } from '../../src/core/errors.ts';
import { decisionCardFits, decisionModelFromCard, parseDecisionCard, readDecisionCard, renderDecisionCardMarkdown } from '../../src/models/decision-card.ts';
import { readModelCard } from '../../src/models/model-card.ts';
import { REPO_ROOT } from '../../src/models/load-model.ts';
import { decisionModels, models } from '../../src/registry.ts';

const cardPath = join(REPO_ROOT, decisionModels[0].cardPath);
const committed = existsSync(cardPath);

test('the committed decision card validates and was fitted for exactly the committed segmenter and first classifier', { skip: committed ? false : 'no decision card committed' }, () => {
  const card = readDecisionCard(cardPath);
  const seg = readModelCard(join(REPO_ROOT, models.find((m) => m.stage === 'candidates')!.cardPath));
  const cls = readModelCard(join(REPO_ROOT, models.find((m) => m.stage === 'classifier')!.cardPath));
  // a retrained network without npm run train:decision would silently fall back to the paper's rule
  assert.equal(decisionCardFits(card, { candidates: 'learned', segmenter: { id: seg.id, sha256: seg.onnx.sha256 }, classifier: { id: cls.id, sha256: cls.onnx.sha256 } }), null, 'run npm run train:decision after retraining a network');
  const m = decisionModelFromCard(card);
  assert.ok(m.operatingPoint.noInfectionBelow <= m.operatingPoint.infectedAtOrAbove);
  assert.ok(card.cases.every((c) => c.heldOutProbability >= 0 && c.heldOutProbability <= 1));
  assert.match(readFileSync(cardPath.replace(/\.json$/, '.md'), 'utf8'), /not a diagnostic device/);
});

test('decisionCardFits names what differs; a card with an inverted operating point is refused', { skip: committed ? false : 'no decision card committed' }, () => {
  const card = readDecisionCard(cardPath);
  const f = card.fittedFor;
  const used = { candidates: 'learned' as const, segmenter: { id: f.segmenter!.id, sha256: f.segmenter!.sha256 }, classifier: { id: f.classifier.id, sha256: f.classifier.sha256 } };
  assert.equal(decisionCardFits(card, used), null);
  assert.match(decisionCardFits(card, { ...used, candidates: 'classical', segmenter: null }) ?? '', /fitted with learned candidates, this screening uses classical/);
  assert.match(decisionCardFits(card, { ...used, classifier: { id: 'other', sha256: 'f'.repeat(64) } }) ?? '', /fitted for classifier .* this screening uses other/);
  const bad = structuredClone(card);
  bad.parameters.operatingPoint = { infectedAtOrAbove: 0.2, noInfectionBelow: 0.8 };
  assert.throws(() => parseDecisionCard(bad, 'bad.json'), (e: unknown) => e instanceof ModelError && /noInfectionBelow 0.8 exceeds infectedAtOrAbove 0.2/.test((e as Error).message));
  assert.throws(() => parseDecisionCard({ ...card, notice: 'fine for diagnosis' }, 'x.json'), /decision card x.json is invalid: notice/);
  assert.match(renderDecisionCardMarkdown(card), /## Validation \(leave-one-patient-out\)/);
});

test('loadScreeningModels: the calibrated decision only with the networks it was fitted for; otherwise the paper rule, said in a warning', async (t) => {
  const { loadScreeningModels } = await import('../../src/pipeline/load-models.ts');
  const { writeStubClassifierOnnx } = await import('../pipeline/fixtures.ts');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const stub = writeStubClassifierOnnx(mkdtempSync(join(tmpdir(), 'ctscreen-dec-')));
  const other = await loadScreeningModels({ classifier: stub, candidates: 'classical' });
  assert.equal(other.models.decision, undefined);
  assert.ok(other.warnings.some((w) => /does not apply|not trained yet/.test(w) && /paper's decision rule/.test(w)), other.warnings.join(' | '));
  const paper = await loadScreeningModels({ classifier: stub, candidates: 'classical', decision: 'paper' });
  assert.equal(paper.models.decision, undefined);
  assert.deepEqual(paper.warnings, []);
  if (!committed) return t.skip('no decision card committed');
  const fitted = await loadScreeningModels({});
  if (fitted.candidates !== 'learned') return t.skip('segmenter not present');
  assert.equal(fitted.models.decision?.id, decisionModels[0].id);
});
