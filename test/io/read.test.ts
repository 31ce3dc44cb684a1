import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../src/core/errors.ts';
import { writeNifti } from '../../src/io/nifti.ts';
import { detectInputKind, readVolume } from '../../src/io/read.ts';

test('readVolume detects NIfTI, image stacks and single images; rejects unknown input clearly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ctscreen-read-'));
  try {
    const data = Int16Array.from({ length: 8 }, (_, i) => i * 100 - 1000);
    const nii = join(dir, 'v.nii.gz');
    await writeNifti({ data, dims: [2, 2, 2], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], source: { format: 'synthetic', sliceCount: 2, pseudoHu: false }, warnings: [] }, nii);
    assert.equal(await detectInputKind(nii), 'nifti');
    assert.deepEqual(Array.from((await readVolume(nii)).data), Array.from(data));

    const stack = join(dir, 'stack');
    await mkdir(stack);
    for (const n of ['1', '2', '3']) await sharp(Buffer.alloc(16, 200), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(join(stack, `s${n}.png`));
    assert.equal(await detectInputKind(stack), 'image-stack');
    const sv = await readVolume(stack, { spacingMm: [1, 1, 3] });
    assert.deepEqual(sv.dims, [4, 4, 3]);
    assert.deepEqual(sv.spacingMm, [1, 1, 3]);
    assert.equal(sv.source.pseudoHu, true);

    assert.equal(await detectInputKind(join(stack, 's1.png')), 'image');
    assert.deepEqual((await readVolume(join(stack, 's1.png'))).dims, [4, 4, 1]);

    const empty = join(dir, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'readme.txt'), 'x');
    await assert.rejects(readVolume(empty), (e: unknown) => e instanceof InputError && /empty: folder holds no DICOM files and no PNG\/JPEG slices/.test((e as Error).message));
    await assert.rejects(readVolume(join(dir, 'nope')), /nope: no such file or folder/);
    await assert.rejects(readVolume(join(empty, 'readme.txt')), /readme\.txt: not a recognised input/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readVolume: a DICOM folder, one DICOM file, and a raw data set without the Part-10 preamble', async () => {
  const { writeSeries } = await import('./dicom-writer.ts');
  const { TS } = await import('../../src/io/dicom/transfer-syntax.ts');
  const { readFile } = await import('node:fs/promises');
  const dir = await mkdtemp(join(tmpdir(), 'ctscreen-read-dicom-'));
  try {
    const { files } = await writeSeries({ dir: join(dir, 's'), syntax: TS.implicitLittle, nz: 3, spacingMm: [0.7, 0.8, 2.5] });
    assert.equal(await detectInputKind(join(dir, 's')), 'dicom-folder');
    assert.deepEqual((await readVolume(join(dir, 's'), { workers: 0 })).dims, [16, 12, 3]);
    assert.equal(await detectInputKind(files[0]), 'dicom-file');
    const one = await readVolume(files[0]);
    assert.deepEqual(one.dims, [16, 12, 1]);
    assert.equal(one.spacingMm[2], 2.5);
    assert.match(one.warnings.join(' '), /single slice: slice spacing taken from SliceThickness \(2\.5 mm\)/);
    // strip preamble + file meta (group 0002): an old-style raw implicit-LE data set
    const raw = join(dir, 'raw');
    await mkdir(raw);
    for (const [i, f] of files.entries()) {
      const bytes = new Uint8Array(await readFile(f));
      const metaLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(132 + 8, true);
      await writeFile(join(raw, `IM${i}`), bytes.subarray(132 + 12 + metaLength));
    }
    const r = await readVolume(raw, { workers: 0 });
    assert.deepEqual(r.dims, [16, 12, 3]);
    assert.equal(r.source.transferSyntaxUid, TS.implicitLittle);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
