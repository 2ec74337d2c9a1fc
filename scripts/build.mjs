// Bundles the entry points below into dist/ with esbuild.
// Usage: node scripts/build.mjs [--minify]
// To add a bundle, add one line to `bundles`.
import { build } from 'esbuild';
import { chmodSync, statSync } from 'node:fs';

/** @type {{ entry: string, outfile: string, bin?: boolean, external?: string[] }[]} */
const bundles = [
  { entry: 'cli/main.ts', outfile: 'dist/trampoline.js', bin: true },
  // { entry: 'adapter/main.ts', outfile: 'dist/adapter.js' },
  { entry: 'server/main.ts', outfile: 'dist/server.js' },
  // The VS Code extension; the debug adapter runs inline inside it (adapter/ is bundled in).
  { entry: 'extension/activate.ts', outfile: 'dist/extension.js', external: ['vscode'] },
];

const minify = process.argv.includes('--minify');
const started = Date.now();
for (const b of bundles) {
  await build({
    entryPoints: [b.entry],
    outfile: b.outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    minify,
    external: b.external ?? [],
    banner: b.bin ? { js: '#!/usr/bin/env node' } : {},
    logLevel: 'warning',
  });
  if (b.bin) chmodSync(b.outfile, 0o755);
  console.log(`built ${b.outfile} (${(statSync(b.outfile).size / 1024).toFixed(1)} KiB) from ${b.entry}`);
}
console.log(`build done in ${Date.now() - started} ms`);
