import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScreeningError } from '../../src/core/errors.ts';
import { patientToVoxel } from '../../src/core/volume.ts';
import { extractLungs } from '../../src/lung/extract-lungs.ts';
import { TRACHEA } from '../../src/phantom/anatomy.ts';
import { type ChestPhantom, type PhantomOptions, makeChestPhantom } from '../../src/phantom/chest-phantom.ts';

/** Dice of the labelled mask against the truth, counting a voxel only when the side is right too. */
function dice(mask: Uint8Array, truth: Uint8Array): number {
  let inter = 0, a = 0, b = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) a++;
    if (truth[i]) b++;
    if (mask[i] && mask[i] === truth[i]) inter++;
  }
  return (2 * inter) / (a + b);
}

function lesionCoverage(p: ChestPhantom, mask: Uint8Array): number[] {
  return p.lesions.map((l) => {
    let inside = 0;
    let total = 0;
    for (let i = 0; i < mask.length; i++) {
      if (p.lesionLabels[i] !== l.label) continue;
      total++;
      if (mask[i]) inside++;
    }
    return inside / total;
  });
}

function run(options: PhantomOptions) {
  const p = makeChestPhantom(options);
  return { p, r: extractLungs(p.volume) };
}

for (const [preset, seed] of [['covid', 1], ['covid', 5], ['cap', 2]] as const) {
  test(`phantom (${preset}, seed ${seed}): lung Dice ≥ 0.97 with sides right, ≥ 95 % of every lesion inside`, () => {
    const { p, r } = run({ seed, lesions: preset });
    assert.ok(p.lesions.length > 0);
    const d = dice(r.mask, p.lungLabels);
    assert.ok(d >= 0.97, `Dice ${d.toFixed(4)}`);
    const cov = lesionCoverage(p, r.mask);
    cov.forEach((c, k) => assert.ok(c >= 0.95, `lesion ${k + 1} (${p.lesions[k].kind}, ${p.lesions[k].pattern}): ${(100 * c).toFixed(1)} % inside`));
    if (preset === 'covid') {
      assert.ok(p.lesions.some((l) => l.kind === 'consolidation' && l.touchesPleura), 'the test must include subpleural consolidation');
    }
  });
}

test('a threshold alone would lose the subpleural consolidation (what the completion fixes)', () => {
  const p = makeChestPhantom({ seed: 5, lesions: [{ kind: 'consolidation', pattern: 'peripheral', diameterMm: 34, side: 'right', heightFraction: 0.45 }] });
  let dense = 0;
  let total = 0;
  for (let i = 0; i < p.lesionLabels.length; i++) {
    if (p.lesionLabels[i] !== 1) continue;
    total++;
    if (p.volume.data[i] >= -400) dense++;
  }
  assert.ok(dense / total > 0.8, 'most consolidation voxels are above the air threshold');
  const r = extractLungs(p.volume);
  assert.ok(lesionCoverage(p, r.mask)[0] >= 0.95);
});

test('trachea, table and air outside the scan circle are never lung', () => {
  const { p, r } = run({ seed: 3, lesions: 'none', slices: 40 });
  const [nx, ny, nz] = p.volume.dims;
  let tracheaSlices = 0;
  for (let z = 0; z < nz; z++) {
    const zMm = p.volume.originMm[2] + z * p.volume.spacingMm[2];
    if (zMm < TRACHEA.carinaZ + 5) continue;
    const v = patientToVoxel(p.volume, [TRACHEA.x, TRACHEA.y, zMm]);
    const i = Math.round(v[0]) + nx * (Math.round(v[1]) + ny * z);
    assert.ok(p.volume.data[i] < -900, 'the probe sits in the tracheal lumen');
    assert.equal(r.mask[i], 0, `trachea in the mask on slice ${z}`);
    tracheaSlices++;
  }
  assert.ok(tracheaSlices >= 5);
  for (let i = 0; i < r.mask.length; i++) {
    if (!r.mask[i]) continue;
    assert.ok(p.volume.data[i] > -1500, 'no mask voxel outside the scan circle');
    const y = Math.floor(i / nx) % ny;
    assert.ok(p.volume.originMm[1] + y * p.volume.spacingMm[1] < 105, 'no mask voxel at table level');
  }
});

