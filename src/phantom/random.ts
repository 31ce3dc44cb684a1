import { mulberry32 } from '../core/random.ts';

/**
 * Small seeded PRNG so a phantom is the same on every machine for the same seed (tests compare
 * against ground truth made by the same generator). mulberry32: 32-bit state, fast, good enough for
 * anatomy jitter and noise; not for cryptography.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** Standard normal (Box–Muller; the second value of each pair is cached). */
  gaussian(): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

export function createRandom(seed: number): Random {
  let spare = 0;
  let hasSpare = false;
  const next = mulberry32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    gaussian: () => {
      if (hasSpare) {
        hasSpare = false;
        return spare;
      }
      let u = next();
      while (u <= 1e-12) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      hasSpare = true;
      return r * Math.cos(2 * Math.PI * v);
    },
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}
