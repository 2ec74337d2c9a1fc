// interrupts.ts: delivery of exceptions and interrupts to the guest.
// Real mode through the IVT (SDM Vol.3A §21.1.4); protected mode through 8-byte IDT gates (§6.10–6.12),
// IA-32e mode through 16-byte gates with IST (§6.14); the double-fault rules and shutdown (§6.15,
// Interrupt 8, Table 6-5). The stack frames follow SDM Vol.2 INT n "Operation".
import { materialize } from './flags';
import { FLAG_IF, FLAG_TF } from '../isa/form';
import { ATTR_DB, ATTR_L, CR0_PE, EFER_LMA, EFLAGS_VM } from './modes';
import { ATTN_MODE, Cpu, Reg, Seg } from './state';
import { CR4_VME } from './controlRegs';

const FLAG_VIF = 1 << 19;
import { push } from './stack';
import { VECTOR_NAMES, Vector, hasErrorCode, isCpuFault, raise } from './fault';
import {
  ATTR_P, ATTR_S, SYS_INT_GATE16, SYS_INT_GATE32, SYS_TASK_GATE, SYS_TRAP_GATE16, SYS_TRAP_GATE32,
  SYS_TSS16_AVAIL, SYS_TSS32_AVAIL, TYPE_CODE, TYPE_CONFORMING, TYPE_WRITABLE, desc, frame, frame64, frameCommit,
  frameCurrent, frameNew, framePush, frameRoom, isCanonical, loadCs, markAccessed, setNull, tryReadDescriptor,
} from './segment';
import { FLAG_NT, TaskSwitch, stk, taskSwitch, tssStack, tssStack64 } from './tss';
import { CallKind, traceDelivery } from '../debug/callTrace';

const FLAG_AC = 1 << 18;
const FLAG_RF = 1 << 16;

/** How an event arose: it decides the DPL check (software only) and the EXT bit of error codes. */
export enum Source { Exception, External, Software, Int1 }

/**
 * Delivers exception `vector` for the instruction at cpu.rip (faults restart there). Returns null when
 * delivered, or the explanation when the processor cannot deliver it and shuts down (triple fault).
 * A fault while delivering follows SDM Vol.3A Table 6-5: benign first → the second is delivered;
 * contributory then contributory, or #PF then contributory/#PF → #DF; a fault while delivering #DF → shutdown.
 */
export function deliverException(cpu: Cpu, vector: number, errorCode: number, detail: string): string | null {
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize, lo = cpu.ripLo, hi = cpu.ripHi;
  const r = (cpu.cr0 & CR0_PE) === 0 ? deliverReal(cpu, vector, lo) : deliverWithRules(cpu, vector, errorCode, detail, Source.Exception, lo, hi);
  if (r === null && cpu.calls !== null) traceDelivery(cpu, CallKind.Exception, delivered, cs, size, lo, hi, lo, hi);
  return r;
}

/**
 * An external interrupt or NMI (`external` = true), for the machine's interrupt controller. Returns null,
 * or the shutdown explanation. The return address is the next instruction (cpu.rip).
 */
export function deliverInterrupt(cpu: Cpu, vector: number, external: true): string | null {
  void external;
  cpu.halted = false;
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize, lo = cpu.ripLo, hi = cpu.ripHi;
  const r = (cpu.cr0 & CR0_PE) === 0 ? deliverReal(cpu, vector, lo) : deliverWithRules(cpu, vector, -1, 'external interrupt', Source.External, lo, hi);
  if (r === null && cpu.calls !== null) {
    traceDelivery(cpu, delivered === vector ? CallKind.ExternalInterrupt : CallKind.Exception, delivered, cs, size, lo, hi, lo, hi);
  }
  return r;
}

/** Which instruction raised a software interrupt: the rules differ (SDM Vol.2 INT n/INTO/INT3/INT1). */
export enum SoftInt { IntN, Int3OrInto, Int1 }

