// mmu.ts: linear-address reads and writes through a TLB into physical memory.
// The TLB is direct-mapped and stores, per linear page, the pool offset of its frame for reads and
// for writes (-1 when the access must take the slow path: devices, unbacked addresses, frames that
// hold decoded code, pages not walked yet, pages the current privilege may not access that way, pages
// whose dirty flag is still clear), and the physical page for instruction fetches. Segmentation is
// applied before this (access.ts); the slow path translates with paging (pageWalk.ts) or the identity.
import { PAGE_SIZE, PhysicalMemory } from '../mem/physical';
import { raise, Vector } from '../cpu/fault';
import {
  Access, CR0_PE, CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PCIDE, CR4_PGE, CR4_PKE, CR4_PSE, CR4_SMAP, CR4_SMEP,
  EFER_LMA, EFER_NXE, EFLAGS_AC, MODE_NONE, PageWalker, PagingRegs,
} from './pageWalk';
import { type MmuWatch, WATCH_READ, WATCH_WRITE, WatchPair } from '../debug/watchpoints';

export { Access };

const TLB_BITS = 12;
const TLB_SIZE = 1 << TLB_BITS;
/** Entry index of a linear address: (lo >>> 12) & TLB_MASK (translated blocks inline the fast path, cpu/inlineAccess.ts). */
export const TLB_MASK = TLB_SIZE - 1;
/** A tag that no page-aligned address equals: marks an empty entry. */
const EMPTY = 1;
/** Control-register bits whose change invalidates every translation, global ones too (SDM Vol.3A §4.10.4.1). */
const CR0_PAGING = CR0_PG | CR0_PE | CR0_WP;
const CR4_PAGING = CR4_PSE | CR4_PAE | CR4_PGE | CR4_LA57 | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_PKE;
const EFER_PAGING = EFER_NXE | EFER_LMA;

export class Mmu {
  // The tags and data-access entries are read (never written) by translated blocks' inline fast paths
  // (cpu/inlineAccess.ts), which test them exactly as read8…write64 below do.
  readonly tagLo = new Int32Array(TLB_SIZE).fill(EMPTY);
  readonly tagHi = new Int32Array(TLB_SIZE);
  readonly rd = new Int32Array(TLB_SIZE).fill(-1);
  readonly wr = new Int32Array(TLB_SIZE).fill(-1);
  /** Physical address of the page for instruction fetches (execute permission checked), or -1. */
  private readonly ex = new Float64Array(TLB_SIZE).fill(-1);
  /** Per entry: log2 of the page size it was filled from (INVLPG of a large page drops all its entries). */
  private readonly shift = new Uint8Array(TLB_SIZE);
  /** Per entry: filled from a global page (CR4.PGE and G): survives CR3 writes. */
  private readonly glob = new Uint8Array(TLB_SIZE);
  /** Entries filled from pages larger than 4 KiB since the last full flush (INVLPG scans only if any). */
  private largeEntries = 0;
  readonly pool: Uint8Array;
  readonly view: DataView;
  /** Bits 63:32 of the last read64 result. */
  hiResult = 0;
  /** Physical address bit 20 is forced to 0 while the A20 gate is disabled (paging off only). */
  a20Mask = -1;
  /** The page walker; `paging` says whether it is in use. */
  readonly walker: PageWalker;
  private paging = false;
  /** The processor whose CPL and EFLAGS.AC govern accesses, and whose CR2 takes fault addresses. */
  private cpu: PagingRegs & { cr2Lo: number; cr2Hi: number } | null = null;
  // The state the TLB contents were derived from.
  private ctl0 = 0;
  private ctl4 = 0;
  private ctlEfer = 0;
  private cr3Lo = 0;
  private cr3Hi = 0;
  private userClass = false;
  // TLB statistics for the bench. Hits are not counted (that would cost on the fast path): misses are
  // slow-path accesses, walker.walks the page walks done for them, for fetches and for implicit accesses.
  misses = 0;
  /**
   * The data-breakpoint hook: the debugger's watchpoints (debug/watchpoints.ts), the guest's DR7 data
   * breakpoints (cpu/debugRegs.ts), both (a WatchPair), or null when neither has one set. Watched pages
   * get no fast-path entry for the watched kind of access, so the checks sit on the slow paths only.
   */
  hook: MmuWatch | null = null;
  private debuggerWatch: MmuWatch | null = null;
  private guestWatch: MmuWatch | null = null;

