/**
 * DICOM CT series → one geometry-correct HU volume (issue 2). A folder (searched recursively), a
 * .zip of one, or a single file. Two passes: headers of every file (to group and choose a series),
 * then pixel data of the chosen series only, decoded on worker threads when compressed.
 */
import { InputError } from '../core/errors.ts';
import { AIR_HU } from '../core/constants.ts';
import type { Volume } from '../core/volume.ts';
import { decodeSliceToHu, type SliceJob } from './dicom/decode.ts';
import { type DicomSliceHeader, extractFrame, hasPart10Magic, looksLikeRawDataSet, parseDataSet, parseError, sliceHeader } from './dicom/parse.ts';
import { DecodePool, defaultWorkerCount } from './dicom/pool.ts';
import { dicomReferences, type DicomReferences } from './dicom/references.ts';
import { chooseSeries, groupSeries, type SeriesChoice, type SeriesSummary, type SliceGeometry, sliceGeometry, summarizeSeries } from './dicom/series.ts';
import { type DicomEntry, folderEntries, singleFileEntry, zipEntries } from './dicom/sources.ts';
import { isCompressed, syntaxName, TS } from './dicom/transfer-syntax.ts';
import { type InputLimits, limitError, resolveLimits } from './limits.ts';
import { dicomUidProblem } from '../core/report-schema.ts';

export type { SeriesSummary, SeriesChoice } from './dicom/series.ts';
export type { DicomReferences } from './dicom/references.ts';

export interface ReadDicomOptions {
  /** Read this SeriesInstanceUID instead of the automatically chosen one. */
  seriesUid?: string;
  /** Worker threads for compressed series; default one per core (≤ 4); 0 decodes on this thread. */
  workers?: number;
  /** How the path is to be opened; default from the path (folder, .zip, file). */
  container?: 'folder' | 'zip' | 'file';
  /** Resource limits (defaults `DEFAULT_INPUT_LIMITS`). */
  limits?: Partial<InputLimits>;
}

export interface DicomScan {
  /** Files looked at. */
  filesSeen: number;
  /** Files skipped as not DICOM (with up to 5 example names). */
  skipped: { count: number; examples: string[] };
  series: SeriesSummary[];
}

export interface ReadDicomResult {
  volume: Volume;
  scan: DicomScan;
  choice: SeriesChoice;
  /** Worker threads used to decode (0: decoded on the calling thread). */
  workersUsed: number;
  /** Study/series/instance UIDs and patient/study modules, for DICOM outputs; kept off the Volume (identifying). */
  references: DicomReferences;
}

/** Bytes read per file in the header pass; CT headers are a few KiB, pixel data follow. */
export const HEADER_PROBE_BYTES = 64 * 1024;
/** Files whose headers are read at once in the header pass. */
const HEADER_CONCURRENCY = 16;
/**
 * Slice files read and parsed ahead of the one being decoded. Folder files are read synchronously
 * (sources.ts): through libuv's pool (open, stat, read, close) each hop waited for this thread's
 * next turn, which a slice it decodes itself holds for milliseconds, and the read-ahead was what
 * kept P001's reading thread from waiting 373 of its 742 ms; zip entries still read asynchronously.
 */
export const SLICE_READ_AHEAD = 8;
/** Jobs each decode worker holds (running + queued) before the reading thread decodes a slice itself. */
export const WORKER_QUEUE_DEPTH = 2;
/** Below this many compressed slices, starting worker threads costs more than it saves. */
export const MIN_SLICES_FOR_WORKERS = 8;
/** Transfer syntaxes whose compression loses information; HU are then approximate. */
const LOSSY_SYNTAXES = new Set<string>([TS.jpegBaseline, TS.jpegLsNearLossless, TS.jpeg2000]);

