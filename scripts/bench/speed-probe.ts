// The machine's speed at the moment of a bench, as one fixed single-thread workload: the load average
// does not show it. On the shared 2-core VMs the same code ran 2.5x slower within one session at a
// load under 1 (README, Benchmarks), so a bench row means something only beside the probe's time
// taken in the same run: compare rows of two benches after scaling by their probes, never raw.
//
// The workload is a fixed separable [1 2 1] / 4 blur over a 512 × 512 float64 plane, the kind of
// float row work most of a screening's main thread does (tiling, resampling). It is written here, not
// taken from src/: a probe that ran project code would speed up with every optimisation of that code,
// and two benches could no longer be scaled by it.
import { measure } from './measure.ts';

const WIDTH = 512;
/** Blur passes per probe run: 102–182 ms on the 2-core Xeon VM (2026-12-03 12:03 UTC, 3 probes). */
const PASSES = 60;

function blurPasses(a: Float64Array, b: Float64Array): number {
  for (let p = 0; p < PASSES; p++) {
    // horizontal a → b, vertical b → a; the border pixels stay as they are
    for (let y = 0; y < WIDTH; y++) {
      const o = WIDTH * y;
      for (let x = 1; x < WIDTH - 1; x++) b[o + x] = 0.25 * a[o + x - 1] + 0.5 * a[o + x] + 0.25 * a[o + x + 1];
    }
    for (let y = 1; y < WIDTH - 1; y++) {
      const o = WIDTH * y;
      for (let x = 0; x < WIDTH; x++) a[o + x] = 0.25 * b[o + x - WIDTH] + 0.5 * b[o + x] + 0.25 * b[o + x + WIDTH];
    }
  }
  return a[WIDTH * 256 + 256];
}

/** Median ms of 5 probe runs after one that is not counted (the JIT compiles the loop during it). */
export async function speedProbe(): Promise<number> {
  const a = new Float64Array(WIDTH * WIDTH);
  const b = new Float64Array(WIDTH * WIDTH);
  const r = await measure(() => {
    for (let i = 0; i < a.length; i++) a[i] = (i * 7919) % 1000;
    b.set(a);
    return blurPasses(a, b);
  }, { runs: 5, warmup: 1 });
  return r.ms;
}
