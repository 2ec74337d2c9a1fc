/* vgaText.S: VGA text memory at 0xB8000 (mode 3, 80x25, character then attribute): writes to the first
 * cell pair, the last pair of the 80x25 page and the last byte of the B8000–BFFFF window read back.
 * Run on QEMU with -device VGA and on ours; the console must agree. */
	.include "lib.S"
main:
	movl $0x07690748, 0xb8000          /* 'H','i' grey on black: row 0 */
	movl $0x1f211f21, 0xb8f9c          /* '!','!' at row 24, columns 78–79 */
	mov 0xb8000, %eax
	HEX32 %eax
	call newline32
	mov 0xb8f9c, %eax
	HEX32 %eax
	call newline32
	movb $0x5a, 0xbfffe
	movzbl 0xbfffe, %eax
	HEX32 %eax
	call newline32
	EXIT 1
