/* debugdata.S: data breakpoints (SDM Vol.3B §17.2.4-§17.2.5, §17.3.1.2), general detect (§17.3.1.3),
 * DR4/DR5 (§17.2.2) and the single-step trap of a REP string instruction (§17.3.1.4). Data breakpoints
 * are traps: the #DB handler sees the instruction done and EIP past it, or on a REP instruction with
 * iterations left. The handler prints where it returns to (as an offset from `base`), DR6 and ECX, and
 * writes DR6 = 0 (the processor never clears DR6 itself, §17.2.3). Breakpoint addresses here are aligned
 * to their length: QEMU does not mask the low bits of an unaligned one as §17.2.5 says (test/cpu covers that). */
	.include "lib.S"

	/* DR7 fields (§17.2.4): Ln = bit 2n, Gn = bit 2n+1, R/Wn at 16+4n, LENn at 18+4n. */
	.set RW_W, 1                         /* data writes */
	.set RW_RW, 3                        /* data reads or writes */
	.set LEN1, 0
	.set LEN2, 1
	.set LEN8, 2
	.set LEN4, 3
	.set DR7_GD, 0x2000
	.set CR4_DE, 0x8

main:
	call setup_idt32
	mov $idt32, %edi
	mov $1, %ecx
	mov $db_handler, %edx
	mov $0x8e00, %eax                    /* interrupt gate */
	call set_gate32
	xor %eax, %eax
	mov %eax, %dr6

	/* 1. DR0 on writes to the 4 bytes at `var` (L0): the read does not trap; writes to its last byte, to a
	 * word that overlaps its first byte, trap once each; a write just past it does not. */
	PUTS32 m_t1
	mov $var, %eax
	mov %eax, %dr0
	mov $(0x400 | 1 | (RW_W << 16) | (LEN4 << 18)), %eax
	mov %eax, %dr7
base:
	mov var, %eax
	movb $1, var+3
	movw $2, var-1
	movl $3, var+4
	nop
	call count

	/* 2. DR1 on reads or writes of the 2 bytes at var2+2 (G1): a byte read beside them does not trap; a
	 * byte read of the second, a dword read covering both, a compare (a read) and an increment (read and
	 * write, one #DB) do. */
	PUTS32 m_t2
	mov $var2+2, %eax
	mov %eax, %dr1
	mov $(0x400 | 8 | (RW_RW << 20) | (LEN2 << 22)), %eax
	mov %eax, %dr7
	movb var2+1, %al
	movb var2+3, %al
	mov var2, %eax
	cmpb $0, var2+2
	incw var2+2
	nop
	call count

	/* 3. DR2 with LEN = 10b: 8 bytes at var8 (L2). The byte at var8+7 traps, var8+8 does not. */
	PUTS32 m_t3
	mov $var8, %eax
	mov %eax, %dr2
	mov $(0x400 | 0x10 | (RW_W << 24) | (LEN8 << 26)), %eax
	mov %eax, %dr7
	movb $0, var8+8
	movb $0, var8+7
	nop
	call count

	/* 4. DR0 (L0) and DR1 (G1) both on writes to var, DR3 too but not enabled: one #DB, B0 and B1. */
	PUTS32 m_t4
	mov $var, %eax
	mov %eax, %dr0
	mov %eax, %dr1
	mov %eax, %dr3
	mov $(0x400 | 1 | 8 | (RW_W << 16) | (LEN4 << 18) | (RW_W << 20) | (LEN4 << 22) | (RW_W << 28) | (LEN4 << 30)), %eax
	mov %eax, %dr7
	movl $5, var
	nop
	call count

	/* 5. REP STOSB over 16 bytes with DR0 on writes to buf+5: the #DB comes after the sixth iteration,
	 * on the REP instruction with ECX = 10; the rest runs on return. Then REP MOVSL reading from src with
	 * DR0 on reads or writes of src+8: after the third iteration, ECX = 1. */
	PUTS32 m_t5
	mov $buf+5, %eax
	mov %eax, %dr0
	mov $(0x400 | 1 | (RW_W << 16) | (LEN1 << 18)), %eax
	mov %eax, %dr7
	cld
	mov $buf, %edi
	mov $16, %ecx
	mov $0x5a, %al
	rep stosb
	PUTS32 m_edi
	sub $buf, %edi
	HEX32 %edi
	call newline32
	mov $src+8, %eax
	mov %eax, %dr0
	mov $(0x400 | 1 | (RW_RW << 16) | (LEN4 << 18)), %eax
	mov %eax, %dr7
	mov $src, %esi
	mov $buf, %edi
	mov $4, %ecx
	rep movsl
	PUTS32 m_edi
	sub $buf, %edi
	HEX32 %edi
	call newline32
	mov $0x400, %eax
	mov %eax, %dr7
	call count

	/* 6. General detect: with DR7.GD set, MOV from DR0 faults before it runs, DR6.BD set; the processor
	 * clears GD on entry to the handler, so the MOV then runs. */
	PUTS32 m_t6
	mov $(0x400 | DR7_GD), %eax
	mov %eax, %dr7
	mov %dr0, %eax
	mov %dr7, %eax
	PUTS32 m_dr7
	HEX32 %eax
	call newline32
	call count
	mov $0x400, %eax                     /* in case GD is still set (QEMU 7.2 ignores it) */
	mov %eax, %dr7

	/* 7. DR4 and DR5: aliases of DR6 and DR7 with CR4.DE = 0, #UD with CR4.DE = 1. */
	PUTS32 m_t7
	mov %dr5, %eax
	PUTS32 m_dr7
	HEX32 %eax
	call newline32
	mov %cr4, %eax
	or $CR4_DE, %eax
	mov %eax, %cr4
	TRY32 1f
	mov %dr4, %eax
1:	mov %cr4, %eax
	and $~CR4_DE, %eax
	mov %eax, %cr4

	/* 8. Single-stepping REP STOSB with ECX = 3: a trap after each iteration, on the REP instruction
	 * while iterations remain, after the last one past it. */
	PUTS32 m_t8
	mov $buf, %edi
	mov $3, %ecx
	pushf
	orl $0x100, (%esp)
	popf
	rep stosb
	pushf
	andl $~0x100, (%esp)
	popf
	call count
	EXIT 0

	.include "dbcount.S"

	.data
	.align 16
	.long 0
var:	.long 0
	.long 0
var2:	.long 0
	.align 8
var8:	.quad 0
	.long 0
	.align 16
buf:	.skip 16
src:	.long 1, 2, 3, 4
m_t1:	.asciz "1: write breakpoint, 4 bytes\n"
m_t2:	.asciz "2: read/write breakpoint, 2 bytes\n"
m_t3:	.asciz "3: 8-byte breakpoint\n"
m_t4:	.asciz "4: two breakpoints on one address\n"
m_t5:	.asciz "5: REP STOSB and REP MOVSD\n"
m_t6:	.asciz "6: general detect\n"
m_t7:	.asciz "7: DR4/DR5\n"
m_t8:	.asciz "8: single-stepping REP STOSB\n"
m_dr7:	.asciz "dr7="
m_edi:	.asciz "edi-buf="
