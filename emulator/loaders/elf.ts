// elf.ts: parses little-endian x86 ELF32/ELF64 executables (System V gABI, "ELF Header", "Program
// Header", "Sections", "Symbol Table") into load segments, sections, symbols and the DWARF line table,
// and loads the PT_LOAD segments into a Machine at their physical addresses (p_paddr, as GRUB and QEMU
// do for kernels). Every offset and size is checked against the file; bad input gives a LoadError.
import type { Machine } from '../machine';
import { parseDebugLine, LineRow } from './dwarfLine';
import { ByteReader, fail, guard, hex, LoadResult, LoadedSegment, MAX_PHYSICAL, cString } from './image';

export const EM_386 = 3;
export const EM_X86_64 = 62;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;
export const SHT_NOBITS = 8;

export interface ElfProgramHeader {
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export type SymbolKind = 'notype' | 'object' | 'func' | 'section' | 'file' | 'other';

export interface ElfSymbol {
  name: string;
  /** st_value: the (virtual) address for symbols of an executable. */
  value: number;
  size: number;
  kind: SymbolKind;
  binding: 'local' | 'global' | 'weak' | 'other';
  /** st_shndx: the section it is defined in (0 = undefined, 0xfff1 = absolute). */
  section: number;
}

export interface ElfImage {
  bits: 32 | 64;
  machine: number;
  type: number;
  /** e_entry (virtual). */
  entry: number;
  programHeaders: ElfProgramHeader[];
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** DWARF .debug_line rows, every sequence of every CU in order (empty without -g). */
  lines: LineRow[];
}

export type { LineRow };

const KINDS: SymbolKind[] = ['notype', 'object', 'func', 'section', 'file'];
const BINDINGS: ElfSymbol['binding'][] = ['local', 'global', 'weak'];

/** True when the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Parses an ELF image; `file` names it in error messages. */
export function parseElf(bytes: Uint8Array, file: string): LoadResult<{ image: ElfImage }> {
  return guard(file, () => ({ image: parse(new ByteReader(bytes)) }));
}

function parse(r: ByteReader): ElfImage {
  if (r.length < 16 || !isElf(r.bytes)) fail('ELF magic', 0, 'is missing (expected 7f 45 4c 46)');
  const cls = r.u8(4, 'EI_CLASS');
  if (cls !== 1 && cls !== 2) fail('EI_CLASS', 4, `is ${cls}, expected 1 (ELFCLASS32) or 2 (ELFCLASS64)`);
  const is64 = cls === 2;
  if (r.u8(5, 'EI_DATA') !== 1) fail('EI_DATA', 5, `is ${r.u8(5, 'EI_DATA')}, expected 1 (little-endian)`);
  r.need(0, is64 ? 64 : 52, 'ELF header');
  const type = r.u16(16, 'e_type');
  if (type !== ET_EXEC && type !== ET_DYN) fail('e_type', 16, `is ${type}, expected 2 (ET_EXEC) or 3 (ET_DYN)`);
  const machine = r.u16(18, 'e_machine');
  const wantMachine = is64 ? EM_X86_64 : EM_386;
  if (machine !== wantMachine) fail('e_machine', 18, `is ${machine}, expected ${wantMachine} (${is64 ? 'EM_X86_64' : 'EM_386'})`);
  const word = (off: number, field: string): number => (is64 ? r.u64(off, field) : r.u32(off, field));
  const offs = (off: number, field: string): number => (is64 ? r.u64Exact(off, field) : r.u32(off, field));
  const entry = word(24, 'e_entry');
  const phoff = offs(is64 ? 32 : 28, 'e_phoff');
  const shoff = offs(is64 ? 40 : 32, 'e_shoff');
  const h = is64 ? 52 : 40;
  const phentsize = r.u16(h + 2, 'e_phentsize');
  const phnum = r.u16(h + 4, 'e_phnum');
  const shentsize = r.u16(h + 6, 'e_shentsize');
  const shnum = r.u16(h + 8, 'e_shnum');
  const shstrndx = r.u16(h + 10, 'e_shstrndx');

  const programHeaders: ElfProgramHeader[] = [];
  if (phnum > 0) {
    const minPh = is64 ? 56 : 32;
    if (phentsize < minPh) fail('e_phentsize', h + 2, `is ${phentsize}, expected at least ${minPh}`);
    for (let k = 0; k < phnum; k++) {
      const p = phoff + k * phentsize;
      r.need(p, minPh, `program header ${k}`);
      const ph: ElfProgramHeader = is64
        ? { index: k, type: r.u32(p, 'p_type'), flags: r.u32(p + 4, 'p_flags'), offset: r.u64Exact(p + 8, 'p_offset'),
            vaddr: r.u64(p + 16, 'p_vaddr'), paddr: r.u64(p + 24, 'p_paddr'), filesz: r.u64Exact(p + 32, 'p_filesz'),
            memsz: r.u64Exact(p + 40, 'p_memsz') }
        : { index: k, type: r.u32(p, 'p_type'), offset: r.u32(p + 4, 'p_offset'), vaddr: r.u32(p + 8, 'p_vaddr'),
            paddr: r.u32(p + 12, 'p_paddr'), filesz: r.u32(p + 16, 'p_filesz'), memsz: r.u32(p + 20, 'p_memsz'),
            flags: r.u32(p + 24, 'p_flags') };
      if (ph.type === PT_LOAD) {
        r.need(ph.offset, ph.filesz, `program header ${k} segment (p_offset ${hex(ph.offset)}, p_filesz ${hex(ph.filesz)})`);
        if (ph.filesz > ph.memsz) fail(`program header ${k}`, p, `has p_filesz ${hex(ph.filesz)} larger than p_memsz ${hex(ph.memsz)}`);
      }
      programHeaders.push(ph);
    }
  }

  const sections: ElfSection[] = [];
  if (shnum > 0 && shoff !== 0) {
    const minSh = is64 ? 64 : 40;
    if (shentsize < minSh) fail('e_shentsize', h + 6, `is ${shentsize}, expected at least ${minSh}`);
    for (let k = 0; k < shnum; k++) {
      const s = shoff + k * shentsize;
      r.need(s, minSh, `section header ${k}`);
      const sec: ElfSection = is64
        ? { index: k, name: String(r.u32(s, 'sh_name')), type: r.u32(s + 4, 'sh_type'), flags: r.u64(s + 8, 'sh_flags'),
            addr: r.u64(s + 16, 'sh_addr'), offset: r.u64Exact(s + 24, 'sh_offset'), size: r.u64Exact(s + 32, 'sh_size'),
            link: r.u32(s + 40, 'sh_link'), entsize: r.u64Exact(s + 56, 'sh_entsize') }
        : { index: k, name: String(r.u32(s, 'sh_name')), type: r.u32(s + 4, 'sh_type'), flags: r.u32(s + 8, 'sh_flags'),
            addr: r.u32(s + 12, 'sh_addr'), offset: r.u32(s + 16, 'sh_offset'), size: r.u32(s + 20, 'sh_size'),
            link: r.u32(s + 24, 'sh_link'), entsize: r.u32(s + 36, 'sh_entsize') };
      if (sec.type !== SHT_NOBITS && sec.type !== 0) {
        r.need(sec.offset, sec.size, `section ${k} contents (sh_offset ${hex(sec.offset)}, sh_size ${hex(sec.size)})`);
      }
      sections.push(sec);
    }
    // Names from the section-header string table (e_shstrndx).
    const strtab = shstrndx < sections.length ? sections[shstrndx] : null;
    for (const sec of sections) {
      const n = Number(sec.name);
      const name = strtab && strtab.type !== SHT_NOBITS ? cString(r.bytes, strtab.offset + n, strtab.offset + strtab.size) : null;
      sec.name = name ?? '';
    }
  }

  const symbols = readSymbols(r, sections, is64);
  const byName = (name: string): Uint8Array | null => {
    const s = sections.find((x) => x.name === name && x.type !== SHT_NOBITS);
    return s ? r.bytes.subarray(s.offset, s.offset + s.size) : null;
  };
  const debugLine = byName('.debug_line');
  const lines = debugLine
    ? parseDebugLine(debugLine, byName('.debug_line_str'), byName('.debug_str'), sections.find((x) => x.name === '.debug_line')?.offset ?? 0)
    : [];
  return { bits: is64 ? 64 : 32, machine, type, entry, programHeaders, sections, symbols, lines };
}

function readSymbols(r: ByteReader, sections: ElfSection[], is64: boolean): ElfSymbol[] {
  const out: ElfSymbol[] = [];
  for (const symtab of sections) {
    if (symtab.type !== SHT_SYMTAB) continue;
    const entsize = symtab.entsize || (is64 ? 24 : 16);
    if (entsize < (is64 ? 24 : 16)) fail(`section ${symtab.index} (${symtab.name}) sh_entsize`, -1, `is ${entsize}, too small for a symbol`);
    const strtab = symtab.link < sections.length ? sections[symtab.link] : null;
    const count = Math.floor(symtab.size / entsize);
    for (let k = 1; k < count; k++) {
      const e = symtab.offset + k * entsize;
      const nameOff = r.u32(e, 'st_name');
      let info: number, shndx: number, value: number, size: number;
      if (is64) {
        info = r.u8(e + 4, 'st_info'); shndx = r.u16(e + 6, 'st_shndx');
        value = r.u64(e + 8, 'st_value'); size = r.u64(e + 16, 'st_size');
      } else {
        value = r.u32(e + 4, 'st_value'); size = r.u32(e + 8, 'st_size');
        info = r.u8(e + 12, 'st_info'); shndx = r.u16(e + 14, 'st_shndx');
      }
      const name = strtab && strtab.type !== SHT_NOBITS ? cString(r.bytes, strtab.offset + nameOff, strtab.offset + strtab.size) : null;
      out.push({
        name: name ?? '',
        value,
        size,
        kind: KINDS[info & 0xf] ?? 'other',
        binding: BINDINGS[info >> 4] ?? 'other',
        section: shndx,
      });
    }
  }
  return out;
}

/** Physical extent of the PT_LOAD segments: [start, end). */
export function loadRange(image: ElfImage): { start: number; end: number } | null {
  let start = Infinity, end = -Infinity;
  for (const ph of image.programHeaders) {
    if (ph.type !== PT_LOAD || ph.memsz === 0) continue;
    start = Math.min(start, ph.paddr);
    end = Math.max(end, ph.paddr + ph.memsz);
  }
  return start === Infinity ? null : { start, end };
}

/**
 * Loads the PT_LOAD segments at p_paddr (zero-filling p_memsz beyond p_filesz), checking each against
 * the machine's RAM. The entry point is returned as physical: e_entry translated through the segment
 * holding it (p_paddr - p_vaddr), as GRUB does for ELF kernels linked high but loaded low.
 */
export function loadElf(machine: Machine, bytes: Uint8Array, file: string): LoadResult<{ image: ElfImage; segments: LoadedSegment[]; entry: number }> {
  const parsed = parseElf(bytes, file);
  if (!parsed.ok) return parsed;
  const image = parsed.image;
  return guard(file, () => {
    const segments: LoadedSegment[] = [];
    for (const ph of image.programHeaders) {
      if (ph.type !== PT_LOAD || ph.memsz === 0) continue;
      checkRam(machine, ph.paddr, ph.memsz, `program header ${ph.index} (p_paddr ${hex(ph.paddr)}, p_memsz ${hex(ph.memsz)})`);
    }
    for (const ph of image.programHeaders) {
      if (ph.type !== PT_LOAD || ph.memsz === 0) continue;
      machine.load(ph.paddr, bytes.subarray(ph.offset, ph.offset + ph.filesz));
      zeroFill(machine, ph.paddr + ph.filesz, ph.memsz - ph.filesz);
      segments.push({ physical: ph.paddr, virtual: ph.vaddr, filesz: ph.filesz, memsz: ph.memsz });
    }
    if (segments.length === 0) fail('program headers', -1, 'contain no PT_LOAD segment');
    return { image, segments, entry: physicalEntry(image) };
  });
}

/** e_entry moved by the p_paddr - p_vaddr of the segment containing it (unchanged when none does). */
export function physicalEntry(image: ElfImage): number {
  for (const ph of image.programHeaders) {
    if (ph.type === PT_LOAD && image.entry >= ph.vaddr && image.entry < ph.vaddr + ph.memsz) return image.entry - ph.vaddr + ph.paddr;
  }
  return image.entry;
}

/** Fails unless [physical, physical + size) is guest RAM (so loading never allocates past the RAM size). */
export function checkRam(machine: Machine, physical: number, size: number, field: string): void {
  const end = physical + size;
  const { lowRam, highRam } = machine.phys;
  const inLow = physical >= 0 && end <= lowRam;
  const inHigh = physical >= 2 ** 32 && end <= 2 ** 32 + highRam;
  if (!Number.isSafeInteger(end) || end > MAX_PHYSICAL || !(inLow || inHigh || size === 0)) {
    fail(field, -1, `is not within guest RAM (${hex(lowRam)} bytes below 4 GiB${highRam ? `, ${hex(highRam)} above` : ''})`);
  }
}

/**
 * Zeroes `size` bytes at `physical`. RAM never written reads as zero already (physical.ts backs frames
 * on first write), so only frames that are backed get written: a huge bss costs no memory.
 */
export function zeroFill(machine: Machine, physical: number, size: number): void {
  const end = physical + size;
  const zeros = new Uint8Array(4096);
  for (let a = physical; a < end; ) {
    const pageEnd = Math.min((Math.floor(a / 4096) + 1) * 4096, end);
    if (machine.phys.frame(Math.floor(a / 4096), false) > 0) machine.load(a, zeros.subarray(0, pageEnd - a));
    a = pageEnd;
  }
}