/**
 * Software interrupt INT n / INT3 / INTO / INT1 returning to nextLo/nextHi. Real mode: through the IVT.
 * Protected mode: the gate's DPL is checked for INT n/INT3/INTO (not INT1) — #GP(vector × 8 + 2). In
 * virtual-8086 mode INT n (opcode CD only: INT3 and INTO are not IOPL-sensitive, SDM Vol.3A §20.2.7) is
 * #GP(0) with IOPL < 3 — unless CR4.VME is set, when the TSS's interrupt redirection bit map decides
 * (SDM Vol.3A §20.3.3, Table 20-2 "Software Interrupt Handling Methods While in Virtual-8086 Mode";
 * §22.3.3 and Table 22-2 in 2024+ editions): bit n clear sends it to the 8086 handler through the IVT at
 * linear address 0 (method 5 with IOPL = 3, method 6 with IOPL < 3); bit n set goes to the protected-mode
 * handler with IOPL = 3 (method 4), else #GP(0) (method 3). Without VME: the protected-mode handler with
 * IOPL = 3 (method 1), else #GP(0) (method 2). A fault during delivery is raised from the INT instruction
 * (the run loop then delivers it with the double-fault rules).
 */
export function softwareInterrupt(cpu: Cpu, vector: number, nextLo: number, nextHi = 0, kind = SoftInt.IntN): string | null {
  const cs = cpu.segSel[Seg.CS], size = cpu.codeSize;
  if ((cpu.cr0 & CR0_PE) === 0) {
    const r = deliverReal(cpu, vector, nextLo);
    if (r === null && cpu.calls !== null) traceDelivery(cpu, CallKind.SoftwareInterrupt, vector, cs, size, nextLo, 0, nextLo, 0);
    return r;
  }
  if (kind === SoftInt.IntN && (cpu.flags & EFLAGS_VM) !== 0) {
    const iopl = (cpu.flags >> 12) & 3;
    if ((cpu.cr4 & CR4_VME) !== 0 && !redirectionBit(cpu, vector)) {
      redirectV86(cpu, vector, nextLo, iopl);
      if (cpu.calls !== null) traceDelivery(cpu, CallKind.SoftwareInterrupt, vector, cs, size, nextLo, 0, nextLo, 0);
      return null;
    }
    if (iopl < 3) raise(Vector.GP, 0, 'INT n in virtual-8086 mode with IOPL < 3');
  }
  deliverProtected(cpu, vector, -1, kind === SoftInt.Int1 ? Source.Int1 : Source.Software, nextLo, nextHi);
  // (The INT instruction's own address is not known here: the event's rip is the return address.)
  if (cpu.calls !== null) traceDelivery(cpu, CallKind.SoftwareInterrupt, vector, cs, size, nextLo, nextHi, nextLo, nextHi);
  return null;
}

/**
 * Bit `vector` of the interrupt redirection bit map: the 32 bytes just below the I/O map base (the word
 * at TSS byte 102) of the current 32-bit TSS (SDM Vol.3A §20.3.3, Figure 20-5). A byte beyond the TSS
 * limit, or a TSS without the field, is #GP(0).
 */
function redirectionBit(cpu: Cpu, vector: number): boolean {
  const type = cpu.segAttr[Seg.TR] & 0xf, limit = cpu.segLimit[Seg.TR] >>> 0, base = cpu.segBaseLo[Seg.TR];
  if ((type !== 9 && type !== 11) || limit < 103) raise(Vector.GP, 0, 'VME: no interrupt redirection bit map (TSS not 32-bit, or limit < 103)');
  const at = cpu.mem.readSystem((base + 102) | 0, 0, 2) - 32 + (vector >>> 3);
  if (at < 0 || at > limit) raise(Vector.GP, 0, `VME: the redirection bit for INT 0x${vector.toString(16)} lies outside the TSS`);
  return ((cpu.mem.readSystem((base + at) | 0, 0, 1) >>> (vector & 7)) & 1) !== 0;
}

