// `npm run bench [-- name ...]`: runs the benches of each stage and prints one table.
// Targets are printed next to the measurement; nothing is enforced here or in tests.
import os from 'node:os';
import { benches } from './bench/index.ts';
import type { BenchRow } from './bench/types.ts';
import { speedProbe } from './bench/speed-probe.ts';

const only = process.argv.slice(2);
// the 2 cores are shared: the load average says how much of them the bench really had
const loadStart = os.loadavg();
// and a fixed workload says how fast the cores were (bench/speed-probe.ts): the VMs drift at any load
const probeStart = await speedProbe();
const rows: BenchRow[] = [];
const skipped: string[] = [];
for (const b of benches) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  process.stderr.write(`bench ${b.name}…\n`);
  const r = await b.run();
  if ('skipped' in r) skipped.push(`${b.name}: ${r.skipped}`);
  else rows.push(...r);
}
const probeEnd = await speedProbe();
const header = ['stage', 'input', 'time (ms)', 'peak RSS (MiB)', 'target', 'note'];
const table = rows.map((r) => [r.stage, r.input, Number.isNaN(r.ms) ? '—' : r.ms.toFixed(1), r.peakRssMiB === undefined ? '' : r.peakRssMiB.toFixed(0), r.target ?? '', r.note ?? '']);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(`load average (1, 5, 15 min): start ${load(loadStart)}, end ${load(os.loadavg())}`);
console.log(`speed probe (a fixed float blur on one thread, median of 5; scale rows of two benches by it): start ${probeStart.toFixed(0)} ms, end ${probeEnd.toFixed(0)} ms`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
for (const s of skipped) console.log(`skipped ${s}`);
