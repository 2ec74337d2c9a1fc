// test/asm/systemSuffix.test.ts: system instructions with an explicit size suffix (lgdtl, lidtl, sgdtw,
// ljmpl, lcalll, lretl, iretl, sysretq, lmsww…) in each code size against GNU as: the suffix selects an
// operand-size prefix or REX.W where GAS puts one, and GAS's refusals (jmpl label, sysexitl) are ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareLines } from './differential';
import { gasMissing } from './gas';

const missing = gasMissing();

const LEGACY = [
  'lgdtl (%bx)', 'lgdtw (%bx)', 'lidtl (%bx)', 'lidtw (%bx)', 'sgdtl (%bx)', 'sgdtw (%bx)', 'sidtl (%bx)', 'sidtw (%bx)',
  'lgdt (%bx)', 'lgdtl (%esi)', 'lidtw 8(%ebp)', 'lgdtl gdt_desc', 'lidtl 0x1000', 'lgdtq (%bx)',
  'sldtw (%bx)', 'sldtl %eax', 'sldtw %ax', 'strw (%bx)', 'strl %eax', 'smswl %eax', 'smsww (%bx)',
  'lldtw (%bx)', 'lldt %ax', 'lldtl %eax', 'ltrw (%bx)', 'lmsww (%bx)', 'lmswl %eax', 'verrw (%bx)', 'verww (%bx)', 'verrl %eax',
  'iretl', 'iretw', 'pushfl', 'popfl', 'pushfw', 'pushal', 'popal', 'pushaw', 'retl', 'retw',
  'lretl', 'lretw', 'lret', 'lretl $4', 'ljmpl $8,$0x1000', 'ljmpw $8,$0x1000', 'lcalll $8,$0x1000', 'lcallw $8,$0x1000',
  'ljmpl *(%bx)', 'ljmpw *(%bx)', 'lcalll *(%bx)', 'lcallw *(%bx)', 'calll *(%bx)', 'callw *(%bx)', 'jmpl *(%bx)', 'jmpw *(%bx)',
  'lssl (%bx), %esp', 'lssw (%bx), %sp', 'lesl (%bx), %eax', 'ldsw (%bx), %ax', 'lfsl (%bx), %eax',
  'enterl $4, $0', 'enterw $4, $0', 'leavel', 'leavew', 'sysretl', 'sysretq', 'sysexitl', 'sysexit',
  'callw 1b', 'calll 1b', 'jmpw 1b', 'jmpl 1b',
];

const LONG = [
  'lgdtq (%rbx)', 'lgdt (%rbx)', 'lidtq (%rbx)', 'sgdtq (%rbx)', 'sidtq (%rbx)', 'lgdtl (%rbx)', 'lgdtw (%rbx)',
  'sldtw (%rbx)', 'sldtq %rax', 'sldt %rax', 'str %rax', 'strq %rax', 'strw (%rbx)', 'smsww (%rbx)', 'smswq %rax', 'smsw %rax',
  'lldtw (%rbx)', 'lldtw %ax', 'ltrw (%rbx)', 'lmsww (%rbx)', 'lmsww %ax', 'verrw (%rbx)', 'verww %ax',
  'sysretl', 'sysretq', 'sysexitl', 'sysexitq', 'iretq', 'iretl', 'lretq', 'lretl', 'ljmpl *(%rbx)', 'lcallw *(%rbx)',
  'jmpq 1b', 'jmpl 1b', 'callq 1b', 'pushq %fs', 'pushw %fs',
];

for (const mode of [16, 32, 64] as const) {
  test(`system instructions with size suffixes match GNU as in .code${mode}`, { skip: missing ?? false }, (t) => {
    const r = compareLines(`gdt_desc = 0x500\n.code${mode}\n1:\n`, mode === 64 ? LONG : LEGACY);
    t.diagnostic(`.code${mode}: ${r.passed}/${r.total} identical; GNU as rejects ${r.gasRejected.length}`);
    assert.ok(r.total > (mode === 64 ? 30 : 60), `GNU as accepted only ${r.total} lines`);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.gasRejected.filter((x) => !x.oursRejects).map((x) => x.line), [], 'lines GNU as rejects but ours accepts');
  });
}
