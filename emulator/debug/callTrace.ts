// callTrace.ts: control transfers a debugger needs for its shadow call stack (callStack.ts) — near and
// far CALL and RET, software interrupts, delivered exceptions and external interrupts, IRET, SYSCALL/SYSRET,
// SYSENTER/SYSEXIT. The processor reports them through cpu.calls, which is null unless someone listens:
// the handlers pay one null check, and only on these transfers. Every report fills the one CallEvent
// below and hands it to the listener, which must copy what it keeps: nothing is allocated per event.
import type { Insn } from '../cpu/insn';
import { Cpu, CodeSize, Seg } from '../cpu/state';
import { ATTR_DB, ATTR_L, EFER_LMA } from '../cpu/modes';

export enum CallKind {
  /** Near CALL (rel or r/m). */
  Call,
  /** Near RET (with or without imm16). */
  Ret,
  /** Far CALL (ptr16:xx, m16:xx; through a call gate too). */
  FarCall,
  /** Far RET (RETF/LRET, with or without imm16). */
  FarRet,
  /** INT n, INT3, INTO, INT1 delivered. */
  SoftwareInterrupt,
  /** An exception delivered (the vector actually delivered: #DF after a double fault). */
  Exception,
  /** An external interrupt or NMI delivered. */
  ExternalInterrupt,
  Iret,
  Syscall,
  Sysret,
  Sysenter,
  Sysexit,
}

/** One transfer. Addresses are 64-bit values as int32 lo/hi halves. */
export class CallEvent {
  kind = CallKind.Call;
  /**
   * RIP (not linear) of the instruction that made the transfer. Exceptions: the RIP saved in the frame
   * (the faulting instruction for a fault); external interrupts: the RIP saved (the next instruction).
   */
  ripLo = 0; ripHi = 0;
  /** CS selector and code size (16, 32, 64) where it was made. */
  fromCs = 0;
  fromCodeSize: 16 | 32 | 64 = 16;
  /** Where execution continues: new CS selector and RIP. */
  targetCs = 0;
  targetLo = 0; targetHi = 0;
  /** The return address saved (calls, interrupts, SYSCALL's RCX); for returns, 0. */
  returnCs = 0;
  returnLo = 0; returnHi = 0;
  /** RSP after the transfer (after the pushes of a call, the pops of a return). */
  rspLo = 0; rspHi = 0;
  /**
   * Linear address of the top of the stack after the transfer: SS base + SP/ESP (by SS.B), or RSP when
   * the transfer lands in 64-bit mode. Comparable across frames on one stack.
   */
  stackLo = 0; stackHi = 0;
  /** Interrupt or exception vector; -1 for the others. */
  vector = -1;
}

/** Listener interface: the debugger implements it and sets cpu.calls. */
export interface CallTraceListener {
  transfer(e: CallEvent): void;
}

const ev = new CallEvent();
const SIZES: (16 | 32 | 64)[] = [16, 32, 64];

/** A decoder code size as a number of bits. */
export function codeSizeBits(size: CodeSize): 16 | 32 | 64 {
  return SIZES[size === CodeSize.Bits16 ? 0 : size === CodeSize.Bits32 ? 1 : 2];
}

/** Address of instruction `i`: its next RIP minus its length (wrapped like RIP in 16/32-bit code). */
function setInsnRip(size: CodeSize, i: Insn): void {
  const s = (i.nextLo >>> 0) - i.len;
  if (size === CodeSize.Bits64) {
    ev.ripLo = s | 0;
    ev.ripHi = s < 0 ? (i.nextHi - 1) | 0 : i.nextHi;
  } else {
    ev.ripLo = size === CodeSize.Bits16 ? s & 0xffff : s | 0;
    ev.ripHi = 0;
  }
}

