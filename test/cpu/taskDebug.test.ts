// taskDebug.test.ts: what a task switch does to debugging — DR7's local enables L0–L3 are cleared (so an
// instruction breakpoint enabled with L0 no longer fires in the new task, one enabled with G0 does), and a
// TSS whose T flag is set makes the switch end in a #DB trap with DR6.BT. Expected values from SDM Vol.3B
// §17.2.4 (DR7 L0–L3 "automatically cleared by the processor with every task switch"), §17.3.1.5 (task-
// switch exception condition), §17.2.3 (DR6.BT) and Vol.3A §7.2.1 (the T flag, bit 0 of TSS byte 64H).
// QEMU agrees on L0–L3 (test/boot/tss16.S reads DR7 back after its task switches); QEMU 7.2 reads the T
// flag but raises no #DB for it, so the T cases are SDM-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { StopReason } from '../../emulator/cpu/step';
import { Machine } from '../../emulator/machine';
import {
  CODE, HANDLER, IDT, SEL, TASK2_CODE, TSS, TSS2, callFar, descriptor, gate, jmpFar, le32, pm32, r32, runToHlt, setGdt,
  w16, writeTss32,
} from './protHelpers';

const TSS2_SEL = 0x48;
const DR6_BT = 1 << 15, DR6_B0 = 1;
const movDr0Eax = [0x0f, 0x23, 0xc0], movDr7Eax = [0x0f, 0x23, 0xf8];
const movEax = (v: number): number[] => [0xb8, ...le32(v)];

/** Protected mode at CPL 0 running `code`, with a second 32-bit TSS (selector 48H) whose task runs `task2`. */
function tasks(code: number[], task2: number[], t2Trap = false): Machine {
  const m = pm32(code);
  setGdt(m, TSS2_SEL, descriptor(TSS2, 0x67, 0x89));
  writeTss32(m, TSS2, { eip: TASK2_CODE, eax: 0xaaaa, esp: 0xb000, cs: SEL.CODE0, ss: SEL.DATA0, ds: SEL.DATA0, es: SEL.DATA0 });
  if (t2Trap) w16(m, TSS2 + 0x64, 1);
  m.load(TASK2_CODE, Uint8Array.from(task2));
  m.stateChanged();
  return m;
}

/** DR0 ← TASK2_CODE, DR7 ← dr7, then JMP to the second task. */
const breakThenJump = (dr7: number): number[] => [
  ...movEax(TASK2_CODE), ...movDr0Eax, ...movEax(dr7), ...movDr7Eax, ...jmpFar(TSS2_SEL),
];

test('A task switch clears DR7.L0: an instruction breakpoint on the new task\'s first instruction enabled by L0 does not fire (SDM Vol.3B §17.2.4)', () => {
  const m = tasks(breakThenJump(0x401), [0x90, 0xf4]);
  runToHlt(m);
  assert.equal(m.cpu.segSel[Seg.TR], TSS2_SEL);
  assert.equal(m.cpu.ripLo, TASK2_CODE + 2, 'ran NOP and HLT');
  assert.equal(m.cpu.drLo[7], 0x400, 'L0 cleared (bit 10 reads 1)');
});

test('A task switch keeps DR7.G0: the same breakpoint enabled by G0 is a #DB fault before the new task\'s first instruction (SDM Vol.3B §17.2.4, §17.3.1.1)', () => {
  const m = tasks(breakThenJump(0x402), [0x90, 0xf4]);
  assert.equal(m.run({ maxInstructions: 50 }), StopReason.Exception);
  const e = m.exec.lastException!;
  assert.equal(e.vector, 1);
  assert.equal(e.ripLo >>> 0, TASK2_CODE);
  assert.equal(m.cpu.drLo[6] & DR6_B0, DR6_B0);
  assert.equal(m.cpu.drLo[7], 0x402);
});

test('JMP to a TSS with T = 1: the switch completes, then #DB with DR6.BT before the new task\'s first instruction (SDM Vol.3B §17.3.1.5)', () => {
  const m = tasks(jmpFar(TSS2_SEL), [0x90, 0xf4], true);
  assert.equal(m.run({ maxInstructions: 50 }), StopReason.Exception);
  const e = m.exec.lastException!;
  assert.equal(e.vector, 1);
  assert.equal(e.ripLo >>> 0, TASK2_CODE, 'a trap at the new task\'s EIP: nothing of the new task ran');
  assert.equal(m.cpu.segSel[Seg.TR], TSS2_SEL, 'the switch completed');
  assert.equal(m.cpu.lo[Reg.RAX], 0xaaaa, 'the new task\'s registers');
  assert.equal(m.cpu.drLo[6] & (DR6_BT | 0xf), DR6_BT);
});

test('Without T the same switch raises no #DB; T is per TSS: IRET back to a task whose TSS has T = 1 traps too (SDM Vol.3A §7.2.1, Vol.3B §17.3.1.5)', () => {
  const plain = tasks(jmpFar(TSS2_SEL), [0x90, 0xf4]);
  runToHlt(plain);
  assert.equal(plain.cpu.drLo[6] & DR6_BT, 0);
  // CALL to task 2 (T = 0), whose IRETD (NT = 1) returns to the main task, whose TSS has T = 1.
  const back = tasks([...callFar(TSS2_SEL), 0x90, 0xf4], [0xcf]);
  w16(back, TSS + 0x64, 1);
  assert.equal(back.run({ maxInstructions: 50 }), StopReason.Exception);
  const e = back.exec.lastException!;
  assert.equal(e.vector, 1);
  assert.equal(e.ripLo >>> 0, CODE + 7, 'after the CALL, in the main task');
  assert.equal(back.cpu.segSel[Seg.TR], SEL.TSS);
  assert.equal(back.cpu.drLo[6] & DR6_BT, DR6_BT);
});

test('An exception delivered through a task gate to a TSS with T = 1: the new task is entered, then #DB with DR6.BT before its first instruction (SDM Vol.3B §17.3.1.5; Vol.3A §6.12.2)', () => {
  // UD2 in the main task; IDT[6] is a task gate to the second task (T = 1); IDT[1] an interrupt gate to
  // HANDLER, which halts.
  const m = tasks([0x0f, 0x0b], [0x90, 0xf4], true);
  m.exec.stopOnException = false;
  m.phys.writeBytes(IDT + 6 * 8, Uint8Array.from(gate(0, TSS2_SEL, 0x5, 0)));
  m.phys.writeBytes(IDT + 1 * 8, Uint8Array.from(gate(HANDLER, SEL.CODE0, 0xe, 0)));
  m.load(HANDLER, Uint8Array.from([0xf4]));
  assert.equal(m.run({ maxInstructions: 50 }), StopReason.Halt);
  const cpu = m.cpu;
  assert.equal(cpu.ripLo, HANDLER + 1, 'the #DB handler ran');
  assert.equal(cpu.segSel[Seg.TR], TSS2_SEL, 'in the task the #UD switched to');
  assert.equal(r32(m, 0xb000 - 12), TASK2_CODE, 'the #DB frame\'s EIP: the new task\'s first instruction');
  assert.equal(cpu.drLo[6] & DR6_BT, DR6_BT);
});
