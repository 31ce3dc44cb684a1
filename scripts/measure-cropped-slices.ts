/**
 * Lung-found rate on body-cropped single slices (COVID-SemiSeg, ../shared/data/infnet-semiseg):
 * per folder, how many slices get lungs, the lung area share of the image, how many have two
 * lungs, and how much of the infection ground truth (GT > 0) falls inside the found lungs.
 *
 *   node --import tsx scripts/measure-cropped-slices.ts [--pseudo-every N] [--json out.json]
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { readImageAsPseudoHu } from '../src/io/image-stack.ts';
import { extractLungs } from '../src/lung/extract-lungs.ts';

const DATA = fileURLToPath(new URL('../../shared/data/infnet-semiseg', import.meta.url));
const FOLDERS = [
  { name: 'Doctor-label', imgs: 'LungInfection-Train/Doctor-label/Imgs', gt: 'LungInfection-Train/Doctor-label/GT' },
  { name: 'MultiClassInfection', imgs: 'MultiClassInfection-Train/Imgs', gt: 'MultiClassInfection-Train/GT' },
  { name: 'Pseudo-label', imgs: 'LungInfection-Train/Pseudo-label/Imgs', gt: 'LungInfection-Train/Pseudo-label/GT' },
];

const args = process.argv.slice(2);
const every = Number(args[args.indexOf('--pseudo-every') + 1] || 0) || 10;
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;

async function gtMask(file: string): Promise<Uint8Array | null> {
  if (!existsSync(file)) return null;
  const { data } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const rows: Record<string, unknown>[] = [];
for (const f of FOLDERS) {
  const dir = join(DATA, f.imgs);
  if (!existsSync(dir)) continue;
  let names = readdirSync(dir).filter((n) => /\.(png|jpe?g)$/i.test(n)).sort();
  if (f.name === 'Pseudo-label') names = names.filter((_, i) => i % every === 0);
  let found = 0, two = 0, gtPix = 0, gtIn = 0, shareSum = 0, ms = 0;
  const failed: string[] = [];
  for (const n of names) {
    const vol = await readImageAsPseudoHu(join(dir, n));
    const gt = await gtMask(join(DATA, f.gt, n.replace(/\.jpe?g$/i, ".png")));
    const t0 = performance.now();
    let mask: Uint8Array | null = null;
    let sides = 0;
    try {
      const r = extractLungs(vol, { label: n });
      mask = r.mask;
      sides = (r.voxels.right > 0 ? 1 : 0) + (r.voxels.left > 0 ? 1 : 0);
    } catch {
      failed.push(n);
    }
    ms += performance.now() - t0;
    let area = 0, g = 0, gi = 0;
    if (mask) for (let i = 0; i < mask.length; i++) if (mask[i]) area++;
    if (gt) for (let i = 0; i < gt.length; i++) if (gt[i] > 0) { g++; if (mask && mask[i]) gi++; }
    if (mask) { found++; if (sides === 2) two++; shareSum += area / mask.length; }
    gtPix += g;
    gtIn += gi;
    rows.push({ folder: f.name, file: n, found: mask !== null, sides, lungShare: mask ? area / mask.length : 0, gtPixels: g, gtInside: gi });
  }
  console.log(
    `${f.name}: ${found}/${names.length} lungs found, ${two} with two lungs, mean lung share ${(shareSum / Math.max(found, 1) * 100).toFixed(1)} %, ` +
      `GT inside lungs ${gtIn}/${gtPix} = ${(gtPix ? (100 * gtIn) / gtPix : 0).toFixed(1)} %, ${(ms / names.length).toFixed(0)} ms/slice` +
      (failed.length ? `; no lungs: ${failed.slice(0, 12).join(' ')}${failed.length > 12 ? ' …' : ''}` : ''),
  );
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 1));
