import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { IDENTITY_DIRECTION, voxelToPatient, type Volume } from '../../src/core/volume.ts';
import { ACQUIRED, addGaussianNoise, halveInPlane, insertSolidNodule, ivContrast, kernel3x3, offsetHu, PERTURBATIONS, perturbationById, summarise, type RobustnessRow } from '../../src/eval/robustness.ts';
import { writeNifti } from '../../src/io/nifti.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { writeStubClassifierOnnx } from '../pipeline/fixtures.ts';

function vol(data: number[], dims: [number, number, number], spacingMm: [number, number, number] = [1, 1, 1]): Volume<Int16Array> {
  return { data: Int16Array.from(data), dims, spacingMm, originMm: [10, 20, 30], direction: IDENTITY_DIRECTION, source: { format: 'nifti', sliceCount: dims[2], pseudoHu: false }, warnings: [] };
}

test('kernel3x3: a constant image is unchanged; a spike is smoothed or sharpened by hand-computed amounts', () => {
  assert.deepEqual([...kernel3x3(vol(new Array(9).fill(-800), [3, 3, 1]), 1).data], new Array(9).fill(-800));
  // 3×3 image, 90 at the centre, 0 elsewhere: the centre's mean is 10; a corner sees 4 pixels, mean 22.5
  const spike = vol([0, 0, 0, 0, 90, 0, 0, 0, 0], [3, 3, 1]);
  const soft = kernel3x3(spike, -1).data;
  assert.equal(soft[4], 10);
  assert.equal(soft[0], 23); // Math.round(22.5)
  assert.equal(soft[1], 15); // an edge pixel sees 6: 90 / 6
  const sharp = kernel3x3(spike, 1).data;
  assert.equal(sharp[4], 170); // 90 + (90 − 10)
  assert.equal(sharp[0], -22); // 0 + (0 − 22.5): Math.round rounds halves up, to −22
  assert.match(kernel3x3(spike, 1).warnings.at(-1)!, /sharper kernel/);
});

test('offsetHu shifts and clamps to the int16 HU range; halveInPlane takes 2 × 2 means and moves the origin to the block centre', () => {
  assert.deepEqual([...offsetHu(vol([-1024, 0, 3060, 100], [2, 2, 1]), 40).data], [-984, 40, 3071, 140]);
  // 4×2×1: blocks {0,1,4,5} and {2,3,6,7}
  const h = halveInPlane(vol([0, 2, 4, 6, 8, 10, 12, 14], [4, 2, 1], [0.5, 0.5, 2]));
  assert.deepEqual(h.dims, [2, 1, 1]);
  assert.deepEqual([...h.data], [Math.round((0 + 2 + 8 + 10) / 4), Math.round((4 + 6 + 12 + 14) / 4)]);
  assert.deepEqual(h.spacingMm, [1, 1, 2]);
  // the new voxel (0,0) is the centre of old voxels (0..1, 0..1): old (0.5, 0.5) → 10 + 0.25, 20 + 0.25
  assert.deepEqual(h.originMm, [10.25, 20.25, 30]);
  assert.deepEqual(voxelToPatient(h, [1, 0, 0]), [11.25, 20.25, 30]);
});

test('ivContrast: air and bone stay, tissue-density voxels rise by the enhancement, partial-volume voxels by their tissue fraction', () => {
  // −1000 (air, below the −900 floor) +0; −900 +0; −430: fraction (−430 + 900) / 940 = 0.5 → +75;
  // 40 (tissue) and 150 (blood) +150; 201 (bone) +0; 3000 (dense bone) +0
  const v = ivContrast(vol([-1000, -900, -430, 40, 150, 201, 3000, -1024], [8, 1, 1]), 150);
  assert.deepEqual([...v.data], [-1000, -900, -355, 190, 300, 201, 3000, -1024]);
  assert.match(v.warnings.at(-1)!, /IV contrast/);
});

test('addGaussianNoise: seeded (same seed, same volume), mean ≈ 0 and SD ≈ σ over 40 000 voxels', () => {
  const base = vol(new Array(40000).fill(-500), [200, 200, 1]);
  const a = addGaussianNoise(base, 25, 7);
  assert.deepEqual(a.data, addGaussianNoise(base, 25, 7).data);
  assert.notDeepEqual(a.data, addGaussianNoise(base, 25, 8).data);
  let s = 0, s2 = 0;
  for (const v of a.data) (s += v + 500), (s2 += (v + 500) ** 2);
  const mean = s / a.data.length;
  const sd = Math.sqrt(s2 / a.data.length - mean * mean);
  // the SE of the mean is 25 / 200 = 0.125: |mean| < 0.6 is > 4 SE; SD within 2 %
  assert.ok(Math.abs(mean) < 0.6, `mean ${mean}`);
  assert.ok(Math.abs(sd - 25) < 0.5, `sd ${sd}`);
});

test('insertSolidNodule: at least the central sphere becomes soft tissue, bone stays, the rest is untouched', () => {
  // 41³ grid of 1 mm, lung −850, one bone voxel at the centre + 3 in x
  const n = 41;
  const data = new Array(n * n * n).fill(-850);
  const bone = 23 + n * (20 + n * 20);
  data[bone] = 700;
  const v = vol(data, [n, n, n]);
  const { volume, voxels } = insertSolidNodule(v, [20, 20, 20], 10, 3);
  let changed = 0, inSphere = 0, softInSphere = 0;
  for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const i = x + n * (y + n * z);
    if (volume.data[i] !== v.data[i]) changed++;
    if ((x - 20) ** 2 + (y - 20) ** 2 + (z - 20) ** 2 <= 25 && i !== bone) {
      inSphere++;
      if (volume.data[i] > -100 && volume.data[i] < 200) softInSphere++;
    }
  }
  assert.equal(changed, voxels);
  assert.equal(softInSphere, inSphere, 'every voxel of the central 10 mm sphere is soft tissue (35 ± 15 HU noise)');
  assert.equal(volume.data[bone], 700);
  // lobules reach at most 1.5 radii: nothing changed beyond 7.5 mm
  for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    if ((x - 20) ** 2 + (y - 20) ** 2 + (z - 20) ** 2 > 7.5 ** 2 + 1e-9) assert.equal(volume.data[x + n * (y + n * z)], -850);
  }
});

