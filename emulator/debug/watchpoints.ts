// watchpoints.ts: data breakpoints for the debugger, exact, on linear addresses (through the current
// paging) or physical addresses, for reads, writes or both — like the debug registers' data breakpoints
// (SDM Vol.3B §17.2.4, DR7 R/W = 01b write, 11b read or write), without their 4-of-8-bytes limits.
//
// They are traps (SDM Vol.3B §17.3.1.2: "data breakpoint … reported after the instruction that accessed
// the memory completes"): the MMU calls `access` for every guest data access that reaches its slow path,
// a match calls `onHit`, and the run loop (step.ts) stops after the instruction with StopReason.Watchpoint.
// Cost: the MMU asks `pageFlags` when it fills a TLB entry and leaves the read or write side of watched
// pages (linear pages or physical frames) empty, so only accesses to those pages take the slow path and
// are checked; with no watchpoint set the MMU holds no reference to this object at all (mmu.watch = null).
// Page walks (A/D updates go to physical memory directly), instruction fetches, debugger reads
// (mmu/inspect.ts, PhysicalMemory.readBytes) and device or BIOS-service writes to physical memory (like
// DMA) never come here; host code must not read guest memory through cpu.mem, which would count as a hit.
// Implicit accesses of the processor (descriptor tables, the TSS, interrupt-frame pushes) do match.
//
// Granularity: the first match of an instruction is reported, after it completes; an instruction that
// faults reports nothing (it restarts and matches again). A REP string instruction stops after the very
// iteration that matched, as the SDM's §17.3.1.2 says of repeated string instructions (exec/string.ts
// runs one element at a time while the MMU has a watch hook), with RCX/RSI/RDI counting exactly the
// elements done and RIP on the instruction if any remain.
// An access during the delivery of an exception or external interrupt stops before the handler's first
// instruction.

/** Which accesses to a page must take the MMU's slow path (bits). */
export const WATCH_READ = 1;
export const WATCH_WRITE = 2;

export type WatchSpace = 'linear' | 'physical';
export type WatchAccess = 'write' | 'read' | 'access';

export interface WatchSpec {
  space: WatchSpace;
  /**
   * First byte watched. A number (an integer below 2^52) or, for linear addresses in the upper canonical
   * half, a bigint below 2^64. Physical addresses are below 2^52 (the architectural maximum, SDM Vol.3A §4.1.4).
   */
  address: number | bigint;
  /** Bytes watched: 1 to MAX_WATCH_LENGTH. */
  length: number;
  access: WatchAccess;
}

/** One match: the access that hit and the instruction that made it. */
export interface WatchHit {
  id: number;
  access: 'read' | 'write';
  /** Linear address of the first byte of the access that matched (the part of it within one page). */
  linearLo: number;
  linearHi: number;
  /** Physical address of that byte. */
  physical: number;
  /** Bytes of the access within that page. */
  size: number;
  /**
   * Address (RIP, not linear) of the instruction that made the access; for an access made while
   * delivering an exception or an external interrupt (the pushes of the frame), the RIP being saved.
   */
  ripLo: number;
  ripHi: number;
}

/** The MMU's view (mmu.ts): what to keep off the fast path, and the check of a slow-path access. */
export interface MmuWatch {
  /** WATCH_READ/WATCH_WRITE bits for linear page hi:lo mapped to physical address `physical`. */
  pageFlags(lo: number, hi: number, physical: number): number;
  /** A guest data access of `size` bytes, all within one page, at linear hi:lo = `physical`. */
  access(lo: number, hi: number, physical: number, size: number, write: boolean): void;
}

/**
 * Both clients of the MMU's hook at once: the debugger's watchpoints and the guest's DR7 data breakpoints
 * (cpu/debugRegs.ts). The MMU installs one of them alone, or this pair, only while each has something set.
 */
export class WatchPair implements MmuWatch {
  constructor(readonly first: MmuWatch, readonly second: MmuWatch) {}

  pageFlags(lo: number, hi: number, physical: number): number {
    return this.first.pageFlags(lo, hi, physical) | this.second.pageFlags(lo, hi, physical);
  }

  access(lo: number, hi: number, physical: number, size: number, write: boolean): void {
    this.first.access(lo, hi, physical, size, write);
    this.second.access(lo, hi, physical, size, write);
  }
}

/** Longest watched range: 256 pages. */
export const MAX_WATCH_LENGTH = 1 << 20;

/** A watched byte range within one page. */
interface Range { id: number; from: number; to: number; flags: number }

interface Watch { spec: WatchSpec; pages: number[]; map: Map<number, Range[]> }

const PAGES_IN_64_BITS = 2 ** 52;

/** Linear page number of hi:lo (bits 63:12, below 2^52, so exact as a double). */
export function linearPage(lo: number, hi: number): number {
  return (hi >>> 0) * 0x100000 + (lo >>> 12);
}

