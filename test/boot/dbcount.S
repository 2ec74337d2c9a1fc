/* dbcount.S: the #DB handler the data- and I/O-breakpoint programs share (debugdata.S, debugio.S). It
 * prints where each debug exception was taken (EIP relative to the program's `base`), DR6 and ECX, clears
 * DR6 (the processor never does, SDM Vol.3B §17.2.3) and counts them; `count` prints and resets the count.
 * Included where the including program's 32-bit code continues. */
/* Prints "#DB count=N" and resets the count. */
count:
	PUTS32 m_count
	HEX32 db_count
	call newline32
	movl $0, db_count
	ret

/* #DB: prints "db at=<EIP - base> dr6=<DR6> ecx=<ECX>". Frame after PUSHA: ECX 24(%esp), EIP 32. */
db_handler:
	pusha
	incl db_count
	PUTS32 m_db
	mov 32(%esp), %eax
	sub $base, %eax
	HEX32 %eax
	PUTS32 m_dr6
	mov %dr6, %ebx
	HEX32 %ebx
	PUTS32 m_ecx
	HEX32 24(%esp)
	call newline32
	xor %eax, %eax
	mov %eax, %dr6
	popa
	iret

	.data
db_count: .long 0
m_count: .asciz "#DB count="
m_db:	.asciz "db at="
m_dr6:	.asciz " dr6="
m_ecx:	.asciz " ecx="
	.text
