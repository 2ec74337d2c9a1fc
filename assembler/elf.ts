// elf.ts: a minimal ELF writer for an assembled program: an ET_EXEC image (ELF64 or ELF32) whose sections
// sit at their load addresses, with one PT_LOAD per section and a .symtab, so `objdump -d` and `nm`
// show our bytes and labels (System V gABI, "Object Files" chapter; no relocations: addresses are final).
import type { SectionOut, SymbolOut } from './output';

export interface ElfOptions {
  /** 64 (x86-64, EM_X86_64) or 32 (i386, EM_386). */
  elfClass?: 64 | 32;
  /** Entry point; default: `_start`, then `start`, then the first section's address. */
  entry?: number;
}

const SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOBITS = 8;
const SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4;
const SHN_ABS = 0xfff1;
const STT: Record<string, number> = { object: 1, function: 2, func: 2, section: 3, file: 4, tls: 6, gnu_indirect_function: 10 };
const PT_LOAD = 1, PF_X = 1, PF_W = 2, PF_R = 4;

class Buf {
  bytes: number[] = [];
  constructor(readonly is64: boolean) {}
  u8(v: number): void { this.bytes.push(v & 0xff); }
  u16(v: number): void { this.u8(v); this.u8(v >>> 8); }
  u32(v: number): void { this.u16(v & 0xffff); this.u16(v >>> 16); }
  u64(v: number): void { this.u32(v >>> 0); this.u32(Math.floor(v / 2 ** 32)); }
  /** A word the size of the class: Elf64_Addr/Off/Xword or Elf32_Addr/Off/Word. */
  word(v: number): void { if (this.is64) this.u64(v); else this.u32(v >>> 0); }
  pad(align: number): void { while (this.bytes.length % align) this.u8(0); }
}

class StrTab {
  bytes: number[] = [0];
  add(s: string): number {
    if (s === '') return 0;
    const off = this.bytes.length;
    for (const ch of new TextEncoder().encode(s)) this.bytes.push(ch);
    this.bytes.push(0);
    return off;
  }
}

/** The ELF file of an assembled program's sections and symbols. */
export function elfImage(sections: readonly SectionOut[], symbols: readonly SymbolOut[], options: ElfOptions = {}): Uint8Array {
  const is64 = (options.elfClass ?? 64) === 64;
  const ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32, shentsize = is64 ? 64 : 40, symsize = is64 ? 24 : 16;
  const secs = sections.filter((s) => s.size > 0 || s.name === '.text');
  const loaded = secs.filter((s) => s.size > 0);
  const shstr = new StrTab(), str = new StrTab();

  // Symbols: locals first, then globals (gABI "Symbol Table": sh_info is the first non-local index).
  const secIndex = (name: string | null): number => { const k = secs.findIndex((s) => s.name === name); return k < 0 ? SHN_ABS : k + 1; };
  const sorted = [...symbols.filter((s) => !s.global && !s.weak), ...symbols.filter((s) => s.global || s.weak)];
  const firstGlobal = 1 + symbols.filter((s) => !s.global && !s.weak).length;
  const sym = new Buf(is64);
  const putSym = (name: number, value: number, size: number, info: number, shndx: number): void => {
    if (is64) { sym.u32(name); sym.u8(info); sym.u8(0); sym.u16(shndx); sym.u64(value); sym.u64(size); }
    else { sym.u32(name); sym.u32(value >>> 0); sym.u32(size); sym.u8(info); sym.u8(0); sym.u16(shndx); }
  };
  putSym(0, 0, 0, 0, 0);
  for (const s of sorted) {
    const bind = s.weak ? 2 : s.global ? 1 : 0;
    putSym(str.add(s.name), s.value, s.size ?? 0, (bind << 4) | (STT[s.type] ?? 0), secIndex(s.section));
  }

  // Layout: header, program headers, section contents, .symtab, .strtab, .shstrtab, section headers.
  const out = new Buf(is64);
  const phoff = ehsize;
  let off = phoff + phentsize * loaded.length;
  const offsets = secs.map((s) => {
    off = Math.ceil(off / 16) * 16;
    const o = off;
    if (!s.nobits) off += s.data.length;
    return o;
  });
  off = Math.ceil(off / 8) * 8;
  const symOff = off; off += sym.bytes.length;
  const strOff = off; off += str.bytes.length;
  const names = secs.map((s) => shstr.add(s.name));
  const nSym = shstr.add('.symtab'), nStr = shstr.add('.strtab'), nShstr = shstr.add('.shstrtab');
  const shstrOff = off; off += shstr.bytes.length;
  const shoff = Math.ceil(off / 8) * 8;
  const shnum = secs.length + 4;

  const entry = options.entry ?? symbols.find((s) => s.name === '_start')?.value ?? symbols.find((s) => s.name === 'start')?.value ?? secs[0]?.address ?? 0;
  // e_ident: magic, class, little-endian, version 1, System V ABI.
  out.bytes.push(0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  out.u16(2); // ET_EXEC
  out.u16(is64 ? 62 : 3);
  out.u32(1);
  out.word(entry);
  out.word(loaded.length ? phoff : 0);
  out.word(shoff);
  out.u32(0);
  out.u16(ehsize); out.u16(phentsize); out.u16(loaded.length); out.u16(shentsize); out.u16(shnum); out.u16(shnum - 1);

  for (const s of loaded) {
    const o = offsets[secs.indexOf(s)];
    const flags = PF_R | (s.code ? PF_X : PF_W);
    const filesz = s.nobits ? 0 : s.data.length;
    if (is64) { out.u32(PT_LOAD); out.u32(flags); out.u64(o); out.u64(s.address); out.u64(s.address); out.u64(filesz); out.u64(s.size); out.u64(1); }
    else { out.u32(PT_LOAD); out.u32(o); out.u32(s.address); out.u32(s.address); out.u32(filesz); out.u32(s.size); out.u32(flags); out.u32(1); }
  }
  secs.forEach((s, k) => {
    while (out.bytes.length < offsets[k]) out.u8(0);
    if (!s.nobits) for (const b of s.data) out.bytes.push(b);
  });
  while (out.bytes.length < symOff) out.u8(0);
  out.bytes.push(...sym.bytes, ...str.bytes, ...shstr.bytes);
  while (out.bytes.length < shoff) out.u8(0);

  const sh = (name: number, type: number, flags: number, addr: number, offset: number, size: number, link: number, info: number, align: number, entsize: number): void => {
    out.u32(name); out.u32(type); out.word(flags); out.word(addr); out.word(offset); out.word(size);
    out.u32(link); out.u32(info); out.word(align); out.word(entsize);
  };
  sh(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  secs.forEach((s, k) => {
    const flags = SHF_ALLOC | (s.code ? SHF_EXECINSTR : SHF_WRITE);
    sh(names[k], s.nobits ? SHT_NOBITS : SHT_PROGBITS, flags, s.address, offsets[k], s.size, 0, 0, 1, 0);
  });
  sh(nSym, SHT_SYMTAB, 0, 0, symOff, sym.bytes.length, secs.length + 2, firstGlobal, 8, symsize);
  sh(nStr, SHT_STRTAB, 0, 0, strOff, str.bytes.length, 0, 0, 1, 0);
  sh(nShstr, SHT_STRTAB, 0, 0, shstrOff, shstr.bytes.length, 0, 0, 1, 0);
  return Uint8Array.from(out.bytes);
}