async function readHeader(entry: DicomEntry, limits: InputLimits): Promise<DicomSliceHeader | undefined> {
  const head = await entry.head(HEADER_PROBE_BYTES);
  const part10 = hasPart10Magic(head);
  if (!part10 && !looksLikeRawDataSet(head)) return undefined;
  const opts = { headerOnly: true, assumeImplicit: !part10, maxInflatedBytes: limits.maxEntryBytes, file: entry.name };
  try {
    return sliceHeader(parseDataSet(head, opts), entry.name);
  } catch {
    // the probe may have cut the header short: parse the whole file before judging it
    let full: Uint8Array = head;
    if (head.length === HEADER_PROBE_BYTES) full = await entry.read();
    try {
      return sliceHeader(parseDataSet(full, opts), entry.name);
    } catch (e) {
      if (!part10) return undefined; // looked like a raw data set but is not one: not DICOM
      throw parseError(entry.name, e, 'reading the header');
    }
  }
}

async function readHeaders(entries: DicomEntry[], limits: InputLimits): Promise<{ headers: Map<DicomEntry, DicomSliceHeader>; skipped: string[] }> {
  const headers = new Map<DicomEntry, DicomSliceHeader>();
  const skipped: string[] = [];
  for (let i = 0; i < entries.length; i += HEADER_CONCURRENCY) {
    const batch = entries.slice(i, i + HEADER_CONCURRENCY);
    const results = await Promise.all(batch.map((e) => readHeader(e, limits)));
    results.forEach((h, k) => {
      if (h) headers.set(batch[k], h);
      else skipped.push(batch[k].name);
    });
  }
  return { headers, skipped };
}

function isInteger(x: number): boolean {
  return Math.abs(x - Math.round(x)) < 1e-6;
}

async function sliceJob(entry: DicomEntry, h: DicomSliceHeader, output: SliceJob['output'], limits: InputLimits): Promise<SliceJob> {
  const bytes = await entry.read();
  let ds;
  try {
    ds = parseDataSet(bytes, { headerOnly: false, assumeImplicit: !hasPart10Magic(bytes), maxInflatedBytes: limits.maxEntryBytes, file: entry.name });
  } catch (e) {
    throw parseError(entry.name, e, 'reading pixel data');
  }
  const { file, transferSyntaxUid, rows, columns, bitsAllocated, bitsStored, pixelRepresentation, samplesPerPixel, rescaleSlope, rescaleIntercept, paddingValue, paddingRangeLimit } = h;
  return {
    file, transferSyntaxUid, rows, columns, bitsAllocated, bitsStored, pixelRepresentation, samplesPerPixel, rescaleSlope, rescaleIntercept, paddingValue, paddingRangeLimit,
    frame: extractFrame(ds, h),
    output,
  };
}

/** Bilinear in-plane shift: out(x, y) = in(x − dx, y − dy); outside the slice is air. */
function shiftSlice<T extends Int16Array | Float32Array>(src: T, nx: number, ny: number, dx: number, dy: number): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  for (let y = 0; y < ny; y++) {
    const sy = y - dy;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let x = 0; x < nx; x++) {
      const sx = x - dx;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      let acc = 0;
      for (let j = 0; j < 2; j++) {
        const yy = y0 + j;
        const wy = j ? fy : 1 - fy;
        for (let i = 0; i < 2; i++) {
          const xx = x0 + i;
          const w = wy * (i ? fx : 1 - fx);
          if (w === 0) continue;
          acc += w * (xx >= 0 && xx < nx && yy >= 0 && yy < ny ? src[xx + nx * yy] : AIR_HU);
        }
      }
      out[x + nx * y] = src instanceof Int16Array ? Math.round(acc) : acc;
    }
  }
  return out;
}

function assemble(geom: SliceGeometry, slices: Array<Int16Array | Float32Array>, output: SliceJob['output']): Int16Array | Float32Array {
  const [nx, ny, nz] = geom.dims;
  const plane = nx * ny;
  const data = output === 'int16' ? new Int16Array(plane * nz) : new Float32Array(plane * nz);
  const shifted = geom.tilted ? slices.map((s, i) => shiftSlice(s, nx, ny, geom.inPlaneShiftPx[i][0], geom.inPlaneShiftPx[i][1])) : slices;
  if (!geom.uneven) {
    shifted.forEach((s, z) => data.set(s, z * plane));
    return data;
  }
  // uneven steps: linear interpolation along the normal onto the median step
  const zs = geom.alongNormalMm;
  let i = 0;
  for (let k = 0; k < nz; k++) {
    const z = k * geom.sliceStepMm;
    while (i + 1 < zs.length - 1 && zs[i + 1] < z) i++;
    const a = shifted[i];
    const b = shifted[Math.min(i + 1, shifted.length - 1)];
    const span = zs[Math.min(i + 1, zs.length - 1)] - zs[i];
    const t = span > 0 ? Math.min(1, Math.max(0, (z - zs[i]) / span)) : 0;
    const o = k * plane;
    for (let p = 0; p < plane; p++) {
      const v = a[p] + t * (b[p] - a[p]);
      data[o + p] = output === 'int16' ? Math.round(v) : v;
    }
  }
  return data;
}

