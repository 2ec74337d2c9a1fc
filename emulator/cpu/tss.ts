// tss.ts: the task-state segment — inner-level stacks for privilege changes (SDM Vol.3A §7.2.1, §7.7)
// and the task switch of JMP/CALL/IRET/interrupts through task gates and TSS descriptors (§7.3), to and
// from 32-bit and 16-bit (80286-format, §7.6) TSSs, with its debug side effects: DR7 L0–L3 cleared and
// the T flag's #DB (SDM Vol.3B §17.2.4, §17.3.1.5).
import { Vector, raise } from './fault';
import { materialize } from './flags';
import { LazyOp } from './lazyOp';
import { CR0_PG, EFLAGS_VM } from './modes';
import {
  ATTR_P, ATTR_S, SYS_LDT, TYPE_CODE, TYPE_CONFORMING, TYPE_READABLE, TYPE_WRITABLE,
  desc, markAccessed, setCache, setCpl, setNull, tryReadDescriptor,
} from './segment';
import { ATTN_IRQ, ATTN_MODE, ATTN_TRACE, Cpu, Seg } from './state';
import { taskSwitchTrap } from './debugRegs';

const CR0_TS = 1 << 3;
export const FLAG_NT = 1 << 14;

/** The stack read from the TSS by tssStack/tssStack64: selector and pointer. */
export const stk = { ss: 0, spLo: 0, spHi: 0 };

/** True when TR holds a 32-bit (or, in IA-32e mode, 64-bit) TSS rather than a 16-bit one. */
function tss32(cpu: Cpu): boolean {
  return (cpu.segAttr[Seg.TR] & 8) !== 0;
}

/**
 * SSn:ESPn for privilege level `dpl` from the current legacy TSS (SDM Vol.2 CALL "MORE-PRIVILEGE", INT n
 * "INTER-PRIVILEGE-LEVEL-INTERRUPT"): 32-bit TSS at (dpl << 3) + 4, 16-bit TSS at (dpl << 2) + 2;
 * #TS(current TSS selector) when those bytes exceed the TSS limit. `ext` is the EXT bit of error codes.
 */
export function tssStack(cpu: Cpu, dpl: number, ext: number): void {
  const base = cpu.segBaseLo[Seg.TR], limit = cpu.segLimit[Seg.TR] >>> 0;
  if (tss32(cpu)) {
    const at = (dpl << 3) + 4;
    if (at + 5 > limit) raise(Vector.TS, (cpu.segSel[Seg.TR] & 0xfffc) | ext, 'TSS too small for the inner stack pointer');
    stk.spLo = cpu.mem.readSystem((base + at) | 0, 0, 4);
    stk.ss = cpu.mem.readSystem((base + at + 4) | 0, 0, 2);
  } else {
    const at = (dpl << 2) + 2;
    if (at + 3 > limit) raise(Vector.TS, (cpu.segSel[Seg.TR] & 0xfffc) | ext, 'TSS too small for the inner stack pointer');
    stk.spLo = cpu.mem.readSystem((base + at) | 0, 0, 2);
    stk.ss = cpu.mem.readSystem((base + at + 2) | 0, 0, 2);
  }
  stk.spHi = 0;
}

/**
 * RSPn (ist = 0) or ISTn from the 64-bit TSS (SDM Vol.3A §7.7, Figure 7-11; Vol.2 INT n IA-32e branch):
 * at (dpl << 3) + 4 or (ist << 3) + 28; #TS(current TSS selector) beyond the limit. SS becomes the null
 * selector with RPL = the new CPL (SDM Vol.3A §6.14.4).
 */
export function tssStack64(cpu: Cpu, dpl: number, ist: number, ext: number): void {
  const at = ist !== 0 ? (ist << 3) + 28 : (dpl << 3) + 4;
  if (at + 7 > cpu.segLimit[Seg.TR] >>> 0) raise(Vector.TS, (cpu.segSel[Seg.TR] & 0xfffc) | ext, 'TSS too small for RSPn/ISTn');
  const baseLo = cpu.segBaseLo[Seg.TR];
  const a = (baseLo + at) | 0;
  const aHi = (cpu.segBaseHi[Seg.TR] + ((a >>> 0) < (baseLo >>> 0) ? 1 : 0)) | 0;
  stk.spLo = cpu.mem.readSystem(a, aHi, 8);
  stk.spHi = cpu.mem.hiResult;
  stk.ss = dpl;
}

export enum TaskSwitch { Jmp, Call, Iret, Interrupt }

/** The new TSS image, read completely before anything changes (so a #PF on it leaves the old task intact). */
const image = new Int32Array(26);

