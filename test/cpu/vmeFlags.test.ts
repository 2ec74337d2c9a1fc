// vmeFlags.test.ts: PUSHF, POPF and IRET in virtual-8086 mode under CR4.VME with IOPL < 3 (the FLAGS image
// carries VIF in the IF position; TF, and IF while VIP is set, are #GP(0)), INT n through the protected-
// mode IDT (Table 20-2 method 4), and external interrupts, which the redirection bit map never affects.
// QEMU 7.2 (TCG) does not implement CR4.VME, so the expected values come from the SDM: Vol.2 PUSHF and
// POPF Operation (the "Virtual-8086 Mode with IOPL less than 3" branches), Vol.3A §20.3 (§22.3 in 2024+
// editions); for IRET see exec/far.ts iretVme.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { Reg, Seg } from '../../emulator/cpu/state';
import { CR4_VME } from '../../emulator/cpu/controlRegs';
import { EFLAGS_VM } from '../../emulator/cpu/modes';
import { deliverInterrupt } from '../../emulator/cpu/interrupts';
import { IDT, KERNEL_STACK, SEL, TSS, gate, pm32, r16, r32 } from './protHelpers';

const ORG = 0x7c00, SP = 0x7000;
const CF = 1, TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, NT = 1 << 14, IOPL3 = 3 << 12, VIF = 1 << 19, VIP = 1 << 20;
const PUSHF = 0x9c, POPF = 0x9d, IRET = 0xcf, O32 = 0x66;

/** Virtual-8086 mode at 0000:7C00, SS:SP = 0000:7000, with `flags` (VM added) and CR4 bits `cr4`. */
function v86(code: number[], flags: number, cr4: number): Machine {
  const m = flatMachine(32);
  m.load(ORG, Uint8Array.from(code));
  const cpu = m.cpu;
  for (let s = 0; s < 6; s++) { cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segLimit[s] = 0xffff; cpu.segAttr[s] = s === Seg.CS ? 0xfb : 0xf3; }
  cpu.ripLo = ORG;
  cpu.lo[Reg.RSP] = SP;
  cpu.flags = 2 | EFLAGS_VM | flags;
  cpu.cr4 |= cr4;
  m.stateChanged();
  m.exec.stopOnException = true;
  return m;
}

/** Puts 16-bit words on the stack at SS:SP (the first word at SP). */
function stackWords(m: Machine, words: number[]): void {
  const b = new Uint8Array(words.length * 2);
  words.forEach((w, k) => { b[2 * k] = w & 0xff; b[2 * k + 1] = (w >> 8) & 0xff; });
  m.phys.writeBytes(SP, b);
}

function step(m: Machine): StopReason {
  return m.run({ maxInstructions: 1 });
}

function expectGp0(m: Machine, why: string): void {
  assert.equal(step(m), StopReason.Exception, why);
  assert.equal(m.exec.lastException?.vector, 13, why);
  assert.equal(m.exec.lastException?.errorCode, 0, why);
  assert.equal(m.cpu.ripLo, ORG, `${why}: a fault, RIP on the instruction`);
}

test('VME, IOPL 0: PUSHF pushes FLAGS with VIF in the IF position and IOPL = 3 (SDM Vol.2 PUSHF Operation, "Virtual-8086 Mode with IOPL less than 3")', () => {
  const m = v86([PUSHF], VIF | CF | DF, CR4_VME);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, SP - 2);
  assert.equal(r16(m, SP - 2), 2 | CF | DF | IF | IOPL3, 'IF from VIF (IF itself is 0), IOPL 3');
  const n = v86([PUSHF], IF | CF, CR4_VME);
  assert.equal(step(n), StopReason.Limit);
  assert.equal(r16(n, SP - 2), 2 | CF | IOPL3, 'IF 1 but VIF 0: the image has IF 0');
});

test('VME, IOPL 0: PUSHFD (32-bit operand) is #GP(0); without CR4.VME PUSHF is #GP(0) (SDM Vol.2 PUSHF Operation)', () => {
  expectGp0(v86([O32, PUSHF], VIF, CR4_VME), 'PUSHFD');
  expectGp0(v86([PUSHF], VIF, 0), 'PUSHF without VME');
});

