// replSystem.ts: the REPL's views of system structures — `pt ADDR` (one page walk, every level, with the
// physical result or the #PF it would raise), `info tlb` (the TLB's valid entries, mmu.ts) and `info gdt` /
// `info idt` (descriptor tables, raw and decoded by descriptors.ts; the IVT in real mode).
import { walk, type EntryFlags } from '../emulator/mmu/inspect';
import type { Debuggee } from './debuggee';
import { decodeDescriptor, describeDescriptor } from './descriptors';
import { readBytes } from './readMemory';
import { columns, hex, hexPad } from './format';
import { readRegister } from './registers';
import { addressArg, isIa32e } from './replArgs';
import { entryFlagNames } from './entryFlags';

// ---- paging -------------------------------------------------------------------------------------------------

function entryFlags(f: EntryFlags): string {
  return entryFlagNames(f, true).join(' ');
}

/** The #PF error code's bits, SDM Vol.3A §4.7 (Figure 4-12). */
export function pageFaultCode(code: number): string {
  const parts = [
    (code & 1) !== 0 ? 'protection violation' : 'not present',
    (code & 2) !== 0 ? 'write' : 'read',
    (code & 4) !== 0 ? 'user' : 'supervisor',
  ];
  if ((code & 8) !== 0) parts.push('reserved bit set');
  if ((code & 16) !== 0) parts.push('instruction fetch');
  if ((code & 32) !== 0) parts.push('protection key');
  if ((code & 64) !== 0) parts.push('shadow stack');
  if ((code & 0x8000) !== 0) parts.push('SGX');
  return parts.join(', ');
}

/** `pt ADDR`: every level of the walk of one linear address, then the physical address or the #PF. */
export function pageWalk(d: Debuggee, args: string): string {
  const at = addressArg(d, args, 'pt');
  if (typeof at === 'string') return at;
  if (at.physical) return 'pt: walks a linear address (drop phys:)';
  const r = walk(d.machine.phys, d.cpu, at.address);
  const cr3 = readRegister(d, 'cr3') ?? 0n;
  const head = `linear ${hexPad(at.address, 16)}: ${r.mode === 'none' ? 'paging off' : `${r.mode} paging, CR3 ${hex(cr3)}`}`;
  if (r.mode === 'none') return `${head}\n→ physical ${hex(r.physical ?? 0)} (linear = physical)`;
  const rows: string[][] = [['level', 'table', 'index', 'entry address', 'entry', 'flags']];
  for (const l of r.levels) {
    rows.push([l.level, hex(l.tableAddress), String(l.index), hex(l.entryAddress), hexPad(l.value, r.mode === '32-bit' ? 8 : 16), entryFlags(l.flags)]);
  }
  const tail = r.physical !== null
    ? `→ physical ${hex(r.physical)}${pageSizeNote(r.levels[r.levels.length - 1]?.level)}`
    : `→ #PF(${hex(r.fault?.errorCode ?? 0)}) ${r.fault?.reason ?? ''} (error code: ${pageFaultCode(r.fault?.errorCode ?? 0)})`;
  return [head, columns(rows), tail].join('\n');
}

function pageSizeNote(level: string | undefined): string {
  return level === 'PDPTE' ? ' (1 GiB page)' : level === 'PDE' ? ' (large page)' : ' (4 KiB page)';
}

/** `info tlb`: the TLB's valid entries (mmu.ts), by linear page. */
export function infoTlb(d: Debuggee): string {
  const entries = d.machine.mem.entries();
  if (entries.length === 0) return 'TLB: no valid entries';
  const rows: string[][] = [['linear page', 'physical', 'size', 'access', '']];
  const sorted = entries
    .map((e) => ({ ...e, linear: (BigInt(e.linearHi) << 32n) | BigInt(e.linearLo) }))
    .sort((a, b) => (a.linear < b.linear ? -1 : a.linear > b.linear ? 1 : 0));
  let walked = false;
  for (const e of sorted) {
    // Fetch entries hold their physical page; data entries hold a host offset, so the physical page is
    // what the current tables give (it differs from the cached one only if they changed without a flush).
    let physical: string;
    if (e.execute >= 0) physical = hex(e.execute);
    else {
      const w = walk(d.machine.phys, d.cpu, e.linear);
      physical = w.physical === null ? `(now ${w.fault?.reason ?? 'unmapped'})` : hex(w.physical - (w.physical % 4096)) + '*';
      walked = true;
    }
    const access = [e.read ? 'R' : '-', e.write ? 'W' : '-', e.execute >= 0 ? 'X' : '-'].join('');
    rows.push([hexPad(e.linear, 16), physical, e.pageShift > 12 ? `${2 ** (e.pageShift - 20)} MiB`.replace('1024 MiB', '1 GiB') : '4 KiB', access, e.global ? 'G' : '']);
  }
  const notes = [`${entries.length} valid entr${entries.length === 1 ? 'y' : 'ies'}; access: the kinds cached for the fast path (others take a page walk)`];
  if (walked) notes.push('* physical page from the current page tables (data entries cache a host offset)');
  return [columns(rows), ...notes].join('\n');
}

