/* rfrep.S: the RF bit of the EFLAGS image an event handler receives (SDM Vol.3B §17.3.1.1, "When calling
 * an event handler, Intel 64 and IA-32 processors establish the value of the RF flag in the EFLAGS image
 * pushed on the stack"): 1 for a fault-class exception other than an instruction-breakpoint #DB, and for
 * a trap-class exception raised by any iteration of a repeated string instruction but the last; RF as it
 * was (0 here) for the instruction-breakpoint #DB and for a trap after a completed instruction. The #DB
 * handler prints where it returns to (offset from `base`), ECX, the image's RF and DR6's B0/BS bits,
 * writes DR6 = 0, and sets RF in the image so that IRET resumes past an instruction breakpoint. */
	.include "lib.S"

	.set RW_W, 1
	.set LEN1, 0

main:
	call setup_idt32
	mov $idt32, %edi
	mov $1, %ecx
	mov $db_handler, %edx
	mov $0x8e00, %eax
	call set_gate32
	mov $6, %ecx
	mov $ud_handler, %edx
	call set_gate32
	xor %eax, %eax
	mov %eax, %dr6

	/* 1. Single-stepping REP STOSB with ECX = 3: traps after iterations 1 and 2 (on the REP
	 * instruction: RF 1) and after the last (past it: RF 0). */
	PUTS32 m_t1
	mov $buf, %edi
	mov $3, %ecx
	pushf
	orl $0x100, (%esp)
	popf
base:
	rep stosb
	pushf
	andl $~0x100, (%esp)
	popf

	/* 2. A data breakpoint on buf+1 met by the second of four REP STOSB iterations: the #DB comes
	 * on the REP instruction with ECX = 2 and RF 1. A plain MOVB meeting it: RF 0. */
	PUTS32 m_t2
	mov $buf+1, %eax
	mov %eax, %dr0
	mov $(0x400 | 1 | (RW_W << 16) | (LEN1 << 18)), %eax
	mov %eax, %dr7
	mov $buf, %edi
	mov $4, %ecx
	rep stosb
	movb $0, buf+1
	xor %eax, %eax
	mov %eax, %dr7

	/* 3. An instruction breakpoint (DR0 on `bp3`, L0): the #DB fault pushes RF as it was, 0. */
	PUTS32 m_t3
	mov $bp3, %eax
	mov %eax, %dr0
	mov $(0x400 | 1), %eax
	mov %eax, %dr7
	xor %ecx, %ecx
bp3:	nop
	xor %eax, %eax
	mov %eax, %dr7

	/* 4. A fault-class exception (#UD from UD2): RF 1 in the image. */
	PUTS32 m_t4
	ud2
	EXIT 0

/* #DB: "db at=<EIP - base> ecx=<ECX> rf=<image RF> dr6=<DR6 & 0x400F>". Frame after PUSHA: ECX 24,
 * EIP 32, CS 36, EFLAGS 40. */
db_handler:
	pusha
	PUTS32 m_db
	mov 32(%esp), %eax
	sub $base, %eax
	HEX32 %eax
	PUTS32 m_ecx
	HEX32 24(%esp)
	PUTS32 m_rf
	mov 40(%esp), %eax
	shr $16, %eax
	and $1, %eax
	HEX32 %eax
	PUTS32 m_dr6
	mov %dr6, %eax
	and $0x400f, %eax
	HEX32 %eax
	call newline32
	xor %eax, %eax
	mov %eax, %dr6
	orl $0x10000, 40(%esp)
	popa
	iret

/* #UD: "ud rf=<image RF>", then past the 2-byte UD2. Frame after PUSHA: EIP 32, EFLAGS 40. */
ud_handler:
	pusha
	PUTS32 m_ud
	mov 40(%esp), %eax
	shr $16, %eax
	and $1, %eax
	HEX32 %eax
	call newline32
	addl $2, 32(%esp)
	popa
	iret

	.data
	.align 16
buf:	.skip 16
m_t1:	.asciz "1: single-stepping REP STOSB\n"
m_t2:	.asciz "2: data breakpoint inside REP STOSB, then after MOVB\n"
m_t3:	.asciz "3: instruction breakpoint\n"
m_t4:	.asciz "4: #UD\n"
m_db:	.asciz "db at="
m_ecx:	.asciz " ecx="
m_rf:	.asciz " rf="
m_dr6:	.asciz " dr6="
m_ud:	.asciz "ud rf="
