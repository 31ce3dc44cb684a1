// Preloaded (node --import) into the fuzzer's CLI child: writes the process's peak RSS (KiB,
// getrusage ru_maxrss) to $CTSCREEN_FUZZ_RSS_FILE at exit, so no /usr/bin/time is needed.
import { writeFileSync } from 'node:fs';

const file = process.env.CTSCREEN_FUZZ_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // the parent then reports the RSS as unknown
    }
  });
}
