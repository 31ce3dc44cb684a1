// Integration checks on the real data in ../shared/data (skipped when that folder is absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readDicom } from '../../src/io/dicom.ts';
import { readVolume } from '../../src/io/read.ts';
import { huStats } from '../../src/io/summary.ts';

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const has = (p: string) => existsSync(`${DATA}${p}`);

/** Median HU of a 32×32 patch in the top-left corner of the middle slice: outside the body. */
function cornerAirHu(data: ArrayLike<number>, dims: readonly number[]): number {
  const [nx, ny, nz] = dims;
  const z = nz >> 1;
  const v: number[] = [];
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) v.push(data[x + nx * (y + ny * z)]);
  v.sort((a, b) => a - b);
  return v[v.length >> 1];
}

for (const [name, slices] of [['P001', 148], ['cap001', 168], ['normal001', 154]] as const) {
  test(`COVID-CT-MD ${name}: 512×512×${slices}, 2 mm from positions, air ≈ −1000 HU`, async (t) => {
    if (!has(`covid-ct-md/${name}`)) return t.skip(`${DATA}covid-ct-md/${name} not present`);
    const { volume, choice } = await readDicom(`${DATA}covid-ct-md/${name}`);
    assert.deepEqual(volume.dims, [512, 512, slices]);
    assert.ok(Math.abs(volume.spacingMm[2] - 2) < 0.01, `slice spacing ${volume.spacingMm[2]}`);
    // positions monotonic and even: the reader warns on any uneven step, and ordered on the normal (+z)
    assert.deepEqual(volume.warnings, []);
    assert.deepEqual(Array.from(volume.direction).map((x) => Math.round(x)), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.equal(choice.chosen.transferSyntaxUid, '1.2.840.10008.1.2.4.70');
    const air = cornerAirHu(volume.data, volume.dims);
    assert.ok(Math.abs(air - -1000) <= 50, `air outside the body reads ${air} HU`);
    const hu = huStats(volume.data);
    assert.ok(hu.max > 300 && hu.max < 4000, `max ${hu.max} HU (bone expected)`);
  });
}

test('Radiopaedia stacks: 630-px pseudo-HU volumes in the lung window range', async (t) => {
  if (!has('radiopaedia-covid')) return t.skip(`${DATA}radiopaedia-covid not present`);
  for (const c of readdirSync(`${DATA}radiopaedia-covid`)) {
    const dir = `${DATA}radiopaedia-covid/${c}`;
    const n = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).length;
    const v = await readVolume(dir);
    assert.equal(v.dims[2], n);
    assert.equal(v.dims[1], 630);
    assert.equal(v.source.pseudoHu, true);
    const hu = huStats(v.data);
    assert.ok(hu.min >= -1000 && hu.max <= 150, `${c}: ${hu.min}..${hu.max}`);
    // lungs are a large part of a chest CT: the 1st percentile is air or lung
    assert.ok(hu.p1 <= -700, `${c}: p1 ${hu.p1}`);
  }
});

test('TB NIfTI volumes: 128×128×64 with plausible HU and binary masks on the same grid', async (t) => {
  if (!has('tb-lesions')) return t.skip(`${DATA}tb-lesions not present`);
  const files = readdirSync(`${DATA}tb-lesions`).filter((f) => f.endsWith('-128x128x64.nii.gz'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const v = await readVolume(`${DATA}tb-lesions/${f}`);
    assert.deepEqual(v.dims, [128, 128, 64]);
    const hu = huStats(v.data);
    assert.ok(hu.median > -1000 && hu.median < 100, `${f}: median ${hu.median}`);
    assert.ok(hu.p1 <= -900 && hu.max >= 200, `${f}: p1 ${hu.p1}, max ${hu.max}`);
    const m = await readVolume(`${DATA}tb-lesions/${f.replace('.nii.gz', '-msk.nii.gz')}`);
    assert.deepEqual(m.dims, v.dims);
    assert.deepEqual(m.originMm, v.originMm);
    assert.deepEqual(new Set(m.data), new Set([0, 1]));
  }
});
