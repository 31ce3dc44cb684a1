// Screening outputs must not change under refactoring or speed work (issues 11 and 16): report.json of
// the demo phantom and of COVID-CT-MD P001, timestamps and timings aside, equal a committed golden.
// The phantom's normalised report is committed whole (synthetic, readable diffs); P001's only as a
// sha256 (nothing derived from ../shared is committed). A deliberate change of outputs (new models, a
// new rule) regenerates them: CTSCREEN_UPDATE_GOLDEN=1 npm test -- golden-report
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const readFingerprints = (): Record<string, string> => (existsSync(FINGERPRINTS) ? JSON.parse(readFileSync(FINGERPRINTS, 'utf8')) : {});

function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`);
      if (d) return d;
    }
  }
  return `${path || '/'}: golden ${JSON.stringify(a)?.slice(0, 200)} ≠ now ${JSON.stringify(b)?.slice(0, 200)}`;
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
  if (UPDATE) {
    writeFileSync(FINGERPRINTS, `${JSON.stringify({ ...fingerprints, 'covid-ct-md/P001': sha256(text) }, null, 2)}\n`);
    return;
  }
  const dump = join(mkdtempSync(join(tmpdir(), 'ctscreen-golden-')), 'P001-normalised.json');
  writeFileSync(dump, text);
  assert.equal(sha256(text), fingerprints['covid-ct-md/P001'], `P001's normalised report changed; it is in ${dump} (compare with one from the previous commit)`);
});
