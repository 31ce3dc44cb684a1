/**
 * DICOM Segmentation (binary, PS3.3 A.51) of a screening, as a new series in the source study:
 *   right lung, left lung, the lesion mask (when the candidate stage gives one), and one segment per
 *   infection type holding the candidate regions voted that type (§2.6.1).
 *
 *   buildSegmentation(input, ctx): SegmentationObject | null      null when no segment has a voxel
 *
 * Frames only where a segment has voxels; each frame carries its ImagePositionPatient and the source
 * SOP Instance it was cut from (Derivation Image), and orientation and spacing come from the source.
 *
 * Own code, not dcmjs's `derivations.Segmentation` / `derive()`: those copy the first referenced image's
 * modules wholesale (CT acquisition attributes into a SEG) and take per-frame positions from the order
 * of the referenced data sets rather than from each slice's position on the normal, the source of
 * the shifted / mirrored SEGs reported against viewers. The reader here already orders slices by
 * position (io/dicom/series.ts) and references.ts maps each volume slice to its source instance, so each
 * frame gets that instance's own ImagePositionPatient. dcmjs writes the data set (dicom-common.ts).
 */
import type { NaturalizedDataset } from 'dcmjs';
import type { ClassList, ModelRef } from '../../core/report-schema.ts';
import { voxelToPatient, type Vec3, type Volume } from '../../core/volume.ts';
import type { OverlayRegion } from '../key-slices.ts';
import { CODES, labelCode } from './codes.ts';
import { ds, equipment, lo, newSeries, newUid, part10Bytes, patientStudyModules, SERIES_NUMBER, SOP_CLASS, sopCommon, sopReference, type Code, type DicomWriteContext } from './dicom-common.ts';

/** Direction cosines of the volume and of the source may differ by this much (rounding in DS). */
const ORIENTATION_TOLERANCE = 1e-4;

export interface SegmentationInput {
  volume: Pick<Volume, 'dims' | 'spacingMm' | 'originMm' | 'direction'>;
  /** 0 none, 1 right, 2 left; null without lungs. */
  lungMask: Uint8Array | null;
  lesionMask?: Uint8Array | null;
  /** Candidate labels (k = region with labelValue k); null without candidates. */
  candidateLabels: Uint32Array | null;
  regions: readonly OverlayRegion[];
  classes: ClassList;
  models: readonly ModelRef[];
}

export type SegmentKind = 'right-lung' | 'left-lung' | 'lesion' | 'voted-class';

export interface SegmentInfo {
  number: number;
  kind: SegmentKind;
  label: string;
  /** For 'voted-class': the class label whose kept regions the segment holds. */
  classLabel?: string;
  /** Voxels in the segment. */
  voxels: number;
}

export interface SegmentationObject {
  bytes: Uint8Array;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  segments: SegmentInfo[];
  frameCount: number;
}

interface SegmentPlan extends SegmentInfo {
  /** Voxel i is in the segment when table[source[i]] === 1: a typed lookup, as it runs for every voxel. */
  source: Uint8Array | Uint32Array;
  table: Uint8Array;
  category: Code;
  type: Code;
  anatomicRegion?: Code;
  algorithm: { family: Code; name: string; version: string; parameters?: string };
  /** CIELab, DICOM-scaled 0…65535 (PS3.3 C.10.7.1.1). */
  colour: readonly [number, number, number];
}

/** sRGB (0…255) → DICOM-scaled CIELab, D65. */
export function rgbToDicomLab(rgb: readonly [number, number, number]): [number, number, number] {
  const lin = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const X = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047;
  const Y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  const Z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (841 / 108) * t + 4 / 29);
  const L = 116 * f(Y) - 16;
  const a = 500 * (f(X) - f(Y));
  const b = 200 * (f(Y) - f(Z));
  return [Math.round((L / 100) * 65535), Math.round(((a + 128) / 255) * 65535), Math.round(((b + 128) / 255) * 65535)];
}

const COLOURS = {
  rightLung: [0, 200, 255],
  leftLung: [255, 200, 0],
  lesion: [255, 60, 60],
  classes: [[255, 64, 64], [255, 64, 255], [255, 150, 0], [170, 110, 255]],
} as const;

function modelAlgorithm(models: readonly ModelRef[], role: ModelRef['role']): { name: string; version: string; parameters?: string } {
  const m = models.find((r) => r.role === role);
  if (!m) return { name: `ctscreen ${role}`, version: 'unknown' };
  return { name: m.id, version: m.version, parameters: m.sha256 ? `sha256=${m.sha256}` : undefined };
}

