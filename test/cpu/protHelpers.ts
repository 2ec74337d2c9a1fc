// protHelpers.ts: builders shared by the protected-mode control-transfer tests (gates, idt32, iret, tss,
// sysenter, segcheck): descriptor/gate bytes as SDM Vol.3A §3.4.5 (Figure 3-8), §5.8.3 (Figure 5-8, 5-10),
// §6.11 (Figure 6-2), §6.14.1 (Figure 6-8) and §7.2.1 (Figure 7-2) lay them out, and a machine whose GDT,
// IDT and TSS live in guest memory with segment caches matching those descriptors.
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { Reg, Seg } from '../../emulator/cpu/state';
import { EFER_LMA, EFER_LME } from '../../emulator/cpu/modes';

export const GDT = 0x1000, IDT = 0x2000, LDT = 0x3000, TSS = 0x4000, TSS2 = 0x4800, TSS3 = 0x5000;
/** Code runs at CODE; handlers at HANDLER (all below 64 KiB so 16-bit gates reach them). */
export const CODE = 0x8000, HANDLER = 0xe000, TASK2_CODE = 0xf000;
/** Stack tops: the CPL-3 stack, the CPL-0 stack named in the TSS (ESP0/RSP0). */
export const USER_STACK = 0xa000, KERNEL_STACK = 0xc000;

/** segAttr values (descriptor bits 47:40 in 7:0, 55:52 in 15:12). */
export const A_CODE32_0 = 0xc09b, A_DATA32_0 = 0xc093, A_CODE32_3 = 0xc0fb, A_DATA32_3 = 0xc0f3;
export const A_CODE64_0 = 0xa09b, A_CODE64_3 = 0xa0fb;

export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
export function le16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}

/** A segment descriptor (SDM Vol.3A §3.4.5, Figure 3-8); `limit` is the raw 20-bit field. */
export function descriptor(base: number, limit: number, attr: number): number[] {
  const lo = (limit & 0xffff) | ((base & 0xffff) << 16);
  const hi = ((base >>> 16) & 0xff) | ((attr & 0xff) << 8) | (limit & 0xf0000) | ((attr & 0xf000) << 8) | (base & 0xff000000);
  return [...le32(lo), ...le32(hi)];
}

/**
 * A legacy call/interrupt/trap/task gate (SDM Vol.3A Figure 5-8, Figure 6-2): offset 15:0, selector,
 * parameter count (call gates, bits 4:0 of byte 4), type | DPL | P, offset 31:16.
 */
export function gate(offset: number, selector: number, type: number, dpl: number, params = 0, present = true): number[] {
  return [...le16(offset), ...le16(selector), params & 0x1f, type | (dpl << 5) | (present ? 0x80 : 0), ...le16(offset >>> 16)];
}

/** A 16-byte IA-32e gate (SDM Vol.3A Figure 5-10, Figure 6-8); `upperType` is bits 12:8 of the 4th dword. */
export function gate64(offset: number, offsetHi: number, selector: number, type: number, dpl: number, ist = 0, upperType = 0): number[] {
  return [...gate(offset, selector, type, dpl, ist), ...le32(offsetHi), ...le32(upperType << 8)];
}

/** The standard GDT of these tests. Entries past 0x30 are free for each test. */
export const SEL = {
  CODE0: 0x08, DATA0: 0x10, CODE3: 0x1b, DATA3: 0x23, TSS: 0x28, CODE16_0: 0x30,
};

export interface Entry { sel: number; bytes: number[] }

interface Cached { base: number; limit: number; attr: number }

function cacheOf(base: number, limit: number, attr: number): Cached {
  return { base, limit: (attr & 0x8000) !== 0 ? ((limit << 12) | 0xfff) | 0 : limit, attr };
}

/** Writes `bytes` at GDT offset `sel & ~7` and grows GDTR's limit to cover them. */
export function setGdt(m: Machine, sel: number, bytes: number[]): void {
  const at = sel & 0xfff8;
  m.load(GDT + at, Uint8Array.from(bytes));
  const end = at + bytes.length - 1;
  if (end > m.cpu.gdtrLimit) m.cpu.gdtrLimit = end;
}