test('sides come from the direction cosines: a mirrored grid gives the same anatomy', () => {
  const { p, r } = run({ seed: 4, lesions: 'none', mirrorX: true, slices: 32 });
  assert.equal(p.volume.direction[0], -1);
  assert.ok(dice(r.mask, p.lungLabels) >= 0.97);
});

test('robust to 8-bit pseudo-HU, anisotropic pixels, lung bases only and a single slice', () => {
  const cases: Array<[string, PhantomOptions, number]> = [
    ['pseudo-HU', { seed: 6, pseudoHu8Bit: true, slices: 32 }, 0.96],
    ['anisotropic', { seed: 7, size: [200, 260], pixelSpacingMm: [1.8, 1.25], slices: 20, lesions: 'cap' }, 0.96],
    ['bases only', { seed: 8, zRangeMm: [0, 80], slices: 16 }, 0.95],
    ['single slice', { seed: 9, slices: 1, zRangeMm: [110, 110] }, 0.95],
  ];
  for (const [name, options, min] of cases) {
    const { p, r } = run(options);
    const d = dice(r.mask, p.lungLabels);
    assert.ok(d >= min, `${name}: Dice ${d.toFixed(4)}`);
    assert.ok(r.voxels.right > 0 && r.voxels.left > 0, `${name}: both lungs`);
    if (name === 'bases only') assert.ok(r.warnings.some((w) => /first or last slice/.test(w)), 'partial coverage is reported');
    if (name === 'single slice') assert.ok(r.warnings.some((w) => /single slice/.test(w)));
    if (name === 'pseudo-HU') assert.equal(p.volume.source.pseudoHu, true);
  }
});

test('no lungs: a clear ScreeningError, not an empty mask', () => {
  const { volume } = makeChestPhantom({ seed: 1, slices: 4, lesions: 'none' });
  // values without the rescale (HU + 1024, as raw DICOM pixels often are): nothing below −400
  const raw = { ...volume, data: volume.data.map((v) => Math.max(v, -1024) + 1024) as Int16Array, source: { ...volume.source, path: 'raw.nii' } };
  assert.throws(() => extractLungs(raw), (e: unknown) => e instanceof ScreeningError && /no lungs found in raw\.nii/.test(e.message) && /Hounsfield/.test(e.message));
});

test('one air region across the midline that no erosion separates is split at the body midline, sides by patient x', () => {
  // 64 × 64 × 3 at 2 mm (working grid = input grid): air outside, a 48 × 40 body, and inside it one
  // 40 × 20 box of lung-like air (−850 HU) centred on the midline: erosion shrinks it but never splits it
  const [nx, ny, nz] = [64, 64, 3];
  const data = new Int16Array(nx * ny * nz).fill(-1000);
  for (let z = 0; z < nz; z++) {
    for (let y = 12; y < 52; y++) for (let x = 8; x < 56; x++) data[x + nx * (y + ny * z)] = 40;
    for (let y = 22; y < 42; y++) for (let x = 12; x < 52; x++) data[x + nx * (y + ny * z)] = -850;
  }
  const volume = {
    data,
    dims: [nx, ny, nz] as const,
    spacingMm: [2, 2, 2] as const,
    originMm: [0, 0, 0] as const,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as const,
    source: { format: 'synthetic' as const, sliceCount: nz, pseudoHu: false },
    warnings: [],
  };
  const r = extractLungs(volume);
  assert.ok(r.warnings.some((w) => /split at the body midline/.test(w)), r.warnings.join('; '));
  assert.equal(r.diagnostics.lungsSplitByErosion, false);
  // the body's centre column is 31.5: LPS +x is the patient's left, so low x is the right lung (1)
  for (let z = 0; z < nz; z++) {
    for (let y = 22; y < 42; y++) {
      for (let x = 12; x < 52; x++) assert.equal(r.mask[x + nx * (y + ny * z)], x < 31.5 ? 1 : 2, `(${x}, ${y}, ${z})`);
    }
  }
  // 20 columns × 20 rows × 3 slices a side, 8 µL each
  assert.equal(r.voxels.right, 1200);
  assert.equal(r.voxels.left, 1200);
  assert.ok(Math.abs(r.volumeMl.right - 9.6) < 1e-9);
});
