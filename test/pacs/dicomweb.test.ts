// The pure parts of the PACS connector: multipart/related round trip, and the chest CT selection rules
// on WADO-RS metadata (hand-made DICOM JSON).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { boundaryOf, buildMultipartRelated, parseMultipartRelated, type DicomJson } from '../../src/pacs/dicomweb.ts';
import { MIN_CHEST_SLICES, selectChestCt } from '../../src/pacs/watch.ts';

test('multipart/related: what is built parses back to the same parts, bytes that look like CRLF and dashes included', () => {
  const parts = [Uint8Array.from([0x0d, 0x0a, 0x2d, 0x2d, 1, 2, 3]), new Uint8Array(0), Uint8Array.from({ length: 1000 }, (_, i) => i % 256)];
  const body = buildMultipartRelated(parts, 'b0undary', 'application/dicom');
  const back = parseMultipartRelated(body, 'multipart/related; type="application/dicom"; boundary="b0undary"');
  assert.deepEqual(back.map((p) => [...p.body]), parts.map((p) => [...p]));
  assert.equal(back[0].headers['content-type'], 'application/dicom');
  assert.equal(boundaryOf('multipart/related; boundary=abc; type=application/dicom'), 'abc');
  assert.throws(() => boundaryOf('application/json'), /expected a multipart\/related answer/);
});

function series(n: number, o: { modality?: string; spacing?: number; thickness?: number; orientation?: number[]; imageType?: string[]; skipZ?: number } = {}): DicomJson[] {
  return Array.from({ length: n }, (_, k) => {
    const z = (k >= (o.skipZ ?? Infinity) ? k + 3 : k) * (o.spacing ?? 1.25);
    return {
      '00080060': { vr: 'CS', Value: [o.modality ?? 'CT'] },
      '00080008': { vr: 'CS', Value: o.imageType ?? ['ORIGINAL', 'PRIMARY', 'AXIAL'] },
      '00200037': { vr: 'DS', Value: o.orientation ?? [1, 0, 0, 0, 1, 0] },
      '00200032': { vr: 'DS', Value: [-100, -100, z] },
      '00180050': { vr: 'DS', Value: [o.thickness ?? 1.25] },
    };
  });
}

test('chest CT selection: axial contiguous thin CT is taken; localizers, other modalities, coronal, short, gapped and thick series are refused with the reason', () => {
  assert.deepEqual(selectChestCt(series(30)), { ok: true, slices: 30, spacingMm: 1.25 });
  assert.deepEqual(selectChestCt(series(30, { modality: 'MR' })), { ok: false, reason: 'modality MR, not CT' });
  assert.deepEqual(selectChestCt(series(30, { imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'] })), { ok: false, reason: 'localizer (ImageType LOCALIZER)' });
  // coronal: rows along x, columns along z → normal along y
  assert.deepEqual(selectChestCt(series(30, { orientation: [1, 0, 0, 0, 0, -1] })), { ok: false, reason: 'not axial (slice normal z component 0.00)' });
  assert.deepEqual(selectChestCt(series(MIN_CHEST_SLICES - 1)), { ok: false, reason: `${MIN_CHEST_SLICES - 1} distinct slice positions, fewer than ${MIN_CHEST_SLICES}` });
  // slices 0..14 then 18..32: one gap of 4 × 1.25 = 5 mm against a median of 1.25 mm
  assert.deepEqual(selectChestCt(series(30, { skipZ: 15 })), { ok: false, reason: 'not contiguous (a 5.0 mm gap, median spacing 1.3 mm)' });
  assert.deepEqual(selectChestCt(series(30, { spacing: 7, thickness: 7 })), { ok: false, reason: 'slice thickness 7.0 mm > 5 mm' });
  assert.deepEqual(selectChestCt([]), { ok: false, reason: 'no instances' });
});

test('pacs: bad flags are one-line user errors (exit 2)', async () => {
  let err = '';
  const io = { stdout: () => {}, stderr: (t: string) => (err += t) };
  assert.equal(await main(['pacs', 'watch', '--url', 'orthanc:8042x', '--once'], io), 2);
  assert.match(err, /--url 'orthanc:8042x' must be http:\/\/ or https:\/\//);
  err = '';
  assert.equal(await main(['pacs', 'watch', '--url', 'http://127.0.0.1:1', '--user', 'u', '--once'], io), 2);
  assert.match(err, /--user and --password go together/);
  err = '';
  assert.equal(await main(['pacs', 'screen', '--url', 'http://127.0.0.1:1', '--study', 'P001'], io), 2);
  assert.match(err, /--study 'P001' is not a DICOM UID/);
});
