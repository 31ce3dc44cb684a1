// Integration on the real scans in ../shared/data (skipped where that folder is absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readVolume } from '../../src/io/read.ts';
import { extractLungs } from '../../src/lung/extract-lungs.ts';

const DATA = fileURLToPath(new URL('../../../shared/data', import.meta.url));
/** Per lung, mL: adult lungs at inspiration are ≈ 1.5–4 L; resized/partial scans widen the range. */
const PLAUSIBLE_ML = [500, 5000] as const;

function cases(): string[] {
  const out: string[] = [];
  const tb = join(DATA, 'tb-lesions');
  if (existsSync(tb)) for (const f of readdirSync(tb).sort()) if (f.endsWith('-128x128x64.nii.gz')) out.push(join(tb, f));
  const rp = join(DATA, 'radiopaedia-covid');
  if (existsSync(rp)) out.push(join(rp, readdirSync(rp).sort()[0]));
  const md = join(DATA, 'covid-ct-md', 'P001');
  if (existsSync(md)) out.push(md);
  return out;
}

test('real scans: two lungs of plausible adult volume each', async (t) => {
  const list = cases();
  if (list.length === 0) {
    t.skip('../shared/data not present');
    return;
  }
  for (const path of list) {
    const vol = await readVolume(path);
    const r = extractLungs(vol, { label: path });
    for (const side of ['right', 'left'] as const) {
      const v = r.volumeMl[side];
      assert.ok(v >= PLAUSIBLE_ML[0] && v <= PLAUSIBLE_ML[1], `${path}: ${side} lung ${v.toFixed(0)} mL`);
    }
  }
});
