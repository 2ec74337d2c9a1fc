/* df.S: which exception pairs make a double fault (SDM Vol.3A §6.15 Interrupt 8, Table 6-5; §7.15 Table
 * 7-5 in newer editions), in 32-bit protected mode with paging and again in 64-bit mode. The second
 * exception comes while the first is delivered: its gate is not present (#NP, contributory), or its gate
 * names a code selector whose descriptor lies on a not-present page (#PF while reading the GDT: the GDT
 * here spans two pages and the second is unmapped), or its selector is beyond the GDT limit (#GP).
 *  1. #GP, then #NP (contributory, contributory)    -> #DF(0)
 *  2. #DE, then #GP (contributory, contributory)    -> #DF(0)
 *  3. #PF, then #PF                                 -> #DF(0); CR2 holds the second fault's address
 *  4. #PF, then #NP (page fault, contributory)      -> #DF(0)
 *  5. #GP, then #PF (contributory, page fault)      -> the #PF is delivered (handled serially)
 *  6. #UD, then #NP (benign, contributory)          -> the #NP is delivered
 *  7. #UD, then #PF (benign, page fault)            -> the #PF is delivered
 * Every case resumes after the instruction that raised the first exception. */
	.include "lib.S"
	.set SEL_FAR, 0x1008                 /* a code descriptor on the GDT's unmapped second page */
	.set SEL_OUT, 0x2008                 /* beyond the GDT limit */

	/* Gate `vec` of the current IDT (8-byte entries in idt32, 16-byte in idt64): selector or present bit. */
	.macro SEL32 vec, sel
	movw $\sel, idt32 + \vec * 8 + 2
	.endm
	.macro NP32 vec
	andb $0x7f, idt32 + \vec * 8 + 5
	.endm
	.macro SEL64 vec, sel
	movw $\sel, idt64 + \vec * 16 + 2(%rip)
	.endm
	.macro NP64 vec
	andb $0x7f, idt64 + \vec * 16 + 5(%rip)
	.endm

main:
	/* gdtx: lib's GDT copied to a page boundary, limit 100FH so SEL_FAR is inside it. */
	mov $gdt, %esi
	mov $gdtx, %edi
	mov $gdt_end - gdt, %ecx
	rep movsb
	movw $0x100f, gdtx_ptr
	movl $gdtx, gdtx_ptr + 2
	lgdt gdtx_ptr

	/* 32-bit paging (SDM Vol.3A §4.3): pd32[0] -> pt32, 4 KiB pages identity-mapping 0-4 MiB but the
	 * page gdtx + 1000H. */
	mov $pt32 + PTE_P + PTE_W, %eax
	mov %eax, pd32
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	or $PTE_P + PTE_W, %eax
	mov %eax, pt32(,%ecx,4)
	inc %ecx
	cmp $1024, %ecx
	jne 1b
	mov $gdtx + 0x1000, %eax
	shr $12, %eax
	movl $0, pt32(,%eax,4)
	mov $pd32, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0

	PUTS32 m_mode32
	call setup32
	PUTS32 m_t1
	NP32 13
	TRY32 t1_done
	mov $0x1230, %eax
	mov %eax, %ds
t1_done:
	call setup32
	PUTS32 m_t2
	SEL32 0, SEL_OUT
	TRY32 t2_done
	xor %ecx, %ecx
	div %ecx
t2_done:
	call setup32
	PUTS32 m_t3
	SEL32 14, SEL_FAR
	TRY32 t3_done
	mov gdtx + 0x1800, %eax
t3_done:
	call print_cr2
	call setup32
	PUTS32 m_t4
	NP32 14
	TRY32 t4_done
	mov gdtx + 0x1800, %eax
t4_done:
	call setup32
	PUTS32 m_t5
	SEL32 13, SEL_FAR
	TRY32 t5_done
	mov $0x1230, %eax
	mov %eax, %ds
t5_done:
	call setup32
	PUTS32 m_t6
	NP32 6
	TRY32 t6_done
	ud2
t6_done:
	call setup32
	PUTS32 m_t7
	SEL32 6, SEL_FAR
	TRY32 t7_done
	ud2
t7_done:
	mov $SEL_DATA, %eax
	mov %eax, %ds

	/* Paging off, then IA-32e mode with lib's 4-level tables, the same page unmapped. */
	mov %cr0, %eax
	and $~CR0_PG, %eax
	mov %eax, %cr0
	call build_paging
	mov $gdtx + 0x1000, %eax
	shr $12, %eax
	movl $0, pt(,%eax,8)
	call enable_long
	ljmp $SEL_CODE64, $long64

