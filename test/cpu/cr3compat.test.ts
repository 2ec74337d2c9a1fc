// cr3compat.test.ts: MOV to CR3 in compatibility mode reads EAX only, whatever bits 63:32 of RAX hold
// (SDM Vol.2B MOV—Move to/from Control Registers: outside 64-bit mode the operand size is 32 bits; and
// Vol.1 §3.4.1.1: compatibility mode sees only the low 32 bits of each general-purpose register). The
// boot program test/boot/cr3from32.S cannot check this on QEMU 7.2, whose TCG loads all of RAX here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { CR0_PG, CR4_PAE, EFER_LMA, EFER_LME, cpuMode } from '../../emulator/cpu/modes';
import { MOV_CR3_EAX, MOV_EAX_CR3, PML4, machine, runOk } from './controlHelpers';

test('compatibility-mode MOV CR3, EAX ignores RAX[63:32]; MOV EAX, CR3 reads the low half (SDM Vol.2B MOV CR)', () => {
  const m = machine(32, [...MOV_CR3_EAX, ...MOV_EAX_CR3], (cpu) => {
    cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; cpu.efer = EFER_LME | EFER_LMA;
    // RAX as 64-bit code could leave it (a 32-bit MOV to EAX would clear the high half).
    cpu.lo[Reg.RAX] = PML4; cpu.hi[Reg.RAX] = 0xdeadbeef | 0;
    cpu.cr3Lo = PML4;
  });
  assert.equal(cpuMode(m.cpu), 'compat32');
  runOk(m);
  assert.equal(m.cpu.cr3Lo >>> 0, PML4);
  assert.equal(m.cpu.cr3Hi, 0, 'bits 63:32 of CR3 clear');
  assert.equal(m.cpu.lo[Reg.RAX] >>> 0, PML4);
});
