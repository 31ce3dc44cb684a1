// CI's tiny end-to-end training (issue 5): a few optimiser steps of M1 and M2 on a synthetic dataset
// written by the TS writer, through ONNX export, onnxruntime-node parity, validation tables and the
// model card. Never the full training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTrainingDeterminism, trainClassifier } from '../../src/train/classifier/train-classifier.ts';
import { DEFAULT_PYTHON, PARITY_TOLERANCE } from '../../src/train/model-files.ts';
import { readModelCard } from '../../src/models/model-card.ts';
import { writeSyntheticDataset } from '../dataset/synthetic-dataset.ts';

const hasTorch = spawnSync(DEFAULT_PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;

test('tiny training of M1 and M2 reaches ONNX parity and writes valid cards', { timeout: 120_000 }, async (t) => {
  if (!hasTorch) {
    t.skip(`${DEFAULT_PYTHON} has no torch (apt-get install python3-torch)`);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'ctscreen-train-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const ds = join(root, 'dataset');
  const fp = writeSyntheticDataset(ds);
  assert.deepEqual(fp.perClass, { covid19: 12, other_pneumonia: 12, irrelevant: 12 });
  const lines: string[] = [];
  const res = await trainClassifier({ datasetDir: ds, outDir: join(root, 'models'), workDir: join(root, 'work'), epochs: 1, maxSteps: 2, batchSize: 8, log: (l) => void lines.push(l) });
  assert.deepEqual(res.variants.map((v) => v.variant), ['m1', 'm2']);
  for (const v of res.variants) {
    assert.ok(v.parityMaxAbsDiff <= PARITY_TOLERANCE, `${v.variant} parity ${v.parityMaxAbsDiff}`);
    const card = readModelCard(v.cardPath);
    assert.equal(card.id, `classifier-${v.variant}`);
    assert.ok(card.temperature > 0);
    assert.equal(card.parity?.maxAbsDiff, v.parityMaxAbsDiff);
    assert.deepEqual(card.input.inputs.map((x) => x.name), v.variant === 'm2' ? ['patches', 'distance'] : ['patches']);
    // 2 validation groups × 2 regions × 3 patches
    assert.equal(v.tables.patch.count, 12);
    assert.equal(v.tables.region.count, 4);
    assert.ok(existsSync(v.cardPath.replace(/\.json$/, '.md')));
  }
  const metrics = JSON.parse(readFileSync(res.metricsPath, 'utf8')) as Record<string, unknown>;
  assert.ok('classifier-m1' in metrics && 'classifier-m2' in metrics);
  assert.ok(lines.some((l) => /ETA/.test(l)), 'progress with ETA was logged');
  // resumable: a second run with the same configuration picks up the checkpoint instead of retraining
  const again: string[] = [];
  await trainClassifier({ datasetDir: ds, outDir: join(root, 'models'), workDir: join(root, 'work'), variants: ['m2'], epochs: 1, maxSteps: 2, batchSize: 8, log: (l) => void again.push(l) });
  assert.ok(again.some((l) => /resuming after epoch 1/.test(l)), again.join('\n'));
});

test('training is bit-reproducible: two short M2 runs give byte-identical ONNX files (issue 9 §6)', { timeout: 120_000 }, async (t) => {
  if (!hasTorch) {
    t.skip(`${DEFAULT_PYTHON} has no torch (apt-get install python3-torch)`);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'ctscreen-det-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const ds = join(root, 'dataset');
  writeSyntheticDataset(ds);
  const r = await checkTrainingDeterminism({ datasetDir: ds, workDir: join(root, 'work'), variant: 'm2', steps: 3 });
  assert.equal(r.steps, 3);
  assert.match(r.sha256[0], /^[0-9a-f]{64}$/);
  assert.equal(r.identical, true, `${r.sha256[0]} ≠ ${r.sha256[1]}`);
});
