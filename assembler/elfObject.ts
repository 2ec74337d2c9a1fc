// elfObject.ts: an ELF64 relocatable object (ET_REL, x86-64) of an assembly made with `relocatable: true`,
// laid out as GNU as lays one out: the sections at offset 0 each, a .rela section per section with
// relocations, a .symtab with the section symbols, the local labels (not .L ones), then the globals
// and the undefined symbols the relocations name (System V gABI "Object Files"; x86-64 psABI §4.4).
import type { SectionOut, SymbolOut } from './output';
import type { RelocOut } from './relocate';

const SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_RELA = 4, SHT_NOBITS = 8;
const SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4, SHF_INFO_LINK = 0x40;
const SHN_ABS = 0xfff1;
const STT_SECTION = 3;
const STT: Record<string, number> = { object: 1, function: 2, func: 2, section: 3, file: 4, tls: 6, gnu_indirect_function: 10 };
const STV_HIDDEN = 2;

export interface ObjectInput {
  sections: readonly SectionOut[];
  symbols: readonly SymbolOut[];
  relocations: readonly RelocOut[];
  /** Symbols declared .globl but never defined (GAS lists them as undefined globals too). */
  undefinedGlobals?: readonly string[];
}

class Out {
  bytes: number[] = [];
  u8(v: number): void { this.bytes.push(v & 0xff); }
  u16(v: number): void { this.u8(v); this.u8(v >>> 8); }
  u32(v: number): void { this.u16(v & 0xffff); this.u16(v >>> 16); }
  /** A 64-bit field from a safe integer (negative: two's complement, for addends). */
  u64(v: number): void {
    const b = BigInt.asUintN(64, BigInt(v));
    this.u32(Number(b & 0xffffffffn)); this.u32(Number(b >> 32n));
  }
  align(a: number): void { while (this.bytes.length % a) this.u8(0); }
}

class StrTab {
  bytes: number[] = [0];
  private seen = new Map<string, number>();
  add(s: string): number {
    if (s === '') return 0;
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    const off = this.bytes.length;
    for (const ch of new TextEncoder().encode(s)) this.bytes.push(ch);
    this.bytes.push(0);
    this.seen.set(s, off);
    return off;
  }
}

function sectionFlags(s: SectionOut): number {
  if (s.code) return SHF_ALLOC | SHF_EXECINSTR;
  if (s.name === '.rodata' || s.name.startsWith('.rodata.')) return SHF_ALLOC; // GAS: read-only data, "a"
  return SHF_ALLOC | SHF_WRITE;
}

