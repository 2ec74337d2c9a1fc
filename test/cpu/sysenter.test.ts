// sysenter.test.ts: SYSENTER/SYSEXIT in 32-bit protected mode and in IA-32e mode, SYSCALL/SYSRET in 64-bit
// mode including the compatibility-mode return, and their #GP/#UD rules. MSRs are written with writeMsr
// as WRMSR would. Expected values from the Operation and Exceptions sections of SDM Vol.2B SYSENTER,
// SYSEXIT, SYSCALL and SYSRET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeMsr } from '../../emulator/cpu/msr';
import { Reg, Seg } from '../../emulator/cpu/state';
import { cpuMode } from '../../emulator/cpu/modes';
import { Machine } from '../../emulator/machine';
import { flatMachine } from '../support/flat';
import {
  CODE, HANDLER, KERNEL_STACK, SEL, USER_STACK, expectFault, long64, pm32, resumeAt, runToHlt,
} from './protHelpers';

const IF = 0x200, RF = 0x10000, VM = 0x20000, CF = 1, DF = 0x400;
const SYSENTER_CS = 0x174, SYSENTER_ESP = 0x175, SYSENTER_EIP = 0x176;
const STAR = 0xc0000081, LSTAR = 0xc0000082, FMASK = 0xc0000084;
const SYSENTER = [0x0f, 0x34], SYSEXIT = [0x0f, 0x35], SYSCALL = [0x0f, 0x05], SYSRET = [0x0f, 0x07];
/** Bits of segAttr that the architecture defines (type, S, DPL, P, AVL, L, D/B, G). */
const ATTR_BITS = 0xf0ff;

function sysenterMsrs(m: Machine, espHi = 0, eipHi = 0): void {
  writeMsr(m.cpu, SYSENTER_CS, SEL.CODE0, 0, null);
  writeMsr(m.cpu, SYSENTER_ESP, KERNEL_STACK, espHi, null);
  writeMsr(m.cpu, SYSENTER_EIP, HANDLER, eipHi, null);
}

test('SYSENTER from CPL 3 (32-bit): CS = SYSENTER_CS, SS = +8 as flat CPL-0 segments, ESP/EIP from the MSRs, IF/RF/VM cleared (SDM Vol.2B SYSENTER Operation)', () => {
  const m = pm32([...SYSENTER], 3);
  sysenterMsrs(m, 0x5, 0x6); // bits 63:32 are not used outside IA-32e mode
  m.load(HANDLER, Uint8Array.from([0xf4]));
  const cpu = m.cpu;
  cpu.flags |= IF | RF | CF;
  runToHlt(m);
  assert.equal(cpu.ripLo, HANDLER + 1);
  assert.equal(cpu.ripHi, 0);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, KERNEL_STACK);
  assert.equal(cpu.hi[Reg.RSP], 0);
  assert.equal(cpu.cpl, 0);
  assert.equal(cpu.segSel[Seg.CS], 0x08);
  assert.equal(cpu.segSel[Seg.SS], 0x10);
  assert.equal(cpu.segBaseLo[Seg.CS], 0);
  assert.equal(cpu.segLimit[Seg.CS] >>> 0, 0xffffffff);
  assert.equal(cpu.segAttr[Seg.CS] & ATTR_BITS, 0xc09b, 'type 11, S, DPL 0, P, D = 1, G = 1');
  assert.equal(cpu.segAttr[Seg.SS] & ATTR_BITS, 0xc093, 'type 3, S, DPL 0, P, B = 1, G = 1');
  assert.equal(cpu.flags & (IF | RF | VM), 0);
  assert.equal(cpu.flags & CF, CF, 'other flags kept');
  assert.equal(cpuMode(cpu), 'protected32');
});

test('SYSEXIT (32-bit): CS = SYSENTER_CS + 16 | 3, SS = + 24 | 3, ESP ← ECX, EIP ← EDX, CPL 3 (SDM Vol.2B SYSEXIT Operation)', () => {
  const m = pm32([...SYSENTER], 3);
  sysenterMsrs(m);
  // mov ecx, USER_STACK - 16; mov edx, CODE + 2; sysexit
  m.load(HANDLER, Uint8Array.from([0xb9, 0xf0, 0x9f, 0, 0, 0xba, 0x02, 0x80, 0, 0, ...SYSEXIT]));
  m.load(CODE + 2, Uint8Array.from([0xf4]));
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpu.ripLo, CODE + 3);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.CS], 0x1b);
  assert.equal(cpu.segSel[Seg.SS], 0x23);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK - 16);
  assert.equal(cpu.segAttr[Seg.CS] & ATTR_BITS, 0xc0fb);
  assert.equal(cpu.segAttr[Seg.SS] & ATTR_BITS, 0xc0f3);
  assert.equal(cpuMode(cpu), 'protected32');
});

