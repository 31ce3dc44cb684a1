// 2-D screening from the CLI (issue 10): one body-cropped PNG slice → lungs, candidates, a decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../src/cli/main.ts';
import { validateCaseReport } from '../../src/core/report-schema.ts';
import { croppedSlice, toLungWindowGrey } from './cropped-phantom.ts';

test('ctscreen screen one.png: a body-cropped slice stored upside down is screened with its lungs found', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-slice-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { volume } = croppedSlice('upside-down');
  const [w, h] = volume.dims;
  const png = join(dir, 'one.png');
  await sharp(Buffer.from(toLungWindowGrey(volume)), { raw: { width: w, height: h, channels: 1 } }).png().toFile(png);
  const out = join(dir, 'out');
  let stdout = '';
  let stderr = '';
  // classical candidates: this tests the lungs and 2-D screening, not the learned segmenter on synthetic lesions
  const code = await main(['screen', png, '--out', out, '--candidates', 'classical'], { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  assert.equal(code, 0, stderr);
  const report = validateCaseReport(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
  assert.equal(report.input.format, 'image-stack');
  const warnings = report.warnings.join('\n');
  assert.doesNotMatch(warnings, /NO LUNGS FOUND/);
  assert.doesNotMatch(report.decision.displayName, /not screened/i);
  assert.ok(report.lung !== null, 'lung statistics');
  // both lungs (the 180 × 154 px PNG is read at 330 mm / 180 px = 1.83 mm pixels)
  const lung = report.lung as NonNullable<typeof report.lung>;
  assert.ok(lung.right !== null && lung.left !== null, JSON.stringify(lung));
  // the phantom's COVID lesions become candidate regions, each classified
  assert.ok(report.regions.length > 0, 'candidate regions');
  for (const r of report.regions) {
    // dims[2] = 1: the centre slice and both neighbours are slice 0, three identical patches
    assert.deepEqual(r.slicesUsed, [0]);
    assert.equal(r.patches.length, 3);
    for (const p of r.patches) {
      assert.equal(p.sliceIndex, 0);
      assert.deepEqual(p.probabilities, r.patches[0].probabilities);
    }
    // so the vote is the patch's own prediction
    assert.equal(r.vote.label, r.patches[0].predictedLabel);
  }
  assert.match(warnings, /cropped inside the body/);
  assert.match(warnings, /single slice \(2-D screening\): each region's three patches .* its one slice three times/);
  assert.match(warnings, /longer side taken as 330 mm/);
  assert.match(stdout, /^Result: /m);
});
