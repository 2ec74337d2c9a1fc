/* gp2.S: more #GP rules (SDM Vol.3A §6.15 Interrupt 13 lists them): reserved bits in CR4, EFER and PAT;
 * non-canonical values in WRMSR FS_BASE/GS_BASE/KERNEL_GS_BASE/LSTAR; non-canonical bases in LGDT/LIDT
 * and in the 16-byte TSS/LDT descriptors LTR/LLDT load; a code segment with L=1 and D=1 in IA-32e mode;
 * and, outside IA-32e mode, a code segment with L=1 loads without fault and runs as 16-bit code (L is
 * ignored there, §3.4.5). Each faulting instruction is caught by the IDT handler, which prints the vector
 * and error code, and skipped; one that does not fault prints "no exception" and is undone. */
	.include "lib.S"

	.set MSR_PAT, 0x277
	.set MSR_FS_BASE, 0xc0000100
	.set MSR_GS_BASE, 0xc0000101
	.set MSR_KERNEL_GS_BASE, 0xc0000102
	.set MSR_LSTAR, 0xc0000082
	.set STUB16, 0x7000                 /* below 64 KiB, so a 16-bit IP reaches it */

	/* WRMSR `msr` with EDX:EAX = 0x01000000:0 (bit 56 set, bits 63:57 clear) and print what happens; undo a
	 * write that did not fault. Not canonical even for a processor with 5-level paging: base loads are
	 * checked against the widest linear address the processor supports, 57 bits with LA57 (SDM Vol.3A
	 * §4.5; 0x0000800000000000 would be canonical there, whatever CR4.LA57 says). */
	.macro NONCANON msr, label
	mov $\msr, %ecx
	rdmsr
	mov %eax, %r8d
	mov %edx, %r9d
	xor %eax, %eax
	mov $0x01000000, %edx
	TRY64 \label
	wrmsr
	call no_fault64
	mov %r8d, %eax
	mov %r9d, %edx
	wrmsr
\label:
	.endm

main:
	call build_paging
	call setup_idt32
	call setup_idt64

	/* 1. A code segment with L=1 (D=0) outside IA-32e mode: L is reserved and ignored (SDM Vol.3A
	 * §3.4.5 "L (64-bit code segment) flag"), so the far jump succeeds and D=0 makes it 16-bit code.
	 * The stub's B8 34 12 is MOV AX,1234h as 16-bit code (MOV EAX,imm32 would eat the NOPs). */
	PUTS32 m_t1
	mov $stub16, %esi
	mov $STUB16, %edi
	mov $stub16_end - stub16, %ecx
	rep movsb
	xor %eax, %eax
	TRY32 t1_back
	ljmp $SEL_CODE64, $STUB16
t1_back:
	PUTS32 m_eax
	HEX32 %eax
	call newline32

	/* (A reserved CR4 bit in protected mode, bit 15, #GP(0) as well, is not tested: QEMU 7.2 TCG accepts
	 * the write and then hangs.) */

	call enable_long
	ljmp $SEL_CODE64, $long1

	.code64
long1:
	lidt idt64_ptr(%rip)
	PUTS64 m_long
	/* (A reserved CR4 bit above 31, #GP(0) too, is not tested either: QEMU 7.2 TCG hangs on it.) */
	/* 4. A reserved EFER bit (1): WRMSR #GP(0) (Vol.4 Table 2-2 IA32_EFER; Vol.2B WRMSR). */
	PUTS64 m_t4
	mov $MSR_EFER, %ecx
	rdmsr
	mov %eax, %ebx
	bts $1, %eax
	TRY64 t4_done
	wrmsr
	call no_fault64
	mov %ebx, %eax
	wrmsr
t4_done:
	/* 5. A reserved memory type (2) in PAT entry 0: WRMSR #GP(0) (Vol.3A §13.12.2). */
	PUTS64 m_t5
	mov $MSR_PAT, %ecx
	rdmsr
	mov %eax, %ebx
	and $~7, %eax
	or $2, %eax
	TRY64 t5_done
	wrmsr
	call no_fault64
	mov %ebx, %eax
	wrmsr
