/** Tiny DOM helpers: element creation without a framework. */

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** The fixed sentence of every report (core/report-schema.ts NOT_A_DIAGNOSTIC_DEVICE_NOTICE; a test keeps them equal). */
export const NOTICE =
  'ctscreen is research software and not a diagnostic device. This report must not be used to diagnose, treat or triage patients; a qualified clinician must read the CT.';
