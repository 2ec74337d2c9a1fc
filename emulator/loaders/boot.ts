// boot.ts: puts a program into a fresh Machine in one of design.md's boot states — the one sequence shared
// by `trampoline run`, `trampoline pt` and the debug adapter, so every front end boots a program the same
// way. The emulator never imports the assembler: a GAS source is assembled by the `assemble` function its
// caller hands in. Bad input ends in a BootError whose message names the option and the value.
import { BIOS_PORT_BASE, BIOS_PORT_LAST, installBios } from '../bios/bios';
import { programMtrrsAsBios } from '../cpu/mtrr';
import { CpuFeatures } from '../cpu/features';
import { Reg, Seg } from '../cpu/state';
import { Machine } from '../machine';
import { isOptionalDevice, OPTIONAL_DEVICES } from '../devices/optionalDevices';
import { MmioDevice } from '../mem/physical';
import { BootState, ProgramKind, defaultBoot, detectKind } from './detect';
import { ElfImage, loadElf, loadRange } from './elf';
import { LoadError, hex } from './image';
import { linuxMemoryNeeded, loadLinux } from './linux';
import { enterLongMode } from './longMode';
import { loadMultiboot } from './multiboot';
import { enterProtected } from './protected';
import { loadRaw } from './raw';

export interface ProgramSymbol {
  name: string;
  value: number;
}

/** One row of the address ↔ source line table (from the assembler, or from DWARF .debug_line). */
export interface ProgramLine {
  address: number;
  /** Bytes covered (0 when unknown: the row lasts until the next one). */
  size: number;
  file: string;
  line: number;
}

export interface AssembledProgram {
  ok: true;
  /** The flat image, loaded at the origin it was assembled for. */
  image: Uint8Array;
  symbols: ProgramSymbol[];
  lines: ProgramLine[];
  /** Code that runs from a copy: [start, end) assembled, executed at `runtime` (for naming addresses). */
  copies?: { start: number; end: number; runtime: number }[];
}

/**
 * Assembles a GAS source for loading at `origin`, with `codeSize` the default code size of the boot state
 * (as `as --32`/`--64` would; the source's own .codeNN rules). Errors come back as `file:line: message`.
 */
export type Assemble = (text: string, file: string, origin: number, codeSize: 16 | 32 | 64) => AssembledProgram | { ok: false; errors: string[] };

export interface BootOptions {
  /** The program's name, for messages and kind detection (a `.S`/`.s` name is GAS source). */
  file: string;
  bytes: Uint8Array;
  /** null: from the program (design.md "CLI"). */
  boot: BootState | null;
  load: number | null;
  /** A label or an address; null: the program's own entry. */
  entry: string | null;
  features: CpuFeatures;
  paging: 4 | 5;
  /** Guest RAM in bytes; null: 256 MiB, grown so that a program loaded above 4 GiB lands in RAM. */
  memory: number | null;
  cmdline: string | null;
  /** For multiboot, one module each (name = its string). */
  initrd: { name: string; bytes: Uint8Array }[];
  /** The disk image of `--boot real` (default: the program itself). */
  disk: Uint8Array | null;
  /** The guest console (COM1 and port 0xE9). */
  output: (byte: number) => void;
  /** Bytes for COM1's receiver and int 16h: the next one, or -1. */
  input: () => number;
  /** Needed for GAS sources. */
  assemble?: Assemble;
  /** Optional devices by name (`--device`, devices/optionalDevices.ts); absent: none. */
  devices?: string[];
}

export interface Booted {
  machine: Machine;
  boot: BootState;
  kind: ProgramKind;
  /** Where the program was loaded (raw and assembled images; the ELF's lowest segment otherwise). */
  load: number;
  entry: number;
  symbols: ProgramSymbol[];
  lines: ProgramLine[];
  /** Guest RAM in bytes. */
  memory: number;
  elf: ElfImage | null;
  /** Code that runs from a copy (declared in an assembled program's .trampoline.copies section). */
  copies: { start: number; end: number; runtime: number }[];
  /** Linux: where the decompressor will enter the decompressed kernel (with KASLR off). */
  kernelEntry?: number;
}

