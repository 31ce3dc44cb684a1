/**
 * The screening report a clinician reads: ONE self-contained HTML file (inline CSS, key slices as
 * PNG data URIs, no scripts, nothing fetched), rendered from the validated case report.
 *
 *   renderHtmlReport({ report, keySlices }): string
 *
 * Order follows what a reader needs first: the not-a-diagnostic-device notice, the decision and the
 * confidences (§2.6.2), warnings, key slices, the regions that led there (§2.6.1 votes), the lungs,
 * then input, models and timings.
 */
import type { CaseReport, RegionReport } from '../core/report-schema.ts';
import { INDETERMINATE, NO_INFECTION_FOUND, NOT_SCREENED } from '../core/report-schema.ts';
import { classColours, type KeySliceFigure } from './key-slices.ts';
import { OVERLAY_COLOURS, type Rgb } from './render-slice.ts';

export interface HtmlReportOptions {
  report: CaseReport;
  keySlices: readonly KeySliceFigure[];
}

/** A key slice's caption names at most this many regions (the most confident); the table has them all. */
const CAPTION_REGIONS = 4;

const RULE_TEXT: Record<CaseReport['decision']['rule'], string> = {
  'no-infection': 'no candidate region was voted an infection type',
  'single-type': 'only one infection type has voted regions; its Noisy-OR probability is reported directly',
  softmax: 'several infection types have voted regions; confidences are the softmax of their Noisy-OR probabilities (paper eq. 2)',
  calibrated: 'calibrated decision: the probability that this CT has an infection, from the strongest candidate region and the lesion volume, with thresholds chosen on patients held out from fitting',
  'not-screened': 'nothing was screened',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function rgb(c: Rgb): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Shown instead of a rounded 100 % or 0 %: Noisy-OR over many regions saturates, and "100 %" would read as certainty. */
const NEAR_ONE = 0.999;
const NEAR_ZERO = 0.001;

/** A probability as a percentage for people; never "100 %" or "0 %" for a value short of it. */
export function formatPercent(p: number | null | undefined, digits = 1): string {
  if (p === null || p === undefined) return '—';
  if (p > NEAR_ONE) return '> 99.9 %';
  if (p > 0 && p < NEAR_ZERO) return '< 0.1 %';
  return `${(100 * p).toFixed(digits)} %`;
}

const pct = formatPercent;

function num(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined ? '—' : v.toFixed(digits);
}

function displayName(report: CaseReport, label: string): string {
  if (label === NO_INFECTION_FOUND) return 'No infection found';
  if (label === NOT_SCREENED) return 'Not screened';
  if (label === INDETERMINATE) return 'Indeterminate';
  return report.classes.displayNames?.[label] ?? label;
}

/** The display name without a trailing parenthetical note, for table cells and captions. */
function shortName(report: CaseReport, label: string): string {
  return displayName(report, label).replace(/\s*\([^()]*\)\s*$/, '') || displayName(report, label);
}

function classChip(report: CaseReport, label: string, colours: Record<string, Rgb>, short = false): string {
  const c = colours[label];
  const dot = c ? `<span class="dot" style="background:${rgb(c)}"></span>` : '';
  return `${dot}${esc(short ? shortName(report, label) : displayName(report, label))}`;
}

function paperTable(report: CaseReport, colours: Record<string, Rgb>): string {
  const pd = report.paperDecision;
  const rows = report.infections
    .map(
      (s) =>
        `<tr${pd && s.label === pd.label ? ' class="decided"' : ''}><td>${classChip(report, s.label, colours)}</td><td class="n">${s.regionCount}</td><td class="n">${pct(s.noisyOr)}</td><td class="n">${pct(s.exportedConfidence)}</td></tr>`,
    )
    .join('');
  return `<table class="types"><thead><tr><th>Infection type</th><th>Regions</th><th>Noisy-OR P</th><th>Paper's confidence</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function decisionSection(report: CaseReport, colours: Record<string, Rgb>): string {
  const d = report.decision;
  const pd = report.paperDecision;
  if (d.label === NOT_SCREENED) {
    return `<section class="card">
<h2>Screening result</h2>
<div class="decision notscreened">Not screened</div>
<p class="why"><b>${esc(d.notScreenedReason ?? 'nothing could be screened')}</b>. This is <b>not</b> a "no infection" result: nothing was looked at.</p>
</section>`;
  }
  const kept = report.regions.filter((r) => r.kept).length;
  // softmax of probabilities in [0, 1] (eq. 2): the top share is at most e / (e + k − 1) for k types
  const typesWithEvidence = report.infections.filter((s) => s.noisyOr > 0).length;
  const regionText = `${report.regions.length} candidate region(s) were classified; ${kept} were voted an infection type and ${report.regions.length - kept} were voted ${esc(displayName(report, report.classes.irrelevantLabel))} and ignored (§2.6.1).`;
  if (d.mode === 'calibrated') {
    const op = d.operatingPoint;
    const cls = d.label === NO_INFECTION_FOUND ? 'none' : d.label === INDETERMINATE ? 'indeterminate' : 'infection';
    const head = d.label === NO_INFECTION_FOUND || d.label === INDETERMINATE ? esc(displayName(report, d.label)) : classChip(report, d.label, colours);
    // the type split of the infection evidence: shown where an infection is called or not ruled out; on a
    // "no infection found" call (or with no region at all: an even split of nothing) it would read as a finding
    const types = d.typeProbabilities && d.label !== NO_INFECTION_FOUND && report.regions.length > 0
      ? report.classes.infectionLabels.map((l) => `${classChip(report, l, colours, true)} ${pct(d.typeProbabilities?.[l], 0)}`).join(' · ')
      : '';
    const paperText = pd ? `The paper's rule (§2.6.2: any infection-voted region makes the case infected) would say <b>${esc(pd.displayName)}</b>${pd.confidence === null ? '' : ` (${pct(pd.confidence)})`}; its Noisy-OR values, for reference:` : '';
    return `<section class="card">
<h2>Screening result</h2>
<div class="decision ${cls}">${head}${d.confidence === null ? '' : ` <span class="conf">${pct(d.confidence)}</span>`}</div>
<p class="prob">Probability of an infection: <b>${pct(d.infectionProbability)}</b>${op ? ` <span class="small">(infected at ≥ ${pct(op.infectedAtOrAbove, 0)}, no infection below ${pct(op.noInfectionBelow, 0)}, indeterminate between${op.strongRegionAtOrAbove !== undefined ? `, and below too when a region reaches ${pct(op.strongRegionAtOrAbove, 0)} with ≥ ${op.strongRegionMinLesionMl ?? 0} mL of lesion mask` : ''})</span>` : ''}</p>
${types ? `<p class="small">If infected, the type: ${types}</p>` : ''}
<p class="why">${esc(RULE_TEXT[d.rule])}${d.decisionModel ? ` (${esc(d.decisionModel.id)} ${esc(d.decisionModel.version)})` : ''}. ${regionText}</p>
<p class="small">${paperText}</p>
${paperTable(report, colours)}
</section>`;
  }
  const headline =
    d.label === NO_INFECTION_FOUND
      ? `<div class="decision none">${esc(d.displayName)}</div>`
      : `<div class="decision infection">${classChip(report, d.label, colours)} <span class="conf">confidence ${pct(d.confidence)}</span></div>`;
  return `<section class="card">
<h2>Screening result</h2>
${headline}
<p class="why">${esc(RULE_TEXT[d.rule])}${d.rule === 'softmax' ? ` — with ${typesWithEvidence} types in play a confidence cannot exceed ${pct(Math.E / (Math.E + typesWithEvidence - 1))}, so compare the Noisy-OR P column too` : ''}${d.tie ? ' — <b>tie</b>: several types had exactly the same probability; the first in the model\'s class list is shown' : ''}.
${regionText} This is the paper's decision rule (--decision paper); its confidence is not calibrated.</p>
${paperTable(report, colours)}
</section>`;
}

