import type { Bench } from './types.ts';
import { ioBench } from './io.ts';
import { lungBench } from './lung.ts';
import { candidatesBench } from './candidates.ts';
import { classifyBench } from './classify.ts';
import { processBench } from './process.ts';
import { networksBench } from './networks.ts';

/** Each area adds its bench here (one import + one entry). Order = order of the table. */
export const benches: Array<{ name: string; run: Bench }> = [
  { name: 'io', run: ioBench },
  { name: 'lung', run: lungBench },
  { name: 'candidates', run: candidatesBench },
  { name: 'classify', run: classifyBench },
  { name: 'process', run: processBench },
  { name: 'networks', run: networksBench },
];
