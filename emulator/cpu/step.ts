// step.ts: the run loop. Finds or decodes the block at CS:RIP, runs its instructions through their
// handlers, counts them, and leaves the fast path only when cpu.attention is set. It is the one place
// that catches a CpuFault: the fault restarts at the faulting instruction and is delivered to the guest.
import { decode, BAD, TOO_LONG, CodeBytes } from './decode';
import { CodeCache, Block } from './codeCache';
import { CpuFault, Vector, isCpuFault, pendingFault, raise } from './fault';
import { Insn, Handler, SPECIALISE } from './insn';
import { BlockFn, blockFault, translate, TRANSLATE_AFTER } from './translate';
import { deliverException, deliverInterrupt } from './interrupts';
import { updateMode } from './modes';
import { checkModeSwitch, emitException } from './events';
import { ATTN_CODE, ATTN_HALT, ATTN_IRQ, ATTN_MODE, ATTN_SHADOW, ATTN_STOP, ATTN_TRACE, CodeSize, Cpu, Seg } from './state';
import { FLAG_IF, FLAG_TF } from '../isa/form';
import { CpuFeatures } from './features';
import { HANDLERS } from './exec/index';
import './exec/moveFast'; // registers specialised MOV variants (SPECIALISE)
import { PAGE_SIZE, PhysicalMemory } from '../mem/physical';
import type { WatchHit } from '../debug/watchpoints';
import { GuestBreakpoints } from './debugRegs';

export enum StopReason {
  None = 'none',
  Halt = 'halt',
  Limit = 'limit',
  /** The host asked (pause, a device such as the exit port, a breakpoint): see Executor.stopDetail. */
  Stop = 'stop',
  /** An execution breakpoint: RIP is at the instruction, which has not run. */
  Breakpoint = 'breakpoint',
  /** A guest exception, when Executor.stopOnException is set (before delivery). */
  Exception = 'exception',
  TripleFault = 'triple-fault',
  /** The guest wrote the exit port (0xF4): Machine.exitCode holds (V << 1) | 1. */
  Exit = 'exit',
  /** The guest asked the chipset for a reset (port 0x92 bit 0, the 8042's reset pulse). */
  Reset = 'reset',
  /** The guest powered the machine off (ACPI sleep state S5 through PM1a_CNT, devices/acpiPm.ts). */
  PowerOff = 'power-off',
  /**
   * A data breakpoint (debug/watchpoints.ts) matched: a trap, so the accessing instruction has completed
   * (SDM Vol.3B §17.3.1.2) and RIP is past it. Executor.lastWatch says which, where and by what instruction.
   */
  Watchpoint = 'watchpoint',
}

/**
 * What the run loop needs from the machine's interrupt controllers and timers (machine.ts provides it).
 * Times are virtual: instruction counts (cpu.icount).
 */
export interface Platform {
  /** Delivers timer events up to `icount`. */
  advanceTo(icount: number): void;
  /** When the next device event is due after `icount` (Infinity: none): the loop looks again then. */
  nextEventAt(icount: number): number;
  /** As nextEventAt, counting only events that can interrupt the processor (for HLT): Infinity if none can. */
  wakeAt(icount: number): number;
  /** The interrupt acknowledge cycle, called with IF=1 outside a shadow: a vector, or -1 when none is pending. */
  acknowledge(): number;
}

/** The exception that stopped a run with StopReason.Exception or TripleFault. */
export interface ExceptionInfo {
  vector: number;
  errorCode: number;
  ripLo: number;
  ripHi: number;
  detail: string;
}

const MAX_BLOCK = 64;

/** EFLAGS.RF (bit 16): instruction breakpoints are ignored for one instruction (SDM Vol.3B §17.3.1.1). */
const FLAG_RF = 1 << 16;
/** With either set the loop runs one instruction at a time through traceStep. */
const TRACE_FLAGS = FLAG_TF | FLAG_RF;
/** DR6.BS (bit 14): the #DB was a single-step trap (SDM Vol.3B §17.2.3). */
const DR6_BS = 1 << 14;

/** B0–B3 positions of the breakpoints DR7 enables (L or G, SDM Vol.3B §17.2.4). */
function enabledBreakpoints(dr7: number): number {
  let m = 0;
  for (let n = 0; n < 4; n++) if (((dr7 >>> (2 * n)) & 3) !== 0) m |= 1 << n;
  return m;
}

function udHandler(): void {
  raise(Vector.UD, 0, 'invalid or undefined opcode');
}
function tooLongHandler(): void {
  raise(Vector.GP, 0, 'instruction longer than 15 bytes');
}

