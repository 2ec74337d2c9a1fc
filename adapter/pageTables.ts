// pageTables.ts: the custom requests behind the Page Tables view and "Translate Address…" —
// `trampoline/pageTables` (the root, then the children of one table at a time, folded runs included) and
// `trampoline/translate` (every level of one walk and the fault it would raise). Reads go through
// mmu/inspect.ts: no accessed/dirty bits are set and no #PF is raised by looking.
import { children, rootTable, walk, LevelName, TableNode } from '../emulator/mmu/inspect';
import { Debuggee } from './debuggee';
import { entryFlagNames } from './entryFlags';
import { evaluate } from './evaluate';

export interface TableRef {
  tableAddress: number;
  level: LevelName;
  /** Linear address the table's entry 0 maps, as a hex string (64-bit). */
  linearBase: string;
}

export interface PageTableNodeJson {
  level: LevelName;
  index: number;
  /** Entries folded into this node (consecutive, same flags, contiguous frames). */
  count: number;
  /** First and last linear address covered (hex). */
  linear: string;
  linearEnd: string;
  /** Bytes one entry maps. */
  span: number;
  entryAddress: string;
  value: string;
  /** Physical address the entry points at: the next table, or the page frame. */
  physical: string;
  flags: string[];
  leaf: boolean;
  /** Page size when this maps a page ("4K", "2M", "1G", "4M"). */
  pageSize: string | null;
  reserved: boolean;
  child: TableRef | null;
}

const LEVELS_5 = ['PML5E', 'PML4E', 'PDPTE', 'PDE', 'PTE'];

function sizeName(span: number): string {
  return span >= 2 ** 30 ? `${span / 2 ** 30}G` : span >= 2 ** 20 ? `${span / 2 ** 20}M` : `${span / 1024}K`;
}

const hex = (n: number | bigint): string => '0x' + n.toString(16);

/** One table entry (or folded run) as the view, the translate request and `trampoline pt` show it. */
export function nodeJson(n: TableNode): PageTableNodeJson {
  const end = BigInt.asUintN(64, n.linear + BigInt(n.span) * BigInt(n.count) - 1n);
  return {
    level: n.level, index: n.index, count: n.count, linear: hex(n.linear), linearEnd: hex(end), span: n.span,
    entryAddress: hex(n.entryAddress), value: hex(n.value), physical: hex(n.flags.frame), flags: entryFlagNames(n.flags),
    leaf: n.leaf, pageSize: n.leaf ? sizeName(n.span) : null, reserved: n.flags.reserved,
    child: n.child === null ? null : { tableAddress: n.child.tableAddress, level: n.child.level, linearBase: hex(BigInt.asUintN(64, n.child.linearBase)) },
  };
}

export function pageTableRoot(d: Debuggee): { paging: string; cr3: string; levels: number; root: TableRef | null; entries: PageTableNodeJson[] } {
  const cpu = d.cpu;
  const m = d.mode();
  const root = rootTable(cpu);
  const cr3 = '0x' + (cpu.cr3Hi >>> 0).toString(16) + (cpu.cr3Lo >>> 0).toString(16).padStart(8, '0');
  if (root === null) return { paging: m.paging, cr3, levels: 0, root: null, entries: [] };
  const ref: TableRef = { tableAddress: root.tableAddress, level: root.level, linearBase: hex(root.linearBase) };
  const levels = m.paging === '5-level' ? 5 : m.paging === '4-level' ? 4 : m.paging === 'pae' ? 3 : 2;
  return { paging: m.paging, cr3, levels, root: ref, entries: children(d.machine.phys, cpu, root.tableAddress, root.level, root.linearBase).map(nodeJson) };
}

export function pageTableChildren(d: Debuggee, table: unknown): { entries: PageTableNodeJson[] } {
  const t = table as Partial<TableRef>;
  if (typeof t !== 'object' || t === null || typeof t.tableAddress !== 'number' || typeof t.level !== 'string' || !LEVELS_5.includes(t.level)) {
    throw new Error('trampoline/pageTables: "table" must be {tableAddress, level, linearBase} as a node\'s "child" gives it');
  }
  let base: bigint;
  try { base = BigInt(t.linearBase ?? '0'); } catch { throw new Error(`trampoline/pageTables: linearBase "${String(t.linearBase)}" is not a number`); }
  return { entries: children(d.machine.phys, d.cpu, t.tableAddress, t.level as LevelName, BigInt.asIntN(64, base)).map(nodeJson) };
}

export interface TranslateJson {
  linear: string;
  paging: string;
  levels: { level: LevelName; tableAddress: string; index: number; entryAddress: string; value: string; flags: string[]; physical: string; reserved: boolean }[];
  physical: string | null;
  fault: { vector: 14; errorCode: number; reason: string } | null;
}

/** The walk of one address (an expression: `0x7c00`, `rip`, a label). */
export function translateAddress(d: Debuggee, expression: string): TranslateJson | string {
  const v = evaluate(d, expression);
  if ('error' in v) return `trampoline/translate: ${v.error}`;
  const r = walk(d.machine.phys, d.cpu, v.value);
  return {
    linear: hex(BigInt.asUintN(64, v.value)), paging: r.mode,
    levels: r.levels.map((l) => ({
      level: l.level, tableAddress: hex(l.tableAddress), index: l.index, entryAddress: hex(l.entryAddress), value: hex(l.value),
      flags: entryFlagNames(l.flags), physical: hex(l.flags.frame), reserved: l.flags.reserved,
    })),
    physical: r.physical === null ? null : hex(r.physical),
    fault: r.fault === null ? null : { vector: 14, errorCode: r.fault.errorCode, reason: r.fault.reason },
  };
}
