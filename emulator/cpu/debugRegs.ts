// debugRegs.ts: the guest's data and I/O breakpoints (DR0–DR3 with DR7 R/W = 01b, 11b, 10b; SDM Vol.3B
// §17.2.4–§17.2.5, §17.3.1.2). Instruction breakpoints (R/W = 00b) and the single-step trap are step.ts's.
//
// Data breakpoints are a second client of the MMU's watch hook (debug/watchpoints.ts is the first, the
// debugger's): the MMU keeps the watched kind of access to the pages holding an enabled breakpoint off its
// TLB fast path and calls `access` for those. With no data breakpoint enabled the MMU holds no reference
// to this object (mmu.setGuestWatch(null)): nothing is checked per access. I/O breakpoints are looked at
// by IN/OUT/INS/OUTS (exec/misc.ts, exec/string.ts) after the port access, from DR7 alone.
//
// Both are traps (SDM Vol.3B §17.3.1.2): a match records its B0–B3 bit in `hits` and sets ATTN_TRACE; the
// run loop (step.ts) raises #DB once the instruction — for a REP string instruction, the iteration — has
// completed, and drops the hits of an instruction that faults (it restarts and matches again).
import { ATTN_TRACE, Cpu } from './state';
import { type MmuWatch, WATCH_READ, WATCH_WRITE } from '../debug/watchpoints';

/** DR7 R/Wn encodings (SDM Vol.3B §17.2.4). */
const RW_WRITE = 1;
const RW_IO = 2;
const RW_ACCESS = 3;

/**
 * Bytes covered for DR7 LENn (SDM Vol.3B §17.2.4): 00b 1, 01b 2, 11b 4, 10b 8. 10b is "undefined (or 8
 * byte length)": 8 bytes on the Intel 64 processors the note lists (Core and later), in every mode, as
 * QEMU does; we model one of those.
 */
export function breakpointLength(dr7: number, n: number): number {
  const len = (dr7 >>> (18 + 4 * n)) & 3;
  return len === 2 ? 8 : len + 1;
}

/** L or G set for breakpoint n (SDM Vol.3B §17.2.4). */
function enabled(dr7: number, n: number): boolean {
  return ((dr7 >>> (2 * n)) & 3) !== 0;
}

/** R/Wn of breakpoint n. */
function rw(dr7: number, n: number): number {
  return (dr7 >>> (16 + 4 * n)) & 3;
}

/** Pending hits by processor: the I/O instruction handlers only have the Cpu. */
const byCpu = new WeakMap<Cpu, GuestBreakpoints>();

export class GuestBreakpoints implements MmuWatch {
  /** Per breakpoint: WATCH_READ/WATCH_WRITE for an enabled data breakpoint, else 0. */
  private readonly kind = new Int32Array(4);
  /** Per breakpoint: the first byte of its range, DRn with the low bits LENn masks cleared (§17.2.5). */
  private readonly startLo = new Int32Array(4);
  private readonly startHi = new Int32Array(4);
  private readonly len = new Int32Array(4);
  /** Enabled data breakpoints (the MMU hook is installed while nonzero). */
  private active = 0;
  /** B0–B3 of the breakpoints the current instruction met (enabled ones only; see hitsFor), and BT (taskSwitchTrap). */
  hits = 0;

  constructor(private readonly cpu: Cpu) {
    byCpu.set(cpu, this);
  }

  /**
   * Re-reads DR0–DR3 and DR7 (after a MOV to DR or a task switch). Returns whether the set of watched
   * ranges changed: the caller then installs or removes the MMU hook and drops the TLB, whose entries
   * were filled for the old set.
   */
  sync(): boolean {
    const cpu = this.cpu, dr7 = cpu.drLo[7];
    let changed = false, active = 0;
    for (let n = 0; n < 4; n++) {
      const t = rw(dr7, n);
      let kind = 0;
      if (enabled(dr7, n)) kind = t === RW_WRITE ? WATCH_WRITE : t === RW_ACCESS ? WATCH_READ | WATCH_WRITE : 0;
      const len = breakpointLength(dr7, n);
      // §17.2.5: "it uses LENn field bits to mask the lower address bits in the debug registers".
      const lo = cpu.drLo[n] & ~(len - 1), hi = cpu.drHi[n];
      if (kind !== 0) active++;
      if (kind !== this.kind[n] || (kind !== 0 && (lo !== this.startLo[n] || hi !== this.startHi[n] || len !== this.len[n]))) changed = true;
      this.kind[n] = kind;
      this.startLo[n] = lo;
      this.startHi[n] = hi;
      this.len[n] = len;
    }
    this.active = active;
    return changed;
  }

