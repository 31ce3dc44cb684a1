// Integration: one real COVID-CT-MD series through the whole pipeline with the committed models.
// Skipped when ../shared/data or the trained models are not on this machine.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { validateCaseReport } from '../../src/core/report-schema.ts';
import { REPO_ROOT } from '../../src/models/load-model.ts';
import { models as registryModels } from '../../src/registry.ts';
import { loadScreeningModels } from '../../src/pipeline/load-models.ts';
import { screenCase } from '../../src/pipeline/screen.ts';

const DATA = fileURLToPath(new URL('../../../shared/data', import.meta.url));
const CASE = `${DATA}/covid-ct-md/P001`;
/** Adult lungs at inspiration, each side, mL: a wide band that still catches a broken mask. */
const LUNG_ML = [800, 4500] as const;

test('COVID-CT-MD P001 is screened end to end with the trained models', async (t) => {
  const classifier = registryModels.find((m) => m.stage === 'classifier');
  if (!existsSync(CASE)) return t.skip(`${CASE} not present`);
  if (!classifier || !existsSync(`${REPO_ROOT}/${classifier.onnxPath}`)) return t.skip('trained classifier not in models/');
  const loaded = await loadScreeningModels({});
  const { report, artifacts } = await screenCase({ path: CASE }, { models: loaded.models, candidates: loaded.candidates, warnings: loaded.warnings });
  validateCaseReport(JSON.parse(JSON.stringify(report)));
  assert.equal(report.input.format, 'dicom');
  assert.equal(report.input.sliceCount, 148);
  for (const side of ['right', 'left'] as const) {
    const ml = report.lung?.[side]?.volumeMl ?? 0;
    assert.ok(ml > LUNG_ML[0] && ml < LUNG_ML[1], `${side} lung ${ml} mL`);
  }
  // P001 has 80 of 148 slices labelled infected: the candidate stage must find something to classify
  assert.ok(report.regions.length > 0);
  assert.ok(artifacts.keySlices.length > 0);
  assert.ok(report.timingsMs.total! > 0);
});
