import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDENTITY_DIRECTION, type Volume } from '../../src/core/volume.ts';
import { drawSolidMasses, insertSolidMass, solidMassBox, solidMassSlices, withSolidMasses } from '../../src/dataset/solid-mass.ts';

/** n³ voxels of 1 mm at −800 HU (aerated lung). */
function lung(n: number): Volume<Int16Array> {
  return { data: new Int16Array(n * n * n).fill(-800), dims: [n, n, n], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION, source: { format: 'synthetic', sliceCount: n, pseudoHu: false }, warnings: [] };
}
const at = (v: Volume, x: number, y: number, z: number) => v.data[x + v.dims[0] * (y + v.dims[1] * z)];

test('insertSolidMass: soft tissue inside the main sphere, lung far outside untouched, bone left as it is', () => {
  const v = lung(41);
  const c = 20;
  v.data[c + 41 * (c + 41 * (c + 1))] = 700; // a bone voxel inside the mass
  const out = Int16Array.from(v.data);
  const n = insertSolidMass(out, v, { centreVoxel: [c, c, c], diameterMm: 10, hu: 40, seed: 3, spicules: 0 });
  const m = { ...v, data: out };
  // every voxel within the 5 mm radius of the main sphere is mass: 40 ± 15 HU noise, far from −800
  for (const [x, y, z] of [[c, c, c], [c + 4, c, c], [c, c - 4, c], [c, c, c - 4]]) assert.ok(Math.abs(at(m, x, y, z) - 40) < 100, `${x},${y},${z}: ${at(m, x, y, z)}`);
  assert.equal(at(m, c, c, c + 1), 700);
  // the lobules reach at most 1.5 r = 7.5 mm: 8 mm away on every axis nothing changed
  for (const [x, y, z] of [[c + 8, c, c], [c, c + 8, c], [c, c, c - 8], [0, 0, 0]]) assert.equal(at(m, x, y, z), -800);
  // the count: at least the main sphere's lattice points (|p| ≤ 5 mm: 515), less the bone voxel
  assert.ok(n >= 514, `${n}`);
  let changed = 0;
  for (let i = 0; i < out.length; i++) if (out[i] !== v.data[i]) changed++;
  assert.equal(changed, n);
});

test('insertSolidMass: spicules add strands beyond the mass, within r + 15 mm, denser at their root', () => {
  const v = lung(61);
  const c = 30;
  const smooth = Int16Array.from(v.data);
  const nSmooth = insertSolidMass(smooth, v, { centreVoxel: [c, c, c], diameterMm: 12, hu: 40, seed: 5, spicules: 0 });
  const spic = Int16Array.from(v.data);
  const nSpic = insertSolidMass(spic, v, { centreVoxel: [c, c, c], diameterMm: 12, hu: 40, seed: 5, spicules: 8 });
  assert.ok(nSpic > nSmooth, `${nSpic} vs ${nSmooth}`);
  let beyond = 0;
  for (let z = 0; z < 61; z++) for (let y = 0; y < 61; y++) for (let x = 0; x < 61; x++) {
    const i = x + 61 * (y + 61 * z);
    if (spic[i] === -800) continue;
    const d = Math.hypot(x - c, y - c, z - c);
    assert.ok(d <= 6 + 15 + 1.5, `voxel ${d.toFixed(1)} mm from the centre`);
    if (d > 1.5 * 6) {
      beyond++;
      assert.ok(spic[i] < 40 && spic[i] > -800, `strand voxel ${spic[i]} HU lies between the mass and the lung`);
    }
  }
  assert.ok(beyond > 0);
  // the smooth mass is the same stream whether or not spicules follow
  for (let i = 0; i < smooth.length; i++) if (smooth[i] !== -800) assert.ok(spic[i] === smooth[i]);
  assert.throws(() => insertSolidMass(new Int16Array(8), v, { centreVoxel: [0, 0, 0], diameterMm: 5, hu: 40, seed: 1, spicules: 0 }), RangeError);
});

