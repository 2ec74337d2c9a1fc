// longMode.ts: the `long` boot state of the Linux 64-bit boot protocol (Documentation/x86/boot.rst,
// "64-bit BOOT PROTOCOL"): 64-bit mode, paging on with an identity map covering the first 4 GiB and the
// program's load range, a GDT with __BOOT_CS 0x10 (64-bit code) and __BOOT_DS 0x18, interrupts off.
//
// Low-memory layout (base B = 0x8000 unless the program occupies it; then 0x20000 or 0x60000):
//   B - 0x1000 .. B        the initial stack (RSP = B, grows down)
//   B          .. B + 0x20 the GDT (0x08 32-bit code, 0x10 64-bit code, 0x18 data)
//   B + 0x1000 ..          page tables, one 4 KiB page each: [PML5,] PML4, PDPT(s), PDs
// The first 4 GiB are mapped with 2 MiB pages (4 PDs); a load range above 4 GiB with 1 GiB pages when
// CPUID advertises pdpe1gb, else 2 MiB pages. Entries are present + writable, supervisor (SDM Vol.3A
// §4.5, Tables 4-15 to 4-20). Everything must end below the EBDA at 0x9FC00.
import type { Machine } from '../machine';
import { CR0_PG, CR4_LA57, CR4_PAE, EFER_LMA, EFER_LME } from '../cpu/modes';
import { enterFlat } from './protected';
import { fail, guard, hex, LoadResult } from './image';

const PTE_P = 1, PTE_RW = 2, PTE_PS = 0x80;
const EFER_NXE = 1 << 11;
const TWO_MIB = 2 ** 21, ONE_GIB = 2 ** 30, FOUR_GIB = 2 ** 32;
const LOW_LIMIT = 0x9fc00;
const CANDIDATE_BASES = [0x8000, 0x20000, 0x60000];

export interface LongModeOptions {
  entry: number;
  /** Physical ranges [start, end) the program occupies: mapped, and kept clear of the loader's tables. */
  ranges: { start: number; end: number }[];
  /** Paging levels: 4 (default) or 5 (CR4.LA57; needs the la57 feature). */
  levels?: 4 | 5;
  /** Names the program in error messages. */
  file?: string;
  /** Set EFER.NXE (when CPUID advertises nx); default true. */
  nxe?: boolean;
}

export interface LongModeState {
  cr3: number;
  gdt: number;
  stack: number;
  /** Physical addresses of the page-table pages, top level first. */
  tables: number[];
}

/** Page tables built in JS, then copied into guest memory. */
class TableBuilder {
  readonly pages: { physical: number; bytes: Uint8Array; view: DataView }[] = [];
  constructor(private next: number) {}
  alloc(): number {
    const bytes = new Uint8Array(4096);
    this.pages.push({ physical: this.next, bytes, view: new DataView(bytes.buffer) });
    this.next += 4096;
    return this.next - 4096;
  }
  private page(physical: number): DataView {
    const p = this.pages.find((x) => x.physical === physical);
    if (!p) throw new Error(`longMode: no table at ${hex(physical)}`);
    return p.view;
  }
  get(table: number, index: number): number {
    const v = this.page(table);
    return v.getUint32(index * 8 + 4, true) * 2 ** 32 + v.getUint32(index * 8, true);
  }
  set(table: number, index: number, value: number): void {
    const v = this.page(table);
    v.setUint32(index * 8, value % 2 ** 32, true);
    v.setUint32(index * 8 + 4, Math.floor(value / 2 ** 32), true);
  }
  /** The next-level table that entry `index` of `table` points to, created on first use. */
  child(table: number, index: number): number {
    const e = this.get(table, index);
    if (e & PTE_P) return e - (e % 4096);
    const t = this.alloc();
    this.set(table, index, t + (PTE_P | PTE_RW));
    return t;
  }
}

/** Bits of the linear address that index level `level` (1 = PT .. 5 = PML5): SDM Vol.3A §4.5. */
function index(address: number, level: number): number {
  return Math.floor(address / 2 ** (12 + 9 * (level - 1))) % 512;
}

