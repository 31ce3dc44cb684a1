// The PACS connector on a real chest CT (covid-ct-md P001 from ../shared/data, when present): uploaded
// to a real Orthanc, found by `pacs watch --once`, retrieved, screened (stub classifier, classical
// candidates: this tests the connector, not the models), results stored into its study and valid.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { jsonValue, type DicomJson } from '../../src/pacs/dicomweb.ts';
import { withTempDir } from '../io/temp-dir.ts';
import { writeStubClassifierOnnx } from '../pipeline/fixtures.ts';
import { assertDciodvfyClean } from '../report/writers/dicom-test-tools.ts';
import { ORTHANC_PASSWORD, ORTHANC_USER, orthancMissing, startOrthanc, studyListing, uploadFiles, waitStable } from './orthanc.ts';

const P001 = resolve('../shared/data/covid-ct-md/P001');
const skip = orthancMissing || (existsSync(P001) ? false : `${P001} not present`);

test('pacs watch --once on covid-ct-md P001: SEG, SR and SC stored into its study, parsed by Orthanc, accepted by dciodvfy', { skip, timeout: 300_000 }, () =>
  withTempDir('pacs-p001', async (dir) => {
    const orthanc = await startOrthanc(join(dir, 'orthanc'));
    try {
      const files = readdirSync(P001).filter((f) => f.endsWith('.dcm')).map((f) => join(P001, f));
      await uploadFiles(orthanc, files);
      const studies = await orthanc.rest<string[]>('/studies');
      assert.equal(studies.length, 1);
      const study = await orthanc.rest<{ MainDicomTags: { StudyInstanceUID: string }; Series: string[] }>(`/studies/${studies[0]}`);
      const studyUid = study.MainDicomTags.StudyInstanceUID;
      const ctSeries = await orthanc.rest<{ MainDicomTags: { SeriesInstanceUID: string } }>(`/series/${study.Series[0]}`);
      await waitStable(orthanc, ctSeries.MainDicomTags.SeriesInstanceUID);
      const before = await studyListing(orthanc, studyUid);
      let out = '';
      let err = '';
      const code = await main(['pacs', 'watch', '--url', orthanc.url, '--user', ORTHANC_USER, '--password', ORTHANC_PASSWORD, '--data', join(dir, 'data'), '--classifier', writeStubClassifierOnnx(dir), '--candidates', 'classical', '--once'], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
      assert.equal(code, 0, err);
      assert.match(out, /1 stored/);
      const after = await studyListing(orthanc, studyUid);
      const results = after.filter((s) => s.seriesUid !== ctSeries.MainDicomTags.SeriesInstanceUID);
      assert.deepEqual(results.map((s) => s.modality).sort(), ['OT', 'SEG', 'SR']);
      const got: string[] = [];
      for (const s of results) {
        for (const i of await orthanc.rest<Array<{ ID: string }>>(`/series/${s.orthancId}/instances`)) {
          const f = join(dir, `${i.ID}.dcm`);
          writeFileSync(f, await orthanc.restBytes(`/instances/${i.ID}/file`));
          got.push(f);
        }
      }
      assertDciodvfyClean(got);
      // QIDO-RS finds the results under the study too
      const qido = await orthanc.rest<DicomJson[]>(`/dicom-web/studies/${studyUid}/series`, { accept: 'application/dicom+json' });
      assert.equal(qido.length, before.length + 3);
      assert.ok(qido.every((s) => jsonValue(s, '0020000E')));
      process.stdout.write(`# P001 before: ${JSON.stringify(before.map(({ modality, description, instances }) => ({ modality, description, instances })))}\n`);
      process.stdout.write(`# P001 after: ${JSON.stringify(after.map(({ modality, description, instances }) => ({ modality, description, instances })))}\n`);
      process.stdout.write(`# P001 log: ${err.split('\n').filter((l) => l.includes('"pacs.')).join('\n# P001 log: ')}\n`);
    } finally {
      await orthanc.stop();
    }
  }),
);