test('VME, IOPL 0: POPF sets VIF from the image\'s IF and loads the other FLAGS bits, IF and IOPL unchanged (SDM Vol.2 POPF Operation)', () => {
  const m = v86([POPF], 0, CR4_VME);
  stackWords(m, [IF | IOPL3 | CF | DF | NT]);
  assert.equal(step(m), StopReason.Limit);
  const f = m.cpu.flags;
  assert.equal(f & VIF, VIF, 'VIF ← image IF');
  assert.equal(f & (IF | IOPL3), 0, 'IF and IOPL keep their values');
  assert.equal(f & (CF | DF | NT), CF | DF | NT);
  assert.equal(f & EFLAGS_VM, EFLAGS_VM);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, SP + 2);
  // The reverse: the image's IF 0 clears VIF, and IF = 1 stays 1.
  const n = v86([POPF], IF | VIF, CR4_VME);
  stackWords(n, [0]);
  assert.equal(step(n), StopReason.Limit);
  assert.equal(n.cpu.flags & (IF | VIF), IF);
});

test('VME, IOPL 0: POPF is #GP(0) when the image sets TF, or sets IF while VIP = 1; IF = 0 with VIP = 1 is allowed (SDM Vol.2 POPF Operation)', () => {
  const tf = v86([POPF], 0, CR4_VME);
  stackWords(tf, [TF]);
  expectGp0(tf, 'image TF = 1');
  assert.equal(tf.cpu.lo[Reg.RSP] & 0xffff, SP, 'nothing popped');
  const vip = v86([POPF], VIP, CR4_VME);
  stackWords(vip, [IF]);
  expectGp0(vip, 'image IF = 1 with VIP = 1');
  assert.equal(vip.cpu.flags & VIF, 0);
  const ok = v86([POPF], VIP | VIF, CR4_VME);
  stackWords(ok, [CF]);
  assert.equal(step(ok), StopReason.Limit);
  assert.equal(ok.cpu.flags & (VIF | VIP | CF), VIP | CF, 'VIF ← 0, VIP unchanged');
});

test('VME, IOPL 0: POPFD is #GP(0); without CR4.VME POPF is #GP(0) (SDM Vol.2 POPF Operation: "(Operandsize = 32) OR (CR4.VME = 0)")', () => {
  const d = v86([O32, POPF], 0, CR4_VME);
  stackWords(d, [0, 0]);
  expectGp0(d, 'POPFD');
  const n = v86([POPF], 0, 0);
  stackWords(n, [0]);
  expectGp0(n, 'POPF without VME');
});

test('VME, IOPL 0: a 16-bit IRET pops IP, CS, FLAGS; VIF ← the image\'s IF, IF and IOPL unchanged (SDM Vol.3A §2.3 IF; Vol.2 POPF\'s VME rule, see far.ts iretVme)', () => {
  const m = v86([IRET], IF, CR4_VME);
  stackWords(m, [0x0034, 0x1234, IF | IOPL3 | CF | NT]);
  assert.equal(step(m), StopReason.Limit);
  const cpu = m.cpu;
  assert.equal(cpu.segSel[Seg.CS], 0x1234);
  assert.equal(cpu.segBaseLo[Seg.CS], 0x12340);
  assert.equal(cpu.ripLo, 0x34);
  assert.equal(cpu.lo[Reg.RSP] & 0xffff, SP + 6);
  assert.equal(cpu.flags & (VIF | IF | IOPL3 | CF | NT | EFLAGS_VM), VIF | IF | CF | NT | EFLAGS_VM);
  // The image's IF 0 clears VIF and leaves IF = 0 as it was.
  const n = v86([IRET], VIF, CR4_VME);
  stackWords(n, [0x0034, 0x1234, CF]);
  assert.equal(step(n), StopReason.Limit);
  assert.equal(n.cpu.flags & (VIF | IF | CF), CF);
});

test('VME, IOPL 0: IRET is #GP(0) when the FLAGS image sets TF, or IF while VIP = 1; IRETD, and IRET without VME, are #GP(0) (SDM Vol.2 IRET RETURN-FROM-VIRTUAL-8086-MODE)', () => {
  const tf = v86([IRET], 0, CR4_VME);
  stackWords(tf, [0x34, 0x1234, TF]);
  expectGp0(tf, 'image TF = 1');
  assert.equal(tf.cpu.segSel[Seg.CS], 0, 'CS unchanged');
  const vip = v86([IRET], VIP, CR4_VME);
  stackWords(vip, [0x34, 0x1234, IF]);
  expectGp0(vip, 'image IF = 1 with VIP = 1');
  const d = v86([O32, IRET], 0, CR4_VME);
  stackWords(d, [0x34, 0, 0x1234, 0, 0, 0]);
  expectGp0(d, 'IRETD');
  const n = v86([IRET], 0, 0);
  stackWords(n, [0x34, 0x1234, 0]);
  expectGp0(n, 'IRET without VME');
});

