/**
 * `npm run bench:server [-- --jobs 20 --workers 2 --slices 150 --candidates learned|classical --no-p001]`
 *
 * Load on a real `ctscreen serve` (embedded queue, its own data folder, loopback, --no-auth): N
 * concurrent uploads of a synthetic 150-slice chest CT (phantom, .nii.gz), and of COVID-CT-MD P001
 * (a zip of its DICOM folder) when ../shared/data is there. Every job must end done; the table gives
 * upload latency (request → 202) p50/p95, job time (upload accepted → done) p50/p95, screening time
 * (started → done) p50, throughput in CTs per minute (N / (last done − first upload)), and the peak
 * RSS (VmHWM) of the server and of its worker processes. Not a timed test: numbers depend on the load.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { writeNifti } from '../src/io/nifti.ts';
import { makeChestPhantom } from '../src/phantom/chest-phantom.ts';

interface Flags {
  jobs: number;
  workers: number;
  slices: number;
  candidates?: string;
  p001: boolean;
}

function parseFlags(argv: string[]): Flags {
  const f: Flags = { jobs: 20, workers: 2, slices: 150, p001: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-p001') f.p001 = false;
    else if (a === '--candidates') f.candidates = argv[++i];
    else if (a === '--jobs' || a === '--workers' || a === '--slices') f[a.slice(2) as 'jobs' | 'workers' | 'slices'] = Number(argv[++i]);
    else throw new Error(`unknown flag ${a}`);
  }
  return f;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** Peak resident set (VmHWM) of a process, MiB; NaN when it is gone. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function zipFolder(dir: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p)] = [new Uint8Array(readFileSync(p)), { level: 0 }] as unknown as Uint8Array;
    }
  };
  walk(dir);
  return zipSync(files as never);
}

interface Row {
  name: string;
  jobs: number;
  done: number;
  failed: number;
  lost: number;
  mb: number;
  uploadP50: number;
  uploadP95: number;
  jobP50: number;
  jobP95: number;
  screenP50: number;
  perMin: number;
  serverRss: number;
  workerRss: number;
  wallS: number;
}

async function scenario(name: string, body: Uint8Array, type: string, f: Flags): Promise<Row> {
  const data = mkdtempSync(join(tmpdir(), 'ctscreen-bench-server-'));
  const args = ['bin/ctscreen.mjs', 'serve', '--no-auth', '--port', '0', '--data', data, '--workers', String(f.workers), '--max-upload-mb', '2048'];
  const server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d));
  server.stderr.on('data', () => {});
  try {
    const base = await new Promise<string>((res, rej) => {
      const t = setInterval(() => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearInterval(t);
          res(m[1]);
        } else if (server.exitCode !== null) {
          clearInterval(t);
          rej(new Error(`server exited ${server.exitCode}`));
        }
      }, 50);
    });
    const workerPids = childPids(server.pid!);
    const query = f.candidates ? `?candidates=${f.candidates}` : '';
    const t0 = Date.now();
    const uploads = await Promise.all(
      Array.from({ length: f.jobs }, async () => {
        const s = performance.now();
        const r = await fetch(`${base}/v1/jobs${query}`, { method: 'POST', headers: { 'content-type': type }, body: body as BodyInit });
        const j = (await r.json()) as { id?: string };
        if (r.status !== 202 || !j.id) throw new Error(`upload answered ${r.status}: ${JSON.stringify(j)}`);
        return { id: j.id, ms: performance.now() - s };
      }),
    );
    type J = { id: string; status: string; createdAt: string; startedAt: string; finishedAt: string };
    let jobs: J[] = [];
    for (;;) {
      jobs = ((await (await fetch(`${base}/v1/jobs`)).json()) as { jobs: J[] }).jobs;
      if (jobs.length === f.jobs && jobs.every((j) => j.status === 'done' || j.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const wallS = (Date.now() - t0) / 1000;
    const ids = new Set(uploads.map((u) => u.id));
    const t = (s: string) => Date.parse(s);
    const done = jobs.filter((j) => j.status === 'done');
    const first = Math.min(...jobs.map((j) => t(j.createdAt)));
    const last = Math.max(...done.map((j) => t(j.finishedAt)));
    return {
      name,
      jobs: f.jobs,
      done: done.length,
      failed: jobs.filter((j) => j.status === 'failed').length,
      lost: [...ids].filter((id) => !jobs.some((j) => j.id === id)).length,
      mb: body.length / (1024 * 1024),
      uploadP50: quantile(uploads.map((u) => u.ms), 0.5),
      uploadP95: quantile(uploads.map((u) => u.ms), 0.95),
      jobP50: quantile(done.map((j) => t(j.finishedAt) - t(j.createdAt)), 0.5) / 1000,
      jobP95: quantile(done.map((j) => t(j.finishedAt) - t(j.createdAt)), 0.95) / 1000,
      screenP50: quantile(done.map((j) => t(j.finishedAt) - t(j.startedAt)), 0.5) / 1000,
      perMin: (done.length / ((last - first) / 1000)) * 60,
      serverRss: peakRssMb(server.pid!),
      workerRss: Math.max(...workerPids.map(peakRssMb)),
      wallS,
    };
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(data, { recursive: true, force: true });
  }
}

const f = parseFlags(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), 'ctscreen-bench-ct-'));
const rows: Row[] = [];
try {
  const ph = makeChestPhantom({ slices: f.slices, seed: 7, lesions: 'covid' });
  const ct = join(dir, 'phantom.nii.gz');
  await writeNifti(ph.volume, ct);
  rows.push(await scenario(`phantom ${ph.volume.dims.join('×')}`, new Uint8Array(readFileSync(ct)), 'application/gzip', f));
  const p001 = resolve('../shared/data/covid-ct-md/P001');
  if (f.p001 && existsSync(p001)) rows.push(await scenario('P001 DICOM zip 512×512×148', zipFolder(p001), 'application/zip', f));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '—');
console.log(`ctscreen bench:server — ${f.jobs} concurrent uploads, ${f.workers} worker processes, candidates ${f.candidates ?? 'default (learned)'}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('| input | MiB | done/failed/lost | upload p50 / p95 (ms) | job p50 / p95 (s) | screening p50 (s) | CTs/min | peak RSS server / worker (MiB) | wall (s) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${fmt(r.mb, 1)} | ${r.done}/${r.failed}/${r.lost} | ${fmt(r.uploadP50)} / ${fmt(r.uploadP95)} | ${fmt(r.jobP50, 1)} / ${fmt(r.jobP95, 1)} | ${fmt(r.screenP50, 1)} | ${fmt(r.perMin, 2)} | ${fmt(r.serverRss)} / ${fmt(r.workerRss)} | ${fmt(r.wallS, 0)} |`);
}
if (rows.some((r) => r.done !== r.jobs || r.lost > 0)) {
  console.error('bench:server: not every job completed');
  process.exitCode = 1;
}