/** Offsets in a 32-bit TSS (SDM Vol.3A §7.2.1, Figure 7-2). */
const T_LINK = 0x00, T_CR3 = 0x1c, T_EIP = 0x20, T_EFLAGS = 0x24, T_EAX = 0x28, T_ES = 0x48, T_LDT = 0x60;
/** The word at 64H: bit 0 is T, the debug trap flag (SDM Vol.3A §7.2.1); the I/O map base is the high word. */
const T_TRAP = 0x64;
/** Offsets in a 16-bit TSS (SDM Vol.3A §7.6, Figure 7-10): IP, FLAGS, AX…DI, ES CS SS DS, LDT; 2BH bytes. */
const T16_IP = 0x0e, T16_FLAGS = 0x10, T16_AX = 0x12, T16_ES = 0x22, T16_LDT = 0x2a;

/**
 * Reads a 16-bit TSS into `image` at the 32-bit TSS's positions (FS and GS null, as QEMU loads them: the
 * format has none). SDM §7.6: loading the general-purpose registers from a 16-bit TSS modifies their upper
 * 16 bits without defining them; as QEMU does, they become FFFFH. FLAGS is a 16-bit value here.
 */
function readTss16(cpu: Cpu, base: number): void {
  const m = cpu.mem;
  image[T_LINK >> 2] = m.readSystem(base, 0, 2);
  image[T_EIP >> 2] = m.readSystem((base + T16_IP) | 0, 0, 2);
  image[T_EFLAGS >> 2] = m.readSystem((base + T16_FLAGS) | 0, 0, 2);
  for (let r = 0; r < 8; r++) image[(T_EAX >> 2) + r] = m.readSystem((base + T16_AX + 2 * r) | 0, 0, 2) | (0xffff0000 | 0);
  for (let s = 0; s < 6; s++) image[(T_ES >> 2) + s] = s < 4 ? m.readSystem((base + T16_ES + 2 * s) | 0, 0, 2) : 0;
  image[T_LDT >> 2] = m.readSystem((base + T16_LDT) | 0, 0, 2);
}

/**
 * Switches to the task whose TSS descriptor (GDT selector `selector`) is in `desc`, the caller having
 * checked its type, busy bit, DPL and presence as its instruction requires (SDM Vol.3A §7.3 steps 1–3).
 * `eip` is the EIP saved for the old task (the next instruction, or the faulting one). Either TSS may be
 * 32-bit or 16-bit (SDM Vol.3A §7.6: a 16-bit TSS holds the low 16 bits of IP, FLAGS and the registers;
 * no CR3, FS, GS or I/O map). Faults while loading the new task's segments
 * are raised in the new task's context (SDM Vol.3A §7.3 step 12, Table 7-1).
 */
