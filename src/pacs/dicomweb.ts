/**
 * A small DICOMweb client (PS3.18): QIDO-RS search, WADO-RS retrieve (multipart/related
 * application/dicom, parsed here) and STOW-RS store, with HTTP basic auth. A connection error or a
 * 5xx answer is retried with exponential backoff until `retryForMs` has passed (the archive may be
 * restarting); a 4xx is the caller's mistake and fails at once with a typed error.
 *
 *   new DicomWebClient(options)
 *   client.searchSeries(studyUid) / searchStudies(query) / searchInstances(studyUid, query)
 *   client.seriesMetadata(studyUid, seriesUid) / retrieveSeries(studyUid, seriesUid)
 *   client.store(studyUid, parts)
 *   client.archive(path)                       any other GET on the archive's origin (Orthanc's REST API)
 *   parseMultipartRelated(body, contentType)   the parts of a multipart/related body
 *
 * Nothing here deletes or modifies anything in the archive: only GET and a STOW POST are sent.
 */
import { randomBytes } from 'node:crypto';
import { InputError } from '../core/errors.ts';
import type { Logger } from '../server/log.ts';

/** Backoff of the retries: first wait, doubling up to the cap (ms). */
export const RETRY_FIRST_MS = 250;
export const RETRY_MAX_MS = 5_000;
/** How long a request keeps retrying a down archive by default (the watcher waits out a restart). */
export const DEFAULT_RETRY_FOR_MS = 10 * 60_000;
/** One request's own time limit. */
export const REQUEST_TIMEOUT_MS = 120_000;

export interface DicomWebOptions {
  /** The archive's origin, e.g. http://127.0.0.1:8042. */
  url: string;
  /** DICOMweb root under it (Orthanc: /dicom-web). */
  dicomwebRoot?: string;
  user?: string;
  password?: string;
  retryForMs?: number;
  log?: Logger;
}

/** A DICOM JSON dataset (PS3.18 F.2): tag → { vr, Value }. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

/** First value of a tag in a DICOM JSON dataset, as a string. */
export function jsonValue(ds: DicomJson, tag: string): string | undefined {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return (v as { Alphabetic?: string }).Alphabetic;
  return String(v);
}

/** Every value of a tag, as numbers (DS/IS multi-values). */
export function jsonNumbers(ds: DicomJson, tag: string): number[] {
  return (ds[tag]?.Value ?? []).map((v) => Number(v)).filter((n) => Number.isFinite(n));
}

export function jsonStrings(ds: DicomJson, tag: string): string[] {
  return (ds[tag]?.Value ?? []).map((v) => String(v));
}

export const TAG = {
  studyUid: '0020000D',
  seriesUid: '0020000E',
  sopInstanceUid: '00080018',
  sopClassUid: '00080016',
  modality: '00080060',
  imageType: '00080008',
  orientation: '00200037',
  position: '00200032',
  sliceThickness: '00180050',
  studyDate: '00080020',
  seriesDescription: '0008103E',
  numberOfInstances: '00201209',
} as const;

/** An abort signal for one request whose timer never keeps the process alive. */
function requestTimeout(): AbortSignal {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('request timed out')), REQUEST_TIMEOUT_MS).unref();
  return ac.signal;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The archive answered something a retry cannot fix (4xx, a malformed body). */
function archiveError(what: string, detail: string): InputError {
  return new InputError('PACS_REQUEST', `${what}: ${detail}`);
}

export class DicomWebClient {
  readonly origin: string;
  readonly root: string;
  private readonly auth: string | null;
  private readonly retryForMs: number;
  private readonly log: Logger;

