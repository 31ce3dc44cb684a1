/**
 * The paper's validation tables for a patch classifier (§3.3.3–§3.3.4): patch-level confusion and
 * recall / precision / F1 (Tables 1–2) and region-level after the vote of each region's patches
 * (Tables 3–4), measured with the shipped ONNX model on the validation split.
 *
 *   validationTables({ index, data, split, model }): Promise<ValidationTables>
 */
import { voteRegion } from '../../decide/vote.ts';
import { classificationReport, confusionFromIndices, expectedCalibrationError } from '../../eval/metrics.ts';
import { classifyPatches, type PatchModel } from '../../classify/classify-patches.ts';
import type { PatchDatasetIndex, PatchSplit } from '../../dataset/patch-format.ts';

export interface TableJson {
  labels: string[];
  /** Rows actual, columns predicted. */
  matrix: number[][];
  perClass: Record<string, { recall: number; precision: number; f1: number; support: number }>;
  accuracy: number;
  macroF1: number;
  count: number;
}

export interface ValidationTables {
  patch: TableJson;
  /** Regions with all their slice patches (3 from volumes); 2-D sources give 1-patch regions, counted separately. */
  region: TableJson;
  regionSinglePatch: TableJson;
  perSourceAccuracy: Record<string, { count: number; accuracy: number }>;
  expectedCalibrationError: number;
}

function toTable(labels: readonly string[], actual: number[], predicted: number[]): TableJson {
  const cm = confusionFromIndices(actual, predicted, labels);
  const r = classificationReport(cm);
  return {
    labels: [...labels],
    matrix: cm.matrix,
    perClass: Object.fromEntries(r.perClass.map((c) => [c.label, { recall: c.recall, precision: c.precision, f1: c.f1, support: c.support }])),
    accuracy: r.accuracy,
    macroF1: r.macro.f1,
    count: r.total,
  };
}

export async function validationTables(options: { index: PatchDatasetIndex; data: Float32Array; split: PatchSplit; model: PatchModel; regionPatches?: number }): Promise<ValidationTables> {
  const { index, data, split, model } = options;
  const spec = model.card.classSpec;
  const labels = spec.labels;
  const val = new Set(split.validation);
  const plane = index.channels * index.size * index.size;
  const idx = index.samples.map((s, i) => (val.has(s.group) ? i : -1)).filter((i) => i >= 0);
  const patches = new Float32Array(idx.length * plane);
  const distance = new Float32Array(idx.length);
  idx.forEach((i, j) => {
    patches.set(data.subarray(i * plane, (i + 1) * plane), j * plane);
    distance[j] = index.samples[i].distance;
  });
  const res = await classifyPatches({ patches: { count: idx.length, channels: index.channels, sizePx: index.size, data: patches, distance }, model });
  const actual = idx.map((i) => labels.indexOf(index.samples[i].label));
  const predicted = Array.from(res.predicted);
  const patch = toTable(labels, actual, predicted);

  const perSource: Record<string, { count: number; correct: number }> = {};
  idx.forEach((i, j) => {
    const s = (perSource[index.samples[i].source] ??= { count: 0, correct: 0 });
    s.count++;
    if (actual[j] === predicted[j]) s.correct++;
  });

  const regions = new Map<string, number[]>();
  idx.forEach((i, j) => {
    const r = index.samples[i].region;
    if (!regions.has(r)) regions.set(r, []);
    regions.get(r)!.push(j);
  });
  const want = options.regionPatches ?? 3;
  const full = { a: [] as number[], p: [] as number[] };
  const single = { a: [] as number[], p: [] as number[] };
  for (const [name, js] of regions) {
    const vote = voteRegion(js.map((j) => res.predictions[j]), spec, name);
    const target = js.length >= want ? full : single;
    target.a.push(actual[js[0]]);
    target.p.push(vote.labelIndex);
  }
  const k = labels.length;
  const ece = idx.length === 0 ? { ece: Number.NaN } : expectedCalibrationError({
    confidences: Array.from({ length: idx.length }, (_, j) => res.probabilities[j * k + res.predicted[j]]),
    correct: actual.map((a, j) => a === predicted[j]),
  });
  return {
    patch,
    region: toTable(labels, full.a, full.p),
    regionSinglePatch: toTable(labels, single.a, single.p),
    perSourceAccuracy: Object.fromEntries(Object.entries(perSource).map(([k, v]) => [k, { count: v.count, accuracy: v.correct / v.count }])),
    expectedCalibrationError: ece.ece,
  };
}
