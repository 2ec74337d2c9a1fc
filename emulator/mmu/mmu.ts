// mmu.ts: linear-address reads and writes through a TLB into physical memory.
// The TLB is direct-mapped and stores, per linear page, the pool offset of its frame for reads and
// for writes (-1 when the access must take the slow path: devices, unbacked addresses, frames that
// hold decoded code, pages not yet walked). Segmentation is applied before this (access.ts); the
// slow path translates with `translate`, which paging replaces.
import { PAGE_SIZE, PhysicalMemory } from '../mem/physical';

const TLB_BITS = 12;
const TLB_SIZE = 1 << TLB_BITS;
const TLB_MASK = TLB_SIZE - 1;
/** A tag that no page-aligned address equals: marks an empty entry. */
const EMPTY = 1;

export enum Access { Read = 0, Write = 1, Execute = 2 }

/** Linear-to-physical translation: paging (pageWalk.ts) or, with paging off, the identity. */
export interface Translator {
  /** Physical address for a linear address; raises #PF when paging refuses the access. */
  translate(lo: number, hi: number, access: Access): number;
}

export class Mmu {
  private readonly tagLo = new Int32Array(TLB_SIZE).fill(EMPTY);
  private readonly tagHi = new Int32Array(TLB_SIZE);
  private readonly rd = new Int32Array(TLB_SIZE).fill(-1);
  private readonly wr = new Int32Array(TLB_SIZE).fill(-1);
  private readonly pool: Uint8Array;
  private readonly view: DataView;
  /** Bits 63:32 of the last read64 result. */
  hiResult = 0;
  /** Physical address bit 20 is forced to 0 while the A20 gate is disabled. */
  a20Mask = -1;
  /** Paging off: the linear address is the physical address (32 bits outside IA-32e mode). */
  translator: Translator = { translate: (lo, hi) => ((lo & this.a20Mask) >>> 0) + hi * 0x1_0000_0000 };
  // TLB statistics for the bench.
  hits = 0;
  misses = 0;

  constructor(readonly phys: PhysicalMemory) {
    this.pool = phys.pool;
    this.view = phys.view;
    // Pages that read the shared zero frame must look again once their frame is backed.
    phys.onAllocate = () => {
      for (let k = 0; k < TLB_SIZE; k++) if (this.rd[k] === 0) this.rd[k] = -1;
    };
  }

  /** Drops every cached translation (CR3 write, paging-mode change, A20 change). */
  flush(): void {
    this.tagLo.fill(EMPTY);
    this.rd.fill(-1);
    this.wr.fill(-1);
  }

  /**
   * The processor's paging state changed (CR0, CR3, CR4, EFER, CPL, EFLAGS.AC): pick the translation for
   * it. `flush` says whether cached translations must go (a CR3 write without PCID no-flush, CR0.PG,
   * CR4 paging bits). Called by the instructions that change that state and by loaders.
   */
  setPagingState(_cpu: unknown, flush: boolean): void {
    if (flush) this.flush();
  }

  /** Drops the translation of one linear page (INVLPG). */
  flushPage(lo: number, hi: number): void {
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi) {
      this.tagLo[i] = EMPTY;
      this.rd[i] = this.wr[i] = -1;
    }
  }

  /** A frame now holds decoded code: writes to it must take the slow path. */
  protectCode(poolOffset: number): void {
    for (let i = 0; i < TLB_SIZE; i++) if (this.wr[i] === poolOffset) this.wr[i] = -1;
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
    this.translator.translate(lo, hi, Access.Write);
    if ((lo & 0xfff) + size > PAGE_SIZE) {
      const n = (lo + size - 1) | 0;
      this.translator.translate(n, (n >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi, Access.Write);
    }
  }

  /** Physical address of an instruction byte (raises #PF like a fetch would). */
  fetchPhysical(lo: number, hi: number): number {
    return this.translator.translate(lo, hi, Access.Execute);
  }

  // Slow paths: fill the TLB for RAM pages, go byte by byte through PhysicalMemory otherwise.

  private fill(lo: number, hi: number, physical: number, write: boolean): void {
    const pfn = Math.floor(physical / PAGE_SIZE);
    const off = this.phys.frame(pfn, write);
    if (off < 0) return;
    const i = (lo >>> 12) & TLB_MASK;
    if (this.tagLo[i] !== (lo & ~0xfff) || this.tagHi[i] !== hi) {
      this.tagLo[i] = lo & ~0xfff;
      this.tagHi[i] = hi;
      this.rd[i] = -1;
      this.wr[i] = -1;
    }
    this.rd[i] = off;
    if (write && !this.phys.codeFrames[off / PAGE_SIZE]) this.wr[i] = off;
  }

  private readSlow(lo: number, hi: number, size: number): number {
    this.misses++;
    let v = 0;
    for (let k = 0; k < size; k++) {
      const a = (lo + k) | 0;
      const aHi = (a >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
      const pa = this.translator.translate(a, aHi, Access.Read);
      if (k === 0 || (a & 0xfff) === 0) this.fill(a, aHi, pa, false);
      v |= this.phys.read8(pa) << (8 * k);
    }
    return size === 4 ? v | 0 : v >>> 0;
  }

  private writeSlow(lo: number, hi: number, size: number, v: number): void {
    this.misses++;
    if ((lo & 0xfff) + size > PAGE_SIZE) this.checkWritable(lo, hi, size);
    for (let k = 0; k < size; k++) {
      const a = (lo + k) | 0;
      const aHi = (a >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
      const pa = this.translator.translate(a, aHi, Access.Write);
      this.phys.write8(pa, (v >>> (8 * k)) & 0xff);
      if (k === 0 || (a & 0xfff) === 0) this.fill(a, aHi, pa, true);
    }
  }
}
