// exec/far.ts: far JMP, far CALL, RETF, IRET, SYSCALL/SYSRET and SYSENTER/SYSEXIT (SDM Vol.2 JMP, CALL,
// RET, IRET, SYSCALL, SYSRET, SYSENTER, SYSEXIT "Operation"). Real-address and virtual-8086 mode load CS
// as selector × 16 (SDM Vol.3A §20.1.1). Protected, compatibility and 64-bit mode go through descriptors:
// code segments, call gates (with privilege change and TSS stack switch), task gates and TSSs (tss.ts).
import { readMsr } from '../msr';
import { Access, linear, linearOf, readLinear } from '../access';
import { Vector, raise } from '../fault';
import { materialize } from '../flags';
import { LazyOp } from '../lazyOp';
import { ATTR_DB, ATTR_L, CR0_PE, EFER_LMA, EFLAGS_VM } from '../modes';
import { CR4_VME } from '../controlRegs';
import {
  ATTR_P, ATTR_S, SYS_CALL_GATE16, SYS_CALL_GATE32, SYS_TASK_GATE, SYS_TSS16_AVAIL, SYS_TSS32_AVAIL,
  TYPE_CODE, TYPE_CONFORMING, TYPE_WRITABLE, desc, frame, frame64, frameCommit, frameCurrent, frameNew,
  frameRoom, framePush, isCanonical, loadCs, loadFlat, markAccessed, nullOuterSegments, setCpl,
  setNull, tryReadDescriptor,
} from '../segment';
import { peek, push, release } from '../stack';
import { FLAG_NT, TaskSwitch, backLink, stk, taskSwitch, tssStack, tssStack64 } from '../tss';
import { ATTN_IRQ, ATTN_MODE, Cpu, Reg, Seg } from '../state';
import type { Handler, Insn } from '../insn';
import { CallKind, traceFar } from '../../debug/callTrace';

/** EFLAGS bits IRET may load in real mode with a 32-bit operand (SDM Vol.2 IRET: tempEFLAGS AND 257FD5H). */
const IRET32_LOADED = 0x257fd5;
/** EFLAGS bits IRETD keeps in real mode (SDM Vol.2 IRET: EFLAGS AND 1A0000H: VM, VIF, VIP). */
const IRET32_KEPT = 0x1a0000;
/** The 16 FLAGS bits a 16-bit IRET loads: all but the reserved bits 1, 3, 5, 15 (bit 1 reads as 1). */
const IRET16_LOADED = 0x7fd5;
const IOPL = 0x3000;
const FLAG_IF = 0x200;
const FLAG_TF = 0x100;
const FLAG_RF = 1 << 16;
const FLAG_AC = 1 << 18;
const FLAG_VIF = 1 << 19;
const FLAG_VIP = 1 << 20;
const FLAG_ID = 1 << 21;
/** CF, PF, AF, ZF, SF, TF, DF, OF, NT: what every protected-mode IRET loads (SDM Vol.2 IRET). */
const IRET_PM_LOADED = 0x4dd5;

const MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176;
const MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082, MSR_FMASK = 0xc0000084;
const EFER_SCE = 1;

function protectedMode(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0_PE) !== 0 && (cpu.flags & EFLAGS_VM) === 0;
}

function lma(cpu: Cpu): boolean {
  return (cpu.efer & EFER_LMA) !== 0;
}

/** #GP(0) when the new instruction pointer lies beyond the CS limit (SDM Vol.2 JMP/CALL/RET real-mode operation). */
function checkIp(cpu: Cpu, ip: number): void {
  if ((ip >>> 0) > (cpu.segLimit[Seg.CS] >>> 0)) raise(Vector.GP, 0, 'far transfer target beyond the CS limit');
}

/** Loads CS as real mode does and jumps to `ip` (already checked against the limit). */
function loadCsIp(cpu: Cpu, selector: number, ip: number): void {
  selector &= 0xffff;
  cpu.segSel[Seg.CS] = selector;
  cpu.segBaseLo[Seg.CS] = selector << 4;
  cpu.segBaseHi[Seg.CS] = 0;
  cpu.ripLo = ip;
  cpu.ripHi = 0;
  cpu.attention |= ATTN_MODE; // CS changed: the run loop looks the next block up afresh
}

// A far pointer read from memory (JMP/CALL m16:16, m16:32, m16:64): results here, so nothing is allocated.
let ptrOffset = 0;
let ptrOffsetHi = 0;
let ptrSelector = 0;

/** Reads the m16:16 / m16:32 / m16:64 operand: offset (operand size) then selector. */
function readFarPointer(cpu: Cpu, i: Insn): void {
  const n = i.opSize >> 3;
  const a = linear(cpu, i, n + 2, Access.Read);
  const aHi = cpu.linHi;
  ptrOffset = readLinear(cpu, a, aHi, i.opSize);
  ptrOffsetHi = i.opSize === 64 ? cpu.tmpHi : 0;
  ptrSelector = readLinear(cpu, (a + n) | 0, aHi, 16);
}

/** #SS(0) unless `count` stack slots of `bytes` below SP are all within the SS limit (checked before any push). */
function checkPushes(cpu: Cpu, bytes: number, count: number): void {
  const sp = cpu.lo[Reg.RSP];
  for (let k = 1; k <= count; k++) {
    const off = cpu.stackSize === 16 ? (sp - k * bytes) & 0xffff : (sp - k * bytes) | 0;
    linearOf(cpu, Seg.SS, off, 0, bytes, Access.Write);
  }
}

// ---- Descriptor helpers -------------------------------------------------------------------------------

/** A copy of a code-segment descriptor while `desc` is reused for the stack segment. */
const csd = { lo: 0, hi: 0, hi2: 0, hi3: 0, baseLo: 0, limit: 0, attr: 0, addrLo: 0, addrHi: 0 };

function saveCs(): void { Object.assign(csd, desc); }
function restoreCs(): void { Object.assign(desc, csd); }

function dplOf(attr: number): number {
  return (attr >> 5) & 3;
}

function isCode(attr: number): boolean {
  return (attr & (ATTR_S | TYPE_CODE)) === (ATTR_S | TYPE_CODE);
}

/** A writable data segment (SS requirement, SDM Vol.3A §5.7). */
function isWritableData(attr: number): boolean {
  return (attr & (ATTR_S | TYPE_CODE | TYPE_WRITABLE)) === (ATTR_S | TYPE_WRITABLE);
}