/**
 * Bad input. `option` is the launch attribute / command-line option at fault (`entry`, `boot`...; null when
 * the program itself is: then the message starts with its file name); each front end prefixes it in its
 * own words (`--entry:`, `launch.json: "entry":`).
 */
export class BootError extends Error {
  constructor(readonly option: string | null, readonly detail: string) {
    super(option === null ? detail : `${option}: ${detail}`);
  }
}

function bad(option: string | null, detail: string): never {
  throw new BootError(option, detail);
}

export const DEFAULT_MEMORY = 256 * 2 ** 20;
const FOUR_GIB = 2 ** 32;
/** RAM below 4 GiB tops out at 3 GiB (physical.ts LOW_RAM_LIMIT); the rest is placed from 4 GiB up. */
const LOW_RAM_LIMIT = 0xc000_0000;

/** A decimal or 0x-prefixed hex number (underscores allowed as separators); NaN otherwise. */
export function parseNumber(text: string): number {
  const t = text.trim().replace(/_/g, '');
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(t)) return NaN;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : NaN;
}

/** `256M`, `5G`, `64K`, `1T` (binary units, optional `iB`/`B`) or plain bytes; NaN when not a size. */
export function parseSize(text: string): number {
  const m = /^(0x[0-9a-f]+|[0-9]+)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (m === null) return NaN;
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : NaN;
}

/** A firmware ROM for `--boot reset`: read-only, mapped as MMIO (writes are ignored, as to real ROM). */
class Rom implements MmioDevice {
  constructor(private readonly bytes: Uint8Array, private readonly skip: number) {}
  read(offset: number, size: number): number {
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = (v << 8) | (this.bytes[this.skip + offset + k] ?? 0xff);
    return v >>> 0;
  }
  write(): void {
    // ROM: writes are dropped.
  }
}

function loaded<T>(r: ({ ok: true } & T) | LoadError): T {
  if (!r.ok) bad(null, r.message);
  return r;
}

/** Resolves `--entry` (a label of the program or an address); `fallback` when none was given. */
export function resolveEntry(entry: string | null, symbols: ProgramSymbol[], fallback: number, file: string): number {
  if (entry === null) return fallback;
  const n = parseNumber(entry);
  if (!Number.isNaN(n)) return n;
  const s = symbols.find((y) => y.name === entry);
  if (s === undefined) bad('entry', `no symbol '${entry}' in ${file} (give a label or an address)`);
  return s.value;
}

/** Symbols of an ELF image worth showing: named, defined, not section or file symbols. */
export function elfSymbols(image: ElfImage): ProgramSymbol[] {
  return image.symbols.filter((s) => s.name !== '' && s.section !== 0 && s.kind !== 'section' && s.kind !== 'file').map((s) => ({ name: s.name, value: s.value }));
}

/** DWARF line rows as a line table (end-of-sequence rows dropped). */
function elfLines(image: ElfImage): ProgramLine[] {
  return image.lines.filter((r) => !r.endSequence).map((r) => ({ address: r.address, size: 0, file: r.file, line: r.line }));
}

/** Builds the machine and leaves it at the program's first instruction. */
export function bootProgram(o: BootOptions): Booted {
  const booted = bootMachine(o);
  // The loaders establish their CPU state from RESET, which clears the MTRRs (SDM Vol.3A §12.11.5); every
  // boot state but reset comes after the firmware, which leaves them set up (cpu/mtrr.ts).
  if (booted.boot !== 'reset') programMtrrsAsBios(booted.machine.cpu);
  return booted;
}

