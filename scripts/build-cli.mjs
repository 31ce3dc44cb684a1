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
//   VENDOR packages → dist/vendor/*.js, bundled by esbuild (pinned devDependency; vite uses the same),
//                   and dist's imports of them rewritten to those files. Node's ESM loader resolves,
//                   reads and links every file of a package separately: bundled, the modules a screening
//                   loads cost about 0.25 s less CPU at every start (measured, see bench). Native and
//                   file-reading packages (onnxruntime-node, sharp, better-sqlite3, the @cornerstonejs
//                   wasm codecs, bullmq's Lua scripts, hono's static files) stay as they are.
//                   Without esbuild the build keeps the bare imports and says so (still correct).
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
/** Pure-JavaScript packages the screening path imports (see the header). */
const VENDOR = ['commander', 'zod', 'dcmjs', 'dicom-parser', 'pngjs', 'fflate', 'cli-progress', 'jpeg-lossless-decoder-js'];
/** `import … from 'pkg'` / `export … from 'pkg'` (tsc output may break the braces over lines), and `import('pkg')`. */
const STATIC_IMPORT = /\b(import|export)(\s+(?:type\s+)?[^;'"]*?\s+from\s+)(['"])([^'"]+)\3/g;
const DYNAMIC_IMPORT = /\bimport\((['"])([^'"]+)\1\)/g;

/** The module a src bootstrap loads (its `await import('./x.ts')`), as the built bootstrap's import. */
export function builtBootstrap(source, file) {
  const m = /await import\((['"])(\.{1,2}\/[^'"]+)\.ts\1\)/.exec(source);
  if (!m) throw new Error(`${file}: a worker bootstrap must end with await import('./module.ts'); found none`);
  return `// Built by scripts/build-cli.mjs from src/${file}: built code needs no TypeScript loader.\nawait import('${m[2]}.js');\n`;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The names `clause` (the part between `import` and `from`) takes from its module. */
function importedNames(clause) {
  const names = new Set();
  const braces = /\{([^}]*)\}/.exec(clause);
  if (braces) {
    for (const part of braces[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0].trim();
      if (name) names.add(name);
    }
  }
  const head = clause.replace(/\{[^}]*\}/, '').replace(/\bfrom\b/, '').trim().replace(/,$/, '').trim();
  if (/^\*\s+as\s+/.test(head)) names.add('*');
  else if (head) names.add('default');
  return names;
}

/** Bundles VENDOR into dist/vendor and points dist's imports at it; returns a line for the log. */
async function bundleVendor(jsFiles) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return 'esbuild not installed: third-party packages stay unbundled (slower start, same results)';
  }
  const used = new Map(VENDOR.map((p) => [p, new Set()]));
  const sources = new Map(jsFiles.map((f) => [f, readFileSync(f, 'utf8')]));
  for (const text of sources.values()) {
    for (const m of text.matchAll(STATIC_IMPORT)) if (used.has(m[4])) for (const n of importedNames(m[2])) used.get(m[4]).add(n);
    for (const m of text.matchAll(DYNAMIC_IMPORT)) if (used.has(m[2])) used.get(m[2]).add('*');
  }
  const entries = {};
  const entryDir = join(DIST, '.vendor-entries');
  mkdirSync(entryDir, { recursive: true });
  for (const [pkg, names] of used) {
    if (names.size === 0) continue;
    if (names.has('*')) throw new Error(`build-cli: '${pkg}' is imported as a namespace or dynamically; name the imports, or take it out of VENDOR`);
    const file = join(entryDir, `${pkg.replace(/[@/]/g, '_')}.mjs`);
    writeFileSync(file, `export { ${[...names].join(', ')} } from '${pkg}';\n`);
    entries[pkg.replace(/[@/]/g, '_')] = file;
  }
  const outdir = join(DIST, 'vendor');
  await esbuild.build({
    entryPoints: entries,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    // CommonJS inside the bundle calls require() for node built-ins; ESM has none of its own
    banner: { js: "import { createRequire as __ctscreenCreateRequire } from 'node:module';\nconst require = __ctscreenCreateRequire(import.meta.url);" },
  });
  rmSync(entryDir, { recursive: true, force: true });
  for (const [file, text] of sources) {
    const target = (pkg) => {
      const rel = relative(dirname(file), join(outdir, `${pkg.replace(/[@/]/g, '_')}.js`)).split('\\').join('/');
      return rel.startsWith('.') ? rel : `./${rel}`;
    };
    const rewritten = text.replace(STATIC_IMPORT, (all, kw, clause, q, spec) => (entries[spec.replace(/[@/]/g, '_')] && used.has(spec) ? `${kw}${clause}${q}${target(spec)}${q}` : all));
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
  return `${Object.keys(entries).length} packages bundled into dist/vendor/`;
}

async function build() {
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
  const vendor = await bundleVendor(walk(DIST).filter((f) => f.endsWith('.js')));
  writeFileSync(join(DIST, BUILD_STAMP), `${new Date().toISOString()}\n`);
  process.stdout.write(`build-cli: dist/ built (${walk(DIST).filter((f) => f.endsWith('.js')).length} modules, ${assets} assets; ${vendor})\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await build();