test('perturbations: ids unique, an unknown id is a user error naming the choices, thick slices skip thick CT', () => {
  assert.equal(new Set(PERTURBATIONS.map((p) => p.id)).size, PERTURBATIONS.length);
  assert.throws(() => perturbationById('blur'), /unknown perturbation 'blur'; choose from noise-25/);
  const thick = perturbationById('thick-slices');
  const r = thick.apply(vol(new Array(16).fill(0), [2, 2, 4], [1, 1, 5]), 1);
  assert.ok('skip' in r && /already thick/.test(r.skip));
  // 1.25 mm → k = 4: 4 slices make one slab, too few to screen; 12 make 3 slabs of 5 mm
  assert.ok('skip' in thick.apply(vol(new Array(16).fill(0), [2, 2, 4], [1, 1, 1.25]), 1));
  const ok = thick.apply(vol(new Array(48).fill(0), [2, 2, 12], [1, 1, 1.25]), 1);
  assert.ok(!('skip' in ok));
  assert.deepEqual([ok.dims[2], ok.spacingMm[2]], [3, 5]);
  // the PET-CT-like reading skips thick CT too, and on thin slices ends as the thick grid
  const pet = perturbationById('pet-ct-like');
  assert.ok('skip' in pet.apply(vol(new Array(16).fill(0), [2, 2, 4], [1, 1, 5]), 1));
  const p = pet.apply(vol(new Array(48).fill(-800), [2, 2, 12], [1, 1, 1.25]), 1);
  assert.ok(!('skip' in p));
  assert.deepEqual([p.dims[2], p.spacingMm[2]], [3, 5]);
  // solid masses need lungs to sit in: a volume of soft tissue has none
  const masses = perturbationById('solid-masses').apply(vol(new Array(48).fill(40), [2, 2, 12], [1, 1, 1.25]), 1);
  assert.ok('skip' in masses && /lungs/.test(masses.skip));
});

test('summarise counts unchanged calls and new false positives / negatives per reading', () => {
  const row = (c: string, label: string, reading: string, called: string, p: number): RobustnessRow => ({ case: c, label, reading, called, infectionProbability: p, lesionMl: 0, regions: 0, infectionVotedRegions: 0 });
  const rows = [
    row('n', 'no_infection_found', ACQUIRED, 'no_infection_found', 0.1),
    row('c', 'covid19', ACQUIRED, 'covid19', 0.9),
    row('n', 'no_infection_found', 'noise-25', 'covid19', 0.8),
    row('c', 'covid19', 'noise-25', 'no_infection_found', 0.2),
    row('n', 'no_infection_found', 'thick-slices', 'indeterminate', 0.5),
    row('c', 'covid19', 'thick-slices', 'covid19', 0.95),
  ];
  const s = summarise(rows, ['noise-25', 'thick-slices'], 'no_infection_found');
  assert.deepEqual(s.map((x) => [x.reading, x.cases, x.unchanged, x.negativesCalledInfected, x.infectedCalledNone, x.maxNegativeP, x.minInfectedP]), [
    [ACQUIRED, 2, 2, 0, 0, 0.1, 0.9],
    ['noise-25', 2, 0, 1, 1, 0.8, 0.2],
    // indeterminate is neither a false positive nor a false negative, but it is a changed call
    ['thick-slices', 2, 1, 0, 0, 0.5, 0.95],
  ]);
});

test('ctscreen robustness screens each case as acquired and perturbed, writes robustness.json, and refuses an unknown perturbation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-robust-'));
  const classifier = writeStubClassifierOnnx(dir);
  mkdirSync(join(dir, 'ph'));
  const ph = makeChestPhantom({ size: [96, 96], slices: 24, seed: 5, lesions: 'covid' });
  await writeNifti(ph.volume, join(dir, 'ph', 'covid.nii.gz'));
  writeFileSync(join(dir, 'm.csv'), 'ph/covid.nii.gz,covid19\n');
  const io = { out: '', err: '' };
  const code = await main(['robustness', join(dir, 'm.csv'), '--classifier', classifier, '--candidates', 'classical', '--perturbations', 'hu+40,half-resolution', '--out', join(dir, 'out')], { stdout: (t) => (io.out += t), stderr: (t) => (io.err += t) });
  assert.equal(code, 0, io.err + io.out);
  const j = JSON.parse(readFileSync(join(dir, 'out', 'robustness.json'), 'utf8'));
  assert.deepEqual(j.rows.map((r: RobustnessRow) => r.reading), [ACQUIRED, 'hu+40', 'half-resolution']);
  assert.ok(j.rows.every((r: RobustnessRow) => r.called !== 'failed' && r.regions !== null), JSON.stringify(j.rows));
  assert.deepEqual(j.summary.map((s: { reading: string; cases: number }) => [s.reading, s.cases]), [[ACQUIRED, 1], ['hu+40', 1], ['half-resolution', 1]]);
  assert.match(io.out, /call unchanged/);
  const bad = { out: '', err: '' };
  assert.equal(await main(['robustness', join(dir, 'm.csv'), '--perturbations', 'blur'], { stdout: (t) => (bad.out += t), stderr: (t) => (bad.err += t) }), 2);
  assert.match(bad.err, /unknown perturbation 'blur'/);
});
