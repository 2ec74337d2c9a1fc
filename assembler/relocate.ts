// relocate.ts: for a relocatable object (ET_REL), what each value field becomes: a number now, or a
// relocation the linker resolves (x86-64 psABI §4.4 "Relocation"), decided as GAS 2.40 decides it:
// - a reference to a local label is made against its section's symbol plus the label's offset (write.c
//   adjust_reloc_syms), to a global, weak or undefined symbol against that symbol;
// - a PC-relative field whose target is a local label of its own section is resolved, as is a relaxable
//   jump to a global of that section (elf_symbol_resolved_in_segment_p); a call or RIP-relative reference
//   to a global keeps its relocation (the symbol may be preempted);
// - `sym - .` is PC-relative (R_X86_64_PC32/PC64);
// - a jump or call against a symbol is R_X86_64_PLT32, against a section symbol R_X86_64_PC32.
import { AsmError } from './errors';
import { EvalEnv, Expr, Val, evaluate, hasDot, symbolsOf } from './expr';
import type { Field } from './encode';
import type { Section, Unit } from './layout';

export interface RelocOut {
  /** Section the relocation applies to, and the offset of the field in it. */
  section: string;
  offset: number;
  /** R_X86_64_* type number (psABI Table 4.9). */
  type: number;
  /** The symbol: a section's name when `sectionSymbol`, else a symbol's. */
  symbol: string;
  sectionSymbol: boolean;
  addend: number;
}

export const R_X86_64 = { R64: 1, PC32: 2, PLT32: 4, R32: 10, R32S: 11, R16: 12, PC16: 13, R8: 14, PC8: 15, PC64: 24 } as const;

/** Names of the types, as readelf prints them. */
export const R_X86_64_NAMES: Record<number, string> = {
  1: 'R_X86_64_64', 2: 'R_X86_64_PC32', 4: 'R_X86_64_PLT32', 10: 'R_X86_64_32', 11: 'R_X86_64_32S',
  12: 'R_X86_64_16', 13: 'R_X86_64_PC16', 14: 'R_X86_64_8', 15: 'R_X86_64_PC8', 24: 'R_X86_64_PC64',
};

const SEC = 'S\u0001', UND = 'U\u0001';

/** Evaluation environment of an object file: a label is its section plus an offset, an undefined symbol itself. */
function objectEnv(u: Unit, sec: Section, itemIndex: number, dotOffset: number): EvalEnv {
  const offsetOf = (s: Section, k: number) => BigInt(k < s.items.length ? s.items[k].addr : s.size);
  const env: EvalEnv = {
    lookup: (name, col) => {
      const s = u.symbols.get(name);
      if (!s || s.kind === 'undef') return { v: 0n, base: UND + name };
      if (s.kind === 'label') return { v: offsetOf(s.section as Section, s.item), base: SEC + (s.section as Section).name };
      if (s.busy) throw new AsmError(`symbol definition loop encountered at '${name}'`, col);
      s.busy = true;
      try {
        return evaluate(s.expr as Expr, objectEnv(u, s.section as Section, s.item, 0));
      } finally {
        s.busy = false;
      }
    },
    dot: () => ({ v: offsetOf(sec, itemIndex) + BigInt(dotOffset), base: SEC + sec.name }),
  };
  return env;
}

/** A global or weak label of `section` named in the expression: GAS keeps the relocation against it. */
function globalIn(u: Unit, e: Expr, section: string): { name: string; offset: bigint; weak: boolean } | null {
  for (const n of symbolsOf(e)) {
    const s = u.symbols.get(n);
    if (s && s.kind === 'label' && (s.global || s.weak) && (s.section as Section).name === section) {
      const sec = s.section as Section;
      return { name: n, offset: BigInt(s.item < sec.items.length ? sec.items[s.item].addr : sec.size), weak: s.weak };
    }
  }
  return null;
}

function typeOf(size: number, pc: boolean, f: Field, sectionSymbol: boolean): number {
  if (pc) {
    if (size === 4) return f.branch && !sectionSymbol ? R_X86_64.PLT32 : R_X86_64.PC32;
    if (size === 8) return R_X86_64.PC64;
    if (size === 2) return R_X86_64.PC16;
    return R_X86_64.PC8;
  }
  if (size === 8) return R_X86_64.R64;
  if (size === 4) return f.sext ? R_X86_64.R32S : R_X86_64.R32;
  if (size === 2) return R_X86_64.R16;
  return R_X86_64.R8;
}

/**
 * The value to write in field f of the item at index k of section s (whose encoding is `length` bytes,
 * at section offset `at`), or the relocation to record (then the field holds 0, as GAS writes RELA fields).
 * `relaxable`: the field is a relaxable jump's, resolved against a global of its own section.
 */
export function fieldValue(u: Unit, s: Section, k: number, at: number, length: number, f: Field, relaxable: boolean): { value: bigint } | { reloc: RelocOut } {
  const dotOffset = f.dotHere ? f.offset : 0;
  const env = objectEnv(u, s, k, dotOffset);
  const here = BigInt(at + length); // PC-relative fields count from the end of the instruction
  let val: Val | null = evaluate(f.expr, env);
  let pc = f.pcrel;
  let bias = 0n;
  if (val === null && !f.pcrel && hasDot(f.expr)) {
    // `sym - .`: with `.` as a plain number the value is sym + (c - .), relative to the field: R_X86_64_PC*.
    const dotOff = env.dot()?.v ?? 0n;
    val = evaluate(f.expr, { lookup: env.lookup, dot: () => ({ v: dotOff, base: null }) });
    if (val && val.base !== null) {
      pc = true;
      bias = BigInt(at + f.offset);
    } else val = null;
  }
  if (val === null) throw new AsmError(`can't resolve the expression: it is not a symbol plus a constant`);
  const pos = BigInt(at + f.offset);
  if (val.base === null) {
    if (!f.pcrel) return { value: val.v };
    // `call 0x1000`: the target is an address, where this section lands is not known (no symbol, *ABS*).
    return { reloc: { section: s.name, offset: Number(pos), type: typeOf(f.size, true, f, true), symbol: '', sectionSymbol: false,
      addend: Number(val.v - (here - pos)) } };
  }
  const toEnd = pc && f.pcrel ? here - pos : 0n; // rel fields: the CPU adds the next instruction's address
  if (val.base.startsWith(SEC)) {
    const section = val.base.slice(SEC.length);
    const g = globalIn(u, f.expr, section);
    if (f.pcrel && section === s.name && (!g || relaxable && !g.weak)) return { value: val.v - here };
    if (g) {
      return { reloc: { section: s.name, offset: Number(pos), type: typeOf(f.size, pc, f, false), symbol: g.name, sectionSymbol: false,
        addend: Number(val.v - g.offset - toEnd + bias) } };
    }
    return { reloc: { section: s.name, offset: Number(pos), type: typeOf(f.size, pc, f, true), symbol: section, sectionSymbol: true,
      addend: Number(val.v - toEnd + bias) } };
  }
  const name = val.base.slice(UND.length);
  return { reloc: { section: s.name, offset: Number(pos), type: typeOf(f.size, pc, f, false), symbol: name, sectionSymbol: false,
    addend: Number(val.v - toEnd + bias) } };
}
