// test/asm/errors.test.ts: diagnostics in GAS's words, every error of a file reported in one pass, and
// no exception escaping assemble() whatever the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, formatDiagnostic } from '../../assembler/index';

function diags(src: string): string[] {
  const r = assemble(src, { file: 'e.S' });
  return [...r.errors, ...r.warnings].sort((a, b) => a.line - b.line).map(formatDiagnostic);
}

test('errors are reported with file:line:col in GAS wording, all in one pass', () => {
  const src = [
    '.code64',
    'movq5 %rax',
    'movl %ax, %bx',
    'mov %eax, %bx',
    'add %eax',
    'mov %foo, %eax',
    'foo:',
    'foo:',
    '.bogus',
    'mov (%rax,%rsp), %eax',
    'jmp nowhere',
    '.code32',
    'mov %rax,%rbx',
    'lock nop',
    '.intel_syntax bogus',
  ].join('\n');
  assert.deepEqual(diags(src), [
    "e.S:2:1: error: no such instruction: 'movq5 %rax'",
    "e.S:3:11: error: incorrect register '%bx' used with 'l' suffix",
    "e.S:4:1: error: operand type mismatch for 'mov'",
    "e.S:5:1: error: number of operands mismatch for 'add'",
    "e.S:6:5: error: bad register name '%foo'",
    "e.S:8:1: error: symbol 'foo' is already defined",
    "e.S:9:1: error: unknown pseudo-op: '.bogus'",
    "e.S:10:5: error: '(%rax,%rsp,1)' is not a valid base/index expression",
    "e.S:11:5: error: undefined symbol 'nowhere'",
    "e.S:13:5: error: bad register name '%rax'",
    "e.S:14:1: error: expecting lockable instruction after 'lock'",
    'e.S:15:1: error: bad argument to syntax directive.',
  ]);
});

test('warnings: GAS defaults an unsized memory operand and truncates data values', () => {
  assert.deepEqual(diags('.code16\nincb (%bx)\ninc (%bx)\n.byte 300\n'), [
    "e.S:3:1: warning: no instruction mnemonic suffix given and no register operands; using default for 'inc'",
    'e.S:4:1: warning: value 0x12c truncated to 0x2c',
  ]);
  const r = assemble('.code16\ninc (%bx)\n', { file: 'e.S' });
  assert.deepEqual([...r.sections[0].data], [0xff, 0x07]); // incw (%bx)
});

test('branch targets out of range of rel8-only instructions are errors', () => {
  const r = assemble('.code32\n1: .fill 200, 1, 0x90\nloop 1b\n', { file: 'e.S' });
  assert.deepEqual(r.errors.map((e) => `${e.line}: ${e.message}`), ['3: value of -202 too large for field of 1 byte']);
});

test('assemble never throws, whatever the input', () => {
  const alphabet = ['%', '$', '(', ')', ',', ':', '.', '1', 'f', 'b', 'eax', 'rax', 'mov', 'jmp', '.byte', '"', "'", '\\', '*', '-', '<<', '#', ';', '\n', ' ', 'x', '0x', '.org', '.align', '=', '.set', 'lock', 'rep'];
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let k = 0; k < 2000; k++) {
    let src = '';
    for (let j = rand(30); j > 0; j--) src += alphabet[rand(alphabet.length)] + (rand(3) ? '' : ' ');
    const r = assemble(src, { file: 'f.S' });
    assert.ok(Array.isArray(r.errors));
    for (const e of r.errors) assert.doesNotMatch(e.message, /internal assembler error/, `input ${JSON.stringify(src)}`);
  }
});
