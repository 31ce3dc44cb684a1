// DICOM outputs end to end: a synthetic chest CT written as a DICOM series, screened by the CLI with
// --output-type all (stub classifier, classical candidates), gives a SEG, a TID 1500 SR and secondary
// captures that dciodvfy accepts, that file under the source study, whose SEG frames decode to the
// NIfTI masks and whose SR values are report.json's.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../../src/cli/main.ts';
import { NOT_A_DIAGNOSTIC_DEVICE_NOTICE, validateCaseReport } from '../../../src/core/report-schema.ts';
import { writeNifti, readNifti } from '../../../src/io/nifti.ts';
import { readDicom } from '../../../src/io/dicom.ts';
import { makeChestPhantom } from '../../../src/phantom/chest-phantom.ts';
import { MAX_KEY_SLICES } from '../../../src/report/key-slices.ts';
import { readNaturalized } from '../../../src/report/writers/dicom-common.ts';
import { readSegmentation, segmentOnGrid } from '../../../src/report/writers/dicom-seg-read.ts';
import { SECRET_PATIENT_ID, SECRET_PATIENT_NAME } from '../../io/dicom-writer.ts';
import { withTempDir } from '../../io/temp-dir.ts';
import { writeStubClassifierOnnx } from '../../pipeline/fixtures.ts';
import { assertDciodvfyClean, readSr } from './dicom-test-tools.ts';
import { TEST_FOR_UID, TEST_STUDY_UID, writeVolumeAsDicom } from './volume-to-dicom.ts';

function run(argv: string[]) {
  let out = '';
  let err = '';
  return main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }).then((code) => ({ code, out, err }));
}

const UID_2_25 = /^2\.25\.[1-9][0-9]*$/;
const ph = makeChestPhantom({ size: [96, 96], slices: 40, seed: 3, lesions: 'covid' });

