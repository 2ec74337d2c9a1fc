// layout.ts: sections and their items, symbols, and the layout loop: addresses are assigned, branches
// relaxed from short to near until nothing changes (as GAS's relax_segment does), then bytes emitted.
import { AsmError, Diagnostics } from './errors';
import { EvalEnv, Expr, Val, evaluate, hasDot, symbolsOf } from './expr';
import { Encoded, le } from './encode';
import { Mode } from './select';
import { RelocOut, fieldValue } from './relocate';

interface ItemBase {
  file: string;
  line: number;
  col: number;
  addr: number;
  size: number;
}

export type Item = ItemBase & (
  | { k: 'code'; enc: Encoded; insn: boolean }
  | { k: 'branch'; short: Encoded; long: Encoded; target: Expr; isLong: boolean }
  | { k: 'align'; boundary: number; fill: number | null; fillSize: number; max: number }
  | { k: 'org'; target: Expr; fill: number }
  | { k: 'space'; count: Expr; fill: number }
);

export interface Section {
  name: string;
  items: Item[];
  /** Contains code: alignment pads with NOPs (GAS: SEC_CODE). */
  code: boolean;
  /** Occupies no file space (.bss, @nobits). */
  nobits: boolean;
  align: number;
  address: number;
  size: number;
  /** Parse-time fragment number and offset in it (constant label differences: GAS's frags). */
  frag: number;
  fragOff: number;
}

export interface Sym {
  name: string;
  kind: 'label' | 'equ' | 'undef';
  section: Section | null;
  /** For labels: index of the item the label precedes. For equates: where `.` was. */
  item: number;
  expr: Expr | null;
  /** Parse-time value (labels: fragment-relative; equates: when known at definition). */
  pval: Val | null;
  global: boolean;
  weak: boolean;
  local: boolean;
  hidden: boolean;
  type: string;
  sizeExpr: Expr | null;
  file: string;
  line: number;
  col: number;
  /** Set while an equate is being evaluated, to catch `a = b` / `b = a` loops. */
  busy: boolean;
}

/** Largest section emitted (16 MiB): far above any boot image, and it bounds time and memory. */
export const MAX_SECTION_SIZE = 1 << 24;

export class Unit {
  readonly sections: Section[] = [];
  readonly symbols = new Map<string, Sym>();
  current!: Section;
  mode: Mode = 64;
  /** Set for a relocatable object: emit() records relocations here instead of needing every symbol. */
  relocs: RelocOut[] | null = null;
  constructor(readonly diags: Diagnostics, readonly origin: number) {}

  section(name: string, code?: boolean, nobits?: boolean): Section {
    let s = this.sections.find((x) => x.name === name);
    if (!s) {
      s = { name, items: [], code: code ?? (name === '.text' || name.startsWith('.text.') || name.startsWith('.init')),
        nobits: nobits ?? (name === '.bss' || name.startsWith('.bss.')), align: 1, address: 0, size: 0, frag: 0, fragOff: 0 };
      this.sections.push(s);
    }
    return s;
  }

  symbol(name: string): Sym {
    let s = this.symbols.get(name);
    if (!s) {
      s = { name, kind: 'undef', section: null, item: 0, expr: null, pval: null, global: false, weak: false, local: false,
        hidden: false, type: '', sizeExpr: null, file: '', line: 0, col: 0, busy: false };
      this.symbols.set(name, s);
    }
    return s;
  }

  /** Appends an item to the current section; variable-size items end the parse-time fragment. */
  add(item: Item, fixedSize: number | null): void {
    const s = this.current;
    s.items.push(item);
    if (fixedSize === null) { s.frag++; s.fragOff = 0; } else s.fragOff += fixedSize;
  }

  /** Environment for parse-time evaluation: labels relative to their fragment, `.` likewise. */
  parseEnv(): EvalEnv {
    return {
      lookup: (name) => {
        const s = this.symbols.get(name);
        if (!s) return null;
        if (s.kind === 'label' || s.kind === 'equ') return s.pval;
        return null;
      },
      dot: () => ({ v: BigInt(this.current.fragOff), base: `${this.current.name}#${this.current.frag}` }),
    };
  }