/**
 * An INT n redirected to the 8086 program's own handler (SDM Vol.3A §20.3.3.4–5, methods 5 and 6): FLAGS,
 * CS and IP pushed on the virtual-8086 stack — with IOPL < 3 the FLAGS image has IF ← VIF and IOPL = 3 —
 * then CS:IP from the IVT at linear address 0; TF cleared, and IF (IOPL = 3) or VIF (IOPL < 3) cleared.
 */
function redirectV86(cpu: Cpu, vector: number, ip: number, iopl: number): void {
  materialize(cpu);
  const m = cpu.mem;
  const offset = m.read16(vector * 4, 0);
  const selector = m.read16(vector * 4 + 2, 0);
  let image = cpu.flags & 0xffff;
  if (iopl < 3) image = (image & ~FLAG_IF & ~0x3000) | ((cpu.flags & FLAG_VIF) !== 0 ? FLAG_IF : 0) | 0x3000;
  push(cpu, 16, image, 0);
  push(cpu, 16, cpu.segSel[Seg.CS], 0);
  push(cpu, 16, ip, 0);
  cpu.flags &= ~(FLAG_TF | (iopl === 3 ? FLAG_IF : FLAG_VIF));
  cpu.segSel[Seg.CS] = selector;
  cpu.segBaseLo[Seg.CS] = selector << 4;
  cpu.ripLo = offset;
  cpu.ripHi = 0;
  cpu.attention |= ATTN_MODE;
}

/** The vector the last delivery went through (after the double-fault rules), for the call trace. */
let delivered = 0;

/**
 * Fault-class exceptions (SDM Vol.3A Table 6-1): those whose saved EIP is the faulting instruction. #DB is
 * left out (a fault only for instruction breakpoints, which push RF as it is), #DF and #MC are aborts.
 */
function faultClass(v: number): boolean {
  return v === Vector.DE || v === Vector.BR || v === Vector.UD || v === Vector.NM || v === Vector.TS || v === Vector.NP ||
    v === Vector.SS || v === Vector.GP || v === Vector.PF || v === Vector.MF || v === Vector.AC || v === Vector.XM ||
    v === Vector.VE || v === Vector.CP;
}

/** Contributory exceptions (SDM Vol.3A Table 6-4): #DE, #TS, #NP, #SS, #GP (and #CP). */
function contributory(v: number): boolean {
  return v === Vector.DE || v === Vector.TS || v === Vector.NP || v === Vector.SS || v === Vector.GP || v === Vector.CP;
}

function describe(vector: number, errorCode: number, detail: string): string {
  const name = VECTOR_NAMES[vector] ?? `vector ${vector}`;
  const code = errorCode >= 0 && hasErrorCode(vector) ? `(0x${errorCode.toString(16)})` : '';
  return `${name}${code} (${detail})`;
}

function deliverWithRules(cpu: Cpu, vector: number, errorCode: number, detail: string, source: Source, lo: number, hi: number): string | null {
  let chain = describe(vector, errorCode, detail);
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      deliverProtected(cpu, vector, errorCode, source, lo, hi);
      return null;
    } catch (e) {
      if (!isCpuFault(e)) throw e;
      const second = describe(e.vector, e.errorCode, e.detail);
      const where = `vector ${vector} through the IDT at ${idtrText(cpu)}`;
      if (vector === Vector.DF) {
        return `triple fault: ${second} while delivering #DF (${where}); the #DF arose from ${chain}. ` +
          'The processor shuts down: no handler could be reached for the double fault (SDM Vol.3A §6.15, Interrupt 8).';
      }
      const first = vector;
      const df = (contributory(first) && contributory(e.vector)) || (first === Vector.PF && (contributory(e.vector) || e.vector === Vector.PF));
      if (df) {
        chain = `${second} while delivering ${chain} (${where}) — a double fault (SDM Vol.3A Table 6-5)`;
        vector = Vector.DF;
        errorCode = 0;
      } else {
        // Benign first event: the second is handled serially (Table 6-5), as an exception.
        chain = `${second} while delivering ${chain} (${where})`;
        vector = e.vector;
        errorCode = e.errorCode;
      }
      source = Source.Exception;
      lo = cpu.ripLo;
      hi = cpu.ripHi;
    }
  }
  return `shutdown: repeated faults delivering ${chain}`;
}

