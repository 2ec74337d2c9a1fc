// apic.ts: the local APIC in xAPIC mode, memory-mapped at 0xFEE00000 (SDM Vol.3A chapter 11): ID,
// version, TPR (shared with CR8), PPR, EOI, SVR, ISR/IRR/TMR, the LVT (timer one-shot and periodic,
// LINT0/LINT1, error …), ESR, and the ICR for self-IPIs. One CPU only: INIT and SIPI sent to other
// processors go nowhere (design.md).
//
// Virtual time: the timer counts the APIC bus clock, taken to be one tick per instruction (VIRTUAL_HZ,
// 100 MHz, a usual bus clock), divided by the divide configuration register. So the count is exact and
// the same on every run.
//
// The physical memory bus is byte-granular (mem/physical.ts): a 32-bit access arrives as four byte
// accesses in ascending order. Reads return the byte of the register; writes collect the bytes and take
// effect when the dword's byte 3 is written. The SDM requires 32-bit aligned accesses (§11.4.1), so
// narrower writes have no defined effect and here have none.
import type { MmioDevice } from '../mem/physical';
import type { Cpu } from '../cpu/state';
import type { Clock } from './time';

/** The default base of the APIC registers (IA32_APIC_BASE after reset, SDM Vol.3A §11.4.4). */
export const APIC_BASE = 0xfee00000;
/** The register page. */
export const APIC_SIZE = 0x1000;

// Register offsets (SDM Vol.3A Table 11-1, "Local APIC Register Address Map").
export const APIC_ID = 0x20, APIC_VERSION = 0x30, APIC_TPR = 0x80, APIC_APR = 0x90, APIC_PPR = 0xa0;
export const APIC_EOI = 0xb0, APIC_RRD = 0xc0, APIC_LDR = 0xd0, APIC_DFR = 0xe0, APIC_SVR = 0xf0;
export const APIC_ISR = 0x100, APIC_TMR = 0x180, APIC_IRR = 0x200, APIC_ESR = 0x280;
export const APIC_ICR_LO = 0x300, APIC_ICR_HI = 0x310;
export const APIC_LVT_TIMER = 0x320, APIC_LVT_THERMAL = 0x330, APIC_LVT_PERF = 0x340;
export const APIC_LVT_LINT0 = 0x350, APIC_LVT_LINT1 = 0x360, APIC_LVT_ERROR = 0x370;
export const APIC_TIMER_ICR = 0x380, APIC_TIMER_CCR = 0x390, APIC_TIMER_DCR = 0x3e0;

/**
 * Version register: version 14h (an integrated APIC of the Pentium 4 / Xeon and later families) and
 * "Max LVT Entry" = 5 in bits 23:16, i.e. six LVT entries: timer, thermal, performance counter, LINT0,
 * LINT1, error (SDM Vol.3A §11.4.8, Figure 11-7). No EOI-broadcast suppression (bit 24 = 0).
 */
export const APIC_VERSION_VALUE = 0x00050014;

/** LVT mask bit (SDM Vol.3A §11.5.1, Figure 11-8). */
export const LVT_MASKED = 1 << 16;
/** LVT timer modes, bits 18:17 (Table 11-2 / Figure 11-8): one-shot 00b, periodic 01b. */
export const TIMER_PERIODIC = 1 << 17;
/** LVT delivery modes, bits 10:8. */
export const DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_STARTUP = 6, DM_EXTINT = 7;
/** SVR bit 8: APIC software enable (SDM Vol.3A §11.9, Figure 11-23). */
export const SVR_ENABLE = 1 << 8;
/** ESR bits (SDM Vol.3A §11.5.3, Figure 11-9). */
export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6, ESR_ILLEGAL_REGISTER = 1 << 7;

