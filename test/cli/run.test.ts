// run.test.ts: `trampoline run` — every exit status of design.md (halt 0, exit port (V<<1)|1, triple fault 4,
// instruction limit 124, bad input 2 with a message naming the option), the --json report of the lvl5
// trampoline example, --trace modes on stderr, the console on stdout, and determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../cli/run';
import { parseSize } from '../../cli/options';
import { lvl5Source } from '../../cli/lvl5Demo';
import type { RunReport } from '../../cli/report';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '', err = '';
  const code = runCommand(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

/** Writes `files` into a fresh temporary folder and calls fn with it. */
function withFiles<T>(files: Record<string, string | Uint8Array>, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-run-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('run: HLT with interrupts off exits 0; console bytes (port 0xE9, COM1) go to stdout', () => {
  const src = 'cli\n mov $0x6968, %ax\n out %al, $0xe9\n mov %ah, %al\n mov $0x3f8, %dx\n out %al, %dx\n mov $10, %al\n out %al, $0xe9\n hlt\n';
  withFiles({ 'h.S': src }, (dir) => {
    const r = run([join(dir, 'h.S')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'hi\n');
    assert.equal(r.err, '');
  });
});

test('run: a write of V to port 0xF4 exits (V<<1)|1, in any boot state and width', () => {
  withFiles({ 'e.S': 'mov $0x21, %eax\n out %eax, $0xf4\n hlt\n', 'r.S': 'mov $3, %al\n out %al, $0xf4\n hlt\n' }, (dir) => {
    assert.equal(run([join(dir, 'e.S'), '--boot', 'long']).code, (0x21 << 1) | 1);
    assert.equal(run([join(dir, 'e.S'), '--boot', 'protected']).code, (0x21 << 1) | 1);
    assert.equal(run([join(dir, 'r.S')]).code, 7);
  });
});

test('run: a triple fault exits 4 (no IDT: #UD → #GP → #DF → shutdown)', () => {
  withFiles({ 't.S': 'ud2\n' }, (dir) => {
    const r = run([join(dir, 't.S'), '--boot', 'long', '--json']);
    assert.equal(r.code, 4);
    const rep = JSON.parse(r.out) as RunReport;
    assert.equal(rep.stop.reason, 'triple-fault');
    assert.equal(rep.stop.exitCode, 4);
    assert.equal(rep.exceptions[0].vector, 6);
    assert.equal(rep.exceptions[0].name, '#UD');
    assert.equal(rep.exceptions[0].rip, '0x100000');
  });
});

test('run: an endless loop stops at --max-instructions with 124', () => {
  withFiles({ 'l.S': 'cli\n1: jmp 1b\n' }, (dir) => {
    const r = run([join(dir, 'l.S'), '--max-instructions', '1000', '--json']);
    assert.equal(r.code, 124);
    const rep = JSON.parse(r.out) as RunReport;
    assert.equal(rep.stop.reason, 'limit');
    assert.equal(rep.instructions, 1000);
    assert.equal(rep.mode, 'real');
    assert.equal(rep.regs.rip, '0x7c01');
  });
});

test('run: bad input exits 2 with a message naming the option or file', () => {
  withFiles({ 'h.S': 'hlt\n', 'bad.elf': Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'err.S': 'frobnicate %eax\n' }, (dir) => {
    const h = join(dir, 'h.S');
    const cases: [string[], RegExp][] = [
      [[h, '--paging', '3'], /--paging must be 4 or 5, got 3/],
      [[h, '--boot', 'uefi'], /--boot must be one of reset, real, protected, multiboot, long, linux, linux32, got uefi/],
      [[h, '--boot', 'linux'], /--boot: 'linux' needs a Linux bzImage/],
      [[h, '--boot=linux32'], /--boot: 'linux32' needs a Linux bzImage/],
      [[h, '--memory', 'lots'], /--memory must be a size/],
      [[h, '--trace', 'modes,everything'], /--trace takes a comma list of modes, cr, exceptions, insns, got everything/],
      [[h, '--max-instructions', '-5'], /--max-instructions must be a positive number/],
      [[h, '--cpu', 'warp'], /--cpu: unknown CPU feature "warp"/],
      [[h, '--entry', 'nowhere'], /--entry: no symbol 'nowhere'/],
      [[h, '--frobnicate'], /unknown option '--frobnicate'/],
      [[h, '--boot', 'long', '--paging', '5', '--cpu', '-la57'], /--paging 5 needs the la57 CPU feature/],
      [[join(dir, 'missing.S')], /cannot read '.*missing\.S': no such file/],
      [[join(dir, 'bad.elf')], /bad\.elf: /],
      [[join(dir, 'err.S')], /err\.S:1/],
      [[h, '--input', `@${join(dir, 'none.txt')}`], /--input: cannot read/],
      [[], /no program given/],
    ];
    for (const [argv, want] of cases) {
      const r = run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, want);
      assert.equal(r.out, '');
    }
  });
});

test('run: --memory sizes', () => {
  assert.equal(parseSize('256M'), 256 * 2 ** 20);
  assert.equal(parseSize('5G'), 5 * 2 ** 30);
  assert.equal(parseSize('1048576'), 2 ** 20);
  assert.equal(parseSize('64KiB'), 65536);
  assert.ok(Number.isNaN(parseSize('5X')));
});

test('run: --entry by label, --input to COM1, the user file left unchanged', () => {
  const src = 'cli\n hlt\nmain:\n mov $0x3fd, %dx\n1: in %dx, %al\n test $1, %al\n jz 1b\n mov $0x3f8, %dx\n in %dx, %al\n out %al, $0xe9\n mov $0, %al\n out %al, $0xf4\n';
  withFiles({ 'i.S': src }, (dir) => {
    const file = join(dir, 'i.S');
    const r = run([file, '--entry', 'main', '--input', 'Q', '--boot', 'protected', '--max-instructions', '100000']);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.out, 'Q');
    assert.equal(readFileSync(file, 'utf8'), src);
  });
});

function lvl5Json(): { code: number; report: RunReport; err: string; out: string } {
  const r = run([lvl5Source().file, '--boot', 'long', '--load', '0x100000000', '--json', '--trace', 'modes']);
  return { code: r.code, report: JSON.parse(r.out) as RunReport, err: r.err, out: r.out };
}

test('run --json: the lvl5 trampoline ends in 64-bit mode with 5-level paging after 4 mode switches', () => {
  const { code, report, err } = lvl5Json();
  assert.equal(code, 0, err);
  assert.equal(report.stop.reason, 'halt');
  assert.equal(report.mode, 'long64');
  assert.equal(report.paging, '5-level');
  assert.equal(report.regs.cr4, '0x1020');
  assert.equal(report.regs.cs, '0x10');
  for (const r of ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r15', 'rip', 'rflags', 'ds', 'es', 'fs', 'gs', 'ss', 'cr0', 'cr2', 'cr3', 'efer']) {
    assert.match(report.regs[r], /^0x[0-9a-f]+$/, r);
  }
  assert.match(report.regs.rip, /^0x1000000[0-9a-f]{2}$/); // halted in the kernel above 4 GiB
  assert.equal(report.modeSwitches.length, 4);
  const [first, , , last] = report.modeSwitches;
  assert.deepEqual(first.from, { mode: 'long64', paging: '4-level' });
  assert.deepEqual(first.to, { mode: 'compat32', paging: '4-level' });
  assert.equal(first.via, 'lretq');
  assert.match(first.symbol, /^startup_64\+0x/);
  assert.deepEqual(last.to, { mode: 'long64', paging: '5-level' });
  for (const s of report.modeSwitches) assert.ok(s.instruction > 0 && /^0x[0-9a-f]+$/.test(s.rip));
  assert.ok(report.instructions > 0);
  assert.ok(report.console.length > 0);
  // --trace modes: one line per switch on stderr, even with --json.
  const lines = err.trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^switch: long64 · 4-level → compat32 · 4-level via lretq at startup_64\+0x/);
});

