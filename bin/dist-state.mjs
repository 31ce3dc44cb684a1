// Whether dist/ (the built CLI, scripts/build-cli.mjs) may run instead of src/: 'fresh' when its build
// stamp is at least as new as every file under src/, else 'not built' or 'older than src/'.
// Plain JavaScript and stat calls only (about 2 ms for src/): bin/ctscreen.mjs asks at every start.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time (ms) of any file below `dir`. */
function newestMtimeMs(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** @param {string} root the repository root (holds src/ and dist/) */
export function distState(root) {
  let stampMs;
  try {
    stampMs = statSync(join(root, 'dist', 'BUILD_STAMP')).mtimeMs;
  } catch {
    return 'not built';
  }
  return newestMtimeMs(join(root, 'src')) > stampMs ? 'older than src/' : 'fresh';
}
