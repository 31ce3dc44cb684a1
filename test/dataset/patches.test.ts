import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boxIou, boxMaskFraction, infnetGroup, mergeCandidateLists, negativeSlices, type ExportCandidate } from '../../src/dataset/patches.ts';
import { makeGroupSplit, readPatchDataset } from '../../src/dataset/patch-format.ts';
import { main } from '../../src/cli/main.ts';
import { writeSyntheticDataset } from './synthetic-dataset.ts';

test('COVID-SemiSeg pseudo-label names give the volume and the patient group', () => {
  assert.deepEqual(infnetGroup('Data-1_coronacases_org_004_17.jpg'), { volume: 'coronacases_org_004', group: 'covid19ctseg-coronacases-004', slice: 17 });
  // two Radiopaedia series of case 29 are one patient
  assert.equal(infnetGroup('Data-1_radiopaedia_org_covid-19-pneumonia-29_86490_1-dcm_3.jpg')?.group, 'covid19ctseg-radiopaedia-29');
  assert.equal(infnetGroup('Data-1_radiopaedia_org_covid-19-pneumonia-29_86491_1-dcm_12.jpg')?.group, 'covid19ctseg-radiopaedia-29');
  assert.equal(infnetGroup('12.jpg'), null);
});

test('group split: each group in exactly one split, forced groups respected, seeded and reproducible', () => {
  const groups = [...Array.from({ length: 8 }, (_, i) => ({ group: `a${i}`, stratum: 'A' })), { group: 'b0', stratum: 'B' }, { group: 'cap', stratum: 'C' }];
  const opts = { seed: 3, validationFraction: 0.25, unit: 'patient', forced: { cap: { split: 'train' as const, why: 'only one' } } };
  const s1 = makeGroupSplit(groups, opts);
  const s2 = makeGroupSplit(groups, opts);
  assert.deepEqual(s1, s2);
  assert.equal(s1.validation.length, 2); // 8 × 0.25 from A, none from the single-group stratum B
  assert.ok(s1.train.includes('cap') && s1.train.includes('b0'));
  assert.equal(new Set([...s1.train, ...s1.validation]).size, 10);
  assert.equal(s1.train.filter((g) => s1.validation.includes(g)).length, 0);
  assert.notDeepEqual(makeGroupSplit(groups, { ...opts, seed: 4 }).validation, s1.validation.length ? [] : ['x']);
});

test('dataset writer → reader round trip with fingerprint counts per class, source and split', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-ds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fp = writeSyntheticDataset(dir, { regionsPerGroup: 3, sizePx: 8 });
  const { index, data, split } = readPatchDataset(dir);
  assert.equal(index.count, 54);
  assert.equal(data.length, 54 * 64);
  assert.deepEqual(split.validation, ['g4', 'g5']);
  assert.equal(fp.perSplit.validation.covid19 + fp.perSplit.validation.other_pneumonia + fp.perSplit.validation.irrelevant, 18);
  assert.equal(fp.perSource.synthetic.covid19, 18);
  assert.equal(JSON.parse(readFileSync(join(dir, 'fingerprint.json'), 'utf8')).hash, index.fingerprintHash);
});

test('ctscreen dataset patches with a missing data folder is a one-line user error', async () => {
  const err: string[] = [];
  const code = await main(['dataset', 'patches', '--data', '/nonexistent/data', '--out', join(tmpdir(), 'x')], { stdout: () => {}, stderr: (s) => void err.push(s) });
  assert.equal(code, 2);
  assert.match(err.join(''), /data folder \/nonexistent\/data does not exist/);
});

const shared = fileURLToPath(new URL('../../../shared/data', import.meta.url));
test('real data: the export covers every class, and no patient group is in both splits', { timeout: 180_000 }, async (t) => {
  if (!existsSync(shared)) {
    t.skip('../shared/data is absent');
    return;
  }
  if (!process.env.CTSCREEN_SLOW_TESTS) {
    t.skip('the full export takes ~40 s on 2 cores: set CTSCREEN_SLOW_TESTS=1 (npm run train:classifier runs it anyway)');
    return;
  }
  const { exportPatchDataset } = await import('../../src/dataset/patches.ts');
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-real-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await exportPatchDataset({ dataDir: shared, outDir: dir, log: () => {} });
  for (const l of ['covid19', 'other_pneumonia', 'irrelevant']) assert.ok(r.fingerprint.perClass[l] > 100, `${l}: ${r.fingerprint.perClass[l]}`);
  assert.equal(r.split.train.filter((g) => r.split.validation.includes(g)).length, 0);
  // v2: every DICOM patient (one per class) trains, so no class is the only DICOM class (v1's source shortcut)
  for (const g of ['covid-ct-md-P001', 'covid-ct-md-cap001', 'covid-ct-md-normal001']) assert.ok(r.split.train.includes(g), g);
  assert.ok(r.split.validation.includes('tb-tb1_003'));
  // v3: the one split shared with the segmenter (dataset/patient-split.ts)
  assert.ok(r.split.train.includes('lidc-idri-LIDC-IDRI-0001') && r.split.validation.includes('lidc-idri-LIDC-IDRI-0002'));
  assert.ok(r.split.validation.includes('medseg-doctor') && r.split.validation.includes('covid19ctseg-coronacases-008'));
  assert.ok(r.split.validation.some((g) => g.startsWith('covid19ctseg-')));
});

