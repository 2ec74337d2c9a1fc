// linux.ts: `--boot linux` and `--boot linux32` — loads a bzImage per the Linux x86 boot protocol
// (Documentation/arch/x86/boot.rst): the protected-mode kernel at an aligned load address (above 4 GiB
// too, when the kernel says it can run there), struct boot_params (the "zero page") with a copy of the
// setup header, the command line, the initrd and the E820 map our BIOS reports, and enters either the
// 64-bit entry ("64-bit BOOT PROTOCOL": load address + 0x200, long mode, identity map, RSI = boot_params)
// or the 32-bit one ("32-bit BOOT PROTOCOL": flat protected mode, paging off, ESI = boot_params,
// EIP = code32_start). The real-mode setup code is not run: a 32/64-bit loader does its job.
//
// Low memory used (QEMU's layout for protocol >= 2.02 puts the real-mode data at 0x10000 and the command
// line at 0x20000; the decompressor's 5-level trampoline goes just below the EBDA, well clear of both):
//   0x10000 .. 0x11000   boot_params
//   0x20000 ..           the command line (cmdline_size + 1 bytes at most)
//   below/around these   the long-mode loader's stack, GDT and page tables (longMode.ts picks a base
//                        that keeps clear of them), or the 32-bit GDT at 0x8000
import type { Machine } from '../machine';
import { e820Map } from '../bios/bios';
import { Reg } from '../cpu/state';
import { checkRam, zeroFill } from './elf';
import { fail, guard, hex, LoadResult } from './image';
import {
  HDR, LOADED_HIGH, parseSetupHeader, SetupHeader, XLF_CAN_BE_LOADED_ABOVE_4G, XLF_KERNEL_64,
} from './linuxHeader';
import { enterLongMode } from './longMode';
import { enterFlat } from './protected';

export const BOOT_PARAMS = 0x10000;
export const CMDLINE = 0x20000;
/** Offsets in struct boot_params (arch/x86/include/uapi/asm/bootparam.h). */
const BP_EXT_RAMDISK_IMAGE = 0x0c0, BP_EXT_RAMDISK_SIZE = 0x0c4, BP_EXT_CMD_LINE_PTR = 0x0c8;
const BP_E820_ENTRIES = 0x1e8, BP_E820_TABLE = 0x2d0, E820_MAX_ENTRIES_ZEROPAGE = 128;
/** type_of_loader 0xFF: "undefined" boot loader (boot.rst, "Details of header fields"). */
const LOADER_UNDEFINED = 0xff;
/** loadflags bit 6, KEEP_SEGMENTS: obsolete; a loader must leave it clear (boot.rst). */
const KEEP_SEGMENTS = 1 << 6;
const FOUR_GIB = 2 ** 32;

export interface LinuxOptions {
  /** `linux` (64-bit entry, default) or `linux32` (32-bit entry). */
  entry?: 'linux' | 'linux32';
  cmdline?: string;
  initrd?: Uint8Array;
  /** Physical load address of the protected-mode kernel (default: pref_address). */
  load?: number;
  /** Names the kernel in error messages. */
  file?: string;
}

