/**
 * The one voxel-box ↔ millimetre-box convention, on the Volume's geometry (origin, spacing,
 * direction): a voxel box (inclusive indices [x, y, z]) is, in patient LPS mm, the axis-aligned
 * hull of its voxels. Its faces hull (through the outer voxel faces) is what candidates carry; its
 * centres hull (through the centres of the outer voxels) is what report.json gives as boxMm; both
 * have min ≤ max on every LPS axis whatever the direction (a flipped axis included), and sizeMm is
 * the faces hull's extent along L, P and S.
 *
 *   voxelBoxToMm(geometry, box, at = 'faces'): BoxMm
 *
 * Before this helper the report gave the centres of the box's min and max corner voxels, which
 * under a flipped axis put "min" above "max", while candidates gave the faces hull.
 */
import { voxelToPatient, type Box3, type Mat3, type Vec3, type Volume } from './volume.ts';

/** An axis-aligned box in patient LPS millimetres. */
export interface BoxMm {
  /** Smallest L, P, S coordinate of the hull. */
  minMm: Vec3;
  /** Largest L, P, S coordinate of the hull. */
  maxMm: Vec3;
  /** The extent along L, P and S of the hull through the voxel faces, mm. */
  sizeMm: Vec3;
}

export type BoxGeometry = Pick<Volume, 'originMm' | 'spacingMm' | 'direction'>;

/** Extent along each LPS axis of n voxels per voxel axis: Σ_j |direction[a][j]| · n_j · spacing_j (exact for any direction). */
function lpsExtent(direction: Mat3, spacingMm: Vec3, counts: Vec3): Vec3 {
  const e0 = counts[0] * spacingMm[0], e1 = counts[1] * spacingMm[1], e2 = counts[2] * spacingMm[2];
  const along = (a: number) => Math.abs(direction[3 * a]) * e0 + Math.abs(direction[3 * a + 1]) * e1 + Math.abs(direction[3 * a + 2]) * e2;
  return [along(0), along(1), along(2)];
}

/** A voxel box in LPS mm: the hull through the outer voxels' faces (default) or centres; sizeMm is always the faces extent. */
export function voxelBoxToMm(geometry: BoxGeometry, box: Box3, at: 'faces' | 'centres' = 'faces'): BoxMm {
  const half = at === 'faces' ? 0.5 : 0;
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let c = 0; c < 8; c++) {
    const ijk: Vec3 = [
      c & 1 ? box.max[0] + half : box.min[0] - half,
      c & 2 ? box.max[1] + half : box.min[1] - half,
      c & 4 ? box.max[2] + half : box.min[2] - half,
    ];
    const p = voxelToPatient(geometry, ijk);
    for (let a = 0; a < 3; a++) {
      if (p[a] < min[a]) min[a] = p[a];
      if (p[a] > max[a]) max[a] = p[a];
    }
  }
  const counts: Vec3 = [box.max[0] - box.min[0] + 1, box.max[1] - box.min[1] + 1, box.max[2] - box.min[2] + 1];
  return { minMm: min, maxMm: max, sizeMm: lpsExtent(geometry.direction, geometry.spacingMm, counts) };
}