function warningsSection(report: CaseReport): string {
  if (report.warnings.length === 0) return '';
  return `<section class="card warn"><h2>Warnings (${report.warnings.length})</h2><ul>${report.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>`;
}

function figure(f: KeySliceFigure, report: CaseReport): string {
  const byId = new Map(report.regions.map((r) => [r.id, r]));
  const labels = f.labels.map((l) => `<span class="rid" style="left:${l.xPercent.toFixed(2)}%;top:${l.yPercent.toFixed(2)}%;color:${rgb(l.colour)}">${esc(l.text)}</span>`).join('');
  const o = f.orientation;
  const orient = o ? `<span class="or ol">${o.left}</span><span class="or orr">${o.right}</span><span class="or ot">${o.top}</span><span class="or ob">${o.bottom}</span>` : '';
  const shown = f.regionIds.map((id) => byId.get(id)).filter((r): r is RegionReport => r !== undefined);
  const kept = shown.filter((r) => r.kept).sort((a, b) => b.vote.confidence - a.vote.confidence);
  const ignored = shown.length - kept.length;
  const parts = kept.slice(0, CAPTION_REGIONS).map((r) => `${esc(r.id)}: ${esc(shortName(report, r.vote.label))} ${pct(r.vote.confidence, 0)}`);
  if (kept.length > CAPTION_REGIONS) parts.push(`${kept.length - CAPTION_REGIONS} more infection-voted`);
  if (ignored > 0) parts.push(`${ignored} ignored region${ignored > 1 ? 's' : ''} (thin boxes)`);
  const caption = parts.length ? parts.join(' · ') : 'no candidate region on this slice';
  return `<figure><div class="img"><img alt="axial slice ${f.sliceIndex}" width="${f.width}" height="${f.height}" src="data:image/png;base64,${f.png.toString('base64')}">${labels}${orient}</div>
<figcaption><b>Slice ${f.sliceIndex + 1} of ${report.input.sliceCount}</b> (z = ${f.zMm.toFixed(1)} mm)<br>${caption}</figcaption></figure>`;
}

