/* cr3from32.S: MOV to/from CR3 outside 64-bit mode, and PAE's PDPTE registers.
 *  1. PAE paging in 32-bit protected mode (SDM Vol.3A §4.4.1): MOV to CR3 loads the four PDPTEs into
 *     registers; a later change to a PDPTE in memory is not used, even after INVLPG, until CR3 is loaded
 *     again. PDPT[1] maps linear 40000000H to a page holding AAAAAAAAH, then is changed to one holding
 *     BBBBBBBBH.
 *  2. A present PDPTE with a reserved bit set (bits 2:1 here): the MOV to CR3 is #GP(0) (§4.4.1) and
 *     CR3 keeps its value.
 *  3. Compatibility mode (SDM Vol.2B MOV—Move to/from Control Registers: outside 64-bit mode the operand
 *     is 32 bits): MOV CR3, EAX there loads a new PML4 address (a second copy of the tables), MOV EBX, CR3
 *     reads it, and back in 64-bit mode MOV RAX, CR3 shows bits 63:32 clear.
 *     Not here: RAX with bits 63:32 set before the compatibility-mode MOV CR3, EAX. The SDM loads EAX
 *     alone; QEMU 7.2 TCG loads all of RAX (translate.c reads the whole register for a 32-bit MOV CR)
 *     and then cannot fetch, so the case would hang QEMU. test/cpu/cr3compat.test.ts covers it on ours. */
	.include "lib.S"
	.set LIN_A, 0x40000000               /* linear address through PDPT[1] */
	.set PHYS_A, 0x00400000
	.set PHYS_B, 0x00600000

main:
	call setup_idt32
	/* Markers in the two physical 2 MiB pages. */
	movl $0xaaaaaaaa, PHYS_A
	movl $0xbbbbbbbb, PHYS_B
	/* PDPT (Figure 4-7, Table 4-8): only P and the address; bits 2:1 and 8:5 are reserved. */
	mov $pd + PTE_P, %eax
	mov %eax, pdpt_pae
	mov $pd_a + PTE_P, %eax
	mov %eax, pdpt_pae + 8
	movl $PHYS_A + PTE_P + PTE_W + PTE_PS, pd_a
	movl $PHYS_B + PTE_P + PTE_W + PTE_PS, pd_b
	/* pd: lib's table, 2 MiB pages for 2 MiB-1 GiB and pt for the first 2 MiB (identity). */
	call build_paging
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pdpt_pae, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0

	PUTS32 m_t1
	mov LIN_A, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_t1b
	mov $pd_b + PTE_P, %eax
	mov %eax, pdpt_pae + 8
	invlpg LIN_A
	mov LIN_A, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_t1c
	mov %cr3, %eax
	mov %eax, %cr3
	mov LIN_A, %eax
	HEX32 %eax
	call newline32

	PUTS32 m_t2
	mov $pd + PTE_P + PTE_W + PTE_U, %eax
	mov %eax, pdpt_pae + 16
	mov $pdpt_pae, %eax
	TRY32 t2_done
	mov %eax, %cr3
	PUTS32 m_nofault
t2_done:
	movl $0, pdpt_pae + 16
	PUTS32 m_cr3
	mov %cr3, %eax
	sub $pdpt_pae, %eax
	HEX32 %eax
	call newline32

	/* Paging off, then IA-32e mode with lib's 4-level tables. */
	mov %cr0, %eax
	and $~CR0_PG, %eax
	mov %eax, %cr0
	mov %cr4, %eax
	and $~CR4_PAE, %eax
	mov %eax, %cr4
	call enable_long
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	PUTS64 m_t3
	/* pml4b: a copy of pml4 (same pdpt below it), so the switch is visible as a new CR3 value. */
	mov $pml4, %esi
	mov $pml4b, %edi
	mov $512, %ecx
	rep movsq
	mov $pml4b, %eax
	pushq $SEL_CODE32
	mov $compat, %ecx
	push %rcx
	lretq
	.code32
compat:
	mov %eax, %cr3
	mov %cr3, %ebx
	PUTS32 m_compat
	mov %ebx, %eax
	sub $pml4b, %eax
	HEX32 %eax
	call newline32
	ljmp $SEL_CODE64, $long64b
	.code64
long64b:
	PUTS64 m_long
	mov %cr3, %rax
	mov $pml4b, %ecx
	sub %rcx, %rax
	HEX64 %rax
	call newline64
	PUTS64 m_done
	EXIT 0
	.code32

	.data
m_t1:	.asciz "1: PAE, PDPT[1] -> page A: [40000000]="
m_t1b:	.asciz "   PDPT[1] -> page B in memory, INVLPG: [40000000]="
m_t1c:	.asciz "   MOV CR3 again: [40000000]="
m_t2:	.asciz "2: MOV CR3 with a reserved bit in PDPT[2]\n"
m_cr3:	.asciz "   cr3-pdpt="
m_t3:	.asciz "3: MOV CR3 in compatibility mode\n"
m_compat: .asciz "   compatibility mode: MOV CR3, EAX; MOV EBX, CR3: cr3-pml4b="
m_long:	.asciz "   64-bit mode: MOV RAX, CR3: cr3-pml4b="
m_nofault: .asciz "no exception\n"
m_done:	.asciz "done\n"

	.bss
	.align 4096
pdpt_pae: .skip 4096
pd_a:	.skip 4096
pd_b:	.skip 4096
pml4b:	.skip 4096
