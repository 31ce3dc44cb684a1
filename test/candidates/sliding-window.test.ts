import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lungSliceBoxes, slidingWindow, type TilePredictor } from '../../src/candidates/sliding-window.ts';
import { extractTile, lungWindowNormalise, pasteTile, resampleTable } from '../../src/candidates/tile.ts';
import type { Vec3 } from '../../src/core/volume.ts';

test('lungWindowNormalise: lung window −600/1500 HU, below-air clamped to air (hand values)', () => {
  assert.equal(lungWindowNormalise(-600), 0.5);
  assert.equal(lungWindowNormalise(150), 1);
  assert.equal(lungWindowNormalise(900), 1);
  // −1000 HU → (−1000 + 1350) / 1500
  assert.equal(lungWindowNormalise(-1000), 350 / 1500);
  assert.equal(lungWindowNormalise(-3024), 350 / 1500);
  assert.equal(lungWindowNormalise(0, { center: 0, width: 100 }), 0.5);
});

test('resampleTable: same size is the identity; halving uses the widened triangle (hand-computed)', () => {
  const id = resampleTable(6, 1, 4, 4);
  for (let j = 0; j < 4; j++) {
    const row = [...id.weight.subarray(j * id.taps, (j + 1) * id.taps)];
    const k = row.indexOf(1);
    assert.ok(k >= 0, `row ${j} has a weight of exactly 1`);
    assert.equal(id.index[j * id.taps + k], 1 + j);
  }
  // 4 → 2: weights 1/8, 3/8, 3/8, 1/8 around centres 0.5 and 2.5, edges replicated
  const t = resampleTable(4, 0, 4, 2);
  const src = [0, 8, 16, 24];
  const out = [0, 1].map((j) => {
    let acc = 0;
    for (let k = 0; k < t.taps; k++) acc += t.weight[j * t.taps + k] * src[t.index[j * t.taps + k]];
    return acc;
  });
  // dst0 = (1/8+3/8)·0 + 3/8·8 + 1/8·16 = 5 ; dst1 = 1/8·8 + 3/8·16 + (3/8+1/8)·24 = 19
  assert.ok(Math.abs(out[0] - 5) < 1e-6 && Math.abs(out[1] - 19) < 1e-6, `got ${out}`);
});

test('extractTile with a box as large as the tile copies the normalised pixels exactly', () => {
  const w = 7, h = 6;
  const data = Int16Array.from({ length: w * h }, (_, i) => -1000 + 25 * i);
  const out = new Float32Array(16);
  extractTile({ data, width: w, height: h, offset: 0 }, { x0: 2, y0: 1, x1: 5, y1: 4 }, 4, out, 0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
    assert.ok(Math.abs(out[i * 4 + j] - lungWindowNormalise(data[(1 + i) * w + 2 + j])) < 1e-6);
  }
});

test('extract then paste keeps a linear ramp away from the box edges (within 0.1 px of shift)', () => {
  const w = 48, h = 40;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = -1000 + 10 * x + 5 * y; // inside the window, no clipping
  const box = { x0: 4, y0: 2, x1: 43, y1: 37 }; // 40 × 36 → 16 × 16 → back
  const tile = new Float32Array(256);
  extractTile({ data, width: w, height: h, offset: 0 }, box, 16, tile, 0);
  const back = new Float32Array(w * h);
  pasteTile(tile, 0, 16, box, back, w, 0);
  for (let y = box.y0 + 8; y <= box.y1 - 8; y++) for (let x = box.x0 + 8; x <= box.x1 - 8; x++) {
    const want = lungWindowNormalise(data[y * w + x]);
    // a widened triangle sampled at non-integer offsets is only nearly symmetric: allow a 0.1 px shift
    // of the ramp (10 HU/px / 1500 HU × 0.1 ≈ 6.7e-4)
    assert.ok(Math.abs(back[y * w + x] - want) < 6.7e-4, `(${x},${y}) ${back[y * w + x]} vs ${want}`);
  }
  assert.equal(back[0], 0, 'outside the box untouched');
});

function rampVolume(dims: Vec3): Int16Array {
  const [nx, ny, nz] = dims;
  const d = new Int16Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) d[x + nx * (y + ny * z)] = -1000 + 7 * x + 3 * y + 100 * z;
  return d;
}

const double: TilePredictor = (batch, [n, c, s]) => {
  // x => 2x on the centre channel (MONAI's test style)
  const out = new Float32Array(n * s * s);
  const mid = Math.floor(c / 2);
  for (let b = 0; b < n; b++) for (let k = 0; k < s * s; k++) out[b * s * s + k] = 2 * batch[(b * c + mid) * s * s + k];
  return out;
};

