/**
 * Uploads: the request body streamed to disk under a byte limit, then its kind sniffed from the
 * first bytes (magic numbers) and checked against the Content-Type it came with. The file is named
 * with the extension the readers dispatch on (io/read.ts), so a job's input is read like a CLI path.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApiError } from './api-error.ts';

export type UploadKind = 'dicom-zip' | 'dicom' | 'nifti' | 'nifti-gz' | 'png' | 'jpeg';

/** File extension each kind is stored with (what io/read.ts dispatches on). */
export const UPLOAD_EXTENSIONS: Record<UploadKind, string> = { 'dicom-zip': '.zip', dicom: '.dcm', nifti: '.nii', 'nifti-gz': '.nii.gz', png: '.png', jpeg: '.jpg' };

/** Content-Types accepted, and the kinds each may carry (octet-stream: any, sniffed). */
export const ACCEPTED_TYPES: Record<string, readonly UploadKind[]> = {
  'application/zip': ['dicom-zip'],
  'application/x-zip-compressed': ['dicom-zip'],
  'application/dicom': ['dicom'],
  'application/gzip': ['nifti-gz'],
  'application/x-gzip': ['nifti-gz'],
  'application/octet-stream': ['dicom-zip', 'dicom', 'nifti', 'nifti-gz', 'png', 'jpeg'],
  'image/png': ['png'],
  'image/jpeg': ['jpeg'],
};

/** The media type without parameters, lower case; null when absent. */
export function mediaType(header: string | undefined | null): string | null {
  if (!header) return null;
  return header.split(';')[0].trim().toLowerCase() || null;
}

/** NIfTI-1 header: sizeof_hdr = 348 (either byte order) and magic 'n+1\0' or 'ni1\0' at 344. */
function isNifti1Header(b: Buffer): boolean {
  if (b.length < 348) return false;
  const size = b.readInt32LE(0);
  if (size !== 348 && b.readInt32BE(0) !== 348) return false;
  const magic = b.subarray(344, 348).toString('latin1');
  return magic === 'n+1\0' || magic === 'ni1\0';
}

async function gunzipHead(path: string, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  const src = createReadStream(path);
  const gz = createGunzip();
  try {
    for await (const c of src.pipe(gz)) {
      chunks.push(c as Buffer);
      have += (c as Buffer).length;
      if (have >= bytes) break;
    }
  } catch {
    // a truncated or corrupt stream: whatever came out is judged below
  } finally {
    src.destroy();
    gz.destroy();
  }
  return Buffer.concat(chunks);
}

/** The kind of the file at `path` from its first bytes, or null when it is none of the accepted kinds. */
export async function sniffUpload(path: string, declared: string): Promise<UploadKind | null> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(512);
  let n = 0;
  try {
    n = (await fh.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  const b = head.subarray(0, n);
  if (n >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6)) return 'dicom-zip';
  if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return isNifti1Header(await gunzipHead(path, 348)) ? 'nifti-gz' : null;
  if (isNifti1Header(b)) return 'nifti';
  if (n >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (n >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (n >= 132 && b.subarray(128, 132).toString('latin1') === 'DICM') return 'dicom';
  // DICOM without the Part-10 preamble: trust the declared type, the reader decides
  if (declared === 'application/dicom') return 'dicom';
  return null;
}

const KIND_NAMES: Record<UploadKind, string> = { 'dicom-zip': 'a zip archive', dicom: 'a DICOM file', nifti: 'a NIfTI-1 file', 'nifti-gz': 'a gzipped NIfTI-1 file', png: 'a PNG image', jpeg: 'a JPEG image' };

/** Checks the sniffed kind against the declared type; throws the 415 the client should see. */
export function checkKind(kind: UploadKind | null, declared: string): UploadKind {
  const allowed = ACCEPTED_TYPES[declared] ?? [];
  if (kind === null) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `the body sent as ${declared} is none of ${allowed.map((k) => KIND_NAMES[k]).join(', ')} (checked by its first bytes)`);
  }
  if (!allowed.includes(kind)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `the body sent as ${declared} is ${KIND_NAMES[kind]}; send it as ${Object.keys(ACCEPTED_TYPES).filter((t) => t !== 'application/octet-stream' && ACCEPTED_TYPES[t].includes(kind))[0] ?? 'application/octet-stream'}`);
  return kind;
}

/**
 * Streams `body` into `path`, refusing (413, file removed) as soon as more than `maxBytes` arrive.
 * Returns the byte count.
 */
export async function saveBody(body: ReadableStream<Uint8Array> | null, path: string, maxBytes: number): Promise<number> {
  if (!body) throw new ApiError('EMPTY_BODY', 'the upload has no body; send the CT as the request body');
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes) cb(new ApiError('UPLOAD_TOO_LARGE', `the upload is larger than the server's limit of ${formatMb(maxBytes)} (--max-upload-mb)`));
      else cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>), limit, createWriteStream(path));
  } catch (e) {
    await rm(path, { force: true });
    if (e instanceof ApiError) throw e;
    throw new ApiError('BAD_REQUEST', 'the upload was interrupted before its end');
  }
  if (bytes === 0) {
    await rm(path, { force: true });
    throw new ApiError('EMPTY_BODY', 'the upload has no bytes; send the CT as the request body');
  }
  return bytes;
}

export function formatMb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

/** A zip whose only record is the end-of-central-directory (22 bytes, 'PK\x05\x06'): no entries at all. */
export async function zipIsEmpty(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    return head[2] === 5 && head[3] === 6;
  } finally {
    await fh.close();
  }
}
