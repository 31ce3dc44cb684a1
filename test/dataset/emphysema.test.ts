import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDENTITY_DIRECTION, type Volume } from '../../src/core/volume.ts';
import { emphysema } from '../../src/dataset/emphysema.ts';

// 40 × 40 × 40 at 1 mm; lung on x, y 2..37 of every slice at −850 HU, a vessel (−100 HU) along x = 20
function vol(): { v: Volume<Int16Array>; lung: Uint8Array } {
  const [nx, ny, nz] = [40, 40, 40];
  const data = new Int16Array(nx * ny * nz).fill(40);
  const lung = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 2; y < 38; y++) {
      for (let x = 2; x < 38; x++) {
        const i = x + nx * (y + ny * z);
        lung[i] = 1;
        data[i] = x === 20 ? -100 : -850;
      }
    }
  }
  return { v: { data, dims: [nx, ny, nz], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION, source: { format: 'synthetic', sliceCount: nz, pseudoHu: false }, warnings: [] }, lung };
}

test('emphysema: only parenchyma of the superior zone drops to air density; vessels, tissue and the inferior slices stay', () => {
  const { v, lung } = vol();
  const out = emphysema(v, lung, { superiorFraction: 0.5, centrilobularShare: 0.15, bullae: 2, seed: 7 });
  let lowered = 0;
  let zoneLung = 0;
  for (let i = 0; i < v.data.length; i++) {
    const z = Math.floor(i / 1600);
    if (z >= 20 && lung[i]) zoneLung++;
    if (out.data[i] === v.data[i]) continue;
    // identity direction: +z superior, so the upper half of the 40 lung slices is z = 20..39: holes (≤ 4 mm
    // radius) and bullae (≤ 15 mm) centred there reach down to z = 5 at most
    assert.ok(z >= 5, `voxel ${i} on inferior slice ${z} changed`);
    assert.equal(v.data[i], -850, 'only parenchyma (below −500 HU) is destroyed');
    assert.ok(out.data[i] <= -950 && out.data[i] >= -1024, `hole voxel at ${out.data[i]} HU`);
    lowered++;
  }
  // 15 % nominal hole volume plus two bullae of 10–30 mm (clipped to the slab): overlaps make it less, the bullae more
  assert.ok(lowered / zoneLung > 0.08, `${lowered} of ${zoneLung} zone voxels lowered`);
  assert.match(out.warnings.at(-1)!, /emphysema simulated .* 2 paraseptal bullae/);
  assert.deepEqual([...emphysema(v, lung, { superiorFraction: 0.5, centrilobularShare: 0.15, bullae: 2, seed: 7 }).data], [...out.data], 'seeded');
  assert.ok(v.data.every((hu, i) => hu === (lung[i] ? (i % 40 === 20 ? -100 : -850) : 40)), 'the input volume is not changed');
  const holesOnly = emphysema(v, lung, { superiorFraction: 0.5, centrilobularShare: 0.15, bullae: 0, seed: 7 });
  assert.ok(holesOnly.data.subarray(0, 16 * 1600).every((hu, i) => hu === v.data[i]), 'holes alone stay within 4 mm of the zone');
  assert.throws(() => emphysema(v, new Uint8Array(2), { superiorFraction: 0.5, centrilobularShare: 0.1, bullae: 0, seed: 1 }), /lung mask has 2 voxels/);
});

test('drawEmphysema: seeded, inside the trained range (upper 40–80 %, 5–25 %, 0–6 bullae), and varied', async () => {
  const { drawEmphysema } = await import('../../src/dataset/emphysema.ts');
  assert.deepEqual(drawEmphysema(11), drawEmphysema(11));
  const draws = Array.from({ length: 200 }, (_, k) => drawEmphysema(k));
  for (const d of draws) {
    assert.ok(d.superiorFraction >= 0.4 && d.superiorFraction < 0.8, `superiorFraction ${d.superiorFraction}`);
    assert.ok(d.centrilobularShare >= 0.05 && d.centrilobularShare < 0.25, `share ${d.centrilobularShare}`);
    assert.ok(Number.isInteger(d.bullae) && d.bullae >= 0 && d.bullae <= 6, `bullae ${d.bullae}`);
    assert.ok(Number.isInteger(d.seed) && d.seed >= 0);
  }
  assert.equal(new Set(draws.map((d) => d.bullae)).size, 7, 'every bulla count 0–6 is drawn');
  assert.ok(new Set(draws.map((d) => d.seed)).size > 190, 'the hole seeds differ between draws');
});

test('SEVERE_EMPHYSEMA destroys more lung than MODERATE_EMPHYSEMA, and reaches slices the moderate one leaves', async () => {
  const { MODERATE_EMPHYSEMA, SEVERE_EMPHYSEMA } = await import('../../src/dataset/emphysema.ts');
  const { v, lung } = vol();
  const lowered = (o: { data: ArrayLike<number> }) => {
    let n = 0;
    const perSlice = new Array<number>(40).fill(0);
    for (let i = 0; i < v.data.length; i++) if (o.data[i] < v.data[i]) { n++; perSlice[Math.floor(i / 1600)]++; }
    return { n, perSlice };
  };
  const m = lowered(emphysema(v, lung, { ...MODERATE_EMPHYSEMA, seed: 3 }));
  const s = lowered(emphysema(v, lung, { ...SEVERE_EMPHYSEMA, seed: 3 }));
  assert.ok(s.n > 1.5 * m.n, `severe ${s.n} vs moderate ${m.n} voxels`);
  // lungZone takes the superior share from the end the direction calls superior; count the slices touched
  const touched = (p: number[]) => p.filter((x) => x > 0).length;
  assert.ok(touched(s.perSlice) > touched(m.perSlice), `severe ${touched(s.perSlice)} vs moderate ${touched(m.perSlice)} slices`);
});
