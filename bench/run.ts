// run.ts: `npm run bench` — times the emulator core on (a) a 64-bit ALU+branch loop and (b) compiled C
// (bench/workload.c), each without paging and with identity-mapped 4-level and 5-level paging; checks every
// result against the host CPU; measures (c) the cost of 100 execution breakpoints on code never executed;
// prints tables with memory, TLB and code-cache figures. Nothing is written to disk except gcc's temporary files.
// Options: --quick (about 1/10 of the work), --alu-only, --c-only, --paging-only (only the paging
// comparison: no breakpoint figure), --runs=N (timed runs per variant, the fastest counts; default 3).
// Then, unless one of the --*-only options is given, the other benches as sections, each bundled and run
// in a process of its own: bench/asm.ts (assembler lines/s beside GNU as), bench/lsp.ts (language-server
// latency), bench/dap.ts (stepIn, Variables and page-table latency over DAP), bench/startup.ts (start-up to
// the first instruction of dist/trampoline.js), bench/extension.ts (activation time, .vsix size), and with --linux (or TRAMPOLINE_BENCH_LINUX=1) bench/linux.ts: a Debian bzImage to its
// decompressed kernel's entry beside QEMU TCG, over a minute, hence not by default.
import { StopReason } from '../emulator/cpu/step';
import { Machine } from '../emulator/machine';
import { GuestRun } from '../cli/demo';
import {
  aluLoopCode, aluLoopInstructions, aluLoopMachine, ALU_LOOP_REGS, buildCWorkload, cWorkloadMachine,
  cWorkloadUnavailable, enablePaging, PAGING_LAYOUT, regs64, repoRoot, runToHalt,
} from './workloads';
import { hostCpuAvailable, runOnHost, STACK_TOP } from '../test/host/hostCpu';
import { tlbHitRate } from './tlbHitRate';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// `npm run bench` bundles this file into node_modules/.cache/trampoline-bench/ (not out/, which every
// test run wipes), where hostCpu.ts looks for harness.c beside the bundle: put a copy there.
if (!existsSync(join(__dirname, 'harness.c'))) copyFileSync(join(repoRoot(), 'test', 'host', 'harness.c'), join(__dirname, 'harness.c'));

const STACK_TOP_HOST = BigInt(STACK_TOP);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const pagingOnly = args.includes('--paging-only');
const runsArg = args.find((a) => a.startsWith('--runs='));
const RUNS = Math.max(1, runsArg ? Number(runsArg.slice(7)) | 0 : 3);
const ALU_ITERATIONS = quick ? 1_700_000 : 17_000_000; // 12 instructions each: 2.04·10^8 in full
const C_ROUNDS = quick ? 42 : 420; // about 2.4·10^5 instructions each: 10^8 in full
const BP_ITERATIONS = quick ? 833_333 : 8_333_333; // (c): 10^8 instructions in full
const BREAKPOINTS = 100;

type Paging = 0 | 4 | 5;
const PAGING_NAME: Record<Paging, string> = { 0: 'off', 4: '4-level', 5: '5-level' };
const LEVELS: Paging[] = [0, 4, 5];

interface Row {
  workload: string;
  variant: string;
  run: GuestRun;
  check: string;
  m: Machine;
  rssBefore: number;
  rssAfter: number;
}

const rows: Row[] = [];
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const kb = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
const mips = (r: GuestRun): number => r.instructions / r.seconds / 1e6;

interface Variant { variant: string; make: () => Machine }

/**
 * Runs each variant's machine to its HLT RUNS times, round-robin (a fresh machine each time), keeping
 * each variant's fastest run: the first runs of a process also pay for the JIT's warm-up, which is not
 * the emulator's cost and must not land on whichever variant happens to go first.
 */
