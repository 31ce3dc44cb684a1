import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.ts';
import { AIR_HU } from '../../src/core/constants.ts';
import { voxelToPatient } from '../../src/core/volume.ts';
import { readDicom } from '../../src/io/dicom.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { phantomHu, sampleFilePath, SECONDARY_CAPTURE, SECRET_PATIENT_ID, SECRET_PATIENT_NAME, writeSeries } from './dicom-writer.ts';
import { withTempDir } from './temp-dir.ts';

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('series', fn);
}

const isInputError = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n');

test('series choice: ORIGINAL/PRIMARY/AXIAL CT wins over a larger derived series; localizer and secondary capture are rejected; --series overrides', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir: join(dir, 'axial'), syntax: TS.explicitLittle, nz: 4, seriesUid: '1.9.1' });
    await writeSeries({ dir: join(dir, 'mpr'), syntax: TS.explicitLittle, nz: 6, seriesUid: '1.9.2', imageType: 'DERIVED\\SECONDARY\\AXIAL' });
    await writeSeries({ dir: join(dir, 'scout'), syntax: TS.explicitLittle, nz: 9, seriesUid: '1.9.3', imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER' });
    await writeSeries({ dir: join(dir, 'sc'), syntax: TS.explicitLittle, nz: 9, seriesUid: '1.9.4', sopClassUid: SECONDARY_CAPTURE });
    const auto = await readDicom(dir, { workers: 0 });
    assert.equal(auto.volume.source.seriesInstanceUid, '1.9.1');
    assert.equal(auto.choice.reason, 'CT, ORIGINAL/PRIMARY/AXIAL, the only such of 2 usable series');
    const byUid = Object.fromEntries(auto.scan.series.map((s) => [s.seriesInstanceUid, s]));
    assert.equal(byUid['1.9.3'].rejected, 'localizer (scout) images');
    assert.match(byUid['1.9.4'].rejected ?? '', /secondary capture/);
    assert.equal(byUid['1.9.2'].rejected, undefined);
    const forced = await readDicom(dir, { workers: 0, seriesUid: '1.9.2' });
    assert.deepEqual(forced.volume.dims, [16, 12, 6]);
    assert.equal(forced.choice.reason, 'requested with --series');
    await assert.rejects(readDicom(dir, { seriesUid: '9.9.9' }), isInputError(/no series with SeriesInstanceUID 9\.9\.9; found /));
    await assert.rejects(readDicom(dir, { seriesUid: '1.9.3' }), isInputError(/series 1\.9\.3 cannot be screened: localizer/));
  });
});

test('among equally preferred series the one with most slices is chosen', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir: join(dir, 'a'), syntax: TS.explicitLittle, nz: 3, seriesUid: '1.8.1' });
    await writeSeries({ dir: join(dir, 'b'), syntax: TS.explicitLittle, nz: 5, seriesUid: '1.8.2' });
    const r = await readDicom(dir, { workers: 0 });
    assert.equal(r.volume.source.seriesInstanceUid, '1.8.2');
    assert.equal(r.choice.reason, 'CT, ORIGINAL/PRIMARY/AXIAL, most slices (5) of 2 such series (2 usable)');
  });
});

test('PatientPosition reaches the volume source (which lung is dependent); absent, the source has none', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir: join(dir, 'prone'), syntax: TS.explicitLittle, nz: 3, seriesUid: '1.8.5', patientPosition: 'hfp' });
    assert.equal((await readDicom(join(dir, 'prone'), { workers: 0 })).volume.source.patientPosition, 'HFP');
    await writeSeries({ dir: join(dir, 'none'), syntax: TS.explicitLittle, nz: 3, seriesUid: '1.8.6' });
    assert.equal((await readDicom(join(dir, 'none'), { workers: 0 })).volume.source.patientPosition, undefined);
  });
});

test('gantry tilt: each slice is shifted back in-plane and the tilt is reported', async () => {
  await withDir(async (dir) => {
    // each next slice sits 0.7 mm (one column) further along x: a tilted stack
    await writeSeries({ dir, syntax: TS.explicitLittle, nx: 16, ny: 12, nz: 4, spacingMm: [0.7, 0.8, 2.5], tiltShiftMmPerSlice: 0.7 });
    const { volume } = await readDicom(dir, { workers: 0 });
    assert.deepEqual(volume.dims, [16, 12, 4]);
    assert.equal(volume.spacingMm[2], 2.5);
    // atan(0.7 / 2.5) = 15.64°
    assert.match(volume.warnings.join(' '), /gantry tilt of 15\.6°/);
    // output voxel (x, y, k) lies at slice k's pixel (x − k, y); left of the scan is air
    for (let k = 0; k < 4; k++) {
      for (const x of [0, 3, 10, 15]) {
        const expected = x - k >= 0 ? phantomHu(x - k, 5, k) : AIR_HU;
        assert.equal(volume.data[x + 16 * (5 + 12 * k)], expected, `voxel (${x},5,${k})`);
      }
    }
  });
});

