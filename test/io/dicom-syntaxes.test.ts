import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { InputError } from '../../src/core/errors.ts';
import { readDicom } from '../../src/io/dicom.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { dicomSliceBytes, phantomHu, sampleJpegLosslessFrame, writeSeries } from './dicom-writer.ts';
import { withTempDir } from './temp-dir.ts';

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('dicom', fn);
}

function assertPhantom(data: ArrayLike<number>, nx: number, ny: number, nz: number): void {
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const got = data[x + nx * (y + ny * z)];
        if (got !== phantomHu(x, y, z)) assert.fail(`voxel (${x},${y},${z}) is ${got}, expected ${phantomHu(x, y, z)}`);
      }
    }
  }
}

const LOSSLESS: Array<[string, string, boolean]> = [
  ['implicit VR little endian', TS.implicitLittle, false],
  ['explicit VR little endian', TS.explicitLittle, true],
  ['explicit VR big endian', TS.explicitBig, true],
  ['deflated explicit VR little endian', TS.deflatedExplicitLittle, false],
  ['RLE lossless', TS.rle, true],
  ['JPEG-LS lossless', TS.jpegLs, false],
  ['JPEG 2000 lossless', TS.jpeg2000Lossless, true],
];

for (const [name, syntax, signed] of LOSSLESS) {
  test(`${name}: shuffled files read back as the exact HU phantom, ordered by position`, async () => {
    await withDir(async (dir) => {
      // 64 px: OpenJPEG's default 5 wavelet levels need at least 32 px
      await writeSeries({ dir, syntax, nx: 64, ny: 48, nz: 5, spacingMm: [0.7, 0.8, 2.5], shuffleSeed: 7, signed });
      const { volume, choice } = await readDicom(dir, { workers: 0 });
      assert.deepEqual(volume.dims, [64, 48, 5]);
      assert.deepEqual(volume.spacingMm, [0.7, 0.8, 2.5]);
      assert.deepEqual(volume.originMm, [-20, -30, -100]);
      assert.deepEqual(Array.from(volume.direction), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
      assert.ok(volume.data instanceof Int16Array);
      assertPhantom(volume.data, 64, 48, 5);
      assert.equal(volume.source.transferSyntaxUid, syntax);
      assert.equal(volume.source.sliceCount, 5);
      assert.equal(choice.chosen.sliceCount, 5);
      assert.deepEqual(volume.warnings, []);
    });
  });
}

test('worker threads decode a compressed series to the same voxels as the calling thread', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir, syntax: TS.jpegLs, nx: 64, ny: 64, nz: 10, shuffleSeed: 3 });
    const threaded = await readDicom(dir, { workers: 2 });
    assert.equal(threaded.workersUsed, 2);
    assertPhantom(threaded.volume.data, 64, 64, 10);
  });
});

test('a frame a worker cannot decode fails the read with an error naming the file', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir, syntax: TS.jpegLs, nz: 8, encodedFrame: Uint8Array.of(0xff, 0xd8, 1, 2, 3, 4) });
    await assert.rejects(readDicom(dir, { workers: 2 }), (e: unknown) => e instanceof InputError && /img_\d\.dcm: cannot decode JPEG-LS Lossless pixel data/.test((e as Error).message));
  });
});

test('JPEG Lossless .70 and .57 (frames from the samples jpeg-lossless-decoder-js ships) decode to its published checksum', async () => {
  await withDir(async (dir) => {
    // sel1 uses predictor 1, which is exactly what .70 (Process 14, Selection Value 1) means
    const sel1 = sampleJpegLosslessFrame('jpeg_lossless_sel1.dcm');
    const sel5 = sampleJpegLosslessFrame('jpeg_lossless_sel5.dcm');
    for (const [sub, syntax, frame] of [['a', TS.jpegLossless70, sel1], ['b', TS.jpegLossless57, sel5]] as const) {
      await writeSeries({ dir: join(dir, sub), syntax, nz: 3, frameSize: [frame.columns, frame.rows], encodedFrame: frame.frame, signed: true, bitsStored: 16 });
    }
    const a = await readDicom(join(dir, 'a'), { workers: 0 });
    const b = await readDicom(join(dir, 'b'), { workers: 0 });
    assert.deepEqual(a.volume.dims, [256, 256, 3]);
    const plane = 256 * 256;
    const slice0 = (a.volume.data as Int16Array).subarray(0, plane);
    // upstream's driver-sel1 test: decoded output CRC-32 = 3476557349 (HU = stored: slope 1, intercept 0)
    assert.equal(crc32(new Uint8Array(slice0.buffer, slice0.byteOffset, slice0.byteLength)), 3476557349);
    // another predictor, same image: lossless means identical voxels
    assert.deepEqual(Array.from(b.volume.data.subarray(0, plane)), Array.from(slice0));
  });
});

test('JPEG baseline 8-bit is decoded within the lossy tolerance and flagged as lossy', async () => {
  await withDir(async (dir) => {
    const nx = 32;
    const ny = 32;
    for (let z = 0; z < 3; z++) {
      const stored = new Uint8Array(nx * ny);
      for (let i = 0; i < stored.length; i++) stored[i] = 100 + ((i % nx) >> 2) + z;
      const bytes = await dicomSliceBytes({
        syntax: TS.jpegBaseline, rows: ny, columns: nx, stored, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0,
        slope: 4, intercept: -1000, positionMm: [0, 0, 3 * z], orientation: [1, 0, 0, 0, 1, 0], pixelSpacingMm: [1, 1],
        seriesUid: '1.2.3.50', sopInstanceUid: `1.2.3.50.${z}`,
      });
      await writeFile(join(dir, `s${z}.dcm`), bytes);
    }
    const { volume } = await readDicom(dir, { workers: 0 });
    assert.deepEqual(volume.dims, [32, 32, 3]);
    let worst = 0;
    for (let z = 0; z < 3; z++) for (let i = 0; i < nx * ny; i++) worst = Math.max(worst, Math.abs(volume.data[z * nx * ny + i] - (4 * (100 + ((i % nx) >> 2) + z) - 1000)));
    // quality-100 baseline JPEG of a smooth ramp: ≤ 2 grey levels = 8 HU
    assert.ok(worst <= 8, `max error ${worst} HU`);
    assert.match(volume.warnings.join(' '), /lossy compression \(JPEG Baseline/);
  });
});

test('a .zip of a series reads like the folder; subfolders are searched', async () => {
  const { zipSync } = await import('fflate');
  const { readFile } = await import('node:fs/promises');
  await withDir(async (dir) => {
    const series = join(dir, 'study', 'series1');
    await mkdir(series, { recursive: true });
    const { files } = await writeSeries({ dir: series, syntax: TS.explicitLittle, nz: 4, shuffleSeed: 11 });
    const fromFolder = await readDicom(dir, { workers: 0 });
    assertPhantom(fromFolder.volume.data, 16, 12, 4);
    const zip: Record<string, Uint8Array> = {};
    for (const f of files) zip[`series1/${f.split('/').pop()}`] = new Uint8Array(await readFile(f));
    const zipPath = join(dir, 'series.zip');
    await writeFile(zipPath, zipSync(zip));
    const fromZip = await readDicom(zipPath, { workers: 0 });
    assert.deepEqual(Array.from(fromZip.volume.data), Array.from(fromFolder.volume.data));
  });
});
