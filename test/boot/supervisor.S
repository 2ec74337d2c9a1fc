/* supervisor.S: implicit supervisor-mode accesses (SDM Vol.3A §4.6.1: "accesses to the GDT or LDT to load
 * a segment descriptor, to the IDT when delivering an interrupt or exception, and to the TSS as part of a
 * task switch or change of CPL" are supervisor-mode accesses whatever the CPL). The GDT, the 64-bit TSS,
 * the IDT and the ring-0 stack sit on pages with U/S = 0, as an operating system with page-table
 * isolation maps them in its user page tables; ring 3 then
 *  1. loads DS and ES from that GDT (ES's descriptor not yet accessed: the processor sets its accessed bit,
 *     an implicit supervisor write, SDM Vol.3A §3.4.5.1),
 *  2. takes INT 43H (IDT read, RSP0 read from the TSS, the frame written on the supervisor-only ring-0
 *     stack at the handler's CPL 0),
 *  3. takes a #PF for a write to a not-present page (error code W/R=1 U/S=1),
 *  4. takes a #PF for an explicit read of the GDT's page (P=1 U/S=1: only implicit accesses are supervisor),
 *  5. runs LAR and LSL (descriptor reads at CPL 3),
 * and the handler of INT 45H prints byte 5 of ES's descriptor (now accessed) and ends the program. */
	.include "lib.S"
	.set SEL_TSS, SEL_TSS64
	.set SEL_UDATA_NA, 0x5b             /* kgdt + 0x58, RPL 3: ring-3 data, accessed bit clear */

	/* Clears U/S in the 4 KiB PTE of the page at `page` (build_paging maps 0-2 MiB with 4 KiB pages). */
	.macro SUPERVISOR page
	mov $\page, %eax
	shr $12, %eax
	andl $~PTE_U, pt(,%eax,8)
	.endm

main:
	call build_paging
	call setup_idt64
	mov $idt64, %edi
	GATE64 14, h_pf, 0x8e00
	GATE64 0x43, h_int, 0xee00
	GATE64 0x45, h_leave, 0xee00
	/* The GDT copied to a page of its own, with a ring-3 data descriptor whose accessed bit is clear. */
	mov $gdt, %esi
	mov $kgdt, %edi
	mov $gdt_end - gdt, %ecx
	rep movsb
	movl $0x0000ffff, kgdt + 0x58
	movl $0x00cff200, kgdt + 0x5c
	/* The 64-bit TSS on the same page: RSP0 at 4 (SDM Vol.3A §9.7), descriptor in the 16-byte slot 0x48. */
	mov $kstack + 4096, %eax
	mov %eax, ktss + 4
	mov $ktss, %eax
	movw $0x67, kgdt + SEL_TSS
	mov %ax, kgdt + SEL_TSS + 2
	shr $16, %eax
	mov %al, kgdt + SEL_TSS + 4
	movb $0x89, kgdt + SEL_TSS + 5
	mov %ah, kgdt + SEL_TSS + 7
	lgdt kgdt_ptr
	SUPERVISOR kpage
	SUPERVISOR idt64
	SUPERVISOR kstack
	call enable_long
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	lidt idt64_ptr(%rip)
	mov $SEL_TSS, %ax
	ltr %ax
	mov $SEL_UDATA, %eax
	push %rax
	mov $ustack + 4096, %eax
	push %rax
	push $0x3002                         /* IOPL 3: ring 3 prints through port 0xE9 */
	mov $SEL_UCODE64, %eax
	push %rax
	mov $ring3, %eax
	push %rax
	iretq

ring3:
	PUTS64 m_t1
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov $SEL_UDATA_NA, %eax
	mov %eax, %es
	mov %es, %eax
	HEX64 %rax
	call newline64
	PUTS64 m_t2
	int $0x43
	PUTS64 m_t3
	mov $t3_done, %eax
	mov %rax, %r15
	movb $1, 0x40000000                  /* beyond the first GiB: PDPT entry 1 is not present */
t3_done:
	PUTS64 m_t4
	mov $t4_done, %eax
	mov %rax, %r15
	mov kgdt(%rip), %rax
t4_done:
	PUTS64 m_t5
	mov $SEL_UDATA, %ecx
	lar %ecx, %eax
	and $0x00f0ff00, %eax                /* bits 19:16 are undefined (SDM Vol.2A LAR) */
	HEX64 %rax
	PUTS64 m_lsl
	lsl %ecx, %eax
	HEX64 %rax
	call newline64
	int $0x45

/* INT 43H at CPL 0: the frame (RIP, CS, RFLAGS, RSP, SS) is on the supervisor-only ring-0 stack. */
h_int:
	PUTS64 m_frame
	mov %rsp, %rax
	mov $kstack, %ecx
	sub %rcx, %rax
	call puthex64
	PUTS64 m_cs
	HEX64 8(%rsp)
	PUTS64 m_ss
	HEX64 32(%rsp)
	call newline64
	iretq

/* #PF: error code and CR2, then back to ring 3 at R15. */
h_pf:
	PUTS64 m_pf
	HEX64 (%rsp)
	PUTS64 m_cr2
	mov %cr2, %rax
	call puthex64
	PUTS64 m_cs
	HEX64 16(%rsp)
	call newline64
	mov %r15, 8(%rsp)
	add $8, %rsp
	iretq

h_leave:
	PUTS64 m_accessed
	xor %eax, %eax
	movb kgdt + 0x58 + 5(%rip), %al
	call puthex64
	call newline64
	EXIT 0
	.code32

	.data
kgdt_ptr:
	.word gdt_end - gdt + 16 - 1
	.long kgdt
m_t1:	.asciz "1: ring 3 loads DS and ES from a supervisor-only GDT: es="
m_t2:	.asciz "2: ring 3, int 0x43 through a supervisor-only IDT\n"
m_t3:	.asciz "3: ring 3 writes a not-present page\n"
m_t4:	.asciz "4: ring 3 reads the GDT's page\n"
m_t5:	.asciz "5: ring 3 lar="
m_lsl:	.asciz " lsl="
m_frame: .asciz "   handler: frame at kstack+"
m_ss:	.asciz " ss="
m_pf:	.asciz "   #PF err="
m_accessed: .asciz "ES descriptor byte 5: "

	.bss
	.align 4096
kpage:
kgdt:	.skip 2048
ktss:	.skip 2048
kstack:	.skip 4096
ustack:	.skip 4096