export class Watchpoints implements MmuWatch {
  private readonly linear = new Map<number, Range[]>();
  private readonly physical = new Map<number, Range[]>();
  private readonly watches = new Map<number, Watch>();
  private nextId = 1;
  /** Called on every match (the executor keeps the first of an instruction). */
  onHit: (hit: WatchHit) => void = () => undefined;
  /** Called after the set changed: the MMU must drop its translations and look at `size`. */
  onChange: () => void = () => undefined;

  /** Number of watchpoints set. */
  get size(): number {
    return this.watches.size;
  }

  /** Adds a watchpoint; returns its id. Throws a RangeError naming the problem for a bad spec. */
  add(spec: WatchSpec): number {
    const { space, access, length } = spec;
    if (space !== 'linear' && space !== 'physical') throw new RangeError(`watchpoint: space must be 'linear' or 'physical', not ${String(space)}`);
    const flags = access === 'write' ? WATCH_WRITE : access === 'read' ? WATCH_READ : access === 'access' ? WATCH_READ | WATCH_WRITE : 0;
    if (flags === 0) throw new RangeError(`watchpoint: access must be 'write', 'read' or 'access', not ${String(access)}`);
    if (!Number.isInteger(length) || length < 1 || length > MAX_WATCH_LENGTH) {
      throw new RangeError(`watchpoint: length must be an integer from 1 to ${MAX_WATCH_LENGTH}, not ${String(length)}`);
    }
    const limit = space === 'linear' ? 1n << 64n : 1n << 52n;
    let address: bigint;
    if (typeof spec.address === 'bigint') address = spec.address;
    else if (Number.isSafeInteger(spec.address)) address = BigInt(spec.address);
    else throw new RangeError(`watchpoint: address must be an integer (a bigint above 2^53), not ${String(spec.address)}`);
    if (address < 0n || address >= limit) throw new RangeError(`watchpoint: ${space} address 0x${address.toString(16)} is out of range`);
    if (space === 'physical' && address + BigInt(length) > limit) throw new RangeError('watchpoint: the physical range passes 2^52');
    const id = this.nextId++;
    const map = space === 'linear' ? this.linear : this.physical;
    const pages: number[] = [];
    let page = Number(address >> 12n);
    let from = Number(address & 0xfffn);
    let left = length;
    while (left > 0) {
      const to = Math.min(4096, from + left);
      let list = map.get(page);
      if (list === undefined) map.set(page, (list = []));
      list.push({ id, from, to, flags });
      pages.push(page);
      left -= to - from;
      from = 0;
      page = (page + 1) % PAGES_IN_64_BITS; // linear addresses wrap at 2^64
    }
    this.watches.set(id, { spec: { ...spec }, pages, map });
    this.onChange();
    return id;
  }

  /** Removes a watchpoint; returns whether it existed. */
  remove(id: number): boolean {
    const w = this.watches.get(id);
    if (w === undefined) return false;
    for (const page of w.pages) {
      const list = w.map.get(page);
      if (list === undefined) continue;
      const kept = list.filter((r) => r.id !== id);
      if (kept.length === 0) w.map.delete(page); else w.map.set(page, kept);
    }
    this.watches.delete(id);
    this.onChange();
    return true;
  }

  clear(): void {
    const any = this.watches.size !== 0;
    this.watches.clear();
    this.linear.clear();
    this.physical.clear();
    if (any) this.onChange();
  }

  /** The watchpoints set, by id. */
  list(): { id: number; spec: WatchSpec }[] {
    return [...this.watches].map(([id, w]) => ({ id, spec: { ...w.spec } }));
  }

  pageFlags(lo: number, hi: number, physical: number): number {
    return flagsOf(this.linear.get(linearPage(lo, hi))) | flagsOf(this.physical.get(Math.floor(physical / 4096)));
  }

  access(lo: number, hi: number, physical: number, size: number, write: boolean): void {
    const want = write ? WATCH_WRITE : WATCH_READ;
    const off = lo & 0xfff;
    let id = match(this.linear.get(linearPage(lo, hi)), off, off + size, want);
    if (id < 0) {
      const pOff = physical % 4096;
      id = match(this.physical.get(Math.floor(physical / 4096)), pOff, pOff + size, want);
    }
    if (id < 0) return;
    this.onHit({ id, access: write ? 'write' : 'read', linearLo: lo, linearHi: hi, physical, size, ripLo: 0, ripHi: 0 });
  }
}

function flagsOf(list: Range[] | undefined): number {
  if (list === undefined) return 0;
  let f = 0;
  for (const r of list) f |= r.flags;
  return f;
}

/** The id of the first range of `list` overlapping bytes [from, to) for access `want`, or -1. */
function match(list: Range[] | undefined, from: number, to: number, want: number): number {
  if (list === undefined) return -1;
  for (const r of list) if ((r.flags & want) !== 0 && from < r.to && r.from < to) return r.id;
  return -1;
}
