/**
 * The dependent lung: the side of the lungs gravity pulls towards, posterior in a patient lying supine
 * (the usual chest CT), anterior when prone. Dependent atelectasis there is a normal finding that
 * looks like ground glass, and on a supine CT alone it cannot be told from the posterior subpleural
 * ground glass of early COVID-19 (radiologists ask for prone images). So the case decision (decision
 * card 5.1.0) will not call a CT infected when nearly all of its lesion mask lies in a thin band along
 * the dependent pleura (decide/calibrated.ts).
 *
 *   dependentSide(patientPosition?): { side, assumed } | null     from DICOM PatientPosition (0018,5100)
 *   dependentLesionFraction(volume, lungMask, lesionMask, bandMm, side): { fraction, lesionVoxels }
 *   dependentShare(volume, lungMask, lesionMask, bandMm): { fraction, assumedSupine } | null   the two
 *                                          above for a volume: its side from its PatientPosition; null
 *                                          for a decubitus patient or no lesion voxel
 *
 * The band: in every axial slice and image column, the lung voxels within bandMm of the column's most
 * dependent lung voxel (posterior or anterior along the volume's y axis, read from its direction).
 */
import { maskBounds } from '../core/ndimage/mask-bounds.ts';
import type { Volume } from '../core/volume.ts';

export type DependentSide = 'posterior' | 'anterior';

/**
 * HFS / FFS (supine): posterior; HFP / FFP (prone): anterior; decubitus (HFDR, HFDL, FFDR, FFDL) or
 * anything else given: null (gravity pulls sideways; no band along y). Absent (NIfTI, 8-bit images,
 * DICOM without the attribute): posterior, assumed, since chest CT is acquired supine.
 */
export function dependentSide(patientPosition?: string): { side: DependentSide; assumed: boolean } | null {
  const p = (patientPosition ?? '').trim().toUpperCase();
  if (p === '') return { side: 'posterior', assumed: true };
  if (p === 'HFS' || p === 'FFS') return { side: 'posterior', assumed: false };
  if (p === 'HFP' || p === 'FFP') return { side: 'anterior', assumed: false };
  return null;
}

/** Share of the lesion-mask voxels (inside the lungs) that lie in the dependent band. NaN without lesion voxels. */
export function dependentLesionFraction(volume: Pick<Volume, 'dims' | 'spacingMm' | 'direction'>, lungMask: Uint8Array, lesionMask: Uint8Array, bandMm: number, side: DependentSide): { fraction: number; lesionVoxels: number } {
  const [nx, ny, nz] = volume.dims;
  const n = nx * ny * nz;
  if (lungMask.length !== n || lesionMask.length !== n) throw new RangeError(`dependentLesionFraction: masks of ${lungMask.length} and ${lesionMask.length} voxels for ${n}`);
  if (!(bandMm > 0)) throw new RangeError(`dependentLesionFraction: band ${bandMm} mm must be > 0`);
  const sy = volume.spacingMm[1];
  // +y runs posterior when the y axis's LPS P component is positive
  const yPosterior = volume.direction[4] >= 0;
  // the dependent end of a column: its largest y when that end is the dependent side, else its smallest
  const fromHighY = (side === 'posterior') === yPosterior;
  let inBand = 0;
  let lesionVoxels = 0;
  const box = maskBounds(lesionMask, volume.dims);
  if (!box) return { fraction: Number.NaN, lesionVoxels: 0 };
  const [bx0, by0, bz0] = box.min;
  const [bx1, by1, bz1] = box.max;
  const w = bx1 - bx0 + 1;
  // per slice, each box column's dependent edge, found the first time a lesion voxel needs it (−1: not yet)
  const edge = new Int32Array(w);
  const plane = nx * ny;
  for (let z = bz0; z <= bz1; z++) {
    const base = plane * z;
    edge.fill(-1);
    for (let y = by0; y <= by1; y++) {
      const row = base + nx * y + bx0;
      for (let c = 0; c < w; c++) {
        const i = row + c;
        if (!lesionMask[i] || !lungMask[i]) continue;
        let e = edge[c];
        if (e < 0) e = edge[c] = dependentEdge(lungMask, base + bx0 + c, nx, ny, fromHighY);
        lesionVoxels++;
        if (Math.abs(y - e) * sy <= bandMm) inBand++;
      }
    }
  }
  return { fraction: lesionVoxels ? inBand / lesionVoxels : Number.NaN, lesionVoxels };
}

/** y of the first lung voxel of a column (flat index of its y = 0 voxel, row stride nx) from its dependent end; the column holds lung. */
function dependentEdge(lungMask: Uint8Array, top: number, nx: number, ny: number, fromHighY: boolean): number {
  if (fromHighY) {
    for (let y = ny - 1; y >= 0; y--) if (lungMask[top + nx * y]) return y;
  } else {
    for (let y = 0; y < ny; y++) if (lungMask[top + nx * y]) return y;
  }
  return -1;
}

/** The dependent share of a volume's lesion mask, its side from the volume's PatientPosition; null for a decubitus patient or no lesion voxel. */
export function dependentShare(volume: Pick<Volume, 'dims' | 'spacingMm' | 'direction' | 'source'>, lungMask: Uint8Array, lesionMask: Uint8Array, bandMm: number): { fraction: number; assumedSupine: boolean } | null {
  const side = dependentSide(volume.source.patientPosition);
  if (!side) return null;
  const { fraction } = dependentLesionFraction(volume, lungMask, lesionMask, bandMm, side.side);
  return Number.isNaN(fraction) ? null : { fraction, assumedSupine: side.assumed };
}
