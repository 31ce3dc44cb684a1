/**
 * Reading a binary DICOM SEG back (dcmjs parses; the frames are unpacked here) and placing its frames
 * on a volume grid by their ImagePositionPatient, never by frame order: the check that a SEG lands
 * where a viewer will draw it, and the source of the SEG-over-CT pictures.
 *
 *   readSegmentation(bytes): DecodedSegmentation
 *   segmentOnGrid(seg, segmentNumber, grid): Uint8Array          0/1 on the grid
 *   renderSegmentationSlice(volume, seg, z, colours): SliceImage  the CT slice with the segments' contours
 */
import { patientToVoxel, type Vec3, type Volume } from '../../core/volume.ts';
import { axialSlice, drawContours, renderSlice, type Rgb, type SliceImage } from '../render-slice.ts';
import { readNaturalized } from './dicom-common.ts';

/** A frame's position may sit this far (voxels) from a grid slice and still be on it. */
const ON_GRID_TOLERANCE_VOXELS = 1e-3;

export interface DecodedSegmentFrame {
  segmentNumber: number;
  positionMm: Vec3;
  /** The source SOP Instance the frame was derived from, when referenced. */
  sourceSopInstanceUid: string | null;
  /** rows × columns, 0/1, row-major. */
  mask: Uint8Array;
}

export interface DecodedSegmentation {
  rows: number;
  columns: number;
  /** Row direction then column direction. */
  orientation: number[];
  /** [between rows, between columns] mm. */
  pixelSpacingMm: [number, number];
  frameOfReferenceUid: string;
  studyInstanceUid: string;
  segments: Array<{ number: number; label: string; category: string; type: string }>;
  frames: DecodedSegmentFrame[];
}

type Item = Record<string, unknown>;
const first = (x: unknown): Item => (Array.isArray(x) ? (x[0] as Item) : (x as Item));
const numbers = (x: unknown): number[] => (Array.isArray(x) ? x : [x]).map(Number);

export function readSegmentation(bytes: Uint8Array): DecodedSegmentation {
  const ds = readNaturalized(bytes);
  const rows = Number(ds.Rows);
  const columns = Number(ds.Columns);
  const shared = first(ds.SharedFunctionalGroupsSequence);
  const orientation = numbers(first(shared.PlaneOrientationSequence).ImageOrientationPatient);
  const spacing = numbers(first(shared.PixelMeasuresSequence).PixelSpacing);
  const pixelData = ds.PixelData as ArrayBuffer[] | ArrayBuffer;
  const bits = new Uint8Array(Array.isArray(pixelData) ? pixelData[0] : pixelData);
  const plane = rows * columns;
  const frames = (ds.PerFrameFunctionalGroupsSequence as Item[]).map((f, k) => {
    const mask = new Uint8Array(plane);
    for (let p = 0, bit = k * plane; p < plane; p++, bit++) mask[p] = (bits[bit >> 3] >> (bit & 7)) & 1;
    const derivation = f.DerivationImageSequence ? first(f.DerivationImageSequence) : null;
    const source = derivation ? first(derivation.SourceImageSequence) : null;
    const pos = numbers(first(f.PlanePositionSequence).ImagePositionPatient);
    return {
      segmentNumber: Number(first(f.SegmentIdentificationSequence).ReferencedSegmentNumber),
      positionMm: [pos[0], pos[1], pos[2]] as Vec3,
      sourceSopInstanceUid: source ? String(source.ReferencedSOPInstanceUID) : null,
      mask,
    };
  });
  const segments = (ds.SegmentSequence as Item[]).map((s) => ({
    number: Number(s.SegmentNumber),
    label: String(s.SegmentLabel),
    category: String(first(s.SegmentedPropertyCategoryCodeSequence).CodeMeaning),
    type: String(first(s.SegmentedPropertyTypeCodeSequence).CodeMeaning),
  }));
  return { rows, columns, orientation, pixelSpacingMm: [spacing[0], spacing[1]], frameOfReferenceUid: String(ds.FrameOfReferenceUID), studyInstanceUid: String(ds.StudyInstanceUID), segments, frames };
}

/**
 * One segment on a volume grid: each frame goes to the grid slice its ImagePositionPatient lies on.
 * Throws when a frame is off the grid or its pixel axes differ from the grid's (the bugs this guards).
 */
export function segmentOnGrid(seg: DecodedSegmentation, segmentNumber: number, grid: Pick<Volume, 'dims' | 'spacingMm' | 'originMm' | 'direction'>): Uint8Array {
  const [nx, ny, nz] = grid.dims;
  if (seg.columns !== nx || seg.rows !== ny) throw new RangeError(`SEG frames are ${seg.columns}×${seg.rows}, the grid ${nx}×${ny}`);
  const d = grid.direction;
  const axes = [d[0], d[3], d[6], d[1], d[4], d[7]];
  if (axes.some((v, i) => Math.abs(v - seg.orientation[i]) > 1e-4)) throw new RangeError(`SEG orientation ${seg.orientation.join('\\')} differs from the grid's ${axes.join('\\')}`);
  const out = new Uint8Array(nx * ny * nz);
  const plane = nx * ny;
  for (const f of seg.frames) {
    if (f.segmentNumber !== segmentNumber) continue;
    const v = patientToVoxel(grid, f.positionMm);
    const z = Math.round(v[2]);
    if (Math.abs(v[0]) > ON_GRID_TOLERANCE_VOXELS || Math.abs(v[1]) > ON_GRID_TOLERANCE_VOXELS || Math.abs(v[2] - z) > ON_GRID_TOLERANCE_VOXELS || z < 0 || z >= nz) {
      throw new RangeError(`SEG frame at ${f.positionMm.join(', ')} mm is not on a slice of the grid (voxel ${v.map((x) => x.toFixed(3)).join(', ')})`);
    }
    for (let p = 0; p < plane; p++) if (f.mask[p]) out[z * plane + p] = 1;
  }
  return out;
}

/** The CT slice z (lung window) with each given segment's outline in its colour, placed by position. */
export function renderSegmentationSlice(volume: Volume, seg: DecodedSegmentation, z: number, colours: Readonly<Record<number, Rgb>>, scale = 1): SliceImage {
  const img = renderSlice(volume, z, { scale });
  for (const [number, colour] of Object.entries(colours)) {
    const mask = segmentOnGrid(seg, Number(number), volume);
    drawContours(img, axialSlice(mask, volume.dims, z), { 1: colour }, Math.max(1, Math.round(scale / 2)));
  }
  return img;
}
