/*
 * lvl5.S: the switch from 4-level to 5-level paging for a kernel loaded above 4 GiB, as Kirill A.
 * Shutemov's 2017 patch to arch/x86/boot/compressed/head_64.S does it ("Handle 5-level paging boot if
 * kernel is above 4G"). Run with `--boot long --load 0x100000000 --paging 4`: the loader enters
 * startup_64 in 64-bit mode with 4-level paging, the GDT of the 64-bit boot protocol and RSP below 4 GiB.
 *
 * CR4.LA57 cannot change while IA-32e mode is active (#GP), so the kernel copies a trampoline below
 * 1 MiB, builds a one-entry top-level table there, drops to compatibility mode with a far return, turns
 * paging off, loads CR3 and CR4.LA57, turns paging back on and far-returns into 64-bit mode.
 */
#define LVL5_TRAMPOLINE	0x7c00
#define LVL5_PGTABLE	0x7000

#define __KERNEL32_CS	0x08
#define __KERNEL_CS	0x10
#define __KERNEL_DS	0x18

#define X86_CR0_PE	(1 << 0)
#define X86_CR0_PG_BIT	31
#define X86_CR0_PG	(1 << X86_CR0_PG_BIT)
#define X86_CR4_PAE	(1 << 5)
#define X86_CR4_LA57	(1 << 12)


	.text
	.code64
	.globl startup_64
startup_64:
	/* Our own GDT, as the kernel loads one: a 32-bit code segment for compatibility mode at 0x08. */
	leaq	gdt(%rip), %rax
	movq	%rax, gdt_desc+2(%rip)
	lgdt	gdt_desc(%rip)

	leaq	msg_hello(%rip), %rsi
	call	puts
	leaq	startup_64(%rip), %rax
	call	puthex
	leaq	msg_cr4(%rip), %rsi
	call	puts
	movq	%cr4, %rax
	call	puthex
	call	newline

	/* Copy trampoline code in place; %rsi (real_mode_data) is kept in %r9 meanwhile */
	movq	%rsi, %r9
	leaq	lvl5_trampoline(%rip), %rsi
	movq	$LVL5_TRAMPOLINE, %rdi
	movq	$(lvl5_trampoline_end - lvl5_trampoline), %rcx
	rep movsb
	movq	%r9, %rsi

	/* Setup current CR3 as the first and the only entry in a new top level page table. */
	movq	%cr3, %rdi
	leaq	0x7 (%rdi), %rax
	movq	%rax, LVL5_PGTABLE

	/* Load address of lvl5 into RDI: the trampoline returns there. */
	leaq	lvl5(%rip), %rdi

	/* Switch to compatibility mode (CS.L = 0 CS.D = 1) via far return */
	pushq	$__KERNEL32_CS
	movq	$LVL5_TRAMPOLINE, %rax
	pushq	%rax
	lretq
lvl5:
	/* Back in the kernel above 4 GiB, now with 5-level paging. */
	leaq	msg_back(%rip), %rsi
	call	puts
	leaq	lvl5(%rip), %rax
	call	puthex
	leaq	msg_cr4(%rip), %rsi
	call	puts
	movq	%cr4, %rax
	call	puthex
	call	newline
	cli
	hlt

#include "../common/console.S"

	.code32
lvl5_trampoline:
	/* Setup data and stack segments */
	movl	$__KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %ss

	/* Disable paging */
	movl	%cr0, %eax
	btrl	$X86_CR0_PG_BIT, %eax
	movl	%eax, %cr0

	/* Point CR3 to 5-level paging */
	movl	$LVL5_PGTABLE, %eax
	movl	%eax, %cr3

	/* Enable PAE and LA57 mode */
	movl	%cr4, %eax
	orl	$(X86_CR4_PAE | X86_CR4_LA57), %eax
	movl	%eax, %cr4

	/* Prepare stack for far return to Long Mode */
	pushl	$__KERNEL_CS
	movl	$(lvl5_enabled - lvl5_trampoline + LVL5_TRAMPOLINE), %eax
	pushl	%eax

	/* Enable paging back */
	movl	$(X86_CR0_PG | X86_CR0_PE), %eax
	movl	%eax, %cr0

	lret

	.code64
lvl5_enabled:
	/* Return from trampoline */
	jmp	*%rdi
lvl5_trampoline_end:

	/*
	 * For the debugger: the trampoline runs from its copy at LVL5_TRAMPOLINE, not where it is assembled.
	 * Each entry is (start, end, runtime address); breakpoints on its labels and lines go to the copy.
	 */
	.section .trampoline.copies, "", @progbits
	.quad	lvl5_trampoline, lvl5_trampoline_end, LVL5_TRAMPOLINE
	.text

	.balign	8
gdt:
	.quad	0			/* null */
	.quad	0x00cf9a000000ffff	/* 0x08 __KERNEL32_CS: 32-bit code, flat */
	.quad	0x00af9a000000ffff	/* 0x10 __KERNEL_CS: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x18 __KERNEL_DS: data, flat */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	0

msg_hello:
	.asciz	"kernel entered at "
msg_cr4:
	.asciz	", CR4 = "
msg_back:
	.asciz	"back in the kernel at "
