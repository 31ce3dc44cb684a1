/**
 * The on-disk format of classifier training tensors (read by training/common/tensors.py):
 *   patches.bin       float32 little-endian, count × channels × size × size
 *   index.json        spec, class list and one entry per patch (case, source, group, label, distance, box, ...)
 *   split.json        patient-level split: each group (patient / volume) in exactly one of train, validation
 *   fingerprint.json  counts per class, source and split, intensity statistics (STYLE §6)
 *
 *   writePatchDataset(dir, dataset): PatchDatasetFingerprint
 *   readPatchDataset(dir): { index, data }
 *   makeGroupSplit(groups, options): PatchSplit
 */
import { mulberry32 } from '../core/random.ts';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassSpec } from '../core/classes.ts';
import { InputError } from '../core/errors.ts';
import type { Box3 } from '../core/volume.ts';
import type { PatchSpec } from '../classify/patch-spec.ts';

export const PATCH_DATASET_FORMAT = 'ctscreen-patches';
export const PATCH_DATASET_VERSION = 1;

export interface PatchSample {
  /** Case (volume or slice file) the patch comes from. */
  case: string;
  /** Folder under the data root, e.g. 'infnet-semiseg'. */
  source: string;
  /** Split unit: one patient (or one volume when patients are unknown). */
  group: string;
  label: string;
  /** Relative distance-from-edge of the patch centre (§2.5.1). */
  distance: number;
  /** Candidate box, voxels. */
  box: Box3;
  /** Axial slice of this patch. */
  slice: number;
  /** Region (cube) the patch belongs to; its 1 or 3 patches vote together (§2.6.1). */
  region: string;
  /** How the label was obtained, e.g. 'doctor-mask', 'pseudo-mask', 'slice-label', 'away-from-mask'. */
  labelSource: string;
}

export interface PatchSplit {
  unit: string;
  seed: number;
  train: string[];
  validation: string[];
  /** Why groups were placed where they are. */
  notes: string[];
}

export interface PatchDatasetIndex {
  format: typeof PATCH_DATASET_FORMAT;
  version: number;
  channels: number;
  size: number;
  count: number;
  labels: string[];
  infectionLabels: string[];
  irrelevantLabel: string;
  patchSpec: PatchSpec;
  labelPolicy: string[];
  fingerprintHash: string;
  samples: PatchSample[];
}

export interface PatchDatasetFingerprint {
  count: number;
  perClass: Record<string, number>;
  perSource: Record<string, Record<string, number>>;
  perSplit: Record<string, Record<string, number>>;
  groups: Record<string, { source: string; split: string; patches: number }>;
  /** Normalised patch intensities (after windowing) per class: mean, std. */
  intensity: Record<string, { mean: number; std: number }>;
  distance: Record<string, { mean: number; p95: number }>;
  /** Free-form measurements made during export (e.g. lesion HU per source). */
  measurements: Record<string, unknown>;
  hash: string;
}

export interface PatchDatasetInput {
  spec: PatchSpec;
  classSpec: ClassSpec;
  samples: PatchSample[];
  /** One Float32Array of channels × size × size per sample, same order. */
  patches: Float32Array[];
  split: PatchSplit;
  labelPolicy: string[];
  measurements?: Record<string, unknown>;
}

function stats(values: number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: 0, std: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(v) };
}

