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