function idtrText(cpu: Cpu): string {
  const hex = (v: number): string => (v >>> 0).toString(16);
  return `0x${cpu.idtrBaseHi !== 0 ? hex(cpu.idtrBaseHi) + hex(cpu.idtrBaseLo).padStart(8, '0') : hex(cpu.idtrBaseLo)} (limit 0x${hex(cpu.idtrLimit)})`;
}

/** Real-mode delivery: push FLAGS, CS, IP; load CS:IP from the IVT; clear IF, TF, AC. */
function deliverReal(cpu: Cpu, vector: number, ip: number): string | null {
  delivered = vector;
  const entry = vector * 4;
  if (entry + 3 > cpu.idtrLimit) return `vector ${vector} lies beyond the IVT limit 0x${cpu.idtrLimit.toString(16)}`;
  materialize(cpu);
  const m = cpu.mem;
  const offset = m.read16((cpu.idtrBaseLo + entry) | 0, 0);
  const selector = m.read16((cpu.idtrBaseLo + entry + 2) | 0, 0);
  push(cpu, 16, cpu.flags, 0);
  push(cpu, 16, cpu.segSel[Seg.CS], 0);
  push(cpu, 16, ip, 0);
  cpu.flags &= ~(FLAG_IF | FLAG_TF | FLAG_AC);
  cpu.repResume = false;
  cpu.segSel[Seg.CS] = selector;
  cpu.segBaseLo[Seg.CS] = selector << 4;
  cpu.ripLo = offset;
  cpu.ripHi = 0;
  return null;
}

// The gate being delivered through (module state: nothing allocated per event).
let gLo = 0, gHi = 0, gHi2 = 0;

/**
 * Protected-mode and IA-32e delivery (SDM Vol.2 INT n, PROTECTED-MODE and IA-32e-MODE branches). Raises
 * the fault that stops delivery; architectural registers change only once every check has passed.
 */
