// Issue 10, resource limits: bombs are generated here (small compressed, huge claimed or inflated) and
// must be refused with a stable code naming the limit, after a bounded number of inflated bytes.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { constants, deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { Zip, ZipDeflate, ZipPassThrough, zipSync } from 'fflate';
import { main } from '../../src/cli/main.ts';
import { httpStatusOf } from '../../src/core/error-codes.ts';
import { InputError } from '../../src/core/errors.ts';
import { readDicom } from '../../src/io/dicom.ts';
import { readZipDirectory, readZipEntry } from '../../src/io/dicom/zip.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { DEFAULT_INPUT_LIMITS, type InputLimits, MIB, resolveLimits } from '../../src/io/limits.ts';
import { decodeNifti, encodeNifti, gunzipNifti } from '../../src/io/nifti.ts';
import { readVolume } from '../../src/io/read.ts';
import { writeSeries } from './dicom-writer.ts';
import { withTempDir } from './temp-dir.ts';

/** One push of the inflater yields at most ≈ 1032 × 16 KiB; refusals may overshoot a limit by that. */
const PUSH_SLACK_BYTES = 17 * MIB;

function run(argv: string[]) {
  let out = '';
  let err = '';
  return main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }).then((code) => ({ code, out, err }));
}

function limitRefusal(code: string, message: RegExp, check: (e: InputError) => void = () => {}) {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    check(e);
    return true;
  };
}

/**
 * Raw deflate of `mib` MiB of zeros, built without inflating anything: one full-flushed block of
 * 1 MiB of zeros (≈ 1 KiB, byte-aligned, not final, no back-references across it) repeated, then
 * an empty final block. 3 GiB of zeros cost ≈ 3 MB and a few milliseconds.
 */
function zerosDeflate(mib: number, prefix = new Uint8Array(0)): Uint8Array {
  const block = deflateRawSync(new Uint8Array(MIB), { finishFlush: constants.Z_FULL_FLUSH });
  const head = prefix.length ? deflateRawSync(prefix, { finishFlush: constants.Z_FULL_FLUSH }) : new Uint8Array(0);
  const out = new Uint8Array(head.length + block.length * mib + 2);
  out.set(head);
  for (let i = 0; i < mib; i++) out.set(block, head.length + i * block.length);
  out.set([0x03, 0x00], out.length - 2); // final fixed-Huffman block holding only end-of-block
  return out;
}

interface FakeEntry {
  name: string;
  /** What the directory claims the entry inflates to. */
  declaredBytes: number;
}

/**
 * A zip whose entries all share one deflated local record (as overlapping-entry bombs do), each
 * declaring `declaredBytes` in the central directory. CRCs are 0: ctscreen refuses before they matter.
 */
