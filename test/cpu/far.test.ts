// far.test.ts: protected/IA-32e far transfers, IDT delivery, double/triple fault and SYSCALL/SYSRET, with
// GDT/IDT/TSS built in memory. Expected values come from the SDM (the host cannot run these): the cited
// Operation sections of SDM Vol.2 (RET, INT n, SYSCALL, SYSRET) and Vol.3A §6.14–6.15.
import { writeMsr } from '../../emulator/cpu/msr';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { Reg, Seg } from '../../emulator/cpu/state';
import { cpuMode } from '../../emulator/cpu/modes';

const GDT = 0x1000, IDT = 0x5000, TSS = 0x7000;

/** Descriptor bytes: `attr` in segAttr layout (type/S/DPL/P in bits 7:0, AVL/L/DB/G in bits 15:12). */
function descriptor(base: number, limit: number, attr: number): number[] {
  const lo = (limit & 0xffff) | ((base & 0xffff) << 16);
  const hi = ((base >>> 16) & 0xff) | ((attr & 0xff) << 8) | (limit & 0xf0000) | ((attr & 0xf000) << 8) | (base & 0xff000000);
  return bytes32(lo).concat(bytes32(hi));
}
function bytes32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** 64-bit machine with GDT: 08 64-bit code, 10 32-bit code, 18 data (DPL 0); 20 data DPL3, 28 64-bit code DPL3. */
function longMachine(): Machine {
  const m = flatMachine(64);
  const gdt = [0, 0, 0, 0, 0, 0, 0, 0, ...descriptor(0, 0xfffff, 0xa09b), ...descriptor(0, 0xfffff, 0xc09b), ...descriptor(0, 0xfffff, 0xc093),
    ...descriptor(0, 0xfffff, 0xc0f3), ...descriptor(0, 0xfffff, 0xa0fb)];
  m.load(GDT, Uint8Array.from(gdt));
  const cpu = m.cpu;
  cpu.gdtrBaseLo = GDT;
  cpu.gdtrLimit = gdt.length - 1;
  cpu.segSel[Seg.CS] = 0x08;
  cpu.segAttr[Seg.CS] = 0xa09b;
  for (const s of [Seg.SS, Seg.DS, Seg.ES]) { cpu.segSel[s] = 0x18; cpu.segAttr[s] = 0xc093; }
  cpu.lo[Reg.RSP] = 0x8000;
  m.stateChanged();
  return m;
}

function steps(m: Machine, n: number): StopReason {
  let r = StopReason.None;
  for (let k = 0; k < n; k++) {
    r = m.step();
    if (r !== StopReason.None && r !== StopReason.Limit) break;
  }
  return r;
}

test('lretq from 64-bit mode into a compatibility-mode CS, and lret back into CS.L = 1 (SDM Vol.2 RET, IA-32e mode)', () => {
  const m = longMachine();
  // 64-bit: push 10h; push 3000h; lretq
  m.load(0x2000, Uint8Array.from([0x6a, 0x10, 0x68, 0x00, 0x30, 0x00, 0x00, 0x48, 0xcb]));
  // compat32: push 08h; push 4000h; lret
  m.load(0x3000, Uint8Array.from([0x6a, 0x08, 0x68, 0x00, 0x40, 0x00, 0x00, 0xcb]));
  m.load(0x4000, Uint8Array.from([0x90]));
  m.exec.stopOnException = true;
  const cpu = m.cpu;
  cpu.ripLo = 0x2000;
  m.stateChanged();
  steps(m, 3);
  assert.equal(cpu.segSel[Seg.CS], 0x10);
  assert.equal(cpu.ripLo, 0x3000);
  assert.equal(cpuMode(cpu), 'compat32');
  assert.equal(cpu.lo[Reg.RSP], 0x8000);
  steps(m, 3);
  assert.equal(cpu.segSel[Seg.CS], 0x08);
  assert.equal(cpu.ripLo, 0x4000);
  assert.equal(cpuMode(cpu), 'long64');
  assert.equal(cpu.lo[Reg.RSP], 0x8000);
});

test('far RET to a data segment is #GP(selector) and leaves CS unchanged (SDM Vol.2 RET Protected Mode Exceptions)', () => {
  const m = longMachine();
  m.load(0x2000, Uint8Array.from([0x6a, 0x18, 0x68, 0x00, 0x30, 0x00, 0x00, 0x48, 0xcb]));
  m.exec.stopOnException = true;
  m.cpu.ripLo = 0x2000;
  m.stateChanged();
  assert.equal(steps(m, 3), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.exec.lastException?.errorCode, 0x18);
  assert.equal(m.cpu.segSel[Seg.CS], 0x08, 'CS unchanged');
});

