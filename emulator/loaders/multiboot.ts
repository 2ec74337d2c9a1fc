// multiboot.ts: Multiboot v1 (the Multiboot Specification 0.6.96): finds the header (§3.1.1), loads an
// ELF kernel or an a.out-kludge image (§3.1.3, flags bit 16), builds the Multiboot information structure
// (§3.3) with a memory map matching the E820 layout our BIOS reports, command line and modules, and
// enters the kernel as GRUB does (§3.2 "Machine state").
//
// Low memory used (all below the EBDA at 0x9FC00; the kernel must not overlap it):
//   0x8000        the GDT (0x10 flat 32-bit code, 0x18 flat data). §3.2 says GDTR may be invalid and the
//                 OS must load its own; a valid one is friendlier (segment reloads before the kernel's
//                 own lgdt keep working), and costs nothing.
//   0x9000 ..     the information structure, then the memory map, command line, boot loader name,
//                 the module list and module strings, in that order.
// Modules go page-aligned after the kernel's highest loaded byte.
import type { Machine } from '../machine';
import { Reg } from '../cpu/state';
import { checkRam, isElf, loadElf, zeroFill } from './elf';
import { ByteReader, fail, guard, hex, LoadResult, LoadedSegment } from './image';
import { enterFlat, GDT_BASE } from './protected';
import type { ElfImage } from './elf';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie entirely within the first 8192 bytes, 32-bit aligned (§3.1.1). */
const SEARCH_LIMIT = 8192;
export const MB_INFO_ADDRESS = 0x9000;
const LOW_LIMIT = 0x9fc00;

// Multiboot information flags (§3.3).
export const MBI_MEMORY = 1 << 0;
export const MBI_CMDLINE = 1 << 2;
export const MBI_MODS = 1 << 3;
export const MBI_MMAP = 1 << 6;
export const MBI_LOADER_NAME = 1 << 9;

export interface MultibootHeader {
  offset: number;
  flags: number;
  /** Present with flags bit 16 (the a.out kludge). */
  aout: { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entryAddr: number } | null;
}

export interface MultibootModule {
  /** The module's string (QEMU: the -initrd file name and arguments). */
  string: string;
  bytes: Uint8Array;
}

export interface MultibootOptions {
  cmdline?: string;
  modules?: MultibootModule[];
  file?: string;
}

export interface MultibootLoaded {
  header: MultibootHeader;
  elf: ElfImage | null;
  segments: LoadedSegment[];
  entry: number;
  infoAddress: number;
  modules: { start: number; end: number; string: string }[];
}