/** The bytes of the .o file. */
export function elfObject(input: ObjectInput): Uint8Array {
  // GAS always has .text, .data and .bss, even empty, and in that order before the others.
  const secs: SectionOut[] = ['.text', '.data', '.bss'].map((name) => input.sections.find((s) => s.name === name) ??
    { name, address: 0, size: 0, data: new Uint8Array(0), nobits: name === '.bss', code: name === '.text' });
  secs.push(...input.sections.filter((s) => !secs.includes(s)));
  const secIndex = new Map<string, number>();
  secs.forEach((s, k) => secIndex.set(s.name, k + 1));
  const base = new Map(secs.map((s) => [s.name, s.address]));

  // Symbols: null, one STT_SECTION per section, the locals, then globals (gABI: sh_info = first global).
  const strtab = new StrTab();
  const sym = new Out();
  const symIndex = new Map<string, number>();
  const sectionSymIndex = new Map<string, number>();
  let count = 0;
  const put = (name: string, value: number, size: number, info: number, other: number, shndx: number): number => {
    sym.u32(strtab.add(name)); sym.u8(info); sym.u8(other); sym.u16(shndx); sym.u64(value); sym.u64(size);
    return count++;
  };
  put('', 0, 0, 0, 0, 0);
  for (const s of secs) sectionSymIndex.set(s.name, put('', 0, 0, STT_SECTION, 0, secIndex.get(s.name) ?? 0));
  const emitted = input.symbols.filter((s) => !s.name.startsWith('.L'));
  const symbolEntry = (s: SymbolOut, bind: number): void => {
    const shndx = s.section === null ? SHN_ABS : secIndex.get(s.section) ?? SHN_ABS;
    const value = s.section === null ? s.value : s.value - (base.get(s.section) ?? 0);
    symIndex.set(s.name, put(s.name, value, s.size ?? 0, (bind << 4) | (STT[s.type] ?? 0), s.hidden ? STV_HIDDEN : 0, shndx));
  };
  for (const s of emitted) if (!s.global && !s.weak) symbolEntry(s, 0);
  const firstGlobal = count;
  for (const s of emitted) if (s.global || s.weak) symbolEntry(s, s.weak ? 2 : 1);
  const undefinedNames = [...input.relocations.filter((r) => !r.sectionSymbol && r.symbol !== '').map((r) => r.symbol), ...(input.undefinedGlobals ?? [])];
  for (const name of undefinedNames) {
    if (!symIndex.has(name)) symIndex.set(name, put(name, 0, 0, 1 << 4, 0, 0));
  }

  // Relocations, one .rela section per section that has any.
  const relaSecs = secs.filter((s) => input.relocations.some((r) => r.section === s.name)).map((s) => {
    const out = new Out();
    for (const r of input.relocations.filter((x) => x.section === s.name)) {
      const index = r.sectionSymbol ? sectionSymIndex.get(r.symbol) ?? 0 : r.symbol === '' ? 0 : symIndex.get(r.symbol) ?? 0;
      out.u64(r.offset);
      out.u64(index * 2 ** 32 + r.type); // r_info = ELF64_R_INFO(sym, type)
      out.u64(r.addend);
    }
    return { target: s, bytes: out.bytes };
  });

  const shstr = new StrTab();
  const file = new Out();
  file.bytes.length = 64; file.bytes.fill(0);
  const headers: number[][] = [];
  const header = (name: string, type: number, flags: number, offset: number, size: number, link: number, info: number, align: number, entsize: number): void => {
    const h = new Out();
    h.u32(shstr.add(name)); h.u32(type); h.u64(flags); h.u64(0); h.u64(offset); h.u64(size);
    h.u32(link); h.u32(info); h.u64(align); h.u64(entsize);
    headers.push(h.bytes);
  };
  header('', 0, 0, 0, 0, 0, 0, 0, 0);
  for (const s of secs) {
    file.align(16);
    const offset = file.bytes.length;
    if (!s.nobits) file.bytes.push(...s.data);
    header(s.name, s.nobits ? SHT_NOBITS : SHT_PROGBITS, sectionFlags(s), offset, s.size, 0, 0, s.align ?? 1, 0);
  }
  const symtabIndex = secs.length + relaSecs.length + 1;
  for (const r of relaSecs) {
    file.align(8);
    const offset = file.bytes.length;
    file.bytes.push(...r.bytes);
    header(`.rela${r.target.name}`, SHT_RELA, SHF_INFO_LINK, offset, r.bytes.length, symtabIndex, secIndex.get(r.target.name) ?? 0, 8, 24);
  }
  file.align(8);
  const symOff = file.bytes.length;
  file.bytes.push(...sym.bytes);
  header('.symtab', SHT_SYMTAB, 0, symOff, sym.bytes.length, symtabIndex + 1, firstGlobal, 8, 24);
  const strOff = file.bytes.length;
  file.bytes.push(...strtab.bytes);
  header('.strtab', SHT_STRTAB, 0, strOff, strtab.bytes.length, 0, 0, 1, 0);
  shstr.add('.shstrtab');
  const shstrOff = file.bytes.length;
  file.bytes.push(...shstr.bytes);
  header('.shstrtab', SHT_STRTAB, 0, shstrOff, shstr.bytes.length, 0, 0, 1, 0);
  file.align(8);
  const shoff = file.bytes.length;
  for (const h of headers) file.bytes.push(...h);

  // ELF header: ELFCLASS64, little-endian, ET_REL, EM_X86_64 (GAS's default target).
  const eh = new Out();
  eh.bytes.push(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  eh.u16(1); eh.u16(62); eh.u32(1);
  eh.u64(0); eh.u64(0); eh.u64(shoff);
  eh.u32(0); eh.u16(64); eh.u16(0); eh.u16(0); eh.u16(64); eh.u16(headers.length); eh.u16(headers.length - 1);
  file.bytes.splice(0, 64, ...eh.bytes);
  return Uint8Array.from(file.bytes);
}