export function setIdt(m: Machine, vector: number, bytes: number[]): void {
  m.load(IDT + vector * bytes.length, Uint8Array.from(bytes));
}

export function w32(m: Machine, at: number, v: number): void {
  m.load(at, Uint8Array.from(le32(v)));
}
export function w16(m: Machine, at: number, v: number): void {
  m.load(at, Uint8Array.from(le16(v)));
}
export function r32(m: Machine, at: number): number {
  return m.cpu.mem.read32(at, 0) >>> 0;
}
export function r16(m: Machine, at: number): number {
  return m.cpu.mem.read16(at, 0) & 0xffff;
}
export function r8(m: Machine, at: number): number {
  return m.cpu.mem.read8(at, 0) & 0xff;
}

/** Loads segment register `seg` as if from the descriptor given (selector, base, raw limit, attr). */
export function setSeg(m: Machine, seg: number, sel: number, base: number, limit: number, attr: number): void {
  const c = cacheOf(base, limit, attr);
  m.cpu.segSel[seg] = sel;
  m.cpu.segBaseLo[seg] = c.base;
  m.cpu.segBaseHi[seg] = 0;
  m.cpu.segLimit[seg] = c.limit;
  m.cpu.segAttr[seg] = c.attr;
}

/**
 * 32-bit protected mode, paging off, at CPL `cpl` (0 or 3) running `code` at CODE. GDT: 08 code DPL 0,
 * 10 data DPL 0, 18 code DPL 3, 20 data DPL 3 (flat, 4 GiB), 28 32-bit TSS at TSS (SS0:ESP0 =
 * 10:KERNEL_STACK), 30 16-bit code DPL 0 (limit FFFFH). IDTR = IDT, limit 7FFH (empty gates).
 * Faults stop the run so tests see them (stopOnException).
 */
export function pm32(code: number[], cpl: 0 | 3 = 0): Machine {
  const m = flatMachine(32);
  const cpu = m.cpu;
  cpu.gdtrBaseLo = GDT;
  cpu.gdtrLimit = 7;
  setGdt(m, 0, [0, 0, 0, 0, 0, 0, 0, 0]);
  setGdt(m, SEL.CODE0, descriptor(0, 0xfffff, A_CODE32_0));
  setGdt(m, SEL.DATA0, descriptor(0, 0xfffff, A_DATA32_0));
  setGdt(m, SEL.CODE3, descriptor(0, 0xfffff, A_CODE32_3));
  setGdt(m, SEL.DATA3, descriptor(0, 0xfffff, A_DATA32_3));
  setGdt(m, SEL.TSS, descriptor(TSS, 0x67, 0x89)); // 32-bit TSS, available (SDM Vol.3A §7.2.2)
  setGdt(m, SEL.CODE16_0, descriptor(0, 0xffff, 0x009b));
  w32(m, TSS + 4, KERNEL_STACK); // ESP0
  w16(m, TSS + 8, SEL.DATA0); // SS0
  cpu.idtrBaseLo = IDT;
  cpu.idtrLimit = 0x7ff;
  if (cpl === 0) {
    setSeg(m, Seg.CS, SEL.CODE0, 0, 0xfffff, A_CODE32_0);
    for (const s of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) setSeg(m, s, SEL.DATA0, 0, 0xfffff, A_DATA32_0);
    cpu.lo[Reg.RSP] = KERNEL_STACK - 0x400;
  } else {
    setSeg(m, Seg.CS, SEL.CODE3, 0, 0xfffff, A_CODE32_3);
    for (const s of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) setSeg(m, s, SEL.DATA3, 0, 0xfffff, A_DATA32_3);
    cpu.lo[Reg.RSP] = USER_STACK;
  }
  setSeg(m, Seg.TR, SEL.TSS, TSS, 0x67, 0x8b); // TR holds a busy TSS
  setGdt(m, SEL.TSS, descriptor(TSS, 0x67, 0x8b));
  cpu.segSel[Seg.LDTR] = 0;
  cpu.segAttr[Seg.LDTR] = 0;
  m.load(CODE, Uint8Array.from([...code, 0xf4]));
  cpu.ripLo = CODE;
  m.stateChanged();
  m.exec.stopOnException = true;
  return m;
}