test('SYSENTER faults: SYSENTER_CS[15:2] = 0 → #GP(0); in real-address mode → #GP(0) (SDM Vol.2B SYSENTER Exceptions)', () => {
  const m = pm32([...SYSENTER], 3);
  sysenterMsrs(m);
  writeMsr(m.cpu, SYSENTER_CS, 3, 0, null);
  expectFault(m, 13, 0, CODE);
  const r = flatMachine(16);
  writeMsr(r.cpu, SYSENTER_CS, SEL.CODE0, 0, null);
  r.load(0x7c00, Uint8Array.from(SYSENTER));
  r.cpu.ripLo = 0x7c00;
  r.stateChanged();
  r.exec.stopOnException = true;
  expectFault(r, 13, 0, 0x7c00);
});

test('SYSEXIT at CPL 3 → #GP(0); with SYSENTER_CS[15:2] = 0 → #GP(0) (SDM Vol.2B SYSEXIT Exceptions)', () => {
  const m = pm32([...SYSEXIT], 3);
  sysenterMsrs(m);
  expectFault(m, 13, 0, CODE);
  const z = pm32([...SYSEXIT], 0);
  expectFault(z, 13, 0, CODE);
});

test('IA-32e: SYSENTER from compatibility mode enters 64-bit mode with the full RSP/RIP from the MSRs; REX.W SYSEXIT returns to 64-bit mode with CS = SYSENTER_CS + 32 | 3 (SDM Vol.2B SYSENTER/SYSEXIT)', () => {
  const m = long64([], 3);
  const cpu = m.cpu;
  // Start in compatibility mode at CPL 3 (GDT 38h: 32-bit code DPL 3).
  cpu.segSel[Seg.CS] = 0x3b; cpu.segAttr[Seg.CS] = 0xc0fb;
  m.load(CODE, Uint8Array.from([...SYSENTER]));
  sysenterMsrs(m, 0x7, 0);
  // 64-bit handler: mov rcx, imm64; mov rdx, CODE + 0x10; rex.w sysexit
  m.load(HANDLER, Uint8Array.from([0xf4, 0x48, 0xb9, 0x00, 0x90, 0, 0, 0x34, 0x12, 0, 0, 0x48, 0xc7, 0xc2, 0x10, 0x80, 0, 0, 0x48, ...SYSEXIT]));
  m.load(CODE + 0x10, Uint8Array.from([0xf4]));
  m.stateChanged();
  runToHlt(m);
  assert.equal(cpuMode(cpu), 'long64');
  assert.equal(cpu.cpl, 0);
  assert.equal(cpu.segSel[Seg.CS], 0x08);
  assert.equal(cpu.segAttr[Seg.CS] & ATTR_BITS, 0xa09b, 'CS.L = 1, CS.D = 0');
  assert.equal(cpu.lo[Reg.RSP] >>> 0, KERNEL_STACK);
  assert.equal(cpu.hi[Reg.RSP], 0x7, 'RSP bits 63:32 from IA32_SYSENTER_ESP');
  resumeAt(m, HANDLER + 1);
  runToHlt(m);
  assert.equal(cpuMode(cpu), 'long64');
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.CS], 0x2b);
  assert.equal(cpu.segSel[Seg.SS], 0x33);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, 0x9000);
  assert.equal(cpu.hi[Reg.RSP], 0x1234);
  assert.equal(cpu.ripLo, CODE + 0x11);
});

test('IA-32e: SYSEXIT without REX.W returns to compatibility mode with CS = SYSENTER_CS + 16 | 3 and ESP/EIP zero-extended (SDM Vol.2B SYSEXIT)', () => {
  const m = long64([...SYSENTER], 3);
  sysenterMsrs(m);
  // mov rcx, 1_0000_9000h; mov edx, CODE + 0x20; sysexit
  m.load(HANDLER, Uint8Array.from([0x48, 0xb9, 0x00, 0x90, 0, 0, 0x01, 0, 0, 0, 0xba, 0x20, 0x80, 0, 0, ...SYSEXIT]));
  m.load(CODE + 0x20, Uint8Array.from([0xf4]));
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpuMode(cpu), 'compat32');
  assert.equal(cpu.segSel[Seg.CS], 0x1b);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, 0x9000);
  assert.equal(cpu.hi[Reg.RSP], 0, 'RSP ← ECX');
  assert.equal(cpu.ripLo, CODE + 0x21);
});

