/* realtrip.S: a boot sector that goes real mode → 32-bit protected mode → IA-32e 64-bit mode and all
 * the way back to real mode, printing on port 0xE9 at each stage (SDM Vol.3A §10.9.1 switching to
 * protected mode, §10.8.5 initializing IA-32e mode, §10.8.5.4 leaving it, §10.9.2 switching back to
 * real-address mode). It uses no BIOS service: a BIOS only has to load it at 0000:7C00.
 *
 * The way back: a far return from 64-bit mode into a 32-bit (compatibility-mode) code segment;
 * CR0.PG = 0 there deactivates IA-32e mode (EFER.LMA = 0); EFER.LME and CR4.PAE cleared; a far jump to
 * a 16-bit code segment with a 64 KiB limit, and data segments with a 64 KiB limit, byte granular,
 * expand-up and writable (§10.9.2 step 4: real-mode-compatible segment caches); CR0.PE = 0; a far jump
 * reloads CS with a real-mode value. Then real mode must behave as such: a segment register loads
 * selector × 16 as its base, and INT n goes through the IVT at 0 (IDTR was never changed).
 *
 * Built with `as --32` and `ld -Ttext 0x7c00 --oformat binary`; booted from a raw disk image. */
	.set DEBUGCON, 0xe9
	.set EXITPORT, 0xf4
	.set PML4, 0x1000                    /* PML4 → PDPT 0x2000 → PD 0x3000: one 2 MiB page at 0 */

	.text
	.code16
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7c00, %sp
	ljmp $0, $real1                      /* CS = 0, whatever the BIOS jumped with */
real1:
	mov $m_real, %si
	call puts
	lgdt gdt_ptr
	mov %cr0, %eax
	or $1, %al                           /* CR0.PE */
	mov %eax, %cr0
	ljmpl $0x08, $pm32

	.code32
pm32:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $m_pm32, %esi
	call puts
	mov $PML4, %edi
	xor %eax, %eax
	mov $3 * 1024, %ecx
	rep stosl
	movl $PML4 + 0x1003, PML4            /* P | W */
	movl $PML4 + 0x2003, PML4 + 0x1000
	movl $0x83, PML4 + 0x2000            /* P | W | PS: 2 MiB at 0 */
	mov %cr4, %eax
	or $0x20, %eax                       /* CR4.PAE */
	mov %eax, %cr4
	mov $PML4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx                /* IA32_EFER */
	rdmsr
	or $0x100, %eax                      /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax                 /* CR0.PG: IA-32e mode, compatibility mode */
	mov %eax, %cr0
	ljmp $0x18, $long64

	.code64
long64:
	mov $m_long, %esi
	call puts
	pushq $0x08
	mov $compat32, %eax
	push %rax
	lretq                                /* to compatibility mode */

	.code32
compat32:
	mov %cr0, %eax
	and $0x7fffffff, %eax                /* CR0.PG = 0: IA-32e mode off (LMA = 0) */
	mov %eax, %cr0
	mov $0xc0000080, %ecx
	rdmsr
	and $~0x100, %eax                    /* LME = 0 */
	wrmsr
	mov $m_pm32b, %esi
	call puts
	ljmp $0x20, $pm16                    /* 16-bit code, limit 0xFFFF */

	.code16
pm16:
	mov $0x28, %ax                       /* 16-bit data, limit 0xFFFF */
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $m_pm16, %si
	call puts
	mov %cr0, %eax
	and $0xfe, %al                       /* CR0.PE = 0 */
	mov %eax, %cr0
	ljmp $0, $real2

real2:
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $m_real2, %si
	call puts
	mov %cr0, %eax
	and $0x80000001, %eax
	call hex
	mov $m_efer, %si
	call puts
	mov $0xc0000080, %ecx
	rdmsr
	and $0x500, %eax                     /* LMA, LME */
	call hex
	mov $m_ds, %si
	call puts
	mov $0x07c0, %ax                     /* base 0x7C00: the first byte is CLI (FA) */
	mov %ax, %ds
	movzbl 0, %eax
	xor %bx, %bx
	mov %bx, %ds
	call hex
	movw $int40, 0x40 * 4                /* IVT[0x40] = 0000:int40 */
	movw $0, 0x40 * 4 + 2
	int $0x40
	mov $0, %al
	out %al, $EXITPORT                   /* QEMU's isa-debug-exit: status (0 << 1) | 1 */

int40:
	mov $m_int, %si
	call puts
	iret

/* hex: prints EAX as 8 hex digits (16-bit code). */
hex:
	mov $8, %cx
1:	rol $4, %eax
	push %eax
	and $0xf, %al
	cmp $10, %al                         /* 0-9 → '0'-'9', 10-15 → 'A'-'F' */
	sbb $0x69, %al
	das
	out %al, $DEBUGCON
	pop %eax
	loop 1b
	ret

/* puts: prints the NUL-terminated string at (R/E)SI. Its bytes decode the same in 16-, 32- and 64-bit
 * code (LODSB, TEST, JZ, OUT, JMP, RET), so every stage calls it. */
puts:
	lodsb
	test %al, %al
	jz 1f
	out %al, $DEBUGCON
	jmp puts
1:	ret

m_real:	.asciz "real\n"
m_pm32:	.asciz "pm32\n"
m_long:	.asciz "long64\n"
m_pm32b: .asciz "pm32, PG=0\n"
m_pm16:	.asciz "pm16\n"
m_real2: .asciz "real, PG|PE="
m_efer:	.asciz "\nLMA|LME="
m_ds:	.asciz "\n7c0:0="
m_int:	.asciz "\nint40\n"

gdt:                                    /* the null descriptor holds the GDTR image */
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
	.word 0
	.quad 0x00cf9b000000ffff             /* 0x08 32-bit code, flat */
	.quad 0x00cf93000000ffff             /* 0x10 data, flat */
	.quad 0x00af9b000000ffff             /* 0x18 64-bit code */
	.quad 0x00009b000000ffff             /* 0x20 16-bit code, base 0, limit 0xFFFF, byte granular */
	.quad 0x000093000000ffff             /* 0x28 16-bit data, base 0, limit 0xFFFF */
gdt_end:

	.org 510
	.word 0xaa55