test('IA-32e #GP through a 16-byte IDT gate with IST 1: aligned IST stack, SS:RSP, RFLAGS, CS:RIP, error code (SDM Vol.3A §6.14)', () => {
  const m = longMachine();
  const cpu = m.cpu;
  // Gate for vector 13: offset 6000h, selector 08h, IST 1, type 0Eh (interrupt gate), P.
  const gate = [...bytes32(0x6000 | (0x08 << 16)), ...bytes32(0x8e01), 0, 0, 0, 0, 0, 0, 0, 0];
  m.load(IDT + 13 * 16, Uint8Array.from(gate));
  cpu.idtrBaseLo = IDT; cpu.idtrLimit = 0xfff;
  m.load(TSS + 0x24, Uint8Array.from(bytes32(0x9008))); // IST1 = 9008h: aligned down to 9000h
  cpu.segBaseLo[Seg.TR] = TSS; cpu.segLimit[Seg.TR] = 0x67; cpu.segAttr[Seg.TR] = 0x8b;
  // mov ax, 33h; mov ds, ax → #GP(30h): index beyond the GDT limit.
  m.load(0x2000, Uint8Array.from([0x66, 0xb8, 0x33, 0x00, 0x8e, 0xd8]));
  m.load(0x6000, Uint8Array.from([0x90]));
  cpu.ripLo = 0x2000;
  cpu.flags |= 0x200;
  m.stateChanged();
  steps(m, 2);
  assert.equal(cpu.ripLo, 0x6000);
  assert.equal(cpu.lo[Reg.RSP], 0x9000 - 48);
  const rd = (o: number): number => m.cpu.mem.read32(0x9000 - 48 + o, 0) >>> 0;
  assert.equal(rd(0), 0x30, 'error code');
  assert.equal(rd(8), 0x2004, 'RIP of the faulting MOV');
  assert.equal(rd(16), 0x08, 'CS');
  assert.equal(rd(24) & 0x200, 0x200, 'RFLAGS as before (IF set)');
  assert.equal(rd(32), 0x8000, 'old RSP');
  assert.equal(rd(40), 0x18, 'old SS');
  assert.equal(cpu.flags & 0x200, 0, 'interrupt gate clears IF');
});

test('contributory fault while delivering a contributory fault → #DF; a fault delivering #DF → triple fault with an explanation (SDM Vol.3A Table 6-5)', () => {
  const m = longMachine();
  const cpu = m.cpu;
  cpu.idtrBaseLo = IDT; cpu.idtrLimit = 0; // no usable gate
  m.load(0x2000, Uint8Array.from([0x66, 0xb8, 0x33, 0x00, 0x8e, 0xd8]));
  cpu.ripLo = 0x2000;
  m.stateChanged();
  assert.equal(steps(m, 2), StopReason.TripleFault);
  const why = m.exec.lastException?.detail ?? '';
  assert.match(why, /triple fault/);
  assert.match(why, /#DF/);
  assert.match(why, /#GP\(0x30\)/);
});

test('SYSCALL then SYSRET (REX.W) round trip (SDM Vol.2B SYSCALL/SYSRET Operation)', () => {
  const m = longMachine();
  const cpu = m.cpu;
  cpu.efer |= 1; // SCE
  writeMsr(cpu, 0xc0000081, 0, (0x10 << 16) | 0x08, null); // STAR: SYSCALL CS 08h, SYSRET base 10h
  writeMsr(cpu, 0xc0000082, 0x6000, 0, null); // LSTAR
  writeMsr(cpu, 0xc0000084, 0x200, 0, null); // FMASK: clear IF
  m.load(0x2000, Uint8Array.from([0x0f, 0x05, 0x90]));
  m.load(0x6000, Uint8Array.from([0x48, 0x0f, 0x07]));
  cpu.ripLo = 0x2000;
  cpu.flags |= 0x200;
  m.exec.stopOnException = true;
  m.stateChanged();
  steps(m, 1);
  assert.equal(cpu.ripLo, 0x6000);
  assert.equal(cpu.lo[Reg.RCX], 0x2002);
  assert.equal(cpu.lo[Reg.R11] & 0x200, 0x200);
  assert.equal(cpu.flags & 0x200, 0);
  assert.equal(cpu.segSel[Seg.CS], 0x08);
  assert.equal(cpu.segSel[Seg.SS], 0x10);
  steps(m, 1);
  assert.equal(cpu.ripLo, 0x2002);
  assert.equal(cpu.segSel[Seg.CS], 0x23);
  assert.equal(cpu.segSel[Seg.SS], 0x1b);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpuMode(cpu), 'long64');
  assert.equal(cpu.flags & 0x200, 0x200);
});