function slicesSection(report: CaseReport, figures: readonly KeySliceFigure[], colours: Record<string, Rgb>): string {
  if (figures.length === 0) return '';
  const legend = [
    `<span><span class="swatch line" style="border-color:${rgb(OVERLAY_COLOURS.rightLung)}"></span>right lung</span>`,
    `<span><span class="swatch line" style="border-color:${rgb(OVERLAY_COLOURS.leftLung)}"></span>left lung</span>`,
    ...report.classes.labels.map((l) => `<span><span class="swatch" style="border-color:${rgb(colours[l])}"></span>${esc(displayName(report, l))}${report.classes.infectionLabels.includes(l) ? '' : ' (ignored)'}</span>`),
  ].join('');
  const orientNote = figures.some((f) => f.orientation === null) ? ' The volume is oblique: pictures are shown in voxel order, not re-oriented.' : ' Radiological view: the patient\'s right is on the left of each picture.';
  return `<section class="card"><h2>Key axial slices</h2>
<p class="legend">${legend}</p>
<p class="small">Lung window (W 1500 / L −600). Boxes: candidate regions, coloured by their voted class (thick = infection type, thin = ignored); outlines: the candidate voxels.${orientNote}</p>
<div class="figs">${figures.map((f) => figure(f, report)).join('')}</div></section>`;
}

/** A lung pixel is at least one pixel from the edge, so exactly 0 means the patch centre is off the lung mask (§2.5.1 as src/lung defines it). */
function distanceText(d: number | null | undefined): string {
  if (d === null || d === undefined) return '—';
  return d === 0 ? '0 <span class="small">(centre off lung)</span>' : d.toFixed(3);
}

function sliceRange(r: RegionReport): string {
  return r.boxVoxels.min[2] === r.boxVoxels.max[2] ? `${r.boxVoxels.min[2] + 1}` : `${r.boxVoxels.min[2] + 1}–${r.boxVoxels.max[2] + 1}`;
}

