// Transpiles every .ts file of the source folders per file (no bundling) into out/,
// keeping the folder layout, copies the other files of those folders (test fixtures:
// .c, .S, .txt, .json...) alongside, then runs node's test runner on out/**/*.test.js.
// Each *.test.ts is bundled into its .test.js (its own imports inlined; packages stay external):
// per-file CommonJS turns every cross-module call into a call through esbuild's export getters
// (two of them, __toCommonJS over __export), which made the emulator's hot paths about 7x slower
// (the Linux boot test: 9 MIPS per CPU second per file, 60-70 bundled). Child processes (server,
// dap stdio, cli) still run the per-file modules. In a bundle, a module's __dirname, __filename,
// require and `require.main === module` would be the test file's: each module that uses them gets
// its own, as if it ran from its per-file output, so fixture and script paths resolve as before.
//
// Usage: node scripts/test.mjs [--transpile-only] [--node-flag...] [filter...]
//   filter          run only test files whose path contains this text (any of them)
//   --transpile-only  stop after writing out/ (used by `npm run bench`)
//   --anything-else   passed to `node --test` (e.g. --test-name-pattern=cr3, --test-only)
// TRAMPOLINE_OUT=name writes into <root>/name instead of out/, so that two runs in one
// checkout do not delete each other's files.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, process.env.TRAMPOLINE_OUT || 'out');
const SOURCE_DIRS = ['emulator', 'assembler', 'adapter', 'server', 'extension', 'cli', 'test', 'bench'];

const args = process.argv.slice(2);
const transpileOnly = args.includes('--transpile-only');
const nodeFlags = args.filter((a) => a.startsWith('--') && a !== '--transpile-only');
const filters = args.filter((a) => !a.startsWith('--'));

/** Every file under dir, as paths relative to ROOT with '/' separators. */
function walk(dir) {
  const files = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) files.push(...walk(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

const started = Date.now();
rmSync(OUT, { recursive: true, force: true });
const sources = SOURCE_DIRS.filter((d) => existsSync(join(ROOT, d))).flatMap(walk);
const isTs = (f) => f.endsWith('.ts') && !f.endsWith('.d.ts');
const tsFiles = sources.filter(isTs);
const otherFiles = sources.filter((f) => !isTs(f));

const isTest = (f) => f.endsWith('.test.ts');

/**
 * Gives each bundled module that uses __dirname, __filename or require its own, as if it ran from its
 * per-file output (out/<path>.js). Prepended on the first line so line numbers stay those of the source.
 */
const ownPaths = {
  name: 'own-paths',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const rel = relative(ROOT, args.path);
      if (rel.startsWith('..') || rel.startsWith('node_modules')) return undefined;
      const outFile = join(OUT, rel.replace(/\.ts$/, '.js'));
      let prefix = '';
      if (/\b__dirname\b/.test(text)) prefix += `const __dirname = ${JSON.stringify(dirname(outFile))}; `;
      if (/\b__filename\b/.test(text)) prefix += `const __filename = ${JSON.stringify(outFile)}; `;
      // `require.main === module` (a script's own entry) must stay false inside a test bundle.
      if (/\brequire\.main\s*===\s*module\b/.test(text)) prefix += 'const module = {}; ';
      if (/\brequire\(/.test(text)) prefix += `import { createRequire as __ownRequire } from 'node:module'; const require = __ownRequire(${JSON.stringify(outFile)}); `;
      return { contents: prefix + text, loader: 'ts' };
    });
  },
};

const common = { absWorkingDir: ROOT, outdir: OUT, outbase: '.', platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning' };
try {
  await build({ ...common, entryPoints: tsFiles.filter((f) => !isTest(f)), bundle: false });
  await build({ ...common, entryPoints: tsFiles.filter(isTest), bundle: true, packages: 'external', plugins: [ownPaths] });
} catch {
  process.exit(1); // esbuild has already printed the errors
}
for (const f of otherFiles) {
  mkdirSync(dirname(join(OUT, f)), { recursive: true });
  copyFileSync(join(ROOT, f), join(OUT, f));
}
console.log(`transpiled ${tsFiles.length} .ts files, copied ${otherFiles.length} other files into ${relative(ROOT, OUT)}/ in ${Date.now() - started} ms`);
if (transpileOnly) process.exit(0);

const testFiles = tsFiles
  .filter(isTest)
  .map((f) => f.replace(/\.ts$/, '.js'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort()
  .map((f) => relative(ROOT, join(OUT, f)).split(sep).join('/'));
if (testFiles.length === 0) {
  console.error(filters.length ? `no test file matches ${filters.join(', ')}` : 'no *.test.ts file found');
  process.exit(1);
}

// Node 20's spec reporter prints the list of failing tests after its summary; the
// summary lines (ℹ tests N, ℹ pass N, ℹ fail N...) are printed again at the very end
// so that they are always the last lines of the output.
const child = spawn(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', ...nodeFlags, ...testFiles],
  {
    cwd: ROOT,
    stdio: ['inherit', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}),
      // stack traces point at the .ts sources (inline source maps)
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --enable-source-maps`.trim(),
    },
  },
);
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-20000);
});
child.on('close', (code, signal) => {
  // eslint-disable-next-line no-control-regex
  const lines = tail.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const summaryAt = lines.findIndex((l) => l.startsWith('ℹ tests '));
  const summary = summaryAt < 0 ? [] : lines.slice(summaryAt).filter((l) => l.startsWith('ℹ '));
  const last = lines.filter((l) => l.trim() !== '').at(-1) ?? '';
  if (summary.length > 0 && !last.startsWith('ℹ ')) console.log(`\n${summary.join('\n')}`);
  if (signal) console.error(`node --test was killed by ${signal}`);
  process.exit(code ?? 1);
});