export class Executor {
  readonly cache = new CodeCache();
  /** Stop before delivering any guest exception (tests, the debugger's exception breakpoint). */
  stopOnException = false;
  /** Set when a run stops with Exception or TripleFault. */
  lastException: ExceptionInfo | null = null;
  /** Words for the last Stop (which device or request asked). */
  stopDetail = '';
  /** Host requests: a device or the debugger sets this and ATTN_STOP. */
  stopRequested = false;
  /** The reason the requested stop returns. */
  private stopReason = StopReason.Stop;
  /** Interrupt controllers and timers; null: no external interrupts (HLT always stops). */
  platform: Platform | null = null;
  /** The virtual time the platform next needs looking at. */
  private deadline = Infinity;
  /** cpu.icount after an instruction that opened an interrupt shadow (STI, MOV SS, POP SS): -1 when none. */
  private shadowAt = -1;
  /** An NMI is waiting; NMIs are blocked from delivery of one until the next IRET (SDM Vol.3A §6.7.1). */
  private nmiPending = false;
  private nmiBlocked = false;
  /**
   * The block being executed, for now(): null between blocks. The run loop stores it before and clears it
   * after each block (two stores per block, nothing per instruction).
   */
  private running: Block | null = null;

  /** The instruction that set ATTN_MODE, for the mode-switch event. */
  private modeInsn: Insn | null = null;
  /** The CS base of that instruction's block (the mode switch may have changed CS since). */
  private modeCsBase = 0;
  /** Execution breakpoints by linear address ("hi:lo"); blocks are split so one starts at each. */
  private readonly breakpoints = new Set<string>();
  /**
   * The guest's enabled instruction breakpoints (DR0–DR3 with R/W = 00 and L or G set in DR7, SDM Vol.3B
   * §17.2.4) by linear address, split into blocks of their own like the debugger's: nothing to pay while
   * DR7 enables none. drSeen holds DR0–DR3 (lo, hi) and DR7 as last synchronised.
   */
  private readonly guestBreakpoints = new Set<string>();
  private readonly drSeen = new Int32Array(9);
  /** The guest's data and I/O breakpoints (DR7 R/W = 01b, 10b, 11b): their hits trap after the instruction. */
  readonly guestData: GuestBreakpoints;
  /** The breakpoint block the last run stopped at: the next run executes it instead of stopping again. */
  private resumeBlock: Block | null = null;
  /** The data breakpoint match the last StopReason.Watchpoint reports. */
  lastWatch: WatchHit | null = null;
  /** The first match of the instruction running now: reported once it completes, dropped if it faults. */
  private watchPending: WatchHit | null = null;
  /**
   * Code size each block start was last decoded with, by physical address, and the last one per 4-KiB
   * frame: for the debugger's "disassemble in the mode this code last ran in". Kept across cache flushes
   * (addBreakpoint clears the cache); written only when a block is decoded, never on the hot path.
   */
  private readonly codeSizes = new Map<number, CodeSize>();
  private readonly frameCodeSizes = new Map<number, CodeSize>();

  private readonly fetch: CodeBytes;
  private fetchLo = 0;
  private fetchHi = 0;

  constructor(readonly cpu: Cpu, readonly phys: PhysicalMemory, readonly features: CpuFeatures) {
    const mem = cpu.mem;
    this.guestData = new GuestBreakpoints(cpu);
    this.fetch = {
      byte: (k: number): number => {
        const lo = (this.fetchLo + k) | 0;
        const hi = (lo >>> 0) < (this.fetchLo >>> 0) ? (this.fetchHi + 1) | 0 : this.fetchHi;
        return phys.read8(mem.fetchPhysical(lo, hi));
      },
    };
    phys.onCodeWrite = (physical, size) => {
      if (this.cache.write(physical, size)) cpu.attention |= ATTN_CODE;
      const off = phys.frame(Math.floor(physical / PAGE_SIZE), false);
      if (off >= 0 && !this.cache.hasFrame(Math.floor(physical / PAGE_SIZE))) phys.codeFrames[off / PAGE_SIZE] = 0;
    };
  }

  /** Requests that a running `run` return `reason` (StopReason.Stop by default) after the current instruction. */
  requestStop(detail: string, reason: StopReason = StopReason.Stop): void {
    this.stopRequested = true;
    this.stopDetail = detail;
    this.stopReason = reason;
    this.cpu.attention |= ATTN_STOP;
  }

  /**
   * A data breakpoint matched an access (debug/watchpoints.ts calls this from the MMU's slow path): the
   * run stops after the current instruction. RIP is provisional here — inside a block it is fixed after
   * the instruction retires; outside one (the pushes of an event delivery) it is the RIP being saved.
   */
  watchHit(hit: WatchHit): void {
    if (this.watchPending !== null) return; // the first match of an instruction is the one reported
    hit.ripLo = this.cpu.ripLo;
    hit.ripHi = this.cpu.ripHi;
    this.watchPending = hit;
    this.requestStop(`watchpoint ${hit.id}`, StopReason.Watchpoint);
  }