/** Reads `selector`'s descriptor or raises #GP(selector) (SDM: "index not within descriptor table limits"). */
function readOrGp(cpu: Cpu, selector: number, bytes: number, ext = 0): void {
  if (!tryReadDescriptor(cpu, selector, bytes)) raise(Vector.GP, (selector & 0xfffc) | ext, 'selector beyond the descriptor table limit');
}

/**
 * The instruction-pointer check of a far transfer into the code segment in `desc` (SDM Vol.2 JMP/CALL:
 * "IF (EFER.LMA = 0 or target mode = Compatibility mode) and tempEIP outside code segment limit THEN #GP(0);
 * IF tempEIP is non-canonical THEN #GP(0)").
 */
function checkTarget(cpu: Cpu, lo: number, hi: number, ext = 0): void {
  if (lma(cpu) && (desc.attr & ATTR_L) !== 0) {
    if (!isCanonical(cpu, lo, hi)) raise(Vector.GP, ext, 'far transfer to a non-canonical RIP');
  } else if (hi !== 0 || (lo >>> 0) > (desc.limit >>> 0)) {
    raise(Vector.GP, ext, 'far transfer target beyond the code segment limit');
  }
}

/** Loads CS from `desc` and RIP; CS.L/D decide compatibility vs 64-bit mode (updateMode via ATTN_MODE). */
function enter(cpu: Cpu, selector: number, cpl: number, lo: number, hi: number): void {
  loadCs(cpu, selector, cpl);
  cpu.ripLo = lo;
  cpu.ripHi = lma(cpu) && (desc.attr & ATTR_L) !== 0 ? hi : 0;
}

/**
 * The checks of a JMP/CALL directly to a code segment (SDM Vol.2 JMP/CALL, CONFORMING-CODE-SEGMENT and
 * NONCONFORMING-CODE-SEGMENT): L = D = 1 in IA-32e mode, conforming DPL > CPL, non-conforming RPL > CPL or
 * DPL ≠ CPL → #GP(selector); not present → #NP(selector).
 */
function checkDirectCode(cpu: Cpu, selector: number): void {
  const a = desc.attr, dpl = dplOf(a), sel = selector & 0xfffc;
  if (lma(cpu) && (a & ATTR_L) !== 0 && (a & ATTR_DB) !== 0) raise(Vector.GP, sel, 'code segment with L = 1 and D = 1');
  if ((a & TYPE_CONFORMING) !== 0) {
    if (dpl > cpu.cpl) raise(Vector.GP, sel, 'conforming code segment DPL > CPL');
  } else if ((selector & 3) > cpu.cpl || dpl !== cpu.cpl) {
    raise(Vector.GP, sel, 'non-conforming code segment needs RPL ≤ CPL and DPL = CPL');
  }
  if ((a & ATTR_P) === 0) raise(Vector.NP, sel, 'code segment not present');
}

/**
 * Reads and checks a call gate (SDM Vol.2 JMP/CALL "CALL-GATE"): DPL < CPL or < RPL → #GP(gate),
 * not present → #NP(gate); in IA-32e mode the 16-byte gate's upper type field must be 0 (#GP(gate)).
 * Then the target code segment: null → #GP(0), beyond the table → #GP(CS), not code or DPL > CPL →
 * #GP(CS), in IA-32e mode not 64-bit code (L = 1, D = 0) → #GP(CS), not present → #NP(CS).
 * Leaves the code descriptor in `desc`; returns the target selector; the offset in gateLo/gateHi.
 */
let gateLo = 0, gateHi = 0, gateSize = 32, gateParams = 0;
function callGate(cpu: Cpu, selector: number): number {
  const sel = selector & 0xfffc;
  if (lma(cpu)) {
    readOrGp(cpu, selector, 16);
    if (((desc.hi3 >> 8) & 0x1f) !== 0) raise(Vector.GP, sel, '64-bit call gate upper type field not zero');
  }
  const a = desc.attr, gdpl = dplOf(a);
  if (gdpl < cpu.cpl || gdpl < (selector & 3)) raise(Vector.GP, sel, 'call gate DPL < CPL or RPL');
  if ((a & ATTR_P) === 0) raise(Vector.NP, sel, 'call gate not present');
  const target = desc.lo >>> 16;
  if ((a & 0xf) === SYS_CALL_GATE16) {
    gateSize = 16;
    gateLo = desc.lo & 0xffff;
    gateHi = 0;
  } else {
    gateSize = lma(cpu) ? 64 : 32;
    gateLo = (desc.lo & 0xffff) | (desc.hi & 0xffff0000);
    gateHi = lma(cpu) ? desc.hi2 : 0;
  }
  gateParams = desc.hi & 0x1f;
  if ((target & 0xfffc) === 0) raise(Vector.GP, 0, 'call gate code segment selector is null');
  readOrGp(cpu, target, 8);
  const c = desc.attr;
  if (!isCode(c) || dplOf(c) > cpu.cpl) raise(Vector.GP, target & 0xfffc, 'call gate target not code or DPL > CPL');
  if (lma(cpu) && ((c & ATTR_L) === 0 || (c & ATTR_DB) !== 0)) raise(Vector.GP, target & 0xfffc, 'IA-32e call gate target must be 64-bit code');
  if ((c & ATTR_P) === 0) raise(Vector.NP, target & 0xfffc, 'call gate target code segment not present');
  return target;
}

/**
 * The TSS reached by a JMP/CALL task gate (SDM Vol.2 JMP/CALL "TASK-GATE"): gate DPL < CPL or < RPL →
 * #GP(gate), not present → #NP(gate); the TSS selector must be global and within the GDT, an available
 * TSS (#GP(TSS selector)) and present (#NP(TSS selector)). Leaves the TSS descriptor in `desc`.
 */
function taskGateTss(cpu: Cpu, selector: number): number {
  const a = desc.attr, gdpl = dplOf(a);
  if (gdpl < cpu.cpl || gdpl < (selector & 3)) raise(Vector.GP, selector & 0xfffc, 'task gate DPL < CPL or RPL');
  if ((a & ATTR_P) === 0) raise(Vector.NP, selector & 0xfffc, 'task gate not present');
  const tss = desc.lo >>> 16;
  if ((tss & 4) !== 0 || !tryReadDescriptor(cpu, tss, 8)) raise(Vector.GP, tss & 0xfffc, 'task gate TSS selector not in the GDT');
  const t = desc.attr & (ATTR_S | 0xf);
  if (t !== SYS_TSS32_AVAIL && t !== SYS_TSS16_AVAIL) raise(Vector.GP, tss & 0xfffc, 'task gate does not lead to an available TSS');
  if ((desc.attr & ATTR_P) === 0) raise(Vector.NP, tss & 0xfffc, 'TSS not present');
  return tss;
}

