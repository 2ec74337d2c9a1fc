/* pf.S: #PF error codes and CR2 in IA-32e mode (SDM Vol.3A §4.7, Figure 4-12): not present (read,
 * write), write to a read-only page with CR0.WP=1, a ring-3 read of a supervisor page (entered with
 * IRETQ), a fetch from an execute-disable page, and reserved bits (XD with EFER.NXE=0; PS in a PML4E). */
	.include "lib.S"

	/* Sets the PTE of `page` (below 2 MiB, so in `pt`) to low dword `lo`, high dword `hi`. */
	.macro SETPTE page, lo, hi
	mov $\page, %eax
	shr $12, %eax
	movl $\lo, pt(,%eax,8)
	movl $\hi, pt+4(,%eax,8)
	mov $\page, %eax
	invlpg (%rax)
	.endm

main:
	call build_paging
	call setup_idt64
	/* 64-bit TSS (SDM Vol.3A §8.7, Figure 8-11) for RSP0, and its descriptor at SEL_TSS64. */
	mov $kstack_top, %eax
	mov %eax, tss64 + 4
	mov $tss64, %eax
	shl $16, %eax
	or $103, %eax
	mov %eax, gdt + SEL_TSS64
	mov $tss64, %eax
	mov %eax, %edx
	and $0xff000000, %eax
	shr $16, %edx
	and $0xff, %edx
	or %edx, %eax
	or $0x8900, %eax
	mov %eax, gdt + SEL_TSS64 + 4
	call enable_long
	ljmp $SEL_CODE64, $long1

	.code64
long1:
	lidt idt64_ptr(%rip)
	mov $SEL_TSS64, %ax
	ltr %ax
	mov $tpage, %ebx
	movq $0x1122334455667788, %rax
	mov %rax, (%rbx)

	PUTS64 m_t1
	SETPTE tpage, 0x0, 0
	TRY64 t1_done
	mov (%rbx), %rax
t1_done:
	PUTS64 m_t2
	TRY64 t2_done
	movl $1, (%rbx)
t2_done:
	PUTS64 m_t3
	SETPTE tpage, tpage + PTE_P + PTE_U, 0
	mov %cr0, %rax
	or $CR0_WP, %eax
	mov %rax, %cr0
	TRY64 t3_done
	movl $1, (%rbx)
t3_done:
	PUTS64 m_t4
	SETPTE tpage, tpage + PTE_P + PTE_W, 0
	TRY64 t4_done
	pushq $SEL_UDATA
	mov $ustack_top, %eax
	push %rax
	pushq $0x2
	pushq $SEL_UCODE64
	mov $user_code, %eax
	push %rax
	iretq
t4_done:
	PUTS64 m_t5
	SETPTE tpage, tpage + PTE_P + PTE_W + PTE_U, 0x80000000
	TRY64 t5_done
	mov (%rbx), %rax
t5_done:
	PUTS64 m_t6
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_NXE, %eax
	wrmsr
	mov (%rbx), %rax
	PUTS64 m_ok
	HEX64 %rax
	call newline64
	SETPTE nxpage, nxpage + PTE_P + PTE_U, 0x80000000
	TRY64 t6_done
	call nxpage
t6_done:
	PUTS64 m_t7
	mov $pml4, %ecx
	movl $pdpt + PTE_P + PTE_W + PTE_PS, 8(%rcx)
	mov $1, %eax
	shl $39, %rax
	TRY64 t7_done
	mov (%rax), %rax
t7_done:
	PUTS64 m_done
	EXIT 0

user_code:
	mov (%rbx), %rax
	jmp user_code

	.align 4096
nxpage:
	ret
	.align 4096
	.code32

	.data
m_t1:	.asciz "1: read, not present\n"
m_t2:	.asciz "2: write, not present\n"
m_t3:	.asciz "3: write, read-only, CR0.WP=1\n"
m_t4:	.asciz "4: ring-3 read of a supervisor page\n"
m_t5:	.asciz "5: XD set with EFER.NXE=0 (reserved)\n"
m_t6:	.asciz "6: fetch from an execute-disable page\n"
m_ok:	.asciz "read with NXE=1: "
m_t7:	.asciz "7: PS set in a PML4E (reserved)\n"
m_done:	.asciz "done\n"

	.bss
	.align 4096
tpage:	.skip 4096
tss64:	.skip 104
	.align 16
	.skip 4096
kstack_top:
	.skip 4096
ustack_top:
