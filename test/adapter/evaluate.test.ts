// evaluate.test.ts: the debugger's expression language on the lvl5 example — registers, bit fields, labels,
// memory reads, conditions and logpoints — checked against what the guest prints about itself, the source,
// the SDM, GCC's evaluation of the same C expressions, and a fuzz run for "never throws".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluate, evaluateCondition, interpolate } from '../../adapter/evaluate';
import { bootSource, label, lvl5, LOAD, PGTABLE, runTo, TRAMPOLINE } from './lvl5Debuggee';
import { StopReason } from '../../emulator/cpu/step';
import type { Debuggee } from '../../adapter/debuggee';
import { rng as mulberry } from '../support/random';

function value(d: Debuggee, text: string): bigint {
  const r = evaluate(d, text);
  if ('error' in r) assert.fail(`${text}: ${r.error}`);
  return r.value;
}

function error(d: Debuggee, text: string): string {
  const r = evaluate(d, text);
  assert.ok('error' in r, `${text} should fail, got ${'error' in r ? '' : r.display}`);
  return r.error;
}

/** The instruction after the source line `text` (the first line of lvl5.S containing it). */
function afterLine(l: ReturnType<typeof lvl5>, text: string): number {
  const line = l.text.split('\n').findIndex((s) => s.includes(text)) + 1;
  assert.ok(line > 0, text);
  const r = l.d.lines.resolve(l.file, line + 1);
  assert.ok(r !== null, `no code after ${text}`);
  return r.addresses[0];
}

/** The values the guest prints: "kernel entered at X, CR4 = Y" and "back in the kernel at X, CR4 = Y". */
function printed(consoleText: string): { entered: bigint; cr4Before: bigint; back: bigint; cr4After: bigint } {
  const m = /kernel entered at (0x[0-9a-f]+), CR4 = (0x[0-9a-f]+)\nback in the kernel at (0x[0-9a-f]+), CR4 = (0x[0-9a-f]+)/.exec(consoleText);
  assert.ok(m, consoleText);
  return { entered: BigInt(m[1]), cr4Before: BigInt(m[2]), back: BigInt(m[3]), cr4After: BigInt(m[4]) };
}

test('registers, bit fields and labels agree with what the guest prints about itself', () => {
  const l = lvl5();
  const { d } = l;
  const cr4Entry = value(d, 'cr4');
  const la57Entry = value(d, 'cr4.la57');
  const startup = value(d, 'startup_64');
  runTo(d, label(d, 'lvl5'));
  const cr4Lvl5 = value(d, '$cr4');
  const la57Lvl5 = value(d, 'CR4.LA57');
  const lvl5Label = value(d, 'lvl5');
  const ripLvl5 = value(d, '%rip');
  // Run to the hlt: the guest has printed its own addresses and CR4 (lvl5.S, puthex of %cr4 and of leaq lvl5(%rip)).
  assert.equal(d.machine.run({ maxInstructions: 100_000 }), StopReason.Halt);
  const p = printed(l.console());
  assert.equal(startup, p.entered);
  assert.equal(startup, BigInt(LOAD));
  assert.equal(cr4Entry, p.cr4Before);
  assert.equal(lvl5Label, p.back);
  assert.equal(ripLvl5, p.back);
  assert.equal(cr4Lvl5, p.cr4After);
  // CR4.LA57 is bit 12 (SDM Vol.3A §2.5): the field is that bit of the value the guest printed.
  assert.equal(la57Entry, (p.cr4Before >> 12n) & 1n);
  assert.equal(la57Lvl5, (p.cr4After >> 12n) & 1n);
  assert.equal(la57Entry, 0n);
  assert.equal(la57Lvl5, 1n);
});

test('narrow register names are the low parts of the wide ones (SDM Vol.1 §3.4.1.1)', () => {
  const { d } = lvl5();
  runTo(d, label(d, 'lvl5'));
  // lvl5.S: `movl $(X86_CR0_PG | X86_CR0_PE), %eax` in the trampoline; a 32-bit MOV zero-extends in
  // 64-bit mode and leaves EAX as is in compatibility mode, RAX's upper half was 0 (movq $0x7c00, %rax).
  assert.equal(value(d, 'rax'), 0x80000001n);
  assert.equal(value(d, 'eax'), 0x80000001n);
  assert.equal(value(d, 'ax'), 0x0001n);
  assert.equal(value(d, 'al'), 0x01n);
  assert.equal(value(d, 'ah'), 0x00n);
  assert.equal(value(d, 'RAX'), 0x80000001n);
  // leaq lvl5(%rip), %rdi before the trampoline; `jmp *%rdi` came back here.
  assert.equal(value(d, 'rdi'), value(d, 'lvl5'));
  assert.equal(value(d, 'edi'), value(d, 'lvl5') & 0xffffffffn);
  assert.equal(value(d, 'di'), value(d, 'lvl5') & 0xffffn);
  assert.equal(value(d, 'dil'), value(d, 'lvl5') & 0xffn);
  assert.equal(value(d, 'r9d'), value(d, 'r9') & 0xffffffffn);
  assert.equal(value(d, 'efer.lma'), 1n);
  assert.equal(value(d, 'cr0.pg'), 1n);
  const r = evaluate(d, 'eax');
  assert.ok(!('error' in r) && r.type === 'u32' && r.display === '0x80000001');
});

test('labels: assembled addresses, @runtime copies, differences of labels', () => {
  const { d } = lvl5();
  // lvl5.S: gdt holds four .quad entries before gdt_end.
  assert.equal(value(d, 'gdt_end - gdt'), 32n);
  assert.equal(value(d, 'lvl5_trampoline@runtime'), BigInt(TRAMPOLINE));
  assert.equal(value(d, 'lvl5_enabled@runtime - lvl5_trampoline@runtime'), value(d, 'lvl5_enabled - lvl5_trampoline'));
  assert.match(error(d, 'lvl5@runtime'), /^label 'lvl5' is in no copied range \(it runs where it was assembled\) at column 1$/);
  assert.match(error(d, 'lvl5@copy'), /unknown suffix '@copy'/);
});

test('memory reads: the PML5 entry the program wrote, sizes, physical reads, default size per mode', () => {
  const l = lvl5();
  const { d } = l;
  // Stop right after `movq %rax, LVL5_PGTABLE` (64-bit mode, 4-level paging still).
  runTo(d, afterLine(l, 'movq\t%rax, LVL5_PGTABLE'));
  const cr3 = BigInt(d.cpu.cr3Lo >>> 0) | (BigInt(d.cpu.cr3Hi >>> 0) << 32n);
  // `leaq 0x7(%rdi), %rax` with %rdi = CR3: the entry is CR3 + 7 (present, writable, user).
  const expected = cr3 + 7n;
  const raw = BigInt(d.machine.phys.read32(PGTABLE) >>> 0) | (BigInt(d.machine.phys.read32(PGTABLE + 4) >>> 0) << 32n);
  assert.equal(raw, expected, 'physical memory holds what the program wrote');
  assert.equal(value(d, `*(u64*)${PGTABLE}`), expected);
  assert.equal(value(d, '*(uint64_t*)0x7000'), expected);
  assert.equal(value(d, 'qword [0x7000]'), expected);
  assert.equal(value(d, 'qword ptr [0x7000 + 0]'), expected);
  assert.equal(value(d, '[0x7000]'), expected, '64-bit mode: [ADDR] is a qword');
  assert.equal(value(d, '*0x7000'), expected);
  assert.equal(value(d, '*(u64*)phys:0x7000'), expected);
  assert.equal(value(d, 'qword [phys:0x7000]'), expected);
  assert.equal(value(d, 'dword [0x7004]'), expected >> 32n);
  assert.equal(value(d, '*(u16*)0x7000'), expected & 0xffffn);
  assert.equal(value(d, 'byte [0x7000]'), expected & 0xffn);
  const r = evaluate(d, '*(u64*)0x7000');
  assert.ok(!('error' in r) && r.memoryReference === '0x7000' && r.type === 'u64');
  // The first instruction, `leaq gdt(%rip), %rax`, is REX.W 8D /r (SDM Vol.2 LEA): 48 8d.
  assert.equal(value(d, 'byte [startup_64]'), 0x48n);
  assert.equal(value(d, 'word [startup_64]'), 0x8d48n);
  assert.equal(value(d, '*(i8*)(startup_64 + 1)'), BigInt.asUintN(64, -0x73n), 'signed reads sign-extend (0x8d)');
  // The same entry read with the default size of compatibility mode: a dword.
  runTo(d, TRAMPOLINE);
  assert.equal(d.mode().mode, 'compat32');
  assert.equal(value(d, '[0x7000]'), expected & 0xffffffffn);
  assert.equal(value(d, 'phys:0x7000'), expected & 0xffffffffn);
  assert.equal(value(d, 'qword [0x7000]'), expected);
  // The kernel's bytes above 4 GiB stay readable from 32-bit code (4-level paging maps 48 bits).
  assert.equal(value(d, 'byte [startup_64]'), 0x48n);
});

