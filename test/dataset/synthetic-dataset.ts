// A tiny synthetic patch dataset written with the real exporter's writer: class-dependent blobs so a
// few optimiser steps have something to learn, regions of 3 patches, 6 patient groups.
import { mulberry32 } from '../../src/core/random.ts';
import { writePatchDataset, type PatchSample } from '../../src/dataset/patch-format.ts';
import { DEFAULT_PATCH_SPEC, type PatchSpec } from '../../src/classify/patch-spec.ts';
import type { ClassSpec } from '../../src/core/classes.ts';

export const SYNTH_CLASSES: ClassSpec = { labels: ['covid19', 'other_pneumonia', 'irrelevant'], infectionLabels: ['covid19', 'other_pneumonia'], irrelevantLabel: 'irrelevant' };

export function writeSyntheticDataset(dir: string, options: { regionsPerGroup?: number; sizePx?: number } = {}) {
  const spec: PatchSpec = { ...DEFAULT_PATCH_SPEC, sizePx: options.sizePx ?? 32 };
  const rand = mulberry32(7);
  const samples: PatchSample[] = [];
  const patches: Float32Array[] = [];
  const groups = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
  const s = spec.sizePx;
  for (const group of groups) {
    for (let r = 0; r < (options.regionsPerGroup ?? 2); r++) {
      const labelIndex = (r + groups.indexOf(group)) % 3;
      const label = SYNTH_CLASSES.labels[labelIndex];
      for (let k = -1; k <= 1; k++) {
        const p = new Float32Array(s * s);
        // covid: bright blob near the edge; other: bright blob centred; irrelevant: noise
        const cx = labelIndex === 0 ? s * 0.2 : s / 2;
        for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
          const blob = labelIndex === 2 ? 0 : Math.exp(-((x - cx) ** 2 + (y - s / 2) ** 2) / (2 * (s / 6) ** 2));
          p[y * s + x] = Math.round(Math.min(1, 0.1 + 0.7 * blob + 0.1 * rand()) * 255) / 255;
        }
        patches.push(p);
        samples.push({ case: `${group}-case`, source: 'synthetic', group, label, distance: labelIndex === 0 ? 0.01 : 0.08, box: { min: [0, 0, 4], max: [9, 9, 6] }, slice: 5 + k, region: `${group}-r${r}`, labelSource: 'synthetic' });
      }
    }
  }
  return writePatchDataset(dir, {
    spec,
    classSpec: SYNTH_CLASSES,
    samples,
    patches,
    split: { unit: 'patient', seed: 1, train: ['g0', 'g1', 'g2', 'g3'], validation: ['g4', 'g5'], notes: ['synthetic'] },
    labelPolicy: ['synthetic blobs'],
  });
}