  /** Environment for final evaluation: every label is an absolute address; undefined symbols throw. */
  finalEnv(sec: Section, itemIndex: number, strict = true, dotOffset = 0): EvalEnv {
    const dotAddr = (s: Section, k: number) => BigInt(s.address + (k < s.items.length ? s.items[k].addr : s.size));
    const env: EvalEnv = {
      lookup: (name, col) => {
        const s = this.symbols.get(name);
        if (!s || s.kind === 'undef') {
          if (strict) throw new AsmError(`undefined symbol '${name}'`, col);
          return null;
        }
        if (s.kind === 'label') return { v: dotAddr(s.section as Section, s.item), base: null };
        if (s.busy) throw new AsmError(`symbol definition loop encountered at '${name}'`, col);
        s.busy = true;
        try {
          return evaluate(s.expr as Expr, this.finalEnv(s.section as Section, s.item, strict));
        } finally {
          s.busy = false;
        }
      },
      dot: () => ({ v: dotAddr(sec, itemIndex) + BigInt(dotOffset), base: null }),
    };
    return env;
  }

  /** The section a branch target lies in (by its labels), for deciding whether it can be relaxed. */
  targetSection(e: Expr, here: Section | null = null): { section: Section | null; external: boolean } {
    let section: Section | null = hasDot(e) ? here : null;
    let external = false;
    for (const n of symbolsOf(e)) {
      const s = this.symbols.get(n);
      if (!s) continue;
      if (s.weak) external = true; // may be overridden at link time: GAS keeps a relocation (not relaxed)
      if (s.kind === 'label') section = s.section;
      else if (s.kind === 'equ' && s.expr) {
        const inner = this.targetSection(s.expr);
        section = inner.section ?? section;
        external ||= inner.external;
      }
    }
    return { section, external };
  }

  /** The item index of the label a branch target names when it lies after item k of section s (its address is a pass old), else -1. */
  private forwardTarget(e: Expr, s: Section, k: number): number {
    for (const n of symbolsOf(e)) {
      const sym = this.symbols.get(n);
      if (sym !== undefined && sym.kind === 'label' && sym.section === s && sym.item > k) return sym.item;
    }
    return -1;
  }

  /** Assigns addresses, relaxing branches until stable. */
  layout(): void {
    for (let pass = 0; pass < 1000; pass++) {
      let changed = false;
      let addr = this.origin;
      for (const s of this.sections) {
        addr = alignUp(addr, s.align);
        s.address = addr;
        let off = 0;
        s.items.forEach((it, k) => {
          // How far this item moved since the last pass: labels after it still hold their old addresses, so
          // a forward branch target is that much further on (GAS relax_frag's `stretch`).
          const stretch = off - it.addr;
          it.addr = off;
          // Pass 0 places items (branches short, padding as far as known) so that forward targets have addresses.
          const size = pass === 0 ? this.initialSize(s, k, it) : this.itemSize(s, k, it, stretch);
          if (size !== it.size) changed = true;
          it.size = size;
          off += size;
        });
        s.size = off;
        addr += off;
      }
      if (!changed && pass > 0) return;
    }
  }

  private initialSize(s: Section, k: number, it: Item): number {
    if (it.k === 'code') return it.enc.bytes.length;
    if (it.k === 'branch') return (it.isLong ? it.long : it.short).bytes.length;
    return this.itemSize(s, k, it, 0);
  }

  private itemSize(s: Section, k: number, it: Item, stretch: number): number {
    try {
      switch (it.k) {
        case 'code': return it.enc.bytes.length;
        case 'branch': {
          if (!it.isLong) {
            const t = this.targetSection(it.target, s);
            if (t.section !== s || t.external) it.isLong = true;
            else {
              const v = evaluate(it.target, this.finalEnv(s, k, false));
              // A forward target moves with this item, unless an alignment or .org between them may absorb the
              // growth: then GAS (relax_frag, `region`) leaves the branch as it is until a later pass shows it.
              const ahead = this.forwardTarget(it.target, s, k);
              const sameRegion = ahead < 0 || !s.items.slice(k + 1, ahead).some((x) => x.k === 'align' || x.k === 'org');
              const d = v ? v.v + (ahead >= 0 && (sameRegion || stretch < 0) ? BigInt(stretch) : 0n) - BigInt(s.address + it.addr + it.short.bytes.length) : 0n;
              const keep = ahead >= 0 && !sameRegion && stretch > 0 && d < 0n;
              if (!keep && (d < -128n || d > 127n)) it.isLong = true; // grows only, so the loop ends (GAS relax_frag)
            }
          }
          return (it.isLong ? it.long : it.short).bytes.length;
        }
        case 'align': {
          const pad = (it.boundary - ((s.address + it.addr) % it.boundary)) % it.boundary;
          return it.max > 0 && pad > it.max ? 0 : pad;
        }
        case 'org': {
          const v = evaluate(it.target, this.finalEnv(s, k, false));
          if (!v) return 0;
          const target = Number(v.v) - (it.target.k === 'num' ? 0 : s.address);
          return Math.max(0, target - it.addr);
        }
        case 'space': {
          const v = evaluate(it.count, this.finalEnv(s, k, false));
          return v ? Math.max(0, Number(v.v)) : 0;
        }
      }
    } catch (_) {
      return it.size;
    }
  }