async function entriesFor(path: string, container: ReadDicomOptions['container'], limits: InputLimits): Promise<DicomEntry[]> {
  if (container === 'zip') return zipEntries(path, limits);
  if (container === 'file') return singleFileEntry(path, limits);
  return folderEntries(path, limits);
}

/** Lists the series under `path` and chooses one, reading headers only. */
export async function scanDicom(path: string, options: ReadDicomOptions = {}): Promise<{ scan: DicomScan; choice: SeriesChoice; slices: Array<[DicomEntry, DicomSliceHeader]> }> {
  const limits = resolveLimits(options.limits);
  const entries = await entriesFor(path, options.container ?? (path.toLowerCase().endsWith('.zip') ? 'zip' : 'folder'), limits);
  const { headers, skipped } = await readHeaders(entries, limits);
  if (headers.size === 0) {
    throw new InputError('DICOM_NONE', `${path}: no DICOM files found among ${entries.length} file(s)${skipped.length ? ` (e.g. ${skipped.slice(0, 3).join(', ')})` : ''}`, { path });
  }
  const groups = groupSeries([...headers.values()]);
  const series = [...groups.entries()].map(([uid, s]) => summarizeSeries(uid, s)).sort((a, b) => b.sliceCount - a.sliceCount);
  const choice = chooseSeries(series, path, options.seriesUid);
  const slices = [...headers.entries()].filter(([, h]) => h.seriesInstanceUid === choice.chosen.seriesInstanceUid);
  return {
    scan: { filesSeen: entries.length, skipped: { count: skipped.length, examples: skipped.slice(0, 5) }, series },
    choice,
    slices,
  };
}