  /**
   * Code size (16, 32, 64) code at `physical` was last decoded with: that of the last block starting
   * there or, failing that, at the nearest block start below it in its 4-KiB frame, else that of the
   * last block decoded in the frame; null if no code was decoded from that frame. For the debugger
   * (disassembly), not the hot path: it may look at up to a frame's worth of addresses.
   */
  codeSizeAt(physical: number): 16 | 32 | 64 | null {
    const frameStart = physical - (physical % PAGE_SIZE);
    let s: CodeSize | undefined;
    for (let a = physical; a >= frameStart && s === undefined; a--) s = this.codeSizes.get(a);
    s ??= this.frameCodeSizes.get(frameStart / PAGE_SIZE);
    return s === undefined ? null : s === CodeSize.Bits16 ? 16 : s === CodeSize.Bits32 ? 32 : 64;
  }

  /** Raises NMI (vector 2): delivered at the next instruction boundary whatever IF, unless an NMI handler is running. */
  nmi(): void {
    this.nmiPending = true;
    this.cpu.attention |= ATTN_IRQ;
  }

  /**
   * Exact virtual time, for devices read or written in the middle of a block: cpu.icount counts the
   * instructions of finished blocks only, so this adds the position in the running block of the
   * instruction executing now. The loop stores RIP = that instruction's nextLo/nextHi before its handler;
   * block addresses never repeat, so the instruction is the one whose next RIP matches. Port I/O is exact
   * always. A memory-mapped access from a handler in RIP_FREE inside a translated block finds RIP still at
   * an earlier instruction (translate.ts stores it only before other handlers), so it reads a time up to
   * a block's length early — the same on every run, as translation itself is deterministic.
   */
  now(): number {
    const cpu = this.cpu;
    const b = this.running;
    if (b === null) return cpu.icount;
    const insns = b.insns;
    for (let k = 0; k < insns.length; k++) {
      if (insns[k].nextLo === cpu.ripLo && insns[k].nextHi === cpu.ripHi) return cpu.icount + k;
    }
    return cpu.icount;
  }

  /** Adds an execution breakpoint at a linear address. Costs nothing on blocks without one. */
  addBreakpoint(lo: number, hi: number): void {
    this.breakpoints.add(`${hi | 0}:${lo | 0}`);
    this.cache.clear();
  }

  removeBreakpoint(lo: number, hi: number): void {
    if (this.breakpoints.delete(`${hi | 0}:${lo | 0}`)) this.cache.clear();
  }

  clearBreakpoints(): void {
    if (this.breakpoints.size) this.cache.clear();
    this.breakpoints.clear();
  }

  /** Runs at most `maxInstructions` instructions. */
  run(maxInstructions: number): StopReason {
    const cpu = this.cpu;
    let remaining = maxInstructions;
    // With a platform, the budget beyond the next device event is held back: when `remaining` runs out
    // while some is held, the loop services the devices instead of stopping. So devices cost nothing per
    // block, and their events arrive at the exact instruction count.
    let held = 0;
    if (this.platform !== null) cpu.attention |= ATTN_IRQ; // look at the devices (and pending interrupts) first
    // The host may have set TF or RF; a data breakpoint met before a stop still traps before anything runs.
    if ((cpu.flags & TRACE_FLAGS) !== 0 || this.guestData.hits !== 0) cpu.attention |= ATTN_TRACE;
    for (;;) {
      if (cpu.attention !== 0) {
        const r = this.service();
        if (r !== StopReason.None) {
          if (r !== StopReason.Halt || this.platform === null || (cpu.flags & FLAG_IF) === 0) return r;
          // HLT with IF=1: virtual time skips to the next event that can interrupt (no instructions retire,
          // but icount — and so the TSC — jumps, as time passes on real hardware while halted). The skip
          // counts against the budget. Nothing left to wake the processor: it stays halted (exit status 0).
          const wake = this.platform.wakeAt(cpu.icount);
          if (wake === Infinity) return r;
          const budget = remaining + held > 0 ? remaining + held : 0;
          const skip = wake > cpu.icount ? wake - cpu.icount : 1;
          if (skip > budget) { cpu.icount += budget; return StopReason.Limit; }
          cpu.icount += skip;
          remaining = budget - skip;
          held = 0;
          cpu.attention |= ATTN_IRQ;
          continue;
        }
        if (this.platform !== null) {
          remaining += held;
          const until = this.deadline - cpu.icount;
          held = until < remaining ? remaining - until : 0;
          remaining -= held;
        }
        // A stop requested while servicing (a debugger listening to a mode switch) takes effect before
        // the next instruction runs.
        if ((cpu.attention & ATTN_STOP) !== 0 && this.stopRequested) continue;
        if ((cpu.flags & TRACE_FLAGS) !== 0 && remaining > 0) {
          remaining -= 1;
          const r = this.traceStep();
          if (r !== StopReason.None) return r;
          continue;
        }
      }
      if (remaining <= 0) {
        if (held <= 0) return StopReason.Limit;
        remaining += held; // a device event is due
        held = 0;
        cpu.attention |= ATTN_IRQ;
        continue;
      }
      let block: Block;
      try {
        block = this.blockAtRip();
      } catch (e) {
        if (!isCpuFault(e)) throw e;
        remaining -= 1;
        const r = this.fault(e);
        if (r !== StopReason.None) return r;
        continue;
      }
      if (block.breakpoint) {
        const r = this.atBreakpoint(block);
        if (r !== null) {
          if (r !== StopReason.None) return r;
          remaining -= 1;
          continue;
        }
      }
      const insns = block.insns;
      let fn = block.fn;
      if (fn === null && ++block.runs > TRANSLATE_AFTER) fn = block.fn = translate(block, cpu);
      let k = 0;
      if (fn !== null && insns.length <= remaining) {
        const before = cpu.icount;
        try {
          this.chain(block, remaining);
        } catch (e) {
          if (!isCpuFault(e)) throw e;
          // The block that faulted is the one running; those before it have been counted.
          const pos = blockFault.pos;
          remaining -= cpu.icount - before + pos + 1;
          const r = this.blockFaulted(this.running ?? block, pos, e);
          if (r !== StopReason.None) return r;
          continue;
        }
        remaining -= cpu.icount - before;
        continue;
      }
      this.running = block;
      // Interpreted; a block longer than the remaining budget always is, so it stops exactly there.
      const n = insns.length <= remaining ? insns.length : remaining;
      try {
        for (; k < n; k++) {
          const i = insns[k];
          cpu.ripLo = i.nextLo;
          cpu.ripHi = i.nextHi;
          i.fn(cpu, i);
          // Attention, or a Jcc inside the block (build) that was taken, leaves it.
          if (cpu.attention !== 0 || cpu.ripLo !== i.nextLo || cpu.ripHi !== i.nextHi) { k++; break; }
        }
      } catch (e) {
        if (!isCpuFault(e)) throw e;
        const r = this.blockFaulted(block, k, e);
        // The delivery counts against the budget (not as an instruction), so a fault that faults
        // again at its handler still ends the run at the limit.
        remaining -= k + 1;
        if (r !== StopReason.None) return r;
        continue;
      }
      if (cpu.attention !== 0 && k > 0) this.retiredWithAttention(block, k);
      cpu.icount += k;
      this.running = null;
      remaining -= k;
    }
  }

