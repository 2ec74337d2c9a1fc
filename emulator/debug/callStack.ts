// callStack.ts: the debugger's shadow call stack, built from the call trace (callTrace.ts) — the frames
// of a stack trace and the target of "step out". It does not read guest memory, so it works before any
// symbol or frame-pointer convention exists (boot code), and it stays robust to code that does not
// return the way it called:
// - a near RET pops every call frame whose saved-return slot lies below the new top of stack (so code
//   that discards return addresses itself, or longjmps, loses those frames at its next RET), and a CALL
//   first drops call frames at or below its own return slot (the stack was unwound past them);
// - those stack comparisons stop at the newest interrupt/exception/syscall frame: the handler may run
//   on another stack (SDM Vol.3A §6.12.1 privilege change, §6.14.5 IST; SYSCALL's kernel stack switch);
// - IRET pops the newest interrupt or exception frame whose return address it goes back to, or failing
//   that the newest one on top of the context (handlers that return elsewhere, e.g. fixups); SYSRET and
//   SYSEXIT likewise the newest syscall frame; a far RET pops like a near RET, so an LRET used as a jump
//   into another mode (push CS, push RIP, LRET) pops nothing: the stack ends where it was before the pushes.
import { CallEvent, CallKind, CallTraceListener } from './callTrace';

export type FrameKind = 'call' | 'farCall' | 'interrupt' | 'exception' | 'syscall';

/** One frame; 64-bit values as int32 lo/hi halves. */
export interface Frame {
  kind: FrameKind;
  /** Address (RIP) of the instruction that made the call; for interrupts and exceptions the RIP saved. */
  callerLo: number; callerHi: number;
  /** CS selector and code size (16, 32, 64) of the code that made the call: the mode to show it in. */
  callerCs: number;
  codeSize: 16 | 32 | 64;
  /** Entry point called (CS:RIP). */
  targetCs: number;
  targetLo: number; targetHi: number;
  /** The return address saved (for SYSENTER, which saves none: 0). */
  returnCs: number;
  returnLo: number; returnHi: number;
  /** Linear top of stack just after the call (the slot holding the return address for near calls). */
  stackLo: number; stackHi: number;
  /** Interrupt or exception vector; -1 for calls. */
  vector: number;
}

/** Frames kept at most: the oldest are dropped beyond this. */
export const MAX_DEPTH = 1024;

/** Unsigned 64-bit comparison of hi:lo pairs: negative, 0 or positive as a < b, a = b, a > b. */
function compare(aLo: number, aHi: number, bLo: number, bHi: number): number {
  if (aHi !== bHi) return (aHi >>> 0) < (bHi >>> 0) ? -1 : 1;
  if (aLo !== bLo) return (aLo >>> 0) < (bLo >>> 0) ? -1 : 1;
  return 0;
}

function isContext(f: Frame): boolean {
  return f.kind === 'interrupt' || f.kind === 'exception' || f.kind === 'syscall';
}

export class CallStack implements CallTraceListener {
  /** Oldest first. */
  private readonly frames: Frame[] = [];
  /** Frames dropped at the bottom because the depth reached `maxDepth`. */
  dropped = 0;

  constructor(readonly maxDepth = MAX_DEPTH) {}

  /** The frames, newest first (as a stack trace lists them). */
  get(): readonly Frame[] {
    return [...this.frames].reverse();
  }

  get depth(): number {
    return this.frames.length;
  }

  /** Forgets every frame (a new launch, a reset). */
  clear(): void {
    this.frames.length = 0;
    this.dropped = 0;
  }

  transfer(e: CallEvent): void {
    switch (e.kind) {
      case CallKind.Call: case CallKind.FarCall:
        this.popStale(e, true);
        this.push(e, e.kind === CallKind.Call ? 'call' : 'farCall');
        break;
      case CallKind.Ret: case CallKind.FarRet:
        this.popStale(e, false);
        break;
      case CallKind.SoftwareInterrupt: case CallKind.ExternalInterrupt:
        this.push(e, 'interrupt');
        break;
      case CallKind.Exception:
        this.push(e, 'exception');
        break;
      case CallKind.Syscall: case CallKind.Sysenter:
        this.push(e, 'syscall');
        break;
      case CallKind.Iret: case CallKind.Sysret: case CallKind.Sysexit:
        if (!this.popContextTo(e)) this.popTopContext(e.kind === CallKind.Iret ? 'interrupt' : 'syscall');
        break;
    }
  }

  private push(e: CallEvent, kind: FrameKind): void {
    if (this.frames.length >= this.maxDepth) {
      this.frames.shift();
      this.dropped++;
    }
    this.frames.push({
      kind, callerLo: e.ripLo, callerHi: e.ripHi, callerCs: e.fromCs, codeSize: e.fromCodeSize,
      targetCs: e.targetCs, targetLo: e.targetLo, targetHi: e.targetHi,
      returnCs: e.returnCs, returnLo: e.returnLo, returnHi: e.returnHi,
      stackLo: e.stackLo, stackHi: e.stackHi, vector: e.vector,
    });
  }

  /**
   * Drops call frames above the newest context frame whose return slot the stack has left behind: at or
   * below the new top (`inclusive`, for a CALL that reuses the slot) or below it (a RET just popped it).
   */
  private popStale(e: CallEvent, inclusive: boolean): void {
    const f = this.frames;
    while (f.length !== 0) {
      const top = f[f.length - 1];
      if (isContext(top)) return;
      const c = compare(top.stackLo, top.stackHi, e.stackLo, e.stackHi);
      if (c > 0 || (c === 0 && !inclusive)) return;
      f.pop();
    }
  }

  /**
   * For IRET (interrupt and exception frames) or SYSRET/SYSEXIT (syscall frames): pops the newest such
   * frame, and all above it, whose return address is where `e` went. Returns whether one matched.
   */
  private popContextTo(e: CallEvent): boolean {
    const f = this.frames;
    for (let k = f.length - 1; k >= 0; k--) {
      const x = f[k];
      const kindOk = e.kind === CallKind.Iret ? x.kind === 'interrupt' || x.kind === 'exception' : x.kind === 'syscall';
      // SYSRET loads a fixed CS from the STAR MSR, not the one saved: only the RIP has to match there.
      if (kindOk && x.returnLo === e.targetLo && x.returnHi === e.targetHi && (x.kind === 'syscall' || x.returnCs === e.targetCs)) {
        f.length = k;
        return true;
      }
    }
    return false;
  }

  /** Pops the newest context frame and what is above it, if it is of `kind` ('interrupt' covers exceptions). */
  private popTopContext(kind: 'interrupt' | 'syscall'): void {
    const f = this.frames;
    for (let k = f.length - 1; k >= 0; k--) {
      const x = f[k];
      if (!isContext(x)) continue;
      if (kind === 'syscall' ? x.kind === 'syscall' : x.kind !== 'syscall') f.length = k;
      return;
    }
  }
}
