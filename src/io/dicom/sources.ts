/** Where DICOM files come from: a folder searched recursively, a .zip, or one file; all within `InputLimits`. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { formatBytes, formatLimit, type InputLimits, limitError } from '../limits.ts';
import { readZipDirectory, readZipEntry } from './zip.ts';

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

function fileEntry(path: string, name: string, limits: InputLimits): DicomEntry {
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
      // one synchronous read: a slice file is read from the page cache in well under a millisecond,
      // while open, stat, read and close through libuv's pool each wait for this thread's next turn,
      // which a slice decoded here holds for several milliseconds
      const fd = openSync(path, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size > limits.maxEntryBytes) {
          throw limitError('maxEntryBytes', limits, path, `file is ${formatBytes(size)}, more than ${formatLimit('maxEntryBytes', limits.maxEntryBytes)}`, { observed: size });
        }
        const buf = new Uint8Array(size);
        let done = 0;
        while (done < size) {
          const bytesRead = readSync(fd, buf, done, size - done, done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buf.subarray(0, done);
      } finally {
        closeSync(fd);
      }
    },
  };
}

async function walk(root: string, dir: string, depth: number, out: DicomEntry[], limits: InputLimits): Promise<void> {
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
    if (e.isDirectory()) await walk(root, p, depth + 1, out, limits);
    else if (e.isFile()) {
      if (out.length >= limits.maxEntries) throw limitError('maxEntries', limits, root, `folder holds more than ${limits.maxEntries} files`, { observed: out.length + 1 });
      out.push(fileEntry(p, relative(root, p).split(sep).join('/'), limits));
    }
  }
}

export async function folderEntries(dir: string, limits: InputLimits): Promise<DicomEntry[]> {
  const out: DicomEntry[] = [];
  await walk(dir, dir, 0, out, limits);
  return out;
}

export function singleFileEntry(path: string, limits: InputLimits): DicomEntry[] {
  return [fileEntry(path, path, limits)];
}

/**
 * The files of a zip, inflated lazily (headers first, whole files only for the chosen series), after
 * its central directory passed the limits (see zip.ts).
 */
export async function zipEntries(path: string, limits: InputLimits): Promise<DicomEntry[]> {
  const infos = await readZipDirectory(path, limits, (name) => !name.split('/').some((part) => IGNORED_NAMES.test(part)));
  return infos
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((info) => ({ name: `${path}:${info.name}`, head: (n: number) => readZipEntry(path, info, n), read: () => readZipEntry(path, info) }));
}
