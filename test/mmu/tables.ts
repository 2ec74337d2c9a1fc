// tables.ts (test helper for test/mmu): builds paging structures in guest physical memory and switches
// a flat test machine's paging on by setting CR0/CR3/CR4/EFER directly.
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { isCpuFault } from '../../emulator/cpu/fault';

export const P = 1n, RW = 2n, US = 4n, A = 32n, D = 64n, PS = 128n, G = 256n, XD = 1n << 63n;
export const CR0_PG = 0x80000000 | 0, CR0_WP = 1 << 16;
export const CR4_PSE = 1 << 4, CR4_PAE = 1 << 5, CR4_PGE = 1 << 7, CR4_LA57 = 1 << 12, CR4_PCIDE = 1 << 17;
export const CR4_SMEP = 1 << 20, CR4_SMAP = 1 << 21, CR4_PKE = 1 << 22;
export const EFER_NXE = 1 << 11;
export const EFLAGS_AC = 1 << 18;

/** Page-table memory: 4-KiB tables handed out from `base` upwards, zeroed. */
export class Tables {
  next: number;
  constructor(readonly m: Machine, base = 0x200000) {
    this.next = base;
  }

  alloc(): number {
    const a = this.next;
    this.next += 4096;
    this.m.phys.writeBytes(a, new Uint8Array(4096));
    return a;
  }

  set64(addr: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.m.phys.writeBytes(addr, b);
  }

  get64(addr: number): bigint {
    return new DataView(this.m.phys.readBytes(addr, 8).buffer).getBigUint64(0, true);
  }

  set32(addr: number, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.m.phys.writeBytes(addr, b);
  }

  get32(addr: number): number {
    return new DataView(this.m.phys.readBytes(addr, 4).buffer).getUint32(0, true);
  }

  /**
   * Maps `linear` to `physical` with 4/5-level paging under root table `root` (`levels` = 4 or 5); the
   * leaf is at `leafLevel` (1 = 4-KiB PTE, 2 = 2-MiB PDE, 3 = 1-GiB PDPTE). Non-leaf entries get
   * `tableFlags`. Returns the entry addresses by level number.
   */
  map(root: number, levels: number, linear: bigint, physical: bigint, leafFlags: bigint, leafLevel = 1, tableFlags = P | RW | US): number[] {
    const addrs: number[] = [];
    let table = root;
    for (let level = levels; level >= leafLevel; level--) {
      const index = Number((linear >> BigInt(12 + 9 * (level - 1))) & 0x1ffn);
      const addr = table + index * 8;
      addrs[level] = addr;
      if (level === leafLevel) {
        this.set64(addr, physical | leafFlags | (leafLevel > 1 ? PS : 0n));
        break;
      }
      let e = this.get64(addr);
      if ((e & P) === 0n) {
        e = BigInt(this.alloc()) | tableFlags;
        this.set64(addr, e);
      }
      table = Number(e & 0x000f_ffff_ffff_f000n);
    }
    return addrs;
  }
}

export interface PagingSetup {
  cr3: bigint; cr4: number; nxe?: boolean; wp?: boolean; cpl?: 0 | 3; ac?: boolean;
}

/** Turns paging on (CR0.PG) with the given CR3/CR4/EFER.NXE/CR0.WP/CPL/EFLAGS.AC. */
export function enablePaging(m: Machine, s: PagingSetup): void {
  const cpu = m.cpu;
  cpu.cr0 = (cpu.cr0 | CR0_PG) & ~CR0_WP | (s.wp ? CR0_WP : 0);
  cpu.cr3Lo = Number(s.cr3 & 0xffffffffn) | 0;
  cpu.cr3Hi = Number(s.cr3 >> 32n) | 0;
  cpu.cr4 = s.cr4;
  cpu.efer = s.nxe ? cpu.efer | EFER_NXE : cpu.efer & ~EFER_NXE;
  cpu.flags = s.ac ? cpu.flags | EFLAGS_AC : cpu.flags & ~EFLAGS_AC;
  cpu.segSel[1] = (cpu.segSel[1] & ~3) | (s.cpl ?? 0);
  m.stateChanged(); // derives CPL from CS.RPL before the MMU reads it
  cpu.mem.setPagingState(cpu, true);
}

/** Runs `fn` and returns the #PF it raised (error code and CR2 as a bigint), or null when none. */
export function pageFault(m: Machine, fn: () => unknown): { ec: number; cr2: bigint } | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!isCpuFault(e)) throw e;
    assert.equal(e.vector, 14, `expected #PF, got vector ${e.vector} (${e.detail})`);
    return { ec: e.errorCode, cr2: (BigInt(m.cpu.cr2Hi >>> 0) << 32n) | BigInt(m.cpu.cr2Lo >>> 0) };
  }
}

export function split(linear: bigint): [number, number] {
  const u = BigInt.asUintN(64, linear);
  return [Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0];
}
