// asm.ts: assembler throughput — lines per second of the built-in assembler on generated 5,000- and
// 50,000-line AT&T files (every instruction form of the table in 64-bit code, with labels, relaxed
// jumps forward and back, and data directives), beside GNU as on the same files (`as --64 -o …`, a
// process each time, so its start-up is included; the fastest run counts for both). The .text of the
// two is checked to be identical, so the comparison is of equal work.
// Run: esbuild bench/asm.ts --bundle --platform=node --outfile=… && node … [--runs=N] [--lines=N,N]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../assembler/index';
import { GROUPS, groupLines } from '../test/asm/corpus';

/** Instruction lines our assembler takes in 64-bit code (GNU as takes them too: test/asm/instructions.test.ts). */
function instructionPool(): string[] {
  const all = Object.keys(GROUPS).flatMap((g) => groupLines(g, 64))
    .filter((l) => !/^(hlt|ud|int|into|iret|sys|swapgs|l?ret|jmp|call|ljmp|lcall|enter|leave|loop|j)/.test(l));
  return all.filter((l) => assemble(`${l}\n`, { file: 'pool.s' }).errors.length === 0);
}

/** A source of `count` lines: instructions, a label every 8 lines, a jump every 8 lines, data every 50. */
export function generateSource(count: number, pool: string[] = instructionPool()): string {
  const out: string[] = ['\t.text', '\t.code64', '\t.globl _start', '_start:'];
  let k = 0, label = 0;
  while (out.length < count) {
    if (out.length % 8 === 0) out.push(`.L${label++}:`);
    else if (out.length % 8 === 4) {
      // Half of the jumps go back, half forward (to a label not yet placed): both sizes of each get relaxed.
      const back = label % 2 === 0 && label > 1;
      out.push(`\t${label % 3 === 0 ? 'jz' : 'jmp'}\t.L${back ? label - 2 : label + 1}`);
    } else if (out.length % 50 === 25) out.push(`\t.long 0x12345678, .L${label} - .L${Math.max(0, label - 1)}`);
    else out.push(`\t${pool[k++ % pool.length]}`);
  }
  out.push(`.L${label++}:`, `.L${label}:`, '\tret');
  return out.join('\n') + '\n';
}

interface Result { lines: number; oursSeconds: number; gasSeconds: number | null; same: boolean | null }

function bestOf(runs: number, fn: () => void): number {
  let best = Infinity;
  for (let k = 0; k < runs; k++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

/** Times both assemblers on one generated file. */
export function benchFile(lines: number, runs: number, pool: string[]): Result {
  const source = generateSource(lines, pool);
  const count = source.split('\n').length - 1;
  let text: Uint8Array = new Uint8Array(0);
  const oursSeconds = bestOf(runs, () => {
    const r = assemble(source, { file: 'bench.s' });
    if (r.errors.length) throw new Error(`bench source rejected: ${r.errors[0].line}: ${r.errors[0].message}`);
    text = r.sections.find((s) => s.name === '.text')?.data ?? text;
  });
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-bench-asm-'));
  try {
    const src = join(dir, 'bench.s'), obj = join(dir, 'bench.o');
    writeFileSync(src, source);
    if (spawnSync('as', ['--version']).status !== 0) return { lines: count, oursSeconds, gasSeconds: null, same: null };
    const gasSeconds = bestOf(runs, () => {
      const r = spawnSync('as', ['--64', '-o', obj, src]);
      if (r.status !== 0) throw new Error(`as failed: ${r.stderr.toString().slice(0, 500)}`);
    });
    // Label differences are constants and jumps to local labels are resolved: .text has no relocation.
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', obj, join(dir, 'text.bin')]);
    const gasText = readFileSync(join(dir, 'text.bin'));
    return { lines: count, oursSeconds, gasSeconds, same: Buffer.compare(Buffer.from(text), gasText) === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the table; `npm run bench` can call it as a section (argv: --runs=N, --lines=N,N). Returns false if .text differed. */
export function benchAsm(args: string[] = process.argv.slice(2)): boolean {
  const runsArg = args.find((a) => a.startsWith('--runs='));
  const linesArg = args.find((a) => a.startsWith('--lines='));
  const runs = Math.max(1, runsArg ? Number(runsArg.slice(7)) | 0 : 3);
  const sizes = linesArg ? linesArg.slice(8).split(',').map(Number) : [5_000, 50_000];
  const pool = instructionPool();
  const rows = sizes.map((n) => benchFile(n, runs, pool));
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`assembler throughput (fastest of ${runs}; instruction pool: ${pool.length} forms)`);
  console.log('lines    | ours s   | ours lines/s | GNU as s | GNU as lines/s | ratio | same .text');
  for (const r of rows) {
    const gas = r.gasSeconds === null ? 'n/a' : r.gasSeconds.toFixed(3);
    const gasRate = r.gasSeconds === null ? 'n/a' : fmt(r.lines / r.gasSeconds);
    const ratio = r.gasSeconds === null ? 'n/a' : `${(r.oursSeconds / r.gasSeconds).toFixed(1)}×`;
    console.log(`${fmt(r.lines).padEnd(8)} | ${r.oursSeconds.toFixed(3).padEnd(8)} | ${fmt(r.lines / r.oursSeconds).padEnd(12)} | ${gas.padEnd(8)} | ${gasRate.padEnd(14)} | ${ratio.padEnd(5)} | ${r.same ?? 'n/a'}`);
  }
  return !rows.some((r) => r.same === false);
}

if (require.main === module && !benchAsm()) process.exitCode = 1;