test('unreadable memory: non-canonical before the switch, not present after it', () => {
  const { d } = lvl5();
  // 4-level paging: 0x800000000000 has bit 47 set and bits 63:48 clear: not canonical (SDM Vol.1 §3.3.7.1).
  assert.equal(error(d, '*(u64*)0x800000000000'), 'cannot read linear 0x800000000000: not canonical for 48-bit linear addresses at column 1');
  runTo(d, label(d, 'lvl5'));
  // 5-level paging: canonical (57 bits), but the PML5 table has only entry 0, and the PML4 it points to has
  // nothing at index 256.
  assert.match(error(d, '1 + [0x800000000000]'), /^cannot read linear 0x800000000000: .*not present at column 5$/);
  assert.match(error(d, 'qword [0x1000000000000000]'), /not canonical for 57-bit linear addresses at column 1/);
});

test('conditions and logpoint interpolation', () => {
  const l = lvl5();
  const { d } = l;
  runTo(d, TRAMPOLINE);
  // movq $LVL5_TRAMPOLINE, %rax before the lretq; LA57 is still 0.
  assert.equal(evaluateCondition(d, 'rax == 0x7c00'), true);
  assert.equal(evaluateCondition(d, 'rax == 0x7c00 && cr4.la57'), false);
  assert.equal(evaluateCondition(d, 'rax == 0x7c00 && !cr4.la57 && efer.lma'), true);
  assert.deepEqual(evaluateCondition(d, 'rax == '), { error: 'expected a value, found the end of the expression at column 8' });
  // Short-circuit: the right side would fail.
  assert.equal(evaluateCondition(d, '0 && *(u64*)0xffffffffffff'), false);
  runTo(d, label(d, 'lvl5'));
  assert.equal(evaluateCondition(d, 'rip == lvl5 && cr4.la57'), true);
  const line = interpolate(d, 'CR4={cr4:x} at {rip} la57={cr4.la57:d} {{literal}} {nope} rdi-lvl5={rdi - lvl5:d}');
  assert.equal(d.machine.run({ maxInstructions: 100_000 }), StopReason.Halt);
  const p = printed(l.console());
  assert.equal(line, `CR4=0x${p.cr4After.toString(16)} at 0x${p.back.toString(16)} la57=1 {literal} <error: unknown register or symbol 'nope' at column 1> rdi-lvl5=0`);
  assert.equal(interpolate(d, '{msg_back:s}'), 'back in the kernel at ');
  assert.equal(interpolate(d, '{-1:i} {5:b} {0x41:c}'), '-1 0b101 A');
});

test('errors name the problem and the column', () => {
  const { d } = lvl5();
  assert.equal(error(d, 'raxx'), "unknown register or symbol 'raxx' at column 1");
  assert.equal(error(d, 'rax + raxx'), "unknown register or symbol 'raxx' at column 7");
  assert.equal(error(d, '(1 + 2'), "expected ')' to close the '(' at column 1, found the end of the expression at column 7");
  assert.equal(error(d, 'rax / 0'), 'division by zero at column 5');
  assert.equal(error(d, '5 % (rax - rax)'), 'division by zero at column 3');
  assert.match(error(d, 'cr4.bogus'), /^unknown field 'bogus' of cr4 \(fields: .*la57.*\) at column 5$/);
  assert.equal(error(d, '0x'), "bad number '0x' at column 1");
  assert.equal(error(d, '0x10000000000000000'), "number '0x10000000000000000' does not fit in 64 bits at column 1");
  assert.equal(error(d, 'rax = 1'), "'=' is not an operator (assignments are not evaluated; compare with '==') at column 5");
  assert.equal(error(d, '1 2'), "unexpected '2' at column 3");
  assert.equal(error(d, '$nosuch'), "unknown register 'nosuch' at column 1");
  assert.equal(error(d, ''), 'empty expression at column 1');
  assert.equal(error(d, 'rax # x'), "unexpected character '#' at column 5");
  assert.equal(error(d, 'byte [0x7000'), "expected ']' to close the '[' at column 6, found the end of the expression at column 13");
  assert.match(error(d, '('.repeat(1000) + '1' + ')'.repeat(1000)), /nested deeper than 200/);
});

test('numbers, precedence and 64-bit wrap-around as BigInt.asUintN(64) computes them', () => {
  const { d } = lvl5();
  const u = (x: bigint): bigint => BigInt.asUintN(64, x);
  assert.equal(value(d, '0x7c00'), 0x7c00n);
  assert.equal(value(d, '7c00h'), 0x7c00n);
  assert.equal(value(d, '0b1010'), 10n);
  assert.equal(value(d, '1 + 2 * 3'), 7n);
  assert.equal(value(d, '(1 + 2) * 3'), 9n);
  assert.equal(value(d, '1 << 4 + 1'), 32n, '+ binds tighter than <<');
  assert.equal(value(d, '6 & 3 == 3'), 0n, '== binds tighter than &');
  assert.equal(value(d, '0 - 1'), u(-1n));
  assert.equal(value(d, '0xffffffffffffffff + 1'), 0n);
  assert.equal(value(d, '-1 >> 63'), 1n, 'unsigned shift');
  assert.equal(value(d, '1 < -1'), 1n, 'unsigned comparison');
  assert.equal(value(d, '1 << 64'), 0n);
  assert.equal(value(d, '1 << 0xffffffffffffffff'), 0n);
  assert.equal(value(d, '0x123456789abcdef0 * 0x1000'), u(0x123456789abcdef0n * 0x1000n));
  assert.equal(value(d, '(u8)0x1234'), 0x34n);
  assert.equal(value(d, '(i8)0x80'), u(-128n));
  const rnd = mulberry(7);
  for (let k = 0; k < 500; k++) {
    const a = rnd64(rnd), b = rnd64(rnd);
    const ops: [string, (x: bigint, y: bigint) => bigint][] = [
      ['+', (x, y) => x + y], ['-', (x, y) => x - y], ['*', (x, y) => x * y], ['&', (x, y) => x & y], ['|', (x, y) => x | y],
      ['^', (x, y) => x ^ y], ['/', (x, y) => (y === 0n ? -1n : x / y)], ['%', (x, y) => (y === 0n ? -1n : x % y)],
    ];
    for (const [op, f] of ops) {
      if ((op === '/' || op === '%') && b === 0n) continue;
      assert.equal(value(d, `0x${a.toString(16)} ${op} 0x${b.toString(16)}`), u(f(a, b)), `${a} ${op} ${b}`);
    }
    const s = b & 63n;
    assert.equal(value(d, `0x${a.toString(16)} << ${s}`), u(a << s));
    assert.equal(value(d, `0x${a.toString(16)} >> ${s}`), a >> s);
    assert.equal(value(d, `-0x${a.toString(16)}`), u(-a));
    assert.equal(value(d, `~0x${a.toString(16)}`), u(~a));
  }
});

