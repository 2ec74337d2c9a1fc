/* high.S: code executing at linear addresses above 4 GiB: PDPT[4] aliases PDPT[0], so linear
 * 0x1_0000_0000 + x maps to physical x (SDM Vol.3A §4.5); the program jumps to the alias of its own code,
 * prints RIP from there (relative calls stay in the alias), and returns to the low mapping. */
	.include "lib.S"
main:
	call build_paging
	mov pdpt, %eax
	mov %eax, pdpt + 4 * 8
	call enable_long
	ljmp $SEL_CODE64, $long1

	.code64
long1:
	PUTS64 m_low
	mov $high_code, %eax
	bts $32, %rax
	jmp *%rax
high_code:
	lea 0(%rip), %rax
	PUTS64 m_rip
	HEX64 %rax
	call newline64
	/* A call and a return up here: the pushed return address is above 4 GiB as well. */
	call here
here:
	pop %rax
	PUTS64 m_ret
	HEX64 %rax
	call newline64
	mov $low_again, %eax
	jmp *%rax
low_again:
	lea 0(%rip), %rax
	PUTS64 m_back
	HEX64 %rax
	call newline64
	EXIT 0
	.code32

	.data
m_low:	.asciz "64-bit mode, low\n"
m_rip:	.asciz "running above 4 GiB: rip="
m_ret:	.asciz "pushed return address="
m_back:	.asciz "back below 4 GiB: rip="
