/**
 * Small, exact fitting tools for the calibrated decision (decide/calibrated.ts): weighted L2-penalised
 * logistic regression by Newton's method, leave-one-group-out predictions, and the operating point.
 * Pure functions on plain arrays, hand-checkable (test/train/logistic.test.ts).
 *
 *   fitLogistic({ x, y, weights?, l2 }): { intercept, coefficients, iterations }
 *   leaveOneGroupOut({ x, y, groups, l2, evaluateOnly? }): number[] held-out P per sample
 *   chooseOperatingPoint({ p, y, bandLogit }): { threshold, noInfectionBelow, infectedAtOrAbove, why }
 */
import { logit, sigmoid } from '../decide/calibrated.ts';

export interface LogisticFit {
  intercept: number;
  coefficients: number[];
  iterations: number;
}

export interface FitLogisticOptions {
  /** Features, one row per sample. */
  x: readonly (readonly number[])[];
  /** Outcomes 0/1. */
  y: readonly number[];
  /** Sample weights (default 1), e.g. to balance classes. */
  weights?: readonly number[];
  /** L2 penalty on the coefficients (not the intercept): loss + l2/2 · |β|². */
  l2: number;
  maxIterations?: number;
}


/** Solves A v = b for a small symmetric positive-definite A (Gaussian elimination with pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    if (Math.abs(M[c][c]) < 1e-300) throw new RangeError('logistic fit: singular Hessian (add an L2 penalty)');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/** Weighted L2-penalised logistic regression (Newton–Raphson; the penalised loss is strictly convex). */
export function fitLogistic(options: FitLogisticOptions): LogisticFit {
  const { x, y, l2 } = options;
  const n = y.length;
  if (n === 0) throw new RangeError('logistic fit needs at least one sample');
  if (x.length !== n) throw new RangeError(`${x.length} feature rows but ${n} outcomes`);
  const d = x[0].length;
  const w = options.weights ?? new Array<number>(n).fill(1);
  const theta = new Array<number>(d + 1).fill(0); // [intercept, β...]
  const maxIt = options.maxIterations ?? 100;
  let it = 0;
  for (; it < maxIt; it++) {
    const g = new Array<number>(d + 1).fill(0);
    const H = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const row = [1, ...x[i]];
      let z = 0;
      for (let k = 0; k <= d; k++) z += theta[k] * row[k];
      const p = sigmoid(z);
      const r = w[i] * (p - y[i]);
      const s = w[i] * p * (1 - p);
      for (let a = 0; a <= d; a++) {
        g[a] += r * row[a];
        for (let b = 0; b <= d; b++) H[a][b] += s * row[a] * row[b];
      }
    }
    for (let k = 1; k <= d; k++) {
      g[k] += l2 * theta[k];
      H[k][k] += l2;
    }
    H[0][0] += 1e-9; // keeps the intercept's row regular when every sample has one outcome
    const step = solve(H, g);
    let change = 0;
    for (let k = 0; k <= d; k++) {
      theta[k] -= step[k];
      change = Math.max(change, Math.abs(step[k]));
    }
    if (change < 1e-10) {
      it++;
      break;
    }
  }
  return { intercept: theta[0], coefficients: theta.slice(1), iterations: it };
}

export function predictLogistic(fit: Pick<LogisticFit, 'intercept' | 'coefficients'>, row: readonly number[]): number {
  let z = fit.intercept;
  for (let k = 0; k < row.length; k++) z += fit.coefficients[k] * row[k];
  return sigmoid(z);
}

/** Weights that give each outcome class the same total weight (n / (2 · n_class)). */
export function balancedWeights(y: readonly number[]): number[] {
  const pos = y.filter((v) => v === 1).length;
  const neg = y.length - pos;
  return y.map((v) => (v === 1 ? (pos ? y.length / (2 * pos) : 0) : neg ? y.length / (2 * neg) : 0));
}

export interface LeaveOneGroupOutOptions extends Omit<FitLogisticOptions, 'weights'> {
  /** Group (patient) of each sample: all samples of a group are held out together. */
  groups: readonly string[];
  /** Balance classes within each training fold (default true). */
  balance?: boolean;
  /** Samples that are only predicted (by their group's fold), never fitted on: e.g. readings kept for evaluation. */
  evaluateOnly?: readonly boolean[];
}