function measure(workload: string, variants: Variant[], max: number, check: (r: GuestRun, m: Machine) => string): Row[] {
  const best: (Row | null)[] = variants.map(() => null);
  for (let k = 0; k < RUNS; k++) {
    variants.forEach((v, j) => {
      const m = v.make();
      const rssBefore = process.memoryUsage().rss;
      const run = runToHalt(m, max);
      const rssAfter = process.memoryUsage().rss;
      const b = best[j];
      if (b === null || run.seconds < b.run.seconds) best[j] = { workload, variant: v.variant, run, check: '', m, rssBefore, rssAfter };
    });
  }
  return best.map((x) => {
    const b = x as Row;
    if (b.run.stop !== StopReason.Halt) b.check = `FAILED: stopped by ${b.run.stop}${b.run.exception ? ` (${b.run.exception})` : ''}`;
    else b.check = check(b.run, b.m);
    rows.push(b);
    console.log(`${workload}, paging ${b.variant}: ${mips(b.run).toFixed(1)} MIPS (${b.check})`);
    return b;
  });
}

/** Host registers after the ALU loop, computed once per iteration count. */
const hostAlu = new Map<number, bigint[]>();
function aluCheck(iterations: number): (r: GuestRun, m: Machine) => string {
  const expectInsns = aluLoopInstructions(iterations);
  return (r, m) => {
    if (r.instructions !== expectInsns + 1) return `FAILED: ${r.instructions} instructions, expected ${expectInsns + 1}`;
    const why = hostCpuAvailable();
    if (why) return `registers not checked: ${why}`;
    const regs = [...ALU_LOOP_REGS];
    let h = hostAlu.get(iterations);
    if (h === undefined) {
      [{ regs: h }] = runOnHost([{ mode: 64, code: aluLoopCode(iterations), regs: regs.map((v, i) => (i === 4 ? STACK_TOP_HOST : v)), rflags: 0, timeoutMs: 20000 }]);
      hostAlu.set(iterations, h);
    }
    const ours = regs64(m);
    const hr = h;
    const bad = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11].filter((i) => ours[i] !== hr[i]);
    return bad.length === 0 ? 'registers equal the host CPU\'s' : `FAILED: registers ${bad.join(',')} differ from the host CPU's`;
  };
}

const paged = (make: () => Machine, levels: Paging) => (): Machine => {
  const m = make();
  if (levels !== 0) enablePaging(m, levels);
  return m;
};

interface Comparison { workload: string; byPaging: Map<Paging, Row>; make: (p: Paging) => Machine; max: number }
const comparisons: Comparison[] = [];

if (!args.includes('--c-only')) {
  const name = '(a) ALU+branch loop';
  const max = aluLoopInstructions(ALU_ITERATIONS) + 10;
  const c: Comparison = { workload: name, byPaging: new Map(), make: (p) => paged(() => aluLoopMachine(ALU_ITERATIONS), p)(), max };
  const r = measure(name, LEVELS.map((p) => ({ variant: PAGING_NAME[p], make: paged(() => aluLoopMachine(ALU_ITERATIONS), p) })),
    max, aluCheck(ALU_ITERATIONS));
  LEVELS.forEach((p, k) => c.byPaging.set(p, r[k]));
  comparisons.push(c);
}

if (!args.includes('--alu-only')) {
  const why = cWorkloadUnavailable();
  if (why) console.log(`(b) compiled C: skipped (${why})`);
  else {
    const w = buildCWorkload(C_ROUNDS);
    const name = `(b) compiled C (workload.c, ROUNDS=${C_ROUNDS})`;
    const c: Comparison = { workload: name, byPaging: new Map(), make: (p) => paged(() => cWorkloadMachine(w.elf), p)(), max: 5_000_000_000 };
    const r = measure(name, LEVELS.map((p) => ({ variant: PAGING_NAME[p], make: paged(() => cWorkloadMachine(w.elf), p) })), c.max, (g) =>
      g.output === w.hostOutput
        ? `result ${g.output.trim()} = host ${w.hostOutput.trim()}`
        : `FAILED: guest printed ${JSON.stringify(g.output)}, host ${JSON.stringify(w.hostOutput)}`);
    LEVELS.forEach((p, k) => c.byPaging.set(p, r[k]));
    comparisons.push(c);
  }
}

