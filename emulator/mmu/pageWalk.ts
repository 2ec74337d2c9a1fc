// pageWalk.ts: the linear→physical walk of IA-32 paging (SDM Vol.3A ch.4): 32-bit paging with PSE/PSE-36,
// PAE, 4-level and 5-level paging, access rights (§4.6), reserved bits (§4.3–§4.5), accessed/dirty flags
// (§4.8) and the #PF error code (§4.7). Allocation-free unless a trace is asked for (the debugger's walk).
import type { PhysicalMemory } from '../mem/physical';

export enum Access { Read = 0, Write = 1, Execute = 2 }

/** Paging modes (SDM Vol.3A §4.1.1, Table 4-1). */
export const MODE_NONE = 0;
export const MODE_32 = 1;
export const MODE_PAE = 2;
export const MODE_4LEVEL = 3;
export const MODE_5LEVEL = 4;

/** #PF error-code bits (SDM Vol.3A §4.7, Figure 4-12). */
export const PF_P = 1;
export const PF_W = 2;
export const PF_U = 4;
export const PF_RSVD = 8;
export const PF_ID = 16;
export const PF_PK = 32;

/** Paging-structure entry bits (SDM Vol.3A Tables 4-4 … 4-20). */
export const E_P = 1, E_RW = 2, E_US = 4, E_PWT = 8, E_PCD = 16, E_A = 32, E_D = 64, E_PS = 128, E_G = 256;

export const CR0_PE = 1, CR0_WP = 1 << 16, CR0_PG = 1 << 31;
export const CR4_PSE = 1 << 4, CR4_PAE = 1 << 5, CR4_PGE = 1 << 7, CR4_LA57 = 1 << 12, CR4_PCIDE = 1 << 17;
export const CR4_SMEP = 1 << 20, CR4_SMAP = 1 << 21, CR4_PKE = 1 << 22;
export const EFER_NXE = 1 << 11, EFER_LMA = 1 << 10;
export const EFLAGS_AC = 1 << 18;

const TWO32 = 0x1_0000_0000;

/** The processor state paging depends on; the Cpu has these fields. */
export interface PagingRegs {
  cr0: number; cr3Lo: number; cr3Hi: number; cr4: number; efer: number; cpl: number; flags: number;
  /** The protection-key rights register (RDPKRU/WRPKRU); 0 when absent. */
  pkru?: number;
  /** CPUID features (pse36, pdpe1gb decide reserved bits); both assumed present without it. */
  features?: { has(name: string): boolean };
}

/** Names of the entries at each level, by level number (1 = PTE … 5 = PML5E). */
export const LEVEL_NAMES = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E', 'PML5E'] as const;
export type LevelName = 'PTE' | 'PDE' | 'PDPTE' | 'PML4E' | 'PML5E';

/** One entry the walk read, for the debugger. */
export interface TraceEntry {
  level: number; tableAddress: number; index: number; entryAddress: number; lo: number; hi: number;
}

export function pagingModeOf(r: PagingRegs): number {
  if ((r.cr0 & CR0_PG) === 0 || (r.cr0 & CR0_PE) === 0) return MODE_NONE;
  if ((r.cr4 & CR4_PAE) === 0) return MODE_32;
  if ((r.efer & EFER_LMA) === 0) return MODE_PAE;
  return (r.cr4 & CR4_LA57) !== 0 ? MODE_5LEVEL : MODE_4LEVEL;
}

/** Physical address held in bits 51:12 of a 64-bit entry (MAXPHYADDR = 52). */
function frameOf(lo: number, hi: number): number {
  return ((lo & 0xfffff000) >>> 0) + (hi & 0xfffff) * TWO32;
}

/**
 * Bits of a present entry that must be 0 (SDM Vol.3A §4.4.2 Tables 4-8…4-11 for PAE, §4.5.4 Tables
 * 4-14…4-20 for 4/5-level paging), with MAXPHYADDR = 52 so bits 51:M are none. Returns true when one is set.
 */
export function reservedSet(mode: number, level: number, lo: number, hi: number, nxe: boolean, page1g: boolean): boolean {
  // Bit 63 (XD) is reserved whenever IA32_EFER.NXE = 0 (§4.4.2, §4.5.4).
  if (!nxe && hi < 0) return true;
  if (mode === MODE_PAE) {
    // PAE paging: bits 62:52 are reserved in PDEs and PTEs (Tables 4-9…4-11; no protection keys).
    if ((hi & 0x7ff00000) !== 0) return true;
  }
  switch (level) {
    case 5: case 4:
      // PS is reserved in PML5Es and PML4Es (Tables 4-14, 4-15).
      return (lo & E_PS) !== 0;
    case 3:
      if ((lo & E_PS) === 0) return false;
      // 1-GByte pages: PS reserved without CPUID Page1GB; bits 29:13 reserved (Table 4-16).
      return !page1g || (lo & 0x3fffe000) !== 0;
    case 2:
      // 2-MByte pages: bits 20:13 reserved (Tables 4-9, 4-18).
      return (lo & E_PS) !== 0 && (lo & 0x001fe000) !== 0;
    default:
      return false;
  }
}

