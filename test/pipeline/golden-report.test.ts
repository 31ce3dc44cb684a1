// Screening outputs must not change under refactoring or speed work (issues 11 and 16): report.json of
// the demo phantom and of COVID-CT-MD P001, timestamps and timings aside, equal a committed golden.
// The phantom's normalised report is committed whole (synthetic, readable diffs); P001's only as a
// sha256 (nothing derived from ../shared is committed). A deliberate change of outputs (new models, a
// new rule) regenerates them: CTSCREEN_UPDATE_GOLDEN=1 npm test -- golden-report
//
// onnxruntime picks its CPU kernels by instruction set, so the same networks give probabilities that
// differ in the 6th–7th significant digit between CPU kinds (an AVX-512/AMX Xeon against the AVX2 EPYC the
// goldens were first made on: 0.00853771 vs 0.00853772). The phantom's numbers are therefore compared
// within FLOAT_TOLERANCE, everything else exactly; P001's fingerprint is recorded per CPU kind (its
// instruction-set flags), and a hash matching none of the recorded ones fails.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/models/load-model.ts';
import { models as registryModels } from '../../src/registry.ts';
import { openScreener, type Screener } from '../../src/pipeline/run-screening.ts';
import { makeChestPhantom } from '../../src/phantom/chest-phantom.ts';
import { normaliseReport } from './normalise-report.ts';

const GOLDEN_DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const PHANTOM_GOLDEN = join(GOLDEN_DIR, 'phantom-report.json');
const FINGERPRINTS = join(GOLDEN_DIR, 'fingerprints.json');
const P001 = fileURLToPath(new URL('../../../shared/data/covid-ct-md/P001', import.meta.url));
const UPDATE = process.env.CTSCREEN_UPDATE_GOLDEN === '1';
/** Adds this CPU kind's P001 fingerprint beside the others' (same outputs, another machine kind: check first that the previous commit gives it too). */
const RECORD_CPU = process.env.CTSCREEN_RECORD_CPU === '1';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A recorded P001 fingerprint and the CPU kind it was recorded on. */
interface Fingerprint {
  sha256: string;
  cpu: string;
}
type Fingerprints = Record<string, Fingerprint[]>;
const readFingerprints = (): Fingerprints => (existsSync(FINGERPRINTS) ? JSON.parse(readFileSync(FINGERPRINTS, 'utf8')) : {});

/** The instruction-set extensions onnxruntime's CPU kernels choose between. */
const KERNEL_FLAGS = ['avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx_vnni', 'avx512_bf16', 'avx512_fp16', 'amx_bf16', 'amx_int8', 'amx_tile'];

/** This machine's CPU kind as the kernels see it: architecture and the KERNEL_FLAGS it has (Linux; elsewhere the architecture only). */
function cpuKind(): string {
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    const have = new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
    flags = KERNEL_FLAGS.filter((f) => have.has(f));
  } catch {
    // no /proc/cpuinfo: the architecture alone
  }
  return [arch(), ...flags].join(' ');
}

/** Non-integer numbers may differ by this much (absolute, or relative to their size) between CPU kinds. */
const FLOAT_TOLERANCE = 1e-5;

function numbersClose(a: number, b: number): boolean {
  if (Number.isInteger(a) && Number.isInteger(b)) return a === b;
  return Math.abs(a - b) <= FLOAT_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  const here = () => `${path || '/'}: golden ${JSON.stringify(a)?.slice(0, 200)} ≠ now ${JSON.stringify(b)?.slice(0, 200)}`;
  if (typeof a === 'number' && typeof b === 'number') return numbersClose(a, b) ? null : here();
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`);
      if (d) return d;
    }
    return null;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? null : here();
}

let screener: Screener | null = null;
async function getScreener(): Promise<Screener> {
  screener ??= await openScreener({});
  return screener;
}

function modelsPresent(): boolean {
  return registryModels.every((m) => existsSync(join(REPO_ROOT, m.onnxPath)));
}

test('report.json of the demo phantom equals the committed golden (timestamps and timings aside)', async (t) => {
  if (!modelsPresent()) return t.skip('trained models not in models/');
  const phantom = makeChestPhantom({ seed: 7, slices: 96, lesions: 'covid' });
  const { report } = await (await getScreener()).screen({ volume: phantom.volume });
  const now = normaliseReport(JSON.parse(JSON.stringify(report)));
  if (UPDATE || !existsSync(PHANTOM_GOLDEN)) {
    writeFileSync(PHANTOM_GOLDEN, `${JSON.stringify(now, null, 1)}\n`);
    if (!UPDATE) assert.fail(`no golden yet: wrote ${PHANTOM_GOLDEN}; commit it`);
    return;
  }
  const golden = JSON.parse(readFileSync(PHANTOM_GOLDEN, 'utf8'));
  assert.equal(firstDifference(golden, now), null);
});

test('report.json of COVID-CT-MD P001 has the committed fingerprint (timestamps and timings aside)', async (t) => {
  if (!modelsPresent()) return t.skip('trained models not in models/');
  if (!existsSync(P001)) return t.skip(`${P001} not present`);
  const { report } = await (await getScreener()).screen({ path: P001 });
  const text = JSON.stringify(normaliseReport(JSON.parse(JSON.stringify(report))));
  const fingerprints = readFingerprints();
  const cpu = cpuKind();
  const key = 'covid-ct-md/P001';
  const sum = sha256(text);
  if (UPDATE) {
    // a deliberate change of outputs: this CPU kind's fingerprint replaces every recorded one (the others are stale now)
    writeFileSync(FINGERPRINTS, `${JSON.stringify({ ...fingerprints, [key]: [{ sha256: sum, cpu }] }, null, 2)}\n`);
    return;
  }
  const dump = join(mkdtempSync(join(tmpdir(), 'ctscreen-golden-')), 'P001-normalised.json');
  writeFileSync(dump, text);
  const recorded = fingerprints[key] ?? [];
  const mine = recorded.filter((f) => f.cpu === cpu);
  const why = mine.length > 0
    ? `P001's normalised report changed on this CPU kind (${cpu}); it is in ${dump} (compare with one from the previous commit)`
    : `P001's normalised report matches none of the fingerprints recorded on other CPU kinds (${recorded.map((f) => f.cpu).join('; ') || 'none'}), and none is recorded for this one (${cpu}). If the previous commit gives the same report here (${dump}), record it: CTSCREEN_RECORD_CPU=1 npm test -- golden-report`;
  if (RECORD_CPU && !recorded.some((f) => f.sha256 === sum)) {
    writeFileSync(FINGERPRINTS, `${JSON.stringify({ ...fingerprints, [key]: [...recorded.filter((f) => f.cpu !== cpu), { sha256: sum, cpu }] }, null, 2)}\n`);
    return;
  }
  assert.ok(recorded.some((f) => f.sha256 === sum), why);
});
