import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relativeDistanceAt, volumeEdgeDistance } from '../../src/lung/distance-from-edge.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { measureLungs } from '../../src/pipeline/stages.ts';

test('distance-from-edge on each slice\'s lung box (volumeEdgeDistance.at) equals the whole-slice map', () => {
  const ph = makeChestPhantom({ size: [96, 80], slices: 24, seed: 2, lesions: 'none', pixelSpacingMm: [3.6, 4.2] });
  const q = volumeEdgeDistance(ph.lungLabels, ph.volume.dims, ph.volume.spacingMm);
  const whole = { at: (p: [number, number, number]) => relativeDistanceAt(q.map(p[2]), [p[0], p[1]]) };
  const cropped = (x: number, y: number, z: number) => q.at([x, y, z]);
  let inside = 0;
  for (let z = 0; z < 24; z++) {
    for (let y = -1; y <= 80; y += 3) {
      for (let x = -1; x <= 96; x += 2) {
        const want = whole.at([x + 0.4, y - 0.3, z]);
        assert.equal(cropped(x + 0.4, y - 0.3, z), want, `(${x}, ${y}, ${z})`);
        if (want > 0) inside++;
      }
    }
  }
  assert.ok(inside > 500, 'many points inside the lungs were compared');
  assert.equal(cropped(10, 10, -1), 0);
  assert.equal(cropped(10, 10, 24), 0);
});

test('lung involvement counts only the voxels of infection-voted regions', () => {
  // 10 × 10 × 10 grid of 1 mm voxels: right lung x < 5, left lung x ≥ 5; region 1 kept (20 voxels in the right lung), region 2 ignored
  const dims = [10, 10, 10] as const;
  const lungMask = new Uint8Array(1000);
  const labels = new Uint32Array(1000);
  for (let z = 0; z < 10; z++) for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) lungMask[x + 10 * (y + 10 * z)] = x < 5 ? 1 : 2;
  for (let i = 0; i < 20; i++) labels[i * 10] = 1; // x = 0 of rows 0..19 → right lung, slices 0–1
  for (let i = 0; i < 30; i++) labels[i * 10 + 9] = 2; // x = 9 → left lung, ignored
  const volume = { data: new Int16Array(1000).fill(-850), dims, spacingMm: [1, 1, 1] as const, originMm: [0, 0, 0] as const, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as const, source: { format: 'synthetic' as const, sliceCount: 10, pseudoHu: false }, warnings: [] };
  const stats = measureLungs({ volume, lungMask, candidateLabels: labels, keptLabelValues: new Set([1]) });
  // right lung 500 voxels = 0.5 mL; 20 involved = 4 %; left lung untouched
  assert.equal(stats.right!.volumeMl, 0.5);
  assert.ok(Math.abs(stats.right!.involvedPercent! - 4) < 1e-9);
  assert.equal(stats.left!.involvedPercent, 0);
  assert.equal(stats.right!.huBands!.find((b) => b.minHu === -950)!.fraction, 1);
});