  /**
   * The hot path of run: translated blocks back to back, from `first` (checked by the caller: translated,
   * no breakpoint stop, within the budget), while nothing needs attention and the next block is in the
   * jump cache, translated, without a breakpoint and within what is left of `budget`; anything else
   * goes back to run. Counts what retires into cpu.icount. A fault propagates with this.running set to
   * the block it came from.
   */
  private chain(first: Block, budget: number): void {
    const cpu = this.cpu, cache = this.cache;
    let b = first;
    let left = budget;
    for (;;) {
      this.running = b;
      const k = (b.fn as BlockFn)(cpu);
      if (cpu.attention !== 0) {
        this.retiredWithAttention(b, k);
        cpu.icount += k;
        break;
      }
      cpu.icount += k;
      left -= k;
      // Attention is clear, so CS, the mode and paging are those the jump cache was filled for (their
      // changes set ATTN_MODE, whose service flushes it); find still checks CS base and code size.
      const next = cache.find(cpu.ripLo, cpu.ripHi, cpu.long64 ? 0 : cpu.segBaseLo[Seg.CS], cpu.codeSize);
      if (next === null || next.fn === null || next.breakpoint || next.insns.length > left) break;
      b = next;
    }
    this.running = null;
  }

  /** The block left early or ended with cpu.attention set after k instructions: note what the service needs. */
  private retiredWithAttention(block: Block, k: number): void {
    // Mode-changing forms end their block, so the last one run names the cause of a switch.
    if ((this.cpu.attention & ATTN_MODE) !== 0) { this.modeInsn = block.insns[k - 1]; this.modeCsBase = block.csBase; }
    const w = this.watchPending;
    if (w !== null) {
      // Attention is checked after every instruction, so the last one retired made the access.
      if (k === 1) { w.ripLo = block.ripLo; w.ripHi = block.ripHi; }
      else { w.ripLo = block.insns[k - 2].nextLo; w.ripHi = block.insns[k - 2].nextHi; }
    }
  }

  /** The instruction at index k of the block faulted: k instructions retired, and it restarts (SDM Vol.3A §6.5). */
  private blockFaulted(block: Block, k: number, e: CpuFault): StopReason {
    const cpu = this.cpu;
    this.running = null;
    if (k === 0) { cpu.ripLo = block.ripLo; cpu.ripHi = block.ripHi; }
    else { cpu.ripLo = block.insns[k - 1].nextLo; cpu.ripHi = block.insns[k - 1].nextHi; }
    cpu.icount += k;
    return this.fault(e);
  }

