// entryFlags.ts: a paging-structure entry's flags in the SDM's abbreviations (Vol.3A §4.5, Tables 4-14 to
// 4-20): P RW US PWT PCD A D PS G NX and the protection key — one spelling for the Page Tables view, the
// translate request and the REPL's `pt`.
import type { EntryFlags } from '../emulator/mmu/inspect';

/** Set flags only; with `explicit`, read-only and supervisor pages say R and S, and reserved bits show. */
export function entryFlagNames(f: EntryFlags, explicit = false): string[] {
  const out: string[] = [];
  if (f.present) out.push('P');
  if (f.writable) out.push('RW'); else if (explicit) out.push('R');
  if (f.user) out.push('US'); else if (explicit) out.push('S');
  if (f.writeThrough) out.push('PWT');
  if (f.cacheDisable) out.push('PCD');
  if (f.accessed) out.push('A');
  if (f.dirty) out.push('D');
  if (f.pageSize) out.push('PS');
  if (f.global) out.push('G');
  if (f.noExecute) out.push('NX');
  if (f.protectionKey !== 0) out.push(explicit ? `PK=${f.protectionKey}` : `PK${f.protectionKey}`);
  if (explicit && f.reserved) out.push('RSVD!');
  return out;
}
