// codeSize.test.ts: Executor.codeSizeAt — the code size the code at a physical address was last decoded
// with, for "disassemble in the mode this code last ran in". The reference is the program's own
// .code16/.code32/.code64 directives along the SDM's mode-switch sequence (Vol.3A §10.9.1: CR0.PE and a
// far jump to a 32-bit CS; §10.8.5: PAE, LME, PG, then a far jump to a CS with L = 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realGuest } from '../machine/support';
import { Tables } from '../mmu/tables';
import { mapAll, run, StopReason } from './support';

const SRC = `
start16:
  cli
  lgdt gdtr
  mov %cr0, %eax
  or $1, %eax
  mov %eax, %cr0
  ljmp $0x08, $start32
.code32
start32:
  mov $0x10, %ax
mid32:
  mov %ax, %ds
  mov %ax, %ss
  mov %cr4, %eax
  or $0x20, %eax
  mov %eax, %cr4
  mov $0x200000, %eax
  mov %eax, %cr3
  mov $0xc0000080, %ecx
  rdmsr
  or $0x100, %eax
  wrmsr
  mov %cr0, %eax
  or $0x80000000, %eax
  mov %eax, %cr0
  ljmp $0x18, $start64
.code64
start64:
  nop
  hlt
.align 8
gdt:
  .quad 0
  .quad 0x00cf9a000000ffff
  .quad 0x00cf92000000ffff
  .quad 0x00af9a000000ffff
gdtr:
  .word 31
  .long gdt
`;

test('codeSizeAt follows a 16 → 32 → 64-bit program and survives a code-cache flush', () => {
  const g = realGuest(SRC);
  const tables = new Tables(g.m, 0x200000);
  const root = tables.alloc();
  assert.equal(root, 0x200000); // the CR3 value the program loads
  mapAll(tables, root, []);
  assert.equal(g.m.exec.codeSizeAt(g.sym('start16')), null); // nothing decoded yet
  assert.equal(run(g), StopReason.Halt);
  const exec = g.m.exec;
  const expect = (): void => {
    assert.equal(exec.codeSizeAt(g.sym('start16')), 16);
    assert.equal(exec.codeSizeAt(g.sym('start32')), 32);
    assert.equal(exec.codeSizeAt(g.sym('mid32')), 32); // inside a block: its start's size
    assert.equal(exec.codeSizeAt(g.sym('start64')), 64);
    assert.equal(exec.codeSizeAt(0x300000), null);
  };
  expect();
  exec.addBreakpoint(0x1234, 0); // clears the code cache
  expect();
});
