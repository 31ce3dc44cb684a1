/**
 * The voxel sizes a CT reader accepts. CT pixels are ≈ 0.3–1 mm and slices ≈ 0.5–10 mm; a header
 * claiming 0 mm, −2000 mm or 10³⁰ mm is corrupt, and every later stage that sizes a structure or a
 * region in mm would divide by it or loop over it (found by the fuzzer: `npm run fuzz`).
 */
import type { Vec3 } from '../core/volume.ts';

/** Smallest and largest voxel edge read as CT, mm: generous on both sides of real scanners. */
export const VOXEL_SIZE_RANGE_MM = { min: 0.01, max: 100 } as const;

/** Why `spacingMm` cannot be a CT voxel size ("x 1e+30 mm"), or undefined when it can. */
export function implausibleVoxelSize(spacingMm: Vec3): string | undefined {
  const bad = [0, 1, 2].filter((i) => !(spacingMm[i] >= VOXEL_SIZE_RANGE_MM.min && spacingMm[i] <= VOXEL_SIZE_RANGE_MM.max));
  if (bad.length === 0) return undefined;
  return `voxel size ${bad.map((i) => `${'xyz'[i]} ${spacingMm[i]} mm`).join(', ')} is outside ${VOXEL_SIZE_RANGE_MM.min}–${VOXEL_SIZE_RANGE_MM.max} mm`;
}