/**
 * IA-32e mode (64-bit code, paging off as test/support/flat.ts explains) at CPL `cpl`. GDT: 08 64-bit code
 * DPL 0, 10 data DPL 0, 18 64-bit code DPL 3, 20 data DPL 3, 28 (16 bytes) 64-bit TSS with RSP0 =
 * KERNEL_STACK, 38 32-bit code DPL 3 (compatibility mode). IDTR = IDT (16-byte gates), limit FFFH.
 */
export function long64(code: number[], cpl: 0 | 3 = 0): Machine {
  const m = flatMachine(64);
  const cpu = m.cpu;
  cpu.efer |= EFER_LME | EFER_LMA;
  cpu.gdtrBaseLo = GDT;
  cpu.gdtrLimit = 7;
  setGdt(m, 0, [0, 0, 0, 0, 0, 0, 0, 0]);
  setGdt(m, SEL.CODE0, descriptor(0, 0xfffff, A_CODE64_0));
  setGdt(m, SEL.DATA0, descriptor(0, 0xfffff, A_DATA32_0));
  setGdt(m, SEL.CODE3, descriptor(0, 0xfffff, A_CODE64_3));
  setGdt(m, SEL.DATA3, descriptor(0, 0xfffff, A_DATA32_3));
  setGdt(m, SEL.TSS, [...descriptor(TSS, 0x67, 0x8b), 0, 0, 0, 0, 0, 0, 0, 0]);
  setGdt(m, 0x38, descriptor(0, 0xfffff, A_CODE32_3));
  w32(m, TSS + 4, KERNEL_STACK); // RSP0 (SDM Vol.3A Figure 7-11)
  w32(m, TSS + 8, 0);
  cpu.idtrBaseLo = IDT;
  cpu.idtrLimit = 0xfff;
  if (cpl === 0) {
    setSeg(m, Seg.CS, SEL.CODE0, 0, 0xfffff, A_CODE64_0);
    for (const s of [Seg.SS, Seg.DS, Seg.ES]) setSeg(m, s, SEL.DATA0, 0, 0xfffff, A_DATA32_0);
    cpu.lo[Reg.RSP] = KERNEL_STACK - 0x400;
  } else {
    setSeg(m, Seg.CS, SEL.CODE3, 0, 0xfffff, A_CODE64_3);
    for (const s of [Seg.SS, Seg.DS, Seg.ES]) setSeg(m, s, SEL.DATA3, 0, 0xfffff, A_DATA32_3);
    cpu.lo[Reg.RSP] = USER_STACK;
  }
  setSeg(m, Seg.TR, SEL.TSS, TSS, 0x67, 0x8b);
  m.load(CODE, Uint8Array.from([...code, 0xf4]));
  cpu.ripLo = CODE;
  m.stateChanged();
  m.exec.stopOnException = true;
  return m;
}

/**
 * Runs until HLT; fails on any other exception. HLT at CPL > 0 is #GP(0) (SDM Vol.2 HLT); that fault at
 * an F4 byte counts as the end marker too, and RIP is then moved past it as a HLT would leave it.
 */
export function runToHlt(m: Machine, max = 200): void {
  const r = m.run({ maxInstructions: max });
  if (r === StopReason.Exception) {
    const e = m.exec.lastException!;
    const cpu = m.cpu;
    const base = cpu.long64 ? 0 : cpu.segBaseLo[Seg.CS];
    if (e.vector === 13 && e.errorCode === 0 && cpu.cpl > 0 && cpu.mem.read8((base + e.ripLo) | 0, 0) === 0xf4) {
      cpu.ripLo = (cpu.ripLo + 1) | 0;
      return;
    }
  }
  if (r === StopReason.Exception) {
    const e = m.exec.lastException!;
    assert.fail(`unexpected exception ${e.vector}(${e.errorCode.toString(16)}) at ${e.ripLo.toString(16)}: ${e.detail}`);
  }
  assert.equal(r, StopReason.Halt, `run ended with ${r}`);
}