  /**
   * At a block that starts at a breakpoint, before its first instruction: the debugger's (StopReason.Breakpoint,
   * once: the next run executes it), then the guest's instruction breakpoints (a #DB fault, SDM Vol.3B
   * §17.3.1.1, unless EFLAGS.RF is set). Null: run the block.
   */
  private atBreakpoint(block: Block): StopReason | null {
    const cpu = this.cpu;
    // A REP string instruction that yielded part-way (exec/string.ts) resumes here: it has started already,
    // and instruction breakpoints are recognised before an instruction starts (SDM Vol.3B §17.2.4), so
    // neither the debugger's nor the guest's breakpoint on it is met again.
    if (cpu.repResume) return null;
    const linLo = block.codeSize === CodeSize.Bits64 ? block.ripLo : (block.csBase + block.ripLo) | 0;
    const linHi = block.codeSize === CodeSize.Bits64 ? block.ripHi : 0;
    if (this.breakpoints.size !== 0 && this.breakpoints.has(`${linHi}:${linLo}`)) {
      if (this.resumeBlock !== block) {
        this.resumeBlock = block;
        return StopReason.Breakpoint;
      }
      this.resumeBlock = null;
    }
    if (this.guestBreakpoints.size === 0 || (cpu.flags & FLAG_RF) !== 0) return null;
    const hits = this.instructionBreakpointHits(linLo, linHi);
    if ((hits & enabledBreakpoints(cpu.drLo[7])) === 0) return null;
    cpu.drLo[6] = (cpu.drLo[6] & ~0xf) | hits;
    return this.fault(pendingFault(Vector.DB, -1, 'instruction breakpoint (DR0-DR3)'));
  }

  /**
   * B0–B3 for the instruction breakpoints (R/W = 00) at this linear address, enabled or not: SDM Vol.3B
   * §17.2.3 lets B0–B3 report a met condition DR7 does not enable (QEMU does), and the exception is
   * raised only for an enabled one. DR6 takes them in place of its B0–B3, the other bits kept.
   */
  private instructionBreakpointHits(linLo: number, linHi: number): number {
    const cpu = this.cpu, dr7 = cpu.drLo[7];
    let hits = 0;
    for (let n = 0; n < 4; n++) {
      if (((dr7 >>> (16 + 4 * n)) & 3) === 0 && cpu.drLo[n] === linLo && cpu.drHi[n] === linHi) hits |= 1 << n;
    }
    return hits;
  }

  /**
   * DR0–DR3 or DR7 may have changed (MOV DR sets ATTN_TRACE): rebuilds the guest's instruction-breakpoint
   * set and drops the decoded blocks if it differs, so blocks split at the new addresses.
   */
  private syncGuestBreakpoints(): void {
    const cpu = this.cpu, seen = this.drSeen;
    let same = seen[8] === cpu.drLo[7];
    for (let n = 0; n < 4 && same; n++) same = seen[2 * n] === cpu.drLo[n] && seen[2 * n + 1] === cpu.drHi[n];
    if (same) return;
    for (let n = 0; n < 4; n++) { seen[2 * n] = cpu.drLo[n]; seen[2 * n + 1] = cpu.drHi[n]; }
    const dr7 = seen[8] = cpu.drLo[7];
    const had = this.guestBreakpoints.size !== 0;
    this.guestBreakpoints.clear();
    for (let n = 0; n < 4; n++) {
      // R/W = 00: instruction execution (SDM Vol.3B §17.2.4); L or G enables it.
      if (((dr7 >>> (2 * n)) & 3) !== 0 && ((dr7 >>> (16 + 4 * n)) & 3) === 0) this.guestBreakpoints.add(`${cpu.drHi[n]}:${cpu.drLo[n]}`);
    }
    if (had || this.guestBreakpoints.size !== 0) this.cache.clear();
    const g = this.guestData;
    if (g.sync()) {
      // The TLB's entries were filled for the old set of watched pages.
      cpu.mem.setGuestWatch(g.watching ? g : null);
      cpu.mem.flush();
    }
  }

  /**
   * Raises the #DB trap for the data and I/O breakpoints the last instruction (or REP iteration) met
   * (SDM Vol.3B §17.3.1.2): RIP is past it, or on a REP instruction with iterations left. DR6 takes B0–B3
   * for them in place of its B0–B3, plus those of instruction breakpoints at the next instruction, as a
   * single-step trap reports them (§17.2.3 allows either; QEMU does so).
   */
  private dataTrap(): StopReason {
    const cpu = this.cpu;
    const hits = this.guestData.hits;
    this.guestData.hits = 0;
    const linLo = cpu.long64 ? cpu.ripLo : (cpu.segBaseLo[Seg.CS] + cpu.ripLo) | 0;
    const linHi = cpu.long64 ? cpu.ripHi : 0;
    cpu.drLo[6] = (cpu.drLo[6] & ~0xf) | hits | this.instructionBreakpointHits(linLo, linHi);
    return this.fault(pendingFault(Vector.DB, -1, 'data or I/O breakpoint (DR0-DR3)'));
  }

