/**
 * A job's NIfTI files → parsed images. Gunzip uses the browser's own DecompressionStream (native
 * code, several times faster than a JavaScript inflater on a 70 MB CT), so the viewer ships no
 * decompressor.
 */
import { getFileResponse } from './api.ts';
import { isGzip, parseNifti, type NiftiImage } from './nifti.ts';

export async function gunzip(bytes: Uint8Array): Promise<ArrayBuffer> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

/** Decompresses (when gzip) and parses NIfTI bytes. */
export async function decodeNiftiBytes(buffer: ArrayBuffer, name: string): Promise<NiftiImage> {
  const bytes = new Uint8Array(buffer);
  return parseNifti(isGzip(bytes) ? await gunzip(bytes) : buffer, name);
}

/**
 * A job's NIfTI file, or null when the job has no such file; `mark` is told when the bytes were in and
 * when they were parsed. A .gz file is gunzipped while it downloads (the stream goes through the
 * decompressor), so download and decompression overlap.
 */
export async function loadJobNifti(jobId: string, name: string, mark?: (stage: 'fetched' | 'decoded') => void): Promise<NiftiImage | null> {
  const res = await getFileResponse(jobId, name);
  if (!res) return null;
  let bytes: ArrayBuffer;
  if (name.endsWith('.gz') && res.body) {
    try {
      bytes = await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
    } catch (e) {
      throw new Error(`${name} could not be gunzipped (${(e as Error).message}); is it really gzip?`);
    }
  } else {
    bytes = await res.arrayBuffer();
  }
  mark?.('fetched');
  const image = await decodeNiftiBytes(bytes, name);
  mark?.('decoded');
  return image;
}