function build(top: number, levels: number, b: TableBuilder, ranges: { start: number; end: number }[], gib: boolean): void {
  const map = (address: number, pageLevel: number): void => {
    let t = top;
    for (let level = levels; level > pageLevel; level--) t = b.child(t, index(address, level));
    b.set(t, index(address, pageLevel), address + (PTE_P | PTE_RW | PTE_PS));
  };
  for (let a = 0; a < FOUR_GIB; a += TWO_MIB) map(a, 2);
  for (const r of ranges) {
    if (r.end <= FOUR_GIB) continue;
    const size = gib ? ONE_GIB : TWO_MIB;
    for (let a = Math.max(FOUR_GIB, Math.floor(r.start / size) * size); a < r.end; a += size) map(a, gib ? 3 : 2);
  }
}

/**
 * Builds the identity map and GDT, and enters 64-bit mode at `entry` with CR0 = PE|ET|PG,
 * CR4 = PAE (+LA57), EFER = LME|LMA (+NXE when nx is advertised and not turned off), CS = 0x10 (L=1), DS/ES/SS = 0x18.
 */
export function enterLongMode(machine: Machine, o: LongModeOptions): LoadResult<LongModeState> {
  const file = o.file ?? 'program';
  return guard(file, () => {
    const levels = o.levels ?? 4;
    const features = machine.features;
    if (levels === 5 && !features.has('la57')) fail('--paging 5', -1, 'needs the la57 CPU feature (--cpu la57)');
    const bits = levels === 5 ? 57 : 48;
    for (const r of o.ranges) {
      if (r.end > 2 ** (bits - 1)) fail(`load range ${hex(r.start)}-${hex(r.end)}`, -1, `is beyond what ${levels}-level identity mapping can reach (canonical lower half ends at ${hex(2 ** (bits - 1))})`);
    }
    if (o.entry >= 2 ** (bits - 1)) fail('entry point', -1, `${hex(o.entry)} is not identity-mapped with ${levels}-level paging`);
    if (o.entry >= FOUR_GIB && !o.ranges.some((r) => o.entry >= r.start && o.entry < r.end)) {
      fail('entry point', -1, `${hex(o.entry)} is above 4 GiB and outside the program's load range, so it would not be mapped`);
    }
    const gib = features.has('pdpe1gb');
    // A dry run counts the pages, so a base can be chosen that keeps clear of the program.
    const dry = new TableBuilder(0);
    build(dry.alloc(), levels, dry, o.ranges, gib);
    const tableBytes = dry.pages.length * 4096;
    const base = CANDIDATE_BASES.find((bs) => {
      const lo = bs - 0x1000, hi = bs + 0x1000 + tableBytes;
      return hi <= LOW_LIMIT && o.ranges.every((r) => r.end <= lo || r.start >= hi);
    });
    if (base === undefined) fail('load range', -1, `leaves no room below ${hex(LOW_LIMIT)} for the loader's stack, GDT and ${dry.pages.length} page-table pages`);
    const b = new TableBuilder(base + 0x1000);
    const top = b.alloc();
    build(top, levels, b, o.ranges, gib);
    for (const p of b.pages) machine.load(p.physical, p.bytes);

    const cpu = machine.cpu;
    cpu.reset();
    enterFlat(machine, { entry: o.entry, long: true, stack: base, gdtBase: base });
    cpu.cr3Lo = top; cpu.cr3Hi = 0;
    cpu.cr4 = CR4_PAE | (levels === 5 ? CR4_LA57 : 0);
    cpu.efer = EFER_LME | EFER_LMA | (features.has('nx') && o.nxe !== false ? EFER_NXE : 0);
    cpu.cr0 |= CR0_PG;
    machine.stateChanged(); // re-derives the mode and tells the MMU (setPagingState) of CR0/CR3/CR4/EFER
    return { cr3: top, gdt: base, stack: base, tables: b.pages.map((p) => p.physical) };
  });
}