  /**
   * Runs one instruction while EFLAGS.TF or RF is set (SDM Vol.3B §17.3.1.4, §17.3.1.1):
   *  - RF set before the instruction is cleared once it completes (IRET and task switches may load it
   *    anew: those leave it as loaded);
   *  - TF set before it: a single-step trap follows, #DB with DR6.BS and RIP after the instruction —
   *    not after one that sets TF (POPF, IRET: TF was clear when it began), not after an INT n / INT3 /
   *    INTO / SYSCALL whose delivery cleared TF (SDM Vol.2 INT n: the handler runs with TF = 0, and QEMU
   *    rechecks TF after SYSCALL), and not after MOV SS / POP SS, whose shadow holds debug traps until
   *    after the next instruction (SDM Vol.3A §6.8.3). POPF or IRET clearing TF still traps.
   */
  private traceStep(): StopReason {
    const cpu = this.cpu;
    const before = cpu.flags;
    let block: Block;
    try {
      block = this.blockAtRip();
    } catch (e) {
      if (!isCpuFault(e)) throw e;
      return this.fault(e);
    }
    if (block.breakpoint) {
      const r = this.atBreakpoint(block);
      if (r !== null) return r;
    }
    const i = block.insns[0];
    this.running = block;
    cpu.ripLo = i.nextLo;
    cpu.ripHi = i.nextHi;
    try {
      i.fn(cpu, i);
    } catch (e) {
      if (!isCpuFault(e)) throw e;
      return this.blockFaulted(block, 0, e);
    }
    this.running = null;
    if (cpu.attention !== 0) this.retiredWithAttention(block, 1);
    cpu.icount += 1;
    if ((before & FLAG_RF) !== 0) cpu.flags &= ~FLAG_RF;
    if ((before & FLAG_TF) !== 0) {
      const name = i.form.name;
      const shadow = (cpu.attention & ATTN_SHADOW) !== 0 && name !== 'sti';
      const loadsFlags = name.startsWith('popf') || name.startsWith('iret');
      if (!shadow && ((cpu.flags & FLAG_TF) !== 0 || loadsFlags)) {
        // One #DB reports the trap and an instruction breakpoint met by the next instruction at once
        // (SDM Vol.3B §17.3: a debug exception may report several conditions; QEMU does so): B0–B3 for
        // it with BS. The breakpoint's fault itself still comes on return unless the handler sets RF.
        const linLo = cpu.long64 ? cpu.ripLo : (cpu.segBaseLo[Seg.CS] + cpu.ripLo) | 0;
        const linHi = cpu.long64 ? cpu.ripHi : 0;
        // Data or I/O breakpoints the instruction met are reported by the same #DB (§17.3).
        cpu.drLo[6] = (cpu.drLo[6] & ~0xf) | this.instructionBreakpointHits(linLo, linHi) | this.guestData.hits | DR6_BS;
        this.guestData.hits = 0;
        return this.fault(pendingFault(Vector.DB, -1, 'single-step trap (EFLAGS.TF)'));
      }
    }
    if ((cpu.flags & TRACE_FLAGS) !== 0) cpu.attention |= ATTN_TRACE;
    return StopReason.None;
  }

  /** Executes one instruction (or delivers the fault it raises). */
  step(): StopReason {
    return this.run(1);
  }

  private service(): StopReason {
    const cpu = this.cpu;
    const a = cpu.attention;
    cpu.attention = 0;
    if (a & ATTN_MODE) {
      updateMode(cpu);
      this.cache.flushJumps();
      if (cpu.events !== null) {
        checkModeSwitch(cpu, this.modeInsn, this.modeCsBase);
        this.modeInsn = null;
      }
    }
    if (a & ATTN_SHADOW) this.shadowAt = cpu.icount;
    // MOV DR sets ATTN_TRACE; a reset or state load by the host (cpu.reset) sets ATTN_MODE.
    if (a & (ATTN_TRACE | ATTN_MODE)) this.syncGuestBreakpoints();
    if (a & ATTN_STOP && this.stopRequested) return this.takeStop();
    if (this.guestData.hits !== 0) {
      // After MOV SS / POP SS debug exceptions are held until after the next instruction (SDM Vol.3A
      // §6.8.3); only those (not STI) open a shadow and access memory. Otherwise the trap comes now,
      // before external interrupts (Vol.3A §6.9: traps on the previous instruction come first).
      if ((a & ATTN_SHADOW) !== 0) cpu.attention |= ATTN_TRACE;
      else {
        const r = this.dataTrap();
        if (r !== StopReason.None) return r;
      }
    }
    const p = this.platform;
    let look = (a & (ATTN_IRQ | ATTN_HALT | ATTN_SHADOW)) !== 0;
    if (p !== null && (look || cpu.icount >= this.deadline)) {
      p.advanceTo(cpu.icount);
      this.deadline = p.nextEventAt(cpu.icount);
      look = true;
    }
    if (look && (p !== null || this.nmiPending)) {
      if (cpu.icount === this.shadowAt) {
        // SDM Vol.2 STI, Vol.3A §6.8.3: the instruction after STI / MOV SS / POP SS runs before any
        // interrupt is recognised; look again after it.
        cpu.attention |= ATTN_IRQ;
      } else if (this.nmiPending && !this.nmiBlocked) {
        this.nmiPending = false;
        this.nmiBlocked = true;
        const r = this.deliverExternal(2);
        if (r !== StopReason.None) return r;
      } else if (p !== null && (cpu.flags & FLAG_IF) !== 0) {
        const v = p.acknowledge();
        if (v >= 0) {
          const r = this.deliverExternal(v);
          if (r !== StopReason.None) return r;
        }
      }
    }
    if ((cpu.attention & ATTN_STOP) !== 0 && this.watchPending !== null && this.stopRequested) {
      // A data breakpoint matched a push of the frame just delivered: stop before the handler runs.
      cpu.attention &= ~ATTN_STOP;
      return this.takeStop();
    }
    if (cpu.halted) {
      cpu.attention |= ATTN_HALT; // stay halted until an interrupt wakes the processor
      return StopReason.Halt;
    }
    return StopReason.None;
  }