/** PAE PDPTE reserved bits (Table 4-8): 2:1, 8:5, 63:52 (MAXPHYADDR = 52). MOV to CR3 raises #GP on them (§4.4.1). */
export function paePdpteReserved(lo: number, hi: number): boolean {
  return (lo & E_P) !== 0 && ((lo & 0x1e6) !== 0 || (hi & 0xfff00000) !== 0);
}

export class PageWalker {
  mode = MODE_NONE;
  cr3Lo = 0;
  cr3Hi = 0;
  wp = false;
  nxe = false;
  pse = false;
  pge = false;
  smep = false;
  smap = false;
  pke = false;
  /** PSE-36 and 1-GByte pages (CPUID.01H:EDX[17], CPUID.80000001H:EDX[26]). */
  pse36 = true;
  page1g = true;
  /** PKRU (SDM Vol.3A §4.6.2), copied from the processor at each configure (WRPKRU reconfigures). */
  pkru = 0;
  /** Non-leaf entries used by the current walk (address, bits 31:0), for their accessed flags. */
  private readonly usedAddr = new Float64Array(5);
  private readonly usedLo = new Int32Array(5);
  /** The PAE PDPTE registers, loaded from CR3 when it is written (SDM Vol.3A §4.4.1). */
  readonly pdpteLo = new Int32Array(4);
  readonly pdpteHi = new Int32Array(4);

  // Results of the last walk.
  /** #PF error code and a constant description when walk returned -1. */
  faultCode = 0;
  faultReason = '';
  /** log2 of the size of the page that translated the address (12, 21, 22 or 30). */
  pageShift = 12;
  global = false;
  /** Whether explicit reads / writes / fetches at the walk's privilege would be allowed without a walk. */
  canRead = false;
  canWrite = false;
  canExec = false;
  /** Walks done (for the bench: the slow path's cost). */
  walks = 0;

  constructor(readonly phys: PhysicalMemory) {}

  /** Takes CR0/CR3/CR4/EFER (CPL and EFLAGS.AC are passed per walk). `loadPdptes` reloads the PAE PDPTEs. */
  configure(r: PagingRegs, loadPdptes: boolean): void {
    this.mode = pagingModeOf(r);
    this.cr3Lo = r.cr3Lo;
    this.cr3Hi = r.cr3Hi;
    this.wp = (r.cr0 & CR0_WP) !== 0;
    // NXE has no effect with 32-bit paging (no XD bit there; §4.3).
    this.nxe = (r.efer & EFER_NXE) !== 0 && this.mode >= MODE_PAE;
    this.pse = (r.cr4 & CR4_PSE) !== 0;
    this.pge = (r.cr4 & CR4_PGE) !== 0;
    this.smep = (r.cr4 & CR4_SMEP) !== 0;
    this.smap = (r.cr4 & CR4_SMAP) !== 0;
    // Protection keys apply only to 4-level and 5-level paging (§4.6.2).
    this.pke = (r.cr4 & CR4_PKE) !== 0 && this.mode >= MODE_4LEVEL;
    this.pkru = r.pkru ?? 0;
    if (r.features !== undefined) {
      this.pse36 = r.features.has('pse36');
      this.page1g = r.features.has('pdpe1gb');
    }
    if (this.mode === MODE_PAE && loadPdptes) this.loadPdptes();
  }

  /** PAE: CR3 bits 31:5 locate the four PDPTEs (§4.4.1). */
  loadPdptes(): void {
    const base = (this.cr3Lo & 0xffffffe0) >>> 0;
    for (let k = 0; k < 4; k++) {
      this.pdpteLo[k] = this.phys.read32(base + 8 * k);
      this.pdpteHi[k] = this.phys.read32(base + 8 * k + 4);
    }
  }

