// rom.ts: the built-in BIOS's 64 KiB ROM image (F000:0000–F000:FFFF), generated here byte by byte: one
// small real-mode stub per BIOS service vector that hands the call to TypeScript through an I/O port,
// hardware-interrupt stubs that send the PIC its EOI, a default IRET, and the fixed tables a PC BIOS has.
//
// Service stub for vector N (16-bit code; the GAS source is given so the bytes can be checked by eye):
//         push  %dx                 # 52         the caller's DX: the service reads and updates it here
//     1:  mov   $0x500+N, %dx       # BA lo hi   BIOS service port for vector N (BIOS_PORT_BASE + N)
//         out   %al, %dx            # EE         → BiosServices.out: the service runs in TypeScript
//         test  %dx, %dx            # 85 D2      the service leaves DX = 0 when done,
//         jz    2f                  # 74 03      DX = 1 to be called again (int 16h waiting for a key)
//         sti                       # FB         let interrupts in while waiting, as a BIOS does
//         jmp   1b                  # EB F4
//     2:  pop   %dx                 # 5A
//         iret                      # CF         returns the FLAGS image the service patched on the stack
// While the service runs, SS:SP points at the saved DX, then IP, CS and FLAGS (SP+0, +2, +4, +6).
//
// Hardware interrupt stub for IRQ n (vectors 08h–0Fh, 70h–77h): the service port is told first (the
// timer's IRQ 0 counts BDA ticks there), then the EOI (8259A datasheet, "non-specific EOI", OCW2 = 20h):
//         push  %dx; push %ax
//         mov   $0x500+V, %dx; out %al, %dx
//         mov   $0x20, %al
//         out   %al, $0xA0          # (IRQ 8–15 only) EOI to the slave PIC first
//         out   %al, $0x20          # EOI to the master PIC
//         pop   %ax; pop %dx; iret

/** Physical address of the ROM and its size. */
export const ROM_BASE = 0xf0000;
export const ROM_SIZE = 0x10000;
/** The ROM's segment: every IVT entry the BIOS installs is F000:offset. */
export const ROM_SEGMENT = 0xf000;
/**
 * The BIOS service ports: the stub for vector N writes port BIOS_PORT_BASE + N (0x500–0x5FF). The range
 * is unused on PC/AT-compatible machines (ISA decodes 0x000–0x3FF; 0x500 aliases nothing that exists).
 */
export const BIOS_PORT_BASE = 0x500;
export const BIOS_PORT_LAST = 0x5ff;

/** The vectors whose calls run in TypeScript (BiosServices). */
export const SERVICE_VECTORS = [0x10, 0x11, 0x12, 0x13, 0x15, 0x16, 0x19, 0x1a] as const;
/** Hardware interrupt vectors as the BIOS programs the PICs: IRQ 0–7 at 08h, IRQ 8–15 at 70h. */
export const IRQ_VECTORS = [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77] as const;

// Fixed offsets in the ROM segment.
/** The system configuration table int 15h AH=C0h returns (IBM PS/2 BIOS Interface Technical Reference). */
export const CONFIG_TABLE_OFFSET = 0xe6f5; // where the IBM PC/AT BIOS keeps it
/** A lone IRET: the handler of every vector the BIOS does not serve. */
export const DEFAULT_IRET_OFFSET = 0xff53; // the IBM PC/AT BIOS's dummy interrupt handler
/** `cli; hlt; jmp .-2`: where int 19h goes when there is nothing to boot. */
export const HALT_OFFSET = 0xff40;
const STUBS_OFFSET = 0x1000;
const STUB_SIZE = 32;

/** The IVT entry (offset in F000) of each vector's handler. */
export function handlerOffset(vector: number): number {
  if ((SERVICE_VECTORS as readonly number[]).includes(vector) || (IRQ_VECTORS as readonly number[]).includes(vector)) {
    return STUBS_OFFSET + vector * STUB_SIZE;
  }
  return DEFAULT_IRET_OFFSET;
}

/** Builds the 64 KiB ROM image. */
export function buildRom(): Uint8Array {
  const rom = new Uint8Array(ROM_SIZE).fill(0xff);
  const put = (at: number, bytes: number[]): void => { rom.set(bytes, at); };
  for (const v of SERVICE_VECTORS) {
    const port = BIOS_PORT_BASE + v;
    put(handlerOffset(v), [
      0x52, // push %dx
      0xba, port & 0xff, port >> 8, // 1: mov $port, %dx
      0xee, // out %al, %dx
      0x85, 0xd2, // test %dx, %dx
      0x74, 0x03, // jz 2f
      0xfb, // sti
      0xeb, 0xf5, // jmp 1b (from offset 12 back to offset 1: the mov)
      0x5a, // 2: pop %dx
      0xcf, // iret
    ]);
  }
  for (const v of IRQ_VECTORS) {
    const port = BIOS_PORT_BASE + v;
    const slave = v >= 0x70;
    put(handlerOffset(v), [
      0x52, 0x50, // push %dx; push %ax
      0xba, port & 0xff, port >> 8, 0xee, // mov $port, %dx; out %al, %dx
      0xb0, 0x20, // mov $0x20, %al
      ...(slave ? [0xe6, 0xa0] : []), // out %al, $0xA0
      0xe6, 0x20, // out %al, $0x20
      0x58, 0x5a, 0xcf, // pop %ax; pop %dx; iret
    ]);
  }
  rom[DEFAULT_IRET_OFFSET] = 0xcf;
  put(HALT_OFFSET, [0xfa, 0xf4, 0xeb, 0xfd]); // cli; 1: hlt; jmp 1b
  // System configuration table: length 8, model FCh (AT), submodel 01h, BIOS revision 0, feature byte 1
  // = 64h (bit 6 second 8259 present, bit 5 RTC present, bit 2 EBDA allocated), feature bytes 2–5 zero.
  put(CONFIG_TABLE_OFFSET, [0x08, 0x00, 0xfc, 0x01, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00]);
  // The reset vector F000:FFF0 (SDM Vol.3A §9.1.4: CS.base FFFF0000h, EIP FFF0h; the ROM is aliased
  // there): nothing to power on into, so halt. Then the BIOS date and the model byte (IBM AT Tech. Ref.).
  put(0xfff0, [0xea, HALT_OFFSET & 0xff, HALT_OFFSET >> 8, 0x00, 0xf0]); // ljmp $0xf000, $HALT_OFFSET
  put(0xfff5, [...'01/01/26'].map((c) => c.charCodeAt(0)));
  rom[0xfffe] = 0xfc;
  return rom;
}