// ---- descriptor tables --------------------------------------------------------------------------------------

/** How many entries `info gdt`/`info idt` list at most. */
const MAX_ENTRIES = 256;

/** Bochs' `info gdt` / `info idt`: each entry's raw value and decoding (descriptors.ts). */
export function infoDescriptorTable(d: Debuggee, table: 'gdt' | 'idt'): string {
  const base = readRegister(d, `${table}r_base`) ?? 0n;
  const limit = Number(readRegister(d, `${table}r_limit`) ?? 0n);
  const name = table.toUpperCase();
  const ia32e = isIa32e(d);
  const real = ((readRegister(d, 'cr0') ?? 0n) & 1n) === 0n;
  const head = `${name} base ${hex(base)} limit ${hex(limit)}`;
  if (table === 'idt' && real) {
    // Real mode: the IVT, 4-byte segment:offset vectors (SDM Vol.3A §20.1.4).
    const rows: string[][] = [];
    for (let v = 0; v * 4 + 3 <= limit && v < 256; v++) {
      const r = readBytes(d, base + BigInt(v * 4), 4, false);
      if ('error' in r) { rows.push([`IVT[0x${v.toString(16).padStart(2, '0')}]`, r.error]); break; }
      const off = r.bytes[0] | (r.bytes[1] << 8), seg = r.bytes[2] | (r.bytes[3] << 8);
      rows.push([`IVT[0x${v.toString(16).padStart(2, '0')}]`, `${hexPad(seg, 4)}:${hexPad(off, 4)}`]);
    }
    return [`IVT (real mode) base ${hex(base)} limit ${hex(limit)}`, columns(rows)].join('\n');
  }
  const rows: string[][] = [];
  let offset = 0;
  let shown = 0;
  let skipped = 0;
  let failed = false;
  while (offset + 7 <= limit && shown < MAX_ENTRIES) {
    const r = readBytes(d, base + BigInt(offset), 8, false);
    const index = table === 'gdt' ? `${name}[0x${offset.toString(16).padStart(2, '0')}]` : `${name}[0x${(offset / (ia32e ? 16 : 8)).toString(16).padStart(2, '0')}]`;
    if ('error' in r) { rows.push([index, '', r.error]); failed = true; break; }
    const v = new DataView(r.bytes.buffer, r.bytes.byteOffset, 8);
    const lo = v.getUint32(0, true), hi = v.getUint32(4, true);
    const raw = (BigInt(hi) << 32n) | BigInt(lo);
    // IA-32e: gates and LDT/TSS descriptors take 16 bytes (SDM Vol.3A §3.5.2, §6.14.1).
    const wide = ia32e && (table === 'idt' || ((hi >>> 12) & 1) === 0) && raw !== 0n;
    let upper: { lo: number; hi: number } | undefined;
    if (wide) {
      const u = readBytes(d, base + BigInt(offset + 8), 8, false);
      if (!('error' in u)) {
        const uv = new DataView(u.bytes.buffer, u.bytes.byteOffset, 8);
        upper = { lo: uv.getUint32(0, true), hi: uv.getUint32(4, true) };
      }
    }
    offset += wide || (table === 'idt' && ia32e) ? 16 : 8;
    if (table === 'idt' && (hi & 0x8000) === 0) { skipped++; continue; }
    const text = raw === 0n ? 'null' : describeDescriptor(decodeDescriptor(lo, hi, upper));
    rows.push([index, hexPad(raw, 16) + (upper ? ' ' + hexPad((BigInt(upper.hi >>> 0) << 32n) | BigInt(upper.lo >>> 0), 16) : ''), text]);
    shown++;
  }
  const out = [head, rows.length ? columns(rows) : '(no entries)'];
  if (skipped) out.push(`${skipped} not-present gate${skipped === 1 ? '' : 's'} not shown`);
  if (!failed && offset + 7 <= limit) out.push(`… first ${MAX_ENTRIES} entries shown`);
  return out.join('\n');
}