  constructor(o: DicomWebOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new InputError('CLI_FLAG', `--url '${o.url}' is not a URL; expected e.g. http://127.0.0.1:8042`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError('CLI_FLAG', `--url '${o.url}' must be http:// or https://`);
    this.origin = u.origin + u.pathname.replace(/\/+$/, '');
    this.root = `/${(o.dicomwebRoot ?? '/dicom-web').replace(/^\/+|\/+$/g, '')}`;
    if ((o.user === undefined) !== (o.password === undefined)) throw new InputError('CLI_FLAG', '--user and --password go together (HTTP basic auth)');
    this.auth = o.user !== undefined ? `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}` : null;
    this.retryForMs = o.retryForMs ?? DEFAULT_RETRY_FOR_MS;
    this.log = o.log ?? (() => {});
  }

  /** One request, retried on connection errors and 5xx; resolves with a 2xx or 404 response, throws on other 4xx. */
  async request(path: string, init: { method?: 'GET' | 'POST'; accept?: string; body?: Uint8Array; contentType?: string; what: string; allow404?: boolean }): Promise<Response> {
    const url = `${this.origin}${path}`;
    const t0 = Date.now();
    let wait = RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {};
      if (this.auth) headers.authorization = this.auth;
      if (init.accept) headers.accept = init.accept;
      if (init.contentType) headers['content-type'] = init.contentType;
      let problem: string;
      try {
        const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body as BodyInit | undefined, signal: requestTimeout() });
        if (res.ok || (res.status === 404 && init.allow404)) return res;
        if (res.status < 500) {
          const text = (await res.text().catch(() => '')).slice(0, 300);
          if (res.status === 401 || res.status === 403) throw new InputError('PACS_AUTH', `${init.what}: the archive refused the credentials (HTTP ${res.status}); check --user/--password`);
          throw archiveError(init.what, `HTTP ${res.status} ${text.replace(/\s+/g, ' ')}`);
        }
        await res.body?.cancel();
        problem = `HTTP ${res.status}`;
      } catch (e) {
        if (e instanceof InputError) throw e;
        problem = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name ?? 'connection error';
      }
      const elapsed = Date.now() - t0;
      if (elapsed + wait > this.retryForMs) {
        throw new InputError('PACS_UNAVAILABLE', `${init.what}: the archive at ${this.origin} did not answer (${problem}) for ${Math.round(elapsed / 1000)} s after ${attempt} attempt(s)`);
      }
      this.log('pacs.retry', { what: init.what, attempt, problem, waitMs: wait });
      await sleep(wait);
      wait = Math.min(RETRY_MAX_MS, wait * 2);
    }
  }

  private async json<T>(path: string, what: string): Promise<T> {
    const res = await this.request(path, { accept: 'application/dicom+json, application/json', what, allow404: true });
    if (res.status === 404 || res.status === 204) return [] as T;
    const text = await res.text();
    if (text.trim() === '') return [] as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw archiveError(what, 'the answer is not JSON');
    }
  }

  /** GET on the archive's own REST API (e.g. Orthanc /changes); null on 404. */
  async archive<T>(path: string, what: string): Promise<T | null> {
    const res = await this.request(path, { accept: 'application/json', what, allow404: true });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    return (await res.json()) as T;
  }

  searchStudies(query: Record<string, string>): Promise<DicomJson[]> {
    return this.json(`${this.root}/studies?${new URLSearchParams(query)}`, 'QIDO-RS studies');
  }

  searchSeries(studyUid: string): Promise<DicomJson[]> {
    return this.json(`${this.root}/studies/${encodeURIComponent(studyUid)}/series`, 'QIDO-RS series');
  }

  searchInstances(studyUid: string, query: Record<string, string> = {}): Promise<DicomJson[]> {
    const q = new URLSearchParams(query).toString();
    return this.json(`${this.root}/studies/${encodeURIComponent(studyUid)}/instances${q ? `?${q}` : ''}`, 'QIDO-RS instances');
  }

  seriesMetadata(studyUid: string, seriesUid: string): Promise<DicomJson[]> {
    return this.json(`${this.root}/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/metadata`, 'WADO-RS metadata');
  }

  /** Every instance of the series as Part 10 bytes. */
  async retrieveSeries(studyUid: string, seriesUid: string): Promise<Uint8Array[]> {
    const what = 'WADO-RS series';
    const res = await this.request(`${this.root}/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}`, {
      accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
      what,
    });
    const body = new Uint8Array(await res.arrayBuffer());
    return parseMultipartRelated(body, res.headers.get('content-type') ?? '').map((p) => p.body);
  }

  /** STOW-RS into the study; returns the SOP Instance UIDs the archive reports as failed. */
  async store(studyUid: string, parts: readonly Uint8Array[]): Promise<{ failed: string[] }> {
    const boundary = `ctscreen-${randomBytes(12).toString('hex')}`;
    const body = buildMultipartRelated(parts, boundary, 'application/dicom');
    const res = await this.request(`${this.root}/studies/${encodeURIComponent(studyUid)}`, {
      method: 'POST',
      accept: 'application/dicom+json',
      contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
      body,
      what: 'STOW-RS',
    });
    const text = await res.text();
    const ds = (text.trim() ? JSON.parse(text) : {}) as DicomJson;
    // FailedSOPSequence (0008,1198): each item's ReferencedSOPInstanceUID (0008,1155)
    const failed = ((ds['00081198']?.Value ?? []) as DicomJson[]).map((item) => jsonValue(item, '00081155') ?? '?');
    return { failed };
  }
}

export interface MultipartPart {
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The boundary parameter of a multipart Content-Type, unquoted. */
export function boundaryOf(contentType: string): string {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!/^multipart\/related/i.test(contentType.trim()) || !m) throw archiveError('WADO-RS', `expected a multipart/related answer with a boundary, got '${contentType}'`);
  return m[1] ?? m[2];
}

/** Splits a multipart/related body (RFC 2387 / RFC 2046) into its parts. */
export function parseMultipartRelated(body: Uint8Array, contentType: string): MultipartPart[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const parts: MultipartPart[] = [];
  let at = buf.indexOf(delimiter);
  if (at < 0) throw archiveError('WADO-RS', 'the multipart body has no boundary');
  for (;;) {
    let start = at + delimiter.length;
    // "--" after a delimiter closes the body
    if (buf[start] === 0x2d && buf[start + 1] === 0x2d) break;
    if (buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
    const headerEnd = buf.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) throw archiveError('WADO-RS', 'a multipart part has no header end');
    const next = buf.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw archiveError('WADO-RS', 'the multipart body ends inside a part');
    const headers: Record<string, string> = {};
    for (const line of buf.subarray(start, headerEnd).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: new Uint8Array(buf.subarray(headerEnd + 4, next)) });
    at = next + 2;
  }
  return parts;
}

export function buildMultipartRelated(parts: readonly Uint8Array[], boundary: string, type: string): Uint8Array {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\nContent-Length: ${p.byteLength}\r\n\r\n`), Buffer.from(p.buffer, p.byteOffset, p.byteLength), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return new Uint8Array(Buffer.concat(chunks));
}