test('slidingWindow with x => 2x and tile-sized boxes returns exactly twice the normalised slice in the boxes, 0 elsewhere', async () => {
  const dims: Vec3 = [10, 9, 5];
  const data = rampVolume(dims);
  const box = { x0: 2, y0: 3, x1: 7, y1: 8 }; // 6 × 6 = the tile
  const sliceBoxes = [null, box, box, { x0: 3, y0: 3, x1: 8, y1: 8 }, null];
  const r = await slidingWindow({ data, dims }, { tileSize: 6, sliceOffsets: [-1, 0, 1], batchSize: 2, sliceBoxes }, double);
  assert.deepEqual(r.region, { min: [2, 3, 1], max: [8, 8, 3] });
  assert.equal(r.slicesPredicted, 3);
  const rw = 7, rh = 6;
  for (let z = 1; z <= 3; z++) for (let y = 3; y <= 8; y++) for (let x = 2; x <= 8; x++) {
    const b = sliceBoxes[z]!;
    const inside = x >= b.x0 && x <= b.x1;
    const got = r.probability[(x - 2) + rw * ((y - 3) + rh * (z - 1))];
    const want = inside ? 2 * lungWindowNormalise(data[x + 10 * (y + 9 * z)]) : 0;
    assert.ok(Math.abs(got - want) < 1e-6, `(${x},${y},${z}) ${got} vs ${want}`);
  }
});

test('slidingWindow stacks neighbours as channels and repeats the edge slice', async () => {
  const dims: Vec3 = [4, 4, 3];
  const data = rampVolume(dims);
  const box = { x0: 0, y0: 0, x1: 3, y1: 3 };
  const firstChannel: TilePredictor = (batch, [n, c, s]) => {
    const out = new Float32Array(n * s * s);
    for (let b = 0; b < n; b++) out.set(batch.subarray(b * c * s * s, b * c * s * s + s * s), b * s * s);
    return out;
  };
  const r = await slidingWindow({ data, dims }, { tileSize: 4, sliceOffsets: [-1, 0, 1], batchSize: 8, sliceBoxes: [box, box, box] }, firstChannel);
  // channel 0 is slice z−1; for z = 0 it is slice 0 itself
  for (const [z, src] of [[0, 0], [1, 0], [2, 1]]) {
    assert.ok(Math.abs(r.probability[16 * z + 5] - lungWindowNormalise(data[16 * src + 5])) < 1e-6, `z=${z}`);
  }
});

test('slidingWindow results do not depend on the batch size', async () => {
  const dims: Vec3 = [20, 16, 7];
  const data = rampVolume(dims);
  const sliceBoxes = Array.from({ length: 7 }, (_, z) => ({ x0: z, y0: 1, x1: 19 - z, y1: 15 }));
  const opts = { tileSize: 8, sliceOffsets: [-1, 0, 1], sliceBoxes };
  const a = await slidingWindow({ data, dims }, { ...opts, batchSize: 1 }, double);
  const b = await slidingWindow({ data, dims }, { ...opts, batchSize: 3 }, double);
  assert.deepEqual(a.region, b.region);
  assert.deepEqual([...a.probability], [...b.probability]);
});

/**
 * x => 2x on the centre channel, answering after a delay that shrinks with the call number (later
 * batches come back first) and reading its input only then: a window that refilled a buffer still in
 * flight would give other numbers. Counts the calls running at once.
 */
function slowDouble(inFlightSeen: { now: number; max: number }, failAt: Map<number, Error> = new Map()): TilePredictor {
  let call = 0;
  return (batch, dims) => {
    const k = call++;
    inFlightSeen.now++;
    inFlightSeen.max = Math.max(inFlightSeen.max, inFlightSeen.now);
    return new Promise((resolve, reject) =>
      setTimeout(() => {
        inFlightSeen.now--;
        const e = failAt.get(k);
        if (e) reject(e);
        else resolve(double(batch, dims) as Float32Array);
      }, Math.max(0, 12 - 3 * k)),
    );
  };
}