function regionsSection(report: CaseReport, colours: Record<string, Rgb>): string {
  if (report.regions.length === 0) return `<section class="card"><h2>Candidate regions</h2><p>No candidate regions were found in the lungs.</p></section>`;
  const ordered = [...report.regions].sort((a, b) => Number(b.kept) - Number(a.kept) || b.vote.confidence - a.vote.confidence);
  const row = (r: RegionReport) => {
      const centre = r.patches.find((p) => p.sliceIndex === r.centreSlice) ?? r.patches[Math.floor(r.patches.length / 2)];
      const votes = r.patches
        .map((p, j) => `<div${j === r.vote.patchIndex ? ' class="chosen"' : ''}>sl. ${p.sliceIndex + 1}: ${classChip(report, p.predictedLabel, colours, true)} ${pct(p.confidence, 0)}</div>`)
        .join('');
      return `<tr class="${r.kept ? 'kept' : 'dropped'}"><td><b>${esc(r.id)}</b></td><td>${classChip(report, r.vote.label, colours, true)}<br><span class="small">${pct(r.vote.confidence, 1)}, ${r.vote.rule === 'majority' ? 'majority vote' : 'most confident patch'}${r.kept ? '' : ', ignored'}${r.infectionProbability === undefined ? '' : `<br>P(true infection) ${pct(r.infectionProbability, 0)}`}</span></td>
<td>${r.side ? esc(r.side) : '—'}</td><td>${sliceRange(r)}<br><span class="small">centre ${r.centreSlice + 1}</span></td><td class="n">${r.sizeMm.map((v) => v.toFixed(0)).join(' × ')}</td><td class="n">${num(r.volumeMl, 2)}</td><td class="n">${distanceText(centre?.distanceFromEdge)}</td><td class="votes">${votes}</td></tr>`;
  };
  const head = '<thead><tr><th>Region</th><th>Voted class</th><th>Side</th><th>Slices</th><th>Size x × y × z (mm)</th><th>Volume (mL)</th><th>Distance-from-edge</th><th>Patch votes</th></tr></thead>';
  const kept = ordered.filter((r) => r.kept);
  const ignored = ordered.filter((r) => !r.kept);
  const keptTable = kept.length ? `<table class="regions">${head}<tbody>${kept.map(row).join('\n')}</tbody></table>` : '<p>No region was voted an infection type.</p>';
  // ignored regions stay one click away: they are evidence too, but not what the reader needs first
  const ignoredTable = ignored.length
    ? `<details><summary>${ignored.length} region${ignored.length > 1 ? 's' : ''} voted ${esc(shortName(report, report.classes.irrelevantLabel))} (ignored by the decision)</summary><table class="regions">${head}<tbody>${ignored.map(row).join('\n')}</tbody></table></details>`
    : '';
  return `<section class="card"><h2>Candidate regions (${report.regions.length}: ${kept.length} infection-voted, ${ignored.length} ignored)</h2>
<p class="small">Each region is classified on three axial patches (its centre slice and the two neighbours); the patches vote for the region (§2.6.1): the highlighted patch gave the region's class and confidence. Slice numbers count from 1 in the order of the scan. Distance-from-edge: distance of the centre patch to the lung edge divided by the diagonal of the lungs' bounding rectangle on that slice (§2.5.1).</p>
${keptTable}
${ignoredTable}</section>`;
}