test('a gap is filled by linear interpolation onto the median spacing, with a warning', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir, syntax: TS.explicitLittle, nz: 5, zPositionsMm: [0, 2.5, 5, 10, 12.5], shuffleSeed: 5 });
    const { volume } = await readDicom(dir, { workers: 0 });
    assert.deepEqual(volume.dims, [16, 12, 6]);
    assert.equal(volume.spacingMm[2], 2.5);
    assert.match(volume.warnings.join(' '), /uneven slice spacing: 1 of 4 steps differ from 2\.50 mm \(largest 5\.00 mm/);
    const plane = 16 * 12;
    const at = (x: number, y: number, z: number) => volume.data[x + 16 * y + plane * z];
    // z = 7.5 mm is halfway between the slices at 5 mm (phantom z 2) and 10 mm (phantom z 3)
    assert.equal(at(4, 7, 3), Math.round((phantomHu(4, 7, 2) + phantomHu(4, 7, 3)) / 2));
    assert.equal(at(4, 7, 4), phantomHu(4, 7, 3));
    assert.equal(at(4, 7, 5), phantomHu(4, 7, 4));
  });
});

test('two slices at one position is a clear error', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir, syntax: TS.explicitLittle, nz: 4, zPositionsMm: [0, 2.5, 2.5, 5] });
    await assert.rejects(readDicom(dir, { workers: 0 }), isInputError(/series has 2 slices at one position \(-97\.50 mm along the slice normal: img_\d\.dcm, img_\d\.dcm\)/));
  });
});

test('oblique orientation: direction columns are the DICOM row/column cosines and their normal', async () => {
  await withDir(async (dir) => {
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    await writeSeries({ dir, syntax: TS.explicitLittle, nz: 3, orientation: [c, s, 0, -s, c, 0], spacingMm: [0.7, 0.8, 2.5], shuffleSeed: 2 });
    const { volume } = await readDicom(dir, { workers: 0 });
    const d = volume.direction;
    const expected = [c, -s, 0, s, c, 0, 0, 0, 1];
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(d[i] - expected[i]) < 1e-5, `direction ${d}`);
    // voxel (0,0,2) sits 2 × 2.5 mm along the normal (+z) from the first slice
    const p = voxelToPatient(volume, [0, 0, 2]);
    assert.ok(Math.abs(p[2] - (-100 + 5)) < 1e-4);
    assert.equal(volume.data[16 * 12 * 2], phantomHu(0, 0, 2));
  });
});

test('padding value and out-of-scan pixels become air', async () => {
  await withDir(async (dir) => {
    // unsigned: stored 0 would be −1024 HU, but it is declared padding → −1000
    await writeSeries({ dir: join(dir, 'u'), syntax: TS.explicitLittle, nz: 2, paddingValue: 0 });
    const u = await readDicom(join(dir, 'u'), { workers: 0 });
    assert.equal(u.volume.data[0], AIR_HU);
    assert.equal(u.volume.data[1], phantomHu(1, 0, 0));
    // signed: −3024 (a scanner's outside-the-circle marker) is not declared, still becomes air
    await writeSeries({ dir: join(dir, 's'), syntax: TS.explicitLittle, nz: 2, signed: true, paddingValue: -3024 & 0xffff });
    const s = await readDicom(join(dir, 's'), { workers: 0 });
    assert.equal(s.volume.data[0], AIR_HU);
  });
});

test('non-DICOM files are skipped with a note; a truncated DICOM file is an error naming it', async () => {
  await withDir(async (dir) => {
    const { files } = await writeSeries({ dir, syntax: TS.explicitLittle, nz: 3 });
    await writeFile(join(dir, 'notes.txt'), 'scan protocol notes');
    await writeFile(join(dir, 'thumb.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    const ok = await readDicom(dir, { workers: 0 });
    assert.deepEqual(ok.volume.dims, [16, 12, 3]);
    assert.match(ok.volume.warnings.join(' '), /skipped 2 non-DICOM file\(s\) \(e\.g\. notes\.txt, thumb\.png\)/);
    const bytes = await readFile(files[1]);
    await writeFile(files[1], bytes.subarray(0, bytes.length - 100));
    await assert.rejects(readDicom(dir, { workers: 0 }), isInputError(/img_2\.dcm: truncated DICOM file/));
  });
});

test('no DICOM, non-CT modality and corrupt zip give one-line errors', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'a.dcm'), 'not really dicom');
    await assert.rejects(readDicom(dir), isInputError(/no DICOM files found among 1 file\(s\) \(e\.g\. a\.dcm\)/));
    const mr = join(dir, 'mr');
    await writeSeries({ dir: mr, syntax: TS.explicitLittle, nz: 2, modality: 'MR' });
    await assert.rejects(readDicom(mr), isInputError(/no CT series; found MR ×2 \(modality MR, not CT\)/));
    // a real MR sample file shipped by an npm package
    const sample = join(dir, 'sample');
    await mkdir(sample);
    await copyFile(sampleFilePath('jpeg_lossless_sel1.dcm'), join(sample, 'mr.dcm'));
    await assert.rejects(readDicom(sample), isInputError(/no CT series; found MR ×1/));
    const zip = join(dir, 'broken.zip');
    await writeFile(zip, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
    await assert.rejects(readDicom(zip), isInputError(/broken\.zip: corrupt or unsupported zip/));
  });
});

test('volume source carries no patient name or ID', async () => {
  await withDir(async (dir) => {
    await writeSeries({ dir, syntax: TS.explicitLittle, nz: 2 });
    const r = await readDicom(dir, { workers: 0 });
    const text = JSON.stringify({ source: r.volume.source, warnings: r.volume.warnings, scan: r.scan, choice: r.choice });
    assert.ok(!text.includes(SECRET_PATIENT_NAME.split('^')[0]));
    assert.ok(!text.includes(SECRET_PATIENT_ID));
    assert.equal(r.volume.source.modality, 'CT');
  });
});
