// run.ts: `npm run bench` — times the emulator core on (a) a 64-bit ALU+branch loop and (b) compiled C
// (bench/workload.c), checks both results against the host CPU, and prints a table with memory, TLB
// and code-cache figures. Nothing is written to disk except gcc's temporary files.
// Options: --quick (about 1/10 of the work), --alu-only, --c-only.
import { StopReason } from '../emulator/cpu/step';
import { Machine } from '../emulator/machine';
import { GuestRun } from '../cli/demo';
import {
  aluLoopCode, aluLoopInstructions, aluLoopMachine, ALU_LOOP_REGS, buildCWorkload, cWorkloadMachine,
  cWorkloadUnavailable, regs64, repoRoot, runToHalt,
} from './workloads';
import { hostCpuAvailable, runOnHost, STACK_TOP } from '../test/host/hostCpu';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

// `npm run bench` bundles this file into node_modules/.cache/trampoline-bench/ (not out/, which every
// test run wipes), where hostCpu.ts looks for harness.c beside the bundle: put a copy there.
if (!existsSync(join(__dirname, 'harness.c'))) copyFileSync(join(repoRoot(), 'test', 'host', 'harness.c'), join(__dirname, 'harness.c'));

const STACK_TOP_HOST = BigInt(STACK_TOP);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ALU_ITERATIONS = quick ? 1_700_000 : 17_000_000; // 12 instructions each: 2.04·10^8 in full
const C_ROUNDS = quick ? 42 : 420; // about 2.4·10^5 instructions each: 10^8 in full

interface Row {
  name: string;
  run: GuestRun;
  check: string;
  m: Machine;
  rssBefore: number;
  rssAfter: number;
}

const rows: Row[] = [];
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const kb = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

function measure(name: string, m: Machine, max: number, check: (r: GuestRun, m: Machine) => string): void {
  const rssBefore = process.memoryUsage().rss;
  const run = runToHalt(m, max);
  const rssAfter = process.memoryUsage().rss;
  let c: string;
  if (run.stop !== StopReason.Halt) c = `FAILED: stopped by ${run.stop}${run.exception ? ` (${run.exception})` : ''}`;
  else c = check(run, m);
  rows.push({ name, run, check: c, m, rssBefore, rssAfter });
  console.log(`${name}: done (${c})`);
}

if (!args.includes('--c-only')) {
  const expectInsns = aluLoopInstructions(ALU_ITERATIONS);
  measure('(a) ALU+branch loop', aluLoopMachine(ALU_ITERATIONS), expectInsns + 10, (r, m) => {
    if (r.instructions !== expectInsns + 1) return `FAILED: ${r.instructions} instructions, expected ${expectInsns + 1}`;
    const why = hostCpuAvailable();
    if (why) return `registers not checked: ${why}`;
    const regs = [...ALU_LOOP_REGS];
    const [h] = runOnHost([{ mode: 64, code: aluLoopCode(ALU_ITERATIONS), regs: regs.map((v, i) => (i === 4 ? STACK_TOP_HOST : v)), rflags: 0, timeoutMs: 20000 }]);
    const ours = regs64(m);
    const bad = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11].filter((i) => ours[i] !== h.regs[i]);
    return bad.length === 0 ? 'registers equal the host CPU\'s' : `FAILED: registers ${bad.join(',')} differ from the host CPU's`;
  });
}

if (!args.includes('--alu-only')) {
  const why = cWorkloadUnavailable();
  if (why) console.log(`(b) compiled C: skipped (${why})`);
  else {
    const w = buildCWorkload(C_ROUNDS);
    measure(`(b) compiled C (workload.c, ROUNDS=${C_ROUNDS})`, cWorkloadMachine(w.elf), 5_000_000_000, (r) =>
      r.output === w.hostOutput
        ? `result ${r.output.trim()} = host ${w.hostOutput.trim()}`
        : `FAILED: guest printed ${JSON.stringify(r.output)}, host ${JSON.stringify(w.hostOutput)}`);
  }
}

console.log('');
const header = ['workload', 'instructions', 'wall s', 'MIPS', 'stop', 'final RIP', 'RSS before→after', 'guest RAM touched', 'TLB misses', 'blocks decoded', 'invalidations'];
const table = rows.map((r) => [
  r.name,
  String(r.run.instructions),
  r.run.seconds.toFixed(3),
  (r.run.instructions / r.run.seconds / 1e6).toFixed(1),
  r.run.stop,
  r.run.rip,
  `${mb(r.rssBefore)}→${mb(r.rssAfter)}`,
  kb(r.m.phys.touchedBytes),
  String(r.m.mem.misses),
  String(r.m.exec.cache.blocksDecoded),
  String(r.m.exec.cache.invalidations),
]);
const widths = header.map((h, k) => Math.max(h.length, ...table.map((t) => t[k].length)));
const line = (cells: string[]): string => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(' | ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const t of table) console.log(line(t));
console.log('');
for (const r of rows) console.log(`${r.name}: ${r.check}`);
console.log(`node ${process.version}, ${quick ? 'quick run' : 'full run'}`);
if (rows.some((r) => r.check.startsWith('FAILED'))) process.exitCode = 1;
