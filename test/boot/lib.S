/* lib.S: shared pieces of the boot test programs — Multiboot v1 header and entry, the GDT, console
 * output to port 0xE9, exit through port 0xF4, IDT gate setters and page-table builders.
 *
 * Each program `.include`s this file first and defines `main` (32-bit code, entered with the flat
 * segments of this GDT loaded, ESP on `stack_top`, interrupts off and the PICs masked).
 *
 * Entry state (Multiboot v1 spec §3.2 "Machine state"): 32-bit protected mode, CS/DS/ES/SS flat,
 * paging off, IF=0, EAX=0x2BADB002, EBX=physical address of the Multiboot info. The spec says GDTR
 * may be invalid, so the first thing `_start` does is load its own GDT and far-jump into it.
 *
 * Plain AT&T only (no .pushsection, no .ifdef tricks) so the built-in assembler can build these
 * programs later. Linked with `ld -m elf_i386 -Ttext 0x100000`: the image sits at 1 MiB.
 */

	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00000002          /* bit 1: ask for mem_lower/mem_upper */
	.set DEBUGCON, 0xe9
	.set EXITPORT, 0xf4

	/* GDT selectors (the table is `gdt` below). */
	.set SEL_CODE32, 0x08
	.set SEL_DATA,   0x10
	.set SEL_CODE64, 0x18
	.set SEL_CODE16, 0x20
	.set SEL_DATA16, 0x28
	.set SEL_UCODE64, 0x33             /* 0x30 | RPL 3 */
	.set SEL_UDATA,  0x3b              /* 0x38 | RPL 3 */
	.set SEL_UCODE32, 0x43             /* 0x40 | RPL 3 */
	.set SEL_TSS64,  0x48

	/* Control-register and EFER bits (SDM Vol.3A §2.5, §2.2.1). */
	.set CR0_PE, 0x00000001
	.set CR0_WP, 0x00010000
	.set CR0_PG, 0x80000000
	.set CR4_PAE, 0x00000020
	.set CR4_LA57, 0x00001000
	.set MSR_EFER, 0xc0000080
	.set EFER_LME, 0x00000100
	.set EFER_LMA, 0x00000400
	.set EFER_NXE, 0x00000800

	/* Page-table entry bits (SDM Vol.3A §4.5, Table 4-15 ff.). */
	.set PTE_P, 0x001
	.set PTE_W, 0x002
	.set PTE_U, 0x004
	.set PTE_PS, 0x080

	/* Print the NUL-terminated string at `msg`. */
	.macro PUTS32 msg
	mov $\msg, %esi
	call puts32
	.endm
	.macro PUTS64 msg
	mov $\msg, %esi
	call puts64
	.endm
	/* Print `reg` (a 32-bit register) as 8 hex digits. */
	.macro HEX32 reg
	mov \reg, %eax
	call puthex32
	.endm
	/* Print `reg` (a 64-bit register) as 16 hex digits. */
	.macro HEX64 reg
	mov \reg, %rax
	call puthex64
	.endm
	/* Sets the 16-byte IDT gate `vec` at EDI (idt64) to `handler` with the type/attribute word `attr`
	 * (bits 2:0 = IST; SDM Vol.3A Figure 7-8): clobbers EAX, ECX, EDX. */
	.macro GATE64 vec, handler, attr
	mov $\vec, %ecx
	mov $\handler, %edx
	mov $\attr, %eax
	call set_gate64
	.endm
	/* Write `value` to the exit port: QEMU's isa-debug-exit ends with status (value << 1) | 1. */
	.macro EXIT value
	mov $\value, %eax
	out %eax, $EXITPORT
	cli
	hlt
	.endm

	.text
	.code32
	.globl _start
_start:
	jmp mb_entry

	.align 4
mb_header:                              /* Multiboot v1 spec §3.1.1: within the first 8 KiB */
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

mb_entry:
	mov %eax, mb_magic
	mov %ebx, mb_info
	lgdt gdt_ptr
	ljmp $SEL_CODE32, $1f