  /** The bytes of every section (empty for nobits ones), reporting value errors at their lines. */
  emit(codeMode: Mode, nops: (count: number, mode: Mode) => number[]): Map<Section, Uint8Array> {
    const out = new Map<Section, Uint8Array>();
    for (const s of this.sections) {
      if (s.size > MAX_SECTION_SIZE) {
        const it = s.items.find((x) => x.size > 0) ?? s.items[0];
        this.diags.error(it?.file ?? '', it?.line ?? 1, it?.col ?? 1, `section ${s.name} is ${s.size} bytes, over this assembler's limit of ${MAX_SECTION_SIZE}`);
        out.set(s, new Uint8Array(0));
        continue;
      }
      const buf = new Uint8Array(s.nobits ? 0 : s.size);
      s.items.forEach((it, k) => {
        try {
          const bytes = this.itemBytes(s, k, it, codeMode, nops);
          if (s.nobits) {
            if (bytes.some((b) => b !== 0)) throw new AsmError(`attempt to initialize memory in a nobits section: ${s.name}`);
            return;
          }
          buf.set(bytes.slice(0, it.size), it.addr);
        } catch (e) {
          this.diags.caught(it.file, it.line, it.col, e);
        }
      });
      out.set(s, buf);
    }
    return out;
  }

  private itemBytes(s: Section, k: number, it: Item, codeMode: Mode, nops: (count: number, mode: Mode) => number[]): number[] {
    switch (it.k) {
      case 'code': return this.fill(s, k, it, it.enc, false);
      case 'branch': return this.fill(s, k, it, it.isLong ? it.long : it.short, true);
      case 'align':
        if (it.fill === null && s.code) return nops(it.size, codeMode);
        return repeat(it.fill ?? 0, it.fillSize, it.size);
      case 'org': {
        const v = evaluate(it.target, this.finalEnv(s, k));
        const target = Number(v?.v ?? 0n) - (it.target.k === 'num' ? 0 : s.address);
        if (target < it.addr) throw new AsmError('attempt to move .org backwards');
        return repeat(it.fill, 1, it.size);
      }
      case 'space': return repeat(it.fill, 1, it.size);
    }
  }

  private fill(s: Section, k: number, it: ItemBase, enc: Encoded, relaxable: boolean): number[] {
    const bytes = [...enc.bytes];
    for (const f of enc.fields) {
      let v: bigint;
      if (this.relocs) {
        const r = fieldValue(this, s, k, it.addr, enc.bytes.length, f, relaxable);
        if ('reloc' in r) {
          this.relocs.push(r.reloc);
          continue; // RELA: the addend is in the relocation, the field stays 0
        }
        v = r.value;
      } else {
        // In data directives `.` is the address of the value being written (GAS emits each in turn).
        const val = evaluate(f.expr, this.finalEnv(s, k, true, f.dotHere ? f.offset : 0));
        if (!val) throw new AsmError('invalid expression: it does not resolve to a number');
        v = val.v;
        if (f.pcrel) v -= BigInt(s.address + it.addr + enc.bytes.length);
      }
      const bits = BigInt(f.size * 8);
      const minS = -(1n << (bits - 1n)), maxS = (1n << (bits - 1n)) - 1n, maxU = (1n << bits) - 1n;
      if (f.size < 8) {
        if (f.check === 'signed' && (v < minS || v > maxS)) {
          throw new AsmError(`value of ${v} too large for field of ${f.size} byte${f.size > 1 ? "s" : ""}`);
        }
        if (f.check === 'either' && (v < minS || v > maxU)) {
          this.diags.warn(it.file, it.line, it.col, `value ${hexs(v)} truncated to ${hexs(BigInt.asUintN(Number(bits), v))}`);
        }
      }
      bytes.splice(f.offset, f.size, ...le(v, f.size));
    }
    return bytes;
  }
}

function hexs(v: bigint): string {
  return v < 0n ? '-0x' + (-v).toString(16) : '0x' + v.toString(16);
}

function repeat(value: number, size: number, total: number): number[] {
  const unit = le(BigInt(value), size);
  const out: number[] = [];
  for (let k = 0; k < total; k++) out.push(unit[k % size]);
  return out;
}

export function alignUp(v: number, a: number): number {
  return a > 1 ? Math.ceil(v / a) * a : v;
}