/** The writable bits of each LVT entry (Figure 11-8): delivery status (12) and remote IRR (14) are read-only. */
const LVT_WRITABLE: Record<number, number> = {
  [APIC_LVT_TIMER]: 0x000700ff,   // vector, mask, timer mode 18:17
  [APIC_LVT_THERMAL]: 0x000107ff, // vector, delivery mode, mask
  [APIC_LVT_PERF]: 0x000107ff,
  [APIC_LVT_LINT0]: 0x0001a7ff,   // vector, delivery mode, polarity, trigger mode, mask
  [APIC_LVT_LINT1]: 0x0001a7ff,
  [APIC_LVT_ERROR]: 0x000100ff,   // vector, mask
};

export interface ApicOptions {
  /** Virtual time: the exact retired-instruction count. */
  clock: Clock;
  /** The processor: CR8 is TPR[7:4] (SDM Vol.3A §11.8.6.5), and IA32_APIC_BASE's enable bit lives there. */
  cpu: Cpu;
  /** Something may now be deliverable (an IRR bit set, the priority lowered): the run loop should look. */
  onInterrupt?: () => void;
  /** An NMI was sent to this processor through the ICR. */
  onNmi?: () => void;
}

/** Divisors for the divide configuration register value (bits 3, 1:0) (SDM Vol.3A Figure 11-10). */
function divisor(dcr: number): number {
  const v = ((dcr >> 1) & 4) | (dcr & 3);
  return v === 7 ? 1 : 2 << v;
}

export class LocalApic implements MmioDevice {
  /** APIC ID (bits 31:24 of the ID register): 0, the bootstrap processor. */
  id = 0;
  /** TPR bits 3:0; bits 7:4 live in cpu.cr8 so MOV CR8 and the TPR register agree. */
  private tprLow = 0;
  /** CR8 as last seen: a MOV to CR8 clears TPR[3:0] (SDM Vol.3A §11.8.6.5), noticed as a change here. */
  private seenCr8 = 0;
  svr = 0xff;
  ldr = 0;
  dfr = -1;
  /** Interrupt request, in-service and trigger-mode registers: 256 bits each, 8 dwords (§11.8.4). */
  readonly irr = new Uint32Array(8);
  readonly isr = new Uint32Array(8);
  readonly tmr = new Uint32Array(8);
  /** LVT entries by register offset. */
  readonly lvt = new Map<number, number>();
  icrLo = 0;
  icrHi = 0;
  /** ESR as the guest last latched it, and errors collected since (§11.5.3). */
  esr = 0;
  private esrPending = 0;

  // Timer (§11.5.4): the count was loaded with `initialCount` at `start`; it reaches 0 at `deadline`.
  initialCount = 0;
  dcr = 0;
  private start = 0;
  private deadline = Infinity;

  private readonly clock: Clock;
  private readonly cpu: Cpu;
  private readonly onInterrupt: () => void;
  private readonly onNmi: () => void;
  /** Bytes of a dword write being collected. */
  private latch = 0;

  constructor(o: ApicOptions) {
    this.clock = o.clock;
    this.cpu = o.cpu;
    this.onInterrupt = o.onInterrupt ?? (() => undefined);
    this.onNmi = o.onNmi ?? (() => undefined);
    this.reset();
  }

  /** Power-up / RESET state (SDM Vol.3A §11.4.7.1): LVT entries masked, SVR = FFh, DFR all ones, counts 0. */
  reset(): void {
    this.irr.fill(0); this.isr.fill(0); this.tmr.fill(0);
    for (const r of Object.keys(LVT_WRITABLE)) this.lvt.set(Number(r), LVT_MASKED);
    this.svr = 0xff;
    this.ldr = 0;
    this.dfr = -1;
    this.tprLow = 0;
    this.cpu.cr8 = 0;
    this.seenCr8 = 0;
    this.icrLo = this.icrHi = 0;
    this.esr = this.esrPending = 0;
    this.initialCount = 0;
    this.dcr = 0;
    this.deadline = Infinity;
  }

  /**
   * As a PC BIOS leaves the bootstrap processor's APIC ("virtual wire" mode, MultiProcessor Specification
   * §3.6.2.2): LINT0 unmasked as ExtINT, so the 8259's INTR reaches the processor, and LINT1 as NMI.
   */
  programAsBios(): void {
    this.lvt.set(APIC_LVT_LINT0, DM_EXTINT << 8);
    this.lvt.set(APIC_LVT_LINT1, DM_NMI << 8);
  }