/** A JMP/CALL to a TSS descriptor (SDM Vol.2 JMP/CALL "TASK-STATE-SEGMENT"). */
function checkTssTarget(cpu: Cpu, selector: number): void {
  const a = desc.attr, dpl = dplOf(a);
  if (dpl < cpu.cpl || dpl < (selector & 3)) raise(Vector.GP, selector & 0xfffc, 'TSS DPL < CPL or RPL');
  if ((a & ATTR_P) === 0) raise(Vector.NP, selector & 0xfffc, 'TSS not present');
}

/** After a task switch: EIP must be within the new CS limit (SDM Vol.2 JMP/CALL/IRET: #GP(0)). */
function afterTaskSwitch(cpu: Cpu): void {
  if ((cpu.ripLo >>> 0) > (cpu.segLimit[Seg.CS] >>> 0)) raise(Vector.GP, 0, 'new task EIP beyond the CS limit');
}

// ---- Far JMP and CALL ---------------------------------------------------------------------------------

/** The first checks of a protected-mode far JMP/CALL: null → #GP(0), beyond the table → #GP(selector), then the type. */
function readTarget(cpu: Cpu, selector: number): number {
  if ((selector & 0xfffc) === 0) raise(Vector.GP, 0, 'far transfer to a null selector');
  readOrGp(cpu, selector, 8);
  const a = desc.attr;
  if ((a & ATTR_S) !== 0) {
    if ((a & TYPE_CODE) === 0) raise(Vector.GP, selector & 0xfffc, 'far transfer to a data segment');
    return -1; // code segment
  }
  const t = a & 0xf;
  // Legacy: code, call gate, task gate, TSS. IA-32e: code or 64-bit call gate only.
  if (lma(cpu) ? t !== SYS_CALL_GATE32 : t !== SYS_CALL_GATE16 && t !== SYS_CALL_GATE32 && t !== SYS_TASK_GATE && t !== SYS_TSS16_AVAIL && t !== SYS_TSS32_AVAIL) {
    raise(Vector.GP, selector & 0xfffc, lma(cpu) ? 'IA-32e far transfer needs a code segment or 64-bit call gate' : 'far transfer to a descriptor of the wrong type');
  }
  return t;
}

function farJumpProtected(cpu: Cpu, i: Insn, selector: number, lo: number, hi: number): void {
  const t = readTarget(cpu, selector);
  if (t < 0) {
    checkDirectCode(cpu, selector);
    if (i.opSize === 16) lo &= 0xffff;
    if (i.opSize !== 64) hi = 0;
    checkTarget(cpu, lo, hi);
    enter(cpu, selector, cpu.cpl, lo, hi);
    return;
  }
  if (t === SYS_CALL_GATE16 || t === SYS_CALL_GATE32) {
    const target = callGate(cpu, selector);
    // JMP through a call gate never changes privilege: conforming DPL ≤ CPL, non-conforming DPL = CPL.
    const c = desc.attr;
    if ((c & TYPE_CONFORMING) === 0 && dplOf(c) !== cpu.cpl) raise(Vector.GP, target & 0xfffc, 'JMP through a call gate to a non-conforming segment of another privilege');
    checkTarget(cpu, gateLo, gateHi);
    enter(cpu, target, cpu.cpl, gateLo, gateHi);
    return;
  }
  const tss = t === SYS_TASK_GATE ? taskGateTss(cpu, selector) : (checkTssTarget(cpu, selector), selector);
  taskSwitch(cpu, tss, TaskSwitch.Jmp, 0, i.nextLo);
  afterTaskSwitch(cpu);
}

function farCallProtected(cpu: Cpu, i: Insn, selector: number, lo: number, hi: number): void {
  const t = readTarget(cpu, selector);
  const size = i.opSize;
  if (t < 0) {
    // SDM Vol.2 CALL CONFORMING/NONCONFORMING-CODE-SEGMENT: room for two slots (#SS(0)), IP check (#GP(0)).
    checkDirectCode(cpu, selector);
    if (size === 16) lo &= 0xffff;
    if (size !== 64) hi = 0;
    frameCurrent(cpu, 0);
    frameRoom(cpu, 2 * (size >> 3));
    checkTarget(cpu, lo, hi);
    framePush(cpu, size, cpu.segSel[Seg.CS], 0);
    framePush(cpu, size, i.nextLo, size === 64 ? i.nextHi : 0);
    frameCommit(cpu);
    enter(cpu, selector, cpu.cpl, lo, hi);
    return;
  }
  if (t === SYS_TASK_GATE || t === SYS_TSS16_AVAIL || t === SYS_TSS32_AVAIL) {
    const tss = t === SYS_TASK_GATE ? taskGateTss(cpu, selector) : (checkTssTarget(cpu, selector), selector);
    taskSwitch(cpu, tss, TaskSwitch.Call, 0, i.nextLo);
    afterTaskSwitch(cpu);
    return;
  }
  const target = callGate(cpu, selector);
  const dpl = dplOf(desc.attr);
  const oldCs = cpu.segSel[Seg.CS];
  if ((desc.attr & TYPE_CONFORMING) === 0 && dpl < cpu.cpl) {
    callMorePrivilege(cpu, i, target, dpl, oldCs);
    return;
  }
  // SAME-PRIVILEGE: push CS:EIP in the gate's size on the current stack.
  const slot = gateSize;
  if (slot === 64) frame64(cpu.segSel[Seg.SS], cpu.lo[Reg.RSP], cpu.long64 ? cpu.hi[Reg.RSP] : 0, 0, cpu.cpl);
  else frameCurrent(cpu, 0);
  frameRoom(cpu, 2 * (slot >> 3));
  checkTarget(cpu, gateLo, gateHi);
  framePush(cpu, slot, oldCs, 0);
  framePush(cpu, slot, i.nextLo, cpu.long64 ? i.nextHi : 0);
  frameCommit(cpu);
  enter(cpu, target, cpu.cpl, gateLo, gateHi);
}