test('drawSolidMasses: 2–4 seeded masses of 10–40 mm centred on lung voxels, every second spiculated', () => {
  const v = lung(30);
  const mask = new Uint8Array(30 ** 3);
  for (let z = 5; z < 25; z++) for (let y = 5; y < 25; y++) for (let x = 5; x < 15; x++) mask[x + 30 * (y + 30 * z)] = 1;
  for (const seed of [1, 2, 3, 4, 5]) {
    const d = drawSolidMasses(v, mask, seed);
    assert.ok(d.length >= 2 && d.length <= 4);
    assert.deepEqual(drawSolidMasses(v, mask, seed), d);
    d.forEach((s, k) => {
      const [x, y, z] = s.centreVoxel;
      assert.equal(mask[x + 30 * (y + 30 * z)], 1);
      assert.ok(s.diameterMm >= 10 && s.diameterMm <= 40 && s.hu >= 20 && s.hu <= 60);
      assert.equal(s.spicules > 0, k % 2 === 1);
    });
  }
  assert.throws(() => drawSolidMasses(v, new Uint8Array(5), 1), RangeError);
  // no lung: none drawn
  assert.deepEqual(drawSolidMasses(v, new Uint8Array(30 ** 3), 1), []);
});

test('withSolidMasses copies the volume and names the masses; solidMassSlices spans each mass and its spicules', () => {
  const v = lung(21);
  const specs = [{ centreVoxel: [10, 10, 10] as const, diameterMm: 6, hu: 30, seed: 1, spicules: 0 }];
  const m = withSolidMasses(v, specs);
  assert.equal(v.data[10 + 21 * (10 + 21 * 10)], -800);
  assert.notEqual(m.data[10 + 21 * (10 + 21 * 10)], -800);
  assert.match(m.warnings.at(-1) ?? '', /synthetic solid masses \(tumour stand-ins\): 6 mm/);
  // reach ceil(0.75 · 6 / 1) = 5 slices: z 5…15
  assert.deepEqual([...solidMassSlices(v, specs)].sort((a, b) => a - b), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  // spiculated: + 15 mm → ceil(19.5) = 20: clamped to 0…20
  assert.equal(solidMassSlices(v, [{ ...specs[0], spicules: 3 }]).size, 21);
});

test('solidMassBox: centre ± 0.75 d (+ extra) rounded outwards per axis, clamped; every voxel a mass changes lies inside', () => {
  const geo = { dims: [100, 100, 20] as [number, number, number], spacingMm: [1, 1, 2] as [number, number, number] };
  // d = 20 mm: reach 15 mm = 15 voxels in x, y and ceil(7.5) = 8 slices in z
  assert.deepEqual(solidMassBox(geo, { centreVoxel: [50, 50, 10], diameterMm: 20, hu: 40, seed: 1, spicules: 0 }), { min: [35, 35, 2], max: [65, 65, 18] });
  // + 15 mm: reach 30 mm = 30 voxels, 15 slices, clamped at 0 and 19
  assert.deepEqual(solidMassBox(geo, { centreVoxel: [10, 50, 10], diameterMm: 20, hu: 40, seed: 1, spicules: 0 }, 15), { min: [0, 20, 0], max: [40, 80, 19] });
  const v = lung(61);
  for (const [spicules, extra] of [[0, 0], [8, 15]]) {
    const spec = { centreVoxel: [30, 30, 30] as [number, number, number], diameterMm: 16, hu: 40, seed: 5, spicules };
    const out = Int16Array.from(v.data);
    insertSolidMass(out, v, spec);
    const b = solidMassBox(v, spec, extra);
    let outside = 0, inside = 0;
    for (let i = 0; i < out.length; i++) {
      if (out[i] === v.data[i]) continue;
      const x = i % 61, y = Math.floor(i / 61) % 61, z = Math.floor(i / 3721);
      if (x < b.min[0] || x > b.max[0] || y < b.min[1] || y > b.max[1] || z < b.min[2] || z > b.max[2]) outside++;
      else inside++;
    }
    assert.equal(outside, 0, `${spicules} spicules: ${outside} changed voxels outside the box`);
    assert.ok(inside > 1000, `${inside}`);
  }
});
