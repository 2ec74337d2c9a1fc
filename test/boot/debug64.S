/* debug64.S: the single-step trap and an instruction breakpoint in 64-bit mode (SDM Vol.3B §17.3.1.1,
 * §17.3.1.4; Vol.2 SYSCALL). The #DB handler prints where it returns to (as an offset from `base`), DR6
 * and the TF bit of the RFLAGS image, writes DR6 = 0 and sets RF in the image after an instruction
 * breakpoint (IRETQ loads RF, SDM Vol.2 IRET). */
	.include "lib.S"
main:
	call build_paging
	call setup_idt64
	mov $idt64, %edi
	mov $1, %ecx
	mov $db64, %edx
	mov $0x8e00, %eax
	call set_gate64
	call enable_long
	ljmp $SEL_CODE64, $long1

	.code64
long1:
	lidt idt64_ptr(%rip)
	xor %eax, %eax
	mov %rax, %dr6

	PUTS64 m_t1
	pushfq
	orq $0x100, (%rsp)
	popfq                                /* sets TF: no trap */
base:
	nop                                  /* trap */
	mov $0x123456789, %rax               /* trap */
	pushfq                               /* trap */
	andq $~0x100, (%rsp)                 /* trap */
	popfq                                /* trap (TF was 1 when it began) */
	nop
	PUTS64 m_count
	mov db_count(%rip), %eax
	HEX64 %rax
	call newline64

	/* An instruction breakpoint on `bp1` (DR0, G0, R/W0 = LEN0 = 00): a fault before it, B0. */
	PUTS64 m_t2
	movl $0, db_count(%rip)
	mov $bp1, %eax
	mov %rax, %dr0
	mov $0x402, %eax
	mov %rax, %dr7
	nop
bp1:
	nop
	xor %eax, %eax
	mov %rax, %dr7
	PUTS64 m_count
	mov db_count(%rip), %eax
	HEX64 %rax
	call newline64
	EXIT 0

/* #DB: prints "db at=<RIP - base> dr6=<DR6> tf=<image TF>". Frame: RIP 0, CS 8, RFLAGS 16 (+ pushes). */
db64:
	push %rax
	push %rbx
	incl db_count(%rip)
	PUTS64 m_db
	mov $base, %ebx
	mov 16(%rsp), %rax
	sub %rbx, %rax
	HEX64 %rax
	PUTS64 m_dr6
	mov %dr6, %rbx
	HEX64 %rbx
	PUTS64 m_tf
	mov 32(%rsp), %rax
	shr $8, %eax
	and $1, %eax
	HEX64 %rax
	call newline64
	test $0xf, %bl
	jz 1f
	orq $0x10000, 32(%rsp)               /* RF */
1:	xor %eax, %eax
	mov %rax, %dr6
	pop %rbx
	pop %rax
	iretq

	.data
db_count: .long 0
m_t1:	.asciz "1: single-step\n"
m_t2:	.asciz "2: DR0 instruction breakpoint\n"
m_count: .asciz "#DB count="
m_db:	.asciz "db at="
m_dr6:	.asciz " dr6="
m_tf:	.asciz " tf="
