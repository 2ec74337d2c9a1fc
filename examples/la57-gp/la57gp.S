/*
 * la57gp.S: what happens without the trampoline — setting CR4.LA57 directly in 64-bit mode. Run with
 * `--boot long --load 0x100000000` (4-level paging): the loader enters startup_64 in 64-bit mode.
 *
 * SDM Vol.2B MOV—Move to/from Control Registers, 64-Bit Mode Exceptions: #GP(0) "if an attempt is made
 * to change CR4.LA57"; Vol.3A §2.5 (CR4.LA57) and §4.1.1: LA57 cannot be modified while IA-32e mode is
 * active. The #GP is a fault (Vol.3A §6.15, Interrupt 13): CR4 is unchanged and the saved RIP is the
 * address of the mov to CR4 itself. The program's own IDT catches it and prints vector, error code
 * and RIP on the debug console.
 */
#define X86_CR4_LA57	(1 << 12)

#define GP_VECTOR	13
/* 64-bit interrupt gate: P = 1, DPL = 0, type 0xE (SDM Vol.3A §6.14.1, Figure 6-8; Table 3-2) */
#define GATE_INTR64	0x8e00


	.text
	.code64
	.globl startup_64
startup_64:
	/* Build the #GP gate: the handler's address is only known at run time (we run above 4 GiB). */
	leaq	gp_handler(%rip), %rax
	leaq	idt + GP_VECTOR * 16(%rip), %rdi
	movw	%ax, (%rdi)		/* offset 15:0 */
	movw	%cs, %cx
	movw	%cx, 2(%rdi)		/* segment selector: our 64-bit code segment */
	movw	$GATE_INTR64, 4(%rdi)	/* IST = 0, type, DPL, P */
	shrq	$16, %rax
	movw	%ax, 6(%rdi)		/* offset 31:16 */
	shrq	$16, %rax
	movl	%eax, 8(%rdi)		/* offset 63:32 */
	movl	$0, 12(%rdi)		/* reserved */
	leaq	idt(%rip), %rax
	movq	%rax, idt_desc+2(%rip)
	lidt	idt_desc(%rip)

	leaq	msg_hello(%rip), %rsi
	call	puts
	movq	%cr4, %rax
	call	puthex
	leaq	msg_try(%rip), %rsi
	call	puts

	movq	%cr4, %rax
	orq	$X86_CR4_LA57, %rax
set_la57:
	movq	%rax, %cr4		/* #GP(0): IA-32e mode is active */

	/* Not reached on a processor that follows the SDM. */
	leaq	msg_nofault(%rip), %rsi
	call	puts
	cli
	hlt

/* #GP handler. Stack (SDM Vol.3A §6.14.2, Figure 6-9): error code, RIP, CS, RFLAGS, RSP, SS. */
gp_handler:
	pushq	$GP_VECTOR		/* now: vector, error code, RIP, ... */
	leaq	msg_exc(%rip), %rsi
	call	puts
	movq	(%rsp), %rax
	call	puthex
	leaq	msg_err(%rip), %rsi
	call	puts
	movq	8(%rsp), %rax
	call	puthex
	leaq	msg_rip(%rip), %rsi
	call	puts
	movq	16(%rsp), %rax
	call	puthex
	call	newline
	leaq	msg_cr4(%rip), %rsi
	call	puts
	movq	%cr4, %rax
	call	puthex
	call	newline
	cli
	hlt

#include "../common/console.S"

	/* Vectors 0..13; only the #GP gate is filled in (the others are not present). */
	.balign	16
idt:
	.fill	(GP_VECTOR + 1) * 16, 1, 0
idt_end:
idt_desc:
	.word	idt_end - idt - 1
	.quad	0

msg_hello:
	.asciz	"64-bit mode, CR4 = "
msg_try:
	.asciz	"; setting CR4.LA57\n"
msg_nofault:
	.asciz	"no fault: CR4.LA57 changed in IA-32e mode\n"
msg_exc:
	.asciz	"exception "
msg_err:
	.asciz	", error code "
msg_rip:
	.asciz	" at RIP "
msg_cr4:
	.asciz	"CR4 = "
