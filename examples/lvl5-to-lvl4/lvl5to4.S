/*
 * lvl5to4.S: the reverse of lvl5-trampoline — from 5-level back to 4-level paging, as kexec must do to
 * start a kernel that only knows 4-level paging. Run with `--boot long --load 0x100000000 --paging 5`:
 * the loader enters startup_64 in 64-bit mode with 5-level paging; PML5[0] points to a PML4 that maps
 * the same first 512 GiB.
 *
 * CR4.LA57 cannot change while IA-32e mode is active (SDM Vol.2B MOV CR, #GP(0); Vol.3A §2.5, §4.1.1),
 * so the code copies a trampoline below 1 MiB, far-returns to a 32-bit code segment (compatibility
 * mode), clears CR0.PG (IA-32e mode goes inactive, Vol.3A §10.8.5.4), loads CR3 with the PML4, clears
 * CR4.LA57, sets CR0.PG (IA-32e mode active again, now 4-level) and far-returns into 64-bit mode.
 */
#define LVL4_TRAMPOLINE	0x7c00

#define __KERNEL32_CS	0x08
#define __KERNEL_CS	0x10
#define __KERNEL_DS	0x18

#define X86_CR0_PG_BIT	31
#define X86_CR4_LA57_BIT	12


	.text
	.code64
	.globl startup_64
startup_64:
	/* Our own GDT: a 32-bit code segment for compatibility mode at 0x08, 64-bit code at 0x10. */
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

	/* Copy the trampoline below 1 MiB: it keeps running, identity-mapped, while paging is off. */
	leaq	lvl4_trampoline(%rip), %rsi
	movq	$LVL4_TRAMPOLINE, %rdi
	movq	$(lvl4_trampoline_end - lvl4_trampoline), %rcx
	rep movsb

	/*
	 * The PML4 is the table PML5[0] points to: CR3 bits M-1:12 locate the PML5, and a PML5 entry's
	 * bits M-1:12 the PML4 (SDM Vol.3A §4.5.4, Tables 4-12 and 4-14). It must lie below 4 GiB, as
	 * 32-bit code loads CR3.
	 */
	movq	%cr3, %rax
	movabsq	$0x000ffffffffff000, %rdx
	andq	%rdx, %rax
	movq	(%rax), %rax
	andq	%rdx, %rax
	movl	%eax, %esi

	/* Where the trampoline returns to. */
	leaq	lvl4(%rip), %rdi

	/* Switch to compatibility mode (CS.L = 0 CS.D = 1) via far return */
	pushq	$__KERNEL32_CS
	movq	$LVL4_TRAMPOLINE, %rax
	pushq	%rax
	lretq
lvl4:
	/* Back in the kernel above 4 GiB, now with 4-level paging. */
	leaq	msg_back(%rip), %rsi
	call	puts
	leaq	lvl4(%rip), %rax
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
/* Entered in compatibility mode with %esi = the PML4, %rdi = where to return (upper half kept). */
lvl4_trampoline:
	/* Setup data and stack segments */
	movl	$__KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %ss

	/* Disable paging: IA-32e mode goes inactive (LMA = 0); MOV CR0 in 64-bit mode would #GP. */
	movl	%cr0, %eax
	btrl	$X86_CR0_PG_BIT, %eax
	movl	%eax, %cr0

	/* Point CR3 to the 4-level hierarchy */
	movl	%esi, %cr3

	/* Disable LA57: allowed now that IA-32e mode is inactive */
	movl	%cr4, %eax
	btrl	$X86_CR4_LA57_BIT, %eax
	movl	%eax, %cr4

	/* Prepare stack for far return to Long Mode */
	pushl	$__KERNEL_CS
	movl	$(lvl4_enabled - lvl4_trampoline + LVL4_TRAMPOLINE), %eax
	pushl	%eax

	/* Enable paging back: EFER.LME is still set, so IA-32e mode is active again (4-level) */
	movl	%cr0, %eax
	btsl	$X86_CR0_PG_BIT, %eax
	movl	%eax, %cr0

	lret

	.code64
lvl4_enabled:
	/* Return from trampoline */
	jmp	*%rdi
lvl4_trampoline_end:

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
