/* pke.S: protection keys for user-mode pages in 64-bit mode (SDM Vol.3A §2.5 CR4.PKE; §4.6.2; §4.7
 * page-fault error code: P 1, W/R 2, U/S 4, PK 20H; Vol.2B RDPKRU, WRPKRU).
 * The image's pages are supervisor pages but for `upage` (ring-3 code and stack) and `upk` (user data
 * and code with protection key 1, PTE bits 62:59). Ring 3 is entered by IRETQ and comes back by INT 80H
 * (a DPL 3 gate) or through a fault, which the common handler prints before resuming ring 0.
 *  a. RDPKRU with CR4.PKE = 0 is #UD; b. WRPKRU with ECX != 0 is #GP(0).
 *  c-e. PKRU.AD1: a ring-3 read of upk is #PF (P | U | PK = 25H), so is a CPL-0 read (21H: the key
 *     applies to supervisor accesses of user pages too); instruction fetches are not checked.
 *  f-i. PKRU.WD1: reads go through; a ring-3 write is #PF (27H); a CPL-0 write is #PF (23H) with
 *     CR0.WP = 1 and goes through with CR0.WP = 0. */
	.include "lib.S"
	.set SEL_TSS, 0x48
	.set CR4_PKE, 1 << 22

	/* USER label: run `label` at CPL 3; a fault or INT 80H comes back to the next line. */
	.macro USER label
	TRY64 9f
	lea \label(%rip), %rdx
	call enter_user
9:
	.endm

main:
	call build_paging
	/* Every 4 KiB page of the first 2 MiB becomes a supervisor page (§4.6: U/S = 0 in the PTE) but upage
	 * and upk; upk gets protection key 1. */
	xor %ecx, %ecx
1:	andl $~PTE_U, pt(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	mov $upage, %ecx
	shr $12, %ecx
	orl $PTE_U, pt(,%ecx,8)
	mov $upk, %ecx
	shr $12, %ecx
	orl $PTE_U, pt(,%ecx,8)
	orl $1 << 27, pt + 4(,%ecx,8)
	/* The 64-bit TSS (RSP0 for ring 3's faults and INT 80H) in lib's GDT slot 48H. */
	mov $kstack_top, %eax
	mov %eax, tss64 + 4
	mov $tss64, %eax
	movw $0x67, gdt + SEL_TSS
	mov %ax, gdt + SEL_TSS + 2
	shr $16, %eax
	mov %al, gdt + SEL_TSS + 4
	movb $0x89, gdt + SEL_TSS + 5
	mov %ah, gdt + SEL_TSS + 7
	call setup_idt64
	mov $idt64, %edi
	GATE64 0x80, leave_user, 0xee00
	mov %cr0, %eax
	or $CR0_WP, %eax
	mov %eax, %cr0
	call enable_long
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	lidt idt64_ptr(%rip)
	mov $SEL_TSS, %ax
	ltr %ax

	PUTS64 m_pk1
	TRY64 1f
	rdpkru
	PUTS64 m_nofault
1:	mov %cr4, %rax
	or $CR4_PKE, %eax
	mov %rax, %cr4
	PUTS64 m_pk2
	TRY64 1f
	mov $1, %ecx
	xor %edx, %edx
	xor %eax, %eax
	wrpkru
	PUTS64 m_nofault
1:	mov $4, %eax                         /* PKRU.AD1 */
	call set_pkru
	PUTS64 m_pk3
	USER u_readpk
	PUTS64 m_pk4
	TRY64 1f
	mov upk_data(%rip), %rax
	PUTS64 m_nofault
1:	PUTS64 m_pk5
	USER upk_code
	mov $8, %eax                         /* PKRU.WD1 */
	call set_pkru
	PUTS64 m_pk6
	USER u_readpk
	PUTS64 m_pk7
	USER u_writepk
	PUTS64 m_pk8
	TRY64 1f
	movq $0x66, upk_data(%rip)
	PUTS64 m_nofault
1:	mov %cr0, %rax
	and $~CR0_WP, %eax
	mov %rax, %cr0
	PUTS64 m_pk9
	movq $0x77, upk_data(%rip)
	mov upk_data(%rip), %rax
	call puthex64
	call newline64
	EXIT 0

/* set_pkru: PKRU = EAX (WRPKRU needs ECX = EDX = 0), then prints it back through RDPKRU. */
set_pkru:
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
	PUTS64 m_pkru
	xor %ecx, %ecx
	rdpkru
	call puthex64
	call newline64
	ret

/* enter_user: IRETQ to ring 3 at RDX with RSP on upage's stack, RFLAGS 2; INT 80H returns. */
enter_user:
	mov %rsp, k_rsp(%rip)
	pushq $SEL_UDATA
	lea ustack_top(%rip), %rax
	push %rax
	pushq $2
	pushq $SEL_UCODE64
	push %rdx
	iretq
/* leave_user: INT 80H from ring 3 (no fault on the way): back to enter_user's caller. */
leave_user:
	mov k_rsp(%rip), %rsp
	movq $0, resume64(%rip)
	PUTS64 m_back
	ret

	.data
m_nofault: .asciz "no exception\n"
m_back:	.asciz "back from ring 3\n"
m_pk1:	.asciz "a: rdpkru with CR4.PKE 0\n"
m_pk2:	.asciz "b: wrpkru with ECX 1\n"
m_pkru:	.asciz "pkru="
m_pk3:	.asciz "c: ring 3 reads a key-1 page, AD1\n"
m_pk4:	.asciz "d: CPL 0 reads it\n"
m_pk5:	.asciz "e: ring 3 runs code in it\n"
m_pk6:	.asciz "f: ring 3 reads it, WD1\n"
m_pk7:	.asciz "g: ring 3 writes it\n"
m_pk8:	.asciz "h: CPL 0 writes it, CR0.WP 1\n"
m_pk9:	.asciz "i: CPL 0 writes it, CR0.WP 0: "

	.align 8
k_rsp:	.quad 0
	.align 16
tss64:	.space 0x68
	.align 16
	.space 1024
kstack_top:

	/* The user pages. */
	.code64
	.align 4096
upage:
u_readpk: mov upk_data(%rip), %rax
	int $0x80
u_writepk: movq $0x88, upk_data(%rip)
	int $0x80
	.align 4096
ustack_top:
upk:
upk_code: int $0x80
	.align 8
upk_data: .quad 0x99
	.align 4096
