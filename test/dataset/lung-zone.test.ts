import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDENTITY_DIRECTION } from '../../src/core/volume.ts';
import { lungZone } from '../../src/dataset/lung-zone.ts';

test('lungZone: the share of the lung slices nearest an end, ordered from that end (hand-computed)', () => {
  // 1 × 1 × 7: lung on slices 1..5 (5 slices); 0.5 of them is ceil(2.5) = 3
  const mask = Uint8Array.from([0, 1, 1, 1, 1, 1, 0]);
  const up = { dims: [1, 1, 7] as [number, number, number], direction: IDENTITY_DIRECTION };
  assert.deepEqual(lungZone(up, mask, 0.5, 'inferior'), [1, 2, 3]);
  assert.deepEqual(lungZone(up, mask, 0.5, 'superior'), [5, 4, 3]);
  // slices running inferior (S component of z −1): slice 1 is now the most superior lung slice
  const down = { ...up, direction: [1, 0, 0, 0, 1, 0, 0, 0, -1] as typeof IDENTITY_DIRECTION };
  assert.deepEqual(lungZone(down, mask, 0.5, 'inferior'), [5, 4, 3]);
  assert.deepEqual(lungZone(down, mask, 0.2, 'superior'), [1]);
  assert.deepEqual(lungZone(up, new Uint8Array(7), 0.5, 'inferior'), []);
});
