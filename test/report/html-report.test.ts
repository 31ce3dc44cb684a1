import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { createCaseReport, INDETERMINATE, NO_INFECTION_FOUND, NOT_SCREENED, type CaseReportBody } from '../../src/core/report-schema.ts';
import type { Mat3, Volume } from '../../src/core/volume.ts';
import { formatPercent, renderHtmlReport } from '../../src/report/html-report.ts';
import { chooseKeySlices, classColours, renderKeySlice, type KeySliceOptions, type OverlayRegion } from '../../src/report/key-slices.ts';

const CLASSES = { labels: ['covid19', 'other_pneumonia', 'irrelevant'], infectionLabels: ['covid19', 'other_pneumonia'], irrelevantLabel: 'irrelevant' };
const NX = 40;
const NY = 30;
const NZ = 12;

/** A volume of aerated lung (−850 HU) everywhere, 1 mm voxels in-plane, 5 mm slices. */
function volume(direction: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1], seriesDescription?: string): Volume {
  return {
    data: new Int16Array(NX * NY * NZ).fill(-850),
    dims: [NX, NY, NZ],
    spacingMm: [1, 1, 5],
    originMm: [0, 0, 0],
    direction,
    source: { format: 'synthetic', sliceCount: NZ, pseudoHu: false, seriesDescription },
    warnings: [],
  };
}

/** Labels: region value v fills rows y0..y1, columns x0..x1 on the given slices. */
function paint(labels: Uint32Array, v: number, x0: number, x1: number, y0: number, y1: number, slices: number[]): void {
  for (const z of slices) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) labels[x + NX * (y + NY * z)] = v;
}

/** A region whose box bounds every voxel painted with its label value, as the pipeline's boxes do. */
function region(id: string, labelValue: number, minZ: number, maxZ: number, voteLabel: string, x0 = 5, x1 = 9, y0 = 5, y1 = 9): OverlayRegion {
  return { id, labelValue, box: { min: [x0, y0, minZ], max: [x1, y1, maxZ] }, voteLabel, kept: voteLabel !== 'irrelevant', confidence: 0.8 };
}

test('key slices: each kept region at its largest slice, close slices merged, superior first', () => {
  const labels = new Uint32Array(NX * NY * NZ);
  paint(labels, 1, 5, 9, 5, 9, [2, 3, 4]); // R1 largest on slice 3 (extra area there)
  paint(labels, 1, 10, 12, 5, 9, [3]);
  paint(labels, 2, 20, 22, 5, 7, [4]); // R2 on slice 4: 5 mm from slice 3 → merged away
  paint(labels, 3, 20, 30, 15, 25, [9, 10]); // R3 dropped (irrelevant), large: never a key slice while kept ones exist
  paint(labels, 4, 25, 26, 20, 21, [10]); // R4 kept, small, slice 10: 35 mm away from slice 3
  const regions = [region('R1', 1, 2, 4, 'covid19', 5, 12), region('R2', 2, 4, 4, 'covid19', 20, 22, 5, 7), region('R3', 3, 9, 10, 'irrelevant', 20, 30, 15, 25), region('R4', 4, 10, 10, 'other_pneumonia', 25, 26, 20, 21)];
  const options: KeySliceOptions = { volume: volume(), lungMask: null, candidateLabels: labels, regions, classes: CLASSES };
  // z grows superior (direction z = +S): slice 10 first
  assert.deepEqual(chooseKeySlices(options), [10, 3]);
  // only dropped regions: at most two, still shown so the reader sees what was looked at
  assert.deepEqual(chooseKeySlices({ ...options, regions: [regions[2]] }), [9]);
  // no region: the slice with the most lung
  const lung = new Uint8Array(NX * NY * NZ);
  lung.fill(1, NX * NY * 7, NX * NY * 8);
  assert.deepEqual(chooseKeySlices({ ...options, lungMask: lung, candidateLabels: null, regions: [] }), [7]);
  // feet-first grid (z towards −S): the superior slice has the smallest index
  assert.deepEqual(chooseKeySlices({ ...options, volume: volume([1, 0, 0, 0, 1, 0, 0, 0, -1]) }), [3, 10]);
});

function pixel(png: Buffer, x: number, y: number): number[] {
  const img = PNG.sync.read(png);
  const o = 4 * (x + img.width * y);
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

test('key slice pictures are radiological: patient right on the left even when columns run the other way', () => {
  const labels = new Uint32Array(NX * NY * NZ);
  paint(labels, 1, 5, 9, 5, 9, [6]);
  const regions = [region('R1', 1, 6, 6, 'covid19')];
  for (const [direction, flipped] of [[[1, 0, 0, 0, 1, 0, 0, 0, 1], false], [[-1, 0, 0, 0, 1, 0, 0, 0, 1], true]] as const) {
    const v = volume(direction as Mat3);
    v.data[0 + NX * (15 + NY * 6)] = 1000; // a bright voxel in column 0, row 15
    const f = renderKeySlice({ volume: v, lungMask: null, candidateLabels: labels, regions, classes: CLASSES }, 6);
    const scale = f.width / NX;
    assert.equal(f.width, NX * scale);
    assert.equal(scale, 4, 'enlarged towards 420 px, at most 4×');
    // column 0 is the patient's right with identity direction (x → L), the patient's left when x → R
    const x = flipped ? f.width - 1 - Math.floor(scale / 2) : Math.floor(scale / 2);
    assert.deepEqual(pixel(f.png, x, 15 * scale + Math.floor(scale / 2)), [255, 255, 255], `bright voxel (flipped ${flipped})`);
    assert.deepEqual(f.orientation, { left: 'R', right: 'L', top: 'A', bottom: 'P' });
    // the box label sits at the box's top-left corner as seen on screen
    const left = flipped ? NX - 1 - 10 : 4;
    assert.ok(Math.abs(f.labels[0].xPercent - (100 * left) / NX) < 1e-9, `label x ${f.labels[0].xPercent}`);
    // the box is drawn in the covid19 colour around the region
    assert.deepEqual(pixel(f.png, flipped ? (NX - 1 - 4) * scale + scale - 1 : 4 * scale, 7 * scale), [...classColours(CLASSES).covid19]);
  }
  // oblique grid: shown in voxel order, without orientation letters
  const c = Math.SQRT1_2;
  const oblique = renderKeySlice({ volume: volume([c, -c, 0, c, c, 0, 0, 0, 1]), lungMask: null, candidateLabels: null, regions: [], classes: CLASSES }, 0);
  assert.equal(oblique.orientation, null);
});

test('formatPercent never rounds a probability to a certainty it is not', () => {
  assert.equal(formatPercent(0.8766), '87.7 %');
  assert.equal(formatPercent(0.9999999), '> 99.9 %');
  assert.equal(formatPercent(1), '> 99.9 %');
  assert.equal(formatPercent(0.0004), '< 0.1 %');
  assert.equal(formatPercent(0), '0.0 %');
  assert.equal(formatPercent(null), '—');
});

function body(seriesDescription: string): CaseReportBody {
  const patch = (z: number, c: number) => ({ sliceIndex: z, probabilities: { covid19: c, other_pneumonia: 0.05, irrelevant: 0.95 - c }, predictedLabel: 'covid19', confidence: c, distanceFromEdge: 0.02 });
  return {
    input: { format: 'synthetic', dimsVoxels: [NX, NY, NZ], spacingMm: [1, 1, 5], sliceCount: NZ, pseudoHu: true, seriesDescription },
    classes: { ...CLASSES, displayNames: { covid19: 'COVID-19 (SARS-CoV-2)', other_pneumonia: 'Other pneumonia', irrelevant: 'Irrelevant to infection' } },
    models: [{ role: 'classifier', id: 'classifier-m2', version: '1.0.0', sha256: 'a'.repeat(64) }],
    decision: { label: 'covid19', displayName: 'COVID-19 (SARS-CoV-2)', mode: 'paper', rule: 'single-type', confidence: 0.9, tie: false },
    paperDecision: { label: 'covid19', displayName: 'COVID-19 (SARS-CoV-2)', rule: 'single-type', confidence: 0.9, tie: false },
    infections: [
      { label: 'covid19', displayName: 'COVID-19', regionCount: 1, noisyOr: 0.9, exportedConfidence: 0.9 },
      { label: 'other_pneumonia', displayName: 'Other pneumonia', regionCount: 0, noisyOr: 0, exportedConfidence: 0 },
    ],
    regions: [
      {
        id: 'R1',
        boxVoxels: { min: [5, 5, 5], max: [9, 9, 7] },
        boxMm: { min: [5, 5, 25], max: [9, 9, 35] },
        sizeMm: [5, 5, 15],
        centreSlice: 6,
        slicesUsed: [5, 6, 7],
        volumeMl: 0.3,
        side: 'right',
        patches: [patch(5, 0.7), patch(6, 0.9), patch(7, 0.8)],
        vote: { label: 'covid19', confidence: 0.9, patchIndex: 1, rule: 'majority' },
        kept: true,
      },
      {
        id: 'R2',
        boxVoxels: { min: [20, 5, 6], max: [22, 7, 6] },
        boxMm: { min: [20, 5, 30], max: [22, 7, 30] },
        sizeMm: [3, 3, 5],
        centreSlice: 6,
        slicesUsed: [5, 6, 7],
        volumeMl: 0.04,
        side: 'left',
        patches: [5, 6, 7].map((z) => ({ sliceIndex: z, probabilities: { covid19: 0.1, other_pneumonia: 0.1, irrelevant: 0.8 }, predictedLabel: 'irrelevant', confidence: 0.8, distanceFromEdge: 0 })),
        vote: { label: 'irrelevant', confidence: 0.8, patchIndex: 0, rule: 'majority' },
        kept: false,
      },
    ],
    lung: {
      right: { volumeMl: 2500, huBands: [{ label: 'aerated', minHu: -950, maxHu: -750, fraction: 0.8 }], involvedPercent: 3.25, thirds: { upper: 0, middle: 9.5, lower: 0.25 } },
      left: null,
      method: 'threshold + morphology',
    },
    warnings: ['values are pseudo-HU: <approximate>'],
    timingsMs: { read: 10, total: 120 },
  };
}

test('the HTML report is self-contained, escaped, and shows decision, regions, lungs, warnings and the notice', () => {
  const report = createCaseReport(body('<script>alert(1)</script>'), { now: new Date('2024-01-01T00:00:00Z'), toolVersion: '1.2.3' });
  const labels = new Uint32Array(NX * NY * NZ);
  paint(labels, 1, 5, 9, 5, 9, [5, 6, 7]);
  paint(labels, 2, 20, 22, 5, 7, [6]);
  const fig = renderKeySlice({ volume: volume(), lungMask: null, candidateLabels: labels, regions: [region('R1', 1, 5, 7, 'covid19'), region('R2', 2, 6, 6, 'irrelevant', 20, 22)], classes: report.classes }, 6);
  // only the infection-voted region is named on the picture
  assert.deepEqual(fig.labels.map((l) => l.text), ['R1']);
  assert.deepEqual(fig.regionIds, ['R2', 'R1']);
  const html = renderHtmlReport({ report, keySlices: [fig] });
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  // a distance of exactly 0 is a patch centre off the lung mask, and says so
  assert.match(html, />0 <span class="small">\(centre off lung\)<\/span></);
  // self-contained: nothing fetched, no script
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /&lt;approximate&gt;/);
  // the inline image is the PNG that was rendered
  const uri = /src="data:image\/png;base64,([^"]+)"/.exec(html);
  assert.ok(uri);
  assert.deepEqual(Buffer.from(uri[1], 'base64'), fig.png);
  // decision with its confidence up front, before the warnings and the slices
  const at = (s: string) => html.indexOf(s);
  assert.match(html, /class="decision infection"><span class="dot"[^>]*><\/span>COVID-19 \(SARS-CoV-2\) <span class="conf">confidence 90\.0 %/);
  // the caption names the infection-voted regions and counts the ignored ones
  assert.match(html, /R1: COVID-19 90 % · 1 ignored region \(thin boxes\)<\/figcaption>/);
  // ignored regions one click away, after the infection-voted ones; tables use the short class names
  assert.match(html, /Candidate regions \(2: 1 infection-voted, 1 ignored\)/);
  assert.ok(html.indexOf('<b>R1</b>') < html.indexOf('<details><summary>1 region voted Irrelevant to infection (ignored by the decision)</summary>'));
  assert.ok(html.indexOf('<details>') < html.indexOf('<b>R2</b>'));
  assert.ok(at('confidence 90.0 %') > 0 && at('confidence 90.0 %') < at('Warnings (1)') && at('Warnings (1)') < at('Key axial slices'));
  assert.equal(html.split(report.notice).length - 1, 2, 'notice at the top and the bottom');
  // region row: slices (1-based), size, volume, distance, the three patch votes with the chosen one
  assert.match(html, /<b>R1<\/b>/);
  assert.match(html, /6–8<br><span class="small">centre 7/);
  assert.match(html, /5 × 5 × 15/);
  assert.match(html, />0\.30</);
  assert.match(html, />0\.020</);
  assert.match(html, /class="chosen">sl\. 7: <span class="dot"[^>]*><\/span>COVID-19 90 %/);
  // lungs: volume, involvement and thirds; the missing left lung is said to be missing
  assert.match(html, />2500</);
  assert.match(html, /<b>3\.3 %<\/b>/);
  assert.match(html, />9\.5 %</);
  assert.match(html, /Left lung<\/td><td colspan="\d+">not found/);
  assert.match(html, /approximate \(pseudo-HU/);
  assert.match(html, /classifier-m2/);
});

test('a no-infection report says so without a confidence, and an empty region list is explained', () => {
  const b = body('x');
  b.decision = { label: NO_INFECTION_FOUND, displayName: 'No infection found', mode: 'paper', rule: 'no-infection', confidence: null, tie: false };
  b.paperDecision = { label: NO_INFECTION_FOUND, displayName: 'No infection found', rule: 'no-infection', confidence: null, tie: false };
  b.infections = b.infections.map((s) => ({ ...s, regionCount: 0, noisyOr: 0, exportedConfidence: 0 }));
  b.regions = [];
  b.lung = null;
  const html = renderHtmlReport({ report: createCaseReport(b), keySlices: [] });
  assert.match(html, /class="decision none">No infection found</);
  assert.match(html, /No candidate regions were found in the lungs/);
});

test('a not-screened report names the reason and says it is not a no-infection result', () => {
  const b = body('x');
  b.decision = { label: NOT_SCREENED, displayName: 'Not screened', mode: 'calibrated', rule: 'not-screened', confidence: null, tie: false, notScreenedReason: 'no lungs found: no air inside the body' };
  b.paperDecision = null;
  b.infections = b.infections.map((s) => ({ ...s, regionCount: 0, noisyOr: 0, exportedConfidence: 0 }));
  b.regions = [];
  b.lung = null;
  const html = renderHtmlReport({ report: createCaseReport(b), keySlices: [] });
  assert.match(html, /class="decision notscreened">Not screened</);
  assert.match(html, /no lungs found: no air inside the body/);
  assert.match(html, /<b>not<\/b> a "no infection" result/);
});

