/* boot.S: the assembly half of the multiboot-kernel example — the Multiboot v1 header, the entry point
 * (a stack, then kmain(magic, info)), loading the kernel's own GDT with a far jump to reload CS, and the
 * interrupt entry stubs (they save the registers the C code may clobber and return with iret).
 *
 * Multiboot v1 spec §3.1.1: the header (magic, flags, checksum with magic + flags + checksum = 0) lies
 * within the first 8 KiB of the image, 32-bit aligned. §3.2: the kernel is entered in 32-bit protected
 * mode with paging off, interrupts off, EAX = 0x2BADB002 and EBX = the Multiboot information. */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00000003           /* bit 0: modules page-aligned; bit 1: memory information */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	mov $stack_top, %esp
	push %ebx                           /* kmain(magic, info) */
	push %eax
	call kmain
1:	cli
	hlt
	jmp 1b

/* gdt_load(descriptor, code selector, data selector): lgdt, reload the data segments, far jump for CS. */
	.globl gdt_load
gdt_load:
	mov 4(%esp), %eax
	lgdt (%eax)
	mov 12(%esp), %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	pushl 8(%esp)                       /* CS, then the return address: lret loads both */
	push $1f
	lret
1:	ret

/* The timer interrupt (IRQ 0 after the 8259 remap, vector 0x20): the C handler sends the EOI. */
	.globl irq0_entry
irq0_entry:
	pusha
	cld                                 /* the SysV ABI wants DF = 0 on calls */
	call timer_interrupt
	popa
	iret

/* Every other vector: report it and stop (a kernel bug or an unexpected interrupt). */
	.globl unexpected_entry
unexpected_entry:
	cld
	call unexpected_interrupt
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits  /* no executable stack wanted (silences ld) */

	.bss
	.align 16
stack:
	.skip 16384
stack_top:
