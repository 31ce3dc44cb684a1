/** The one reader of ctscreen's version (package.json), for reports, model refs, the CLI and the PACS model key. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function ctscreenVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
