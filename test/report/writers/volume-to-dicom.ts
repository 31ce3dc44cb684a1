/**
 * Test helper: a Volume (HU) written as a synthetic DICOM CT series (signed 16-bit, explicit VR LE)
 * with its geometry: ImageOrientationPatient from the direction's first two columns, each slice's
 * ImagePositionPatient from voxelToPatient, files in a chosen order so file order ≠ slice order.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { voxelToPatient, type Volume } from '../../../src/core/volume.ts';
import { TS } from '../../../src/io/dicom/transfer-syntax.ts';
import { dicomSliceBytes } from '../../io/dicom-writer.ts';

export interface VolumeSeriesOptions {
  dir: string;
  studyUid?: string;
  seriesUid?: string;
  frameOfReferenceUid?: string;
  /** UID of slice z (default `${seriesUid}.${z + 1}`). */
  sopInstanceUid?: (z: number) => string;
  /** Order the files are written and numbered in: by z, reversed, or interleaved. */
  fileOrder?: 'ascending' | 'descending' | 'interleaved';
  studyDate?: string;
}

export const TEST_STUDY_UID = '1.2.826.0.1.3680043.10.999.100';
export const TEST_FOR_UID = '1.2.826.0.1.3680043.10.999.101';

export async function writeVolumeAsDicom(volume: Volume, options: VolumeSeriesOptions): Promise<string[]> {
  await mkdir(options.dir, { recursive: true });
  const [nx, ny, nz] = volume.dims;
  const d = volume.direction;
  const orientation = [d[0], d[3], d[6], d[1], d[4], d[7]];
  const seriesUid = options.seriesUid ?? '1.2.826.0.1.3680043.10.999.102';
  const order = Array.from({ length: nz }, (_, z) => z);
  if (options.fileOrder === 'descending') order.reverse();
  if (options.fileOrder === 'interleaved') order.sort((a, b) => (a % 2) - (b % 2) || a - b);
  const files: string[] = [];
  for (let f = 0; f < nz; f++) {
    const z = order[f];
    const stored = volume.data.subarray(z * nx * ny, (z + 1) * nx * ny);
    const bytes = await dicomSliceBytes({
      syntax: TS.explicitLittle,
      rows: ny,
      columns: nx,
      stored,
      bitsAllocated: 16,
      bitsStored: 16,
      pixelRepresentation: 1,
      positionMm: voxelToPatient(volume, [0, 0, z]),
      orientation,
      pixelSpacingMm: [volume.spacingMm[1], volume.spacingMm[0]],
      sliceThicknessMm: volume.spacingMm[2],
      seriesUid,
      sopInstanceUid: options.sopInstanceUid?.(z) ?? `${seriesUid}.${z + 1}`,
      studyUid: options.studyUid ?? TEST_STUDY_UID,
      studyDate: options.studyDate,
      frameOfReferenceUid: options.frameOfReferenceUid ?? TEST_FOR_UID,
      instanceNumber: f + 1,
    });
    const name = join(options.dir, `slice_${f + 1}.dcm`);
    await writeFile(name, bytes);
    files.push(name);
  }
  return files;
}