function lungSection(report: CaseReport): string {
  const lung = report.lung;
  if (!lung) return `<section class="card"><h2>Lungs</h2><p>No lung measurements (no lungs were found).</p></section>`;
  const sides = [['Right lung', lung.right], ['Left lung', lung.left]] as const;
  const bands = sides.find(([, s]) => s?.huBands)?.[1]?.huBands ?? [];
  const bandHead = bands.map((b) => `<th>${esc(b.label)}<br><span class="small">${b.minHu ?? '−∞'} … ${b.maxHu ?? '∞'} HU</span></th>`).join('');
  const rows = sides
    .map(([name, s]) => {
      if (!s) return `<tr><td>${name}</td><td colspan="${5 + bands.length}">not found</td></tr>`;
      const t = s.thirds;
      const bandCells = bands.map((b) => `<td class="n">${pct(s.huBands?.find((x) => x.label === b.label)?.fraction)}</td>`).join('');
      return `<tr><td>${name}</td><td class="n">${num(s.volumeMl, 0)}</td><td class="n"><b>${s.involvedPercent === null ? '—' : `${s.involvedPercent.toFixed(1)} %`}</b></td><td class="n">${t?.upper == null ? '—' : `${t.upper.toFixed(1)} %`}</td><td class="n">${t?.middle == null ? '—' : `${t.middle.toFixed(1)} %`}</td><td class="n">${t?.lower == null ? '—' : `${t.lower.toFixed(1)} %`}</td>${bandCells}</tr>`;
    })
    .join('');
  return `<section class="card"><h2>Lungs</h2>
<p class="small">Involved: share of the lung's volume ${lung.involvementFrom === 'lesion-mask' ? "inside the segmenter's lesion mask (at its Dice-optimal threshold)" : 'inside candidate regions voted an infection type'}. Thirds: cranio-caudal thirds of each lung.${lung.method ? ` Lung segmentation: ${esc(lung.method)}.` : ''}</p>
<table class="lungs"><thead><tr><th></th><th>Volume (mL)</th><th>Involved</th><th>Upper third</th><th>Middle third</th><th>Lower third</th>${bandHead}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

function detailsSection(report: CaseReport): string {
  const i = report.input;
  const inputRows: [string, string][] = [
    ['Format', i.format + (i.modality ? ` (${i.modality})` : '')],
    ['Matrix', `${i.dimsVoxels[0]} × ${i.dimsVoxels[1]}, ${i.sliceCount} slices`],
    ['Voxel size', `${i.spacingMm.map((v) => v.toFixed(2)).join(' × ')} mm`],
    ['Hounsfield units', i.pseudoHu ? 'approximate (pseudo-HU recovered from 8-bit images)' : 'as stored in the images'],
  ];
  if (i.seriesDescription) inputRows.push(['Series', i.seriesDescription]);
  if (i.seriesInstanceUid) inputRows.push(['Series UID', i.seriesInstanceUid]);
  if (i.transferSyntaxUid) inputRows.push(['Transfer syntax', i.transferSyntaxUid]);
  const models = report.models.map((m) => `<tr><td>${esc(m.role)}</td><td>${esc(m.id)}</td><td>${esc(m.version)}</td><td class="mono">${m.sha256 ? esc(m.sha256.slice(0, 16)) + '…' : '—'}</td></tr>`).join('');
  const timings = Object.entries(report.timingsMs)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n">${(v ?? 0).toFixed(0)} ms</td></tr>`)
    .join('');
  return `<section class="card cols">
<div><h2>Input</h2><table class="kv">${inputRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table></div>
<div><h2>Models</h2><table><thead><tr><th>Role</th><th>Id</th><th>Version</th><th>sha256</th></tr></thead><tbody>${models}</tbody></table></div>
<div><h2>Timings</h2><table>${timings}</table></div>
</section>`;
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f3f4f6;color:#111}
main{max-width:1140px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:0 0 8px}
.notice{background:#7f1d1d;color:#fff;padding:10px 14px;border-radius:6px;font-weight:600}
.card{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:14px 16px;margin:12px 0}
.warn{border-color:#d97706;background:#fffbeb}.warn h2{color:#92400e}
.decision{font-size:28px;font-weight:700;margin:4px 0 6px}.decision .conf{font-size:20px;font-weight:600;color:#374151}
.decision.none{color:#065f46}.decision.indeterminate{color:#92400e}.decision.notscreened{color:#7f1d1d}.why{color:#374151}
table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.decided td{background:#fef2f2;font-weight:600}tr.dropped td{color:#6b7280}
.votes div{white-space:nowrap}.votes .chosen{font-weight:700}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;border:1px solid #0006;vertical-align:baseline}
.small{font-size:12px;color:#4b5563}.mono{font-family:ui-monospace,monospace;font-size:12px}
.legend span{margin-right:14px;white-space:nowrap}.swatch{display:inline-block;width:14px;height:10px;border:3px solid;margin-right:5px;vertical-align:middle;background:#000}
.swatch.line{border-width:0 0 3px 0;background:none}
.figs{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;max-width:100%}figcaption{font-size:13px;margin-top:4px;max-width:520px}
.img{position:relative;display:inline-block;background:#000;line-height:0}.img img{display:block;max-width:520px;height:auto}
.rid{position:absolute;font:700 12px/1 system-ui,sans-serif;transform:translateY(-100%);text-shadow:0 0 2px #000,0 0 2px #000;padding-bottom:1px}
.or{position:absolute;color:#fff;font:700 13px/1 system-ui,sans-serif;text-shadow:0 0 2px #000}
.ol{left:4px;top:50%}.orr{right:4px;top:50%}.ot{top:4px;left:50%}.ob{bottom:4px;left:50%}
.regions{width:100%}details{margin-top:8px}summary{cursor:pointer;font-weight:600;color:#374151}
.cols{display:flex;flex-wrap:wrap;gap:24px}.kv th{width:130px}
footer{font-size:12px;color:#4b5563;margin:16px 0}
`;

export function renderHtmlReport(options: HtmlReportOptions): string {
  const { report, keySlices } = options;
  const colours = classColours(report.classes);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ctscreen report: ${esc(report.decision.displayName)}</title>
<style>${CSS}</style></head>
<body><main>
<div class="notice">${esc(report.notice)}</div>
<h1>Chest CT screening report <span class="small">(after Xu et al. 2020: candidate regions → patch classifier → region vote → Noisy-OR)</span></h1>
${decisionSection(report, colours)}
${warningsSection(report)}
${slicesSection(report, keySlices, colours)}
${regionsSection(report, colours)}
${lungSection(report)}
${detailsSection(report)}
<footer>${esc(report.notice)}<br>ctscreen ${esc(report.tool.version)} · report schema ${esc(report.schemaVersion)} · created ${esc(report.createdAt)}</footer>
</main></body></html>
`;
}