  /**
   * Translates linear address hi:lo for `access`. `user` is true for user-mode accesses (CPL 3 and not
   * an implicit supervisor access, §4.6); `implicit` marks implicit supervisor-mode accesses (descriptor
   * tables, TSS). `ac` is EFLAGS.AC. With `commit` the walk sets accessed and dirty flags (§4.8); `trace`
   * receives every entry read. Returns the physical address, or -1 with faultCode/faultReason set.
   */
  walk(lo: number, hi: number, access: Access, user: boolean, implicit: boolean, ac: boolean,
    commit: boolean, trace: TraceEntry[] | null): number {
    this.walks++;
    const phys = this.phys;
    const write = access === Access.Write;
    const fetch = access === Access.Execute;
    // W/R, U/S and I/D describe the access whatever the cause (§4.7). I/D only with SMEP or PAE+NXE.
    const base = (write ? PF_W : 0) | (user ? PF_U : 0) | (fetch && (this.smep || this.nxe) ? PF_ID : 0);
    let rw = true, us = true, xd = false, used = 0;
    let leafLo: number, leafHi = 0, leafAddr: number, shift = 12, physical: number;

    if (this.mode === MODE_32) {
      // 32-bit paging (§4.3): 4-byte entries, a page directory at CR3[31:12].
      const table = (this.cr3Lo & 0xfffff000) >>> 0;
      const index = lo >>> 22;
      const pdeAddr = table + index * 4;
      const pde = phys.read32(pdeAddr);
      if (trace !== null) trace.push({ level: 2, tableAddress: table, index, entryAddress: pdeAddr, lo: pde, hi: 0 });
      if ((pde & E_P) === 0) return this.fail(base, 'page directory entry not present');
      rw = (pde & E_RW) !== 0;
      us = (pde & E_US) !== 0;
      if (this.pse && (pde & E_PS) !== 0) {
        // 4-MByte page (Table 4-4): bits 20:13 are physical bits 39:32 with PSE-36 (M = min(MAXPHYADDR, 40)),
        // bit 21 reserved; without PSE-36 bits 21:13 are reserved.
        if ((pde & (this.pse36 ? 0x200000 : 0x3fe000)) !== 0) return this.fail(base | PF_P | PF_RSVD, 'reserved bit set in a 4-MByte PDE');
        leafLo = pde; leafAddr = pdeAddr; shift = 22;
        physical = ((pde & 0xffc00000) >>> 0) + ((pde >>> 13) & 0xff) * TWO32 + (lo & 0x3fffff);
      } else {
        this.usedAddr[0] = pdeAddr; this.usedLo[0] = pde; used = 1;
        const ptTable = (pde & 0xfffff000) >>> 0;
        const ptIndex = (lo >>> 12) & 0x3ff;
        const pteAddr = ptTable + ptIndex * 4;
        const pte = phys.read32(pteAddr);
        if (trace !== null) trace.push({ level: 1, tableAddress: ptTable, index: ptIndex, entryAddress: pteAddr, lo: pte, hi: 0 });
        if ((pte & E_P) === 0) return this.fail(base, 'page table entry not present');
        rw = rw && (pte & E_RW) !== 0;
        us = us && (pte & E_US) !== 0;
        leafLo = pte; leafAddr = pteAddr;
        physical = ((pte & 0xfffff000) >>> 0) + (lo & 0xfff);
      }
    } else {
      let level: number;
      let table: number;
      if (this.mode === MODE_PAE) {
        // PAE (§4.4): the PDPTE comes from the PDPTE registers, which have no R/W, U/S or XD bits.
        const k = lo >>> 30;
        const eLo = this.pdpteLo[k], eHi = this.pdpteHi[k];
        const pdpt = (this.cr3Lo & 0xffffffe0) >>> 0;
        if (trace !== null) trace.push({ level: 3, tableAddress: pdpt, index: k, entryAddress: pdpt + 8 * k, lo: eLo, hi: eHi });
        if ((eLo & E_P) === 0) return this.fail(base, 'PDPTE not present');
        // MOV to CR3 would have raised #GP (§4.4.1); registers set from outside are checked here instead.
        if (paePdpteReserved(eLo, eHi)) return this.fail(base | PF_P | PF_RSVD, 'reserved bit set in a PDPTE');
        table = frameOf(eLo, eHi);
        level = 2;
      } else {
        // 4-level and 5-level paging (§4.5): CR3[51:12] (bits 11:0 are PCD/PWT or the PCID).
        table = frameOf(this.cr3Lo, this.cr3Hi);
        level = this.mode === MODE_5LEVEL ? 5 : 4;
      }
      for (;;) {
        // Linear-address bits per level: 56:48, 47:39, 38:30, 29:21, 20:12 (Figures 4-8 … 4-11).
        const index = level === 5 ? (hi >>> 16) & 0x1ff : level === 4 ? (hi >>> 7) & 0x1ff
          : level === 3 ? ((hi & 0x7f) << 2) | (lo >>> 30) : level === 2 ? (lo >>> 21) & 0x1ff : (lo >>> 12) & 0x1ff;
        const addr = table + index * 8;
        const eLo = phys.read32(addr);
        const eHi = phys.read32(addr + 4);
        if (trace !== null) trace.push({ level, tableAddress: table, index, entryAddress: addr, lo: eLo, hi: eHi });
        if ((eLo & E_P) === 0) return this.fail(base, 'paging-structure entry not present');
        if (reservedSet(this.mode, level, eLo, eHi, this.nxe, this.page1g)) {
          return this.fail(base | PF_P | PF_RSVD, 'reserved bit set in a paging-structure entry');
        }
        rw = rw && (eLo & E_RW) !== 0;
        us = us && (eLo & E_US) !== 0;
        if (eHi < 0) xd = true; // only reachable with NXE = 1 (otherwise reserved above)
        if (level === 1 || (eLo & E_PS) !== 0) {
          leafLo = eLo; leafHi = eHi; leafAddr = addr;
          if (level === 1) physical = frameOf(eLo, eHi) + (lo & 0xfff);
          else if (level === 2) { shift = 21; physical = ((eLo & 0xffe00000) >>> 0) + (eHi & 0xfffff) * TWO32 + (lo & 0x1fffff); }
          else { shift = 30; physical = ((eLo & 0xc0000000) >>> 0) + (eHi & 0xfffff) * TWO32 + (lo & 0x3fffffff); }
          break;
        }
        this.usedAddr[used] = addr; this.usedLo[used] = eLo; used++;
        table = frameOf(eLo, eHi);
        level--;
      }
    }

    // Access rights (§4.6.1) and protection keys (§4.6.2) for user-mode addresses (U/S = 1 at every level).
    const pkey = this.pke && us ? (leafHi >>> 27) & 0xf : -1;
    const denied = this.rights(access, user, implicit, ac, rw, us, xd, pkey);
    if (denied !== 0) {
      return this.fail(base | PF_P | ((denied & 2) !== 0 ? PF_PK : 0), (denied & 1) !== 0 ? 'access rights violation' : 'protection-key violation');
    }
    if (commit) {
      // Every entry used gets its accessed flag, the final one its dirty flag too on a write (§4.8).
      // Like Intel processors, only once the walk has succeeded: a faulting access sets none (the
      // behaviour KVM documents and QEMU follows). A locked read-modify-write on hardware; one
      // processor and no DMA here, so plain byte writes.
      for (let k = 0; k < used; k++) {
        if ((this.usedLo[k] & E_A) === 0) phys.write8(this.usedAddr[k], (this.usedLo[k] | E_A) & 0xff);
      }
      const set = write ? E_A | E_D : E_A;
      if ((leafLo & set) !== set) phys.write8(leafAddr, (leafLo | set) & 0xff);
      if (write) leafLo |= E_D;
    }
    this.pageShift = shift;
    this.global = this.pge && (leafLo & E_G) !== 0;
    // What the TLB may remember for this privilege: explicit accesses only, and never an access that
    // depends on EFLAGS.AC (SMAP), so STAC/CLAC/POPF need not flush. A write needs the dirty flag set.
    const smapUser = this.smap && us && !user;
    this.canRead = !smapUser && this.rights(Access.Read, user, false, false, rw, us, xd, pkey) === 0;
    this.canWrite = !smapUser && (leafLo & E_D) !== 0 && this.rights(Access.Write, user, false, false, rw, us, xd, pkey) === 0;
    this.canExec = this.rights(Access.Execute, user, false, false, rw, us, xd, pkey) === 0;
    return physical;
  }