  /** The debugger's watchpoints, null when none is set; the caller flushes the TLB after a change. */
  get watch(): MmuWatch | null {
    return this.debuggerWatch;
  }

  set watch(w: MmuWatch | null) {
    this.debuggerWatch = w;
    this.rehook();
  }

  /** The guest's data breakpoints, null when DR7 enables none; the caller flushes the TLB after a change. */
  setGuestWatch(w: MmuWatch | null): void {
    this.guestWatch = w;
    this.rehook();
  }

  private rehook(): void {
    const d = this.debuggerWatch, g = this.guestWatch;
    this.hook = d !== null && g !== null ? new WatchPair(d, g) : d ?? g;
  }

  constructor(readonly phys: PhysicalMemory) {
    this.pool = phys.pool;
    this.view = phys.view;
    this.walker = new PageWalker(phys);
    // Pages that read the shared zero frame must look again once their frame is backed.
    phys.onAllocate = () => {
      for (let k = 0; k < TLB_SIZE; k++) if (this.rd[k] === 0) this.rd[k] = -1;
    };
  }

  /** Drops every cached translation, global ones too (paging-mode change, A20 change, loaders). */
  flush(): void {
    this.tagLo.fill(EMPTY);
    this.rd.fill(-1);
    this.wr.fill(-1);
    this.ex.fill(-1);
    this.glob.fill(0);
    this.largeEntries = 0;
  }

  /** Drops every translation except those of global pages (MOV to CR3, SDM Vol.3A §4.10.4.1). */
  flushNonGlobal(): void {
    for (let i = 0; i < TLB_SIZE; i++) {
      if (this.glob[i] === 0) this.drop(i);
    }
  }

  private drop(i: number): void {
    this.tagLo[i] = EMPTY;
    this.rd[i] = this.wr[i] = -1;
    this.ex[i] = -1;
    this.glob[i] = 0;
  }

  /**
   * The processor's paging state changed (CR0, CR3, CR4, EFER, CPL, EFLAGS.VM): pick the translation for
   * it. `flush` says whether cached translations must go (MOV to CR3 without the PCID no-flush bit).
   * Whatever `flush` says, a change of the paging controls (CR0.PG/PE/WP, CR4 paging bits, EFER.NXE/LMA)
   * drops everything, global pages included, and so does a change between user (CPL 3) and supervisor
   * privilege, because TLB entries hold permissions for one of them. A change of CR3 (address or PCID)
   * drops every non-global entry: the TLB is not tagged with PCIDs, so switching PCID flushes, which is
   * correct (the SDM lets a processor drop any entry at any time, §4.10.4.4) if not fast.
   * EFLAGS.AC is read at each walk and never cached, so STAC/CLAC/POPF need not call this.
   * In PAE mode the PDPTE registers are reloaded when CR3 or the controls changed or `flush` is set (§4.4.1).
   */
  setPagingState(cpu: PagingRegs & { cr2Lo: number; cr2Hi: number }, flush: boolean): void {
    this.cpu = cpu;
    const c0 = cpu.cr0 & CR0_PAGING, c4 = cpu.cr4 & CR4_PAGING, ce = cpu.efer & EFER_PAGING;
    const controls = c0 !== this.ctl0 || c4 !== this.ctl4 || ce !== this.ctlEfer;
    const newCr3 = cpu.cr3Lo !== this.cr3Lo || cpu.cr3Hi !== this.cr3Hi;
    const user = cpu.cpl === 3;
    if (controls || user !== this.userClass) this.flush();
    else if (flush || newCr3) this.flushNonGlobal();
    this.ctl0 = c0; this.ctl4 = c4; this.ctlEfer = ce;
    this.cr3Lo = cpu.cr3Lo; this.cr3Hi = cpu.cr3Hi;
    this.userClass = user;
    this.walker.configure(cpu, controls || newCr3 || flush);
    this.paging = this.walker.mode !== MODE_NONE;
  }