test('slidingWindow with batches in flight gives exactly the sequential map, for batch sizes that do not divide the slices', async () => {
  const dims: Vec3 = [20, 16, 7];
  const data = rampVolume(dims);
  const sliceBoxes = Array.from({ length: 7 }, (_, z) => (z === 4 ? null : { x0: z, y0: 1, x1: 19 - z, y1: 15 - (z % 3) }));
  const opts = { tileSize: 8, sliceOffsets: [-1, 0, 1], sliceBoxes };
  const sequential = await slidingWindow({ data, dims }, { ...opts, batchSize: 1, inFlight: 1 }, double);
  for (const batchSize of [1, 2, 4, 5, 6, 8]) {
    for (const inFlight of [1, 2, 3]) {
      const seen = { now: 0, max: 0 };
      const r = await slidingWindow({ data, dims }, { ...opts, batchSize, inFlight }, slowDouble(seen));
      assert.deepEqual(r.region, sequential.region);
      assert.equal(r.slicesPredicted, 6);
      assert.deepEqual([...r.probability], [...sequential.probability], `batch ${batchSize}, ${inFlight} in flight`);
      assert.equal(seen.max, Math.min(inFlight, Math.ceil(6 / batchSize)), `batch ${batchSize}: at most ${inFlight} calls at once`);
    }
  }
});

test('slidingWindow onSlice: each predicted slice once, its plane already final, skipped slices never', async () => {
  const dims: Vec3 = [20, 16, 7];
  const data = rampVolume(dims);
  const sliceBoxes = Array.from({ length: 7 }, (_, z) => (z === 4 ? null : { x0: z, y0: 1, x1: 19 - z, y1: 15 - (z % 3) }));
  const seen: { z: number; plane: number[]; offset: number }[] = [];
  const r = await slidingWindow({ data, dims }, { tileSize: 8, sliceOffsets: [-1, 0, 1], sliceBoxes, batchSize: 4, inFlight: 2, onSlice: ({ z, probability, offset, region }) => {
    const size = (region.max[0] - region.min[0] + 1) * (region.max[1] - region.min[1] + 1);
    seen.push({ z, plane: [...probability.subarray(offset, offset + size)], offset });
  } }, slowDouble({ now: 0, max: 0 }));
  assert.deepEqual(seen.map((s) => s.z), [0, 1, 2, 3, 5, 6]);
  const size = (r.region!.max[0] - r.region!.min[0] + 1) * (r.region!.max[1] - r.region!.min[1] + 1);
  for (const s of seen) {
    assert.equal(s.offset, size * (s.z - r.region!.min[2]));
    // what the callback saw is what the window returns
    assert.deepEqual(s.plane, [...r.probability.subarray(s.offset, s.offset + size)], `slice ${s.z}`);
    assert.ok(s.plane.some((v) => v > 0), `slice ${s.z} was pasted before its callback`);
  }
});

test('slidingWindow in flight: a predictor answering with its own input buffer (1 channel) is pasted before the buffer is refilled', async () => {
  const dims: Vec3 = [6, 6, 5];
  const data = rampVolume(dims);
  const box = { x0: 1, y0: 1, x1: 4, y1: 4 }; // 4 × 4 = the tile: the map is the normalised slice
  const sliceBoxes = [box, box, box, box, box];
  const echo: TilePredictor = async (batch) => batch;
  const r = await slidingWindow({ data, dims }, { tileSize: 4, sliceOffsets: [0], batchSize: 2, sliceBoxes, inFlight: 2 }, echo);
  for (let z = 0; z < 5; z++) for (let y = 1; y <= 4; y++) for (let x = 1; x <= 4; x++) {
    const got = r.probability[(x - 1) + 4 * ((y - 1) + 4 * z)];
    assert.ok(Math.abs(got - lungWindowNormalise(data[x + 6 * (y + 6 * z)])) < 1e-6, `(${x},${y},${z})`);
  }
});

test('slidingWindow in flight: the first failing batch in order is the error, also when a later one fails sooner or the predictor throws', async () => {
  const dims: Vec3 = [8, 8, 6];
  const data = rampVolume(dims);
  const box = { x0: 0, y0: 0, x1: 7, y1: 7 };
  const opts = { tileSize: 4, sliceOffsets: [-1, 0, 1], sliceBoxes: Array(6).fill(box), batchSize: 2, inFlight: 2 };
  // batch 2 fails after batch 1 (which fails sooner, 12 − 3 ms): batch 1 is the error, batch 2's is not unhandled
  const fails = new Map([[1, new Error('batch 1 failed')], [2, new Error('batch 2 failed')]]);
  await assert.rejects(slidingWindow({ data, dims }, opts, slowDouble({ now: 0, max: 0 }, fails)), /batch 1 failed/);
  // a batch after the failing one already in flight fails too: still batch 0's error
  await assert.rejects(slidingWindow({ data, dims }, opts, slowDouble({ now: 0, max: 0 }, new Map([[0, new Error('batch 0 failed')], [1, new Error('batch 1 failed')]]))), /batch 0 failed/);
  let calls = 0;
  const throwsOnSecond: TilePredictor = (batch, d) => {
    if (calls++ === 1) throw new RangeError('synchronous failure');
    return double(batch, d);
  };
  await assert.rejects(slidingWindow({ data, dims }, opts, throwsOnSecond), (e: unknown) => e instanceof RangeError && /synchronous failure/.test(e.message));
  // batch 2 was given out when batch 0 came back (two in flight); batch 3 never is: the window stops at batch 1's error
  assert.equal(calls, 3);
  await assert.rejects(slidingWindow({ data, dims }, { ...opts, inFlight: 0 }, double), /inFlight must be a positive integer, got 0/);
});

