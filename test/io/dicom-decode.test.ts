import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.ts';
import { decodeRle, decodeSliceToHu, type SliceJob } from '../../src/io/dicom/decode.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';

function job(values: number[], over: Partial<SliceJob>): SliceJob {
  const frame = new Uint8Array(values.length * 2);
  const v = new DataView(frame.buffer);
  values.forEach((x, i) => v.setUint16(2 * i, x & 0xffff, true));
  return {
    file: 'x.dcm', transferSyntaxUid: TS.explicitLittle, frame, rows: 1, columns: values.length,
    bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, samplesPerPixel: 1,
    rescaleSlope: 1, rescaleIntercept: 0, output: 'int16', ...over,
  };
}

test('HU = stored · slope + intercept; padding and < −1100 HU become −1000 (hand-computed)', async () => {
  const hu = await decodeSliceToHu(job([-3024, -1024, 0, 100, 5, -1101, -1100], { paddingValue: 5 }));
  assert.deepEqual(Array.from(hu), [-1000, -1024, 0, 100, -1000, -1000, -1100]);
  const scaled = await decodeSliceToHu(job([0, 1000, 4095], { pixelRepresentation: 0, rescaleSlope: 2, rescaleIntercept: -1024 }));
  assert.deepEqual(Array.from(scaled), [-1024, 976, 7166]); // −1024 is air as scanners write it, kept
  const frac = await decodeSliceToHu(job([10, 11], { rescaleSlope: 0.5, rescaleIntercept: -0.25, output: 'float32' }));
  assert.deepEqual(Array.from(frac), [4.75, 5.25]);
});

test('only BitsStored bits count: high garbage bits are dropped, signed 12-bit is sign-extended', async () => {
  // 0xF064 with 12 bits stored unsigned = 0x064 = 100
  const u = await decodeSliceToHu(job([0xf064], { bitsStored: 12, pixelRepresentation: 0 }));
  assert.deepEqual(Array.from(u), [100]);
  // 0x0FFF signed 12-bit = −1; 0x0800 = −2048 → below −1100 → air
  const s = await decodeSliceToHu(job([0x0fff, 0x0800, 0x07ff], { bitsStored: 12, pixelRepresentation: 1 }));
  assert.deepEqual(Array.from(s), [-1, -1000, 2047]);
  // a padding range (PixelPaddingRangeLimit) covers every value between the two
  const r = await decodeSliceToHu(job([-2000, -1500, -1200, 0], { paddingValue: -2000, paddingRangeLimit: -1200 }));
  assert.deepEqual(Array.from(r), [-1000, -1000, -1000, 0]);
});

test('Int16 output saturates instead of wrapping', async () => {
  const hu = await decodeSliceToHu(job([60000], { pixelRepresentation: 0, rescaleIntercept: -1024 }));
  assert.deepEqual(Array.from(hu), [32767]);
});

test('RLE PackBits: literal run, replicate run and no-op (PS3.5 G.3.1, hand-made)', () => {
  const frame = new Uint8Array(64 + 7);
  const v = new DataView(frame.buffer);
  v.setUint32(0, 1, true);
  v.setUint32(4, 64, true);
  // literal 3 bytes (header 2), replicate 7 three times (header −2 = 0xFE), no-op (0x80)
  frame.set([0x02, 1, 2, 3, 0xfe, 7, 0x80], 64);
  const d = decodeRle(frame, 2, 3, 8, 1, 'r.dcm');
  assert.deepEqual(Array.from(d.values), [1, 2, 3, 7, 7, 7]);
  // a short segment is an error, not a silently shorter image
  assert.throws(() => decodeRle(frame, 3, 3, 8, 1, 'r.dcm'), (e: unknown) => e instanceof InputError && /r\.dcm: RLE segment 1 ends after 6 of 9 pixels/.test(e.message));
});

test('unsupported transfer syntax and colour are named in the error', async () => {
  await assert.rejects(decodeSliceToHu(job([0], { transferSyntaxUid: '1.2.840.10008.1.2.4.201' })), (e: unknown) => e instanceof InputError && /x\.dcm: transfer syntax 1\.2\.840\.10008\.1\.2\.4\.201 \(High-Throughput JPEG 2000 \(Lossless Only\)\) is not supported/.test((e as Error).message));
  await assert.rejects(decodeSliceToHu(job([0, 0, 0], { samplesPerPixel: 3, columns: 1 })), /x\.dcm: has 3 samples per pixel \(colour\)/);
  await assert.rejects(decodeSliceToHu(job([1, 2], { transferSyntaxUid: TS.jpegLs })), (e: unknown) => e instanceof InputError && /x\.dcm: cannot decode JPEG-LS Lossless pixel data/.test((e as Error).message));
});