// (c) Breakpoints: 100 execution breakpoints on addresses the loop never reaches (2 MiB + 64·k) must not
// slow it (blocks without a breakpoint carry no check). Paging off.
let bp: { none: Row; with: Row } | null = null;
if (!pagingOnly && !args.includes('--c-only')) {
  const name = '(c) ALU loop, breakpoints';
  const max = aluLoopInstructions(BP_ITERATIONS) + 10;
  const [none, withBp] = measure(name, [
    { variant: 'off, none', make: () => aluLoopMachine(BP_ITERATIONS) },
    {
      variant: `off, ${BREAKPOINTS} set`, make: () => {
        const m = aluLoopMachine(BP_ITERATIONS);
        for (let k = 0; k < BREAKPOINTS; k++) m.exec.addBreakpoint(0x200000 + 64 * k, 0);
        return m;
      },
    },
  ], max, aluCheck(BP_ITERATIONS));
  bp = { none, with: withBp };
}

function printTable(header: string[], table: string[][]): void {
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((t) => t[k].length)));
  const line = (cells: string[]): string => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const t of table) console.log(line(t));
}

const perM = (n: number, r: GuestRun): string => (n / (r.instructions / 1e6)).toFixed(2);

console.log('');
printTable(
  ['workload', 'paging', 'instructions', 'wall s', 'MIPS', 'stop', 'final RIP', 'RSS before→after', 'guest RAM touched', 'TLB misses', 'per 10^6 insns', 'page walks', 'per 10^6 insns', 'blocks decoded', 'invalidations'],
  rows.map((r) => [
    r.workload,
    r.variant,
    String(r.run.instructions),
    r.run.seconds.toFixed(3),
    mips(r.run).toFixed(1),
    r.run.stop,
    r.run.rip,
    `${mb(r.rssBefore)}→${mb(r.rssAfter)}`,
    kb(r.m.phys.touchedBytes),
    String(r.m.mem.misses),
    perM(r.m.mem.misses, r.run),
    String(r.m.mem.walker.walks),
    perM(r.m.mem.walker.walks, r.run),
    String(r.m.exec.cache.blocksDecoded),
    String(r.m.exec.cache.invalidations),
  ]));

