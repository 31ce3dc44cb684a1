/** Text for numbers, times and regions, shared by the worklist and the case view (pure). */

export function formatPercent(p: number | null | undefined, digits = 1): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return `${(100 * p).toFixed(digits)} %`;
}

/** Wall time between two ISO times, "12.3 s" or "4 min 05 s"; '—' when either is missing. */
export function formatDuration(fromIso: string | null, toIso: string | null): string {
  if (!fromIso || !toIso) return '—';
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
}

/** Local date and time "2026-12-01 10:24". */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * The value a region has in candidates.nii.gz: its `labelValue` when the report carries one, else k
 * of its id "Rk" (the pipeline writes region Rk as label k, src/pipeline/screen.ts).
 */
export function regionLabelValue(region: { id: string; labelValue?: number }): number | null {
  if (typeof region.labelValue === 'number' && Number.isInteger(region.labelValue) && region.labelValue > 0) return region.labelValue;
  const m = /^R(\d+)$/.exec(region.id);
  return m ? Number(m[1]) : null;
}

/** The calibrated decision's label for weak evidence (core/report-schema.ts INDETERMINATE; a test keeps them equal). */
export const INDETERMINATE_LABEL = 'indeterminate';

/** The calibrated decision's lesion-free label (core/report-schema.ts NO_INFECTION_FOUND; a test keeps them equal). */
export const NO_INFECTION_LABEL = 'no_infection_found';

/**
 * Whether the type split of the infection evidence is shown (as the HTML report decides): beside an
 * infected or indeterminate call with regions; beside "no infection found", or with no region (an even
 * split of nothing), it would read as a finding.
 */
export function showsTypeSplit(decision: { label: string; typeProbabilities?: Record<string, number> }, regionCount: number): boolean {
  return decision.typeProbabilities !== undefined && decision.label !== NO_INFECTION_LABEL && regionCount > 0;
}
