/**
 * The last check of every reader (and of a Volume handed to screening directly): a grid the report
 * schema and every stage can use. Whatever the input's header said, what passes here gives a valid
 * report; what does not is the input's problem, named in one line (InputError), never a report that
 * fails its own schema.
 */
import { InputError } from '../core/errors.ts';
import type { Volume } from '../core/volume.ts';

/** A voxel larger than this (mm) is no CT: a header that says so is broken (and would overflow mm boxes). */
export const MAX_SPACING_MM = 1000;
/** Patient coordinates beyond ±this (mm, 1 km) are a broken header. */
export const MAX_ABS_POSITION_MM = 1e6;
/** Direction columns must be unit vectors within this. */
const UNIT_TOLERANCE = 0.01;

export function checkVolume(volume: Pick<Volume, 'data' | 'dims' | 'spacingMm' | 'originMm' | 'direction'>, where: string): void {
  const bad = (problem: string) => new InputError('INPUT_BAD_GEOMETRY', `${where}: ${problem}`, { path: where });
  const { dims, spacingMm, originMm, direction } = volume;
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1)) throw bad(`grid ${dims.join('×')} is not three positive whole numbers of voxels`);
  const n = dims[0] * dims[1] * dims[2];
  if (volume.data.length !== n) throw bad(`holds ${volume.data.length} voxels but its grid ${dims.join('×')} needs ${n}`);
  if (!spacingMm.every((s) => Number.isFinite(s) && s > 0 && s <= MAX_SPACING_MM)) throw bad(`voxel size ${spacingMm.join(' × ')} mm is not three positive sizes of at most ${MAX_SPACING_MM} mm`);
  if (!originMm.every((v) => Number.isFinite(v) && Math.abs(v) <= MAX_ABS_POSITION_MM)) throw bad(`origin (${originMm.join(', ')}) mm is not a finite position within ±${MAX_ABS_POSITION_MM} mm`);
  for (let j = 0; j < 3; j++) {
    const len = Math.hypot(direction[j], direction[3 + j], direction[6 + j]);
    if (!(Math.abs(len - 1) <= UNIT_TOLERANCE)) throw bad(`direction of voxel axis ${'xyz'[j]} has length ${len}, not 1`);
  }
}