/** The segments to write, in order; empty ones are dropped. */
export function planSegments(input: SegmentationInput): SegmentPlan[] {
  const { lungMask, lesionMask, candidateLabels, regions, classes, models } = input;
  const plans: Omit<SegmentPlan, 'number' | 'voxels'>[] = [];
  const lungAlgo = { family: CODES.morphologicalOperations, ...modelAlgorithm(models, 'lung') };
  const candidates = models.find((m) => m.role === 'candidates');
  const candidateAlgo = { family: candidates?.sha256 ? CODES.artificialIntelligence : CODES.morphologicalOperations, ...modelAlgorithm(models, 'candidates') };
  const classifier = modelAlgorithm(models, 'classifier');
  if (lungMask) {
    plans.push({ kind: 'right-lung', label: 'Right lung', source: lungMask, table: Uint8Array.of(0, 1, 0), category: CODES.anatomicalStructure, type: CODES.rightLung, algorithm: lungAlgo, colour: rgbToDicomLab(COLOURS.rightLung) });
    plans.push({ kind: 'left-lung', label: 'Left lung', source: lungMask, table: Uint8Array.of(0, 0, 1), category: CODES.anatomicalStructure, type: CODES.leftLung, algorithm: lungAlgo, colour: rgbToDicomLab(COLOURS.leftLung) });
  }
  if (lesionMask) {
    const nonZero = new Uint8Array(256).fill(1, 1);
    plans.push({ kind: 'lesion', label: 'Lesion mask', source: lesionMask, table: nonZero, category: CODES.abnormalStructure, type: CODES.lesion, anatomicRegion: CODES.lung, algorithm: candidateAlgo, colour: rgbToDicomLab(COLOURS.lesion) });
  }
  if (candidateLabels) {
    classes.infectionLabels.forEach((label, k) => {
      const values = regions.filter((r) => r.kept && r.voteLabel === label).map((r) => r.labelValue);
      if (values.length === 0) return;
      const member = new Uint8Array(Math.max(...values) + 1);
      for (const v of values) member[v] = 1;
      const name = classes.displayNames?.[label] ?? label;
      const parameters = [candidates ? `candidates=${candidates.id} ${candidates.version}` : null, classifier.parameters ?? null].filter((s) => s !== null).join('; ');
      plans.push({
        kind: 'voted-class',
        classLabel: label,
        label: lo(`Regions voted ${name}`),
        source: candidateLabels,
        table: member,
        category: CODES.abnormalStructure,
        type: labelCode(label, classes),
        anatomicRegion: CODES.lung,
        algorithm: { family: CODES.artificialIntelligence, name: classifier.name, version: classifier.version, parameters: parameters || undefined },
        colour: rgbToDicomLab(COLOURS.classes[k % COLOURS.classes.length]),
      });
    });
  }
  return plans.map((p, k) => ({ ...p, number: k + 1, voxels: 0 }));
}

function checkGeometry(input: SegmentationInput, ctx: DicomWriteContext): void {
  const d = input.volume.direction;
  const o = ctx.references.orientation;
  const cols = [d[0], d[3], d[6], d[1], d[4], d[7]];
  if (cols.some((v, i) => Math.abs(v - o[i]) > ORIENTATION_TOLERANCE) || ctx.references.sliceSources.length !== input.volume.dims[2]) {
    // a bug, not the user's: the volume is not the one the references were read with
    throw new Error('SEG: the volume grid does not match the DICOM references it was read with (orientation or slice count differ)');
  }
}