test('run: the lvl5 console goes to stdout without --json, traces to stderr', () => {
  const r = run([lvl5Source().file, '--boot', 'long', '--load', '0x100000000', '--trace', 'modes']);
  assert.equal(r.code, 0, r.err);
  const { report } = lvl5Json();
  assert.equal(r.out, report.console);
  assert.doesNotMatch(r.out, /switch:/);
  assert.equal(r.err.trim().split('\n').filter((l) => l.startsWith('switch: ')).length, 4);
});

test('run --json is deterministic: two runs give identical reports', () => {
  assert.equal(lvl5Json().out, lvl5Json().out);
});

test('run --boot real: the built-in BIOS (int 10h teletype) prints to stdout; --trace insns,cr on stderr', () => {
  withFiles({ 'b.S': 'cli\n mov $0x0e41, %ax\n int $0x10\n mov %cr0, %eax\n mov %eax, %cr0\n hlt\n' }, (dir) => {
    const r = run([join(dir, 'b.S'), '--trace', 'insns,cr']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'A');
    assert.match(r.err, /^insn 0 0x7c00 <0x7c00> cli\ninsn 1 0x7c01 <0x7c01> mov \$0xe41,%ax\n/);
    assert.match(r.err, /\ncr0: 0x60000010 → 0x60000010 via mov at 0x7c09\n/);
  });
});