  /**
   * Ends the run for a requested stop. A data breakpoint met by the same instruction as a pause request
   * is reported (the pause is served by the stop anyway); an exit or reset request wins over it.
   */
  private takeStop(): StopReason {
    this.stopRequested = false;
    const w = this.watchPending;
    this.watchPending = null;
    const r = this.stopReason;
    if (w === null || r === StopReason.Exit || r === StopReason.Reset || r === StopReason.PowerOff) return r;
    this.lastWatch = w;
    return StopReason.Watchpoint;
  }

  /**
   * Delivers an external interrupt or NMI at an instruction boundary (SDM Vol.3A §6.8): real mode through
   * the IVT, protected and IA-32e mode through the IDT (interrupts.ts), waking a halted processor.
   */
  private deliverExternal(vector: number): StopReason {
    const cpu = this.cpu;
    let r: string | null;
    try {
      r = deliverInterrupt(cpu, vector, true);
    } catch (nested) {
      if (!isCpuFault(nested)) throw nested;
      r = `${nested.detail || 'a fault'} (vector ${nested.vector}) while delivering external interrupt ${vector}`;
    }
    if (r !== null) {
      this.lastException = { vector, errorCode: -1, ripLo: cpu.ripLo, ripHi: cpu.ripHi, detail: r };
      return StopReason.TripleFault;
    }
    cpu.halted = false;
    // Through a trap gate IF stays 1: another interrupt may follow the handler's first instruction.
    cpu.attention |= (cpu.flags & FLAG_IF) !== 0 ? ATTN_MODE | ATTN_IRQ : ATTN_MODE;
    return StopReason.None;
  }

  private fault(e: CpuFault): StopReason {
    const cpu = this.cpu;
    this.guestData.hits = 0; // the faulting instruction did not complete: its data breakpoints do not trap
    if (this.watchPending !== null) {
      // The faulting instruction did not complete: no data breakpoint is reported for it (it restarts,
      // and matches again if it then completes).
      this.watchPending = null;
      if (this.stopReason === StopReason.Watchpoint) this.stopRequested = false;
    }
    if (cpu.events !== null) emitException(cpu, e.vector, e.errorCode, cpu.ripLo, cpu.ripHi, e.detail);
    if (this.stopOnException) {
      this.lastException = { vector: e.vector, errorCode: e.errorCode, ripLo: cpu.ripLo, ripHi: cpu.ripHi, detail: e.detail };
      return StopReason.Exception;
    }
    const first = { vector: e.vector, errorCode: e.errorCode, detail: e.detail };
    let r: string | null;
    try {
      r = deliverException(cpu, first.vector, first.errorCode, first.detail);
    } catch (nested) {
      if (!isCpuFault(nested)) throw nested;
      // SDM Vol.3A §6.15 (Interrupt 8): a fault while delivering a fault; without a usable handler for
      // either, the processor shuts down.
      r = `${nested.detail || 'a fault'} (vector ${nested.vector}) while delivering vector ${first.vector} (${first.detail})`;
    }
    if (r !== null) {
      this.lastException = { vector: first.vector, errorCode: first.errorCode, ripLo: cpu.ripLo, ripHi: cpu.ripHi, detail: r };
      return StopReason.TripleFault;
    }
    cpu.attention |= ATTN_MODE;
    return StopReason.None;
  }

  /** The block at CS:RIP: from the caches, or decoded now. */
  private blockAtRip(): Block {
    const cpu = this.cpu;
    const csBase = cpu.long64 ? 0 : cpu.segBaseLo[Seg.CS];
    const found = this.cache.find(cpu.ripLo, cpu.ripHi, csBase, cpu.codeSize);
    if (found !== null) return found;
    const linLo = (csBase + cpu.ripLo) | 0;
    const linHi = cpu.long64 ? cpu.ripHi : 0;
    const physical = cpu.mem.fetchPhysical(linLo, linHi);
    return this.cache.lookup(physical, cpu.ripLo, cpu.ripHi, csBase, cpu.codeSize) ?? this.build(physical, linLo, linHi, csBase);
  }

