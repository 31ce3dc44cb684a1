/**
 * The cranio-caudal zone of the lung a simulated finding goes in (dependent density and effusion at the
 * bases, emphysema in the upper lobes).
 *
 *   lungZone(volume, lungMask, fraction, end): number[]   the slice indices of the `fraction` of the
 *       slices holding lung nearest the `end`, ordered from that end inwards
 *
 * Superior is read from the direction matrix (LPS S component of the voxel z axis, d[8]).
 */
import type { Volume } from '../core/volume.ts';

export function lungZone(volume: Pick<Volume, 'dims' | 'direction'>, lungMask: Uint8Array, fraction: number, end: 'inferior' | 'superior'): number[] {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  const slices: number[] = [];
  for (let z = 0; z < nz; z++) {
    for (let i = plane * z; i < plane * (z + 1); i++) {
      if (lungMask[i]) {
        slices.push(z);
        break;
      }
    }
  }
  // slice 0 is the most inferior when the z axis points superior
  if ((volume.direction[8] >= 0) === (end === 'superior')) slices.reverse();
  return slices.slice(0, Math.ceil(slices.length * fraction));
}