test('Virtual-8086 mode, IOPL 3: IRET loads IF from the image and leaves VIF alone, CR4.VME or not (SDM Vol.2 IRET, IOPL = 3 branch)', () => {
  const m = v86([IRET], IOPL3 | VIF, CR4_VME);
  stackWords(m, [0x34, 0x1234, IF]);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.flags & (IF | VIF | IOPL3), IF | VIF | IOPL3, 'IOPL not loaded (image has 0)');
});

/**
 * Virtual-8086 mode inside the protected-mode setup of protHelpers (GDT, IDT, TSS with SS0:ESP0), the
 * TSS limit grown to hold the interrupt redirection bit map at TSS + 0x68 (I/O map base 0x88), all bits 0.
 */
function v86InPm(code: number[], flags: number): Machine {
  const m = pm32([]);
  const cpu = m.cpu;
  m.load(ORG, Uint8Array.from(code));
  for (let s = 0; s < 6; s++) { cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segLimit[s] = 0xffff; cpu.segAttr[s] = s === Seg.CS ? 0xfb : 0xf3; }
  cpu.ripLo = ORG;
  cpu.lo[Reg.RSP] = SP;
  cpu.flags = 2 | EFLAGS_VM | flags;
  cpu.cr4 |= CR4_VME;
  cpu.segLimit[Seg.TR] = 0x88;
  m.phys.writeBytes(TSS + 102, Uint8Array.from([0x88, 0]));
  m.phys.writeBytes(TSS + 0x68, new Uint8Array(32));
  m.stateChanged();
  return m;
}

test('VME, IOPL 3: INT n whose redirection bit is 1 goes through the protected-mode IDT (SDM Vol.3A §20.3.3.3, Table 20-2 method 4)', () => {
  const m = v86InPm([0xcd, 0x21], IOPL3 | IF);
  m.phys.writeBytes(TSS + 0x68 + (0x21 >> 3), Uint8Array.from([1 << (0x21 & 7)]));
  // The IDT has no gate for 21H: reaching it shows as #GP(21H × 8 + 2) — the 8086 IVT would not fault.
  assert.equal(step(m), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.exec.lastException?.errorCode, 0x21 * 8 + 2);
});

test('VME, IOPL 0: an external interrupt goes through the protected-mode IDT whatever VIF and the redirection bit map; the frame holds VM = 1 and VIF (SDM Vol.3A §20.3.2 steps 1–2, §20.3.3 NOTE)', () => {
  const m = v86InPm([0x90], IF); // VIF = 0: the 8086 program has virtually disabled interrupts
  const cpu = m.cpu;
  const HANDLER0 = 0xe000;
  m.phys.writeBytes(IDT + 0x30 * 8, Uint8Array.from(gate(HANDLER0, SEL.CODE0, 0xe, 0)));
  assert.equal(deliverInterrupt(cpu, 0x30, true), null);
  assert.equal(cpu.ripLo, HANDLER0);
  assert.equal(cpu.segSel[Seg.CS], SEL.CODE0);
  assert.equal(cpu.flags & (EFLAGS_VM | IF), 0, 'protected mode, IF cleared by the interrupt gate');
  // SDM Vol.2 INT n, INTERRUPT-FROM-VIRTUAL-8086-MODE: GS FS DS ES SS ESP EFLAGS CS EIP on the ring-0 stack.
  const esp = cpu.lo[Reg.RSP] >>> 0;
  assert.equal(esp, KERNEL_STACK - 36);
  assert.equal(r32(m, esp), ORG, 'EIP');
  assert.equal(r32(m, esp + 4), 0, 'CS');
  assert.equal(r32(m, esp + 8) & (EFLAGS_VM | IF | VIF), EFLAGS_VM | IF, 'EFLAGS image: VM 1, IF 1, VIF 0');
  assert.equal(r32(m, esp + 12), SP, 'ESP');
});
