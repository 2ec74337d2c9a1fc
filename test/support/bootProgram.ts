// support/bootProgram.ts: builds the boot test programs (test/boot/*.S into Multiboot v1 ELF32 images and
// boot sectors) with the built-in assembler, laid out as GNU as + ld lay them out (the GNU build remains
// for the cross-check), and runs them on our Machine from the state a Multiboot loader leaves, collecting the
// port-0xE9 console and the port-0xF4 exit status as QEMU's debugcon and isa-debug-exit report them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, elfImage, flatBinary, formatDiagnostic } from '../../assembler/index';
import type { SectionOut, SymbolOut } from '../../assembler/index';
import { R_X86_64_NAMES } from '../../assembler/relocate';
import { Machine } from '../../emulator/machine';
import { programMtrrsAsBios } from '../../emulator/cpu/mtrr';
import { ATTN_IRQ, Reg, Seg } from '../../emulator/cpu/state';
import { ATTR_DB, CR0_PE } from '../../emulator/cpu/modes';
import { VECTOR_NAMES } from '../../emulator/cpu/fault';
import { IoBus } from '../../emulator/devices/ioBus';
import { DebugConsole, DEBUG_CONSOLE_PORT } from '../../emulator/devices/debugConsole';
import { ExitPort, EXIT_PORT } from '../../emulator/devices/exitPort';
import { PIC_MASTER, PIC_SLAVE } from '../../emulator/devices/pic8259';
import { PIT_CONTROL, PIT_PORT } from '../../emulator/devices/pit8254';
import { bootProgram } from '../../emulator/loaders/boot';
import { CpuFeatures } from '../../emulator/cpu/features';

/** Where the programs are linked (and where QEMU's Multiboot loader puts them). */
export const LOAD_ADDRESS = 0x100000;
/** Guest RAM, the same as QEMU's `-m 256M`. */
export const BOOT_MEMORY = 256 * 1024 * 1024;

/** The folder holding the .S sources: next to the compiled test in out/, else the source tree. */
export function bootDir(): string {
  const candidates = [join(__dirname, '..', 'boot'), join(__dirname, '..', '..', '..', 'test', 'boot')];
  return candidates.find((d) => existsSync(join(d, 'lib.S'))) ?? candidates[0];
}

/** Why the programs cannot be built with GNU as + ld here (the cross-check only), or null when both run. */
export function bootToolsMissing(): string | null {
  for (const tool of ['as', 'ld']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} (GNU binutils) is not installed`;
    }
  }
  return null;
}

/** Runs a tool; on failure throws an Error carrying its messages. */
function run(tool: string, args: string[]): void {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed:\n${r.stderr || r.error?.message || ''}`);
}

