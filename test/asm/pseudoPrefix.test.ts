// test/asm/pseudoPrefix.test.ts: GAS 2.40's pseudo-prefixes (GAS manual §9.16.5) against GNU as in each code
// size: {load}/{store} pick the direction of a register-to-register encoding, {disp8}/{disp32}/{disp16}
// the displacement (and branch) size, {rex} a REX byte, {vex}/{vex2}/{vex3}/{nooptimize} change nothing
// for our table; and the combinations GNU as refuses ({disp32} with 16-bit addressing…) are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareLines } from './differential';
import { gasMissing } from './gas';

const missing = gasMissing();

const COMMON = [
  '{load} mov %eax, %ebx', '{store} mov %eax, %ebx', '{load} add %eax, %ebx', '{store} add %eax, %ebx', '{load} movb %al, %bl',
  '{load} sub %al, %bl', '{load} adc %eax, %ebx', '{load} sbb %eax, %ebx', '{load} and %eax, %ebx', '{load} or %eax, %ebx',
  '{load} xor %eax, %eax', '{store} xor %eax, %eax', '{load} cmp %eax, %ebx', '{load} test %eax, %ebx', '{store} test %eax, %ebx',
  '{load} xchg %eax, %ebx', '{load} mov (%ebx), %eax', '{load} mov %ax, %bx', '{store} movw %ax, %bx',
  '{disp8} mov (%ebx), %eax', '{disp32} mov (%ebx), %eax', '{disp32} mov 4(%ebx), %eax', '{disp8} mov 0x1000(%ebx), %eax',
  '{disp32} mov (%ebp), %eax', '{disp8} mov (%ebp), %eax', '{disp32} lea (%eax,%ebx), %eax', '{disp8} lea 0x10(%ebx), %eax',
  '{disp32} mov (%bx), %ax', '{disp8} mov (%bx), %ax', '{disp16} mov (%bx), %ax', '{disp16} mov 4(%bx), %ax', '{disp16} mov (%eax), %ax',
  '{disp32} jmp 1b', '{disp8} jmp 1b', '{disp32} jz 1b', '{disp16} jmp 1b', '{disp16} jz 1b', '{disp32} call 1b',
  '{disp16} nop', '{disp32} nop', '{load} nop', '{vex3} andn %eax, %ebx, %ecx', '{vex} andn %eax, %ebx, %ecx',
  '{vex2} andn %eax, %ebx, %ecx', '{nooptimize} mov $1, %eax', '{load} {disp32} mov (%ebx), %eax',
];

const LONG = [
  '{load} mov %rax, %rbx', '{load} mov (%rax), %ebx', '{disp8} mov (%rax), %ebx', '{disp32} mov (%rax), %ebx', '{disp32} mov (%r13), %eax',
  '{disp8} mov (%r12,%rcx,2), %eax', '{rex} mov %eax, %ebx', '{rex} movb %al, %bl', '{rex} nop', '{load} mov %cr0, %rax',
  '{disp32} mov 0x10(%rip), %eax', '{nooptimize} mov $1, %rax', '{disp32} jmp 1b',
];

for (const mode of [16, 32, 64] as const) {
  test(`pseudo-prefixes match GNU as in .code${mode}`, { skip: missing ?? false }, (t) => {
    const r = compareLines(`.code${mode}\n1: nop\n`, mode === 64 ? [...COMMON, ...LONG] : COMMON);
    t.diagnostic(`.code${mode}: ${r.passed}/${r.total} identical; GNU as rejects ${r.gasRejected.length}`);
    assert.ok(r.total > 30);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.gasRejected.filter((x) => !x.oursRejects).map((x) => x.line), [], 'lines GNU as rejects but ours accepts');
  });
}

test('pseudo-prefixes in Intel syntax match GNU as', { skip: missing ?? false }, () => {
  const r = compareLines('.intel_syntax noprefix\n.code64\n1: nop\n', ['{load} mov eax, ebx', '{store} add ebx, eax', '{disp32} mov eax, [rbx]',
    '{disp8} mov eax, dword ptr [rbx]', '{disp32} jmp 1b', '{rex} mov eax, ebx']);
  assert.equal(r.total, 6);
  assert.deepEqual(r.failures, []);
});
