// startup.ts: how long `trampoline run` takes from process start to the guest's first instruction (target
// under 300 ms). Times `node dist/trampoline.js run examples/lvl5-trampoline/lvl5.S --boot long --load
// 0x100000000 --max-instructions 1` — start-up, assembling the source, booting, one instruction, exit
// (status 124: the limit) — against a bare `node -e 0`, whose difference is Trampoline's own share.
// Needs `npm run build` first (dist/trampoline.js). Run: esbuild bench/startup.ts --bundle --platform=node
// --outfile=<tmp>/startup.js && node <tmp>/startup.js [--runs=N] [--cli=FILE]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: this file is bundled anywhere, so look upwards from the working directory too. */
function root(): string {
  for (const start of [process.cwd(), __dirname]) {
    let dir = start;
    for (;;) {
      if (existsSync(path.join(dir, 'examples', 'lvl5-trampoline', 'lvl5.S'))) return dir;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error('startup: run from inside the repository');
}

function timeMs(args: string[], expect: number): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== expect) throw new Error(`node ${args.join(' ')} exited ${String(r.status)}, expected ${expect}: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const runsArg = process.argv.find((a) => a.startsWith('--runs='));
const RUNS = Math.max(1, runsArg ? Number(runsArg.slice(7)) | 0 : 7);
const dir = root();
// --cli=FILE: time another bundle of cli/main.ts (e.g. a fresh one outside dist/).
const cliArg = process.argv.find((a) => a.startsWith('--cli='));
const cli = cliArg ? path.resolve(cliArg.slice(6)) : path.join(dir, 'dist', 'trampoline.js');
if (!existsSync(cli)) {
  process.stderr.write('startup: dist/trampoline.js is missing: npm run build first\n');
  process.exit(2);
}
const program = path.join(dir, 'examples', 'lvl5-trampoline', 'lvl5.S');
const runArgs = [cli, 'run', program, '--boot', 'long', '--load', '0x100000000', '--max-instructions', '1'];

timeMs(runArgs, 124); // warm the file cache
const node: number[] = [], first: number[] = [];
for (let k = 0; k < RUNS; k++) {
  node.push(timeMs(['-e', '0'], 0));
  first.push(timeMs(runArgs, 124));
}
const total = median(first), bare = median(node);
process.stdout.write([
  `startup to the first instruction (median of ${RUNS}, lvl5.S assembled and booted in --boot long):`,
  `  node dist/trampoline.js run … --max-instructions 1   ${total.toFixed(0)} ms   (target < 300 ms: ${total < 300 ? 'met' : 'NOT met'})`,
  `  node -e 0 (the runtime alone)                          ${bare.toFixed(0)} ms`,
  `  Trampoline's share (load bundle, assemble, boot)       ${(total - bare).toFixed(0)} ms`,
  '',
].join('\n'));
