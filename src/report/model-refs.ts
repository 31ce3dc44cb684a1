/**
 * The report's model references: which lung method, candidate generator, classifier and decision
 * model produced it (ids, versions, ONNX sha256), for provenance in report.json, the SR and the HTML.
 */
import type { CandidateGeneratorId } from '../candidates/types.ts';
import type { ModelRef } from '../core/report-schema.ts';
import type { CaseDecisionModel } from '../decide/calibrated.ts';
import type { ModelCard } from '../models/model-card.ts';
import { candidateGenerator } from '../registry.ts';

/** The networks a screening ran, as far as their cards go. */
export interface ModelsForRefs {
  classifier: { card: ModelCard };
  segmenter?: { card: ModelCard } | null;
}

export function modelRefs(models: ModelsForRefs, mode: CandidateGeneratorId, toolVersion: string, decision: CaseDecisionModel | undefined): ModelRef[] {
  const c = models.classifier.card;
  const refs: ModelRef[] = [{ role: 'lung', id: 'ctscreen-lung-extraction', version: toolVersion }];
  const generator = candidateGenerator(mode);
  if (generator.needs === 'segmenter' && models.segmenter) {
    const s = models.segmenter.card;
    refs.push({ role: 'candidates', id: s.id, version: s.version, sha256: s.onnx.sha256 });
  } else {
    refs.push({ role: 'candidates', id: generator.methodId ?? generator.id, version: toolVersion });
  }
  refs.push({ role: 'classifier', id: c.id, version: c.version, sha256: c.onnx.sha256 });
  if (decision) refs.push({ role: 'decision', id: decision.id, version: decision.version });
  return refs;
}