/**
 * SDM Vol.2 CALL "MORE-PRIVILEGE": the inner stack from the TSS, its checks (#TS(SS) for a bad selector
 * or descriptor, #SS(SS) not present or no room), the IP check, then old SS:ESP, the gate's parameters
 * (legacy gates) and CS:EIP pushed on the new stack. IA-32e gates load a null SS with RPL = new CPL.
 */
function callMorePrivilege(cpu: Cpu, i: Insn, target: number, dpl: number, oldCs: number): void {
  saveCs();
  const oldSs = cpu.segSel[Seg.SS];
  const oldSpLo = cpu.lo[Reg.RSP], oldSpHi = cpu.long64 ? cpu.hi[Reg.RSP] : 0;
  if (gateSize === 64) {
    tssStack64(cpu, dpl, 0, 0);
    frame64(dpl, stk.spLo, stk.spHi, 0, dpl);
    frameRoom(cpu, 32);
    restoreCs();
    checkTarget(cpu, gateLo, gateHi);
    framePush(cpu, 64, oldSs, 0);
    framePush(cpu, 64, oldSpLo, oldSpHi);
    framePush(cpu, 64, oldCs, 0);
    framePush(cpu, 64, i.nextLo, cpu.long64 ? i.nextHi : 0);
    setNull(cpu, Seg.SS, dpl);
    frameCommit(cpu);
    enter(cpu, target, dpl, gateLo, gateHi);
    return;
  }
  tssStack(cpu, dpl, 0);
  const ss = stk.ss;
  if ((ss & 0xfffc) === 0) raise(Vector.TS, 0, 'inner stack selector in the TSS is null');
  if (!tryReadDescriptor(cpu, ss, 8)) raise(Vector.TS, ss & 0xfffc, 'inner stack selector beyond the descriptor table');
  if ((ss & 3) !== dpl || dplOf(desc.attr) !== dpl || !isWritableData(desc.attr)) raise(Vector.TS, ss & 0xfffc, 'inner stack segment not writable data at the new CPL');
  if ((desc.attr & ATTR_P) === 0) raise(Vector.SS, ss & 0xfffc, 'inner stack segment not present');
  const slot = gateSize;
  const count = gateParams;
  frameNew(ss, stk.spLo, ss & 0xfffc);
  frameRoom(cpu, (slot >> 3) * (4 + count));
  markAccessed(cpu);
  const ssLo = desc.baseLo, ssLimit = desc.limit, ssAttr = desc.attr;
  restoreCs();
  checkTarget(cpu, gateLo, gateHi);
  framePush(cpu, slot, oldSs, 0);
  framePush(cpu, slot, oldSpLo, 0);
  // Parameters are copied from the caller's stack keeping their order (SDM Vol.3A §5.8.5, Figure 5-13).
  for (let k = count - 1; k >= 0; k--) framePush(cpu, slot, peek(cpu, slot, k * (slot >> 3)), 0);
  framePush(cpu, slot, oldCs, 0);
  framePush(cpu, slot, i.nextLo, 0);
  cpu.segSel[Seg.SS] = ss;
  cpu.segBaseLo[Seg.SS] = ssLo;
  cpu.segBaseHi[Seg.SS] = 0;
  cpu.segLimit[Seg.SS] = ssLimit;
  cpu.segAttr[Seg.SS] = ssAttr;
  if (frame.width === 32) cpu.hi[Reg.RSP] = 0;
  else cpu.lo[Reg.RSP] = frame.spLo & 0xffff; // a 16-bit stack: ESP ← new SP
  frameCommit(cpu);
  enter(cpu, target, dpl, gateLo, gateHi);
}

function farJump(cpu: Cpu, i: Insn, selector: number, offset: number, offsetHi: number): void {
  if (protectedMode(cpu)) {
    farJumpProtected(cpu, i, selector & 0xffff, offset, offsetHi);
    return;
  }
  const ip = i.opSize === 16 ? offset & 0xffff : offset;
  checkIp(cpu, ip);
  loadCsIp(cpu, selector, ip);
}

/** SDM Vol.2 CALL, real-address mode: push CS then (E)IP in the operand size, then load CS:(E)IP. */
function farCall(cpu: Cpu, i: Insn, selector: number, offset: number, offsetHi: number): void {
  if (protectedMode(cpu)) {
    farCallProtected(cpu, i, selector & 0xffff, offset, offsetHi);
    return;
  }
  const size = i.opSize;
  const ip = size === 16 ? offset & 0xffff : offset;
  checkIp(cpu, ip);
  checkPushes(cpu, size >> 3, 2);
  push(cpu, size, cpu.segSel[Seg.CS], 0); // 32-bit: the selector padded with 16 high-order zero bits
  push(cpu, size, i.nextLo, 0);
  loadCsIp(cpu, selector, ip);
}

const jmpPtr: Handler = (cpu, i) => farJump(cpu, i, i.imm2, i.immLo, 0);

const jmpMem: Handler = (cpu, i) => {
  readFarPointer(cpu, i);
  farJump(cpu, i, ptrSelector, ptrOffset, ptrOffsetHi);
};

const callPtr: Handler = (cpu, i) => {
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize;
  farCall(cpu, i, i.imm2, i.immLo, 0);
  if (cpu.calls !== null) traceFar(cpu, i, CallKind.FarCall, cs, size);
};

const callMem: Handler = (cpu, i) => {
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize;
  readFarPointer(cpu, i);
  farCall(cpu, i, ptrSelector, ptrOffset, ptrOffsetHi);
  if (cpu.calls !== null) traceFar(cpu, i, CallKind.FarCall, cs, size);
};

// ---- Far RET ------------------------------------------------------------------------------------------

/**
 * The checks on the return CS of RET/IRET (SDM Vol.2 RET and IRET, PROTECTED-MODE / IA-32e): null → #GP(0);
 * beyond the table, not code, L = D = 1 in IA-32e mode, RPL < CPL, conforming DPL > RPL, non-conforming
 * DPL ≠ RPL → #GP(selector); not present → #NP(selector). Leaves the descriptor in `desc`.
 */
