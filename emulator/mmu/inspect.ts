// inspect.ts: page tables as the debugger sees them — a side-effect-free walk of one linear address
// (no accessed/dirty writes, no #PF, no CR2) and a lazy reader of one paging-structure table at a time.
import type { PhysicalMemory } from '../mem/physical';
import {
  Access, E_A, E_D, E_G, E_P, E_PCD, E_PS, E_PWT, E_RW, E_US, EFER_NXE, EFLAGS_AC, LEVEL_NAMES, LevelName,
  MODE_32, MODE_4LEVEL, MODE_5LEVEL, MODE_NONE, MODE_PAE, PageWalker, pagingModeOf, PagingRegs, reservedSet,
  TraceEntry, CR4_PSE, paePdpteReserved,
} from './pageWalk';

export type { LevelName, PagingRegs };

const MODE_NAMES = ['none', '32-bit', 'pae', '4-level', '5-level'] as const;
export type PagingModeName = typeof MODE_NAMES[number];

export interface EntryFlags {
  present: boolean; writable: boolean; user: boolean; writeThrough: boolean; cacheDisable: boolean;
  accessed: boolean; dirty: boolean; pageSize: boolean; global: boolean; noExecute: boolean;
  /** Protection key (bits 62:59 of a leaf entry with 4/5-level paging), else 0. */
  protectionKey: number;
  /** Physical address the entry points at (next table or page frame). */
  frame: number;
  /** A reserved bit is set (the entry would cause #PF with RSVD = 1). */
  reserved: boolean;
}

export interface WalkLevel {
  level: LevelName; tableAddress: number; index: number; entryAddress: number;
  value: bigint; flags: EntryFlags;
}

export interface WalkResult {
  mode: PagingModeName;
  levels: WalkLevel[];
  physical: number | null;
  fault: { errorCode: number; reason: string } | null;
}

export interface WalkOptions {
  /** The access to check (default Read). */
  access?: Access;
  /** Check as a user-mode access (default: CPL = 3 in `state`). */
  user?: boolean;
}

function levelName(level: number): LevelName {
  return LEVEL_NAMES[level] as LevelName;
}

function isLeaf(mode: number, level: number, lo: number, pse: boolean): boolean {
  if (level === 1) return true;
  if (mode === MODE_32) return level === 2 && pse && (lo & E_PS) !== 0;
  return (level === 2 || (level === 3 && mode !== MODE_PAE)) && (lo & E_PS) !== 0;
}

function decode(mode: number, level: number, lo: number, hi: number, pse: boolean, nxe: boolean): EntryFlags {
  const leaf = isLeaf(mode, level, lo, pse);
  let frame: number;
  if (mode === MODE_32) {
    frame = leaf && level === 2 ? ((lo & 0xffc00000) >>> 0) + ((lo >>> 13) & 0xff) * 0x1_0000_0000 : (lo & 0xfffff000) >>> 0;
  } else {
    const mask = leaf && level === 3 ? 0xc0000000 : leaf && level === 2 ? 0xffe00000 : 0xfffff000;
    frame = ((lo & mask) >>> 0) + (hi & 0xfffff) * 0x1_0000_0000;
  }
  const reserved = (lo & E_P) !== 0 && (mode === MODE_32 ? leaf && level === 2 && (lo & 0x200000) !== 0
    : mode === MODE_PAE && level === 3 ? paePdpteReserved(lo, hi) : reservedSet(mode, level, lo, hi, nxe, true));
  return {
    present: (lo & E_P) !== 0, writable: (lo & E_RW) !== 0, user: (lo & E_US) !== 0,
    writeThrough: (lo & E_PWT) !== 0, cacheDisable: (lo & E_PCD) !== 0, accessed: (lo & E_A) !== 0,
    dirty: leaf && (lo & E_D) !== 0, pageSize: leaf && level > 1, global: leaf && (lo & E_G) !== 0,
    noExecute: mode !== MODE_32 && hi < 0,
    protectionKey: leaf && mode >= MODE_4LEVEL ? (hi >>> 27) & 0xf : 0,
    frame, reserved,
  };
}

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Walks `linear` under `state` (CR0/CR3/CR4/EFER/CPL/EFLAGS) the way the processor would, without side
 * effects. PAE PDPTEs are read from memory at CR3 (the processor's PDPTE registers were loaded when CR3
 * was written; they differ only if the PDPT changed since).
 */
export function walk(mem: PhysicalMemory, state: PagingRegs, linear: bigint, options: WalkOptions = {}): WalkResult {
  const w = new PageWalker(mem);
  w.configure(state, true);
  const mode = w.mode;
  const lin = BigInt.asUintN(64, linear);
  const lo = Number(lin & 0xffffffffn) | 0;
  const hi = Number(lin >> 32n) | 0;
  if (mode === MODE_NONE) return { mode: 'none', levels: [], physical: Number(lin), fault: null };
  const trace: TraceEntry[] = [];
  const user = options.user ?? state.cpl === 3;
  const pa = w.walk(lo, mode >= MODE_4LEVEL ? hi : 0, options.access ?? Access.Read, user, false,
    (state.flags & EFLAGS_AC) !== 0, false, trace);
  const pse = (state.cr4 & CR4_PSE) !== 0;
  const nxe = (state.efer & EFER_NXE) !== 0;
  return {
    mode: MODE_NAMES[mode],
    levels: trace.map((t) => ({
      level: levelName(t.level), tableAddress: t.tableAddress, index: t.index, entryAddress: t.entryAddress,
      value: mode === MODE_32 ? BigInt(t.lo >>> 0) : toBig(t.lo, t.hi), flags: decode(mode, t.level, t.lo, t.hi, pse, nxe),
    })),
    physical: pa < 0 ? null : pa,
    fault: pa < 0 ? { errorCode: w.faultCode, reason: w.faultReason } : null,
  };
}

