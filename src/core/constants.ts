/** Lung window used to display CT and to map 8-bit lung-window images back to pseudo-HU. */
export const LUNG_WINDOW_HU = { center: -600, width: 1500 } as const;
/** Air in Hounsfield units; padding and out-of-scan pixels become this. */
export const AIR_HU = -1000;
/**
 * A simulated or augmented CT (robustness perturbations, training augmentations) is rounded and
 * clamped to air .. dense bone: [−1024, 3071] HU, the 12-bit range of most scanners.
 */
export function clampSimulatedHu(v: number): number {
  return Math.max(-1024, Math.min(3071, Math.round(v)));
}
