/**
 * A job's NIfTI files → parsed images. Gunzip uses the browser's own DecompressionStream (native
 * code, several times faster than a JavaScript inflater on a 70 MB CT), so the viewer ships no
 * decompressor.
 */
import { getFile } from './api.ts';
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

/** A job's NIfTI file, or null when the job has no such file. */
export async function loadJobNifti(jobId: string, name: string): Promise<NiftiImage | null> {
  const buffer = await getFile(jobId, name);
  return buffer ? decodeNiftiBytes(buffer, name) : null;
}
