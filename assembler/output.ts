// output.ts: the results of an assembly: sections with bytes and load addresses, symbols with values,
// the address ↔ file:line table, and a flat binary image.
import { evaluate } from './expr';
import { Unit, Section } from './layout';

export interface SectionOut {
  name: string;
  /** Load address of the first byte. */
  address: number;
  size: number;
  /** The bytes (empty for nobits sections such as .bss). */
  data: Uint8Array;
  nobits: boolean;
  code: boolean;
  /** Alignment the section asks for (its largest .align), for an object file's sh_addralign. */
  align?: number;
}

export interface SymbolOut {
  name: string;
  value: number;
  /** Section a label lies in; null for absolute symbols (equates of numbers). */
  section: string | null;
  global: boolean;
  weak: boolean;
  hidden: boolean;
  type: string;
  size: number | null;
  file: string;
  line: number;
}

export interface LineEntry {
  address: number;
  size: number;
  file: string;
  line: number;
  /** An instruction (as opposed to data or padding). */
  insn: boolean;
}

export function sectionsOut(u: Unit, bytes: Map<Section, Uint8Array>): SectionOut[] {
  return u.sections.filter((s) => s.size > 0 || s.items.length > 0 || s.name === '.text').map((s) => ({
    name: s.name, address: s.address, size: s.size, data: bytes.get(s) ?? new Uint8Array(0), nobits: s.nobits, code: s.code, align: s.align,
  }));
}

export function symbolsOut(u: Unit): SymbolOut[] {
  const out: SymbolOut[] = [];
  for (const s of u.symbols.values()) {
    if (s.kind === 'undef' || s.name.includes('\u0002')) continue;
    let value = 0;
    let section: string | null = null;
    let size: number | null = null;
    try {
      if (s.kind === 'label') {
        const sec = s.section as Section;
        value = sec.address + (s.item < sec.items.length ? sec.items[s.item].addr : sec.size);
        section = sec.name;
      } else if (s.pval && s.pval.base === null) {
        // Known when defined: a symbol set again and again (`.set i, i+1` in a .rept) keeps its last value.
        value = Number(s.pval.v);
      } else {
        const v = evaluate(s.expr ?? { k: 'num', v: 0n }, u.finalEnv(s.section as Section, s.item, false));
        value = v ? Number(v.v) : 0;
        section = u.targetSection(s.expr ?? { k: 'num', v: 0n }).section?.name ?? null;
      }
      if (s.sizeExpr) {
        const v = evaluate(s.sizeExpr, u.finalEnv(u.current, u.current.items.length, false));
        size = v ? Number(v.v) : null;
      }
    } catch (_) {
      // A value that cannot be computed was already reported where it is used.
    }
    out.push({ name: s.name, value, section, global: s.global, weak: s.weak, hidden: s.hidden, type: s.type, size, file: s.file, line: s.line });
  }
  return out;
}

export function linesOut(u: Unit): LineEntry[] {
  const out: LineEntry[] = [];
  for (const s of u.sections) {
    for (const it of s.items) {
      if (it.size === 0 || s.nobits) continue;
      out.push({ address: s.address + it.addr, size: it.size, file: it.file, line: it.line, insn: it.k === 'branch' || it.k === 'code' && it.insn });
    }
  }
  return out.sort((a, b) => a.address - b.address);
}

/**
 * A flat binary image: every section with contents at (its address − base), gaps zero-filled.
 * base defaults to the lowest section address.
 */
export function flatBinary(sections: readonly SectionOut[], base?: number): Uint8Array {
  const loaded = sections.filter((s) => !s.nobits && s.size > 0);
  if (loaded.length === 0) return new Uint8Array(0);
  const lo = base ?? Math.min(...loaded.map((s) => s.address));
  const hi = Math.max(...loaded.map((s) => s.address + s.size));
  const out = new Uint8Array(Math.max(0, hi - lo));
  for (const s of loaded) if (s.address >= lo) out.set(s.data, s.address - lo);
  return out;
}