function checkReturnCs(cpu: Cpu, selector: number): void {
  const sel = selector & 0xfffc, rpl = selector & 3;
  if (sel === 0) raise(Vector.GP, 0, 'return to a null code segment selector');
  readOrGp(cpu, selector, 8);
  const a = desc.attr, dpl = dplOf(a);
  if (!isCode(a)) raise(Vector.GP, sel, 'return selector is not a code segment');
  if (lma(cpu) && (a & ATTR_L) !== 0 && (a & ATTR_DB) !== 0) raise(Vector.GP, sel, 'return code segment with L = 1 and D = 1');
  if (rpl < cpu.cpl) raise(Vector.GP, sel, 'return code segment RPL < CPL');
  if ((a & TYPE_CONFORMING) !== 0 ? dpl > rpl : dpl !== rpl) raise(Vector.GP, sel, 'return code segment DPL does not match its RPL');
  if ((a & ATTR_P) === 0) raise(Vector.NP, sel, 'return code segment not present');
}

/**
 * The checks on the SS popped by a return to an outer level (SDM Vol.2 RET/IRET RETURN-TO-OUTER-PRIVILEGE-
 * LEVEL): a null SS is allowed only in IA-32e mode returning to 64-bit code at RPL < 3, else #GP(0);
 * beyond the table, RPL ≠ the CS RPL, not writable data, DPL ≠ the CS RPL → #GP(selector); not present →
 * #SS(selector). Leaves the SS descriptor in `desc` (unless null); returns whether it is null.
 */
function checkReturnSs(cpu: Cpu, ss: number, rpl: number, to64: boolean): boolean {
  if ((ss & 0xfffc) === 0) {
    if (!(lma(cpu) && to64 && rpl !== 3)) raise(Vector.GP, 0, 'return to a null stack segment selector');
    return true;
  }
  readOrGp(cpu, ss, 8);
  const a = desc.attr;
  if ((ss & 3) !== rpl || !isWritableData(a) || dplOf(a) !== rpl) raise(Vector.GP, ss & 0xfffc, 'return stack segment not writable data at the return RPL');
  if ((a & ATTR_P) === 0) raise(Vector.SS, ss & 0xfffc, 'return stack segment not present');
  return false;
}

function retfProtected(cpu: Cpu, i: Insn, extra: number): void {
  const size = i.opSize, n = size >> 3;
  // The top two slots must lie within the stack (peek: #SS(0) beyond the limit or non-canonical).
  let ip = peek(cpu, size, 0);
  const ipHi = size === 64 ? cpu.tmpHi : 0;
  const cs = peek(cpu, size, n) & 0xffff;
  if (size === 16) ip &= 0xffff;
  checkReturnCs(cpu, cs);
  const rpl = cs & 3;
  const to64 = lma(cpu) && (desc.attr & ATTR_L) !== 0;
  if (rpl === cpu.cpl) {
    checkTarget(cpu, ip, ipHi);
    release(cpu, 2 * n + extra);
    enter(cpu, cs, rpl, ip, ipHi);
    return;
  }
  // RETURN-TO-OUTER-PRIVILEGE-LEVEL: the caller's SS:ESP above the parameters.
  saveCs();
  const sp = peek(cpu, size, 2 * n + extra);
  const spHi = size === 64 ? cpu.tmpHi : 0;
  const ss = peek(cpu, size, 3 * n + extra) & 0xffff;
  const nullSs = checkReturnSs(cpu, ss, rpl, to64);
  if (!nullSs) markAccessed(cpu);
  const ssLo = desc.baseLo, ssLimit = desc.limit, ssAttr = desc.attr;
  restoreCs();
  checkTarget(cpu, ip, ipHi);
  enter(cpu, cs, rpl, ip, ipHi);
  if (nullSs) setNull(cpu, Seg.SS, ss);
  else {
    cpu.segSel[Seg.SS] = ss; cpu.segBaseLo[Seg.SS] = ssLo; cpu.segBaseHi[Seg.SS] = 0;
    cpu.segLimit[Seg.SS] = ssLimit; cpu.segAttr[Seg.SS] = ssAttr;
  }
  setStackAfterReturn(cpu, size, sp, spHi, ssAttr, nullSs);
  if (extra !== 0) release(cpu, extra); // SDM: ESP ← ESP + SRC on the caller's stack as well
  nullOuterSegments(cpu, rpl);
}

/** RSP ← the popped stack pointer, by the new mode (64-bit: all of it) and the new SS.B. */
function setStackAfterReturn(cpu: Cpu, size: number, sp: number, spHi: number, ssAttr: number, nullSs: boolean): void {
  setCpl(cpu, cpu.segSel[Seg.CS] & 3); // re-derives stackSize from the new CS and SS
  if (size === 64) { cpu.lo[Reg.RSP] = sp; cpu.hi[Reg.RSP] = spHi; }
  else if (size === 32 || cpu.long64 || nullSs || (ssAttr & ATTR_DB) !== 0) { cpu.lo[Reg.RSP] = size === 16 ? sp & 0xffff : sp; cpu.hi[Reg.RSP] = 0; }
  else cpu.lo[Reg.RSP] = (cpu.lo[Reg.RSP] & ~0xffff) | (sp & 0xffff);
}

/** SDM Vol.2 RET far: real-address/virtual-8086 mode pops (E)IP and CS; protected mode checks descriptors. */
function retf(cpu: Cpu, i: Insn, extra: number): void {
  if (protectedMode(cpu)) {
    retfProtected(cpu, i, extra);
    return;
  }
  const size = i.opSize;
  const n = size >> 3;
  let ip = peek(cpu, size, 0); // peek checks each slot against the SS limit (#SS(0))
  const selector = peek(cpu, size, n);
  if (size === 16) ip &= 0xffff;
  checkIp(cpu, ip);
  release(cpu, 2 * n + extra);
  loadCsIp(cpu, selector, ip);
}

const retfPlain: Handler = (cpu, i) => {
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize;
  retf(cpu, i, 0);
  if (cpu.calls !== null) traceFar(cpu, i, CallKind.FarRet, cs, size);
};
const retfImm: Handler = (cpu, i) => {
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize;
  retf(cpu, i, i.immLo & 0xffff);
  if (cpu.calls !== null) traceFar(cpu, i, CallKind.FarRet, cs, size);
};

// ---- IRET ---------------------------------------------------------------------------------------------

/**
 * SDM Vol.2 IRET, real-address mode: pop (E)IP, CS, (E)FLAGS. 16-bit: FLAGS[15:0] from the stack;
 * 32-bit: EFLAGS ← (temp AND 257FD5H) OR (EFLAGS AND 1A0000H). Virtual-8086 mode: #GP(0) unless IOPL = 3
 * (or a 16-bit IRET with CR4.VME, iretVme), and IOPL itself is not changed.
 */