test('negativeSlices: patch slices plus evenly spaced ones of the box, unique and sorted (hand-checked)', () => {
  // z 10–29 (20 slices), centre 20: {19, 20, 21} then 10 + floor((k + 0.5)·20/7) = 11, 14, 17, 20 (dup), 22 → 7 slices
  assert.deepEqual(negativeSlices({ min: [0, 0, 10], max: [5, 5, 29] }, 20, [-1, 0, 1], 7, 100), [11, 14, 17, 19, 20, 21, 22]);
  // a one-slice box gives its patch slices only, clamped to the volume
  assert.deepEqual(negativeSlices({ min: [0, 0, 0], max: [5, 5, 0] }, 0, [-1, 0, 1], 7, 100), [0, 1]);
});

test('boxIou of inclusive voxel boxes (hand-computed)', () => {
  const a = { min: [0, 0, 0], max: [3, 3, 3] } as const;
  // x overlap 2..3 (2) × 4 × 4 = 32; union 64 + 64 − 32 = 96
  assert.equal(boxIou({ min: [...a.min], max: [...a.max] }, { min: [2, 0, 0], max: [5, 3, 3] }), 1 / 3);
  assert.equal(boxIou({ min: [...a.min], max: [...a.max] }, { min: [...a.min], max: [...a.max] }), 1);
  assert.equal(boxIou({ min: [...a.min], max: [...a.max] }, { min: [4, 0, 0], max: [6, 3, 3] }), 0);
});

test('mergeCandidateLists: round-robin over the generators, near-duplicates (IoU ≥ 0.5) dropped', () => {
  const cand = (x0: number, generator: 'learned' | 'classical', z = 0): ExportCandidate => ({ box: { min: [x0, 0, z], max: [x0 + 3, 3, z + 3] }, ml: 1, centreSliceZ: z + 2, generator });
  const learnedA = cand(0, 'learned'), learnedB = cand(0, 'learned', 20);
  // shifted by one voxel: overlap 3·4·4 = 48, union 80 → IoU 0.6, a duplicate of learnedA
  const classicalDup = cand(1, 'classical'), classicalD = cand(40, 'classical');
  const r = mergeCandidateLists([[learnedA, learnedB], [classicalDup, classicalD]]);
  assert.deepEqual(r.candidates, [learnedA, learnedB, classicalD]);
  assert.equal(r.duplicates, 1);
  // shifted by two voxels: IoU 32/96 < 0.5, both kept, learned first then classical
  const r2 = mergeCandidateLists([[learnedA], [cand(2, 'classical')]]);
  assert.equal(r2.candidates.length, 2);
  assert.equal(r2.duplicates, 0);
});

test('boxMaskFraction: share of the box on the mask, zyx order (hand-computed)', () => {
  const dims = [4, 4, 2];
  const mask = new Uint8Array(32);
  mask[(0 * 4 + 1) * 4 + 1] = 1; // (x 1, y 1, z 0)
  mask[(0 * 4 + 1) * 4 + 2] = 1; // (x 2, y 1, z 0): outside the box below
  mask[(1 * 4 + 0) * 4 + 0] = 1; // (x 0, y 0, z 1): outside (z)
  assert.equal(boxMaskFraction(mask, dims, { min: [0, 0, 0], max: [1, 1, 0] }), 1 / 4);
  assert.equal(boxMaskFraction(mask, dims, { min: [0, 0, 0], max: [3, 3, 1] }), 3 / 32);
  assert.equal(boxMaskFraction(mask, dims, { min: [3, 3, 0], max: [3, 3, 1] }), 0);
});
