import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawLesionSpecs, GGO_HU, insertLesions, PARENCHYMA_HU, valueNoise, type SlabInput, type SyntheticLesionSpec } from '../../src/dataset/synthetic-lesions.ts';

/** 64×64×5 grid, 1 mm voxels: lung (−850 HU) inside x,y ∈ [8, 56), body (40 HU) around, one vessel (60 HU) at x = 32. */
function slab(): SlabInput & { data: Float32Array } {
  const dims = [64, 64, 5] as const;
  const data = new Float32Array(64 * 64 * 5).fill(40);
  const lungMask = new Uint8Array(data.length);
  for (let z = 0; z < 5; z++) {
    for (let y = 8; y < 56; y++) {
      for (let x = 8; x < 56; x++) {
        const i = x + 64 * (y + 64 * z);
        lungMask[i] = 1;
        data[i] = x === 32 ? 60 : PARENCHYMA_HU;
      }
    }
  }
  return { data, dims, spacingMm: [1, 1, 1], lungMask };
}

const spec = (over: Partial<SyntheticLesionSpec> = {}): SyntheticLesionSpec => ({ centreVoxel: [30, 30, 2], semiAxesMm: [10, 10, 10], angle: 0, kind: 'ggo', targetHu: -600, noiseSeed: 5, ...over });

test('valueNoise is deterministic, in [0, 1], and equals its lattice values at lattice points', () => {
  const n = valueNoise(42, 4);
  const m = valueNoise(42, 4);
  for (const p of [[0, 0, 0], [4, 8, 12], [1.3, 2.7, -5.1]] as Array<[number, number, number]>) {
    assert.equal(n(...p), m(...p));
    assert.ok(n(...p) >= 0 && n(...p) <= 1);
  }
  // halfway between two lattice points along x (fade(0.5) = 0.5): the mean of the two
  const a = n(0, 0, 0), b = n(4, 0, 0);
  assert.ok(Math.abs(n(2, 0, 0) - (a + b) / 2) < 1e-12);
});

test('insertLesions raises parenchyma inside the lung only, keeps denser tissue, labels the lesion, and leaves its input alone', () => {
  const input = slab();
  const before = Float32Array.from(input.data);
  const { slices, masks } = insertLesions(input, 2, [spec()]);
  assert.deepEqual(input.data, before, 'input unchanged');
  assert.equal(slices.length, 3);
  const centre = slices[1], mask = masks[1];
  // the lesion centre (ellipsoid radius 0; f ≥ 1 − 0.25 > 0.4 so alpha ≥ 0.6) is raised from −850 and labelled
  const c = 30 + 64 * 30;
  assert.equal(mask[c], 1);
  assert.ok(centre[c] > PARENCHYMA_HU + 100, `centre ${centre[c]}`);
  assert.ok(centre[c] <= GGO_HU[1] + 200);
  // the vessel at x = 32 inside the lesion is at least as dense as before (never darkened)
  assert.ok(centre[32 + 64 * 30] >= 60);
  // nothing outside the lung changes or is labelled; far lung (> 1.5 semi-axes away) is untouched
  for (let i = 0; i < 64 * 64; i++) {
    const x = i % 64, y = Math.floor(i / 64);
    const inLung = x >= 8 && x < 56 && y >= 8 && y < 56;
    if (!inLung) {
      assert.equal(centre[i], 40);
      assert.equal(mask[i], 0);
    }
    if (Math.hypot(x - 30, y - 30) > 16) assert.equal(centre[i], before[i + 64 * 64 * 2]);
  }
  // 3-D: the neighbouring slices 1 mm away carry the lesion too
  assert.equal(masks[0][c], 1);
  assert.equal(masks[2][c], 1);
});

test('a lesion thinner than the slice gap does not reach the neighbouring slices', () => {
  const input = slab();
  const thick = { ...input, spacingMm: [1, 1, 8] as [number, number, number] };
  const { masks } = insertLesions(thick, 2, [spec({ semiAxesMm: [10, 10, 3] })]);
  assert.ok(masks[1].some((v) => v === 1));
  assert.ok(masks[0].every((v) => v === 0) && masks[2].every((v) => v === 0));
});

test('drawLesionSpecs is seeded, centres lesions in the lung, and gives none on a slice without lung', () => {
  const input = slab();
  const a = drawLesionSpecs(input, 2, 9, 3);
  assert.deepEqual(a, drawLesionSpecs(input, 2, 9, 3));
  assert.equal(a.length, 3);
  for (const s of a) {
    const [x, y] = s.centreVoxel;
    assert.equal(input.lungMask[x + 64 * (y + 64 * 2)], 1);
    assert.ok(s.semiAxesMm[0] >= 6 && s.semiAxesMm[0] <= 40 && s.semiAxesMm[1] <= s.semiAxesMm[0]);
  }
  const empty = { ...input, lungMask: new Uint8Array(input.lungMask.length) };
  assert.deepEqual(drawLesionSpecs(empty, 2, 9, 3), []);
});
