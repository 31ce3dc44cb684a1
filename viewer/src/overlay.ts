/**
 * Overlay compositing: a grey slice and label slices (lungs, candidate regions, lesion mask), each
 * with a colour per label and an opacity, blended in order into RGBA:
 *   out = round((1 − α) · below + α · colour)   for every pixel whose label has a colour
 * Labels without a colour (0, or a region hidden) leave the pixel as it was.
 */

export type Rgb = readonly [number, number, number];

/** Colours of the viewer, chosen apart from grey and from each other (e2e tests read them back). */
export const LUNG_COLOURS: Record<1 | 2, Rgb> = { 1: [0, 200, 120], 2: [0, 150, 255] };
export const LESION_COLOUR: Rgb = [255, 220, 0];
/** Default opacities of the overlays. */
export const LUNG_OPACITY = 0.2;
export const LESION_OPACITY = 0.5;
export const CANDIDATE_OPACITY = 0.45;
/** Candidate regions by voted class; a class missing here gets FALLBACK_CLASS_COLOUR. */
export const CLASS_COLOURS: Readonly<Record<string, Rgb>> = {
  covid19: [235, 40, 60],
  // not orange: the yellow lesion mask over a red COVID-19 region blends to orange
  other_pneumonia: [255, 70, 210],
  irrelevant: [150, 120, 255],
};
export const FALLBACK_CLASS_COLOUR: Rgb = [200, 200, 200];

export function classColour(label: string): Rgb {
  return CLASS_COLOURS[label] ?? FALLBACK_CLASS_COLOUR;
}

export function rgbCss(c: Rgb): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * A colour table for labels 0…maxLabel: 4 bytes per label, r g b and 255 where the label is drawn
 * (0 where not). Label 0 is never drawn.
 */
export function labelColourTable(maxLabel: number, colourOf: (label: number) => Rgb | null): Uint8Array {
  const t = new Uint8Array((maxLabel + 1) * 4);
  for (let k = 1; k <= maxLabel; k++) {
    const c = colourOf(k);
    if (!c) continue;
    t.set([c[0], c[1], c[2], 255], 4 * k);
  }
  return t;
}

export interface OverlayLayer {
  /** Label slice in display order (same size as the grey slice). */
  labels: ArrayLike<number>;
  /** From labelColourTable; a label beyond it is not drawn. */
  colours: Uint8Array;
  /** 0…1 */
  opacity: number;
}

/** Whether this machine stores a Uint32 with its lowest byte first (every browser platform does). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Per label and channel, the blended value for every value below: table[(3k + c) · 256 + below]
 * = round((1 − α) · below + α · colour). Built once per layer and draw (3 · 256 entries a label), so
 * the per-pixel work is three table reads.
 */
export function blendTable(colours: Uint8Array, opacity: number): Uint8Array {
  const a = Math.min(1, Math.max(0, opacity));
  const labels = colours.length / 4;
  const t = new Uint8Array(labels * 3 * 256);
  for (let k = 1; k < labels; k++) {
    if (colours[4 * k + 3] === 0) continue;
    for (let c = 0; c < 3; c++) {
      const base = (3 * k + c) * 256;
      const ac = a * colours[4 * k + c];
      for (let v = 0; v < 256; v++) t[base + v] = Math.round((1 - a) * v + ac);
    }
  }
  return t;
}

/** Grey slice + layers → RGBA pixels in `out` (4 bytes a pixel). */
export function compositeSlice(grey: ArrayLike<number>, layers: readonly OverlayLayer[], out: Uint8ClampedArray | Uint8Array): void {
  const n = grey.length;
  if (out.length < 4 * n) throw new RangeError(`output holds ${out.length / 4} pixels, the slice has ${n}`);
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const px = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) px[i] = (0xff000000 | (grey[i] * 0x010101)) >>> 0;
  } else {
    for (let i = 0, p = 0; i < n; i++, p += 4) {
      const g = grey[i];
      out[p] = g;
      out[p + 1] = g;
      out[p + 2] = g;
      out[p + 3] = 255;
    }
  }
  for (const layer of layers) {
    if (!(layer.opacity > 0)) continue;
    const { labels, colours } = layer;
    const maxLabel = colours.length / 4 - 1;
    const t = blendTable(colours, layer.opacity);
    for (let i = 0, p = 0; i < n; i++, p += 4) {
      const k = labels[i];
      if (k === 0 || k > maxLabel || colours[4 * k + 3] === 0) continue;
      const q = 768 * k;
      out[p] = t[q + out[p]];
      out[p + 1] = t[q + 256 + out[p + 1]];
      out[p + 2] = t[q + 512 + out[p + 2]];
    }
  }
}