test('random C expressions evaluate as GCC evaluates them on unsigned long long', (t) => {
  if (spawnSync('gcc', ['--version']).status !== 0) return t.skip('gcc not found (CI installs it)');
  const { d } = lvl5();
  const rnd = mulberry(11);
  const exprs: string[] = [];
  for (let k = 0; k < 300; k++) exprs.push(randomExpression(rnd));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tramp-eval-'));
  try {
    const c = path.join(dir, 'e.c');
    writeFileSync(c, '#include <stdio.h>\ntypedef unsigned long long u64;\nint main(void) {\n'
      + exprs.map((e) => `  printf("%llu\\n", (u64)(${e}));\n`).join('') + '  return 0;\n}\n');
    const exe = path.join(dir, 'e');
    const cc = spawnSync('gcc', ['-O0', '-w', '-o', exe, c], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const out = spawnSync(exe, [], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.equal(out.length, exprs.length);
    exprs.forEach((e, k) => assert.equal(value(d, e), BigInt(out[k]), e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: random input never throws, and yields a 64-bit value or an error', () => {
  const { d } = lvl5();
  runTo(d, TRAMPOLINE);
  const rnd = mulberry(3);
  const pieces = ['rax', '$eax', '%al', 'cr4.la57', 'efer.lma', 'rflags.zf', 'lvl5', 'lvl5@runtime', 'gdt', '0x7000', '12', '0b1', '7c00h',
    '+', '-', '*', '/', '%', '<<', '>>', '&', '|', '^', '~', '!', '==', '!=', '<', '<=', '>', '>=', '&&', '||', '(', ')', '[', ']',
    '*(u64*)', '*(u8*)', 'byte', 'qword', 'ptr', 'phys:', ':', '.', '@', '$', '{', '#', '"', ' ', '0x', '(u8)', 'x', '\u00e9', '9'.repeat(30)];
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const n = 1 + Math.floor(rnd() * 12);
    for (let j = 0; j < n; j++) s += rnd() < 0.1 ? String.fromCharCode(Math.floor(rnd() * 128)) : pieces[Math.floor(rnd() * pieces.length)];
    let r;
    try { r = evaluate(d, s); } catch (e) { assert.fail(`${JSON.stringify(s)} threw ${String(e)}`); }
    if ('error' in r) {
      assert.doesNotMatch(r.error, /internal error/, s);
      assert.match(r.error, /column \d+/, s);
    } else {
      assert.ok(r.value >= 0n && r.value < 1n << 64n, s);
    }
    assert.doesNotThrow(() => interpolate(d, `{${s}}`));
    assert.doesNotThrow(() => evaluateCondition(d, s));
  }
});

// ---- helpers --------------------------------------------------------------------------------------------


function rnd64(rnd: () => number): bigint {
  const kind = rnd();
  if (kind < 0.1) return 0n;
  if (kind < 0.2) return BigInt(Math.floor(rnd() * 16));
  if (kind < 0.3) return (1n << 64n) - 1n - BigInt(Math.floor(rnd() * 4));
  return (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
}

/**
 * An unparenthesised chain of binary operators over unsigned long long leaves, valid C without undefined
 * behaviour: shift counts are constants below 64 followed by a looser operator (or the end), divisors are
 * non-zero leaves, and every leaf is cast to u64 so no int arithmetic (signed shifts, overflow) occurs.
 */
function randomExpression(rnd: () => number): string {
  const ops = ['+', '-', '*', '/', '%', '<<', '>>', '&', '|', '^', '==', '!=', '<', '<=', '>', '>=', '&&', '||'];
  const shiftLooser = ['&', '|', '^', '==', '!=', '<', '<=', '>', '>=', '&&', '||'];
  const leaf = (nonZero: boolean): string => {
    let v = rnd64(rnd);
    if (nonZero && v === 0n) v = 3n;
    const c = `(u64)0x${v.toString(16)}`;
    const k = rnd();
    if (nonZero) return c;
    return k < 0.15 ? `-${c}` : k < 0.3 ? `~${c}` : k < 0.4 ? `(u64)!${c}` : c;
  };
  let s = leaf(false);
  const n = 1 + Math.floor(rnd() * 6);
  let afterShift = false;
  for (let k = 0; k < n; k++) {
    const choices = afterShift ? shiftLooser : ops;
    const op = choices[Math.floor(rnd() * choices.length)];
    if (op === '<<' || op === '>>') { s += ` ${op} (u64)${Math.floor(rnd() * 64)}`; afterShift = true; continue; }
    s += ` ${op} ${leaf(op === '/' || op === '%')}`;
    afterShift = false;
  }
  return s;
}

test('far addresses: seg:offset with the segment base (real mode: selector × 16, SDM Vol.3A §20.1.1)', () => {
  const d = bootSource([
    '.code16',
    'start:',
    '  mov $0x07c0, %ax',
    '  mov %ax, %ds',
    '  mov $0x10, %si',
    '  cli',
    '  hlt',
    '.org 0x10',
    'data: .byte 0xab, 0xcd, 0xef, 0x01',
  ].join('\n'), 'real', 0x7c00);
  assert.equal(d.machine.run({ maxInstructions: 100 }), StopReason.Halt);
  assert.equal(d.mode().mode, 'real');
  assert.equal(value(d, 'ds:si'), 0x7c10n);
  assert.equal(value(d, '%ds:%si'), 0x7c10n);
  assert.equal(value(d, '0x07c0:0x0010'), 0x7c10n);
  assert.equal(value(d, 'data'), 0x7c10n, 'the label where the program was loaded');
  assert.equal(value(d, 'byte [ds:si]'), 0xabn);
  assert.equal(value(d, 'word [ds:si + 1]'), 0xefcdn);
  assert.equal(value(d, '[ds:si]'), 0x01efcdabn, 'outside 64-bit mode [ADDR] reads a dword');
  assert.equal(value(d, 'cs:ip'), value(d, '$pc') + value(d, 'cs') * 16n);
  assert.match(error(d, '0x10000:0'), /segment 0x10000 does not fit in 16 bits at column 1/);
});