/** Fills the target and stack fields from the processor as it is after the transfer, and reports. */
function finish(cpu: Cpu, kind: CallKind): void {
  const listener = cpu.calls;
  if (listener === null) return;
  ev.kind = kind;
  ev.targetCs = cpu.segSel[Seg.CS];
  ev.targetLo = cpu.ripLo;
  ev.targetHi = cpu.ripHi;
  const spLo = cpu.lo[4], spHi = cpu.hi[4];
  ev.rspLo = spLo;
  ev.rspHi = spHi;
  // The mode after the transfer is derived later (ATTR_MODE service): read it from CS and EFER now.
  if ((cpu.efer & EFER_LMA) !== 0 && (cpu.segAttr[Seg.CS] & ATTR_L) !== 0) {
    ev.stackLo = spLo;
    ev.stackHi = spHi;
  } else {
    const sp = (cpu.segAttr[Seg.SS] & ATTR_DB) !== 0 ? spLo >>> 0 : spLo & 0xffff;
    ev.stackLo = (cpu.segBaseLo[Seg.SS] + sp) | 0;
    ev.stackHi = 0;
  }
  listener.transfer(ev);
}

/** The source fields of a transfer made by instruction `i` in CS `cs` with code size `size`. */
function from(i: Insn, cs: number, size: CodeSize): void {
  setInsnRip(size, i);
  ev.fromCs = cs;
  ev.fromCodeSize = codeSizeBits(size);
  ev.vector = -1;
}

/** After a near CALL by `i` (return address = the next instruction). Call only when cpu.calls !== null. */
export function traceNearCall(cpu: Cpu, i: Insn): void {
  from(i, cpu.segSel[Seg.CS], cpu.codeSize);
  ev.returnCs = ev.fromCs;
  ev.returnLo = i.opSize === 16 ? i.nextLo & 0xffff : i.nextLo;
  ev.returnHi = i.opSize === 64 ? i.nextHi : 0;
  finish(cpu, CallKind.Call);
}

/** After a near RET by `i`. */
export function traceNearRet(cpu: Cpu, i: Insn): void {
  from(i, cpu.segSel[Seg.CS], cpu.codeSize);
  ev.returnCs = 0; ev.returnLo = 0; ev.returnHi = 0;
  finish(cpu, CallKind.Ret);
}

/**
 * After a far transfer by `i` that began in CS `cs` with code size `size` (both read before the
 * handler ran: far handlers change CS). Calls save `cs`:next RIP as the return address.
 */
export function traceFar(cpu: Cpu, i: Insn, kind: CallKind, cs: number, size: CodeSize): void {
  from(i, cs, size);
  const call = kind === CallKind.FarCall || kind === CallKind.Syscall || kind === CallKind.Sysenter;
  ev.returnCs = call ? cs : 0;
  ev.returnLo = call ? (size === CodeSize.Bits16 ? i.nextLo & 0xffff : i.nextLo) : 0;
  ev.returnHi = call && size === CodeSize.Bits64 ? i.nextHi : 0;
  if (kind === CallKind.Sysenter) { ev.returnLo = 0; ev.returnHi = 0; } // SYSENTER saves no return address
  finish(cpu, kind);
}

/**
 * After an interrupt or exception was delivered (interrupts.ts): `kind` is SoftwareInterrupt, Exception
 * or ExternalInterrupt; `cs`/`size` the code it interrupted; retLo/retHi the RIP saved in the frame;
 * `insnLo`/`insnHi` the RIP of the INT instruction (software interrupts) or the saved RIP.
 */
export function traceDelivery(cpu: Cpu, kind: CallKind, vector: number, cs: number, size: CodeSize, retLo: number, retHi: number, insnLo: number, insnHi: number): void {
  ev.ripLo = insnLo;
  ev.ripHi = insnHi;
  ev.fromCs = cs;
  ev.fromCodeSize = codeSizeBits(size);
  ev.returnCs = cs;
  ev.returnLo = retLo;
  ev.returnHi = retHi;
  ev.vector = vector;
  finish(cpu, kind);
}