export function writePatchDataset(dir: string, input: PatchDatasetInput): PatchDatasetFingerprint {
  const { spec, classSpec, samples, patches, split } = input;
  const plane = spec.channels * spec.sizePx * spec.sizePx;
  if (patches.length !== samples.length) throw new RangeError(`${patches.length} patches for ${samples.length} samples`);
  const splitOf = new Map<string, string>();
  for (const g of split.train) splitOf.set(g, 'train');
  for (const g of split.validation) {
    if (splitOf.has(g)) throw new RangeError(`group '${g}' is in both train and validation`);
    splitOf.set(g, 'validation');
  }
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256');
  const fd = openSync(join(dir, 'patches.bin'), 'w');
  const perClass: Record<string, number> = Object.fromEntries(classSpec.labels.map((l) => [l, 0]));
  const perSource: Record<string, Record<string, number>> = {};
  const perSplit: Record<string, Record<string, number>> = { train: {}, validation: {} };
  const groups: PatchDatasetFingerprint['groups'] = {};
  const means: Record<string, number[]> = {};
  const dists: Record<string, number[]> = {};
  try {
    samples.forEach((s, i) => {
      const p = patches[i];
      if (p.length !== plane) throw new RangeError(`patch ${i} has ${p.length} values, expected ${plane}`);
      if (!classSpec.labels.includes(s.label)) throw new RangeError(`sample ${i} has unknown label '${s.label}'`);
      const where = splitOf.get(s.group);
      if (!where) throw new RangeError(`group '${s.group}' of sample ${i} is in no split`);
      const buf = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      writeSync(fd, buf);
      hash.update(buf);
      perClass[s.label]++;
      (perSource[s.source] ??= {})[s.label] = (perSource[s.source][s.label] ?? 0) + 1;
      perSplit[where][s.label] = (perSplit[where][s.label] ?? 0) + 1;
      groups[s.group] ??= { source: s.source, split: where, patches: 0 };
      groups[s.group].patches++;
      let m = 0;
      for (let k = 0; k < p.length; k++) m += p[k];
      (means[s.label] ??= []).push(m / p.length);
      (dists[s.label] ??= []).push(s.distance);
    });
  } finally {
    closeSync(fd);
  }
  hash.update(JSON.stringify(samples));
  const fingerprintHash = hash.digest('hex');
  const intensity = Object.fromEntries(Object.entries(means).map(([k, v]) => [k, stats(v)]));
  const distance = Object.fromEntries(Object.entries(dists).map(([k, v]) => {
    const sorted = [...v].sort((a, b) => a - b);
    return [k, { mean: stats(v).mean, p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] }];
  }));
  const fingerprint: PatchDatasetFingerprint = { count: samples.length, perClass, perSource, perSplit, groups, intensity, distance, measurements: input.measurements ?? {}, hash: fingerprintHash };
  const index: PatchDatasetIndex = {
    format: PATCH_DATASET_FORMAT,
    version: PATCH_DATASET_VERSION,
    channels: spec.channels,
    size: spec.sizePx,
    count: samples.length,
    labels: [...classSpec.labels],
    infectionLabels: [...classSpec.infectionLabels],
    irrelevantLabel: classSpec.irrelevantLabel,
    patchSpec: spec,
    labelPolicy: input.labelPolicy,
    fingerprintHash,
    samples,
  };
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify(index)}\n`);
  writeFileSync(join(dir, 'split.json'), `${JSON.stringify(split, null, 2)}\n`);
  writeFileSync(join(dir, 'fingerprint.json'), `${JSON.stringify(fingerprint, null, 2)}\n`);
  return fingerprint;
}

export function readPatchDataset(dir: string): { index: PatchDatasetIndex; data: Float32Array; split: PatchSplit } {
  const indexPath = join(dir, 'index.json');
  let index: PatchDatasetIndex;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8')) as PatchDatasetIndex;
  } catch (e) {
    throw new InputError('DATASET_UNREADABLE', `${indexPath} cannot be read as a patch dataset index (${(e as Error).message}); run ctscreen dataset patches first`, { path: indexPath, cause: e });
  }
  if (index.format !== PATCH_DATASET_FORMAT) throw new InputError('DATASET_FORMAT', `${indexPath} is not a ${PATCH_DATASET_FORMAT} index`, { path: indexPath });
  const raw = readFileSync(join(dir, 'patches.bin'));
  const expected = index.count * index.channels * index.size * index.size * 4;
  if (raw.byteLength !== expected) throw new InputError('DATASET_SIZE', `${join(dir, 'patches.bin')} has ${raw.byteLength} bytes, index says ${expected}`, { path: dir });
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const split = JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')) as PatchSplit;
  return { index, data, split };
}

export interface GroupSplitOptions {
  seed: number;
  /** Share of the free groups of each stratum sent to validation (rounded, at least 1 when a stratum has ≥ 2). */
  validationFraction: number;
  /** Groups whose place is decided by hand, with the reason. */
  forced?: Record<string, { split: 'train' | 'validation'; why: string }>;
  unit: string;
}

/**
 * Patient-level split: groups are stratified (e.g. by source), each stratum shuffled with the seed
 * and a share sent to validation. A group is in exactly one split.
 */
export function makeGroupSplit(groups: ReadonlyArray<{ group: string; stratum: string }>, options: GroupSplitOptions): PatchSplit {
  const rand = mulberry32(options.seed);
  const train: string[] = [];
  const validation: string[] = [];
  const notes: string[] = [];
  const strata = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const { group, stratum } of groups) {
    if (seen.has(group)) continue;
    seen.add(group);
    const f = options.forced?.[group];
    if (f) {
      (f.split === 'train' ? train : validation).push(group);
      notes.push(`${group} → ${f.split}: ${f.why}`);
      continue;
    }
    if (!strata.has(stratum)) strata.set(stratum, []);
    strata.get(stratum)!.push(group);
  }
  for (const [stratum, gs] of [...strata.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...gs].sort();
    for (let i = sorted.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [sorted[i], sorted[j]] = [sorted[j], sorted[i]];
    }
    const nVal = sorted.length >= 2 ? Math.max(1, Math.round(sorted.length * options.validationFraction)) : 0;
    validation.push(...sorted.slice(0, nVal));
    train.push(...sorted.slice(nVal));
    notes.push(`${stratum}: ${nVal} of ${sorted.length} groups to validation (seeded shuffle)`);
  }
  return { unit: options.unit, seed: options.seed, train: train.sort(), validation: validation.sort(), notes };
}
