/* pf2.S: more #PF error-code combinations of P/W/U/I/RSVD and CR2 in IA-32e mode (SDM Vol.3A §4.7,
 * Figure 4-12; access rights §4.6.1): ring-3 reads, writes and fetches of not-present, read-only and
 * supervisor pages; instruction fetches with I reported only when EFER.NXE=1 (§4.7: "I/D ... if
 * CR4.SMEP = 1 or both CR4.PAE = 1 and IA32_EFER.NXE = 1"); a supervisor write to a read-only page with
 * CR0.WP=0 (allowed); reserved-bit violations on a write, a ring-3 read and a fetch. pf.S has the rest. */
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

	/* Runs `code` in ring 3 (64-bit, IRETQ); its #PF resumes at `done` in ring 0. RBX is kept. */
	.macro RING3 code, done
	TRY64 \done
	pushq $SEL_UDATA
	mov $ustack_top, %eax
	push %rax
	pushq $0x2
	pushq $SEL_UCODE64
	mov $\code, %eax
	push %rax
	iretq
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

	PUTS64 m_t1
	SETPTE tpage, 0, 0
	RING3 user_read, t1_done
t1_done:
	PUTS64 m_t2
	RING3 user_write, t2_done
t2_done:
	PUTS64 m_t3
	SETPTE tpage, tpage + PTE_P + PTE_U, 0
	RING3 user_write, t3_done
t3_done:
	/* CR0.WP=0 (as the loader leaves it): supervisor writes ignore R/W (§4.6.1). */
	PUTS64 m_t4
	TRY64 t4_done
	movl $0xc3, (%rbx)                  /* RET, for the fetches below */
	PUTS64 m_nofault
t4_done:
	PUTS64 m_t5
	SETPTE tpage, 0, 0
	TRY64 t5_done
	call *%rbx
t5_done:
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_NXE, %eax
	wrmsr
	PUTS64 m_t6
	TRY64 t6_done
	call *%rbx
t6_done:
	PUTS64 m_t7
	RING3 user_fetch, t7_done
t7_done:
	PUTS64 m_t8
	SETPTE tpage, tpage + PTE_P + PTE_W, 0
	RING3 user_fetch, t8_done
t8_done:
	PUTS64 m_t9
	SETPTE tpage, tpage + PTE_P + PTE_U, 0x80000000
	RING3 user_fetch, t9_done
t9_done:
	/* Reserved bits: PS in PML4E 1 (SDM Vol.3A §4.5.4, Table 4-15: bit 7 of a PML4E is reserved). */
	mov $pml4, %ecx
	movl $pdpt + PTE_P + PTE_W + PTE_U + PTE_PS, 8(%rcx)
	mov $1, %ebx
	shl $39, %rbx
	PUTS64 m_t10
	TRY64 t10_done
	movl $1, (%rbx)
t10_done:
	PUTS64 m_t11
	RING3 user_read, t11_done
t11_done:
	PUTS64 m_t12
	TRY64 t12_done
	call *%rbx
t12_done:
	PUTS64 m_done
	EXIT 0

user_read:
	mov (%rbx), %rax
	jmp user_read
user_write:
	movl $1, (%rbx)
	jmp user_write
user_fetch:
	jmp *%rbx
	.code32

	.data
m_nofault: .asciz "no exception\n"
m_t1:	.asciz "1: ring-3 read, not present\n"
m_t2:	.asciz "2: ring-3 write, not present\n"
m_t3:	.asciz "3: ring-3 write, read-only\n"
m_t4:	.asciz "4: ring-0 write, read-only, CR0.WP=0\n"
m_t5:	.asciz "5: ring-0 fetch, not present, EFER.NXE=0\n"
m_t6:	.asciz "6: ring-0 fetch, not present, EFER.NXE=1\n"
m_t7:	.asciz "7: ring-3 fetch, not present\n"
m_t8:	.asciz "8: ring-3 fetch, supervisor page\n"
m_t9:	.asciz "9: ring-3 fetch, execute-disable page\n"
m_t10:	.asciz "10: ring-0 write, reserved bit\n"
m_t11:	.asciz "11: ring-3 read, reserved bit\n"
m_t12:	.asciz "12: ring-0 fetch, reserved bit\n"
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
