// The JPEG Lossless port (src/io/dicom/jpeg-lossless.ts) must give exactly what
// jpeg-lossless-decoder-js gives — samples, and throwing or not — on real streams and corrupt ones,
// and leave what it does not cover to the library (undefined).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decoder } from 'jpeg-lossless-decoder-js';
import { mulberry32 } from '../../src/core/random.ts';
import { decodeJpegLosslessFast } from '../../src/io/dicom/jpeg-lossless.ts';
import { extractFrame, parseDataSet, sliceHeader } from '../../src/io/dicom/parse.ts';
import { sampleJpegLosslessFrame } from './dicom-writer.ts';

type Outcome = { values: Uint8Array | Uint16Array } | { threw: true };

function library(frame: Uint8Array, bytes: 1 | 2): Outcome {
  const buf = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer;
  try {
    return { values: new Decoder().decode(buf, 0, buf.byteLength, bytes) };
  } catch {
    return { threw: true };
  }
}

/** The port, falling back to the library as src/io/dicom/decode.ts does. */
function port(frame: Uint8Array, bytes: 1 | 2): { outcome: Outcome; fast: boolean } {
  let fast;
  try {
    fast = decodeJpegLosslessFast(frame, bytes);
  } catch {
    return { outcome: { threw: true }, fast: true };
  }
  return fast ? { outcome: { values: fast.values }, fast: true } : { outcome: library(frame, bytes), fast: false };
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('threw' in a || 'threw' in b) return 'threw' in a && 'threw' in b;
  if (a.values.constructor !== b.values.constructor || a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) return false;
  return true;
}

test('the port decodes the library\'s sample streams (predictors 1–6, 8 and 16 bit) exactly as the library does', () => {
  const covered = ['jpeg_lossless_sel1.dcm', 'jpeg_lossless_sel2.dcm', 'jpeg_lossless_sel3.dcm', 'jpeg_lossless_sel4.dcm', 'jpeg_lossless_sel5.dcm', 'jpeg_lossless_sel6.dcm', 'jpeg_lossless_sel1-8bit.dcm'];
  for (const name of covered) {
    const { frame } = sampleJpegLosslessFrame(name);
    for (const bytes of [1, 2] as const) {
      const fast = decodeJpegLosslessFast(frame, bytes);
      assert.ok(fast, `${name} is inside the port's subset`);
      assert.ok(sameOutcome({ values: fast.values }, library(frame, bytes)), `${name}, ${bytes} byte(s) per sample`);
    }
  }
  // predictor 7 (a fractional prediction in the library) and colour are left to the library
  assert.equal(decodeJpegLosslessFast(sampleJpegLosslessFrame('jpeg_lossless_sel7.dcm').frame, 2), undefined);
  assert.equal(decodeJpegLosslessFast(sampleJpegLosslessFrame('jpeg_lossless_sel1-rgb.dcm').frame, 1), undefined);
});

test('on corrupted streams (bytes changed, markers put in, cut short) the port and the library agree', () => {
  const { frame } = sampleJpegLosslessFrame('jpeg_lossless_sel1.dcm');
  const rand = mulberry32(16);
  const pick = (n: number) => Math.floor(rand() * n);
  let fastCount = 0;
  const cases = 400;
  for (let c = 0; c < cases; c++) {
    const f = frame.slice();
    const kind = c % 4;
    // the entropy-coded data start after the headers; corrupt mostly there, and mostly near its end
    const at = c % 8 < 4 ? f.length - 1 - pick(64) : 40 + pick(f.length - 40);
    let g: Uint8Array = f;
    if (kind === 0) f[at] = pick(256);
    else if (kind === 1) f[at] = 0xff;
    else if (kind === 2 && at + 1 < f.length) {
      f[at] = 0xff;
      f[at + 1] = [0xd9, 0xd0, 0xdc, 0xff, 0x01][pick(5)];
    } else g = Uint8Array.of(...f.subarray(0, Math.max(4, at)), 0xff, 0xd9);
    const got = port(g, 2);
    if (got.fast) fastCount++;
    assert.ok(sameOutcome(got.outcome, library(g, 2)), `case ${c} (kind ${kind} at byte ${at} of ${f.length})`);
  }
  // most corruptions stay inside the port's subset, so the comparison above tests the port itself
  assert.ok(fastCount > cases / 2, `${fastCount} of ${cases} decoded by the port`);
});

const P001 = join(import.meta.dirname, '../../../shared/data/covid-ct-md/P001');

test('real CT slices (COVID-CT-MD P001, JPEG Lossless SV1) decode exactly as the library does', { skip: !existsSync(P001) && 'shared data absent' }, () => {
  const names = readdirSync(P001).filter((n) => n.endsWith('.dcm')).sort().slice(0, 6);
  for (const name of names) {
    const file = join(P001, name);
    const ds = parseDataSet(new Uint8Array(readFileSync(file)), { headerOnly: false, assumeImplicit: false, maxInflatedBytes: 1 << 30, file });
    const frame = extractFrame(ds, sliceHeader(ds, file));
    const fast = decodeJpegLosslessFast(frame, 2);
    assert.ok(fast, name);
    assert.ok(sameOutcome({ values: fast.values }, library(frame, 2)), name);
  }
});
