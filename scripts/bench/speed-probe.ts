// The machine's speed at the moment of a bench, as one fixed single-thread workload: the load average
// does not show it. On the shared 2-core VMs the same code ran 2.5x slower within one session at a
// load under 1 (README, Benchmarks), so a bench row means something only beside the probe's time
// taken in the same run: compare rows of two benches after scaling by their probes, never raw.
//
// The workload is the segmenter's own tiling (candidates/tile.ts extractTile) of a fixed synthetic
// int16 slice, the kind of JavaScript float work most of a screening's main thread is; it allocates
// nothing per tile and depends on no file, model or data.
import { performance } from 'node:perf_hooks';
import { extractTile } from '../../src/candidates/tile.ts';

const WIDTH = 512;
const TILE = 128;
/** Tiles per probe run: 0.29–0.37 s at the slow phase of the 2-core Xeon VM (2026-12-03 11:42 UTC). */
const TILES = 150;

export interface SpeedProbe {
  /** Median ms of the runs. */
  ms: number;
  runs: number[];
  /** Sum of the last tile's values: the work is used, and equal on every machine kind that rounds IEEE-754 alike. */
  checksum: number;
}

/** Fixed pseudo-CT slice: air outside an ellipse, lung-like values with a deterministic texture inside. */
function probeSlice(): Int16Array {
  const s = new Int16Array(WIDTH * WIDTH);
  for (let y = 0; y < WIDTH; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const dx = (x - 256) / 230;
      const dy = (y - 256) / 180;
      s[x + WIDTH * y] = dx * dx + dy * dy > 1 ? -1000 : -850 + ((x * 7 + y * 13) % 97) * 6;
    }
  }
  return s;
}

/**
 * `repeats` runs of TILES tiles (boxes varying as lung boxes do), median wall time, after one run that
 * is not counted (the first is 1.2–2x slower: the JIT compiles extractTile during it).
 */
export function speedProbe(repeats = 5): SpeedProbe {
  const data = probeSlice();
  const out = new Float32Array(TILE * TILE);
  const scratch = new Float32Array(WIDTH * TILE);
  const runs: number[] = [];
  for (let r = -1; r < repeats; r++) {
    const t = performance.now();
    for (let k = 0; k < TILES; k++) {
      const m = k % 40;
      extractTile({ data, width: WIDTH, height: WIDTH, offset: 0 }, { x0: 40 + m, y0: 90 + m, x1: 470 - m, y1: 420 - m }, TILE, out, 0, scratch);
    }
    if (r >= 0) runs.push(performance.now() - t);
  }
  let checksum = 0;
  for (const v of out) checksum += v;
  const sorted = [...runs].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(sorted.length / 2)], runs, checksum };
}
