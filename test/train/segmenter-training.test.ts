// Tiny end-to-end run of the segmenter training chain on synthetic 8-bit slices made here:
// TypeScript export (ctscreen dataset segmentation) → PyTorch training (interrupted and resumed)
// → ONNX export → TypeScript parity + model card → the learned generator loads the card.
// A few steps on a few 32² tiles: checks the plumbing, never the model's quality.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadLearnedGenerator } from '../../src/candidates/learned.ts';
import type { SegmentationSample, SegmentationSplit } from '../../src/dataset/segmentation.ts';
import { main } from '../../src/cli/main.ts';
import { IDENTITY_DIRECTION, type Volume } from '../../src/core/volume.ts';
import { clearModelCache } from '../../src/models/load-model.ts';
import { readModelCard } from '../../src/models/model-card.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PY = '/usr/bin/python3';

function hasTorch(): boolean {
  return existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

/** A 40×48 "lung crop": dark parenchyma, a bright blob at (cx, cy) and its mask. */
async function writeSlice(img: string, gt: string, cx: number, cy: number, flipMask = false): Promise<void> {
  const w = 40, h = 48;
  const px = Buffer.alloc(w * h);
  const m = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const inBlob = (x - cx) ** 2 + (y - cy) ** 2 <= 36;
    px[y * w + x] = inBlob ? 170 : 40 + ((x * 7 + y * 3) % 11);
    m[y * w + x] = inBlob !== flipMask ? 255 : 0;
  }
  await sharp(px, { raw: { width: w, height: h, channels: 1 } }).jpeg({ quality: 95 }).toFile(img);
  await sharp(m, { raw: { width: w, height: h, channels: 1 } }).png().toFile(gt);
}

async function makeData(dir: string): Promise<void> {
  const pseudo = join(dir, 'infnet-semiseg/LungInfection-Train/Pseudo-label');
  const doctor = join(dir, 'infnet-semiseg/LungInfection-Train/Doctor-label');
  for (const d of [join(pseudo, 'Imgs'), join(pseudo, 'GT'), join(doctor, 'Imgs'), join(doctor, 'GT')]) mkdirSync(d, { recursive: true });
  const vols = ['coronacases_org_001', 'coronacases_org_002', 'radiopaedia_org_covid-19-pneumonia-3_11_0-dcm', 'radiopaedia_org_covid-19-pneumonia-3_12_1-dcm'];
  for (const [v, vol] of vols.entries()) {
    for (let k = 1; k <= 3; k++) await writeSlice(join(pseudo, 'Imgs', `Data-1_${vol}_${k}.jpg`), join(pseudo, 'GT', `Data-1_${vol}_${k}.png`), 12 + 4 * v, 14 + 5 * k);
  }
  for (let k = 0; k < 2; k++) await writeSlice(join(doctor, 'Imgs', `${k}.jpg`), join(doctor, 'GT', `${k}.png`), 20, 24);
}

