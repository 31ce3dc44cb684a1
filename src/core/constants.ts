/** Lung window used to display CT and to map 8-bit lung-window images back to pseudo-HU. */
export const LUNG_WINDOW_HU = { center: -600, width: 1500 } as const;
/** Air in Hounsfield units; padding and out-of-scan pixels become this. */
export const AIR_HU = -1000;