/** The header (§3.1.1), or null when the first 8192 bytes hold none with a valid checksum. */
export function findMultibootHeader(bytes: Uint8Array): MultibootHeader | null {
  const r = new ByteReader(bytes);
  const limit = Math.min(bytes.length, SEARCH_LIMIT) - 12;
  for (let off = 0; off <= limit; off += 4) {
    if (r.u32(off, 'magic') !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = r.u32(off + 4, 'flags');
    if (((MULTIBOOT_HEADER_MAGIC + flags + r.u32(off + 8, 'checksum')) >>> 0) !== 0) continue;
    let aout: MultibootHeader['aout'] = null;
    if (flags & 0x10000 && off + 32 <= bytes.length) {
      aout = { headerAddr: r.u32(off + 12, 'header_addr'), loadAddr: r.u32(off + 16, 'load_addr'), loadEndAddr: r.u32(off + 20, 'load_end_addr'),
        bssEndAddr: r.u32(off + 24, 'bss_end_addr'), entryAddr: r.u32(off + 28, 'entry_addr') };
    }
    return { offset: off, flags, aout };
  }
  return null;
}

/** Loads a Multiboot kernel and its modules, builds the info structure and enters the kernel. */
export function loadMultiboot(machine: Machine, bytes: Uint8Array, o: MultibootOptions = {}): LoadResult<MultibootLoaded> {
  const file = o.file ?? 'kernel';
  let elfResult: ReturnType<typeof loadElf> | null = null;
  const header = findMultibootHeader(bytes);
  if (header && !(header.flags & 0x10000) && isElf(bytes)) {
    elfResult = loadElf(machine, bytes, file);
    if (!elfResult.ok) return elfResult;
  }
  return guard(file, () => {
    if (!header) fail('Multiboot header', -1, `is missing: no magic ${hex(MULTIBOOT_HEADER_MAGIC)} with a valid checksum in the first ${SEARCH_LIMIT} bytes`);
    // Bits 0-15 are requirements the loader must meet or refuse (§3.1.2): 0 page-aligned modules,
    // 1 memory information, 2 video mode (we have no framebuffer to offer; it is a preference, as GRUB treats it).
    const unknown = header.flags & 0xfff8;
    if (unknown) fail('Multiboot header flags', header.offset + 4, `request features this loader does not know (${hex(unknown)})`);
    let segments: LoadedSegment[];
    let entry: number;
    let elf: ElfImage | null = null;
    if (header.aout) {
      ({ segments, entry } = loadAout(machine, bytes, header));
    } else if (elfResult && elfResult.ok) {
      segments = elfResult.segments; entry = elfResult.entry; elf = elfResult.image;
    } else {
      fail('Multiboot header flags', header.offset + 4, 'lack bit 16 (address fields) and the file is not ELF');
    }
    const kernelEnd = Math.max(...segments.map((s) => s.physical + s.memsz));
    for (const s of segments) {
      if (s.physical < LOW_LIMIT && s.physical + s.memsz > GDT_BASE) {
        fail('kernel load range', -1, `${hex(s.physical)}-${hex(s.physical + s.memsz)} overlaps the loader's GDT and Multiboot information at ${hex(GDT_BASE)}-${hex(LOW_LIMIT)}`);
      }
    }
    const info = buildInfo(machine, o, kernelEnd);
    machine.cpu.reset();
    enterFlat(machine, { entry, long: false });
    machine.cpu.lo[Reg.RAX] = MULTIBOOT_BOOTLOADER_MAGIC | 0;
    machine.cpu.lo[Reg.RBX] = MB_INFO_ADDRESS;
    machine.stateChanged();
    return { header, elf, segments, entry, infoAddress: MB_INFO_ADDRESS, modules: info.modules };
  });
}

/** The a.out kludge (§3.1.3): header_addr locates load_addr in the file; bss zeroed to bss_end_addr. */
function loadAout(machine: Machine, bytes: Uint8Array, h: MultibootHeader): { segments: LoadedSegment[]; entry: number } {
  const a = h.aout!;
  const at = h.offset + 12;
  if (a.loadAddr > a.headerAddr) fail('Multiboot header load_addr', h.offset + 16, `${hex(a.loadAddr)} is above header_addr ${hex(a.headerAddr)}`);
  const fileStart = h.offset - (a.headerAddr - a.loadAddr);
  if (fileStart < 0) fail('Multiboot header header_addr', at, `${hex(a.headerAddr)} puts load_addr before the start of the file`);
  const end = a.loadEndAddr === 0 ? a.loadAddr + (bytes.length - fileStart) : a.loadEndAddr;
  if (end < a.loadAddr) fail('Multiboot header load_end_addr', h.offset + 20, `${hex(end)} is below load_addr ${hex(a.loadAddr)}`);
  const filesz = end - a.loadAddr;
  if (fileStart + filesz > bytes.length) fail('Multiboot header load_end_addr', h.offset + 20, `(${hex(end)}) extends beyond the end of the file (size ${hex(bytes.length)})`);
  const bssEnd = a.bssEndAddr === 0 ? end : a.bssEndAddr;
  if (bssEnd < end) fail('Multiboot header bss_end_addr', h.offset + 24, `${hex(bssEnd)} is below load_end_addr ${hex(end)}`);
  checkRam(machine, a.loadAddr, bssEnd - a.loadAddr, `Multiboot load range ${hex(a.loadAddr)}-${hex(bssEnd)}`);
  machine.load(a.loadAddr, bytes.subarray(fileStart, fileStart + filesz));
  zeroFill(machine, end, bssEnd - end);
  return { segments: [{ physical: a.loadAddr, virtual: a.loadAddr, filesz, memsz: bssEnd - a.loadAddr }], entry: a.entryAddr };
}

const encoder = new TextEncoder();

/** The E820-style map (type 1 RAM, 2 reserved) the BIOS reports, as [base, length, type]. */
export function memoryMap(machine: Machine): [number, number, number][] {
  const { lowRam, highRam } = machine.phys;
  const map: [number, number, number][] = [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2]];
  if (lowRam > 0x100000) map.push([0x100000, lowRam - 0x100000, 1]);
  if (highRam > 0) map.push([2 ** 32, highRam, 1]);
  return map;
}