/** Continues after a HLT at `rip` (the processor leaves the halt state as on an interrupt). */
export function resumeAt(m: Machine, rip: number): void {
  m.cpu.halted = false;
  m.cpu.attention = 0;
  m.cpu.ripLo = rip;
  m.stateChanged();
}

/** Runs exactly n instructions, none of which may fault. */
export function runSteps(m: Machine, n: number): void {
  const r = m.run({ maxInstructions: n });
  if (r === StopReason.Exception) {
    const e = m.exec.lastException!;
    assert.fail(`unexpected exception ${e.vector}(${e.errorCode.toString(16)}) at ${e.ripLo.toString(16)}: ${e.detail}`);
  }
}

/** Runs and expects exception `vector` with `errorCode`, raised by the instruction at `rip` when given. */
export function expectFault(m: Machine, vector: number, errorCode: number, rip?: number, max = 200): void {
  const r = m.run({ maxInstructions: max });
  assert.equal(r, StopReason.Exception, `expected vector ${vector}, run ended with ${r}`);
  const e = m.exec.lastException!;
  assert.equal(e.vector, vector, `vector (${e.detail})`);
  assert.equal(e.errorCode, errorCode, `error code 0x${e.errorCode.toString(16)} (${e.detail})`);
  if (rip !== undefined) assert.equal(e.ripLo >>> 0, rip, 'faulting instruction');
}

// Instruction bytes (32-bit code unless noted).
export const callFar = (sel: number, off = 0): number[] => [0x9a, ...le32(off), ...le16(sel)];
export const jmpFar = (sel: number, off = 0): number[] => [0xea, ...le32(off), ...le16(sel)];
/** CALL FAR m16:64 through [rax] is awkward to assemble; 64-bit code calls gates with FF /3 [rip+0]. */
export const callFarMem64 = (sel: number, off = 0): number[] => [0x48, 0xff, 0x1d, 0x02, 0, 0, 0, 0xeb, 0x0a, ...le32(off), 0, 0, 0, 0, ...le16(sel)];
export const movAx = (v: number): number[] => [0x66, 0xb8, ...le16(v)];
export const movDsAx = [0x8e, 0xd8];
export const movEsAx = [0x8e, 0xc0];
export const pushImm32 = (v: number): number[] => [0x68, ...le32(v)];
export const movEax = (v: number): number[] => [0xb8, ...le32(v)];
export const HLT = [0xf4];

/** Fields of a 32-bit TSS (SDM Vol.3A §7.2.1, Figure 7-2). */
export interface Tss32 {
  link?: number; esp0?: number; ss0?: number; cr3?: number; eip: number; eflags?: number;
  eax?: number; ecx?: number; edx?: number; ebx?: number; esp: number; ebp?: number; esi?: number; edi?: number;
  es?: number; cs: number; ss: number; ds?: number; fs?: number; gs?: number; ldt?: number;
}

export const TSS_OFF = {
  link: 0x00, esp0: 0x04, ss0: 0x08, cr3: 0x1c, eip: 0x20, eflags: 0x24, eax: 0x28, ecx: 0x2c, edx: 0x30, ebx: 0x34,
  esp: 0x38, ebp: 0x3c, esi: 0x40, edi: 0x44, es: 0x48, cs: 0x4c, ss: 0x50, ds: 0x54, fs: 0x58, gs: 0x5c, ldt: 0x60,
} as const;

/** Writes a complete 104-byte 32-bit TSS at `base` (unnamed fields 0, EFLAGS 2 by default). */
export function writeTss32(m: Machine, base: number, t: Tss32): void {
  m.load(base, new Uint8Array(0x68));
  const v: Record<string, number | undefined> = { ...t, eflags: t.eflags ?? 2 };
  for (const [k, off] of Object.entries(TSS_OFF)) {
    const x = v[k];
    if (x === undefined) continue;
    if (off >= 0x48 || k === 'link' || k === 'ss0') w16(m, base + off, x);
    else w32(m, base + off, x);
  }
}