  /** Drops the translation of one linear page (INVLPG, SDM Vol.3A §4.10.4.1), global or not, whatever its size. */
  flushPage(lo: number, hi: number): void {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi) this.drop(i);
    if (this.largeEntries === 0) return;
    // The page may be a 2/4-MiB or 1-GiB page: every 4-KiB entry filled from it goes.
    for (let k = 0; k < TLB_SIZE; k++) {
      const s = this.shift[k];
      if (s > 12 && this.tagLo[k] !== EMPTY && this.tagHi[k] === hi && (this.tagLo[k] >>> s) === (lo >>> s)) this.drop(k);
    }
  }

  /**
   * Whether a read (or write) at linear hi:lo takes the fast path now. Watched pages never do, so a REP
   * string instruction (exec/string.ts) may run a whole chunk on a page that does, with a watch hook set.
   */
  fastPath(lo: number, hi: number, write: boolean): boolean {
    const i = (lo >>> 12) & TLB_MASK;
    return this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && (write ? this.wr[i] : this.rd[i]) >= 0;
  }

  /** A frame now holds decoded code: writes to it must take the slow path. */
  protectCode(poolOffset: number): void {
    for (let i = 0; i < TLB_SIZE; i++) if (this.wr[i] === poolOffset) this.wr[i] = -1;
  }

  /**
   * Physical address for a linear address; raises #PF (CR2 = the linear address, SDM Vol.3A §4.7) when
   * paging refuses the access. `implicit` marks implicit supervisor-mode accesses (§4.6.1: descriptor
   * tables, the TSS), which are supervisor accesses whatever the CPL.
   */
  translate(lo: number, hi: number, access: Access, implicit = false): number {
    if (!this.paging) return ((lo & this.a20Mask) >>> 0) + hi * 0x1_0000_0000;
    const cpu = this.cpu;
    const user = cpu !== null && cpu.cpl === 3 && !implicit;
    const ac = cpu !== null && (cpu.flags & EFLAGS_AC) !== 0;
    const pa = this.walker.walk(lo, hi, access, user, implicit, ac, true, null);
    if (pa < 0) {
      if (cpu !== null) { cpu.cr2Lo = lo; cpu.cr2Hi = hi; }
      raise(Vector.PF, this.walker.faultCode, this.walker.faultReason);
    }
    return pa;
  }

  /**
   * Implicit supervisor-mode read of 1, 2, 4 or 8 bytes (GDT/LDT/IDT entries, the TSS: SDM Vol.3A §4.6.1);
   * not cached in the TLB. Size 8 returns bits 31:0 and leaves bits 63:32 in hiResult.
   */
  readSystem(lo: number, hi: number, size: number): number {
    if (size === 8) {
      const l = this.readSystem(lo, hi, 4);
      const n = (lo + 4) | 0;
      this.hiResult = this.readSystem(n, (n >>> 0) < 4 ? (hi + 1) | 0 : hi, 4);
      return l;
    }
    let v = 0;
    let pa = 0;
    for (let k = 0; k < size; k++) {
      const a = (lo + k) | 0;
      if (k === 0 || (a & 0xfff) === 0) {
        const aHi = (a >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
        pa = this.translate(a, aHi, Access.Read, true);
        if (this.hook !== null) this.hook.access(a, aHi, pa, Math.min(size - k, PAGE_SIZE - (a & 0xfff)), false);
      } else {
        pa++;
      }
      v |= this.phys.read8(pa) << (8 * k);
    }
    return size === 4 ? v | 0 : v >>> 0;
  }

  /** Implicit supervisor-mode write (descriptor busy/accessed bits, TSS); all pages checked before any byte is stored. */
  writeSystem(lo: number, hi: number, size: number, v: number): void {
    this.translate(lo, hi, Access.Write, true);
    if ((lo & 0xfff) + size > PAGE_SIZE) {
      const n = ((lo | 0xfff) + 1) | 0;
      this.translate(n, n === 0 ? (hi + 1) | 0 : hi, Access.Write, true);
    }
    let pa = 0;
    for (let k = 0; k < size; k++) {
      const a = (lo + k) | 0;
      if (k === 0 || (a & 0xfff) === 0) {
        const aHi = (a >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
        pa = this.translate(a, aHi, Access.Write, true);
        if (this.hook !== null) this.hook.access(a, aHi, pa, Math.min(size - k, PAGE_SIZE - (a & 0xfff)), true);
      } else {
        pa++;
      }
      this.phys.write8(pa, (v >>> (8 * k)) & 0xff);
    }
  }

  // Fast paths. `lo`/`hi` is the linear address after segmentation and canonical checks.

  read8(lo: number, hi: number): number {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.rd[i] >= 0) {
      return this.pool[this.rd[i] + (lo & 0xfff)];
    }
    return this.readSlow(lo, hi, 1);
  }

  read16(lo: number, hi: number): number {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.rd[i] >= 0 && (lo & 0xfff) <= 0xffe) {
      return this.view.getUint16(this.rd[i] + (lo & 0xfff), true);
    }
    return this.readSlow(lo, hi, 2);
  }

  /** Returns the dword as int32. */
  read32(lo: number, hi: number): number {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.rd[i] >= 0 && (lo & 0xfff) <= 0xffc) {
      return this.view.getInt32(this.rd[i] + (lo & 0xfff), true);
    }
    return this.readSlow(lo, hi, 4);
  }

  /** Returns bits 31:0 as int32; bits 63:32 are left in hiResult. */
  read64(lo: number, hi: number): number {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.rd[i] >= 0 && (lo & 0xfff) <= 0xff8) {
      const off = this.rd[i] + (lo & 0xfff);
      this.hiResult = this.view.getInt32(off + 4, true);
      return this.view.getInt32(off, true);
    }
    const l = this.readSlow(lo, hi, 4);
    const n = (lo + 4) | 0;
    this.hiResult = this.readSlow(n, (n >>> 0) < 4 ? (hi + 1) | 0 : hi, 4);
    return l;
  }

  write8(lo: number, hi: number, v: number): void {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.wr[i] >= 0) {
      this.pool[this.wr[i] + (lo & 0xfff)] = v;
      return;
    }
    this.writeSlow(lo, hi, 1, v);
  }

  write16(lo: number, hi: number, v: number): void {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.wr[i] >= 0 && (lo & 0xfff) <= 0xffe) {
      this.view.setUint16(this.wr[i] + (lo & 0xfff), v, true);
      return;
    }
    this.writeSlow(lo, hi, 2, v);
  }

  write32(lo: number, hi: number, v: number): void {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.wr[i] >= 0 && (lo & 0xfff) <= 0xffc) {
      this.view.setInt32(this.wr[i] + (lo & 0xfff), v, true);
      return;
    }
    this.writeSlow(lo, hi, 4, v);
  }

  write64(lo: number, hi: number, vLo: number, vHi: number): void {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.wr[i] >= 0 && (lo & 0xfff) <= 0xff8) {
      const off = this.wr[i] + (lo & 0xfff);
      this.view.setInt32(off, vLo, true);
      this.view.setInt32(off + 4, vHi, true);
      return;
    }
    // Both halves are translated before either is written, so a fault leaves memory unchanged.
    const n = (lo + 4) | 0;
    const nHi = (n >>> 0) < 4 ? (hi + 1) | 0 : hi;
    this.checkWritable(lo, hi, 4);
    this.checkWritable(n, nHi, 4);
    this.writeSlow(lo, hi, 4, vLo);
    this.writeSlow(n, nHi, 4, vHi);
  }

  /** Translates every page of an access for writing, so faults come before any byte is stored. */
  checkWritable(lo: number, hi: number, size: number): void {
    this.translate(lo, hi, Access.Write);
    if ((lo & 0xfff) + size > PAGE_SIZE) {
      // The second page is checked at its first byte, which CR2 reports if it faults.
      const n = ((lo | 0xfff) + 1) | 0;
      this.translate(n, n === 0 ? (hi + 1) | 0 : hi, Access.Write);
    }
  }

  /** Physical address of an instruction byte (raises #PF like a fetch would: NX, SMEP, U/S). */
  fetchPhysical(lo: number, hi: number): number {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi && this.ex[i] >= 0) return this.ex[i] + (lo & 0xfff);
    const pa = this.translate(lo, hi, Access.Execute);
    const w = this.walker;
    if (!this.paging || w.canExec) {
      this.retag(i, lo, hi);
      this.ex[i] = pa - (pa % PAGE_SIZE);
    }
    return pa;
  }

  // Slow paths: fill the TLB for RAM pages, go byte by byte through PhysicalMemory otherwise.

  /** Makes entry i hold linear page hi:lo (emptying it if it held another page), noting the page's size. */
  private retag(i: number, lo: number, hi: number): void {
    if (this.tagLo[i] !== (lo & ~0xfff) || this.tagHi[i] !== hi) {
      this.tagLo[i] = lo & ~0xfff;
      this.tagHi[i] = hi;
      this.rd[i] = -1;
      this.wr[i] = -1;
      this.ex[i] = -1;
    }
    const paging = this.paging;
    const s = paging ? this.walker.pageShift : 12;
    this.shift[i] = s;
    if (s > 12) this.largeEntries++;
    this.glob[i] = paging && this.walker.global ? 1 : 0;
  }

  /** After a translation of hi:lo to `physical`: cache what the walk allowed for this privilege. */
  private fill(lo: number, hi: number, physical: number, write: boolean): void {
    const w = this.walker;
    const canRead = !this.paging || w.canRead;
    const canWrite = !this.paging || w.canWrite;
    if (!canRead && !canWrite) return;
    const pfn = Math.floor(physical / PAGE_SIZE);
    const off = this.phys.frame(pfn, write && canWrite);
    if (off < 0) return;
    const i = (lo >>> 12) & TLB_MASK;
    this.retag(i, lo, hi);
    // A watched page keeps the watched kind of access on the slow path, where it is checked.
    const watched = this.hook !== null ? this.hook.pageFlags(lo, hi, physical) : 0;
    if (canRead && (watched & WATCH_READ) === 0) this.rd[i] = off;
    // The zero frame (offset 0) is never written through; code frames are written through the slow path.
    if (canWrite && off !== 0 && !this.phys.codeFrames[off / PAGE_SIZE] && (watched & WATCH_WRITE) === 0) this.wr[i] = off;
  }

  private readSlow(lo: number, hi: number, size: number): number {
    this.misses++;
    let v = 0;
    let pa = 0;
    for (let k = 0; k < size; k++) {
      const a = (lo + k) | 0;
      if (k === 0 || (a & 0xfff) === 0) {
        const aHi = (a >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
        pa = this.translate(a, aHi, Access.Read);
        this.fill(a, aHi, pa, false);
        if (this.hook !== null) this.hook.access(a, aHi, pa, Math.min(size - k, PAGE_SIZE - (a & 0xfff)), false);
      } else {
        pa++;
      }
      v |= this.phys.read8(pa) << (8 * k);
    }
    return size === 4 ? v | 0 : v >>> 0;
  }

  private writeSlow(lo: number, hi: number, size: number, v: number): void {
    this.misses++;
    if ((lo & 0xfff) + size > PAGE_SIZE) this.checkWritable(lo, hi, size);
    let pa = 0;
    for (let k = 0; k < size; k++) {
      const a = (lo + k) | 0;
      const first = k === 0 || (a & 0xfff) === 0;
      const aHi = (a >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
      if (first) pa = this.translate(a, aHi, Access.Write);
      else pa++;
      this.phys.write8(pa, (v >>> (8 * k)) & 0xff);
      if (first) {
        this.fill(a, aHi, pa, true);
        if (this.hook !== null) this.hook.access(a, aHi, pa, Math.min(size - k, PAGE_SIZE - (a & 0xfff)), true);
      }
    }
  }

  /**
   * The valid TLB entries, for the debugger's `info tlb` (read-only, no side effects). The TLB caches pool
   * offsets for data accesses, so only fetch entries carry a physical address (`execute`, else -1).
   */
  entries(): { linearLo: number; linearHi: number; read: boolean; write: boolean; execute: number; pageShift: number; global: boolean }[] {
    const out = [];
    for (let i = 0; i < TLB_SIZE; i++) {
      // A tag whose every access kind still takes the slow path caches nothing.
      if (this.tagLo[i] === EMPTY || (this.rd[i] < 0 && this.wr[i] < 0 && this.ex[i] < 0)) continue;
      out.push({
        linearLo: this.tagLo[i] >>> 0, linearHi: this.tagHi[i] >>> 0, read: this.rd[i] >= 0, write: this.wr[i] >= 0,
        execute: this.ex[i], pageShift: this.shift[i], global: this.glob[i] === 1,
      });
    }
    return out;
  }
}