  /** IA32_APIC_BASE[11] (global enable) and SVR[8] (software enable) (§11.4.3, §11.4.7.2). */
  get enabled(): boolean {
    return (this.cpu.apicBaseLo & 0x800) !== 0 && (this.svr & SVR_ENABLE) !== 0;
  }

  /** Whether the 8259's INTR reaches the processor: APIC disabled, or LINT0 unmasked in ExtINT mode. */
  get picRouted(): boolean {
    if (!this.enabled) return true;
    const l = this.lvt.get(APIC_LVT_LINT0) ?? LVT_MASKED;
    return (l & LVT_MASKED) === 0 && ((l >> 8) & 7) === DM_EXTINT;
  }

  get tpr(): number {
    const cr8 = this.cpu.cr8 & 0xf;
    if (cr8 !== this.seenCr8) { this.seenCr8 = cr8; this.tprLow = 0; }
    return (cr8 << 4) | this.tprLow;
  }

  set tpr(v: number) {
    this.cpu.cr8 = (v >> 4) & 0xf;
    this.seenCr8 = this.cpu.cr8;
    this.tprLow = v & 0xf;
  }

  /** Processor priority (§11.8.3.1): TPR if its class is at least the highest in-service class, else that class. */
  get ppr(): number {
    const tpr = this.tpr;
    const isrv = highest(this.isr);
    return (tpr >> 4) >= (isrv >> 4) ? tpr : isrv & 0xf0;
  }

  /** The vector the APIC would deliver now (highest IRR above PPR's class, §11.8.3), or -1. */
  pending(): number {
    if (!this.enabled) return -1;
    const v = highest(this.irr);
    return v >= 0 && (v >> 4) > (this.ppr >> 4) ? v : -1;
  }

  /** The processor accepts the pending interrupt: IRR → ISR (§11.8.4). Returns the vector or -1. */
  accept(): number {
    const v = this.pending();
    if (v < 0) return -1;
    this.irr[v >> 5] &= ~(1 << (v & 31));
    this.isr[v >> 5] |= 1 << (v & 31);
    this.tmr[v >> 5] &= ~(1 << (v & 31)); // only edge-triggered sources here
    return v;
  }

  /** A fixed interrupt arrives (LVT or IPI): vectors 0–15 are illegal (§11.5.3, §11.5.2). */
  private request(vector: number): void {
    if (vector < 16) { this.esrPending |= ESR_RECEIVE_ILLEGAL_VECTOR; this.lvtError(); return; }
    this.irr[vector >> 5] |= 1 << (vector & 31);
    this.onInterrupt();
  }

  /** An error was recorded: the LVT error entry interrupts unless masked (§11.5.3). */
  private lvtError(): void {
    const l = this.lvt.get(APIC_LVT_ERROR) ?? LVT_MASKED;
    if ((l & LVT_MASKED) === 0 && (l & 0xff) >= 16 && this.enabled) {
      this.irr[(l & 0xff) >> 5] |= 1 << (l & 31);
      this.onInterrupt();
    }
  }

  // ---- Timer ------------------------------------------------------------------------------------------

  private get timerLvt(): number {
    return this.lvt.get(APIC_LVT_TIMER) ?? LVT_MASKED;
  }

  /** Current-count register at virtual time `now` (§11.5.4): counts down from the initial count to 0. */
  currentCount(now: number): number {
    if (this.initialCount === 0) return 0;
    const elapsed = Math.floor((now - this.start) / divisor(this.dcr));
    if ((this.timerLvt & TIMER_PERIODIC) !== 0) return this.initialCount - (elapsed % this.initialCount);
    return elapsed >= this.initialCount ? 0 : this.initialCount - elapsed;
  }