function buildInfo(machine: Machine, o: MultibootOptions, kernelEnd: number): { modules: MultibootLoaded['modules'] } {
  let next = MB_INFO_ADDRESS + 128; // the structure itself is 116 bytes in 0.6.96 (with framebuffer fields)
  const blob = new Uint8Array(LOW_LIMIT - MB_INFO_ADDRESS);
  const v = new DataView(blob.buffer);
  const put = (bytes: Uint8Array, align = 4): number => {
    next = Math.ceil(next / align) * align;
    if (next + bytes.length > LOW_LIMIT) fail('Multiboot information', -1, `(command line, module strings) does not fit below ${hex(LOW_LIMIT)}`);
    blob.set(bytes, next - MB_INFO_ADDRESS);
    next += bytes.length;
    return next - bytes.length;
  };
  const str = (s: string): number => put(new Uint8Array([...encoder.encode(s), 0]), 1);
  const u32 = (off: number, value: number): void => v.setUint32(off, value >>> 0, true);
  let flags = MBI_MEMORY | MBI_MMAP | MBI_LOADER_NAME;
  const { lowRam } = machine.phys;
  u32(4, 0x9fc00 / 1024); // mem_lower: KiB from 0 (640 KiB less the 1 KiB EBDA)
  u32(8, Math.max(0, lowRam - 0x100000) / 1024); // mem_upper: KiB from 1 MiB to the first hole
  const map = memoryMap(machine);
  const mm = new Uint8Array(map.length * 24);
  const mv = new DataView(mm.buffer);
  map.forEach(([base, length, type], k) => {
    // size (excluding itself) = 20, base_addr, length, type (§3.3, "mmap_*")
    mv.setUint32(k * 24, 20, true);
    mv.setUint32(k * 24 + 4, base % 2 ** 32, true); mv.setUint32(k * 24 + 8, Math.floor(base / 2 ** 32), true);
    mv.setUint32(k * 24 + 12, length % 2 ** 32, true); mv.setUint32(k * 24 + 16, Math.floor(length / 2 ** 32), true);
    mv.setUint32(k * 24 + 20, type, true);
  });
  const mmapAddr = put(mm);
  u32(44, mm.length);
  u32(48, mmapAddr);
  if (o.cmdline !== undefined) {
    flags |= MBI_CMDLINE;
    u32(16, str(o.cmdline));
  }
  u32(64, str('Trampoline'));
  const modules: MultibootLoaded['modules'] = [];
  const mods = o.modules ?? [];
  if (mods.length > 0) {
    flags |= MBI_MODS;
    const list = new Uint8Array(mods.length * 16);
    const lv = new DataView(list.buffer);
    let at = Math.ceil(kernelEnd / 4096) * 4096;
    mods.forEach((m, k) => {
      checkRam(machine, at, m.bytes.length, `module ${k} (${m.string}) at ${hex(at)}`);
      if (at + m.bytes.length > 2 ** 32) fail(`module ${k}`, -1, 'does not fit below 4 GiB');
      machine.load(at, m.bytes);
      const s = str(m.string);
      // mod_start, mod_end (exclusive), string, reserved (§3.3, "mods_*")
      lv.setUint32(k * 16, at, true); lv.setUint32(k * 16 + 4, at + m.bytes.length, true); lv.setUint32(k * 16 + 8, s, true);
      modules.push({ start: at, end: at + m.bytes.length, string: m.string });
      at = Math.ceil((at + m.bytes.length) / 4096) * 4096 || at + 4096;
    });
    u32(20, mods.length);
    u32(24, put(list));
  }
  u32(0, flags);
  machine.load(MB_INFO_ADDRESS, blob.subarray(0, next - MB_INFO_ADDRESS));
  return { modules };
}