function iretReal(cpu: Cpu, i: Insn): void {
  const v86 = (cpu.flags & EFLAGS_VM) !== 0;
  if (v86 && (cpu.flags & IOPL) !== IOPL) {
    if (i.opSize !== 16 || (cpu.cr4 & CR4_VME) === 0) raise(Vector.GP, 0, 'IRET in virtual-8086 mode with IOPL < 3');
    iretVme(cpu);
    return;
  }
  const size = i.opSize;
  const n = size >> 3;
  let ip = peek(cpu, size, 0);
  const selector = peek(cpu, size, n);
  const popped = peek(cpu, size, 2 * n);
  if (size === 16) ip &= 0xffff;
  checkIp(cpu, ip);
  // The arithmetic flags are all replaced, so pending lazy flags are simply dropped.
  cpu.lazyOp = LazyOp.None;
  const old = cpu.flags;
  let f: number;
  if (size === 16) f = (old & ~0xffff) | (popped & IRET16_LOADED);
  else f = (popped & IRET32_LOADED) | (old & IRET32_KEPT);
  if (v86) f = (f & ~IOPL) | (old & IOPL);
  cpu.flags = f | 2;
  release(cpu, 3 * n);
  loadCsIp(cpu, selector, ip);
  if ((f & FLAG_IF) !== 0 && (old & FLAG_IF) === 0) cpu.attention |= ATTN_IRQ; // a pending interrupt may now be taken
}

/**
 * A 16-bit IRET in virtual-8086 mode with IOPL < 3 and CR4.VME = 1. SDM Vol.3A §2.3 (IF: "the CPL, IOPL,
 * and the state of the VME flag in control register CR4 determine whether the IF flag can be modified by
 * ... IRET") and §20.3.2 (§22.3.2 in 2024+ editions: VIF and VIP stand for IF in the 8086 program) leave
 * the details to the instruction, and the Vol.2 IRET pseudocode shows #GP(0) only; the rule is Vol.2
 * POPF's VME branch applied to the FLAGS image, as AMD states it for IRET (AMD64 APM Vol.2, virtual-8086
 * mode extensions; AMD-K5 data sheet, Tables 23–27 "Instructions that Modify the IF or VIF Flags"): pop
 * IP, CS, FLAGS; #GP(0) if the image has TF = 1, or IF = 1 while VIP = 1; else VIF ← the image's IF and
 * FLAGS[15:0] ← the image except IF and IOPL, which keep their values. IRETD stays #GP(0) (the caller).
 */
function iretVme(cpu: Cpu): void {
  const ip = peek(cpu, 16, 0) & 0xffff;
  const selector = peek(cpu, 16, 2);
  const popped = peek(cpu, 16, 4);
  const old = cpu.flags;
  if ((popped & FLAG_TF) !== 0 || ((popped & FLAG_IF) !== 0 && (old & FLAG_VIP) !== 0)) {
    raise(Vector.GP, 0, 'IRET with CR4.VME: the FLAGS image sets TF, or IF while VIP is set');
  }
  checkIp(cpu, ip);
  materialize(cpu);
  cpu.lazyOp = LazyOp.None;
  const kept = ~IRET16_LOADED | FLAG_IF | IOPL;
  let f = (cpu.flags & kept) | (popped & ~kept) | 2;
  f = (popped & FLAG_IF) !== 0 ? f | FLAG_VIF : f & ~FLAG_VIF;
  cpu.flags = f;
  release(cpu, 6);
  loadCsIp(cpu, selector, ip);
}

/**
 * EFLAGS after a protected-mode IRET (SDM Vol.2 IRET, RETURN-TO-SAME/OUTER-PRIVILEGE-LEVEL): CF PF AF ZF
 * SF TF DF OF NT always; RF AC ID with a 32/64-bit operand; IF when CPL ≤ IOPL; IOPL (and VIF VIP with
 * 32/64 bits) at CPL 0 — CPL being the level IRET ran at. VM is not loaded.
 */
function iretFlags(cpu: Cpu, temp: number, size: number, oldCpl: number): void {
  let mask = IRET_PM_LOADED;
  if (size !== 16) mask |= FLAG_RF | FLAG_AC | FLAG_ID;
  materialize(cpu);
  const old = cpu.flags;
  if (oldCpl <= ((old >> 12) & 3)) mask |= FLAG_IF;
  if (oldCpl === 0) mask |= IOPL | (size !== 16 ? FLAG_VIF | FLAG_VIP : 0);
  cpu.lazyOp = LazyOp.None;
  cpu.flags = (old & ~mask) | (temp & mask) | 2;
  if ((cpu.flags & FLAG_IF) !== 0 && (old & FLAG_IF) === 0) cpu.attention |= ATTN_IRQ;
}

/** SDM Vol.2 IRET TASK-RETURN: back to the task in the current TSS's link field (legacy mode only). */
function iretTask(cpu: Cpu, i: Insn): void {
  const link = backLink(cpu);
  if ((link & 4) !== 0 || !tryReadDescriptor(cpu, link, 8)) raise(Vector.TS, link & 0xfffc, 'IRET back link not in the GDT');
  const t = desc.attr & (ATTR_S | 0xf);
  if (t !== (SYS_TSS32_AVAIL | 2) && t !== (SYS_TSS16_AVAIL | 2)) raise(Vector.TS, link & 0xfffc, 'IRET back link is not a busy TSS');
  if ((desc.attr & ATTR_P) === 0) raise(Vector.NP, link & 0xfffc, 'IRET back-link TSS not present');
  taskSwitch(cpu, link, TaskSwitch.Iret, 0, i.nextLo);
  afterTaskSwitch(cpu);
}

