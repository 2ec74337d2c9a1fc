// linuxHeader.ts: reads the real-mode setup header of a Linux bzImage (Documentation/arch/x86/boot.rst,
// "The Real-Mode Kernel Header"): the fields a 64-bit or 32-bit boot loader needs, each checked against
// the protocol version that introduced it, and failures naming the field, its offset and its value.
import { ByteReader, fail, hex } from './image';

/** Offsets in the bzImage (equal to the offsets in struct boot_params, whose hdr starts at 0x1f1). */
export const HDR = {
  setup_sects: 0x1f1, syssize: 0x1f4, boot_flag: 0x1fe, jump: 0x200, header: 0x202, version: 0x206,
  type_of_loader: 0x210, loadflags: 0x211, code32_start: 0x214, ramdisk_image: 0x218, ramdisk_size: 0x21c,
  heap_end_ptr: 0x224, cmd_line_ptr: 0x228, initrd_addr_max: 0x22c, kernel_alignment: 0x230,
  relocatable_kernel: 0x234, min_alignment: 0x235, xloadflags: 0x236, cmdline_size: 0x238,
  payload_offset: 0x248, payload_length: 0x24c, setup_data: 0x250, pref_address: 0x258, init_size: 0x260,
} as const;

/** "HdrS" read as a little-endian 32-bit word. */
export const HDRS_MAGIC = 0x53726448;
/** loadflags bit 0: the protected-mode code is loaded at 0x100000 (a bzImage), boot.rst. */
export const LOADED_HIGH = 1 << 0;
/** loadflags bit 7: the loader has set heap_end_ptr. */
export const CAN_USE_HEAP = 1 << 7;
/** xloadflags bits (boot.rst, protocol 2.12). */
export const XLF_KERNEL_64 = 1 << 0;
export const XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1;
/** The oldest protocol with xloadflags (the 64-bit entry at load + 0x200 is announced there). */
export const MIN_PROTOCOL = 0x020c;

export interface SetupHeader {
  /** Sectors of real-mode setup after the boot sector (a 0 in the file means 4). */
  setupSects: number;
  /** File offset of the protected-mode kernel: (setup_sects + 1) * 512. */
  kernelOffset: number;
  /** Bytes of the protected-mode kernel in the file. */
  kernelSize: number;
  /** Boot protocol version, e.g. 0x020f for 2.15. */
  version: number;
  loadflags: number;
  xloadflags: number;
  code32Start: number;
  initrdAddrMax: number;
  kernelAlignment: number;
  relocatable: boolean;
  minAlignment: number;
  /** Longest command line the kernel accepts, without the terminating NUL. */
  cmdlineSize: number;
  payloadOffset: number;
  payloadLength: number;
  prefAddress: number;
  /** Bytes of memory the kernel needs from its load address while it decompresses itself. */
  initSize: number;
  /** End (exclusive) of the setup header: 0x202 + the byte at 0x201 (the jump's displacement). */
  headerEnd: number;
}

/** "2.15" from 0x020f. */
export function protocolName(version: number): string {
  return `${version >> 8}.${version & 0xff}`;
}

/** Parses and validates the setup header; fails (LoadFailure) naming the field at fault. */
export function parseSetupHeader(bytes: Uint8Array): SetupHeader {
  const r = new ByteReader(bytes);
  if (bytes.length < HDR.header + 4 || r.u32(HDR.header, 'header') !== HDRS_MAGIC) {
    const got = bytes.length >= HDR.header + 4 ? hex(r.u32(HDR.header, 'header')) : 'nothing (file too short)';
    fail('setup header magic', HDR.header, `is ${got}, not "HdrS" (${hex(HDRS_MAGIC)}): not a Linux bzImage`);
  }
  const version = r.u16(HDR.version, 'version');
  if (version < MIN_PROTOCOL) {
    fail('setup header version', HDR.version, `is ${protocolName(version)} (${hex(version)}); protocol 2.12 or later is needed (xloadflags and the 64-bit entry)`);
  }
  const raw = r.u8(HDR.setup_sects, 'setup_sects');
  const setupSects = raw === 0 ? 4 : raw; // boot.rst: "If this field is 0, the real value is 4."
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= bytes.length) {
    fail('setup_sects', HDR.setup_sects, `(${raw}) puts the protected-mode kernel at ${hex(kernelOffset)}, at or beyond the end of the file (size ${hex(bytes.length)})`);
  }
  const loadflags = r.u8(HDR.loadflags, 'loadflags');
  if (!(loadflags & LOADED_HIGH)) fail('loadflags', HDR.loadflags, `is ${hex(loadflags)}: LOADED_HIGH (bit 0) is clear, a zImage loaded at 0x10000, which this loader does not support`);
  // syssize (2.04+) counts 16-byte paragraphs of the protected-mode kernel; the file must hold them all.
  const syssize = r.u32(HDR.syssize, 'syssize');
  if (kernelOffset + syssize * 16 > bytes.length) {
    fail('syssize', HDR.syssize, `(${hex(syssize)} paragraphs = ${hex(syssize * 16)} bytes) extends beyond the end of the file (size ${hex(bytes.length)}): truncated image`);
  }
  const kernelAlignment = r.u32(HDR.kernel_alignment, 'kernel_alignment');
  if (kernelAlignment === 0 || (kernelAlignment & (kernelAlignment - 1)) !== 0) {
    fail('kernel_alignment', HDR.kernel_alignment, `is ${hex(kernelAlignment)}, not a power of two`);
  }
  const payloadOffset = r.u32(HDR.payload_offset, 'payload_offset');
  const payloadLength = r.u32(HDR.payload_length, 'payload_length');
  if (kernelOffset + payloadOffset + payloadLength > bytes.length) {
    fail('payload_offset', HDR.payload_offset, `+ payload_length (${hex(payloadOffset)} + ${hex(payloadLength)}) extends beyond the end of the file: truncated image`);
  }
  const initSize = r.u32(HDR.init_size, 'init_size');
  if (initSize === 0) fail('init_size', HDR.init_size, 'is 0');
  return {
    setupSects,
    kernelOffset,
    kernelSize: bytes.length - kernelOffset,
    version,
    loadflags,
    xloadflags: r.u16(HDR.xloadflags, 'xloadflags'),
    code32Start: r.u32(HDR.code32_start, 'code32_start'),
    initrdAddrMax: r.u32(HDR.initrd_addr_max, 'initrd_addr_max'),
    kernelAlignment,
    relocatable: r.u8(HDR.relocatable_kernel, 'relocatable_kernel') !== 0,
    minAlignment: r.u8(HDR.min_alignment, 'min_alignment'),
    cmdlineSize: r.u32(HDR.cmdline_size, 'cmdline_size'),
    payloadOffset,
    payloadLength,
    prefAddress: r.u64(HDR.pref_address, 'pref_address'),
    initSize,
    headerEnd: 0x202 + r.u8(0x201, 'jump'),
  };
}
