import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { huStats, orientationCode } from '../../src/io/summary.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { SECRET_PATIENT_ID, SECRET_PATIENT_NAME, writeSeries } from './dicom-writer.ts';
import { withTempDir } from './temp-dir.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

test('info --json lists series, the choice and why, geometry and HU; no patient name or ID anywhere', async () => {
  await withTempDir('info', async (dir) => {
    await writeSeries({ dir: join(dir, 'ct'), syntax: TS.explicitLittle, nz: 4, seriesUid: '1.7.1', spacingMm: [0.7, 0.8, 2.5] });
    await writeSeries({ dir: join(dir, 'scout'), syntax: TS.explicitLittle, nz: 2, seriesUid: '1.7.2', imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER' });
    const c = capture();
    const code = await main(['info', dir, '--json'], c.io);
    assert.equal(code, 0, c.err.join(''));
    const info = JSON.parse(c.out.join(''));
    assert.deepEqual(info.dims, [16, 12, 4]);
    assert.deepEqual(info.spacingMm, [0.7, 0.8, 2.5]);
    assert.equal(info.orientation, 'LPS');
    assert.equal(info.dicom.chosenSeriesUid, '1.7.1');
    assert.equal(info.dicom.reason, 'CT, ORIGINAL/PRIMARY/AXIAL, the only usable series');
    assert.equal(info.dicom.series.length, 2);
    assert.equal(info.dicom.series.find((s: { seriesInstanceUid: string }) => s.seriesInstanceUid === '1.7.2').rejected, 'localizer (scout) images');
    // phantom: −1000 + (23x + 11y + 97z) mod 2400 over 16×12×4 → min −1000, max −1000 + 23·15 + 11·11 + 97·3 = −243
    assert.equal(info.hu.min, -1000);
    assert.equal(info.hu.max, -243);
    assert.equal(typeof info.readMs, 'number');

    const t = capture();
    assert.equal(await main(['info', dir], t.io), 0);
    const text = t.out.join('');
    assert.match(text, /chosen +1\.7\.1 \(CT, ORIGINAL\/PRIMARY\/AXIAL, the only usable series\)/);
    assert.match(text, /dims +16 × 12 × 4 voxels/);
    assert.match(text, /not usable: localizer/);
    for (const s of [c.out.join(''), text]) {
      assert.ok(!s.includes(SECRET_PATIENT_NAME.split('^')[0]), 'patient name printed');
      assert.ok(!s.includes(SECRET_PATIENT_ID), 'patient ID printed');
    }
  });
});

test('info on bad input: one-line error naming the path, exit code 2, no stack trace', async () => {
  await withTempDir('info-bad', async (dir) => {
    const c = capture();
    assert.equal(await main(['info', join(dir, 'missing')], c.io), 2);
    assert.match(c.err.join(''), /^ctscreen: error: .*missing: no such file or folder\n$/);
    const w = capture();
    assert.equal(await main(['info', dir, '--spacing', '1,2'], w.io), 2);
    assert.match(w.err.join(''), /--spacing '1,2' is invalid; expected 3 comma-separated numbers/);
  });
});

test('HU percentiles and orientation codes (hand-computed)', () => {
  const s = huStats(Int16Array.from({ length: 101 }, (_, i) => i * 10 - 1000));
  assert.deepEqual(s, { min: -1000, max: 0, p1: -990, median: -500, p99: -10 });
  assert.equal(orientationCode([1, 0, 0, 0, 1, 0, 0, 0, 1]), 'LPS');
  assert.equal(orientationCode([-1, 0, 0, 0, -1, 0, 0, 0, 1]), 'RAS');
  assert.equal(orientationCode([0, 0, 1, 1, 0, 0, 0, -1, 0]), 'PIL');
});
