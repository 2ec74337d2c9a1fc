/* debug.S: the single-step trap and instruction breakpoints (SDM Vol.3B §17.3.1.1, §17.3.1.4; Vol.3A
 * §6.8.3). The #DB handler prints where it returns to (as an offset from `base`), DR6, and the TF bit of
 * the EFLAGS image; it writes DR6 = 0 (SDM Vol.3B §17.2.3: the processor never clears DR6 itself) and
 * sets RF in the image after an instruction breakpoint so IRET resumes without re-triggering it. */
	.include "lib.S"
main:
	call setup_idt32
	mov $idt32, %edi
	mov $1, %ecx
	mov $db_handler, %edx
	mov $0x8e00, %eax                    /* interrupt gate */
	call set_gate32
	mov $3, %ecx
	mov $bp_handler, %edx
	mov $0x8f00, %eax                    /* trap gate */
	call set_gate32
	mov $0x80, %ecx
	mov $bp_handler, %edx
	call set_gate32
	xor %eax, %eax
	mov %eax, %dr6

	/* 1. Single-stepping: no trap after the POPF that sets TF; one after each instruction that follows
	 * (MOV from SS included); none after MOV to SS (its shadow holds the trap over the next one, and
	 * one #DB reports it); none after INT n / INT3 (the handler runs with TF = 0; its IRET restores
	 * TF = 1 and, having begun with TF = 0, does not trap); one after the POPF that clears TF. */
	PUTS32 m_t1
	pushf
	orl $0x100, (%esp)
	popf
base:
	nop
	nop
	mov %ss, %ax
	mov %ax, %ss
	nop
	int $0x80
	nop
	int3
	nop
	pushf
	andl $~0x100, (%esp)
	popf
	nop
	PUTS32 m_count
	HEX32 db_count
	call newline32

	/* 2. An instruction breakpoint on `bp1` (DR0, R/W0 = LEN0 = 00, L0 = 1): a fault before it runs,
	 * each of the three times the loop gets there; DR6.B0 set. Then with DR7.L0 clear: none. */
	PUTS32 m_t2
	movl $0, db_count
	mov $bp1, %eax
	mov %eax, %dr0
	mov $0x401, %eax
	mov %eax, %dr7
	mov $3, %ecx
loop1:
	nop
bp1:
	dec %ecx
	jnz loop1
	mov $0x400, %eax
	mov %eax, %dr7
	mov $2, %ecx
loop2:
	dec %ecx
	jnz loop2
	PUTS32 m_count
	HEX32 db_count
	call newline32
	mov %dr7, %eax
	PUTS32 m_dr7
	HEX32 %eax
	call newline32

	/* 3. A breakpoint and single-stepping at once: DR1 (G1) on `bp2`, TF set. The NOP before `bp2` traps,
	 * and that one #DB also reports the breakpoint `bp2` meets (DR6 = BS | B1: a debug exception may
	 * report several conditions, SDM Vol.3B §17.3); the handler sets RF, so `bp2` runs and traps. */
	PUTS32 m_t3
	movl $0, db_count
	mov $bp2, %eax
	mov %eax, %dr1
	mov $0x408, %eax
	mov %eax, %dr7
	pushf
	orl $0x100, (%esp)
	popf
	nop
bp2:
	nop
	pushf
	andl $~0x100, (%esp)
	popf
	mov $0x400, %eax
	mov %eax, %dr7
	PUTS32 m_count
	HEX32 db_count
	call newline32
	EXIT 0

/* #DB: prints "db at=<EIP - base> dr6=<DR6> tf=<image TF>". Frame after PUSHA: EIP 32(%esp), EFLAGS 40. */
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
	PUTS32 m_tf
	mov 40(%esp), %eax
	shr $8, %eax
	and $1, %eax
	HEX32 %eax
	call newline32
	test $0xf, %ebx
	jz 1f
	orl $0x10000, 40(%esp)               /* RF: resume past the instruction breakpoint */
1:	xor %eax, %eax
	mov %eax, %dr6
	popa
	iret

/* INT3 and INT $0x80: print the TF bit of the EFLAGS image (1: the caller was single-stepping). */
bp_handler:
	pusha
	PUTS32 m_bp
	mov 40(%esp), %eax
	shr $8, %eax
	and $1, %eax
	HEX32 %eax
	call newline32
	popa
	iret

	.data
db_count: .long 0
m_t1:	.asciz "1: single-step\n"
m_t2:	.asciz "2: DR0 instruction breakpoint\n"
m_t3:	.asciz "3: breakpoint and single-step\n"
m_count: .asciz "#DB count="
m_dr7:	.asciz "dr7="
m_db:	.asciz "db at="
m_dr6:	.asciz " dr6="
m_tf:	.asciz " tf="
m_bp:	.asciz "software interrupt, image tf="
