/** Where DICOM files come from: a folder searched recursively, a .zip, or one file. */
import { open, readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { unzipSync } from 'fflate';
import { InputError } from '../../core/errors.ts';

export interface DicomEntry {
  /** Display name: relative to the input folder, or the zip entry name. */
  name: string;
  /** The first `bytes` bytes (all of a smaller file). */
  head(bytes: number): Promise<Uint8Array>;
  read(): Promise<Uint8Array>;
}

/** Folder depth searched (a DICOMDIR tree is 4–5 deep); stops a wrong path like `/` early. */
export const MAX_FOLDER_DEPTH = 8;
/** Names never worth opening (OS and DICOMDIR bookkeeping). */
const IGNORED_NAMES = /^(\.|__MACOSX$|Thumbs\.db$|desktop\.ini$|DICOMDIR$)/i;

function fileEntry(path: string, name: string): DicomEntry {
  return {
    name,
    async head(bytes) {
      const fh = await open(path, 'r');
      try {
        const buf = new Uint8Array(bytes);
        const { bytesRead } = await fh.read(buf, 0, bytes, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    async read() {
      const b = await readFile(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
  };
}

async function walk(root: string, dir: string, depth: number, out: DicomEntry[]): Promise<void> {
  if (depth > MAX_FOLDER_DEPTH) return;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new InputError('DICOM_UNREADABLE', `${dir}: cannot list folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { path: dir, cause: e });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (IGNORED_NAMES.test(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(root, p, depth + 1, out);
    else if (e.isFile()) out.push(fileEntry(p, relative(root, p).split(sep).join('/')));
  }
}

export async function folderEntries(dir: string): Promise<DicomEntry[]> {
  const out: DicomEntry[] = [];
  await walk(dir, dir, 0, out);
  return out;
}

export function singleFileEntry(path: string): DicomEntry[] {
  return [fileEntry(path, path)];
}

/** All files of a zip, decompressed in memory (a zipped series is one series, ≲ 1 GB). */
export async function zipEntries(path: string): Promise<DicomEntry[]> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new InputError('DICOM_UNREADABLE', `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { path, cause: e });
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), {
      filter: (f) => !f.name.endsWith('/') && !f.name.split('/').some((part) => IGNORED_NAMES.test(part)),
    });
  } catch (e) {
    throw new InputError('DICOM_CORRUPT_ZIP', `${path}: corrupt or unsupported zip (${(e as Error).message}); re-create it with a standard zip tool`, { path, cause: e });
  }
  return Object.keys(files)
    .sort()
    .map((name) => {
      const bytes = files[name];
      return { name: `${path}:${name}`, head: async (n: number) => bytes.subarray(0, n), read: async () => bytes };
    });
}