  /** Fires the timer if it reached 0 by `now`: one IRR bit however many periods passed. */
  advanceTo(now: number): void {
    if (now < this.deadline) return;
    const lvt = this.timerLvt;
    if ((lvt & LVT_MASKED) === 0 && this.enabled) this.request(lvt & 0xff);
    if ((lvt & TIMER_PERIODIC) !== 0 && this.initialCount !== 0) {
      const period = this.initialCount * divisor(this.dcr);
      this.deadline = this.start + (Math.floor((now - this.start) / period) + 1) * period;
    } else {
      this.deadline = Infinity;
    }
  }

  /** The virtual time of the next timer expiry after `now`, or Infinity. */
  nextEventAt(now: number): number {
    return this.deadline > now ? this.deadline : now + 1;
  }

  /** As nextEventAt, but Infinity when the expiry cannot interrupt (masked, APIC disabled): for HLT. */
  wakeAt(now: number): number {
    return (this.timerLvt & LVT_MASKED) === 0 && this.enabled ? this.nextEventAt(now) : Infinity;
  }

  private loadCount(count: number, now: number): void {
    this.initialCount = count >>> 0;
    this.start = now;
    // "A write of 0 to the initial-count register effectively stops the local APIC timer" (§11.5.4).
    this.deadline = this.initialCount === 0 ? Infinity : now + this.initialCount * divisor(this.dcr);
  }

  // ---- Registers -----------------------------------------------------------------------------------

  /** The 32-bit value of the register at `reg` (16-byte aligned offset). */
  readRegister(reg: number): number {
    if (reg >= APIC_ISR && reg < APIC_ISR + 0x80) return this.isr[(reg - APIC_ISR) >> 4] | 0;
    if (reg >= APIC_TMR && reg < APIC_TMR + 0x80) return this.tmr[(reg - APIC_TMR) >> 4] | 0;
    if (reg >= APIC_IRR && reg < APIC_IRR + 0x80) return this.irr[(reg - APIC_IRR) >> 4] | 0;
    const l = this.lvt.get(reg);
    if (l !== undefined) return l;
    switch (reg) {
      case APIC_ID: return this.id << 24;
      case APIC_VERSION: return APIC_VERSION_VALUE;
      case APIC_TPR: return this.tpr;
      case APIC_APR: {
        // Arbitration priority (§11.6.2.4 / Figure 11-15): TPR, or the highest IRR/ISR class if higher.
        const tpr = this.tpr;
        const c = Math.max(highest(this.irr) >> 4, highest(this.isr) >> 4);
        return (tpr >> 4) >= c ? tpr : c << 4;
      }
      case APIC_PPR: return this.ppr;
      case APIC_LDR: return this.ldr;
      case APIC_DFR: return this.dfr;
      case APIC_SVR: return this.svr;
      case APIC_ESR: return this.esr;
      case APIC_ICR_LO: return this.icrLo; // delivery status (bit 12) always idle: IPIs are sent at once
      case APIC_ICR_HI: return this.icrHi;
      case APIC_TIMER_ICR: return this.initialCount | 0;
      case APIC_TIMER_CCR: return this.currentCount(this.clock()) | 0;
      case APIC_TIMER_DCR: return this.dcr;
      default: return 0; // EOI, RRD and reserved offsets read 0
    }
  }