test('IA-32e: REX.W SYSEXIT with a non-canonical RDX → #GP(0) (SDM Vol.2B SYSEXIT 64-Bit Mode Exceptions)', () => {
  // mov rdx, 8000_0000_0000_0000h; rex.w sysexit
  const m = long64([0x48, 0xba, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x48, ...SYSEXIT], 0);
  sysenterMsrs(m);
  expectFault(m, 13, 0, CODE + 10);
});

function syscallMsrs(m: Machine): void {
  m.cpu.efer |= 1; // SCE
  writeMsr(m.cpu, STAR, 0, (0x38 << 16) | SEL.CODE0, null); // SYSCALL CS 08h; SYSRET base 38h
  writeMsr(m.cpu, LSTAR, HANDLER, 0, null);
  writeMsr(m.cpu, FMASK, IF | DF, 0, null);
}

test('SYSCALL from 64-bit CPL 3: RCX = next RIP, R11 = RFLAGS, RIP = LSTAR, RFLAGS &= ~FMASK, CS = STAR[47:32], SS = +8 (SDM Vol.2B SYSCALL)', () => {
  const m = long64([...SYSCALL], 3);
  syscallMsrs(m);
  m.load(HANDLER, Uint8Array.from([0xf4]));
  const cpu = m.cpu;
  cpu.flags |= IF | DF | CF;
  runToHlt(m);
  assert.equal(cpu.ripLo, HANDLER + 1);
  assert.equal(cpu.lo[Reg.RCX], CODE + 2);
  assert.equal(cpu.lo[Reg.R11] & (IF | DF | CF), IF | DF | CF);
  assert.equal(cpu.flags & (IF | DF), 0);
  assert.equal(cpu.flags & CF, CF);
  assert.equal(cpu.segSel[Seg.CS], 0x08);
  assert.equal(cpu.segSel[Seg.SS], 0x10);
  assert.equal(cpu.segAttr[Seg.CS] & ATTR_BITS, 0xa09b, 'CS.L = 1');
  assert.equal(cpu.cpl, 0);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK, 'RSP not changed');
});

test('SYSRET without REX.W: to compatibility mode, CS = STAR[63:48] | 3, SS = +8 | 3, EIP = ECX, RFLAGS = R11 & 3C7FD7H | 2 (SDM Vol.2B SYSRET)', () => {
  // mov rcx, 5_0000_8020h; mov r11d, 3FFFFFh (all of bits 21:0); sysret
  const m = long64([0x48, 0xb9, 0x20, 0x80, 0, 0, 0x05, 0, 0, 0, 0x41, 0xbb, 0xff, 0xff, 0x3f, 0, ...SYSRET], 0);
  syscallMsrs(m);
  m.load(CODE + 0x20, Uint8Array.from([0xf4]));
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpuMode(cpu), 'compat32');
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.CS], 0x3b);
  assert.equal(cpu.segSel[Seg.SS], 0x43);
  assert.equal(cpu.ripLo, CODE + 0x21);
  assert.equal(cpu.ripHi, 0);
  assert.equal(cpu.flags & ~RF, (0x3fffff & 0x3c7fd7) | 2);
});

test('SYSCALL in compatibility mode or with EFER.SCE = 0 → #UD; SYSRET at CPL 3 → #GP(0); REX.W SYSRET to a non-canonical RCX → #GP(0) (SDM Vol.2B SYSCALL/SYSRET Exceptions)', () => {
  const c = long64([...SYSCALL], 3);
  syscallMsrs(c);
  c.cpu.segSel[Seg.CS] = 0x3b; c.cpu.segAttr[Seg.CS] = 0xc0fb;
  c.stateChanged();
  expectFault(c, 6, -1, CODE);
  const s = long64([...SYSCALL], 3);
  expectFault(s, 6, -1, CODE);
  const g = long64([0x48, ...SYSRET], 3);
  syscallMsrs(g);
  expectFault(g, 13, 0, CODE);
  const n = long64([0x48, 0xb9, 0, 0, 0, 0, 0, 0x80, 0, 0, 0x48, ...SYSRET], 0);
  syscallMsrs(n);
  expectFault(n, 13, 0, CODE + 10);
});