/** Reads the chosen (or requested) CT series as a volume in HU. */
export async function readDicom(path: string, options: ReadDicomOptions = {}): Promise<ReadDicomResult> {
  const limits = resolveLimits(options.limits);
  const { scan, choice, slices } = await scanDicom(path, options);
  const geom = sliceGeometry(slices.map(([, h]) => h), path);
  const voxels = geom.dims[0] * geom.dims[1] * geom.dims[2];
  if (voxels > limits.maxVoxels) {
    throw limitError('maxVoxels', limits, path, `series claims ${geom.dims.join('×')} = ${voxels} voxels, more than ${limits.maxVoxels}`, { observed: voxels });
  }
  const entryOf = new Map(slices.map(([e, h]) => [h, e]));
  const headers = geom.ordered;
  const output: SliceJob['output'] = headers.every((h) => isInteger(h.rescaleSlope) && isInteger(h.rescaleIntercept)) ? 'int16' : 'float32';

  const compressed = headers.some((h) => isCompressed(h.transferSyntaxUid));
  const wanted = options.workers ?? defaultWorkerCount();
  const workers = compressed && headers.length >= MIN_SLICES_FOR_WORKERS ? Math.min(wanted, headers.length) : 0;
  const pool = workers > 0 ? new DecodePool(workers, WORKER_QUEUE_DEPTH) : undefined;
  // a regular stack goes straight into the volume as slices arrive; tilted or uneven stacks
  // keep their slices until all are there (shift / interpolation need neighbours)
  const plane = geom.dims[0] * geom.dims[1];
  const regular = !geom.tilted && !geom.uneven;
  const direct = regular ? (output === 'int16' ? new Int16Array(plane * geom.dims[2]) : new Float32Array(plane * geom.dims[2])) : undefined;
  const kept: Array<Int16Array | Float32Array> = [];
  const place = (z: number, s: Int16Array | Float32Array) => {
    if (direct) {
      if (s.buffer !== direct.buffer) direct.set(s, z * plane);
    } else kept[z] = s;
  };
  // decoded on this thread: straight into the volume when it is a regular stack
  const decodeHere = (z: number, job: SliceJob) => decodeSliceToHu(job, direct?.subarray(z * plane, (z + 1) * plane));
  // slice z's file read and parse, started up to SLICE_READ_AHEAD slices before it is needed; a read that
  // fails is reported when its slice is reached (the catch only stops an unhandled rejection before then)
  const jobs: Array<Promise<SliceJob>> = [];
  const jobAt = (z: number): Promise<SliceJob> => {
    while (jobs.length < headers.length && jobs.length <= z + SLICE_READ_AHEAD) {
      const k = jobs.length;
      const job = sliceJob(entryOf.get(headers[k])!, headers[k], output, limits);
      job.catch(() => undefined);
      jobs.push(job);
    }
    return jobs[z];
  };
  try {
    if (pool) {
      // read files on this thread while workers decode, decoding here too when no worker is free
      const inFlight = new Set<Promise<unknown>>();
      // the first decode failure, kept here: a job that fails while this loop awaits a file read has
      // left `inFlight` by the time race/all look, and its slice would silently stay empty
      let failure: { error: unknown } | undefined;
      for (let z = 0; z < headers.length && !failure; z++) {
        const job = await jobAt(z);
        // one turn of the event loop: the workers' replies (and their 'ready') are taken in before
        // choosing where this slice goes (slice files are read synchronously, so nothing else yields)
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!pool.hasRoom(WORKER_QUEUE_DEPTH)) {
          // every worker holds WORKER_QUEUE_DEPTH jobs (or none has loaded yet): this thread decodes the slice itself
          place(z, await decodeHere(z, job));
          continue;
        }
        const tracked: Promise<unknown> = pool.decode(job).then((s) => place(z, s)).finally(() => inFlight.delete(tracked));
        tracked.catch((e: unknown) => {
          failure ??= { error: e };
        });
        inFlight.add(tracked);
        if (inFlight.size >= 4 * pool.size) await Promise.race(inFlight).catch(() => undefined);
      }
      await Promise.allSettled(inFlight);
      if (failure) throw failure.error;
    } else {
      for (let z = 0; z < headers.length; z++) place(z, await decodeHere(z, await jobAt(z)));
    }
  } finally {
    await pool?.close();
  }

  const warnings: string[] = [];
  if (scan.skipped.count > 0) warnings.push(`skipped ${scan.skipped.count} non-DICOM file(s) (e.g. ${scan.skipped.examples.slice(0, 3).join(', ')})`);
  warnings.push(...geom.warnings);
  const syntaxes = [...new Set(headers.map((h) => h.transferSyntaxUid))];
  const lossy = syntaxes.filter((s) => LOSSY_SYNTAXES.has(s));
  if (lossy.length > 0) warnings.push(`lossy compression (${lossy.map(syntaxName).join(', ')}): HU values are approximate`);
  const uidProblem = dicomUidProblem(choice.chosen.seriesInstanceUid);
  if (uidProblem) warnings.push(`SeriesInstanceUID ${uidProblem}`);
  const first = headers[0];
  const volume: Volume = {
    data: direct ?? assemble(geom, kept, output),
    dims: geom.dims,
    spacingMm: geom.spacingMm,
    originMm: geom.originMm,
    direction: geom.direction,
    source: {
      format: 'dicom',
      path,
      modality: first.modality,
      seriesInstanceUid: choice.chosen.seriesInstanceUid,
      seriesDescription: first.seriesDescription || undefined,
      transferSyntaxUid: syntaxes.join(','),
      sliceCount: headers.length,
      pseudoHu: false,
      ...(first.patientPosition ? { patientPosition: first.patientPosition } : {}),
    },
    warnings,
  };
  // the first slice's patient/study modules are read once more, by dcmjs, for DICOM outputs
  const references = dicomReferences(geom, await entryOf.get(first)!.read());
  return { volume, scan, choice, workersUsed: workers, references };
}
