// The key slices rendered on the worker thread (key-slice-renderer.ts) must be the pictures the main
// thread renders: same PNG bytes, sizes, labels and orientation, for volumes with and without masks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Box3 } from '../../src/core/volume.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { displayCrop, renderKeySlice, type KeySliceOptions } from '../../src/report/key-slices.ts';
import { keySliceRendererCounts, renderKeySlicesOffThread } from '../../src/report/key-slice-renderer.ts';

const classes = { labels: ['covid', 'other', 'none'], infectionLabels: ['covid', 'other'] };

function options(withMasks: boolean): { opts: KeySliceOptions; slices: number[] } {
  const ph = makeChestPhantom({ size: [96, 96], slices: 24, seed: 5, lesions: 'covid' });
  const { volume } = ph;
  const labels = new Uint32Array(ph.lesionLabels.length);
  for (let i = 0; i < labels.length; i++) labels[i] = ph.lesionLabels[i];
  const [nx, ny] = volume.dims;
  const regions = [];
  for (let k = 1; k <= ph.lesions.length; k++) {
    const min = [Infinity, Infinity, Infinity];
    const max = [-1, -1, -1];
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== k) continue;
      const v = [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
      for (let a = 0; a < 3; a++) {
        min[a] = Math.min(min[a], v[a]);
        max[a] = Math.max(max[a], v[a]);
      }
    }
    if (max[0] < 0) continue;
    regions.push({ id: `R${k}`, labelValue: k, box: { min, max } as unknown as Box3, voteLabel: k % 2 ? 'covid' : 'none', kept: k % 2 === 1, confidence: 0.7 });
  }
  const opts: KeySliceOptions = { volume, lungMask: withMasks ? ph.lungLabels : null, candidateLabels: withMasks ? labels : null, regions: withMasks ? regions : [], classes };
  return { opts, slices: [3, 11, 12, 20] };
}

for (const withMasks of [true, false]) {
  test(`renderKeySlicesOffThread: the inline pictures, byte for byte (${withMasks ? 'lungs and regions' : 'no masks'})`, async () => {
    const { opts, slices } = options(withMasks);
    const crop = displayCrop(opts.volume, opts.lungMask);
    const inline = slices.map((z) => renderKeySlice(opts, z, crop));
    const before = keySliceRendererCounts();
    const off = await renderKeySlicesOffThread(opts, slices);
    // rendered by the thread, not by the inline fallback
    assert.equal(keySliceRendererCounts().offThread, before.offThread + 1);
    assert.equal(keySliceRendererCounts().inline, before.inline);
    assert.equal(off.length, inline.length);
    off.forEach((f, i) => {
      assert.ok(Buffer.isBuffer(f.png));
      assert.ok(f.png.equals(inline[i].png), `slice ${slices[i]}: PNG bytes differ`);
      assert.deepEqual({ ...f, png: null }, { ...inline[i], png: null });
    });
  });
}