test('a calibrated report shows the infection probability first and the paper decision beside it', () => {
  const b = body('x');
  b.decision = {
    label: 'covid19', displayName: 'COVID-19 (SARS-CoV-2)', mode: 'calibrated', rule: 'calibrated', confidence: 0.72, tie: false,
    infectionProbability: 0.9, typeProbabilities: { covid19: 0.8, other_pneumonia: 0.2 }, operatingPoint: { infectedAtOrAbove: 0.7, noInfectionBelow: 0.3 }, decisionModel: { id: 'case-decision', version: '1.0.0' },
  };
  const html = renderHtmlReport({ report: createCaseReport(b), keySlices: [] });
  assert.match(html, /Probability of an infection: <b>90\.0 %<\/b>/);
  assert.match(html, /infected at ≥ 70 %, no infection below 30 %/);
  assert.match(html, /The paper's rule .* would say <b>COVID-19 \(SARS-CoV-2\)<\/b> \(90\.0 %\)/);
  assert.ok(html.indexOf('Probability of an infection') < html.indexOf('Noisy-OR P'), 'calibrated probability comes before the paper values');
});

test('the type split shows for an infected or indeterminate call, never beside "no infection found" or without regions', () => {
  const calibrated = (label: string, displayName: string) => ({
    label, displayName, mode: 'calibrated' as const, rule: 'calibrated' as const, confidence: label === INDETERMINATE ? null : 0.9, tie: false,
    infectionProbability: label === NO_INFECTION_FOUND ? 0.03 : 0.9, typeProbabilities: { covid19: 0.6, other_pneumonia: 0.4 }, operatingPoint: { infectedAtOrAbove: 0.7, noInfectionBelow: 0.3 }, decisionModel: { id: 'case-decision', version: '1.0.0' },
  });
  const html = (label: string, displayName: string, noRegions = false) => {
    const b = body('x');
    b.decision = calibrated(label, displayName);
    if (noRegions) {
      b.regions = [];
      b.infections = b.infections.map((s) => ({ ...s, regionCount: 0, noisyOr: 0, exportedConfidence: 0 }));
    }
    return renderHtmlReport({ report: createCaseReport(b), keySlices: [] });
  };
  assert.match(html('covid19', 'COVID-19 (SARS-CoV-2)'), /If infected, the type: .*60 %.*40 %/);
  assert.match(html(INDETERMINATE, 'Indeterminate'), /If infected, the type:/);
  assert.doesNotMatch(html(NO_INFECTION_FOUND, 'No infection found'), /If infected, the type/);
  assert.doesNotMatch(html(INDETERMINATE, 'Indeterminate', true), /If infected, the type/);
});

test('a softmax decision says how high its confidence can go (e / (e + 1) = 73.1 % for two types)', () => {
  const b = body('x');
  b.decision = { ...b.decision, rule: 'softmax', confidence: 0.55 };
  b.paperDecision = { ...b.paperDecision!, rule: 'softmax', confidence: 0.55 };
  b.infections = [
    { ...b.infections[0], noisyOr: 0.9, exportedConfidence: 0.55 },
    { ...b.infections[1], regionCount: 0, noisyOr: 0.7, exportedConfidence: 0.45 },
  ];
  const html = renderHtmlReport({ report: createCaseReport(b), keySlices: [] });
  assert.match(html, /with 2 types in play a confidence cannot exceed 73\.1 %/);
});

test('a key slice caption names the four most confident infection-voted regions and counts the rest', () => {
  const b = body('x');
  const r1 = b.regions[0];
  b.regions = [0.61, 0.95, 0.72, 0.88, 0.55, 0.99].map((c, i) => ({ ...r1, id: `R${i + 1}`, vote: { ...r1.vote, confidence: c } }));
  b.infections[0] = { ...b.infections[0], regionCount: 6 };
  const report = createCaseReport(b);
  const fig = { sliceIndex: 6, zMm: 30, png: Buffer.from([]), width: 10, height: 10, labels: [], orientation: null, regionIds: b.regions.map((r) => r.id) };
  const html = renderHtmlReport({ report, keySlices: [fig] });
  assert.match(html, /R6: COVID-19 99 % · R2: COVID-19 95 % · R4: COVID-19 88 % · R3: COVID-19 72 % · 2 more infection-voted<\/figcaption>/);
});