test('screen --output-type all on a DICOM series: SEG, TID 1500 SR and secondary captures that dciodvfy accepts and that agree with report.json and the NIfTI masks', () =>
  withTempDir('dicom-out', async (dir) => {
    const classifier = writeStubClassifierOnnx(dir);
    await writeVolumeAsDicom(ph.volume, { dir: join(dir, 'ct'), fileOrder: 'interleaved' });
    const out = join(dir, 'out');
    const r = await run(['screen', join(dir, 'ct'), '--out', out, '--output-type', 'all', '--classifier', classifier, '--candidates', 'classical']);
    assert.equal(r.code, 0, r.err);
    const report = validateCaseReport(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    assert.equal(report.decision.label, 'covid19');
    const files = readdirSync(join(out, 'dicom')).sort();
    const scCount = files.filter((f) => f.startsWith('sc-')).length;
    assert.ok(scCount >= 1 && scCount <= MAX_KEY_SLICES, `${scCount} key slices`);
    assert.deepEqual(files, [...Array.from({ length: scCount }, (_, k) => `sc-${k + 1}.dcm`), 'seg.dcm', 'sr.dcm'].sort());
    assert.ok(existsSync(join(out, 'report.html')) && existsSync(join(out, 'lungs.nii.gz')), 'all includes the default files');

    // nothing identifying in report.json or on stdout; the DICOM outputs carry the source's patient
    for (const text of [readFileSync(join(out, 'report.json'), 'utf8'), r.out, r.err]) {
      assert.ok(!text.includes(SECRET_PATIENT_NAME) && !text.includes(SECRET_PATIENT_ID));
    }
    const sources = (await readDicom(join(dir, 'ct'))).references;
    const sourceUids = new Set(sources.instances.map((s) => s.sopInstanceUid));
    const objects = files.map((f) => ({ f, ds: readNaturalized(new Uint8Array(readFileSync(join(out, 'dicom', f)))) }));
    const seriesUids = new Set<string>();
    for (const { f, ds } of objects) {
      assert.equal(ds.StudyInstanceUID, TEST_STUDY_UID, `${f} files under the source study`);
      assert.equal(ds.PatientID, SECRET_PATIENT_ID, f);
      assert.equal((ds.PatientName as Array<{ Alphabetic: string }>)[0].Alphabetic, SECRET_PATIENT_NAME, f);
      assert.match(String(ds.SOPInstanceUID), UID_2_25, f);
      assert.match(String(ds.SeriesInstanceUID), UID_2_25, f);
      assert.notEqual(ds.SeriesInstanceUID, sources.seriesInstanceUid);
      seriesUids.add(String(ds.SeriesInstanceUID));
    }
    assert.equal(seriesUids.size, 3, 'SEG, SR and SC are three new series');

    assertDciodvfyClean(files.map((f) => join(out, 'dicom', f)));

    // SEG: frames decode to exactly the NIfTI masks on the same grid
    const segBytes = new Uint8Array(readFileSync(join(out, 'dicom', 'seg.dcm')));
    const seg = readSegmentation(segBytes);
    assert.equal(seg.frameOfReferenceUid, TEST_FOR_UID);
    const lungs = await readNifti(join(out, 'lungs.nii.gz'));
    const candidates = await readNifti(join(out, 'candidates.nii.gz'));
    const byLabel = new Map(seg.segments.map((s) => [s.label, s.number]));
    const right = segmentOnGrid(seg, byLabel.get('Right lung')!, lungs);
    const left = segmentOnGrid(seg, byLabel.get('Left lung')!, lungs);
    const keptValues = new Set<number>();
    report.regions.forEach((g, k) => g.kept && keptValues.add(k + 1));
    const covidNumber = seg.segments.find((s) => s.label.startsWith('Regions voted'))!.number;
    const covid = segmentOnGrid(seg, covidNumber, lungs);
    let mismatches = 0;
    for (let i = 0; i < lungs.data.length; i++) {
      if (right[i] !== (lungs.data[i] === 1 ? 1 : 0) || left[i] !== (lungs.data[i] === 2 ? 1 : 0)) mismatches++;
      if (covid[i] !== (keptValues.has(candidates.data[i]) ? 1 : 0)) mismatches++;
    }
    assert.equal(mismatches, 0);
    assert.deepEqual(seg.segments.map((s) => s.type), ['Right lung', 'Left lung', 'COVID-19']);
    for (const fr of seg.frames) {
      assert.ok(fr.mask.some((v) => v === 1), 'frames only where a segment is present');
      assert.ok(sourceUids.has(fr.sourceSopInstanceUid!), 'each frame references a source slice');
    }

    // SR: the content tree's values are report.json's
    const sr = readSr(join(out, 'dicom', 'sr.dcm'));
    assert.equal(sr.root.SOPClassUID, '1.2.840.10008.5.1.4.1.1.88.34');
    assert.equal(seq(sr.root.ContentTemplateSequence)[0].TemplateIdentifier, '1500');
    assert.equal(sr.library.length, sources.instances.length);
    const groups = new Map(sr.groups.map((g) => [g.trackingId, g]));
    assert.equal(new Set(sr.groups.map((g) => g.trackingUid)).size, sr.groups.length, 'tracking UIDs are unique');
    const caseGroup = groups.get('case')!;
    assert.equal(caseGroup.finding, '840539006');
    assert.equal(caseGroup.nums.DECISIONCONF.value, report.decision.confidence);
    for (const s of report.infections) {
      const g = groups.get(`noisy-or ${s.label}`)!;
      assert.equal(g.nums.NOISYOR.value, s.noisyOr);
      assert.equal(g.nums.EXPORTEDCONF.value, s.exportedConfidence);
      assert.equal(g.nums.REGIONCOUNT.value, s.regionCount);
    }
    for (const side of ['right', 'left'] as const) {
      const g = groups.get(`${side} lung`)!;
      assert.equal(g.nums['118565006'].value, report.lung![side]!.volumeMl);
      assert.equal(g.nums.INVOLVED.value, report.lung![side]!.involvedPercent);
      assert.equal(g.segment, byLabel.get(side === 'right' ? 'Right lung' : 'Left lung'));
      assert.equal(g.findingSite, side === 'right' ? '3341006' : '44029006');
    }
    for (const region of report.regions) {
      const g = groups.get(region.id)!;
      assert.ok(g, region.id);
      assert.equal(g.finding, region.vote.label === 'covid19' ? '840539006' : region.vote.label === 'other_pneumonia' ? '233604007' : 'IRRELEVANT');
      assert.equal(g.nums['118565006'].value, region.volumeMl);
      assert.equal(g.nums.VOTECONF.value, region.vote.confidence);
      assert.equal(g.nums.DISTEDGE?.value ?? null, region.patches[region.vote.patchIndex].distanceFromEdge);
      assert.equal(g.findingSite, region.side ? { right: '3341006', left: '44029006', both: '39607008' }[region.side] : null);
      assert.equal(g.segment, region.kept ? covidNumber : null);
      assert.equal(g.template, region.kept ? '1411' : '1501');
    }
    const notice = sr.qualitative.find((i) => i.ValueType === 'TEXT');
    assert.equal(notice?.TextValue, NOT_A_DIAGNOSTIC_DEVICE_NOTICE);
  }));

test('--output-type: DICOM output of a non-DICOM input, an unknown type, or no --out is a one-line error, exit 2; nifti alone writes only report.json and masks', () =>
  withTempDir('dicom-out-flags', async (dir) => {
    const classifier = writeStubClassifierOnnx(dir);
    const nii = join(dir, 'ct.nii.gz');
    await writeNifti(ph.volume, nii);
    const cases: [string[], RegExp][] = [
      [['screen', nii, '--out', join(dir, 'a'), '--output-type', 'dicom', '--classifier', classifier], /--output-type dicom needs a DICOM input .*ct\.nii\.gz is a NIfTI file, which has no DICOM study/],
      [['screen', nii, '--out', join(dir, 'a'), '--output-type', 'all', '--classifier', classifier], /needs a DICOM input/],
      [['screen', nii, '--out', join(dir, 'a'), '--output-type', 'dicom,pdf', '--classifier', classifier], /--output-type 'dicom,pdf' is not an output type; expected one or more of html, nifti, volume, dicom \(comma-separated\), or all/],
      [['screen', nii, '--output-type', 'nifti', '--classifier', classifier], /--output-type needs --out/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await run(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, pattern);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
    assert.ok(!existsSync(join(dir, 'a')), 'refused before screening: nothing written');
    const out = join(dir, 'b');
    const r = await run(['screen', nii, '--out', out, '--output-type', 'nifti', '--classifier', classifier, '--candidates', 'classical']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(out).sort(), ['candidates.nii.gz', 'lungs.nii.gz', 'report.json']);
  }));

type Item = Record<string, unknown>;
function seq(x: unknown): Item[] {
  return Array.isArray(x) ? (x as Item[]) : x ? [x as Item] : [];
}
