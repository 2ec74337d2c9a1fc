// test/asm/api.test.ts: the result of assemble(): sections at their load address, symbol values,
// the address ↔ line table, and the flat binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, flatBinary } from '../../assembler/index';

const SRC = `
        .code16
        .globl start
start:  jmp main
        .set COUNT, 3 + 2 | 4   # GAS: | binds tighter than + (GAS manual "Infix Operators"): 3 + 6
msg:    .ascii "hi"
main:   movw $msg, %si
        hlt
        .data
value:  .long start, COUNT
        .bss
buf:    .skip 16
`;

test('sections are laid out from the origin, .data after .text, .bss taking no bytes', () => {
  const r = assemble(SRC, { file: 'boot.S', origin: 0x7c00 });
  assert.deepEqual(r.errors, []);
  const [text, data, bss] = r.sections;
  assert.equal(text.name, '.text');
  assert.equal(text.address, 0x7c00);
  assert.deepEqual([...text.data], [0xeb, 0x02, 0x68, 0x69, 0xbe, 0x02, 0x7c, 0xf4]);
  assert.equal(data.address, 0x7c08);
  assert.deepEqual([...data.data], [0x00, 0x7c, 0, 0, 9, 0, 0, 0]);
  assert.equal(bss.nobits, true);
  assert.equal(bss.size, 16);
  assert.equal(bss.data.length, 0);
  assert.deepEqual([...flatBinary(r.sections)], [...text.data, ...data.data]);
});

test('symbols carry their values, sections and attributes', () => {
  const r = assemble(SRC, { file: 'boot.S', origin: 0x7c00 });
  const sym = (n: string) => r.symbols.find((s) => s.name === n);
  assert.deepEqual({ ...sym('start') }, { name: 'start', value: 0x7c00, section: '.text', global: true, weak: false, hidden: false, type: '', size: null, file: 'boot.S', line: 4 });
  assert.equal(sym('COUNT')?.value, 9);
  assert.equal(sym('COUNT')?.section, null);
  assert.equal(sym('main')?.value, 0x7c04);
  assert.equal(sym('buf')?.value, 0x7c10);
});

test('the line table maps addresses to source lines', () => {
  const r = assemble(SRC, { file: 'boot.S', origin: 0x7c00 });
  const text = r.lines.filter((l) => l.address < 0x7c08).map((l) => [l.address, l.size, l.line, l.insn]);
  assert.deepEqual(text, [[0x7c00, 2, 4, true], [0x7c02, 2, 6, false], [0x7c04, 3, 7, true], [0x7c07, 1, 8, true]]);
});
