import { performance } from 'node:perf_hooks';

/** Runs `fn` `runs` times (after `warmup` unmeasured runs) and returns the median ms and peak RSS seen. */
export async function measure<T>(fn: () => T | Promise<T>, options: { runs?: number; warmup?: number } = {}): Promise<{ ms: number; peakRssMiB: number; last: T }> {
  const runs = options.runs ?? 3;
  const warmup = options.warmup ?? 1;
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    let last!: T;
    for (let i = 0; i < warmup; i++) last = await fn();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      last = await fn();
      times.push(performance.now() - t0);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)], peakRssMiB: peak / 2 ** 20, last };
  } finally {
    clearInterval(timer);
  }
}