test('slidingWindow rejects a predictor of the wrong output size and boxes outside the slice', async () => {
  const dims: Vec3 = [4, 4, 1];
  const data = new Int16Array(16);
  const box = { x0: 0, y0: 0, x1: 3, y1: 3 };
  await assert.rejects(slidingWindow({ data, dims }, { tileSize: 4, sliceOffsets: [0], batchSize: 1, sliceBoxes: [box] }, () => new Float32Array(3)), /returned 3 values/);
  await assert.rejects(slidingWindow({ data, dims }, { tileSize: 4, sliceOffsets: [0], batchSize: 1, sliceBoxes: [{ x0: 0, y0: 0, x1: 4, y1: 3 }] }, double), /outside/);
  const none = await slidingWindow({ data, dims }, { tileSize: 4, sliceOffsets: [0], batchSize: 1, sliceBoxes: [null] }, double);
  assert.equal(none.region, null);
});

test('lungSliceBoxes: per-slice lung bounding box plus the margin, clipped; null without lung', () => {
  const dims: Vec3 = [10, 8, 2];
  const m = new Uint8Array(160);
  m[3 + 10 * 2] = 1; // (3,2,0)
  m[6 + 10 * 5] = 1; // (6,5,0)
  const boxes = lungSliceBoxes(m, dims, [0.5, 1, 2], 1); // margin 2 px in x, 1 px in y
  assert.deepEqual(boxes[0], { x0: 1, y0: 1, x1: 8, y1: 6 });
  assert.equal(boxes[1], null);
});

/** pasteTile as first written: every tap through the general loops (the reference for its two-tap paths). */
function pasteTileGeneral(tile: Float32Array, tileSize: number, box: { x0: number; y0: number; x1: number; y1: number }, dst: Float32Array, dstWidth: number): void {
  const bw = box.x1 - box.x0 + 1;
  const bh = box.y1 - box.y0 + 1;
  const tx = resampleTable(tileSize, 0, tileSize, bw);
  const ty = resampleTable(tileSize, 0, tileSize, bh);
  const tmp = new Float32Array(tileSize * bw);
  for (let i = 0; i < tileSize; i++) for (let x = 0; x < bw; x++) {
    let acc = 0;
    for (let t = tx.tapFrom[x]; t < tx.tapTo[x]; t++) acc += tx.weight[x * tx.taps + t] * tile[i * tileSize + tx.index[x * tx.taps + t]];
    tmp[i * bw + x] = acc;
  }
  for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) {
    let acc = 0;
    for (let t = ty.tapFrom[y]; t < ty.tapTo[y]; t++) acc += ty.weight[y * ty.taps + t] * tmp[ty.index[y * ty.taps + t] * bw + x];
    dst[dstWidth * (box.y0 + y) + box.x0 + x] = acc;
  }
}

test('pasteTile (two-tap rows unrolled) gives bit for bit what the general tap loops give, enlarging and shrinking', () => {
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let c = 0; c < 40; c++) {
    const s = 4 + Math.floor(rand() * 13);
    const tile = Float32Array.from({ length: s * s }, () => rand());
    const w = 60;
    const bw = 1 + Math.floor(rand() * 50);
    const bh = 1 + Math.floor(rand() * 50);
    const box = { x0: Math.floor(rand() * (w - bw)), y0: Math.floor(rand() * (w - bh)), x1: 0, y1: 0 };
    box.x1 = box.x0 + bw - 1;
    box.y1 = box.y0 + bh - 1;
    const got = new Float32Array(w * w);
    const want = new Float32Array(w * w);
    pasteTile(tile, 0, s, box, got, w, 0);
    pasteTileGeneral(tile, s, box, want, w);
    assert.deepEqual(got, want, `case ${c}: tile ${s}², box ${bw} × ${bh}`);
  }
});