  /**
   * Decodes a block: up to a branch other than Jcc, an instruction that changes decoding, MAX_BLOCK or a
   * page end. Jcc continues the block with the next instruction (left at run time when taken).
   */
  private build(physical: number, linLo: number, linHi: number, csBase: number): Block {
    const cpu = this.cpu;
    const insns: Insn[] = [];
    const spans: number[] = [];
    let ripLo = cpu.ripLo, ripHi = cpu.ripHi;
    let lo = linLo, hi = linHi;
    const size = cpu.codeSize;
    const checkBreakpoints = this.breakpoints.size !== 0 || this.guestBreakpoints.size !== 0;
    for (;;) {
      // A breakpoint address starts a block of its own, so the run loop checks once per block.
      if (checkBreakpoints && insns.length !== 0 && this.isBreakpoint(lo, hi)) break;
      const i = new Insn(udHandler, BAD);
      this.fetchLo = lo;
      this.fetchHi = hi;
      const cr2Lo = cpu.cr2Lo, cr2Hi = cpu.cr2Hi;
      try {
        decode(this.fetch, size, ripLo, ripHi, this.features, i);
      } catch (e) {
        if (insns.length === 0 || !isCpuFault(e)) throw e;
        // The fault belongs to a later instruction: raise it only if execution gets there, and
        // leave CR2 as it was until then.
        cpu.cr2Lo = cr2Lo;
        cpu.cr2Hi = cr2Hi;
        break;
      }
      i.fn = i.form === BAD ? udHandler : i.form === TOO_LONG ? tooLongHandler : HANDLERS[i.form.id];
      const specialise = SPECIALISE.get(i.fn);
      if (specialise !== undefined) i.fn = specialise(i);
      if (i.form.name.startsWith('iret')) {
        // IRET ends NMI blocking (SDM Vol.3A §6.7.1): wrapped once per decoded IRET, so no other cost.
        const iret = i.fn;
        i.fn = (c, x) => {
          iret(c, x);
          this.nmiBlocked = false;
          if (this.nmiPending) c.attention |= ATTN_IRQ; // a held NMI is delivered now
        };
      }
      i.pos = insns.length;
      insns.push(i);
      const len = Math.min(i.len, 15);
      const pa = insns.length === 1 ? physical : cpu.mem.fetchPhysical(lo, hi);
      const inPage = Math.min(len, PAGE_SIZE - (pa % PAGE_SIZE));
      spans.push(pa, inPage);
      if (inPage < len) {
        const nlo = (lo + inPage) | 0;
        spans.push(cpu.mem.fetchPhysical(nlo, (nlo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi), len - inPage);
      }
      // A forward conditional branch does not end the block: decoding goes on along its fall-through path,
      // and the block is left there when it is taken (fewer, longer blocks in branchy compiled code). A
      // backward one, mostly a loop's taken back edge, ends it as other branches do.
      const forward = i.targetHi !== i.nextHi ? (i.targetHi >>> 0) > (i.nextHi >>> 0) : (i.targetLo >>> 0) > (i.nextLo >>> 0);
      const fallThrough = i.form.branch && forward && i.form.name.startsWith('jcc_');
      if ((i.form.branch && !fallThrough) || i.form.stop || i.fn === udHandler || i.fn === tooLongHandler || insns.length >= MAX_BLOCK) break;
      const nextLo = size === CodeSize.Bits64 ? i.nextLo : (csBase + i.nextLo) | 0;
      const nextHi = size === CodeSize.Bits64 ? i.nextHi : 0;
      if ((nextLo & ~0xfff) !== (lo & ~0xfff) || nextHi !== hi) break; // next instruction on another page
      if (size !== CodeSize.Bits64 && (i.nextLo >>> 0) < (ripLo >>> 0)) break; // IP/EIP wrapped
      ripLo = i.nextLo;
      ripHi = i.nextHi;
      lo = nextLo;
      hi = nextHi;
    }
    const b = new Block(insns, physical, cpu.ripLo, cpu.ripHi, csBase, size);
    this.codeSizes.set(physical, size);
    this.frameCodeSizes.set(Math.floor(physical / PAGE_SIZE), size);
    b.breakpoint = checkBreakpoints && this.isBreakpoint(linLo, linHi);
    this.cache.add(b, spans);
    for (let k = 0; k < spans.length; k += 2) this.protect(spans[k]);
    return b;
  }

  /** A debugger or guest execution breakpoint is set at this linear address. */
  private isBreakpoint(lo: number, hi: number): boolean {
    const key = `${hi}:${lo}`;
    return this.breakpoints.has(key) || this.guestBreakpoints.has(key);
  }

  /** Routes writes to a frame that now holds code through the slow path, which invalidates. */
  private protect(physical: number): void {
    const off = this.phys.frame(Math.floor(physical / PAGE_SIZE), true);
    if (off < 0 || this.phys.codeFrames[off / PAGE_SIZE]) return;
    this.phys.codeFrames[off / PAGE_SIZE] = 1;
    this.cpu.mem.protectCode(off);
  }
}

export type { Handler };
