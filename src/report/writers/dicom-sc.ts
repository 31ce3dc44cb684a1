/**
 * Secondary Capture (PS3.3 A.8.1) of the report's key slices with their overlays (lung contours,
 * candidate outlines and boxes coloured by voted class), for PACS and viewers that cannot show a SEG:
 * one RGB instance per key slice, a new series in the source study. The pictures are the HTML
 * report's (key-slices.ts: cropped, radiological orientation), so they carry no patient geometry.
 *
 *   buildSecondaryCaptures(input, ctx): DicomObject[]
 */
import type { NaturalizedDataset } from 'dcmjs';
import { PNG } from 'pngjs';
import type { CaseReport } from '../../core/report-schema.ts';
import { displayCrop, renderKeySlice, type KeySliceOptions } from '../key-slices.ts';
import { CODES } from './codes.ts';
import { ds, equipment, lo, newSeries, newUid, part10Bytes, patientStudyModules, SERIES_NUMBER, SOP_CLASS, sopCommon, sopReference, type DicomWriteContext } from './dicom-common.ts';
import type { DicomObject } from './dicom-sr.ts';

export interface SecondaryCaptureInput {
  report: Pick<CaseReport, 'notice' | 'decision'>;
  keySlice: KeySliceOptions;
  /** Slices to capture (the report's key slices). */
  slices: readonly number[];
}

export function buildSecondaryCaptures(input: SecondaryCaptureInput, ctx: DicomWriteContext): DicomObject[] {
  const seriesInstanceUid = newUid();
  const refs = ctx.references;
  const crop = displayCrop(input.keySlice.volume, input.keySlice.lungMask);
  return input.slices.map((z, k) => {
    const fig = renderKeySlice(input.keySlice, z, crop);
    const png = PNG.sync.read(fig.png);
    // pngjs decodes to RGBA; SC RGB is 3 samples per pixel, colour-by-pixel (PlanarConfiguration 0)
    const rgb = new Uint8Array(png.width * png.height * 3 + ((png.width * png.height * 3) % 2));
    for (let p = 0, n = png.width * png.height; p < n; p++) {
      rgb[3 * p] = png.data[4 * p];
      rgb[3 * p + 1] = png.data[4 * p + 1];
      rgb[3 * p + 2] = png.data[4 * p + 2];
    }
    const sopInstanceUid = newUid();
    const src = refs.sliceSources[z];
    const source = src && ctx.referenceable.has(src.instance) ? refs.instances[src.instance] : null;
    const dataset: NaturalizedDataset = {
      ...patientStudyModules(ctx),
      ...newSeries('OT', seriesInstanceUid, SERIES_NUMBER.sc, 'ctscreen key slices (research, not diagnostic)', ctx.now),
      ...equipment(ctx.toolVersion),
      ConversionType: 'WSD',
      ...sopCommon(SOP_CLASS.secondaryCapture, sopInstanceUid, ctx.now),
      InstanceNumber: String(k + 1),
      ImageType: ['DERIVED', 'SECONDARY'],
      // the picture is radiological (key-slices.ts): rows run to the patient's left, columns to posterior
      PatientOrientation: fig.orientation ? ['L', 'P'] : '',
      BodyPartExamined: 'CHEST',
      BurnedInAnnotation: 'YES',
      DerivationDescription: lo(`ctscreen key slice ${z} (slice centre S ${ds(fig.zMm)} mm) with lung contours and candidate regions`),
      ImageComments: `Screening result: ${input.report.decision.displayName}. Regions on this slice: ${fig.regionIds.join(', ') || 'none'}. ${input.report.notice}`,
      SamplesPerPixel: 3,
      PhotometricInterpretation: 'RGB',
      PlanarConfiguration: 0,
      Rows: png.height,
      Columns: png.width,
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      LossyImageCompression: '00',
    };
    if (source) dataset.SourceImageSequence = [{ ...sopReference(source), PurposeOfReferenceCodeSequence: [CODES.sourceImageForProcessing] }];
    return { bytes: part10Bytes(dataset, rgb), sopClassUid: SOP_CLASS.secondaryCapture, sopInstanceUid, seriesInstanceUid };
  });
}