function bootMachine(o: BootOptions): Booted {
  const kind = detectKind(o.bytes, o.file);
  const boot = o.boot ?? (kind === 'gas' ? (o.load !== null && o.load >= 0x100000 ? 'long' : 'real') : defaultBoot(o.bytes, o.file));
  const linux = boot === 'linux' || boot === 'linux32';
  if (linux && kind !== 'bzimage') bad('boot', `'${boot}' needs a Linux bzImage ("HdrS" at 0x202); ${o.file} is not one`);
  if (kind === 'bzimage' && !linux) bad('boot', `'${boot}' cannot run a Linux bzImage (${o.file}); use 'linux' or 'linux32'`);
  if (o.cmdline !== null && boot !== 'multiboot' && !linux) bad('cmdline', `is for boot 'multiboot', 'linux' or 'linux32', not '${boot}'`);
  if (o.initrd.length && boot !== 'multiboot' && !linux) bad('initrd', `is for boot 'multiboot', 'linux' or 'linux32', not '${boot}'`);
  if (o.initrd.length > 1 && linux) bad('initrd', `boot '${boot}' takes one initrd, got ${o.initrd.length}`);
  if (o.disk !== null && boot !== 'real') bad('disk', `is for boot 'real', not '${boot}'`);
  const load = o.load ?? (boot === 'real' ? 0x7c00 : 0x100000);

  let image: Uint8Array | null = kind === 'raw' ? o.bytes : null;
  let symbols: ProgramSymbol[] = [];
  let lines: ProgramLine[] = [];
  let copies: { start: number; end: number; runtime: number }[] = [];
  if (kind === 'gas') {
    if (o.assemble === undefined) bad(null, `${o.file}: an assembly source needs the assembler`);
    const codeSize = boot === 'real' || boot === 'reset' ? 16 : boot === 'protected' || boot === 'multiboot' ? 32 : 64;
    const asm = o.assemble(new TextDecoder().decode(o.bytes), o.file, load, codeSize);
    if (!asm.ok) bad(null, asm.errors.join('\n'));
    ({ image, symbols, lines } = asm);
    copies = asm.copies ?? [];
  }

  let memory = o.memory ?? DEFAULT_MEMORY;
  if (o.memory === null && image !== null && load + image.length > FOUR_GIB) {
    memory = LOW_RAM_LIMIT + Math.ceil((load + image.length - FOUR_GIB) / 2 ** 20) * 2 ** 20;
  }
  // A kernel decompresses itself in place: RAM must reach load + init_size (linux.ts).
  if (o.memory === null && linux) memory = Math.max(memory, linuxMemoryNeeded(o.bytes, o.load ?? undefined) ?? 0);
  const m = new Machine({ memory, features: o.features, output: o.output, input: o.input });
  for (const name of o.devices ?? []) {
    if (!isOptionalDevice(name)) bad('device', `unknown device '${name}' (accepted: ${OPTIONAL_DEVICES.join(', ')})`);
    m.addDevice(name);
  }

  let entry: number;
  let elf: ElfImage | null = null;
  let loadedAt = load;
  const ranges: { start: number; end: number }[] = [];
  // design.md: every boot state but reset finds the machine as a PC BIOS leaves it (installed before the
  // program, which may overwrite what it likes).
  if (boot !== 'reset') {
    m.programAsBios();
    const disk = o.disk ?? image ?? o.bytes;
    const bios = installBios(m.phys, m.cpu, { disk, console: o.output, input: o.input, ramBytes: memory, ...(m.devices ? { a20: m.devices.a20 } : {}) });
    m.devices?.bus.register(BIOS_PORT_BASE, BIOS_PORT_LAST, bios.services, { wide: true });
  }
  if (linux) {
    const r = loaded(loadLinux(m, o.bytes, {
      entry: boot, file: o.file, ...(o.load !== null ? { load: o.load } : {}), ...(o.cmdline !== null ? { cmdline: o.cmdline } : {}),
      ...(o.initrd.length ? { initrd: o.initrd[0].bytes } : {}),
    }));
    // Without the kernel's own symbols the debugger still names its entries (boot.rst: the 32-bit entry at
    // the load address, the 64-bit one 0x200 above) and the decompressed kernel's entry.
    const named: ProgramSymbol[] = [
      { name: 'startup_32', value: r.load }, { name: 'startup_64', value: r.load + 0x200 },
      { name: 'decompressed_kernel', value: r.kernelEntry },
    ];
    return { machine: m, boot, kind, load: r.load, entry: r.entry, symbols: named, lines, memory, elf, copies, kernelEntry: r.kernelEntry };
  }
  if (boot === 'multiboot') {
    const r = loaded(loadMultiboot(m, o.bytes, { file: o.file, modules: o.initrd.map((x) => ({ string: x.name, bytes: x.bytes })), ...(o.cmdline !== null ? { cmdline: o.cmdline } : {}) }));
    if (r.elf) { elf = r.elf; symbols = elfSymbols(r.elf); lines = elfLines(r.elf); }
    entry = resolveEntry(o.entry, symbols, r.entry, o.file);
    if (o.entry !== null) { m.cpu.ripLo = entry | 0; m.cpu.ripHi = 0; }
    return { machine: m, boot, kind, load: loadedAt, entry, symbols, lines, memory, elf, copies };
  }
  if (image !== null) {
    if (boot === 'reset') mapRom(m, image);
    else {
      loaded(loadRaw(m, image, load, load, o.file));
      ranges.push({ start: load, end: load + image.length });
    }
    entry = resolveEntry(o.entry, symbols, load, o.file);
  } else {
    const r = loaded(loadElf(m, o.bytes, o.file));
    elf = r.image;
    symbols = elfSymbols(r.image);
    lines = elfLines(r.image);
    const range = loadRange(r.image);
    if (range) { ranges.push(range); loadedAt = range.start; }
    entry = resolveEntry(o.entry, symbols, r.entry, o.file);
  }
  switch (boot) {
    case 'reset':
      // SDM Vol.3A §9.1.4: the first instruction is fetched at FFFFFFF0h (CS base FFFF0000h, IP FFF0h).
      m.cpu.reset();
      m.stateChanged();
      break;
    case 'real':
      enterReal(m, entry);
      break;
    case 'protected':
      enterProtected(m, entry);
      break;
    case 'long':
      loaded(enterLongMode(m, { entry, ranges, levels: o.paging, file: o.file }));
      break;
    default:
      bad('boot', `'${boot}' cannot run ${kind === 'gas' ? 'an assembled program' : 'this program'}`);
  }
  return { machine: m, boot, kind, load: loadedAt, entry, symbols, lines, memory, elf, copies };
}