/* setup32: the 32-bit IDT's gates 0, 6, 8, 13, 14 as lib sets them, and 11 (#NP). */
setup32:
	call setup_idt32
	pusha
	mov $idt32, %edi
	mov $0x8e00, %eax
	mov $11, %ecx
	mov $isr32_11, %edx
	call set_gate32
	popa
	ret

/* print_cr2: "cr2=gdtx+" and CR2's offset from gdtx. */
print_cr2:
	PUTS32 m_cr2x
	mov %cr2, %eax
	sub $gdtx, %eax
	HEX32 %eax
	call newline32
	ret

	ISR32 11, 1

	.code64
	ISR64 11, 1

long64:
	lidt idt64_ptr(%rip)
	PUTS64 m_mode64
	call setup64
	PUTS64 m_t1
	NP64 13
	TRY64 u1_done
	mov $0x1230, %eax
	mov %eax, %ds
u1_done:
	call setup64
	PUTS64 m_t2
	SEL64 0, SEL_OUT
	TRY64 u2_done
	xor %ecx, %ecx
	div %ecx
u2_done:
	call setup64
	PUTS64 m_t3
	SEL64 14, SEL_FAR
	TRY64 u3_done
	mov $gdtx + 0x1800, %ecx
	mov (%rcx), %eax
u3_done:
	PUTS64 m_cr2x
	mov %cr2, %rax
	mov $gdtx, %ecx
	sub %rcx, %rax
	HEX64 %rax
	call newline64
	call setup64
	PUTS64 m_t4
	NP64 14
	TRY64 u4_done
	mov $gdtx + 0x1800, %ecx
	mov (%rcx), %eax
u4_done:
	call setup64
	PUTS64 m_t5
	SEL64 13, SEL_FAR
	TRY64 u5_done
	mov $0x1230, %eax
	mov %eax, %ds
u5_done:
	call setup64
	PUTS64 m_t6
	NP64 6
	TRY64 u6_done
	ud2
u6_done:
	call setup64
	PUTS64 m_t7
	SEL64 6, SEL_FAR
	TRY64 u7_done
	ud2
u7_done:
	PUTS64 m_done
	EXIT 0

/* setup64: the 64-bit IDT's gates as lib sets them, and 11 (#NP). */
setup64:
	push %rax
	push %rcx
	push %rdx
	push %rdi
	push %rbx
	call setup_idt64_far
	pop %rbx
	pop %rdi
	pop %rdx
	pop %rcx
	pop %rax
	ret
	.code32

/* setup_idt64_far: lib's setup_idt64 is 32-bit code; the same gates written from 64-bit code. */
	.code64
setup_idt64_far:
	mov $idt64, %edi
	mov $0x8e00, %eax
	xor %ecx, %ecx
	mov $isr64_0, %edx
	call gate64
	mov $6, %ecx
	mov $isr64_6, %edx
	call gate64
	mov $8, %ecx
	mov $isr64_8, %edx
	call gate64
	mov $11, %ecx
	mov $isr64_11, %edx
	call gate64
	mov $13, %ecx
	mov $isr64_13, %edx
	call gate64
	mov $14, %ecx
	mov $isr64_14, %edx
	call gate64
	ret

/* gate64: IDT[ECX] = 64-bit interrupt gate to EDX in SEL_CODE64, attribute word EAX (Figure 6-8). */
gate64:
	mov %ecx, %ebx
	shl $4, %ebx
	add %edi, %ebx
	movw %dx, (%rbx)
	movw $SEL_CODE64, 2(%rbx)
	movw %ax, 4(%rbx)
	push %rdx
	shr $16, %edx
	movw %dx, 6(%rbx)
	pop %rdx
	movl $0, 8(%rbx)
	movl $0, 12(%rbx)
	ret
	.code32

	.data
m_mode32: .asciz "32-bit protected mode, paging\n"
m_mode64: .asciz "64-bit mode\n"
m_t1:	.asciz "1: #GP, then #NP\n"
m_t2:	.asciz "2: #DE, then #GP\n"
m_t3:	.asciz "3: #PF, then #PF\n"
m_t4:	.asciz "4: #PF, then #NP\n"
m_t5:	.asciz "5: #GP, then #PF\n"
m_t6:	.asciz "6: #UD, then #NP\n"
m_t7:	.asciz "7: #UD, then #PF\n"
m_cr2x:	.asciz "cr2=gdtx+"
m_done:	.asciz "done\n"
	.align 8
gdtx_ptr: .word 0
	.long 0, 0

	.bss
	.align 4096
pd32:	.skip 4096
pt32:	.skip 4096
gdtx:	.skip 8192
