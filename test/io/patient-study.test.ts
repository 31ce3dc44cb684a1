import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { PatientStudyModules } from '../../src/io/dicom/references.ts';
import { dicomSliceBytes, SECRET_PATIENT_ID, SECRET_PATIENT_NAME } from './dicom-writer.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';

test('PatientStudyModules: read from the source file only on load(), never printed, not readable before load', async () => {
  const bytes = await dicomSliceBytes({ syntax: TS.explicitLittle, rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, stored: [0, 1, 2, 3], sopInstanceUid: '1.2.3.4', seriesUid: '1.2.3', positionMm: [0, 0, 0] });
  const m = new PatientStudyModules(bytes);
  assert.throws(() => m.attributes(), /before load\(\)/);
  assert.equal(m.read, false);
  await m.load();
  assert.equal(m.read, true);
  const a = m.attributes();
  assert.equal((a.PatientName as Array<{ Alphabetic: string }>)[0].Alphabetic, SECRET_PATIENT_NAME);
  assert.equal(a.PatientID, SECRET_PATIENT_ID);
  // only the copied patient/study keywords, nothing of the image
  assert.equal(a.Rows, undefined);
  assert.ok(!JSON.stringify({ m }).includes(SECRET_PATIENT_NAME));
  assert.ok(!inspect(m).includes(SECRET_PATIENT_NAME));
  // bytes that are not Part 10: empty attributes, read false (outputs then carry empty type-2 attributes)
  const bad = new PatientStudyModules(new Uint8Array([1, 2, 3]));
  await bad.load();
  assert.equal(bad.read, false);
  assert.deepEqual(bad.attributes(), {});
  // no source file at all
  const none = new PatientStudyModules(null);
  await none.load();
  assert.equal(none.read, false);
  assert.deepEqual(none.attributes(), {});
});
