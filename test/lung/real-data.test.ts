// Integration on the real scans in ../shared/data (skipped where that folder is absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
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

const SEMISEG = join(DATA, 'infnet-semiseg');
/** Body-cropped COVID-SemiSeg slices (issue 10): MedSeg doctor slices (lung window, most turned by 90°). */
const DOCTOR_SLICES = ['0', '1', '2', '3', '4', '5', '10', '11'];
/** Pseudo-label coronacases slices: windowed far darker than the lung window (lung clamped to air), lungs meeting the border or room air. */
const PSEUDO_SLICES = ['coronacases_org_001_44', 'coronacases_org_002_28', 'coronacases_org_004_112', 'coronacases_org_005_106', 'coronacases_org_007_25'];
/** A chest slice cropped to the body is 14–69 % lung over all 1700 COVID-SemiSeg slices (scripts/measure-cropped-slices.ts). */
const CROPPED_LUNG_SHARE = [0.25, 0.75] as const;

async function greyMask(file: string): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  return new Uint8Array(await sharp(file).greyscale().raw().toBuffer());
}

test('COVID-SemiSeg body-cropped slices: two lungs on every slice, the doctors\' infection masks inside them', async (t) => {
  const doctor = join(SEMISEG, 'LungInfection-Train', 'Doctor-label');
  const pseudo = join(SEMISEG, 'LungInfection-Train', 'Pseudo-label', 'Imgs');
  if (!existsSync(doctor) || !existsSync(pseudo)) {
    t.skip('../shared/data/infnet-semiseg not present');
    return;
  }
  const { readImageAsPseudoHu } = await import('../../src/io/image-stack.ts');
  let gt = 0;
  let inside = 0;
  const files = [...DOCTOR_SLICES.map((n) => join(doctor, 'Imgs', `${n}.jpg`)), ...PSEUDO_SLICES.map((n) => join(pseudo, `Data-1_${n}.jpg`))];
  for (const file of files) {
    const r = extractLungs(await readImageAsPseudoHu(file), { label: file });
    assert.ok(r.voxels.right > 0 && r.voxels.left > 0, `${file}: two lungs (${r.voxels.right}, ${r.voxels.left})`);
    let lung = 0;
    for (const v of r.mask) if (v) lung++;
    const share = lung / r.mask.length;
    assert.ok(share >= CROPPED_LUNG_SHARE[0] && share <= CROPPED_LUNG_SHARE[1], `${file}: lungs are ${(100 * share).toFixed(0)} % of the slice`);
    if (!file.startsWith(doctor)) continue;
    // the radiologists' infection masks are the only lung-ish ground truth there: infection lies in lung
    const m = await greyMask(join(doctor, 'GT', basename(file).replace(/\.jpg$/, '.png')));
    for (let i = 0; i < m.length; i++) {
      if (m[i] === 0) continue;
      gt++;
      if (r.mask[i]) inside++;
    }
  }
  // measured 94.2 % on these 8 slices (86.6 % over all 50): what is left out is mostly dense consolidation at the pleura and hilum
  assert.ok(inside / gt >= 0.88, `infection inside the lungs: ${inside} of ${gt} pixels`);
});