function fakeZip(data: Uint8Array, entries: FakeEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const localName = enc.encode('x');
  const local = new Uint8Array(30 + localName.length);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(4, 20, true);
  lv.setUint16(8, 8, true);
  lv.setUint32(18, data.length, true);
  lv.setUint32(22, entries[0]?.declaredBytes ?? 0, true);
  lv.setUint16(26, localName.length, true);
  local.set(localName, 30);
  const central = entries.map((e) => {
    const name = enc.encode(e.name);
    const c = new Uint8Array(46 + name.length);
    const v = new DataView(c.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(6, 20, true);
    v.setUint16(10, 8, true);
    v.setUint32(20, data.length, true);
    v.setUint32(24, e.declaredBytes, true);
    v.setUint16(28, name.length, true);
    v.setUint32(42, 0, true);
    c.set(name, 46);
    return c;
  });
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, local.length + data.length, true);
  const out = new Uint8Array(local.length + data.length + cdSize + 22);
  let o = 0;
  for (const part of [local, data, ...central, eocd]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

test('a 3 MB zip whose entry inflates to 3 GiB is refused from its central directory, before inflating a byte', async () => {
  await withTempDir('zip-bomb', async (dir) => {
    const data = zerosDeflate(3072);
    assert.ok(data.length < 4 * MIB, `${data.length} compressed bytes`);
    const zip = join(dir, 'bomb.zip');
    await writeFile(zip, fakeZip(data, [{ name: 'slice.dcm', declaredBytes: 3072 * MIB }]));
    const message = /bomb\.zip:slice\.dcm: entry declares 3072\.0 MiB inflated, more than 256 MiB \(limit --max-entry-mb 256\); raise the limit with --max-entry-mb if the input is genuine$/;
    await assert.rejects(readVolume(zip), limitRefusal('INPUT_LIMIT_ENTRY_SIZE', message, (e) => {
      assert.equal(e.details?.inflatedBytes, 0);
      assert.equal(e.details?.limitValue, DEFAULT_INPUT_LIMITS.maxEntryBytes);
      assert.equal(httpStatusOf(e), 413);
    }));
    // the CLI: one line, exit 2
    const r = await run(['screen', zip]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^ctscreen: error: .*bomb\.zip:slice\.dcm: entry declares 3072\.0 MiB inflated.*--max-entry-mb 256.*\n$/);
  });
});

test('overlapping entries whose declared sizes add up past the total limit are refused, nothing inflated', async () => {
  await withTempDir('zip-overlap', async (dir) => {
    const zip = join(dir, 'overlap.zip');
    const entries = Array.from({ length: 6 }, (_, i) => ({ name: `s${i}.dcm`, declaredBytes: 200 * MIB }));
    await writeFile(zip, fakeZip(zerosDeflate(200), entries));
    await assert.rejects(
      readVolume(zip),
      limitRefusal('INPUT_LIMIT_DECOMPRESSED', /overlap\.zip: 6 entries declare more than 1024 MiB inflated \(limit --max-decompressed-mb 1024\); raise the limit with --max-decompressed-mb if the input is genuine$/, (e) => assert.equal(e.details?.inflatedBytes, 0)),
    );
    // the flag raises it: then the entries are read (and are not DICOM)
    const r = await run(['info', zip, '--max-decompressed-mb', '2048', '--max-entry-mb', '256']);
    assert.equal(r.code, 2);
    assert.match(r.err, /no DICOM files found among 6 file\(s\)/);
  });
});

test('an entry that inflates past its declared size stops within one push of that size', async () => {
  await withTempDir('zip-lying', async (dir) => {
    const zip = join(dir, 'lying.zip');
    // declares 1 MiB, inflates to 1 GiB
    await writeFile(zip, fakeZip(zerosDeflate(1024), [{ name: 'a.dcm', declaredBytes: MIB }]));
    const [entry] = await readZipDirectory(zip, resolveLimits({}), () => true);
    await assert.rejects(readZipEntry(zip, entry), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.code, 'DICOM_CORRUPT_ZIP');
      assert.match(e.message, /lying\.zip:a\.dcm: corrupt zip entry \(inflates past its declared 1048576 bytes; stopped after \d+\)/);
      assert.ok(Number(e.details?.inflatedBytes) <= MIB + PUSH_SLACK_BYTES, `inflated ${e.details?.inflatedBytes}`);
      return true;
    });
    // a header read takes only what it asks for
    assert.equal((await readZipEntry(zip, entry, 1000)).length, 1000);
  });
});

test('entry count, "../" and absolute entry names are refused with the entry named', async () => {
  await withTempDir('zip-names', async (dir) => {
    const many = join(dir, 'many.zip');
    await writeFile(many, fakeZip(zerosDeflate(0), Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, declaredBytes: 0 }))));
    const r = await run(['info', many, '--max-entries', '10']);
    assert.equal(r.code, 2);
    assert.equal(r.err, `ctscreen: error: ${many}: zip holds 30 entries, more than 10 (limit --max-entries 10); raise the limit with --max-entries if the input is genuine\n`);
    for (const name of ['../evil.dcm', 'series/../../evil.dcm', '/etc/evil.dcm', 'C:/evil.dcm', '..\\evil.dcm']) {
      const zip = join(dir, 'unsafe.zip');
      await writeFile(zip, zipSync({ 'ok.dcm': new Uint8Array(10), [name]: new Uint8Array(10) }));
      await assert.rejects(readDicom(zip), (e: unknown) => e instanceof InputError && e.code === 'ZIP_UNSAFE_PATH' && e.message.includes(`entry '${name.replace(/\\/g, '/')}' points outside the archive`), name);
    }
  });
});

