// support.ts (test/debug): small guests for the debugger-hook tests — programs assembled by our own
// assembler, run flat in 64-bit mode (test/machine/support.ts longGuest) or in real mode, optionally with
// 4-level paging built by test/mmu/tables.ts.
import { longGuest, Guest } from '../machine/support';
import { Tables, P, RW, US, CR4_PAE, enablePaging } from '../mmu/tables';
import { StopReason } from '../../emulator/cpu/step';

export { StopReason };
export type { Guest };

/** A 64-bit guest at 0x10000 (paging off: linear = physical), RSP = 0x80000, IDT gates for `vectors`. */
export function guest64(src: string, vectors: Record<number, string> = {}): Guest {
  return longGuest(src, vectors, 0x10000);
}

/** RIP as a number (the tests stay below 2^32). */
export function rip(g: Guest): number {
  return g.m.cpu.ripLo >>> 0;
}

/**
 * Turns on 4-level paging with page tables from 0x200000 that identity-map the first 1 MiB (code, stack,
 * GDT, IDT) with 4-KiB pages, plus the extra `maps` [linear, physical]. Returns the tables, for more roots.
 */
export function page(g: Guest, maps: [number, number][] = [], base = 0x200000): { tables: Tables; root: number } {
  const tables = new Tables(g.m, base);
  const root = tables.alloc();
  mapAll(tables, root, maps);
  enablePaging(g.m, { cr3: BigInt(root), cr4: CR4_PAE });
  return { tables, root };
}

/** Identity-maps the first 1 MiB and the extra `maps` under the PML4 at `root`. */
export function mapAll(tables: Tables, root: number, maps: [number, number][]): void {
  for (let a = 0; a < 0x100000; a += 4096) tables.map(root, 4, BigInt(a), BigInt(a), P | RW | US);
  for (const [lin, phys] of maps) tables.map(root, 4, BigInt(lin), BigInt(phys), P | RW | US);
}

/** Runs with a generous budget. */
export function run(g: Guest, n = 1_000_000): StopReason {
  return g.m.run({ maxInstructions: n });
}