/** SDM Vol.2 IRET RETURN-TO-VIRTUAL-8086-MODE (IRETD at CPL 0 with VM in the popped EFLAGS). */
function iretToV86(cpu: Cpu, ip: number, cs: number, temp: number): void {
  const esp = peek(cpu, 32, 12);
  const ss = peek(cpu, 32, 16), es = peek(cpu, 32, 20), ds = peek(cpu, 32, 24), fs = peek(cpu, 32, 28), gs = peek(cpu, 32, 32);
  if ((ip & 0xffff0000) !== 0) raise(Vector.GP, 0, 'IRET to virtual-8086 mode with EIP beyond FFFFH');
  const old = cpu.flags;
  cpu.lazyOp = LazyOp.None;
  cpu.flags = temp | 2;
  const sels = [es, cs, ss, ds, fs, gs];
  for (let s = 0; s < 6; s++) {
    const v = sels[s] & 0xffff;
    cpu.segSel[s] = v; cpu.segBaseLo[s] = v << 4; cpu.segBaseHi[s] = 0; cpu.segLimit[s] = 0xffff;
    cpu.segAttr[s] = s === Seg.CS ? 0xfb : 0xf3;
  }
  cpu.lo[Reg.RSP] = esp;
  cpu.hi[Reg.RSP] = 0;
  cpu.ripLo = ip;
  cpu.ripHi = 0;
  setCpl(cpu, 3);
  if ((temp & FLAG_IF) !== 0 && (old & FLAG_IF) === 0) cpu.attention |= ATTN_IRQ;
}

function iretProtected(cpu: Cpu, i: Insn): void {
  if ((cpu.flags & FLAG_NT) !== 0) {
    if (lma(cpu)) raise(Vector.GP, 0, 'IRET with NT = 1 in IA-32e mode');
    iretTask(cpu, i);
    return;
  }
  const size = i.opSize, n = size >> 3;
  let ip = peek(cpu, size, 0);
  let ipHi = size === 64 ? cpu.tmpHi : 0;
  const cs = peek(cpu, size, n) & 0xffff;
  let temp = peek(cpu, size, 2 * n);
  if (size === 16) { ip &= 0xffff; temp &= 0xffff; }
  if (size === 32 && (temp & EFLAGS_VM) !== 0 && cpu.cpl === 0 && !lma(cpu)) {
    iretToV86(cpu, ip, cs, temp);
    return;
  }
  checkReturnCs(cpu, cs);
  const rpl = cs & 3, oldCpl = cpu.cpl;
  const to64 = lma(cpu) && (desc.attr & ATTR_L) !== 0;
  if (!to64 && size !== 64) ipHi = 0;
  // 64-bit mode always pops SS:RSP, even at the same level (SDM Vol.2 IRET IA-32e-MODE; Vol.3A §6.14.3).
  if (rpl === oldCpl && !cpu.long64) {
    checkTarget(cpu, ip, ipHi);
    release(cpu, 3 * n);
    iretFlags(cpu, temp, size, oldCpl);
    enter(cpu, cs, rpl, ip, ipHi);
    return;
  }
  saveCs();
  const sp = peek(cpu, size, 3 * n);
  const spHi = size === 64 ? cpu.tmpHi : 0;
  const ss = peek(cpu, size, 4 * n) & 0xffff;
  const nullSs = checkReturnSs(cpu, ss, rpl, to64);
  if (!nullSs) markAccessed(cpu);
  const ssLo = desc.baseLo, ssLimit = desc.limit, ssAttr = desc.attr;
  restoreCs();
  checkTarget(cpu, ip, ipHi);
  iretFlags(cpu, temp, size, oldCpl);
  enter(cpu, cs, rpl, ip, ipHi);
  if (nullSs) setNull(cpu, Seg.SS, ss);
  else {
    cpu.segSel[Seg.SS] = ss; cpu.segBaseLo[Seg.SS] = ssLo; cpu.segBaseHi[Seg.SS] = 0;
    cpu.segLimit[Seg.SS] = ssLimit; cpu.segAttr[Seg.SS] = ssAttr;
  }
  setStackAfterReturn(cpu, size, sp, spHi, ssAttr, nullSs);
  if (rpl > oldCpl) nullOuterSegments(cpu, rpl);
}

const iret: Handler = (cpu, i) => {
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize;
  if (protectedMode(cpu)) iretProtected(cpu, i);
  else iretReal(cpu, i);
  if (cpu.calls !== null) traceFar(cpu, i, CallKind.Iret, cs, size);
};

// ---- SYSCALL / SYSRET / SYSENTER / SYSEXIT --------------------------------------------------------------
// The MSRs are read through msr.ts, where WRMSR keeps them.

function msrLo(cpu: Cpu, index: number): number {
  return readMsr(cpu, index, 0);
}

function msrHi(cpu: Cpu, index: number): number {
  readMsr(cpu, index, 0);
  return cpu.tmpHi;
}

/**
 * SYSCALL (SDM Vol.2B): #UD outside 64-bit mode or with EFER.SCE = 0 (Intel). RCX ← next RIP, R11 ← RFLAGS,
 * RIP ← LSTAR, RFLAGS &= ~FMASK; CS ← STAR[47:32] & FFFCH and SS ← STAR[47:32] + 8 as flat CPL-0 segments.
 */
const syscall: Handler = (cpu, i) => {
  if (!cpu.long64 || (cpu.efer & EFER_SCE) === 0) raise(Vector.UD, 0, 'SYSCALL outside 64-bit mode or with EFER.SCE = 0');
  materialize(cpu);
  const sel = msrHi(cpu, MSR_STAR) & 0xffff;
  cpu.lo[Reg.RCX] = i.nextLo;
  cpu.hi[Reg.RCX] = i.nextHi;
  cpu.lo[Reg.R11] = cpu.flags & ~FLAG_RF; // RF is cleared in the saved image (SDM Vol.2B SYSCALL Operation)
  cpu.hi[Reg.R11] = 0;
  cpu.ripLo = msrLo(cpu, MSR_LSTAR);
  cpu.ripHi = msrHi(cpu, MSR_LSTAR);
  const old = cpu.flags;
  cpu.lazyOp = LazyOp.None;
  cpu.flags = (old & ~msrLo(cpu, MSR_FMASK) & ~FLAG_RF) | 2;
  loadFlat(cpu, Seg.CS, sel & 0xfffc, 0xb, 0, true);
  loadFlat(cpu, Seg.SS, (sel + 8) & 0xfffc, 0x3, 0, false);
  setCpl(cpu, 0);
};

/**
 * SYSRET (SDM Vol.2B): #UD outside 64-bit mode or with SCE = 0, #GP(0) at CPL ≠ 0 or (REX.W) with a
 * non-canonical RCX (Intel checks before any state changes). RFLAGS ← (R11 & 3C7FD7H) | 2; CS ← STAR[63:48]
 * (+16 for 64-bit) | 3; SS ← STAR[63:48] + 8 | 3.
 */