1:	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov $stack_top, %esp
	/* Mask both 8259s: a BIOS (SeaBIOS under QEMU) leaves the timer unmasked. */
	mov $0xff, %al
	out %al, $0x21
	out %al, $0xa1
	call main
	EXIT 0x7f

/* puts32: prints the string at ESI to the debug console. Keeps every register but ESI. */
puts32:
	push %eax
1:	movb (%esi), %al
	inc %esi
	test %al, %al
	jz 2f
	out %al, $DEBUGCON
	jmp 1b
2:	pop %eax
	ret

/* puthex32: prints EAX as 8 hex digits. Keeps every register. */
puthex32:
	push %eax
	push %ecx
	push %edx
	mov %eax, %edx
	mov $8, %ecx
1:	rol $4, %edx
	mov %edx, %eax
	and $0xf, %eax
	movb hexdigits(%eax), %al
	out %al, $DEBUGCON
	dec %ecx
	jnz 1b
	pop %edx
	pop %ecx
	pop %eax
	ret

/* newline32: prints "\n". */
newline32:
	push %eax
	mov $0x0a, %al
	out %al, $DEBUGCON
	pop %eax
	ret

/* set_gate32: IDT[ECX] = 32-bit gate to EDX in SEL_CODE32 with type/attribute word EAX
 * (0x8E00 interrupt gate, 0x8F00 trap gate; SDM Vol.3A §6.11, Figure 6-2), in the table at EDI. */
set_gate32:
	push %ebx
	lea (%edi,%ecx,8), %ebx
	movw %dx, (%ebx)
	movw $SEL_CODE32, 2(%ebx)
	movw %ax, 4(%ebx)
	push %edx
	shr $16, %edx
	movw %dx, 6(%ebx)
	pop %edx
	pop %ebx
	ret

/* set_gate64: IDT[ECX] = 64-bit gate to EDX (handlers sit below 4 GiB) in SEL_CODE64 with type/attribute
 * word EAX (0x8E00 interrupt gate), in the table at EDI (SDM Vol.3A §6.14.1, Figure 6-8). */
set_gate64:
	push %ebx
	mov %ecx, %ebx
	shl $4, %ebx
	add %edi, %ebx
	movw %dx, (%ebx)
	movw $SEL_CODE64, 2(%ebx)
	movw %ax, 4(%ebx)
	push %edx
	shr $16, %edx
	movw %dx, 6(%ebx)
	pop %edx
	movl $0, 8(%ebx)
	movl $0, 12(%ebx)
	pop %ebx
	ret

/* zero_page: clears the 4 KiB at EDI. */
zero_page:
	push %eax
	push %ecx
	push %edi
	xor %eax, %eax
	mov $1024, %ecx
	rep stosl
	pop %edi
	pop %ecx
	pop %eax
	ret

/* build_paging: 4-level tables identity-mapping the first 1 GiB, every level user-accessible and
 * writable: PML4[0] -> pdpt, pdpt[0] -> pd, pd[0] -> pt (4 KiB pages for 0-2 MiB, where the program
 * lives, so tests can change single PTEs), pd[1..511] 2 MiB pages. pml5[0] -> pml4 for 5-level paging.
 * CR3 values: pml4 (4-level) or pml5 (5-level). */
