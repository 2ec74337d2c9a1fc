// rfImage.test.ts: the RF bit of the EFLAGS image an external interrupt pushes (SDM Vol.3B §17.3.1.1,
// "When calling an event handler"): 1 when it arrives after an iteration of a repeated string instruction
// that has iterations left, the current RF (0 here) when it arrives between instructions — including after
// the last iteration. test/boot/rfrep.S covers the traps (TF, data breakpoints) and faults against QEMU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { MAX_ITER } from '../../emulator/cpu/exec/string';
import { deliverInterrupt } from '../../emulator/cpu/interrupts';
import { CODE, HANDLER, IDT, SEL, gate, le32, pm32, r32 } from './protHelpers';

const RF = 1 << 16;
const REP_STOSB = [0xf3, 0xaa];
const movEcx = (v: number): number[] => [0xb9, ...le32(v)];
const movEdi = (v: number): number[] => [0xbf, ...le32(v)];
const BUF = 0x100000;

/** 32-bit protected mode at CPL 0 with an interrupt gate for vector 30H to HANDLER. */
function machine(count: number) {
  const m = pm32([...movEcx(count), ...movEdi(BUF), ...REP_STOSB, 0x90]);
  m.phys.writeBytes(IDT + 0x30 * 8, Uint8Array.from(gate(HANDLER, SEL.CODE0, 0xe, 0)));
  return m;
}

test('An external interrupt between iterations of REP STOSB (ECX left) pushes RF = 1 and returns to the REP instruction (SDM Vol.3B §17.3.1.1)', () => {
  const m = machine(MAX_ITER + 5);
  const cpu = m.cpu;
  m.run({ maxInstructions: 3 }); // MOV, MOV, then REP STOSB stops after MAX_ITER iterations to look around
  assert.equal(cpu.ripLo, CODE + 10, 'still on the REP instruction');
  assert.equal(cpu.lo[Reg.RCX], 5, 'iterations left');
  assert.equal(cpu.flags & RF, 0, 'EFLAGS.RF itself is 0');
  assert.equal(deliverInterrupt(cpu, 0x30, true), null);
  const esp = cpu.lo[Reg.RSP] >>> 0;
  assert.equal(r32(m, esp), CODE + 10, 'EIP: the REP instruction, to resume it');
  assert.equal(r32(m, esp + 8) & RF, RF, 'RF 1 in the image');
  assert.equal(cpu.flags & RF, 0);
});

test('An external interrupt after the last iteration, or between ordinary instructions, pushes RF as it is: 0 (SDM Vol.3B §17.3.1.1)', () => {
  const m = machine(3);
  const cpu = m.cpu;
  m.run({ maxInstructions: 3 });
  assert.equal(cpu.ripLo, CODE + 12, 'past the REP instruction');
  assert.equal(cpu.lo[Reg.RCX], 0);
  assert.equal(deliverInterrupt(cpu, 0x30, true), null);
  assert.equal(r32(m, (cpu.lo[Reg.RSP] >>> 0) + 8) & RF, 0);
  // After an interrupted REP has been resumed to its end, a later interrupt pushes 0 again.
  const n = machine(MAX_ITER + 5);
  n.run({ maxInstructions: 3 });
  n.run({ maxInstructions: 1 });
  assert.equal(n.cpu.lo[Reg.RCX], 0);
  assert.equal(n.cpu.ripLo, CODE + 12);
  assert.equal(deliverInterrupt(n.cpu, 0x30, true), null);
  assert.equal(r32(n, (n.cpu.lo[Reg.RSP] >>> 0) + 8) & RF, 0);
});