export interface TableNode {
  /** Index of the first entry of the run in its table. */
  index: number;
  /** Consecutive entries folded into this node (same flags, frames contiguous); 1 for tables. */
  count: number;
  level: LevelName;
  /** Linear address the first entry maps (canonical). */
  linear: bigint;
  /** Bytes of linear address space one entry maps. */
  span: number;
  entryAddress: number;
  value: bigint;
  flags: EntryFlags;
  /** Maps a page (true) or points at a table (false). */
  leaf: boolean;
  /** For non-leaf entries: pass to children() with the next level. */
  child: { tableAddress: number; level: LevelName; linearBase: bigint } | null;
}

/** The top table of the paging mode: its address and entry level name (null with paging off). */
export function rootTable(state: PagingRegs): { tableAddress: number; level: LevelName; linearBase: bigint } | null {
  const mode = pagingModeOf(state);
  if (mode === MODE_NONE) return null;
  if (mode === MODE_32) return { tableAddress: (state.cr3Lo & 0xfffff000) >>> 0, level: 'PDE', linearBase: 0n };
  if (mode === MODE_PAE) return { tableAddress: (state.cr3Lo & 0xffffffe0) >>> 0, level: 'PDPTE', linearBase: 0n };
  const base = ((state.cr3Lo & 0xfffff000) >>> 0) + (state.cr3Hi & 0xfffff) * 0x1_0000_0000;
  return { tableAddress: base, level: mode === MODE_5LEVEL ? 'PML5E' : 'PML4E', linearBase: 0n };
}

/** Entries per table, entry size and linear bits per entry for a level in a mode. */
function geometry(mode: number, level: number): { entries: number; size: number; shift: number } {
  if (mode === MODE_32) return { entries: 1024, size: 4, shift: level === 2 ? 22 : 12 };
  if (mode === MODE_PAE && level === 3) return { entries: 4, size: 8, shift: 30 };
  return { entries: 512, size: 8, shift: 12 + 9 * (level - 1) };
}

/** Upper bound on the nodes one children() call returns (a table has at most 1024 entries). */
const MAX_NODES = 1024;

/**
 * The present entries of one table (the lazy tree reader): reads exactly that table and nothing else, so
 * a self-referencing entry (a PML4E pointing at its own PML4) just yields a child that can be expanded
 * again, never a loop. Leaf entries with equal flags and contiguous frames fold into one node.
 */
export function children(mem: PhysicalMemory, state: PagingRegs, tableAddress: number, level: LevelName, linearBase: bigint): TableNode[] {
  const mode = pagingModeOf(state);
  const lv = LEVEL_NAMES.indexOf(level);
  if (mode === MODE_NONE || lv < 1 || (mode === MODE_32 && lv > 2) || (mode === MODE_PAE && lv > 3) || (mode === MODE_4LEVEL && lv > 4)) return [];
  const pse = (state.cr4 & CR4_PSE) !== 0;
  const nxe = (state.efer & EFER_NXE) !== 0;
  const { entries, size, shift } = geometry(mode, lv);
  const bits = mode === MODE_5LEVEL ? 57 : mode === MODE_4LEVEL ? 48 : 32;
  const nodes: TableNode[] = [];
  let prev: TableNode | null = null;
  for (let k = 0; k < entries && nodes.length < MAX_NODES; k++) {
    const addr = tableAddress + k * size;
    const lo = mem.read32(addr);
    const hi = size === 8 ? mem.read32(addr + 4) : 0;
    if ((lo & E_P) === 0) { prev = null; continue; }
    const flags = decode(mode, lv, lo, hi, pse, nxe);
    const leaf = isLeaf(mode, lv, lo, pse);
    const span = 2 ** shift;
    if (prev !== null && leaf && prev.leaf && prev.index + prev.count === k && sameFlags(prev.flags, flags)
      && flags.frame === prev.flags.frame + prev.count * span) {
      prev.count++;
      continue;
    }
    const lin = BigInt.asIntN(bits, linearBase + (BigInt(k) << BigInt(shift)));
    const node: TableNode = {
      index: k, count: 1, level, linear: BigInt.asUintN(64, lin), span, entryAddress: addr,
      value: size === 8 ? toBig(lo, hi) : BigInt(lo >>> 0), flags, leaf,
      child: leaf ? null : { tableAddress: flags.frame, level: levelName(lv - 1), linearBase: lin },
    };
    nodes.push(node);
    prev = leaf ? node : null;
  }
  return nodes;
}

function sameFlags(a: EntryFlags, b: EntryFlags): boolean {
  return a.writable === b.writable && a.user === b.user && a.writeThrough === b.writeThrough && a.cacheDisable === b.cacheDisable
    && a.accessed === b.accessed && a.dirty === b.dirty && a.global === b.global && a.noExecute === b.noExecute
    && a.protectionKey === b.protectionKey && a.reserved === b.reserved && a.pageSize === b.pageSize;
}