function sysret(cpu: Cpu, i: Insn): void {
  if (!cpu.long64 || (cpu.efer & EFER_SCE) === 0) raise(Vector.UD, 0, 'SYSRET outside 64-bit mode or with EFER.SCE = 0');
  if (cpu.cpl !== 0) raise(Vector.GP, 0, 'SYSRET at CPL > 0');
  const to64 = i.opSize === 64;
  if (to64 && !isCanonical(cpu, cpu.lo[Reg.RCX], cpu.hi[Reg.RCX])) raise(Vector.GP, 0, 'SYSRET to a non-canonical RCX');
  const base = (msrHi(cpu, MSR_STAR) >>> 16) & 0xffff;
  const old = cpu.flags;
  cpu.lazyOp = LazyOp.None;
  cpu.flags = (cpu.lo[Reg.R11] & 0x3c7fd7) | 2;
  cpu.ripLo = cpu.lo[Reg.RCX];
  cpu.ripHi = to64 ? cpu.hi[Reg.RCX] : 0;
  loadFlat(cpu, Seg.CS, ((to64 ? base + 16 : base) | 3) & 0xffff, 0xb, 3, to64);
  loadFlat(cpu, Seg.SS, ((base + 8) | 3) & 0xffff, 0x3, 3, false);
  setCpl(cpu, 3);
  if ((cpu.flags & FLAG_IF) !== 0 && (old & FLAG_IF) === 0) cpu.attention |= ATTN_IRQ;
}

/**
 * SYSENTER (SDM Vol.2B): #GP(0) in real mode or with SYSENTER_CS[15:2] = 0. VM, IF, RF cleared; CS ←
 * SYSENTER_CS & FFFCH, SS ← that + 8, flat CPL-0 segments (64-bit code when IA-32e mode is active);
 * (R/E)SP and (R/E)IP from SYSENTER_ESP/EIP.
 */
const sysenter: Handler = (cpu) => {
  const cs = msrLo(cpu, MSR_SYSENTER_CS) & 0xffff;
  if ((cpu.cr0 & CR0_PE) === 0 || (cs & 0xfffc) === 0) raise(Vector.GP, 0, 'SYSENTER in real mode or with SYSENTER_CS null');
  const ia32e = lma(cpu);
  materialize(cpu);
  cpu.flags &= ~(EFLAGS_VM | FLAG_IF | FLAG_RF);
  cpu.lo[Reg.RSP] = msrLo(cpu, MSR_SYSENTER_ESP);
  cpu.hi[Reg.RSP] = ia32e ? msrHi(cpu, MSR_SYSENTER_ESP) : 0;
  cpu.ripLo = msrLo(cpu, MSR_SYSENTER_EIP);
  cpu.ripHi = ia32e ? msrHi(cpu, MSR_SYSENTER_EIP) : 0;
  loadFlat(cpu, Seg.CS, cs & 0xfffc, 0xb, 0, ia32e);
  loadFlat(cpu, Seg.SS, (cs + 8) & 0xfffc, 0x3, 0, false);
  setCpl(cpu, 0);
};

/**
 * SYSEXIT (SDM Vol.2B): #GP(0) with SYSENTER_CS[15:2] = 0, in real mode, or at CPL ≠ 0; REX.W: #GP(0) for a
 * non-canonical RCX or RDX. (R/E)SP ← (R/E)CX, (R/E)IP ← (R/E)DX; CS ← SYSENTER_CS + 16 (+32 for 64-bit) | 3,
 * SS ← CS + 8.
 */
function sysexit(cpu: Cpu, i: Insn): void {
  const base = msrLo(cpu, MSR_SYSENTER_CS) & 0xffff;
  if ((base & 0xfffc) === 0 || (cpu.cr0 & CR0_PE) === 0 || cpu.cpl !== 0) raise(Vector.GP, 0, 'SYSEXIT with SYSENTER_CS null, in real mode or at CPL > 0');
  const to64 = i.opSize === 64;
  if (to64 && (!isCanonical(cpu, cpu.lo[Reg.RCX], cpu.hi[Reg.RCX]) || !isCanonical(cpu, cpu.lo[Reg.RDX], cpu.hi[Reg.RDX]))) raise(Vector.GP, 0, 'SYSEXIT to a non-canonical RCX or RDX');
  const cs = ((to64 ? base + 32 : base + 16) | 3) & 0xffff;
  cpu.lo[Reg.RSP] = cpu.lo[Reg.RCX];
  cpu.hi[Reg.RSP] = to64 ? cpu.hi[Reg.RCX] : 0;
  cpu.ripLo = cpu.lo[Reg.RDX];
  cpu.ripHi = to64 ? cpu.hi[Reg.RDX] : 0;
  loadFlat(cpu, Seg.CS, cs, 0xb, 3, to64);
  loadFlat(cpu, Seg.SS, (cs + 8) & 0xffff, 0x3, 3, false);
  setCpl(cpu, 3);
}

/** SYSCALL/SYSRET/SYSENTER/SYSEXIT reported to the call trace (debug/callTrace.ts) when it listens. */
function traced(h: Handler, kind: CallKind): Handler {
  return (cpu, i) => {
    const cs = cpu.segSel[Seg.CS], size = cpu.codeSize;
    h(cpu, i);
    if (cpu.calls !== null) traceFar(cpu, i, kind, cs, size);
  };
}

export const handlers: Record<string, Handler> = {
  jmp_ptr16_16: jmpPtr,
  jmp_ptr16_32: jmpPtr,
  jmp_m16_16: jmpMem,
  jmp_m16_32: jmpMem,
  jmp_m16_64: jmpMem,
  call_ptr16_16: callPtr,
  call_ptr16_32: callPtr,
  call_m16_16: callMem,
  call_m16_32: callMem,
  call_m16_64: callMem,
  retf16: retfPlain,
  retf32: retfPlain,
  retf64: retfPlain,
  retf16_imm16: retfImm,
  retf32_imm16: retfImm,
  retf64_imm16: retfImm,
  iret,
  iretd: iret,
  iretq: iret,
  syscall: traced(syscall, CallKind.Syscall),
  sysret: traced(sysret, CallKind.Sysret),
  sysenter: traced(sysenter, CallKind.Sysenter),
  sysexit: traced(sysexit, CallKind.Sysexit),
};