build_paging:
	pusha
	mov $pml5, %edi
	call zero_page
	mov $pml4, %edi
	call zero_page
	mov $pdpt, %edi
	call zero_page
	mov $pd, %edi
	call zero_page
	mov $pml4 + PTE_P + PTE_W + PTE_U, %eax
	mov %eax, pml5
	mov $pdpt + PTE_P + PTE_W + PTE_U, %eax
	mov %eax, pml4
	mov $pd + PTE_P + PTE_W + PTE_U, %eax
	mov %eax, pdpt
	mov $pt + PTE_P + PTE_W + PTE_U, %eax
	mov %eax, pd
	/* pd[1..511]: 2 MiB pages */
	mov $1, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $PTE_P + PTE_W + PTE_U + PTE_PS, %eax
	mov %eax, pd(,%ecx,8)
	movl $0, pd+4(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	/* pt[0..511]: 4 KiB pages */
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	or $PTE_P + PTE_W + PTE_U, %eax
	mov %eax, pt(,%ecx,8)
	movl $0, pt+4(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 2b
	popa
	ret

/* enable_long: from 32-bit protected mode with paging off, turn on IA-32e mode with the 4-level tables
 * (SDM Vol.3A §10.8.5): CR4.PAE, CR3, EFER.LME, then CR0.PG. Returns in compatibility mode. */
enable_long:
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	ret

	.code64
/* puts64: prints the string at RSI. Keeps every register but RSI. */
puts64:
	push %rax
1:	movb (%rsi), %al
	inc %rsi
	test %al, %al
	jz 2f
	out %al, $DEBUGCON
	jmp 1b
2:	pop %rax
	ret

/* puthex64: prints RAX as 16 hex digits. Keeps every register. */
puthex64:
	push %rax
	push %rcx
	push %rdx
	mov %rax, %rdx
	mov $16, %ecx
1:	rol $4, %rdx
	mov %edx, %eax
	and $0xf, %eax
	movb hexdigits(%eax), %al
	out %al, $DEBUGCON
	dec %ecx
	jnz 1b
	pop %rdx
	pop %rcx
	pop %rax
	ret

newline64:
	push %rax
	mov $0x0a, %al
	out %al, $DEBUGCON
	pop %rax
	ret
	.code32

/* Exception stubs. Each pushes a dummy error code where the CPU pushes none (SDM Vol.3A Table 6-1),
 * then its vector, and goes to the common handler, which prints "vec=… err=…" (and CR2 for #PF) and
 * resumes at `resume32`/`resume64` when the program set one (the faulting instruction is skipped);
 * a 64-bit fault without a resume point ends the program with exit value 0x3f. */
	.macro ISR32 vec, err
isr32_\vec:
	.if \err == 0
	pushl $0
	.endif
	pushl $\vec
	jmp isr32_common
	.endm
	ISR32 0, 0
	ISR32 6, 0
	ISR32 8, 1
	ISR32 13, 1
	ISR32 14, 1

/* Frame after PUSHA: vector 32(%esp), error code 36, EIP 40, CS 44, EFLAGS 48. */
isr32_common:
	pusha
	PUTS32 m_vec
	HEX32 32(%esp)
	PUTS32 m_err
	HEX32 36(%esp)
	cmpl $14, 32(%esp)
	jne 1f
	PUTS32 m_cr2
	mov %cr2, %eax
	HEX32 %eax
1:	PUTS32 m_if
	pushf
	pop %eax
	shr $9, %eax
	and $1, %eax
	HEX32 %eax
	call newline32
	mov resume32, %eax
	test %eax, %eax
	jz 2f
	mov %eax, 40(%esp)
	movl $0, resume32
2:	popa
	add $8, %esp
	iret

/* setup_idt32: interrupt gates for the stubs above, then LIDT. */
setup_idt32:
	pusha
	mov $idt32, %edi
	mov $0x8e00, %eax
	mov $0, %ecx
	mov $isr32_0, %edx
	call set_gate32
	mov $6, %ecx
	mov $isr32_6, %edx
	call set_gate32
	mov $8, %ecx
	mov $isr32_8, %edx
	call set_gate32
	mov $13, %ecx
	mov $isr32_13, %edx
	call set_gate32
	mov $14, %ecx
	mov $isr32_14, %edx
	call set_gate32
	lidt idt32_ptr
	popa
	ret

/* setup_idt64: the same for 64-bit mode (gates built here, in 32-bit code; LIDT happens in 64-bit code
 * with `lidt idt64_ptr(%rip)`, which takes an 8-byte base). */
setup_idt64:
	pusha
	mov $idt64, %edi
	mov $0x8e00, %eax
	mov $0, %ecx
	mov $isr64_0, %edx
	call set_gate64
	mov $6, %ecx
	mov $isr64_6, %edx
	call set_gate64
	mov $8, %ecx
	mov $isr64_8, %edx
	call set_gate64
	mov $13, %ecx
	mov $isr64_13, %edx
	call set_gate64
	mov $14, %ecx
	mov $isr64_14, %edx
	call set_gate64
	popa
	ret

	.code64
	.macro ISR64 vec, err
isr64_\vec:
	.if \err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp isr64_common
	.endm
	ISR64 0, 0
	ISR64 6, 0
	ISR64 8, 1
	ISR64 13, 1
	ISR64 14, 1

/* Frame after two pushes: vector 16(%rsp), error code 24, RIP 32, CS 40, RFLAGS 48, RSP 56, SS 64.
 * Resuming goes to ring 0 (CS SEL_CODE64, SS SEL_DATA) on the stack saved in resume_rsp. */
isr64_common:
	push %rax
	push %rsi
	PUTS64 m_vec
	mov 16(%rsp), %rax
	call puthex64
	PUTS64 m_err
	mov 24(%rsp), %rax
	call puthex64
	cmpq $14, 16(%rsp)
	jne 1f
	PUTS64 m_cr2
	mov %cr2, %rax
	call puthex64
1:	PUTS64 m_cs
	mov 40(%rsp), %rax
	call puthex64
	call newline64
	mov resume64(%rip), %rax
	test %rax, %rax
	jnz 2f
	EXIT 0x3f
2:	mov %rax, 32(%rsp)
	movq $SEL_CODE64, 40(%rsp)
	movq $SEL_DATA, 64(%rsp)
	mov resume_rsp(%rip), %rax
	mov %rax, 56(%rsp)
	movq $0, resume64(%rip)
	pop %rsi
	pop %rax
	add $16, %rsp
	iretq

	/* Set the resume point of the next 64-bit fault to `label`, on the current stack. */
	.macro TRY64 label
	push %rax
	mov $\label, %eax
	mov %rax, resume64(%rip)
	pop %rax
	mov %rsp, resume_rsp(%rip)
	.endm
	.code32
	.macro TRY32 label
	movl $\label, resume32
	.endm

	.data
	.align 8
gdt:
	.quad 0                             /* 0x00 null */
	.quad 0x00cf9b000000ffff            /* 0x08 code, 32-bit, flat, DPL 0 */
	.quad 0x00cf93000000ffff            /* 0x10 data, flat, DPL 0 */
	.quad 0x00af9b000000ffff            /* 0x18 code, 64-bit (L=1), DPL 0 */
	.quad 0x00009b000000ffff            /* 0x20 code, 16-bit, base 0, limit 64 KiB */
	.quad 0x000093000000ffff            /* 0x28 data, 16-bit, base 0, limit 64 KiB */
	.quad 0x00affb000000ffff            /* 0x30 code, 64-bit, DPL 3 */
	.quad 0x00cff3000000ffff            /* 0x38 data, flat, DPL 3 */
	.quad 0x00cffb000000ffff            /* 0x40 code, 32-bit, flat, DPL 3 */
	.quad 0, 0                          /* 0x48 64-bit TSS (filled in by programs that need it) */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
	.long 0                             /* upper base bits for a 64-bit LGDT */
hexdigits:
	.ascii "0123456789abcdef"
mb_magic:
	.long 0
mb_info:
	.long 0
	.align 8
resume64: .quad 0
resume_rsp: .quad 0
resume32: .long 0
idt32_ptr:
	.word 256 * 8 - 1
	.long idt32
	.align 8
	.word 0, 0, 0
idt64_ptr:
	.word 256 * 16 - 1
	.long idt64, 0
m_vec:	.asciz "exception vec="
m_err:	.asciz " err="
m_cr2:	.asciz " cr2="
m_if:	.asciz " if="
m_cs:	.asciz " cs="

	.bss
	.align 4096
pml5:	.skip 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
pt:	.skip 4096
idt64:	.skip 4096
idt32:	.skip 2048
	.align 16
	.skip 16384
stack_top:

	.text