/** Builds the SEG, or null when no segment has a voxel (a SEG needs at least one frame). */
export function buildSegmentation(input: SegmentationInput, ctx: DicomWriteContext): SegmentationObject | null {
  checkGeometry(input, ctx);
  const { volume } = input;
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny;
  const plans = planSegments(input);
  // which slices each segment touches, and its voxel count
  const framesOf = plans.map((p) => {
    const zs: number[] = [];
    const { source, table } = p;
    for (let z = 0; z < nz; z++) {
      let n = 0;
      for (let i = z * plane, end = i + plane; i < end; i++) if (table[source[i]] === 1) n++;
      if (n > 0) zs.push(z);
      p.voxels += n;
    }
    return zs;
  });
  const used = plans.filter((p) => p.voxels > 0);
  if (used.length === 0) return null;
  used.forEach((p, k) => (p.number = k + 1));
  const frames: Array<{ segment: SegmentPlan; z: number }> = [];
  for (const p of used) for (const z of framesOf[plans.indexOf(p)]) frames.push({ segment: p, z });

  const refs = ctx.references;
  const resampled = refs.sliceSources.some((s) => !s.exact);
  if (resampled) {
    ctx.warnings.push('DICOM SEG: the reader resampled or shifted the source slices (uneven spacing or gantry tilt), so SEG frames lie on the resampled grid and reference the nearest source slice');
  }
  const position = (z: number): Vec3 => {
    const src = refs.sliceSources[z];
    // a frame on a source slice takes that slice's own position: viewers match frames to images by it
    return src.exact ? refs.instances[src.instance].positionMm : voxelToPatient(volume, [0, 0, z]);
  };

  // binary frames, packed one bit a pixel, frame after frame with no padding between frames (PS3.5 §8.1.1)
  const totalBits = frames.length * plane;
  const packed = new Uint8Array(Math.ceil(totalBits / 8) + (Math.ceil(totalBits / 8) % 2));
  frames.forEach((f, k) => {
    const base = k * plane;
    const { source, table } = f.segment;
    for (let p = 0, i = f.z * plane; p < plane; p++, i++) {
      if (table[source[i]] === 1) {
        const bit = base + p;
        packed[bit >> 3] |= 1 << (bit & 7);
      }
    }
  });

  const referenced = new Set<number>();
  const perFrame = frames.map((f) => {
    const src = refs.sliceSources[f.z];
    const item: NaturalizedDataset = {
      FrameContentSequence: [{ DimensionIndexValues: [f.segment.number, f.z + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: position(f.z).map(ds) }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: f.segment.number }],
    };
    if (ctx.referenceable.has(src.instance)) {
      referenced.add(src.instance);
      item.DerivationImageSequence = [
        {
          SourceImageSequence: [{ ...sopReference(refs.instances[src.instance]), PurposeOfReferenceCodeSequence: [CODES.sourceImageForProcessing] }],
          DerivationCodeSequence: [CODES.segmentation],
        },
      ];
    }
    return item;
  });

  const seriesInstanceUid = newUid();
  const sopInstanceUid = newUid();
  const dimensionOrganizationUid = newUid();
  const [colSpacing, rowSpacing, step] = volume.spacingMm;
  const dataset: NaturalizedDataset = {
    ...patientStudyModules(ctx),
    ...newSeries('SEG', seriesInstanceUid, SERIES_NUMBER.seg, 'ctscreen segmentation (research, not diagnostic)', ctx.now),
    FrameOfReferenceUID: ctx.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    ...equipment(ctx.toolVersion),
    ...sopCommon(SOP_CLASS.segmentation, sopInstanceUid, ctx.now),
    InstanceNumber: '1',
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'CTSCREEN',
    ContentDescription: lo('ctscreen lungs and candidate regions; research software, not a diagnostic device'),
    ContentCreatorName: '',
    SegmentationType: 'BINARY',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ny,
    Columns: nx,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    NumberOfFrames: String(frames.length),
    SegmentSequence: used.map((p) => {
      const item: NaturalizedDataset = {
        SegmentNumber: p.number,
        SegmentLabel: lo(p.label),
        SegmentDescription: lo(p.kind === 'voted-class' ? `candidate regions voted ${p.classLabel} by the patch classifier (paper 2.6.1)` : p.label),
        SegmentAlgorithmType: 'AUTOMATIC',
        SegmentAlgorithmName: lo(p.algorithm.name),
        SegmentationAlgorithmIdentificationSequence: [
          {
            AlgorithmFamilyCodeSequence: [p.algorithm.family],
            AlgorithmName: lo(p.algorithm.name),
            AlgorithmVersion: lo(p.algorithm.version),
            ...(p.algorithm.parameters ? { AlgorithmParameters: p.algorithm.parameters } : {}),
          },
        ],
        SegmentedPropertyCategoryCodeSequence: [p.category],
        SegmentedPropertyTypeCodeSequence: [p.type],
        RecommendedDisplayCIELabValue: [...p.colour],
      };
      if (p.anatomicRegion) item.AnatomicRegionSequence = [p.anatomicRegion];
      return item;
    }),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionOrganizationType: '3D',
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimensionOrganizationUid, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: 'ReferencedSegmentNumber' },
      { DimensionOrganizationUID: dimensionOrganizationUid, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: 'ImagePositionPatient' },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: refs.orientation.map(ds) }],
        // PixelSpacing is row spacing (between rows, y) then column spacing (x)
        PixelMeasuresSequence: [{ PixelSpacing: [ds(rowSpacing), ds(colSpacing)], SliceThickness: ds(step), SpacingBetweenSlices: ds(step) }],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
  };
  if (referenced.size > 0 && ctx.sourceSeriesUid) {
    dataset.ReferencedSeriesSequence = [
      { SeriesInstanceUID: ctx.sourceSeriesUid, ReferencedInstanceSequence: [...referenced].sort((a, b) => a - b).map((i) => sopReference(refs.instances[i])) },
    ];
  }
  const bytes = part10Bytes(dataset, packed);
  return {
    bytes,
    sopClassUid: SOP_CLASS.segmentation,
    sopInstanceUid,
    seriesInstanceUid,
    segments: used.map(({ number, kind, label, classLabel, voxels }) => ({ number, kind, label, ...(classLabel ? { classLabel } : {}), voxels })),
    frameCount: frames.length,
  };
}