  /**
   * 0 when the access is allowed; else bit 0 when the access rights forbid it (§4.6.1) and bit 1 when
   * the protection key does (§4.6.2). The two are independent: the #PF error code's PK flag reports the
   * key's verdict whatever the rights say (§4.7). `rw`/`us` are the AND over all levels, `xd` the OR.
   */
  rights(access: Access, user: boolean, implicit: boolean, ac: boolean, rw: boolean, us: boolean, xd: boolean, pkey: number): number {
    if (access === Access.Execute) {
      // User mode: only user-mode addresses. Supervisor mode: not user-mode addresses with SMEP.
      // Either way, not with XD = 1 in any entry when NXE = 1. Protection keys do not apply to fetches.
      if (user ? !us : us && this.smep) return 1;
      return xd ? 1 : 0;
    }
    const write = access === Access.Write;
    let r = 0;
    if (user) {
      if (!us || (write && !rw)) r = 1;
    } else {
      // SMAP: supervisor data accesses to user-mode addresses only when explicit with EFLAGS.AC = 1.
      if (us && this.smap && (implicit || !ac)) r = 1;
      // Supervisor writes: read-only pages are writable only with CR0.WP = 0.
      else if (write && !rw && this.wp) r = 1;
    }
    if (pkey >= 0) {
      const ad = (this.pkru >>> (2 * pkey)) & 1, wd = (this.pkru >>> (2 * pkey + 1)) & 1;
      if (ad !== 0 || (write && wd !== 0 && (user || this.wp))) r |= 2;
    }
    return r;
  }

  private fail(code: number, reason: string): number {
    this.faultCode = code;
    this.faultReason = reason;
    return -1;
  }
}