// Cost of paging: the time paging adds, relative to the unpaged run (MIPS_off / MIPS_paged − 1). Target < 25%.
const PAGING_TARGET = 25, BP_TARGET = 5;
const failures: string[] = [];
if (comparisons.length > 0) {
  console.log('');
  console.log(`Paging: identity map; ${PAGING_LAYOUT}. Cost = time with paging / time without − 1 (target < ${PAGING_TARGET}%).`);
  const cost = (c: Comparison, p: Paging): string => {
    const off = c.byPaging.get(0), on = c.byPaging.get(p);
    if (!off || !on) return '—';
    const pct = (mips(off.run) / mips(on.run) - 1) * 100;
    if (pct >= PAGING_TARGET) failures.push(`${c.workload}: ${PAGING_NAME[p]} paging costs ${pct.toFixed(1)}%`);
    return `${pct.toFixed(1)}%`;
  };
  const m = (c: Comparison, p: Paging): string => {
    const r = c.byPaging.get(p);
    return r ? mips(r.run).toFixed(1) : '—';
  };
  printTable(
    ['workload', 'MIPS off', 'MIPS 4-level', 'MIPS 5-level', 'cost 4-level', 'cost 5-level'],
    comparisons.map((c) => [c.workload, m(c, 0), m(c, 4), m(c, 5), cost(c, 4), cost(c, 5)]));
  console.log('');
  console.log('TLB: data accesses (one per page touched) served by the fast path; a second, untimed run counts them (bench/tlbHitRate.ts).');
  const tlb = (c: Comparison, p: Paging): string => {
    const t = tlbHitRate(() => c.make(p), c.max);
    return t.accesses === 0 ? 'no accesses' : `${(t.hitRate * 100).toFixed(4)}% of ${t.accesses} (${t.misses} misses)`;
  };
  printTable(['workload', 'hit rate 4-level', 'hit rate 5-level'], comparisons.map((c) => [c.workload, tlb(c, 4), tlb(c, 5)]));
}
if (bp !== null) {
  const pct = (mips(bp.none.run) / mips(bp.with.run) - 1) * 100;
  console.log('');
  console.log(`Breakpoints: ALU loop, ${bp.none.run.instructions} instructions: ${mips(bp.none.run).toFixed(1)} MIPS with none, ` +
    `${mips(bp.with.run).toFixed(1)} MIPS with ${BREAKPOINTS} set elsewhere: cost ${pct.toFixed(1)}% (target ≤ ${BP_TARGET}%).`);
  if (pct > BP_TARGET) failures.push(`breakpoints cost ${pct.toFixed(1)}%`);
}
console.log('');
for (const r of rows) console.log(`${r.workload}, paging ${r.variant}: ${r.check}`);
for (const f of failures) console.log(`OVER TARGET: ${f}`);
console.log(`node ${process.version}, ${quick ? 'quick run' : 'full run'}, fastest of ${RUNS} run(s) per variant`);
// Wrong results fail the run; timing targets are reported (timings vary with the host's load).
if (rows.some((r) => r.check.startsWith('FAILED'))) process.exitCode = 1;

/**
 * Bundles bench/<name>.ts beside this bundle and runs it with `argv` in a process of its own (each of
 * them is also a script on its own, started when it is the main module). False if it failed.
 */
function section(title: string, name: string, argv: string[]): boolean {
  console.log(`\n=== ${title} (bench/${name}.ts) ===`);
  // esbuild is loaded at run time, not bundled (it is a native binary with a JS front).
  const esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
  const outfile = join(__dirname, `${name}.js`);
  esbuild.buildSync({
    entryPoints: [join(repoRoot(), 'bench', `${name}.ts`)], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    outfile, logLevel: 'warning', external: ['esbuild'],
  });
  const r = spawnSync(process.execPath, [outfile, ...argv], { stdio: 'inherit' });
  return r.status === 0;
}

const onlyEmulator = args.includes('--alu-only') || args.includes('--c-only') || pagingOnly;
if (!onlyEmulator) {
  const sectionFailures: string[] = [];
  if (!section('assembler throughput', 'asm', quick ? ['--lines=5000', '--runs=1'] : [])) sectionFailures.push('asm');
  if (!section('language server latency', 'lsp', quick ? ['--edits=50'] : [])) sectionFailures.push('lsp');
  if (!section('debug adapter latency over DAP', 'dap', quick ? ['--steps=60'] : [])) sectionFailures.push('dap');
  if (!section('start-up to the first instruction', 'startup', quick ? ['--runs=3'] : [])) sectionFailures.push('startup');
  if (!section('extension activation and .vsix', 'extension', [])) sectionFailures.push('extension');
  if (!section('the multiboot-kernel example', 'multibootKernel', [])) sectionFailures.push('multibootKernel');
  if (args.includes('--linux') || process.env.TRAMPOLINE_BENCH_LINUX === '1') {
    if (!section('Linux bzImage to the decompressed kernel\'s entry', 'linux', [])) sectionFailures.push('linux');
  } else {
    console.log('\n=== Linux bzImage to the decompressed kernel\'s entry (bench/linux.ts) ===\nnot run: over a minute with QEMU beside it; `npm run bench -- --linux` or TRAMPOLINE_BENCH_LINUX=1 runs it');
  }
  if (sectionFailures.length > 0) {
    console.log(`\nfailed sections: ${sectionFailures.join(', ')}`);
    process.exitCode = 1;
  }
}
