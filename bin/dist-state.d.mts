export type DistState = 'fresh' | 'not built' | 'older than src/';
export function distState(root: string): DistState;
