// symbols.ts: the program's names and source lines as the debugger uses them — label ↔ address,
// address → label+offset, file:line ↔ addresses — including code that runs from a copy: a copy range
// (declared in the program's `.trampoline.copies` section or the `copies` launch attribute) says that the
// bytes assembled at [start, end) execute at `runtime`, so a label inside it has two addresses, and an
// address inside the copy names the label and the source line of the original.

import { normPath } from '../assembler/analysis';
import type { CopyRange } from '../assembler/program';

export type { CopyRange };

export interface NamedValue {
  name: string;
  value: number;
}

export interface LineRow {
  address: number;
  /** 0: until the next row. */
  size: number;
  file: string;
  line: number;
}

export interface SourceLocation {
  file: string;
  line: number;
}

/** A symbol found for an address: `name+0x10`, and whether the address lies in a copy. */
export interface Symbolized {
  name: string;
  offset: number;
  copy: boolean;
}

export class SymbolTable {
  private readonly byName = new Map<string, number>();
  /** Labels sorted by address. */
  private readonly sorted: NamedValue[];
  /** Constants (`.equ`, `#define` with a numeric value): evaluated, never symbolised. */
  private readonly constants = new Map<string, number>();

  constructor(labels: NamedValue[], readonly copies: CopyRange[] = [], constants: NamedValue[] = []) {
    for (const s of labels) if (!this.byName.has(s.name)) this.byName.set(s.name, s.value);
    this.sorted = [...labels].filter((s) => !s.name.startsWith('.L')).sort((a, b) => a.value - b.value || a.name.localeCompare(b.name));
    for (const c of constants) this.constants.set(c.name, c.value);
  }

  /** The program's #defines (name → replacement text), evaluated on demand through `resolveDefine`. */
  readonly defines = new Map<string, string>();
  /** Evaluates a #define's text (set by whoever owns an evaluator); undefined when it is no number. */
  resolveDefine: ((text: string) => number | undefined) | null = null;
  private resolving = 0;

  /** A label's assembled address, a constant's value, or a numeric #define's value. */
  value(name: string): number | undefined {
    const v = this.byName.get(name) ?? this.constants.get(name);
    if (v !== undefined) return v;
    const text = this.defines.get(name);
    if (text === undefined || this.resolveDefine === null || this.resolving > 16) return undefined;
    this.resolving++;
    try {
      return this.resolveDefine(text);
    } finally {
      this.resolving--;
    }
  }

  isLabel(name: string): boolean {
    return this.byName.has(name);
  }

  get labels(): readonly NamedValue[] {
    return this.sorted;
  }

  get constantNames(): string[] {
    return [...this.constants.keys(), ...this.defines.keys()];
  }

  /** Every address a label's code executes at: where it was assembled, and its copies. */
  runtimeAddresses(address: number): number[] {
    const out = [address];
    for (const c of this.copies) if (address >= c.start && address < c.end) out.push(c.runtime + (address - c.start));
    return out;
  }

  /** The assembled address behind a runtime address inside a copy (or the address itself). */
  original(address: number): { address: number; copy: boolean } {
    for (const c of this.copies) {
      if (address >= c.runtime && address < c.runtime + (c.end - c.start)) return { address: c.start + (address - c.runtime), copy: true };
    }
    return { address, copy: false };
  }

  /** The nearest label at or below `address` (through copies), within `maxOffset` bytes. */
  symbolize(address: number, maxOffset = 0x100000): Symbolized | null {
    const { address: a, copy } = this.original(address);
    const list = this.sorted;
    let lo = 0, hi = list.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].value <= a) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0 || a - list[best].value > maxOffset) return null;
    // Several labels at one address: the last-defined-first order of sorted keeps the alphabetical first;
    // prefer a label that is not a local numeric one.
    return { name: list[best].name, offset: a - list[best].value, copy };
  }

  /** `name+0x10` (or the hex address when nothing is near). */
  format(address: number): string {
    const s = this.symbolize(address);
    return s === null ? hexAddress(address) : s.offset === 0 ? s.name : `${s.name}+0x${s.offset.toString(16)}`;
  }
}

export class LineTable {
  /** Rows sorted by address. */
  private readonly rows: LineRow[];
  /** file → line → addresses of the rows (assembled addresses). */
  private readonly byLine = new Map<string, Map<number, number[]>>();

  constructor(rows: LineRow[], private readonly symbols: SymbolTable) {
    this.rows = [...rows].sort((a, b) => a.address - b.address);
    for (const r of this.rows) {
      let lines = this.byLine.get(r.file);
      if (lines === undefined) this.byLine.set(r.file, lines = new Map());
      const list = lines.get(r.line);
      if (list === undefined) lines.set(r.line, [r.address]); else list.push(r.address);
    }
  }

  get files(): string[] {
    return [...this.byLine.keys()];
  }

  get isEmpty(): boolean {
    return this.rows.length === 0;
  }

  /** The source line of the instruction at a runtime address (through copies). */
  locate(address: number): SourceLocation | null {
    const a = this.symbols.original(address).address;
    const rows = this.rows;
    let lo = 0, hi = rows.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].address <= a) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0) return null;
    const r = rows[best];
    // An address past the row's bytes belongs to no line (data, padding), unless the size is unknown
    // (DWARF rows): then it is the row's up to the next row.
    if (r.size > 0 ? a >= r.address + r.size : best + 1 < rows.length && a >= rows[best + 1].address) return null;
    return { file: r.file, line: r.line };
  }

  /** The instruction's row starts exactly here (a line's first instruction or a later one of it). */
  startsRow(address: number): boolean {
    const a = this.symbols.original(address).address;
    const rows = this.rows;
    let lo = 0, hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].address === a) return true;
      if (rows[mid].address < a) lo = mid + 1; else hi = mid - 1;
    }
    return false;
  }

  /**
   * Where a breakpoint on `file:line` goes: the line itself if it has code, else the next line with code
   * in the same file (within 50 lines). Returns the line used and its assembled addresses.
   */
  resolve(file: string, line: number): { line: number; addresses: number[] } | null {
    const lines = this.lookupFile(file);
    if (lines === undefined) return null;
    for (let l = line; l < line + 50; l++) {
      const a = lines.get(l);
      if (a !== undefined) return { line: l, addresses: [...a] };
    }
    return null;
  }

  /** Lines of a file that have code (for goto targets and breakpoint locations). */
  linesOf(file: string): number[] {
    const lines = this.lookupFile(file);
    return lines === undefined ? [] : [...lines.keys()].sort((a, b) => a - b);
  }

  /** The rows' file names as given by the producer; matched against a client path by suffix. */
  private lookupFile(file: string): Map<number, number[]> | undefined {
    const exact = this.byLine.get(file);
    if (exact !== undefined) return exact;
    const norm = normalizePath(file);
    for (const [f, lines] of this.byLine) {
      const n = normalizePath(f);
      if (n === norm || norm.endsWith('/' + n) || n.endsWith('/' + norm)) return lines;
    }
    return undefined;
  }
}

/** A path with '/' separators, `.` and `..` resolved textually (the assembler's normPath). */
export function normalizePath(p: string): string {
  return normPath(p.replace(/\\/g, '/'));
}

/** 0x-prefixed lowercase hex of an address (up to 2^53). */
export function hexAddress(address: number): string {
  return '0x' + address.toString(16);
}