test('a DICOM series claiming more voxels than --max-voxels is refused before its pixels are read', async () => {
  await withTempDir('dicom-voxels', async (dir) => {
    await writeSeries({ dir: join(dir, 's'), syntax: TS.explicitLittle, nz: 5 });
    await assert.rejects(readVolume(join(dir, 's'), { limits: { maxVoxels: 500 } }), limitRefusal('INPUT_LIMIT_VOXELS', /s: series claims 16×12×5 = 960 voxels, more than 500 \(limit --max-voxels 500\)/));
    assert.deepEqual((await readVolume(join(dir, 's'), { limits: { maxVoxels: 960 } })).dims, [16, 12, 5]);
    const r = await run(['info', join(dir, 's'), '--max-voxels', '500']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--max-voxels 500/);
    // folder limits: files counted, each file's size bounded
    await assert.rejects(readVolume(join(dir, 's'), { limits: { maxEntries: 3 } }), limitRefusal('INPUT_LIMIT_ENTRIES', /s: folder holds more than 3 files \(limit --max-entries 3\)/));
    await assert.rejects(readVolume(join(dir, 's'), { limits: { maxEntryBytes: 100 }, workers: 0 }), limitRefusal('INPUT_LIMIT_ENTRY_SIZE', /img_\d\.dcm: file is \d+ bytes, more than 0\.0000953674 MiB \(limit --max-entry-mb 0\.0000953674\)/));
  });
});

test('a deflated DICOM data set inflating past --max-entry-mb is refused', async () => {
  await withTempDir('dicom-deflate', async (dir) => {
    await writeSeries({ dir: join(dir, 's'), syntax: TS.deflatedExplicitLittle, nz: 2, nx: 64, ny: 64 });
    // 64² × 2 bytes of pixels ≈ 8 KiB inflated per file
    await assert.rejects(readVolume(join(dir, 's'), { limits: { maxEntryBytes: 4096 }, workers: 0 }), limitRefusal('INPUT_LIMIT_ENTRY_SIZE', /deflated DICOM data set inflates to more than 0\.00390625 MiB \(limit --max-entry-mb 0\.00390625\)/));
    assert.deepEqual((await readVolume(join(dir, 's'), { workers: 0 })).dims, [64, 64, 2]);
  });
});

/** A .nii.gz: a real header for `dims` (int16) followed by `zerosMib` MiB of zeros, gzip-framed by hand. */
function niftiGzBomb(dims: [number, number, number], zerosMib: number): Uint8Array {
  const header = encodeNifti({ data: new Int16Array(1), dims: [1, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], source: { format: 'synthetic', sliceCount: 1, pseudoHu: false }, warnings: [] }, { gzip: false }).slice(0, 352);
  const view = new DataView(header.buffer);
  for (let i = 0; i < 3; i++) view.setInt16(42 + 2 * i, dims[i], true);
  const body = zerosDeflate(zerosMib, header);
  const gz = new Uint8Array(10 + body.length + 8);
  gz.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  gz.set(body, 10);
  return gz; // CRC and size left 0: never reached
}

test('.nii.gz: a header claiming 32767³ voxels is refused after inflating the header only', () => {
  const gz = niftiGzBomb([32767, 32767, 32767], 64);
  assert.throws(() => decodeNifti(gz, { path: 'claims.nii.gz' }), limitRefusal('INPUT_LIMIT_VOXELS', /^claims\.nii\.gz: header claims 32767×32767×32767 = 35181150961663 voxels, more than 536870912 \(limit --max-voxels 536870912\)/));
});

