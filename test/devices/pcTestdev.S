/* pcTestdev.S: exercises QEMU's pc-testdev (hw/misc/pc-testdev.c) — the read-back register at ports
 * 0xE0–0xE3 at every width and offset, the flush port reading 0, the IRQ line ports (IRQ 3 raised,
 * seen in the master 8259's IRR through OCW3), and the MMIO buffer at 0xFF000000. Built with lib.S
 * (test/boot) into a Multiboot ELF32; run on QEMU with -device pc-testdev and on ours with
 * --device pc-testdev, the console must be the same. */
	.include "lib.S"
main:
	mov $0x12345678, %eax
	out %eax, $0xe0
	in $0xe0, %eax                     /* the whole register */
	HEX32 %eax
	call newline32
	xor %eax, %eax
	in $0xe1, %al                      /* byte 1: 0x56 */
	HEX32 %eax
	call newline32
	xor %eax, %eax
	in $0xe2, %ax                      /* bytes 2..3: 0x1234 */
	HEX32 %eax
	call newline32
	mov $0xab, %al
	out %al, $0xe3                     /* replaces byte 3 only */
	mov $0xcdef, %ax
	out %ax, $0xe1                     /* unaligned: QEMU's memory core drops it */
	in $0xe0, %eax                     /* 0xab345678 */
	HEX32 %eax
	call newline32
	mov $0x11223344, %eax
	out %eax, $0xe2                    /* unaligned dword: dropped too */
	in $0xe0, %eax
	HEX32 %eax
	call newline32
	in $0xe2, %eax                     /* unaligned dword read: 0 */
	HEX32 %eax
	call newline32
	mov $0x5a5a, %ax
	out %ax, $0xe2                     /* aligned word: bytes 2..3 */
	in $0xe0, %eax                     /* 0x5a5a5678 */
	HEX32 %eax
	call newline32
	in $0xe4, %eax                     /* flush page: reads 0 */
	HEX32 %eax
	call newline32

	/* IRQ lines: port 0x2000 + 3 raises ISA IRQ 3; OCW3 (0x0a) selects the IRR for reading. */
	mov $1, %al
	mov $0x2003, %dx
	out %al, %dx
	mov $0x0a, %al
	out %al, $0x20
	in $0x20, %al
	and $0x08, %eax
	HEX32 %eax
	call newline32
	xor %eax, %eax
	mov $0x2003, %dx
	out %al, %dx

	/* MMIO read-back at 0xFF000000 (paging is off: physical = linear). */
	movl $0xdeadbeef, 0xff000000
	movb $0x11, 0xff000001
	mov 0xff000000, %eax
	HEX32 %eax
	call newline32
	movzwl 0xff000002, %eax
	HEX32 %eax
	call newline32
	movl $0xcafef00d, 0xff00fffc       /* the last dword of the 64 KiB buffer */
	mov 0xff00fffc, %eax
	HEX32 %eax
	call newline32
	EXIT 3
