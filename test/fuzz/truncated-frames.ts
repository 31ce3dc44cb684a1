// Run in a child process by fuzz-regressions.test.ts (a codec that loops without end blocks its
// thread, so the test must be able to kill it): decodes truncated JPEG-LS / JPEG Lossless / JPEG
// 2000 frames and prints one JSON line per frame with the error it gave.
import { decodeSliceToHu, type SliceJob } from '../../src/io/dicom/decode.ts';
import { extractFrame, parseDataSet, sliceHeader } from '../../src/io/dicom/parse.ts';
import { TS } from '../../src/io/dicom/transfer-syntax.ts';
import { dicomSliceBytes, sampleJpegLosslessFrame } from '../io/dicom-writer.ts';

const N = 64;

async function frameOf(syntax: string): Promise<{ job: Omit<SliceJob, 'frame'>; frame: Uint8Array }> {
  const stored = Array.from({ length: N * N }, (_, i) => (i * 37) % 4000);
  const sample = syntax === TS.jpegLossless70 ? sampleJpegLosslessFrame('jpeg_lossless_sel1.dcm') : undefined;
  const bytes = await dicomSliceBytes({
    syntax, rows: sample?.rows ?? N, columns: sample?.columns ?? N, stored, encodedFrame: sample?.frame,
    bitsAllocated: 16, bitsStored: sample ? 16 : 12, pixelRepresentation: sample ? 1 : 0,
    positionMm: [0, 0, 0], orientation: [1, 0, 0, 0, 1, 0], pixelSpacingMm: [1, 1], seriesUid: '1.2.3', sopInstanceUid: '1.2.3.1',
  });
  const ds = parseDataSet(bytes, { headerOnly: false });
  const h = sliceHeader(ds, 'x.dcm');
  return { job: { ...h, output: 'int16' }, frame: extractFrame(ds, h) };
}

export async function run(): Promise<void> {
  for (const syntax of [TS.jpegLs, TS.jpegLossless70, TS.jpeg2000Lossless]) {
    const { job, frame } = await frameOf(syntax);
    for (const keep of [frame.length, frame.length - 24, Math.floor(frame.length * 0.8), 305]) {
      let error: string | null = null;
      try {
        await decodeSliceToHu({ ...job, frame: frame.slice(0, keep) });
      } catch (e) {
        error = (e as Error).message;
      }
      process.stdout.write(`${JSON.stringify({ syntax, keep, of: frame.length, error })}\n`);
    }
  }
}
