/**
 * Case-level screening rates that cannot flatter (issue 9 §6, issue 10): every case counts,
 * including the ones the confusion matrix cannot hold — a case 'not_screened' (no lungs, not CT) or
 * 'indeterminate' (calibrated evidence between the thresholds) is a miss for sensitivity and not a
 * correct negative for specificity.
 *
 *   screeningRates(options): ScreeningRates
 *
 *   covid19 sensitivity      COVID-19 cases decided COVID-19 / COVID-19 cases
 *   infection sensitivity    infected cases decided any infection type / infected cases
 *   no-infection specificity cases without infection decided no infection / cases without infection
 *   ECE                      of the calibrated P(infected), top-label, over the cases that have one
 * Each with a seeded percentile-bootstrap 95 % interval over cases (metrics.ts bootstrapCis).
 */
import { INDETERMINATE, NO_INFECTION_FOUND, NOT_SCREENED } from '../core/report-schema.ts';
import { bootstrapCis, expectedCalibrationError, type ConfidenceInterval } from './metrics.ts';

export interface RateCase {
  label: string;
  predicted: string;
  /** Calibrated P(infected), when the decision had one. */
  infectionProbability?: number;
}

export interface ScreeningRatesOptions {
  cases: readonly RateCase[];
  infectionLabels: readonly string[];
  /** The label whose sensitivity is the headline (default 'covid19' when it is an infection label). */
  primaryLabel?: string;
  resamples?: number;
  seed?: number;
}

export interface Rate {
  value: number | null;
  numerator: number;
  denominator: number;
  ci95: [number, number] | null;
}

export interface ScreeningRates {
  cases: number;
  notScreened: number;
  indeterminate: number;
  /** Per true label: how many cases got each predicted outcome. */
  outcomes: Record<string, Record<string, number>>;
  primarySensitivity: Rate & { label: string };
  infectionSensitivity: Rate;
  noInfectionSpecificity: Rate;
  /** null when no case has a calibrated probability. */
  ece: { value: number; cases: number } | null;
}

function ratio(num: number, den: number): number {
  return den === 0 ? Number.NaN : num / den;
}

export function screeningRates(options: ScreeningRatesOptions): ScreeningRates {
  const { cases, infectionLabels } = options;
  const primary = options.primaryLabel ?? (infectionLabels.includes('covid19') ? 'covid19' : infectionLabels[0]);
  const infected = (l: string) => infectionLabels.includes(l);
  const outcomes: Record<string, Record<string, number>> = {};
  for (const c of cases) {
    outcomes[c.label] ??= {};
    outcomes[c.label][c.predicted] = (outcomes[c.label][c.predicted] ?? 0) + 1;
  }
  const stats = (sample: ArrayLike<number>) => {
    let pN = 0, pD = 0, iN = 0, iD = 0, sN = 0, sD = 0;
    for (let k = 0; k < sample.length; k++) {
      const c = cases[sample[k]];
      if (c.label === primary) {
        pD++;
        if (c.predicted === primary) pN++;
      }
      if (infected(c.label)) {
        iD++;
        if (infected(c.predicted)) iN++;
      } else if (c.label === NO_INFECTION_FOUND) {
        sD++;
        if (c.predicted === NO_INFECTION_FOUND) sN++;
      }
    }
    return { pN, pD, iN, iD, sN, sD };
  };
  const all = Array.from(cases, (_, i) => i);
  const s = stats(all);
  const cis: Record<string, ConfidenceInterval> | null =
    cases.length === 0 || (options.resamples ?? 2000) === 0
      ? null
      : bootstrapCis({
          n: cases.length,
          resamples: options.resamples,
          seed: options.seed,
          statistics: (sample) => {
            const r = stats(sample);
            return { primary: ratio(r.pN, r.pD), infection: ratio(r.iN, r.iD), specificity: ratio(r.sN, r.sD) };
          },
        });
  const rate = (num: number, den: number, key: string): Rate => {
    const ci = cis?.[key];
    return { value: den === 0 ? null : num / den, numerator: num, denominator: den, ci95: den === 0 || !ci || ci.validResamples === 0 ? null : [ci.low, ci.high] };
  };
  const withP = cases.filter((c) => c.infectionProbability !== undefined && c.predicted !== NOT_SCREENED);
  const ece =
    withP.length === 0
      ? null
      : {
          value: expectedCalibrationError({
            confidences: withP.map((c) => Math.max(c.infectionProbability!, 1 - c.infectionProbability!)),
            correct: withP.map((c) => (c.infectionProbability! >= 0.5) === infected(c.label)),
          }).ece,
          cases: withP.length,
        };
  return {
    cases: cases.length,
    notScreened: cases.filter((c) => c.predicted === NOT_SCREENED).length,
    indeterminate: cases.filter((c) => c.predicted === INDETERMINATE).length,
    outcomes,
    primarySensitivity: { ...rate(s.pN, s.pD, 'primary'), label: primary },
    infectionSensitivity: rate(s.iN, s.iD, 'infection'),
    noInfectionSpecificity: rate(s.sN, s.sD, 'specificity'),
    ece,
  };
}

function fmtRate(r: Rate): string {
  if (r.value === null) return `— (no such cases)`;
  return `${r.value.toFixed(3)} (${r.numerator}/${r.denominator})${r.ci95 ? `, 95 % CI ${r.ci95[0].toFixed(2)}–${r.ci95[1].toFixed(2)}` : ''}`;
}

export function formatScreeningRates(r: ScreeningRates): string {
  const lines = [
    `screening rates over all ${r.cases} case(s) (not screened and indeterminate count as misses):`,
    `  ${r.primarySensitivity.label} sensitivity     ${fmtRate(r.primarySensitivity)}`,
    `  infection sensitivity   ${fmtRate(r.infectionSensitivity)}`,
    `  no-infection specificity ${fmtRate(r.noInfectionSpecificity)}`,
    `  not screened ${r.notScreened}, indeterminate ${r.indeterminate}`,
    `  ECE of the calibrated P(infected): ${r.ece ? `${r.ece.value.toFixed(3)} over ${r.ece.cases} case(s)` : '— (no calibrated decision)'}`,
    `  outcomes by true label: ${Object.entries(r.outcomes).map(([l, o]) => `${l}: ${Object.entries(o).map(([p, n]) => `${p} ${n}`).join(', ')}`).join('; ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