/** design.md `reset`: the ROM ends at 4 GiB, and its last 128 KiB (or all of it) ends at 1 MiB too. */
function mapRom(m: Machine, rom: Uint8Array): void {
  if (rom.length > 16 * 2 ** 20) bad(null, `boot 'reset': the firmware ROM is ${rom.length} bytes; at most 16 MiB is accepted`);
  m.phys.addMmio(FOUR_GIB - rom.length, rom.length, new Rom(rom, 0));
  const low = Math.min(rom.length, 128 * 1024);
  m.phys.addMmio(0x100000 - low, low, new Rom(rom, rom.length - low));
  m.mem.flush();
}

/** `--boot real`: CS:IP = 0:entry, SS:SP = 0:7C00, DL = 80h, IF = 1, as a BIOS hands over a boot sector. */
function enterReal(m: Machine, entry: number): void {
  if (entry > 0xfffff) bad('entry', `${hex(entry)} is not reachable in real mode (below 1 MiB)`);
  const cpu = m.cpu;
  cpu.reset();
  for (const s of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segBaseHi[s] = 0; cpu.segLimit[s] = 0xffff;
  }
  // An entry above 64 KiB goes through CS (segment = entry >> 4).
  if (entry > 0xffff) { cpu.segSel[Seg.CS] = entry >>> 4; cpu.segBaseLo[Seg.CS] = (entry >>> 4) << 4; }
  cpu.ripLo = entry - (cpu.segBaseLo[Seg.CS] >>> 0); cpu.ripHi = 0;
  cpu.lo[Reg.RSP] = 0x7c00;
  cpu.lo[Reg.RDX] = 0x80;
  cpu.flags = 0x202;
  m.stateChanged();
}