export interface LinuxLoaded {
  header: SetupHeader;
  /** Where the protected-mode kernel was placed. */
  load: number;
  /** The first instruction executed (load + 0x200, or code32_start = load for linux32). */
  entry: number;
  bootParams: number;
  cmdline: number;
  initrd: { start: number; end: number } | null;
  /**
   * Where the decompressed kernel's startup_64 will be entered when KASLR is off (see decompressedEntry);
   * a detector's breakpoint goes there.
   */
  kernelEntry: number;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * The physical address where the decompressor jumps to the decompressed kernel, when KASLR is off
 * ("nokaslr", or no randomness), per arch/x86/boot/compressed (Linux 6.1):
 * - head_64.S, startup_32 and startup_64: with CONFIG_RELOCATABLE the output address (%rbp/%ebp) is the
 *   load address rounded up to BP_kernel_alignment, raised to LOAD_PHYSICAL_ADDR if below it; without it,
 *   LOAD_PHYSICAL_ADDR. header.S stores LOAD_PHYSICAL_ADDR as pref_address.
 * - misc.c, extract_kernel: choose_random_location returns at once for "nokaslr", leaving output alone;
 *   the kernel is decompressed there, parse_elf lays out its segments relative to output and returns
 *   e_entry - LOAD_PHYSICAL_ADDR (vmlinux's entry is phys_startup_64, its first byte at LOAD_PHYSICAL_ADDR,
 *   so the offset is 0); extract_kernel returns output + that offset.
 * - head_64.S, .Lrelocated: `call extract_kernel` then `jmp *%rax` with RSI = boot_params: the next
 *   instruction executed is the decompressed kernel's startup_64 (arch/x86/kernel/head_64.S) at output.
 */
export function decompressedEntry(h: SetupHeader, load: number): number {
  if (!h.relocatable) return h.prefAddress;
  const output = alignUp(load, h.kernelAlignment);
  return output < h.prefAddress ? h.prefAddress : output;
}

/**
 * RAM a Machine needs for the kernel at `load` (default pref_address) to decompress in place: up to
 * load + init_size (rounded to 1 MiB), counting RAM below 4 GiB as ending at 3 GiB (physical.ts), so a
 * load above 4 GiB gets RAM from 4 GiB up.
 */
export function linuxMemoryNeeded(bytes: Uint8Array, load?: number): number | null {
  const r = guard('kernel', () => {
    const h = parseSetupHeader(bytes);
    const at = load ?? (h.relocatable ? h.prefAddress : 0x100000);
    return { end: decompressedEntry(h, at) + h.initSize };
  });
  if (!r.ok) return null;
  const end = alignUp(r.end, 2 ** 20);
  return end > FOUR_GIB ? 0xc000_0000 + (end - FOUR_GIB) : end;
}

/** Loads the bzImage, fills boot_params and enters the kernel (64-bit or 32-bit entry). */
export function loadLinux(machine: Machine, bytes: Uint8Array, o: LinuxOptions = {}): LoadResult<LinuxLoaded> {
  const file = o.file ?? 'kernel';
  const mode = o.entry ?? 'linux';
  const placed = guard(file, () => place(machine, bytes, mode, o));
  if (!placed.ok) return placed;
  const { h, load, kernelEnd, cmdEnd, initrd } = placed;
  const entry = mode === 'linux' ? load + 0x200 : load;
  const cpu = machine.cpu;
  if (mode === 'linux') {
    const ranges = [
      { start: load, end: kernelEnd },
      { start: BOOT_PARAMS, end: BOOT_PARAMS + 0x1000 },
      { start: CMDLINE, end: cmdEnd },
    ];
    if (initrd) ranges.push(initrd);
    // EFER.NXE stays clear: the kernel's own way into long mode (startup_32 in compressed/head_64.S) sets
    // only EFER.LME, and the kernel proper turns NX on itself (head_64.S secondary_startup_64), so the
    // decompressed kernel is entered with the EFER it has after a 32-bit entry (compared with QEMU in
    // test/linux/boot.test.ts).
    const r = enterLongMode(machine, { entry, ranges, file, nxe: false });
    if (!r.ok) return r;
  } else {
    cpu.reset();
    enterFlat(machine, { entry, long: false });
    machine.stateChanged();
  }
  // boot.rst: RSI/ESI = boot_params; the 32-bit protocol also wants EBP, EDI and EBX zero (reset did that).
  cpu.lo[Reg.RSI] = BOOT_PARAMS;
  cpu.hi[Reg.RSI] = 0;
  return { ok: true, header: h, load, entry, bootParams: BOOT_PARAMS, cmdline: CMDLINE, initrd, kernelEntry: decompressedEntry(h, load) };
}

interface Placed { h: SetupHeader; load: number; kernelEnd: number; cmdEnd: number; initrd: { start: number; end: number } | null }

/** Checks the header against the request and fills memory: kernel, command line, initrd, boot_params. */
function place(machine: Machine, bytes: Uint8Array, mode: 'linux' | 'linux32', o: LinuxOptions): Placed {
  const h = parseSetupHeader(bytes);
  if (mode === 'linux' && !(h.xloadflags & XLF_KERNEL_64)) {
    fail('xloadflags', HDR.xloadflags, `is ${hex(h.xloadflags)}: XLF_KERNEL_64 (bit 0) is clear, so the kernel has no 64-bit entry at load + 0x200 (use --boot linux32)`);
  }
  // boot.rst: a relocatable kernel may go anywhere aligned to kernel_alignment (2^min_alignment at
  // least); a non-relocatable one is loaded at 0x100000 and moves itself to pref_address.
  const load = o.load ?? (h.relocatable ? h.prefAddress : 0x100000);
  if (!h.relocatable && load !== 0x100000) {
    fail('relocatable_kernel', HDR.relocatable_kernel, `is 0: the kernel is not relocatable, so it cannot be loaded at ${hex(load)} (only at 0x100000)`);
  }
  const minAlign = 2 ** h.minAlignment;
  if (h.relocatable && load % minAlign !== 0) {
    fail('load address', -1, `${hex(load)} is not aligned to 2^min_alignment = ${hex(minAlign)} (kernel_alignment ${hex(h.kernelAlignment)} preferred)`);
  }
  if (load < 0x100000) fail('load address', -1, `${hex(load)} is below 1 MiB; the protected-mode kernel goes at 0x100000 or above`);
  const kernelEnd = Math.max(load + h.kernelSize, decompressedEntry(h, load) + h.initSize);
  if (kernelEnd > FOUR_GIB) {
    if (mode === 'linux32') fail('load address', -1, `${hex(load)}: the kernel would extend to ${hex(kernelEnd)}, above 4 GiB, which the 32-bit entry cannot reach`);
    if (!(h.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)) {
      fail('xloadflags', HDR.xloadflags, `is ${hex(h.xloadflags)}: XLF_CAN_BE_LOADED_ABOVE_4G (bit 1) is clear, so the kernel cannot be loaded at ${hex(load)} (it would extend to ${hex(kernelEnd)})`);
    }
  }
  if (load < FOUR_GIB && kernelEnd > FOUR_GIB) fail('load address', -1, `${hex(load)}: the kernel and its decompression buffer (init_size ${hex(h.initSize)}) would cross 4 GiB`);
  checkRam(machine, load, kernelEnd - load, `kernel load range ${hex(load)}-${hex(kernelEnd)} (load address + init_size ${hex(h.initSize)})`);

  // The command line: cmdline_size excludes the terminating NUL (boot.rst).
  const cmdline = new TextEncoder().encode(o.cmdline ?? '');
  if (cmdline.length > h.cmdlineSize) fail('--cmdline', -1, `is ${cmdline.length} bytes; the kernel's cmdline_size allows ${h.cmdlineSize}`);

  const kernel = bytes.subarray(h.kernelOffset);
  machine.load(load, kernel);
  zeroFill(machine, load + kernel.length, kernelEnd - (load + kernel.length));
  const cmd = new Uint8Array(cmdline.length + 1);
  cmd.set(cmdline);
  machine.load(CMDLINE, cmd);

  const initrd = o.initrd ? placeInitrd(machine, h, o.initrd, kernelEnd) : null;
  const bp = bootParams(machine, bytes, h, load, initrd);
  machine.load(BOOT_PARAMS, bp);

  return { h, load, kernelEnd, cmdEnd: CMDLINE + cmd.length, initrd };
}

/**
 * The initrd goes page-aligned as high as initrd_addr_max and RAM below 4 GiB allow (as GRUB and QEMU
 * place it), above the kernel's decompression buffer.
 */
function placeInitrd(machine: Machine, h: SetupHeader, initrd: Uint8Array, kernelEnd: number): { start: number; end: number } {
  const limit = Math.min(h.initrdAddrMax + 1, machine.phys.lowRam);
  const start = Math.floor((limit - initrd.length) / 4096) * 4096;
  const floor = kernelEnd <= FOUR_GIB ? kernelEnd : 0x100000;
  if (start < floor) {
    fail('--initrd', -1, `(${hex(initrd.length)} bytes) does not fit below ${hex(limit)} (initrd_addr_max ${hex(h.initrdAddrMax)}, RAM below 4 GiB ${hex(machine.phys.lowRam)}) above the kernel`);
  }
  machine.load(start, initrd);
  return { start, end: start + initrd.length };
}

/** struct boot_params: zeros, the setup header copied from the image, then the loader's fields. */
function bootParams(machine: Machine, bytes: Uint8Array, h: SetupHeader, load: number, initrd: { start: number; end: number } | null): Uint8Array {
  const bp = new Uint8Array(0x1000);
  const v = new DataView(bp.buffer);
  // boot.rst "64-bit BOOT PROTOCOL": the setup header is copied from offset 0x1f1 of the image to the
  // same offset of boot_params, up to its end (0x202 + the jump's displacement).
  bp.set(bytes.subarray(HDR.setup_sects, h.headerEnd), HDR.setup_sects);
  bp[HDR.type_of_loader] = LOADER_UNDEFINED;
  bp[HDR.loadflags] = (h.loadflags | LOADED_HIGH) & ~KEEP_SEGMENTS;
  v.setUint32(HDR.code32_start, load % FOUR_GIB, true);
  v.setUint32(HDR.cmd_line_ptr, CMDLINE, true);
  v.setUint32(BP_EXT_CMD_LINE_PTR, 0, true);
  if (initrd) {
    const size = initrd.end - initrd.start;
    v.setUint32(HDR.ramdisk_image, initrd.start % FOUR_GIB, true);
    v.setUint32(BP_EXT_RAMDISK_IMAGE, Math.floor(initrd.start / FOUR_GIB), true);
    v.setUint32(HDR.ramdisk_size, size % FOUR_GIB, true);
    v.setUint32(BP_EXT_RAMDISK_SIZE, Math.floor(size / FOUR_GIB), true);
  } else {
    v.setUint32(HDR.ramdisk_image, 0, true);
    v.setUint32(HDR.ramdisk_size, 0, true);
  }
  v.setUint32(HDR.setup_data, 0, true);
  v.setUint32(HDR.setup_data + 4, 0, true);
  // The E820 map the BIOS's int 15h E820h reports for this much RAM (bios.ts e820Map): 20-byte entries
  // { u64 addr, u64 size, u32 type } (struct boot_e820_entry).
  const map = e820Map(machine.phys.lowRam + machine.phys.highRam);
  if (map.length > E820_MAX_ENTRIES_ZEROPAGE) fail('e820 map', -1, `has ${map.length} entries; boot_params holds ${E820_MAX_ENTRIES_ZEROPAGE}`);
  bp[BP_E820_ENTRIES] = map.length;
  map.forEach((e, k) => {
    const at = BP_E820_TABLE + k * 20;
    v.setUint32(at, e.base % FOUR_GIB, true);
    v.setUint32(at + 4, Math.floor(e.base / FOUR_GIB), true);
    v.setUint32(at + 8, e.length % FOUR_GIB, true);
    v.setUint32(at + 12, Math.floor(e.length / FOUR_GIB), true);
    v.setUint32(at + 16, e.type, true);
  });
  return bp;
}