test('.nii.gz: a header needing more than --max-decompressed-mb is refused at the header; trailing zeros are never inflated', () => {
  const limits: InputLimits = resolveLimits({ maxDecompressedBytes: 64 * MIB });
  // 1024² × 400 int16 = 800 MiB claimed (under the voxel limit), body of 1 GiB of zeros
  const gz = niftiGzBomb([1024, 1024, 400], 1024);
  assert.throws(() => gunzipNifti(gz, limits, 'big.nii.gz'), limitRefusal('INPUT_LIMIT_DECOMPRESSED', /^big\.nii\.gz: header needs 800\.0 MiB inflated, more than 64 MiB \(limit --max-decompressed-mb 64\)/, (e) => {
    assert.ok(Number(e.details?.inflatedBytes) <= PUSH_SLACK_BYTES, `inflated ${e.details?.inflatedBytes}`);
  }));
  // a small volume followed by 1 GiB of zeros: exactly the bytes the header needs are inflated
  const small = niftiGzBomb([64, 64, 8], 1024);
  const r = gunzipNifti(small, resolveLimits({}), 'small.nii.gz');
  assert.equal(r.data.length, 352 + 64 * 64 * 8 * 2);
  assert.ok(r.inflatedBytes <= r.data.length + PUSH_SLACK_BYTES, `inflated ${r.inflatedBytes}`);
  assert.deepEqual(decodeNifti(small).dims, [64, 64, 8]);
  // without a usable header, the total limit still stops a bomb
  const noHeader = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...zerosDeflate(256), 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => gunzipNifti(noHeader, limits, 'zeros.nii.gz'), limitRefusal('INPUT_LIMIT_DECOMPRESSED', /^zeros\.nii\.gz: gzip data inflate to more than 64 MiB \(limit --max-decompressed-mb 64\)/, (e) => {
    assert.ok(Number(e.details?.inflatedBytes) <= 64 * MIB + PUSH_SLACK_BYTES, `inflated ${e.details?.inflatedBytes}`);
  }));
});

test('image stacks: the voxels of all slices count against --max-voxels', async () => {
  await withTempDir('stack-voxels', async (dir) => {
    const stack = join(dir, 'stack');
    await mkdir(stack);
    for (const n of ['1', '2', '3']) await sharp(Buffer.alloc(16, 200), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(join(stack, `s${n}.png`));
    await assert.rejects(readVolume(stack, { limits: { maxVoxels: 40 } }), limitRefusal('INPUT_LIMIT_VOXELS', /stack: 3 image\(s\) of 4×4 make 48 voxels, more than 40 \(limit --max-voxels 40\)/));
    assert.deepEqual((await readVolume(stack, { limits: { maxVoxels: 48 } })).dims, [4, 4, 3]);
  });
});

test('limit flags: bad values are usage errors naming the flag; a zipped series reads within the defaults', async () => {
  for (const [flag, value] of [['--max-entries', 'abc'], ['--max-voxels', '0'], ['--max-entry-mb', '-1'], ['--max-decompressed-mb', '']]) {
    const r = await run(['info', 'nowhere', flag, value]);
    assert.equal(r.code, 2);
    assert.match(r.err, new RegExp(`${flag} '${value}' must be a positive`));
  }
  await withTempDir('zip-ok', async (dir) => {
    const { files } = await writeSeries({ dir: join(dir, 's'), syntax: TS.explicitLittle, nz: 4 });
    const entries: Record<string, Uint8Array> = {};
    for (const f of files) entries[`series/${f.split('/').pop()}`] = new Uint8Array(await readFile(f));
    await writeFile(join(dir, 's.zip'), zipSync(entries));
    const fromZip = await readVolume(join(dir, 's.zip'), { workers: 0 });
    const fromDir = await readVolume(join(dir, 's'), { workers: 0 });
    assert.deepEqual(Array.from(fromZip.data), Array.from(fromDir.data));
    // a zip written as a stream (sizes only in data descriptors and the central directory), stored and deflated entries
    const parts: Uint8Array[] = [];
    await new Promise<void>((resolve, reject) => {
      const z = new Zip((err, chunk, final) => {
        if (err) return reject(err);
        parts.push(chunk);
        if (final) resolve();
      });
      files.forEach((f, i) => {
        const e = i % 2 ? new ZipPassThrough(`s/${i}.dcm`) : new ZipDeflate(`s/${i}.dcm`, { level: 6 });
        z.add(e);
        e.push(entries[`series/${f.split('/').pop()}`], true);
      });
      z.end();
    });
    const streamed = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((o, p) => (streamed.set(p, o), o + p.length), 0);
    assert.equal(new DataView(streamed.buffer).getUint16(6, true) & 8, 8, 'first entry uses a data descriptor');
    await writeFile(join(dir, 'streamed.zip'), streamed);
    assert.deepEqual(Array.from((await readVolume(join(dir, 'streamed.zip'), { workers: 0 })).data), Array.from(fromDir.data));
  });
});
