// Preloaded (node --import) into the fuzzer's CLI child: writes the process's peak RSS (KiB,
// getrusage ru_maxrss) and CPU time (user + system, ms) as JSON to $CTSCREEN_FUZZ_RSS_FILE at exit,
// so no /usr/bin/time is needed.
import { writeFileSync } from 'node:fs';

const file = process.env.CTSCREEN_FUZZ_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const u = process.resourceUsage();
      writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
    } catch {
      // the parent then reports RSS and CPU time as unknown
    }
  });
}
