// What of a report.json must not change when the code changes but the outputs should not (the golden
// report test, and the built CLI against the TypeScript sources).
/** Significant digits kept of every number: far above any effect of a rule, below float noise across thread counts. */
const DIGITS = 6;

/** The report without what legitimately changes run to run (createdAt, timingsMs, tool version), numbers rounded. */
export function normaliseReport(report: unknown): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(DIGITS));
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = walk((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  const { createdAt: _c, timingsMs: _t, tool: _v, ...rest } = report as Record<string, unknown>;
  return walk(rest);
}

