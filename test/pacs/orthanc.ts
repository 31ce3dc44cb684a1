// Test helper: a real Orthanc (Debian's /usr/sbin/Orthanc with the DICOMweb plugin) on free loopback
// ports, authentication on with a test user, storage in a temporary folder, from a generated JSON
// config. The PACS tests skip only when the binary is absent (.ci/run installs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ORTHANC_BIN = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
export const ORTHANC_USER = 'ctscreen-test';
export const ORTHANC_PASSWORD = 'test-password-0451';
export const orthancMissing = existsSync(ORTHANC_BIN) ? false : `${ORTHANC_BIN} is not installed (Debian orthanc orthanc-dicomweb; .ci/run installs them)`;

const STARTUP_MS = 20_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Orthanc {
  url: string;
  auth: string;
  /** GET/POST on the REST API with the test user. */
  rest<T = unknown>(path: string, init?: { method?: string; body?: Uint8Array; accept?: string }): Promise<T>;
  restBytes(path: string): Promise<Uint8Array>;
  stop(): Promise<void>;
  /** Starts it again on the same ports and storage. */
  start(): Promise<void>;
  log(): string;
}

export async function startOrthanc(dir: string): Promise<Orthanc> {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const config = {
    Name: 'ctscreen-test',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'storage'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [ORTHANC_USER]: ORTHANC_PASSWORD },
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    // a series is "stable" one second after its last instance (the default is a minute)
    StableAge: 1,
  };
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const configFile = join(dir, 'orthanc.json');
  writeFileSync(configFile, JSON.stringify(config, null, 1));
  const logFile = join(dir, 'orthanc.log');
  const url = `http://127.0.0.1:${httpPort}`;
  const auth = `Basic ${Buffer.from(`${ORTHANC_USER}:${ORTHANC_PASSWORD}`).toString('base64')}`;
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const fd = openSync(logFile, 'a');
    child = spawn(ORTHANC_BIN, [configFile], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const t0 = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}): ${readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        const r = await fetch(`${url}/system`, { headers: { authorization: auth } });
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() - t0 > STARTUP_MS) throw new Error(`Orthanc did not answer within ${STARTUP_MS} ms: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  }

  async function rest<T>(path: string, init: { method?: string; body?: Uint8Array; accept?: string } = {}): Promise<T> {
    const r = await fetch(`${url}${path}`, { method: init.method ?? 'GET', headers: { authorization: auth, accept: init.accept ?? 'application/json' }, body: init.body as BodyInit | undefined });
    if (!r.ok) throw new Error(`Orthanc ${init.method ?? 'GET'} ${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  async function restBytes(path: string): Promise<Uint8Array> {
    const r = await fetch(`${url}${path}`, { headers: { authorization: auth } });
    if (!r.ok) throw new Error(`Orthanc GET ${path}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }

  await start();
  return { url, auth, rest, restBytes, stop, start, log: () => readFileSync(logFile, 'utf8') };
}

export interface SeriesListing {
  orthancId: string;
  seriesUid: string;
  modality: string;
  description: string;
  instances: number;
}

/** The study's series as Orthanc lists them (modality, description, instance count), sorted by modality. */
export async function studyListing(o: Orthanc, studyUid: string): Promise<SeriesListing[]> {
  const ids = await o.rest<string[]>('/tools/lookup', { method: 'POST', body: new TextEncoder().encode(studyUid) }).then((r) => (r as unknown as Array<{ ID: string; Type: string }>).filter((x) => x.Type === 'Study').map((x) => x.ID));
  if (ids.length === 0) return [];
  const series = await o.rest<Array<{ ID: string; Instances: string[]; MainDicomTags: Record<string, string> }>>(`/studies/${ids[0]}/series?expand`);
  return series
    .map((s) => ({ orthancId: s.ID, seriesUid: s.MainDicomTags.SeriesInstanceUID, modality: s.MainDicomTags.Modality ?? '', description: s.MainDicomTags.SeriesDescription ?? '', instances: s.Instances.length }))
    .sort((a, b) => a.modality.localeCompare(b.modality) || a.description.localeCompare(b.description));
}

/** Uploads Part 10 files through the REST API (POST /instances). */
export async function uploadFiles(o: Orthanc, files: readonly string[]): Promise<void> {
  for (const f of files) await o.rest('/instances', { method: 'POST', body: new Uint8Array(readFileSync(f)) });
}

/** Waits (bounded) until Orthanc's change feed reports the series as stable. */
export async function waitStable(o: Orthanc, seriesUid: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const found = await o.rest<Array<{ ID: string; Type: string }>>('/tools/lookup', { method: 'POST', body: new TextEncoder().encode(seriesUid) });
    const id = found.find((x) => x.Type === 'Series')?.ID;
    if (id && (await o.rest<{ IsStable: boolean }>(`/series/${id}`)).IsStable) return;
    if (Date.now() - t0 > ms) throw new Error(`series did not become stable within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
