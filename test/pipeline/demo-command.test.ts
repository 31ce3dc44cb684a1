import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { validateCaseReport } from '../../src/core/report-schema.ts';
import { REPO_ROOT } from '../../src/models/load-model.ts';
import { models as registryModels } from '../../src/registry.ts';

test('ctscreen demo makes a COVID-like phantom, screens it with the committed models and says where the report is', async (t) => {
  const classifier = registryModels.find((m) => m.stage === 'classifier')!;
  if (!existsSync(join(REPO_ROOT, classifier.onnxPath))) return t.skip(`${classifier.onnxPath} not trained yet`);
  const out = mkdtempSync(join(tmpdir(), 'ctscreen-demo-'));
  let stdout = '';
  let stderr = '';
  const code = await main(['demo', '--out', out, '--json'], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  assert.equal(code, 0, stderr);
  const j = JSON.parse(stdout) as { phantom: { ct: string; lesions: number; lesionsFound: number }; outputs: { html: string }; report: unknown };
  const report = validateCaseReport(j.report);
  assert.ok(j.phantom.lesions >= 4 && j.phantom.lesionsFound <= j.phantom.lesions);
  assert.ok(existsSync(j.phantom.ct) && existsSync(j.outputs.html));
  assert.equal(j.outputs.html, join(out, 'report.html'));
  assert.ok(report.warnings[0].startsWith('DEMO: synthetic phantom'));
  assert.equal(report.models.find((m) => m.role === 'classifier')!.id, classifier.id);
});
