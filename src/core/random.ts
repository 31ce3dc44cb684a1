/**
 * mulberry32: a small, fast, seeded PRNG giving uniform numbers in [0, 1); same seed, same stream on
 * every machine. Used wherever ctscreen must be reproducible (bootstrap CIs, dataset splits, phantoms).
 * Not for cryptography.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a seeded uniform stream (Box–Muller, one draw per pair of uniforms). */
export function gaussianStream(rand: () => number): () => number {
  return () => {
    const u = Math.max(Number.MIN_VALUE, rand());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}