/** P of each sample from the model fitted without its group (leave-one-patient-out). */
export function leaveOneGroupOut(options: LeaveOneGroupOutOptions): number[] {
  const { x, y, groups, l2 } = options;
  const out = new Array<number>(y.length).fill(Number.NaN);
  for (const g of new Set(groups)) {
    const train = y.map((_, i) => i).filter((i) => groups[i] !== g && !options.evaluateOnly?.[i]);
    const ty = train.map((i) => y[i]);
    const fit = fitLogistic({ x: train.map((i) => x[i]), y: ty, weights: options.balance === false ? undefined : balancedWeights(ty), l2 });
    y.forEach((_, i) => {
      if (groups[i] === g) out[i] = predictLogistic(fit, x[i]);
    });
  }
  return out;
}

export interface OperatingPoint {
  /** The threshold of best balanced accuracy (Youden's J) on the held-out predictions. */
  threshold: number;
  noInfectionBelow: number;
  infectedAtOrAbove: number;
  /** Youden's J = sensitivity + specificity − 1 at the threshold. */
  youden: number;
  why: string;
}


/**
 * The operating point from held-out probabilities: the threshold that maximises Youden's J, placed in
 * the middle (in logit) of the widest gap of equal J, and an indeterminate band of ± bandLogit around it.
 */
export function chooseOperatingPoint(options: { p: readonly number[]; y: readonly number[]; bandLogit: number }): OperatingPoint {
  const { p, y, bandLogit } = options;
  const pos = y.filter((v) => v === 1).length;
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) throw new RangeError(`an operating point needs cases of both outcomes (${pos} infected, ${neg} not)`);
  const cuts = [...new Set(p)].sort((a, b) => a - b);
  // candidate thresholds: midpoints (in logit) between consecutive distinct values, and beyond both ends
  const cand: number[] = [];
  const L = cuts.map(logit);
  cand.push(L[0] - 1);
  for (let i = 0; i + 1 < L.length; i++) cand.push((L[i] + L[i + 1]) / 2);
  cand.push(L[L.length - 1] + 1);
  let best = -Infinity;
  let bestAt: number[] = [];
  for (const t of cand) {
    let tp = 0;
    let tn = 0;
    p.forEach((v, i) => {
      const called = logit(v) >= t;
      if (y[i] === 1 && called) tp++;
      if (y[i] === 0 && !called) tn++;
    });
    const j = tp / pos + tn / neg - 1;
    if (j > best + 1e-12) {
      best = j;
      bestAt = [t];
    } else if (Math.abs(j - best) <= 1e-12) bestAt.push(t);
  }
  const t = (bestAt[0] + bestAt[bestAt.length - 1]) / 2;
  return {
    threshold: sigmoid(t),
    noInfectionBelow: sigmoid(t - bandLogit),
    infectedAtOrAbove: sigmoid(t + bandLogit),
    youden: best,
    why: `Youden's J = ${best.toFixed(3)} on the held-out predictions of ${y.length} cases (${pos} infected, ${neg} not), threshold in the middle (logit) of the range of equal J; indeterminate within ±${bandLogit} logit of it`,
  };
}

/**
 * The type threshold of the case decision (2.0.0): infected cases are typed `primary` when the
 * primary type's share of the infection evidence is ≥ the threshold. Chosen to maximise balanced
 * accuracy (mean of the primary and the other types' recall) over labelled infected cases; among
 * the thresholds reaching it, the first such range's middle in logit (as the infection operating
 * point). Null when the cases hold only one kind.
 */
export function chooseTypeThreshold(cases: ReadonlyArray<{ share: number; primary: boolean }>): { threshold: number; balancedAccuracy: number } | null {
  const nP = cases.filter((c) => c.primary).length;
  const nO = cases.length - nP;
  if (nP === 0 || nO === 0) return null;
  const s = [...new Set(cases.map((c) => c.share))].sort((a, b) => a - b);
  const ba = (t: number) => (cases.filter((c) => c.primary && c.share >= t).length / nP + cases.filter((c) => !c.primary && c.share < t).length / nO) / 2;
  // threshold s[k] stands for every t in (s[k-1], s[k]]; k = s.length is "above all"
  const scores = s.map(ba).concat([ba(Infinity)]);
  const best = Math.max(...scores);
  const a = scores.indexOf(best);
  let b = a;
  while (b + 1 < s.length && scores[b + 1] === best) b++;
  const lo = a > 0 ? s[a - 1] : null;
  const hi = a < s.length ? s[b] : null;
  let threshold: number;
  if (lo === null) threshold = hi!;
  else if (hi === null) threshold = Math.min(1, lo + 1e-6);
  else threshold = sigmoid((logit(lo) + logit(hi)) / 2);
  return { threshold, balancedAccuracy: best };
}