function run(cmd: string, args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('tiny segmenter training end to end: export → train (resumed) → ONNX → parity → card → generator', async (t) => {
  if (!hasTorch()) {
    t.skip(`${PY} with PyTorch is not available`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'ctscreen-seg-'));
  try {
    const data = join(tmp, 'data');
    const ds = join(tmp, 'ds');
    const work = join(tmp, 'work');
    const models = join(tmp, 'models');
    await makeData(data);

    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['dataset', 'segmentation', '--data', data, '--out', ds, '--tile-size', '32', '--validation-groups', '2'], { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s) });
    assert.equal(code, 0, err.join(''));
    const index = JSON.parse(readFileSync(join(ds, 'index.json'), 'utf8')) as { samples: SegmentationSample[]; tileSize: number };
    const split = JSON.parse(readFileSync(join(ds, 'split.json'), 'utf8')) as SegmentationSplit;
    assert.equal(index.samples.length, 14);
    assert.equal(index.tileSize, 32);
    // patient level: the two Radiopaedia series of case 3 are one group, on one side of the split
    const groupsOf = (sp: string) => new Set(index.samples.filter((s) => s.split === sp).map((s) => s.group));
    const train = groupsOf('train');
    for (const g of groupsOf('validation')) assert.ok(!train.has(g), `${g} is in both splits`);
    assert.equal(index.samples.filter((s) => s.group === 'radiopaedia-case-3').length, 6);
    assert.ok(index.samples.filter((s) => s.source === 'infnet-doctor').every((s) => s.split === 'validation' && s.neighbours === 'centre-repeated'));
    assert.deepEqual([...split.train, ...split.validation].sort(), [...new Set(index.samples.map((s) => s.group))].sort());
    // one coronacases patient and the Radiopaedia patient to validation (stratified), the other coronacases patient trains
    assert.deepEqual(split.train, index.samples.filter((s) => s.split === 'train').map((s) => s.group).filter((g, i, a) => a.indexOf(g) === i).sort());
    assert.equal(train.size, 1);
    const fp = JSON.parse(readFileSync(join(ds, 'fingerprint.json'), 'utf8')) as { counts: Record<string, { train: number; validation: number }> };
    assert.equal(fp.counts['infnet-pseudo'].train + fp.counts['infnet-pseudo'].validation, 12);
    assert.ok(index.samples.every((s) => s.lesionPixelsTile > 0), 'every synthetic slice has its blob in the tile mask');

    const a1 = run(PY, ['training/segmenter/train.py', '--data', ds, '--out', work, '--epochs', '2', '--batch-size', '2', '--stop-after-epochs', '1']);
    assert.equal(a1.status, 0, a1.err);
    assert.match(a1.err, /stopping after 1 epoch/);
    const a2 = run(PY, ['training/segmenter/train.py', '--data', ds, '--out', work, '--epochs', '2', '--batch-size', '2']);
    assert.equal(a2.status, 0, a2.err);
    assert.match(a2.err, /resuming from epoch 1/);
    assert.match(a2.err, /ETA/);
    const log = readFileSync(join(work, 'train-log.jsonl'), 'utf8').trim().split('\n');
    assert.equal(log.length, 2);

    const e = run(PY, ['training/segmenter/export_onnx.py', '--data', ds, '--work', work, '--out', join(work, 'candidates-segmenter.onnx')]);
    assert.equal(e.status, 0, e.err);
    const f = run(process.execPath, ['--import', 'tsx', 'src/train/segmenter/finalize.ts', '--data', data, '--dataset', ds, '--work', work, '--models', models, '--skip-recall']);
    assert.equal(f.status, 0, f.err);

    const cardPath = join(models, 'candidates-segmenter.card.json');
    const card = readModelCard(cardPath);
    assert.equal(card.task, 'segmenter');
    assert.ok(card.parity && card.parity.maxAbsDiff <= 1e-4, `parity ${card.parity?.maxAbsDiff}`);
    assert.equal(card.input.extra?.tileSize, 32);
    assert.ok(readFileSync(join(models, 'candidates-segmenter.card.md'), 'utf8').includes('not a diagnostic device'));
    assert.ok(existsSync(join(models, 'candidates-split.json')));

    // the card drives the generator: a 3-slice volume of air-filled lung gets a well-formed set
    const gen = await loadLearnedGenerator(cardPath);
    const dims = [20, 18, 3] as const;
    const volume: Volume<Int16Array> = { data: new Int16Array(20 * 18 * 3).fill(-850), dims, spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION, source: { format: 'synthetic', sliceCount: 3, pseudoHu: false }, warnings: [] };
    const set = await gen({ volume, lungMask: new Uint8Array(20 * 18 * 3).fill(1) });
    assert.equal(set.generator, 'learned');
    assert.equal(set.labels.length, 20 * 18 * 3);
    assert.equal(set.threshold, card.input.extra?.threshold);
  } finally {
    await clearModelCache();
    rmSync(tmp, { recursive: true, force: true });
  }
});