  writeRegister(reg: number, v: number): void {
    if (LVT_WRITABLE[reg] !== undefined) {
      let value = v & LVT_WRITABLE[reg];
      // While software-disabled, LVT mask bits cannot be cleared (§11.4.7.2).
      if ((this.svr & SVR_ENABLE) === 0) value |= LVT_MASKED;
      const old = this.lvt.get(reg) ?? 0;
      this.lvt.set(reg, value | (old & 0x5000)); // keep the read-only delivery status / remote IRR
      this.onInterrupt();
      return;
    }
    switch (reg) {
      case APIC_ID: this.id = v >>> 24; return;
      case APIC_TPR: this.tpr = v & 0xff; this.onInterrupt(); return;
      case APIC_EOI: {
        // EOI: the highest in-service interrupt is done (§11.8.5); the next may now be deliverable.
        const s = highest(this.isr);
        if (s >= 0) this.isr[s >> 5] &= ~(1 << (s & 31));
        this.onInterrupt();
        return;
      }
      case APIC_LDR: this.ldr = v & 0xff000000; return;
      case APIC_DFR: this.dfr = v | 0x0fffffff; return;
      case APIC_SVR: {
        this.svr = v & 0x3ff;
        // Software disable sets every LVT mask bit (§11.4.7.2).
        if ((this.svr & SVR_ENABLE) === 0) for (const [r, l] of this.lvt) this.lvt.set(r, l | LVT_MASKED);
        this.onInterrupt();
        return;
      }
      case APIC_ESR: this.esr = this.esrPending; this.esrPending = 0; return;
      case APIC_ICR_HI: this.icrHi = v & 0xff000000; return;
      case APIC_ICR_LO: this.icrLo = v & 0x000ccfff; this.sendIpi(); return;
      case APIC_TIMER_ICR: this.loadCount(v, this.clock()); this.onInterrupt(); return;
      case APIC_TIMER_DCR: {
        // A new divisor continues from the current count (the count is not reloaded).
        const now = this.clock();
        const cur = this.currentCount(now);
        this.dcr = v & 0xb;
        if (this.initialCount !== 0 && this.deadline !== Infinity) {
          const d = divisor(this.dcr);
          this.start = now - (this.initialCount - cur) * d;
          this.deadline = now + cur * d;
        }
        this.onInterrupt();
        return;
      }
      default:
        if (reg !== APIC_VERSION && reg !== APIC_PPR && reg !== APIC_APR && reg !== APIC_RRD && reg !== APIC_TIMER_CCR &&
            !(reg >= APIC_ISR && reg < APIC_IRR + 0x80)) {
          this.esrPending |= ESR_ILLEGAL_REGISTER;
        }
    }
  }

  /**
   * The ICR was written: send the IPI (§11.6.1). Only this processor exists, so fixed (and lowest-priority)
   * IPIs reach it when addressed to it by shorthand (self, all including self) or destination; an NMI to
   * itself is an NMI; INIT, SIPI and SMI, and anything for other processors, go nowhere.
   */
  private sendIpi(): void {
    const lo = this.icrLo;
    const mode = (lo >> 8) & 7;
    const shorthand = (lo >> 18) & 3;
    const dest = this.icrHi >>> 24;
    let self: boolean;
    if (shorthand === 1 || shorthand === 2) self = true;
    else if (shorthand === 3) self = false;
    else if ((lo & 0x800) === 0) self = dest === this.id || dest === 0xff; // physical destination
    else self = ((this.ldr >>> 24) & dest) !== 0; // logical, flat model
    const vector = lo & 0xff;
    if (mode === DM_FIXED || mode === DM_LOWEST) {
      if (vector < 16) { this.esrPending |= ESR_SEND_ILLEGAL_VECTOR; this.lvtError(); }
      if (self) this.request(vector);
    } else if (mode === DM_NMI && self) {
      this.onNmi();
    }
  }

  read(offset: number, size: number): number {
    const reg = offset & 0xff0;
    const byte = offset & 0xf;
    if (byte >= 4) return 0;
    const v = this.readRegister(reg) >>> (byte * 8);
    return size === 4 ? v : v & (size === 2 ? 0xffff : 0xff);
  }

  write(offset: number, size: number, value: number): void {
    const byte = offset & 0xf;
    if (size === 4 && byte === 0) { this.writeRegister(offset & 0xff0, value | 0); return; }
    if (byte >= 4 || size !== 1) return;
    this.latch = byte === 0 ? value & 0xff : this.latch | ((value & 0xff) << (byte * 8));
    if (byte === 3) this.writeRegister(offset & 0xff0, this.latch | 0);
  }
}

/** The highest set bit of a 256-bit register, or -1. */
function highest(r: Uint32Array): number {
  for (let w = 7; w >= 0; w--) if (r[w] !== 0) return (w << 5) + 31 - Math.clz32(r[w]);
  return -1;
}