function deliverProtected(cpu: Cpu, vector: number, errorCode: number, source: Source, retLo: number, retHi: number): void {
  delivered = vector;
  const ext = source === Source.Exception || source === Source.External || source === Source.Int1 ? 1 : 0;
  const idtErr = (vector << 3) | 2 | ext;
  const ia32e = (cpu.efer & EFER_LMA) !== 0;
  const size = ia32e ? 16 : 8;
  if ((vector * size + size - 1) > (cpu.idtrLimit >>> 0)) raise(Vector.GP, idtErr, `IDT entry for vector ${vector} beyond the IDT limit`);
  const a = (cpu.idtrBaseLo + vector * size) | 0;
  const aHi = ia32e ? (cpu.idtrBaseHi + ((a >>> 0) < (cpu.idtrBaseLo >>> 0) ? 1 : 0)) | 0 : 0;
  // The IDT is read with supervisor rights whatever the CPL: an implicit supervisor-mode access (SDM
  // Vol.3A §4.6.1). Linux with page-table isolation maps its IDT supervisor-only in the user page tables.
  gLo = cpu.mem.readSystem(a, aHi, 4);
  gHi = cpu.mem.readSystem((a + 4) | 0, aHi, 4);
  gHi2 = ia32e ? cpu.mem.readSystem((a + 8) | 0, aHi, 4) : 0;
  const attr = (gHi >>> 8) & 0xffff;
  const type = attr & (ATTR_S | 0xf);
  const valid = ia32e ? type === SYS_INT_GATE32 || type === SYS_TRAP_GATE32
    : type === SYS_INT_GATE32 || type === SYS_TRAP_GATE32 || type === SYS_INT_GATE16 || type === SYS_TRAP_GATE16 || type === SYS_TASK_GATE;
  if (!valid) raise(Vector.GP, idtErr, `IDT entry for vector ${vector} is not an interrupt, trap or task gate`);
  if (source === Source.Software && ((attr >> 5) & 3) < cpu.cpl) raise(Vector.GP, (vector << 3) | 2, `INT ${vector}: gate DPL < CPL`);
  if ((attr & ATTR_P) === 0) raise(Vector.NP, idtErr, `IDT gate for vector ${vector} not present`);
  const pushError = source === Source.Exception && errorCode >= 0 && hasErrorCode(vector);

  if (type === SYS_TASK_GATE) {
    // TASK-GATE: an available TSS in the GDT (#GP/#NP with the TSS selector), then the error code on the new stack.
    const tss = gLo >>> 16;
    if ((tss & 4) !== 0 || !tryReadDescriptor(cpu, tss, 8)) raise(Vector.GP, (tss & 0xfffc) | ext, 'task gate TSS selector not in the GDT');
    const t = desc.attr & (ATTR_S | 0xf);
    if (t !== SYS_TSS32_AVAIL && t !== SYS_TSS16_AVAIL) raise(Vector.GP, (tss & 0xfffc) | ext, 'interrupt task gate leads to a busy or non-TSS descriptor');
    if ((desc.attr & ATTR_P) === 0) raise(Vector.NP, (tss & 0xfffc) | ext, 'interrupt task TSS not present');
    taskSwitch(cpu, tss, TaskSwitch.Interrupt, ext, retLo);
    cpu.repResume = false;
    if (pushError) push(cpu, (cpu.segAttr[Seg.TR] & 8) !== 0 ? 32 : 16, errorCode, 0);
    if ((cpu.ripLo >>> 0) > (cpu.segLimit[Seg.CS] >>> 0)) raise(Vector.GP, ext, 'interrupt task EIP beyond the CS limit');
    return;
  }

  // TRAP-OR-INTERRUPT-GATE: the handler's code segment.
  const gateSize = ia32e ? 64 : (type & 8) !== 0 ? 32 : 16;
  const interruptGate = (type & 1) === 0;
  const cs = gLo >>> 16;
  const ipLo = ia32e ? (gLo & 0xffff) | (gHi & 0xffff0000) : gateSize === 32 ? (gLo & 0xffff) | (gHi & 0xffff0000) : gLo & 0xffff;
  const ipHi = ia32e ? gHi2 : 0;
  const ist = ia32e ? gHi & 7 : 0;
  if ((cs & 0xfffc) === 0) raise(Vector.GP, ext, 'interrupt gate code segment selector is null');
  if (!tryReadDescriptor(cpu, cs, 8)) raise(Vector.GP, (cs & 0xfffc) | ext, 'interrupt gate code segment beyond the descriptor table');
  const c = desc.attr, dpl = (c >> 5) & 3;
  if ((c & (ATTR_S | TYPE_CODE)) !== (ATTR_S | TYPE_CODE) || dpl > cpu.cpl) raise(Vector.GP, (cs & 0xfffc) | ext, 'interrupt handler segment not code or DPL > CPL');
  if (ia32e && ((c & ATTR_L) === 0 || (c & ATTR_DB) !== 0)) raise(Vector.GP, (cs & 0xfffc) | ext, 'IA-32e interrupt handler must be 64-bit code');
  if ((c & ATTR_P) === 0) raise(Vector.NP, (cs & 0xfffc) | ext, 'interrupt handler code segment not present');
  const csLimit = desc.limit;
  const v86 = (cpu.flags & EFLAGS_VM) !== 0;
  const inner = (c & TYPE_CONFORMING) === 0 && dpl < cpu.cpl;
  if (v86 && !inner) raise(Vector.GP, (cs & 0xfffc) | ext, 'interrupt from virtual-8086 mode to a handler not at CPL 0');
  if (v86 && dpl !== 0) raise(Vector.GP, (cs & 0xfffc) | ext, 'interrupt from virtual-8086 mode to a handler not at CPL 0');
  const csSaved = saveCode();

  materialize(cpu);
  // The RF image pushed (SDM Vol.3B §17.3.1.1, "When calling an event handler"): 1 for fault-class
  // exceptions other than an instruction-breakpoint #DB, and for an interrupt or a trap (single-step, data
  // or I/O breakpoint) after an iteration of a repeated string instruction but the last (cpu.repResume);
  // 0 for INT n/INT3/INTO/INT1 (RF is cleared as the instruction starts); else the current RF.
  const oldFlags = (source === Source.Exception && faultClass(vector)) || cpu.repResume ? cpu.flags | FLAG_RF
    : source === Source.Software || source === Source.Int1 ? cpu.flags & ~FLAG_RF : cpu.flags;
  const oldCs = cpu.segSel[Seg.CS];
  const oldSs = cpu.segSel[Seg.SS];
  const oldSpLo = cpu.lo[Reg.RSP], oldSpHi = cpu.long64 ? cpu.hi[Reg.RSP] : 0;
  const slot = gateSize;
  const n = slot >> 3;
  let newSs = -1, ssLo = 0, ssLimit = 0, ssAttr = 0;

  if (ia32e) {
    // 64-bit frames: SS:RSP always pushed, the stack aligned to 16 bytes (SDM Vol.3A §6.14.2–6.14.4).
    if (inner || ist !== 0) {
      tssStack64(cpu, dpl, ist, ext);
      frame64(inner ? dpl : oldSs, stk.spLo & ~15, stk.spHi, ext, inner ? dpl : cpu.cpl);
      if (!isCanonical(cpu, stk.spLo, stk.spHi)) raise(Vector.SS, ext, 'IST/RSPn stack pointer non-canonical');
    } else {
      frame64(oldSs, oldSpLo & ~15, cpu.hi[Reg.RSP], ext, cpu.cpl);
      if (!isCanonical(cpu, oldSpLo, cpu.hi[Reg.RSP])) raise(Vector.SS, ext, 'stack pointer non-canonical');
    }
    // SS becomes null with RPL = the new CPL on a privilege change (§6.14.4) and whenever the gate
    // names an IST stack, even at the same CPL (Vol.3A §6.14.5 / §7.14.5 in newer editions: "the new SS
    // selector is forced to NULL and the SS selector's RPL field is set to the new CPL").
    if (inner || ist !== 0) newSs = inner ? dpl : cpu.cpl;
    frameRoom(cpu, pushError ? 48 : 40);
    if (!isCanonical(cpu, ipLo, ipHi)) raise(Vector.GP, ext, 'interrupt handler RIP non-canonical');
    framePush(cpu, 64, oldSs, 0);
    framePush(cpu, 64, oldSpLo, oldSpHi);
    framePush(cpu, 64, oldFlags, 0);
    framePush(cpu, 64, oldCs, 0);
    framePush(cpu, 64, retLo, cpu.long64 ? retHi : 0);
    if (pushError) framePush(cpu, 64, errorCode, 0);
  } else if (inner) {
    // INTER-PRIVILEGE-LEVEL-INTERRUPT (and INTERRUPT-FROM-VIRTUAL-8086-MODE): SSn:ESPn from the TSS.
    tssStack(cpu, dpl, ext);
    const ss = stk.ss;
    if ((ss & 0xfffc) === 0) raise(Vector.TS, ext, 'inner stack selector in the TSS is null');
    if (!tryReadDescriptor(cpu, ss, 8) || (ss & 3) !== dpl) raise(Vector.TS, (ss & 0xfffc) | ext, 'inner stack selector invalid or RPL ≠ handler DPL');
    const sa = desc.attr;
    if (((sa >> 5) & 3) !== dpl || (sa & (ATTR_S | TYPE_CODE | TYPE_WRITABLE)) !== (ATTR_S | TYPE_WRITABLE)) raise(Vector.TS, (ss & 0xfffc) | ext, 'inner stack segment not writable data at the handler DPL');
    if ((sa & ATTR_P) === 0) raise(Vector.SS, (ss & 0xfffc) | ext, 'inner stack segment not present');
    frameNew(ss, stk.spLo, (ss & 0xfffc) | ext);
    frameRoom(cpu, n * ((v86 ? 9 : 5) + (pushError ? 1 : 0)));
    markAccessed(cpu);
    newSs = ss; ssLo = desc.baseLo; ssLimit = desc.limit; ssAttr = desc.attr;
    if ((ipLo >>> 0) > (csLimit >>> 0)) raise(Vector.GP, ext, 'interrupt handler EIP beyond the CS limit');
    if (v86) {
      framePush(cpu, slot, cpu.segSel[Seg.GS], 0);
      framePush(cpu, slot, cpu.segSel[Seg.FS], 0);
      framePush(cpu, slot, cpu.segSel[Seg.DS], 0);
      framePush(cpu, slot, cpu.segSel[Seg.ES], 0);
    }
    framePush(cpu, slot, oldSs, 0);
    framePush(cpu, slot, oldSpLo, 0);
    framePush(cpu, slot, oldFlags, 0);
    framePush(cpu, slot, oldCs, 0);
    framePush(cpu, slot, retLo, 0);
    if (pushError) framePush(cpu, slot, errorCode, 0);
  } else {
    // INTRA-PRIVILEGE-LEVEL-INTERRUPT: the current stack.
    frameCurrent(cpu, ext);
    frameRoom(cpu, n * (pushError ? 4 : 3));
    if ((ipLo >>> 0) > (csLimit >>> 0)) raise(Vector.GP, ext, 'interrupt handler EIP beyond the CS limit');
    framePush(cpu, slot, oldFlags, 0);
    framePush(cpu, slot, oldCs, 0);
    framePush(cpu, slot, retLo, 0);
    if (pushError) framePush(cpu, slot, errorCode, 0);
  }

  // Commit: SS:RSP, CS:RIP, CPL, EFLAGS (SDM Vol.2 INT n: TF, VM, RF, NT cleared; IF for interrupt gates).
  if (newSs >= 0) {
    if (ia32e) setNull(cpu, Seg.SS, newSs);
    else {
      cpu.segSel[Seg.SS] = newSs; cpu.segBaseLo[Seg.SS] = ssLo; cpu.segBaseHi[Seg.SS] = 0;
      cpu.segLimit[Seg.SS] = ssLimit; cpu.segAttr[Seg.SS] = ssAttr;
    }
  }
  if (frame.width === 32) cpu.hi[Reg.RSP] = 0;
  // A 16-bit inner stack changes SP only: ESP[31:16] come from ESPn in the TSS, never from the outer ESP.
  else if (frame.width === 16 && newSs >= 0) cpu.lo[Reg.RSP] = stk.spLo;
  frameCommit(cpu);
  if (v86) for (const s of V86_NULLED) setNull(cpu, s, 0);
  let f = cpu.flags & ~(FLAG_TF | EFLAGS_VM | FLAG_RF | FLAG_NT);
  if (interruptGate) f &= ~FLAG_IF;
  cpu.flags = f;
  restoreCode(csSaved);
  loadCs(cpu, cs, inner ? dpl : cpu.cpl);
  cpu.ripLo = ipLo;
  cpu.ripHi = ia32e ? ipHi : 0;
  cpu.halted = false;
  cpu.repResume = false;
  cpu.attention |= ATTN_MODE;
}
const V86_NULLED = [Seg.GS, Seg.FS, Seg.DS, Seg.ES];

// The handler's code descriptor while `desc` is reused for the stack segment.
const saved = { lo: 0, hi: 0, hi2: 0, hi3: 0, baseLo: 0, limit: 0, attr: 0, addrLo: 0, addrHi: 0 };
function saveCode(): typeof saved { Object.assign(saved, desc); return saved; }
function restoreCode(s: typeof saved): void { Object.assign(desc, s); }