t5_done:
	/* 6-9. Non-canonical addresses in MSRs that hold linear addresses: WRMSR #GP(0) (Vol.2B WRMSR,
	 * Protected Mode Exceptions: IA32_FS_BASE, IA32_GS_BASE, IA32_KERNEL_GS_BASE, IA32_LSTAR ...). */
	PUTS64 m_t6
	NONCANON MSR_FS_BASE, t6_done
	PUTS64 m_t7
	NONCANON MSR_GS_BASE, t7_done
	PUTS64 m_t8
	NONCANON MSR_KERNEL_GS_BASE, t8_done
	PUTS64 m_t9
	NONCANON MSR_LSTAR, t9_done

	/* 10. LGDT with a non-canonical base in 64-bit mode: #GP(0). 11. The same for LIDT. */
	PUTS64 m_t10
	TRY64 t10_done
	lgdt bad_ptr(%rip)
	call no_fault64
	lgdt gdt_ptr(%rip)
t10_done:
	PUTS64 m_t11
	TRY64 t11_done
	lidt bad_ptr(%rip)
	call no_fault64
	lidt idt64_ptr(%rip)
t11_done:

	/* 12. LTR of a 64-bit TSS descriptor whose base (bits 63:32 in the second quadword) is not
	 * canonical: #GP(selector) (Vol.2A LTR, Operation: "IF IA32_EFER.LMA = 1 and the base is not
	 * canonical THEN #GP(SRC)"; §8.2.3, Figure 8-4). */
	PUTS64 m_t12
	mov $gdt + SEL_TSS64, %edi
	movl $0x00000067, (%rdi)            /* limit 103, base 15:0 = 0 */
	movl $0x00008900, 4(%rdi)           /* base 23:16 = 0, available 64-bit TSS, P=1, base 31:24 = 0 */
	movl $0x01000000, 8(%rdi)           /* base 63:32: bit 56 set, 63:57 clear (not canonical with 57 bits) */
	movl $0, 12(%rdi)
	mov $SEL_TSS64, %ax
	TRY64 t12_done
	ltr %ax
	call no_fault64
t12_done:
	/* 13. LLDT of a 16-byte LDT descriptor (type 2) with a non-canonical base: #GP(selector) (Vol.2A
	 * LLDT, Operation). */
	PUTS64 m_t13
	movl $0x00008200, 4(%rdi)           /* LDT, P=1 */
	mov $SEL_TSS64, %ax
	TRY64 t13_done
	lldt %ax
	call no_fault64
	xor %eax, %eax
	lldt %ax
t13_done:
	/* 14. A far jump to a code segment with L=1 and D=1 in IA-32e mode: #GP(selector) (§3.4.5; §6.15
	 * Interrupt 13: "D-bit and the L-bit set"). */
	PUTS64 m_t14
	movl $0x0000ffff, (%rdi)
	movl $0x00ef9b00, 4(%rdi)           /* code, DPL 0, P, L=1, D=1, G=1 */
	TRY64 t14_done
	ljmpl *far_ld(%rip)
t14_back:
	call no_fault64
t14_done:
	PUTS64 m_done
	EXIT 0

/* The instruction under test did not fault: say so (the caller then undoes it). */
no_fault64:
	PUTS64 m_nofault
	ret
	.code32

/* Copied to STUB16 and entered through SEL_CODE64 (L=1, D=0) in legacy protected mode. */
stub16:
	.byte 0xb8, 0x34, 0x12              /* 16-bit: MOV AX,1234h */
	.byte 0x90, 0x90
	.byte 0x66, 0xea                    /* 16-bit: JMP FAR ptr16:32 (operand-size prefix) */
	.long t1_back
	.word SEL_CODE32
stub16_end:

	.data
	.align 8
bad_ptr:
	.word 0xfff
	.quad 0x0100000000000000            /* not canonical, even with 57-bit addresses */
far_ld:
	.long t14_back
	.word SEL_TSS64
m_nofault: .asciz "no exception\n"
m_t1:	.asciz "1: far jump to an L=1 D=0 code segment in protected mode: 16-bit code\n"
m_eax:	.asciz "eax="
m_long:	.asciz "long mode\n"
m_t4:	.asciz "4: set reserved EFER bit 1\n"
m_t5:	.asciz "5: reserved memory type 2 in PAT\n"
m_t6:	.asciz "6: non-canonical FS_BASE\n"
m_t7:	.asciz "7: non-canonical GS_BASE\n"
m_t8:	.asciz "8: non-canonical KERNEL_GS_BASE\n"
m_t9:	.asciz "9: non-canonical LSTAR\n"
m_t10:	.asciz "10: LGDT with a non-canonical base\n"
m_t11:	.asciz "11: LIDT with a non-canonical base\n"
m_t12:	.asciz "12: LTR of a TSS with a non-canonical base\n"
m_t13:	.asciz "13: LLDT of an LDT with a non-canonical base\n"
m_t14:	.asciz "14: far jump to an L=1 D=1 code segment\n"
m_done:	.asciz "done\n"
