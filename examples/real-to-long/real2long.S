/*
 * real2long.S: a boot sector that goes the whole way from real mode to 64-bit long mode, as a boot
 * loader does: banner through the BIOS (int 10h AH=0Eh teletype), the rest of the image read to 0x7e00
 * (int 13h AH=42h, EDD extended read), the E820 memory map counted (int 15h EAX=E820h), A20 enabled
 * (int 15h AX=2401h), a GDT loaded, protected mode entered (CR0.PE + far jump), identity-mapped
 * 4-level page tables built for the first 2 MiB, then PAE, EFER.LME and CR0.PG (IA-32e mode, SDM
 * Vol.3A §10.8.5) and a far jump to a 64-bit code segment, which prints "long mode" on port 0xE9 and
 * writes 0 to the isa-debug-exit port 0xF4 (exit status (0 << 1) | 1 = 1).
 *
 * The file is the disk image: sector 0 is the boot sector (510 bytes + 55h AAh), the sectors after it
 * are the second stage, loaded at 0x7e00 — right behind the boot sector, so its addresses assemble at
 * their final place with the whole file's origin 0x7c00.
 */
#define DEBUG_PORT	0xe9
#define EXIT_PORT	0xf4

#define CODE32_SEL	0x08
#define DATA_SEL	0x10
#define CODE64_SEL	0x18

/* Page tables in free conventional memory (below the boot sector, above the BDA). */
#define PML4		0x1000
#define PDPT		0x2000
#define PD		0x3000

#define MSR_EFER	0xc0000080
#define EFER_LME	0x100
#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x20
#define SMAP		0x534d4150

	.code16
	.text
	.globl	_start
_start:
	cli
	ljmp	$0, $start16		/* CS = 0 whatever the BIOS used (07C0:0000 or 0000:7C00) */
start16:
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	movb	%dl, boot_drive

	movw	$msg_banner, %si
	call	print16

	/* The second stage: sectors 1.. to 0x7e00 (EDD 3.0 §8.3, disk address packet at DS:SI). */
	movw	$dap, %si
	movb	$0x42, %ah
	movb	boot_drive, %dl
	int	$0x13
	jc	disk_error

	/* E820: EBX = 0 to start, then the continuation value; EBX = 0 after the last entry (ACPI §15). */
	xorl	%ebx, %ebx
	xorw	%bp, %bp
e820_next:
	movw	$e820_buf, %di
	movl	$1, 20(%di)		/* ACPI 3.0 extended attributes: "valid" unless the BIOS says otherwise */
	movl	$0xe820, %eax
	movl	$SMAP, %edx
	movl	$24, %ecx
	int	$0x15
	jc	e820_done
	cmpl	$SMAP, %eax
	jne	e820_done
	incw	%bp
	testl	%ebx, %ebx
	jnz	e820_next
e820_done:
	movw	$msg_e820, %si
	call	print16
	movw	%bp, %ax		/* the count, in decimal (fewer than 100 entries) */
	movb	$10, %cl
	divb	%cl			/* AL = tens, AH = units */
	addb	$'0', %ah
	movb	%ah, digits+1
	movw	$digits+1, %si
	testb	%al, %al
	jz	1f
	addb	$'0', %al
	movb	%al, digits
	movw	$digits, %si
1:	call	print16

	/* A20 through the BIOS, so addresses with bit 20 set are not wrapped (the page tables don't need it, 64-bit code would). */
	movw	$0x2401, %ax
	int	$0x15

	jmp	stage2

disk_error:
	movw	$msg_disk, %si
	call	print16
1:	cli
	hlt
	jmp	1b

/* Prints the NUL-terminated string at DS:SI with int 10h AH=0Eh (teletype), page 0. */
print16:
	lodsb
	testb	%al, %al
	jz	1f
	movb	$0x0e, %ah
	movw	$0x0007, %bx
	int	$0x10
	jmp	print16
1:	ret

boot_drive:	.byte 0
dap:					/* EDD disk address packet */
	.byte	0x10, 0
	.word	(image_end - stage2) / 512	/* sectors */
	.word	stage2, 0		/* buffer offset:segment */
	.quad	1			/* first LBA */
msg_banner:	.asciz "real2long: real mode\r\n"
msg_e820:	.asciz "E820 entries: "
msg_disk:	.asciz "disk read failed\r\n"
digits:		.ascii "??"
		.asciz "\r\n"
e820_buf:	.fill 24, 1, 0

	.org	510
	.word	0xaa55

/* ---- Sector 1 on: the second stage, at 0x7e00 ---- */
stage2:
	cli
	lgdt	gdt_desc		/* 16-bit operand size: a 24-bit base, enough below 16 MiB */
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0		/* protected mode, still running the 16-bit CS cache (SDM Vol.3A §10.9.1) */
	ljmp	$CODE32_SEL, $pm32

	.code32
pm32:
	movw	$DATA_SEL, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$0x7c00, %esp

	/* Identity map of the first 2 MiB: PML4[0] → PDPT, PDPT[0] → PD, PD[0] = 2 MiB page at 0 (SDM Vol.3A §4.5). */
	movl	$PML4, %edi
	xorl	%eax, %eax
	movl	$(3 * 4096 / 4), %ecx
	cld
	rep stosl
	movl	$(PDPT | 3), PML4	/* present, writable */
	movl	$(PD | 3), PDPT
	movl	$0x83, PD		/* present, writable, PS: 2 MiB page frame 0 */

	/* SDM Vol.3A §10.8.5: PAE, CR3, EFER.LME, then CR0.PG activates IA-32e mode (compatibility mode). */
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$PML4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	ljmp	$CODE64_SEL, $lm64	/* CS.L = 1: 64-bit mode */

	.code64
lm64:
	leaq	msg_long(%rip), %rsi
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, $DEBUG_PORT
	jmp	1b
2:	xorl	%eax, %eax
	outb	%al, $EXIT_PORT		/* isa-debug-exit: status (0 << 1) | 1 */
3:	cli
	hlt
	jmp	3b

msg_long:	.asciz "long mode\n"

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code, base 0, limit 4 GiB */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, limit 4 GiB */
	.quad	0x00af9a000000ffff	/* 0x18: 64-bit code (L = 1, D = 0) */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.balign	512, 0			/* whole sectors */
image_end:
