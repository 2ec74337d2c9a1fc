/* prot.S: the CR4 protection features UMIP, SMEP and SMAP in 64-bit mode (SDM Vol.3A §2.5 CR4; §4.6
 * access rights; §4.7 page-fault error code: P 1, W/R 2, U/S 4, I/D 10H); pke.S has protection keys.
 * The image's pages are supervisor pages but for the user page `upage` (ring-3 code, data and stack).
 * Ring 3 is entered by IRETQ and comes back by INT 80H (a DPL 3 gate) or through a fault, which the
 * common handler prints (vector, error code, CR2 for #PF, CS) before resuming ring 0.
 *  1. UMIP (CR4 bit 11): SGDT, SIDT, SLDT, SMSW, STR at CPL 3 are #GP(0); SMSW at CPL 3 without UMIP runs.
 *  2. SMEP (CR4 bit 20): a CPL-0 fetch from a user page is #PF (P | I/D = 11H, CR2 = the target,
 *     §4.6.1); ring 3 still runs there.
 *  3. SMAP (CR4 bit 21): CPL-0 reads and writes of a user page with EFLAGS.AC = 0 are #PF (1H, 3H);
 *     after STAC (AC = 1) they succeed; CLAC; an implicit supervisor access (a descriptor load from an
 *     LDT in a user page) is #PF even with AC = 1 (§4.6.1 "If EFLAGS.AC = 0 or the access is implicit"). */
	.include "lib.S"
	.set SEL_TSS, 0x48
	.set SEL_LDT, 0x58                   /* 16-byte LDT descriptor in IA-32e mode */
	.set CR4_UMIP, 1 << 11
	.set CR4_SMEP, 1 << 20
	.set CR4_SMAP, 1 << 21

	/* USER label: run `label` (in upage) at CPL 3; a fault or INT 80H comes back to the next line. */
	.macro USER label
	TRY64 9f
	lea \label(%rip), %rdx
	call enter_user
9:
	.endm
	.macro CR4SET bits
	mov %cr4, %rax
	or $\bits, %eax
	mov %rax, %cr4
	.endm
	.macro CR4CLR bits
	mov %cr4, %rax
	and $~(\bits), %eax
	mov %rax, %cr4
	.endm

main:
	call build_paging
	/* Every 4 KiB page of the first 2 MiB becomes a supervisor page (§4.6: U/S = 0 in the PTE), but
	 * upage. */
	xor %ecx, %ecx
1:	andl $~PTE_U, pt(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	mov $upage, %ecx
	shr $12, %ecx
	orl $PTE_U, pt(,%ecx,8)
	/* GDT with a 64-bit TSS (RSP0) and an LDT in upage. */
	mov $pgdt, %edi
	mov $gdt, %esi
	mov $0x48 / 4, %ecx
	rep movsl
	mov $kstack_top, %eax
	mov %eax, tss64 + 4
	mov $tss64, %eax
	mov $0x67, %ecx
	mov $0x8900, %edx
	mov $pgdt + SEL_TSS, %edi
	call set_sys_desc
	mov $uldt, %eax
	mov $7, %ecx
	mov $0x8200, %edx
	mov $pgdt + SEL_LDT, %edi
	call set_sys_desc
	lgdt pgdt_ptr
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
	mov $SEL_LDT, %ax
	lldt %ax

	PUTS64 m_umip
	CR4SET CR4_UMIP
	PUTS64 m_sgdt
	USER u_sgdt
	PUTS64 m_sidt
	USER u_sidt
	PUTS64 m_sldt
	USER u_sldt
	PUTS64 m_smsw
	USER u_smsw
	PUTS64 m_str
	USER u_str
	CR4CLR CR4_UMIP
	PUTS64 m_smsw0
	USER u_smsw

	PUTS64 m_smep
	CR4SET CR4_SMEP
	PUTS64 m_smep1
	TRY64 1f
	call ufunc
	PUTS64 m_nofault
1:	PUTS64 m_smep2
	USER u_nop
	CR4CLR CR4_SMEP

	PUTS64 m_smap
	CR4SET CR4_SMAP
	PUTS64 m_smap1
	TRY64 1f
	mov udata(%rip), %rax
	PUTS64 m_nofault
1:	PUTS64 m_smap2
	TRY64 1f
	movq $0x55, udata(%rip)
	PUTS64 m_nofault
1:	PUTS64 m_smap3
	stac
	movl $0xaabbccdd, udata(%rip)
	mov udata(%rip), %rax
	call puthex64
	pushfq
	pop %rax
	shr $18, %eax
	and $1, %eax
	PUTS64 m_ac
	call puthex64
	call newline64
	PUTS64 m_smap4
	TRY64 1f
	mov $4, %eax                         /* LDT index 0, TI = 1, RPL 0 */
	mov %eax, %es
	PUTS64 m_nofault
1:	clac
	xor %eax, %eax
	mov %eax, %es
	PUTS64 m_smap5
	USER u_read
	CR4CLR CR4_SMAP

	EXIT 0

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

/* set_sys_desc: system descriptor at EDI with base EAX, limit ECX (< 64 KiB), access word EDX; the
 * upper half of a 16-byte descriptor is zero already. */
	.code32
set_sys_desc:
	mov %cx, (%edi)
	mov %ax, 2(%edi)
	shr $16, %eax
	mov %al, 4(%edi)
	mov %dh, 5(%edi)
	movb $0, 6(%edi)
	mov %ah, 7(%edi)
	ret

	.data
m_nofault: .asciz "no exception\n"
m_back:	.asciz "back from ring 3\n"
m_umip:	.asciz "1: UMIP\n"
m_sgdt:	.asciz "1a: sgdt at CPL 3\n"
m_sidt:	.asciz "1b: sidt at CPL 3\n"
m_sldt:	.asciz "1c: sldt at CPL 3\n"
m_smsw:	.asciz "1d: smsw at CPL 3\n"
m_str:	.asciz "1e: str at CPL 3\n"
m_smsw0: .asciz "1f: smsw at CPL 3 without UMIP\n"
m_smep:	.asciz "2: SMEP\n"
m_smep1: .asciz "2a: call to a user page at CPL 0\n"
m_smep2: .asciz "2b: ring 3 runs its page\n"
m_smap:	.asciz "3: SMAP\n"
m_smap1: .asciz "3a: read a user page at CPL 0, AC 0\n"
m_smap2: .asciz "3b: write it\n"
m_smap3: .asciz "3c: stac, write and read: "
m_ac:	.asciz " ac="
m_smap4: .asciz "3d: implicit access (LDT in a user page) with AC 1\n"
m_smap5: .asciz "3e: ring 3 reads its page\n"

	.align 8
k_rsp:	.quad 0
pgdt:	.space 0x48
	.quad 0, 0                          /* 0x48 64-bit TSS */
	.quad 0, 0                          /* 0x58 LDT */
pgdt_end:
pgdt_ptr:
	.word pgdt_end - pgdt - 1
	.long pgdt
	.align 16
tss64:	.space 0x68
	.align 16
	.space 1024
kstack_top:

	/* The user pages. */
	.code64
	.align 4096
upage:
ufunc:	ret
u_nop:	int $0x80
u_sgdt:	sgdt u_buf(%rip)
	int $0x80
u_sidt:	sidt u_buf(%rip)
	int $0x80
u_sldt:	sldt %ax
	int $0x80
u_smsw:	smsw %ax
	int $0x80
u_str:	str %ax
	int $0x80
u_read:	mov udata(%rip), %rax
	int $0x80
	.align 8
u_buf:	.quad 0, 0
udata:	.quad 0x1122334455667788
uldt:	.quad 0x00cf93000000ffff            /* data, flat, DPL 0, accessed */
	.align 4096
ustack_top:
