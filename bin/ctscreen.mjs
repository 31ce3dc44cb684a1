#!/usr/bin/env node
// Runs the built CLI (dist/, made by `npm run build:cli`, which `npm ci` runs) when it is at least as new
// as every file under src/; otherwise (a development checkout that never built, or edited src/ since)
// the TypeScript sources through tsx, saying so in one line. CTSCREEN_TSX=1 runs the sources silently.
import { fileURLToPath } from 'node:url';
import { distState } from './dist-state.mjs';

const forced = process.env.CTSCREEN_TSX === '1';
const state = forced ? null : distState(fileURLToPath(new URL('..', import.meta.url)));
if (state === 'fresh') {
  await import('../dist/cli/run.js');
} else {
  if (!forced) process.stderr.write(`ctscreen: dist/ ${state}; running src/ through tsx (slower start; npm run build:cli builds dist/)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/run.ts');
}
