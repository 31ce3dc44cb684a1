// COVID-CT-MD P001 (148 slices, JPEG Lossless) screened with the committed classifier and classical
// candidates (fast), written as DICOM: dciodvfy accepts SEG, SR and SC; the outputs file under the
// source study; every SEG frame sits on its source slice; nothing identifying reaches report.json.
// Skipped when ../shared/data or the trained classifier is absent.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { main } from '../../../src/cli/main.ts';
import { readDicom } from '../../../src/io/dicom.ts';
import { readNifti } from '../../../src/io/nifti.ts';
import { REPO_ROOT } from '../../../src/models/load-model.ts';
import { models as registryModels } from '../../../src/registry.ts';
import { readNaturalized } from '../../../src/report/writers/dicom-common.ts';
import { readSegmentation, segmentOnGrid } from '../../../src/report/writers/dicom-seg-read.ts';
import { withTempDir } from '../../io/temp-dir.ts';
import { assertDciodvfyClean, readSr } from './dicom-test-tools.ts';

const CASE = fileURLToPath(new URL('../../../../shared/data/covid-ct-md/P001', import.meta.url));

test('COVID-CT-MD P001 → DICOM SEG, TID 1500 SR and secondary captures that dciodvfy accepts, under the source study', async (t) => {
  const classifier = registryModels.find((m) => m.stage === 'classifier');
  if (!existsSync(CASE)) return t.skip(`${CASE} not present`);
  if (!classifier || !existsSync(`${REPO_ROOT}/${classifier.onnxPath}`)) return t.skip('trained classifier not in models/');
  await withTempDir('dicom-p001', async (dir) => {
    let stdout = '';
    let stderr = '';
    const code = await main(['screen', CASE, '--out', dir, '--output-type', 'all', '--candidates', 'classical'], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    assert.equal(code, 0, stderr);
    const dicom = JSON.parse(JSON.stringify({ seg: join(dir, 'dicom', 'seg.dcm'), sr: join(dir, 'dicom', 'sr.dcm') })) as { seg: string; sr: string };
    const sc = [1, 2, 3, 4].map((k) => join(dir, 'dicom', `sc-${k}.dcm`)).filter(existsSync);
    assert.ok(sc.length >= 1);
    assertDciodvfyClean([dicom.seg, dicom.sr, ...sc]);

    const { references } = await readDicom(CASE);
    const source = readNaturalized(new Uint8Array(readFileSync(join(CASE, '98C14734-ASSH_57.dcm'))));
    const reportText = readFileSync(join(dir, 'report.json'), 'utf8');
    for (const secret of [String(source.PatientID), String(source.StudyInstanceUID)]) {
      assert.ok(!reportText.includes(secret) && !stdout.includes(secret), 'no patient ID or study UID in report.json or on stdout');
    }
    for (const f of [dicom.seg, dicom.sr, ...sc]) {
      const ds = readNaturalized(new Uint8Array(readFileSync(f)));
      assert.equal(ds.StudyInstanceUID, source.StudyInstanceUID);
      assert.equal(ds.PatientID, source.PatientID);
      assert.equal(ds.StudyDate, source.StudyDate);
    }
    const seg = readSegmentation(new Uint8Array(readFileSync(dicom.seg)));
    assert.equal(seg.frameOfReferenceUid, references.frameOfReferenceUid);
    const positionOf = new Map(references.instances.map((s) => [s.sopInstanceUid, s.positionMm]));
    for (const f of seg.frames) {
      const p = positionOf.get(f.sourceSopInstanceUid!)!;
      assert.ok(p, 'frame references a P001 slice');
      for (let a = 0; a < 3; a++) assert.ok(Math.abs(p[a] - f.positionMm[a]) < 1e-4);
    }
    const lungs = await readNifti(join(dir, 'lungs.nii.gz'));
    const right = segmentOnGrid(seg, 1, lungs);
    let same = 0;
    for (let i = 0; i < right.length; i++) if (right[i] === (lungs.data[i] === 1 ? 1 : 0)) same++;
    assert.equal(same, right.length, 'right-lung segment equals lungs.nii.gz label 1');
    const report = JSON.parse(reportText) as { regions: unknown[] };
    const sr = readSr(dicom.sr);
    assert.equal(sr.library.length, 148);
    assert.equal(sr.groups.filter((g) => /^R\d+$/.test(g.trackingId)).length, report.regions.length);
  });
});