  /** Whether any data breakpoint is enabled (the MMU hook must be installed). */
  get watching(): boolean {
    return this.active !== 0;
  }

  pageFlags(lo: number, hi: number): number {
    let f = 0;
    for (let n = 0; n < 4; n++) {
      // A range is at most 8 bytes and aligned to its length, so it lies within one page.
      if (this.kind[n] !== 0 && this.startHi[n] === hi && ((this.startLo[n] ^ lo) & ~0xfff) === 0) f |= this.kind[n];
    }
    return f;
  }

  access(lo: number, hi: number, _physical: number, size: number, write: boolean): void {
    const want = write ? WATCH_WRITE : WATCH_READ;
    const from = lo & 0xfff, to = from + size;
    for (let n = 0; n < 4; n++) {
      if ((this.kind[n] & want) === 0 || this.startHi[n] !== hi || ((this.startLo[n] ^ lo) & ~0xfff) !== 0) continue;
      // §17.2.5: an access that touches any byte of the range matches.
      const s = this.startLo[n] & 0xfff;
      if (from < s + this.len[n] && s < to) {
        this.hits |= 1 << n;
        this.cpu.attention |= ATTN_TRACE;
      }
    }
  }
}

/**
 * B0–B3 of the enabled I/O breakpoints an access of `bytes` at `port` meets. R/W = 10b is an I/O
 * breakpoint with CR4.DE = 1 and undefined without (SDM Vol.3B §17.2.4); QEMU 7.2 (TCG) treats it as an
 * I/O breakpoint whatever CR4.DE, and so do we. The port is zero-extended and compared with the range
 * DRn masked by LENn (§17.2.5).
 */
export function ioBreakpointHits(cpu: Cpu, port: number, bytes: number): number {
  const dr7 = cpu.drLo[7];
  if ((dr7 & 0xff) === 0) return 0;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if (!enabled(dr7, n) || rw(dr7, n) !== RW_IO || cpu.drHi[n] !== 0) continue;
    const len = breakpointLength(dr7, n);
    const s = (cpu.drLo[n] & ~(len - 1)) >>> 0;
    if (port < s + len && s < port + bytes) hits |= 1 << n;
  }
  return hits;
}

/** After an IN/OUT/INS/OUTS port access: a met I/O breakpoint traps once the instruction (iteration) completes. */
export function checkIoBreakpoint(cpu: Cpu, port: number, bytes: number): void {
  if ((cpu.drLo[7] & 0xff) === 0) return;
  const hits = ioBreakpointHits(cpu, port, bytes);
  if (hits === 0) return;
  const g = byCpu.get(cpu);
  if (g === undefined) return;
  g.hits |= hits;
  cpu.attention |= ATTN_TRACE;
}

/** DR6.BT (bit 15): the #DB came from a task switch to a TSS with T = 1 (SDM Vol.3B §17.2.3). */
export const DR6_BT = 1 << 15;

/**
 * A task switch to a TSS whose T flag is set (SDM Vol.3A §7.2.1; Vol.3B §17.3.1.5): #DB with DR6.BT once
 * the switch has completed, before the new task's first instruction. It rides on the data-breakpoint
 * trap (the run loop puts `hits` into DR6 when it raises that #DB), so it also merges into a single-step
 * trap the same instruction raises, as Vol.3B §17.3 lets one #DB report several conditions.
 */
export function taskSwitchTrap(cpu: Cpu): void {
  const g = byCpu.get(cpu);
  if (g === undefined) return;
  g.hits |= DR6_BT;
  cpu.attention |= ATTN_TRACE;
}