export function taskSwitch(cpu: Cpu, selector: number, kind: TaskSwitch, ext: number, eip: number): void {
  const newBase = desc.baseLo, newLimit = desc.limit >>> 0, newAttr = desc.attr;
  const newAddrLo = desc.addrLo, newAddrHi = desc.addrHi;
  const sel = selector & 0xfffc;
  const new32 = (newAttr & 8) !== 0;
  // Step 3: a 32-bit TSS must be at least 67H bytes long, a 16-bit one 2BH (SDM Vol.3A §7.2.2, Vol.2 JMP
  // "TASK-STATE-SEGMENT": #TS(TSS selector) when the limit is smaller).
  if (newLimit < (new32 ? 0x67 : 0x2b)) raise(Vector.TS, sel | ext, new32 ? 'new TSS limit below 67H' : 'new 16-bit TSS limit below 2BH');
  const m = cpu.mem;
  if (new32) {
    for (let k = 0; k < 26; k++) image[k] = m.readSystem((newBase + 4 * k) | 0, 0, 4);
  } else {
    readTss16(cpu, newBase);
  }
  image[T_LDT >> 2] &= 0xffff;
  // T = 1: #DB (DR6.BT) once the switch has completed, before the new task's first instruction (SDM
  // Vol.3B §17.3.1.5). Only a 32-bit TSS has the flag (§7.6, Figure 7-10).
  const trap = new32 && (image[T_TRAP >> 2] & 1) !== 0;

  // Step 4–6: busy bit of the old task, NT in the saved image, the old task's state.
  const oldBase = cpu.segBaseLo[Seg.TR];
  const oldSel = cpu.segSel[Seg.TR];
  materialize(cpu);
  let oldFlags = cpu.flags;
  if (kind === TaskSwitch.Iret) oldFlags &= ~FLAG_NT;
  if (kind === TaskSwitch.Jmp || kind === TaskSwitch.Iret) setBusy(cpu, oldSel, false);
  if (tss32(cpu)) {
    m.writeSystem((oldBase + T_EIP) | 0, 0, 4, eip);
    m.writeSystem((oldBase + T_EFLAGS) | 0, 0, 4, oldFlags);
    for (let r = 0; r < 8; r++) m.writeSystem((oldBase + T_EAX + 4 * r) | 0, 0, 4, cpu.lo[r]);
    for (let s = 0; s < 6; s++) m.writeSystem((oldBase + T_ES + 4 * s) | 0, 0, 2, cpu.segSel[s]);
  } else {
    // SDM §7.6: the upper 16 bits of EIP, EFLAGS and the registers are lost; FS and GS are not saved.
    m.writeSystem((oldBase + T16_IP) | 0, 0, 2, eip & 0xffff);
    m.writeSystem((oldBase + T16_FLAGS) | 0, 0, 2, oldFlags & 0xffff);
    for (let r = 0; r < 8; r++) m.writeSystem((oldBase + T16_AX + 2 * r) | 0, 0, 2, cpu.lo[r] & 0xffff);
    for (let s = 0; s < 4; s++) m.writeSystem((oldBase + T16_ES + 2 * s) | 0, 0, 2, cpu.segSel[s]);
  }

  // Steps 7–11: NT and back link for nested tasks, the busy bit, TR, CR0.TS. A 16-bit TSS loads FLAGS
  // only: EFLAGS bits 31:16 keep their values (as QEMU does).
  let flags = (new32 ? image[T_EFLAGS >> 2] : (oldFlags & ~0xffff) | image[T_EFLAGS >> 2]) | 2;
  if (kind === TaskSwitch.Call || kind === TaskSwitch.Interrupt) {
    flags |= FLAG_NT;
    m.writeSystem((newBase + T_LINK) | 0, 0, 2, oldSel);
  }
  if (kind !== TaskSwitch.Iret) {
    m.writeSystem((newAddrLo + 5) | 0, newAddrHi, 1, (newAttr | 2) & 0xff);
  }
  cpu.segSel[Seg.TR] = sel;
  cpu.segBaseLo[Seg.TR] = newBase;
  cpu.segBaseHi[Seg.TR] = 0;
  cpu.segLimit[Seg.TR] = newLimit;
  cpu.segAttr[Seg.TR] = newAttr | 2;
  cpu.cr0 |= CR0_TS;
  // DR7 L0–L3 (bits 0, 2, 4, 6) are task-local breakpoint enables: cleared on every task switch (SDM
  // Vol.3B §17.2.4); the run loop re-reads the breakpoints (ATTN_TRACE).
  if ((cpu.drLo[7] & 0x55) !== 0) {
    cpu.drLo[7] &= ~0x55;
    cpu.attention |= ATTN_TRACE;
  }

  // Step 12: the new task's state. CR3 only with paging on (SDM Vol.3A §7.2.1, CR3 field), and never
  // from a 16-bit TSS, which has no CR3 field (§7.6: the previous task's page tables stay in use).
  if (new32 && (cpu.cr0 & CR0_PG) !== 0) {
    cpu.cr3Lo = image[T_CR3 >> 2];
    cpu.cr3Hi = 0;
    m.setPagingState(cpu, true);
  }
  const wasIf = (cpu.flags & 0x200) !== 0;
  cpu.lazyOp = LazyOp.None;
  cpu.flags = flags;
  cpu.ripLo = image[T_EIP >> 2];
  cpu.ripHi = 0;
  for (let r = 0; r < 8; r++) { cpu.lo[r] = image[(T_EAX >> 2) + r]; cpu.hi[r] = 0; }
  cpu.attention |= ATTN_MODE;
  if (!wasIf && (flags & 0x200) !== 0) cpu.attention |= ATTN_IRQ;
  for (let s = 0; s < 6; s++) setNull(cpu, s, image[(T_ES >> 2) + s] & 0xffff);
  setNull(cpu, Seg.LDTR, image[T_LDT >> 2]);

  // LDT: null, or an LDT descriptor in the GDT (SDM Vol.3A Table 7-1: #TS(LDT selector) otherwise).
  const ldt = image[T_LDT >> 2];
  if ((ldt & 0xfffc) !== 0) {
    if ((ldt & 4) !== 0 || !tryReadDescriptor(cpu, ldt, 8)) raise(Vector.TS, (ldt & 0xfffc) | ext, 'new task LDT selector invalid');
    if ((desc.attr & (ATTR_S | 0xf)) !== SYS_LDT || (desc.attr & ATTR_P) === 0) raise(Vector.TS, (ldt & 0xfffc) | ext, 'new task LDT descriptor invalid or not present');
    setCache(cpu, Seg.LDTR, ldt);
  }

  if ((flags & EFLAGS_VM) !== 0) {
    // A virtual-8086 task: segments as in real mode, CPL 3 (SDM Vol.3A §20.2.1).
    for (let s = 0; s < 6; s++) {
      const v = image[(T_ES >> 2) + s] & 0xffff;
      cpu.segSel[s] = v; cpu.segBaseLo[s] = v << 4; cpu.segLimit[s] = 0xffff; cpu.segAttr[s] = s === Seg.CS ? 0xfb : 0xf3;
    }
    setCpl(cpu, 3);
    if (trap) taskSwitchTrap(cpu);
    return;
  }
  const cs = image[(T_ES >> 2) + Seg.CS] & 0xffff;
  const cpl = cs & 3;
  // CS (Table 7-1): a present code segment; non-conforming DPL = RPL, conforming DPL ≤ RPL.
  if ((cs & 0xfffc) === 0 || !tryReadDescriptor(cpu, cs, 8)) raise(Vector.TS, (cs & 0xfffc) | ext, 'new task CS selector invalid');
  {
    const a = desc.attr, dpl = (a >> 5) & 3;
    if ((a & (ATTR_S | TYPE_CODE)) !== (ATTR_S | TYPE_CODE) || ((a & TYPE_CONFORMING) !== 0 ? dpl > cpl : dpl !== cpl)) raise(Vector.TS, (cs & 0xfffc) | ext, 'new task CS not a code segment of its privilege');
    if ((a & ATTR_P) === 0) raise(Vector.NP, (cs & 0xfffc) | ext, 'new task code segment not present');
    markAccessed(cpu);
    setCache(cpu, Seg.CS, cs);
  }
  // SS: writable data with RPL = DPL = CPL; not present is #SS.
  const ss = image[(T_ES >> 2) + Seg.SS] & 0xffff;
  if ((ss & 0xfffc) === 0 || !tryReadDescriptor(cpu, ss, 8)) raise(Vector.TS, (ss & 0xfffc) | ext, 'new task SS selector invalid');
  {
    const a = desc.attr;
    if ((ss & 3) !== cpl || (a & (ATTR_S | TYPE_CODE | TYPE_WRITABLE)) !== (ATTR_S | TYPE_WRITABLE) || ((a >> 5) & 3) !== cpl) raise(Vector.TS, (ss & 0xfffc) | ext, 'new task SS not writable data at CPL');
    if ((a & ATTR_P) === 0) raise(Vector.SS, (ss & 0xfffc) | ext, 'new task stack segment not present');
    markAccessed(cpu);
    setCache(cpu, Seg.SS, ss);
  }
  setCpl(cpu, cpl);
  // Data segments: null allowed; else data or readable code, DPL ≥ max(CPL, RPL) unless conforming.
  for (const s of DATA_SEGS) {
    const v = image[(T_ES >> 2) + s] & 0xffff;
    if ((v & 0xfffc) === 0) continue;
    if (!tryReadDescriptor(cpu, v, 8)) raise(Vector.TS, (v & 0xfffc) | ext, 'new task data segment selector invalid');
    const a = desc.attr, dpl = (a >> 5) & 3;
    const code = (a & TYPE_CODE) !== 0;
    if ((a & ATTR_S) === 0 || code && (a & TYPE_READABLE) === 0) raise(Vector.TS, (v & 0xfffc) | ext, 'new task data segment not data or readable code');
    if ((!code || (a & TYPE_CONFORMING) === 0) && (dpl < cpl || dpl < (v & 3))) raise(Vector.TS, (v & 0xfffc) | ext, 'new task data segment DPL below CPL or RPL');
    if ((a & ATTR_P) === 0) raise(Vector.NP, (v & 0xfffc) | ext, 'new task data segment not present');
    markAccessed(cpu);
    setCache(cpu, s, v);
  }
  if (trap) taskSwitchTrap(cpu);
}
const DATA_SEGS = [Seg.ES, Seg.DS, Seg.FS, Seg.GS];

/** Sets or clears the busy bit (type bit 1) of the TSS descriptor `selector` in the GDT. */
export function setBusy(cpu: Cpu, selector: number, busy: boolean): void {
  const a = (cpu.gdtrBaseLo + (selector & 0xfff8) + 5) | 0;
  const b = cpu.mem.readSystem(a, 0, 1);
  cpu.mem.writeSystem(a, 0, 1, busy ? b | 2 : b & ~2);
}

/** The previous-task link of the current TSS (for IRET with NT = 1). */
export function backLink(cpu: Cpu): number {
  return cpu.mem.readSystem(cpu.segBaseLo[Seg.TR], 0, 2);
}


