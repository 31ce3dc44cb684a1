#!/usr/bin/env node
// Builds the precompiled CLI into dist/ (issue 16: `ctscreen --version` must not transpile TypeScript at
// every start). `npm ci` runs this through the `prepare` script, so the README's first command builds it.
//
//   src/**/*.ts   → dist/**/*.js by tsc (tsconfig.build.json, rewriteRelativeImportExtensions). rootDir src
//                   keeps every file at the depth it has under src/, so paths resolved from import.meta.url
//                   ('../../package.json', REPO_ROOT, models/, viewer/dist) mean the same from dist/.
//   src/**/*.json → copied (read at runtime next to their module, e.g. server/openapi.json).
//   src/**/*.mjs  → worker bootstraps: under src they register tsx, then import their .ts module; the
//                   built ones import the .js module directly (a fork or worker thread of built code needs
//                   no loader).
//   dist/BUILD_STAMP → written last; bin/ctscreen.mjs runs dist/ only when the stamp is newer than src/.
// Type checking is `npm run typecheck`'s job; the build transpiles only (--noCheck), about 3× faster.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const BUILD_STAMP = 'BUILD_STAMP';

/** The module a src bootstrap loads (its `await import('./x.ts')`), as the built bootstrap's import. */
export function builtBootstrap(source, file) {
  const m = /await import\((['"])(\.{1,2}\/[^'"]+)\.ts\1\)/.exec(source);
  if (!m) throw new Error(`${file}: a worker bootstrap must end with await import('./module.ts'); found none`);
  return `// Built by scripts/build-cli.mjs from src/${file}: built code needs no TypeScript loader.\nawait import('${m[2]}.js');\n`;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function build() {
  rmSync(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck'], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`build-cli: tsc failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
  let assets = 0;
  for (const file of walk(SRC)) {
    const rel = relative(SRC, file);
    const out = join(DIST, rel);
    if (file.endsWith('.json')) {
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(file, out);
      assets++;
    } else if (file.endsWith('.mjs')) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, builtBootstrap(readFileSync(file, 'utf8'), rel));
      assets++;
    }
  }
  writeFileSync(join(DIST, BUILD_STAMP), `${new Date().toISOString()}\n`);
  process.stdout.write(`build-cli: dist/ built (${walk(DIST).filter((f) => f.endsWith('.js')).length} modules, ${assets} assets)\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) build();