/** The boot programs in test/boot, listed at run time: every .S there but lib.S (which they include). */
export function bootSources(): { programs: string[]; sectors: string[] } {
  const programs: string[] = [], sectors: string[] = [];
  const files = readdirSync(bootDir()).filter((f) => f.endsWith('.S')).sort();
  const text = new Map(files.map((f) => [f, readFileSync(join(bootDir(), f), 'utf8')]));
  // Files other programs include (lib.S, dbcount.S) are pieces, not programs.
  const included = new Set([...text.values()].flatMap((t) => [...t.matchAll(/^\s*(?:\.include|#\s*include)\s+"([^"]+)"/gm)].map((m) => m[1])));
  for (const f of files) {
    if (included.has(f)) continue;
    const name = f.slice(0, -2);
    // A boot sector is 16-bit code that ends in the 55 AA signature; the rest are Multiboot programs (lib.S).
    (/^\s*(?:\.include|#\s*include)\s+"lib\.S"/m.test(text.get(f) ?? '') ? programs : sectors).push(name);
  }
  return { programs, sectors };
}

/** Where ld's default script for elf_i386 places sections after .text (`ld -m elf_i386 --verbose`). */
const LD_ORDER = ['.text', '.rodata', '.data', '.bss'];
/** MAXPAGESIZE of elf_i386: -z separate-code starts the segment after .text on a fresh page. */
const LD_PAGE = 0x1000;

/**
 * The relocations an ELF32 i386 object can carry (SysV i386 psABI R_386_32/PC32/PLT32/16/PC16/8/PC8), by
 * the relocate.ts (R_X86_64) number our assembler reports: the field size and whether it is PC-relative.
 * R_X86_64_32S/64/PC64 have no i386 counterpart: GNU as --32 rejects them ("cannot represent relocation
 * type"), so does the link below.
 */
const RELOC_FIELD: Record<number, { size: number; pc: boolean }> = {
  2: { size: 4, pc: true }, 4: { size: 4, pc: true }, 10: { size: 4, pc: false }, 12: { size: 2, pc: false },
  13: { size: 2, pc: true }, 14: { size: 1, pc: false }, 15: { size: 1, pc: true },
};

/**
 * The built-in assembler in place of `as --32` + `ld -m elf_i386 -Ttext <text>`: assembles the file as a
 * relocatable object (what `as` writes), then links it as ld's default script does — .text at `text`, the
 * data segment (.rodata, .data, .bss) from the next page, each section at its alignment — resolving each
 * relocation to S + A (absolute) or S + A - P (PC-relative). Returns the placed sections and symbols.
 */
export function assembleAndLink(name: string, text: number): { sections: SectionOut[]; symbols: SymbolOut[] } {
  const dir = bootDir();
  const file = join(dir, `${name}.S`);
  const readFile = (p: string): string | null => {
    for (const c of [p, join(dir, p)]) if (existsSync(c)) return readFileSync(c, 'utf8');
    return null;
  };
  const r = assemble(readFileSync(file, 'utf8'), { file, readFile, includePaths: [dir], relocatable: true, i386: true });
  if (r.errors.length) throw new Error(`${name}.S: the built-in assembler reports:\n${r.errors.map(formatDiagnostic).join('\n')}`);
  if (r.undefinedGlobals?.length) throw new Error(`${name}.S: undefined symbols ${r.undefinedGlobals.join(', ')}`);
  const unknown = r.sections.filter((s) => s.size > 0 && !LD_ORDER.includes(s.name));
  if (unknown.length) throw new Error(`${name}.S: section ${unknown[0].name} is not placed here as ld would place it`);

  // Placement: old (object) address -> new (linked) address, by section name.
  const placed = new Map<string, SectionOut>();
  let next = text;
  for (const sname of LD_ORDER) {
    // `. = ALIGN(CONSTANT (MAXPAGESIZE))` follows .text whether or not anything comes after it.
    if (sname === '.rodata') next = Math.ceil(next / LD_PAGE) * LD_PAGE;
    const s = r.sections.find((x) => x.name === sname);
    if (!s) continue;
    const align = Math.max(1, s.align ?? 1);
    const address = Math.ceil(next / align) * align;
    placed.set(sname, { ...s, address, data: s.data.slice() });
    next = address + s.size;
  }
  const relocated = (section: string | null, value: number): number => {
    if (section === null) return value;
    const from = r.sections.find((x) => x.name === section), to = placed.get(section);
    if (!from || !to) throw new Error(`${name}.S: symbol in unplaced section ${section}`);
    return value - from.address + to.address;
  };
  const symbols = r.symbols.map((s) => ({ ...s, value: relocated(s.section, s.value) }));
  for (const rel of r.relocations ?? []) {
    const field = RELOC_FIELD[rel.type];
    const sec = placed.get(rel.section);
    if (!field || !sec) throw new Error(`${name}.S: cannot represent relocation type ${R_X86_64_NAMES[rel.type] ?? rel.type} (in ${rel.section} at offset 0x${rel.offset.toString(16)}) in an i386 object`);
    const target = rel.sectionSymbol ? placed.get(rel.symbol)?.address : symbols.find((s) => s.name === rel.symbol)?.value;
    if (target === undefined) throw new Error(`${name}.S: relocation against ${rel.symbol}, which the link does not place`);
    let v = target + rel.addend - (field.pc ? sec.address + rel.offset : 0);
    for (let k = 0; k < field.size; k++) {
      sec.data[rel.offset + k] = v & 0xff;
      v = Math.floor(v / 256);
    }
  }
  return { sections: [...placed.values()], symbols };
}

/** Builds test/boot/<name>.S into a Multiboot ELF32 linked at LOAD_ADDRESS with the built-in assembler. */
export function buildBootProgram(name: string): Uint8Array {
  const { sections, symbols } = assembleAndLink(name, LOAD_ADDRESS);
  return elfImage(sections, symbols, { elfClass: 32 });
}

/** The same image built by GNU `as --32` + `ld -m elf_i386 -Ttext LOAD_ADDRESS` (the cross-check). */
export function buildBootProgramGnu(name: string): Uint8Array {
  const dir = bootDir();
  const work = mkdtempSync(join(tmpdir(), 'trampoline-boot-'));
  try {
    const obj = join(work, `${name}.o`);
    const elf = join(work, `${name}.elf`);
    run('as', ['--32', '-I', dir, '-o', obj, join(dir, `${name}.S`)]);
    run('ld', ['-m', 'elf_i386', '-Ttext', `0x${LOAD_ADDRESS.toString(16)}`, '-o', elf, obj]);
    return new Uint8Array(readFileSync(elf));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface ElfSegment {
  /** Where the segment's bytes lie in the file (p_offset): 0 for ld's segment mapping the ELF headers. */
  offset: number;
  /** Physical load address (p_paddr: what a Multiboot loader honours). */
  paddr: number;
  /** The file bytes (p_filesz); the rest up to memsz is zero. */
  data: Uint8Array;
  memsz: number;
}

export interface Elf32Image {
  entry: number;
  segments: ElfSegment[];
}

/**
 * A minimal ELF32 reader (System V ABI, ELF header and program headers): the PT_LOAD segments and the
 * entry point. Only what the boot tests need; the real loader is a later piece of work.
 */
export function parseElf32(bytes: Uint8Array): Elf32Image {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, false) !== 0x7f454c46) throw new Error('not an ELF file');
  if (bytes[4] !== 1) throw new Error('not ELFCLASS32');
  if (bytes[5] !== 1) throw new Error('not little-endian');
  const entry = v.getUint32(24, true);
  const phoff = v.getUint32(28, true);
  const phentsize = v.getUint16(42, true);
  const phnum = v.getUint16(44, true);
  const segments: ElfSegment[] = [];
  for (let k = 0; k < phnum; k++) {
    const ph = phoff + k * phentsize;
    if (v.getUint32(ph, true) !== 1) continue; // PT_LOAD
    const offset = v.getUint32(ph + 4, true);
    const paddr = v.getUint32(ph + 12, true);
    const filesz = v.getUint32(ph + 16, true);
    const memsz = v.getUint32(ph + 20, true);
    segments.push({ offset, paddr, data: bytes.subarray(offset, offset + filesz), memsz });
  }
  return { entry, segments };
}

export interface BootResult {
  /** Everything written to port 0xE9. */
  console: string;
  /** QEMU's isa-debug-exit status, (V << 1) | 1, or null when the program never wrote port 0xF4. */
  exitCode: number | null;
  /** Why the run ended: 'stop' (the exit port), 'triple-fault', 'limit', 'halt', ... (StopReason). */
  stop: string;
  /** The exception behind a triple fault, in words, or null. */
  exception: string | null;
  instructions: number;
}

/** Where the Multiboot info structure goes (below the image, in conventional memory). */
const MB_INFO = 0x9000;

/**
 * Runs a Multiboot ELF32 on our Machine. The entry state is the one the Multiboot v1 specification
 * (§3.2 "Machine state") promises and GRUB/QEMU produce: 32-bit protected mode, CS a flat 4 GiB 32-bit
 * code segment, DS/ES/FS/GS/SS flat 4 GiB data, CR0.PE=1 PG=0, EFLAGS.IF=0 (and VM=0), EAX=0x2BADB002,
 * EBX = the physical address of the info structure. GDTR/IDTR are left as garbage — the spec says the
 * OS must load its own — so the programs do (lib.S).
 */
export function runBootElf(elf: Uint8Array, maxInstructions = 20_000_000): BootResult {
  const image = parseElf32(elf);
  const m = new Machine({ memory: BOOT_MEMORY });
  for (const s of image.segments) {
    m.load(s.paddr, s.data);
    if (s.memsz > s.data.length) m.load(s.paddr + s.data.length, new Uint8Array(s.memsz - s.data.length));
  }
  // Multiboot info (spec §3.3): flags bit 0 = mem_lower/mem_upper valid, in KiB (640 KiB conventional
  // memory less the EBDA QEMU's BIOS reserves, as QEMU reports it; extended memory from 1 MiB up).
  const info = new Uint8Array(16);
  const iv = new DataView(info.buffer);
  iv.setUint32(0, 1, true);
  iv.setUint32(4, 639, true);
  iv.setUint32(8, BOOT_MEMORY / 1024 - 1024, true);
  m.load(MB_INFO, info);

  let out = '';
  let exitCode: number | null = null;
  const bus = new IoBus();
  bus.register(DEBUG_CONSOLE_PORT, DEBUG_CONSOLE_PORT, new DebugConsole((b) => { out += String.fromCharCode(b); }));
  bus.register(EXIT_PORT, EXIT_PORT + 3, new ExitPort((code) => {
    exitCode = code;
    m.exec.requestStop('isa-debug-exit');
  }), { wide: true });
  // The machine's own 8259 PICs and 8254 PIT, which QEMU's pc machine has as well (test/boot/irq.S),
  // reached as Machine.plug reaches them: the timers brought up to date before each port access, and
  // interrupts looked at again after each write (an OUT may unmask an IRQ or send an EOI).
  const pc = m.devices;
  if (pc !== null) {
    bus.register(PIC_MASTER, PIC_MASTER + 1, pc.pic);
    bus.register(PIC_SLAVE, PIC_SLAVE + 1, pc.pic);
    bus.register(PIT_PORT, PIT_CONTROL, pc.pit);
  }
  m.io = pc === null ? bus : {
    in: (port, size) => { pc.advanceTo(m.exec.now()); return bus.in(port, size); },
    out: (port, size, value) => { pc.advanceTo(m.exec.now()); bus.out(port, size, value); m.cpu.attention |= ATTN_IRQ; },
  };

  const cpu = m.cpu;
  cpu.reset();
  // The MTRRs as firmware leaves them, as QEMU's firmware does before its Multiboot loader (test/boot/mtrr.S).
  programMtrrsAsBios(cpu);
  // As a PC BIOS and GRUB leave it: caches enabled (CD = NW = 0), ET set, protection on, paging off.
  cpu.cr0 = 0x10 | CR0_PE;
  for (let s = 0; s < 6; s++) {
    cpu.segSel[s] = s === Seg.CS ? 0x10 : 0x18;
    cpu.segBaseLo[s] = 0;
    cpu.segBaseHi[s] = 0;
    cpu.segLimit[s] = -1;
    cpu.segAttr[s] = 0x93 | ATTR_DB | 0x8000; // present writable data, B=1, G=1
  }
  cpu.segAttr[Seg.CS] = 0x9b | ATTR_DB | 0x8000; // present execute/read code, D=1, G=1
  // Deliberately unusable descriptor tables: the program must load its own.
  cpu.gdtrBaseLo = 0; cpu.gdtrLimit = 0;
  cpu.idtrBaseLo = 0; cpu.idtrLimit = 0;
  cpu.flags = 0x2;
  cpu.lo[Reg.RAX] = 0x2badb002;
  cpu.lo[Reg.RBX] = MB_INFO;
  cpu.ripLo = image.entry | 0;
  cpu.ripHi = 0;
  m.stateChanged();
  m.mem.setPagingState(cpu, true);

  const icount0 = cpu.icount;
  let stop: string;
  let exception: string | null = null;
  try {
    stop = m.run({ maxInstructions });
  } catch (e) {
    // An emulator bug (a JS error), not guest behaviour: report it as the stop reason.
    stop = `internal error: ${e instanceof Error ? e.message : String(e)}`;
  }
  const x = m.exec.lastException;
  if ((stop === 'triple-fault' || stop === 'exception') && x !== null) {
    exception = `${VECTOR_NAMES[x.vector] ?? `vector ${x.vector}`} at ${x.ripHi ? `${(x.ripHi >>> 0).toString(16)}:` : ''}${(x.ripLo >>> 0).toString(16)}: ${x.detail}`;
  }
  return { console: out, exitCode, stop, exception, instructions: cpu.icount - icount0 };
}

/** Checks that a raw image is a boot sector: 512 bytes ending in the 55 AA signature. */
function checkBootSector(name: string, image: Uint8Array): Uint8Array {
  if (image.length !== 512 || image[510] !== 0x55 || image[511] !== 0xaa) throw new Error(`${name}.S: not a 512-byte boot sector ending in 55 AA (${image.length} bytes)`);
  return image;
}

/**
 * Assembles test/boot/<name>.S, a boot sector (`.code16` at 0000:7C00), into the raw disk image a BIOS
 * boots, with the built-in assembler: what `ld -Ttext 0x7c00 --oformat binary` writes, the loaded sections
 * from 0x7C00 on. The source ends with the 55 AA signature.
 */
export function buildBootSector(name: string): Uint8Array {
  return checkBootSector(name, flatBinary(assembleAndLink(name, 0x7c00).sections, 0x7c00));
}

/** The same boot sector built by GNU `as --32` + `ld -Ttext 0x7c00 --oformat binary` (the cross-check). */
export function buildBootSectorGnu(name: string): Uint8Array {
  const dir = bootDir();
  const work = mkdtempSync(join(tmpdir(), 'trampoline-boot-'));
  try {
    const obj = join(work, `${name}.o`);
    const bin = join(work, `${name}.bin`);
    run('as', ['--32', '-I', dir, '-o', obj, join(dir, `${name}.S`)]);
    run('ld', ['-m', 'elf_i386', '-Ttext', '0x7c00', '--oformat', 'binary', '-o', bin, obj]);
    return checkBootSector(name, new Uint8Array(readFileSync(bin)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Boots a disk image on our Machine as `--boot real` does (the built-in BIOS loads sector 0 at 0000:7C00
 * with DL = 80h), collecting port 0xE9/COM1 output and the port-0xF4 exit status ((V << 1) | 1).
 */
export function runBootSector(image: Uint8Array, maxInstructions = 20_000_000): BootResult {
  let out = '';
  const booted = bootProgram({
    file: 'bootsector.img', bytes: image, boot: 'real', load: null, entry: null, features: new CpuFeatures(),
    paging: 4, memory: BOOT_MEMORY, cmdline: null, initrd: [], disk: null,
    output: (b) => { out += String.fromCharCode(b); }, input: () => -1,
  });
  const m = booted.machine;
  const icount0 = m.cpu.icount;
  let stop: string;
  try {
    stop = m.run({ maxInstructions });
  } catch (e) {
    stop = `internal error: ${e instanceof Error ? e.message : String(e)}`;
  }
  const x = m.exec.lastException;
  const exception = (stop === 'triple-fault' || stop === 'exception') && x !== null
    ? `${VECTOR_NAMES[x.vector] ?? `vector ${x.vector}`} at ${(x.ripLo >>> 0).toString(16)}: ${x.detail}` : null;
  return { console: out, exitCode: stop === 'exit' ? m.exitCode : null, stop, exception, instructions: m.cpu.icount - icount0 };
}
