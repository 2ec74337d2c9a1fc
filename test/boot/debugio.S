/* debugio.S: I/O breakpoints (SDM Vol.3B §17.2.4 R/W = 10b with CR4.DE = 1, §17.2.5, §17.3.1.2): a trap
 * after the IN, OUT, INS or OUTS that accessed a port in the breakpoint's range. The #DB handler prints
 * where it returns to (as an offset from `base`), DR6 and ECX, and writes DR6 = 0. Ports 0x80-0x87 are
 * the POST and DMA page registers on both machines (writes are harmless, reads return whatever they
 * hold); the console port 0xE9 is never in a range, so the handler's printing does not trap. */
	.include "lib.S"

	.set RW_IO, 2
	.set LEN1, 0
	.set LEN2, 1
	.set LEN4, 3
	.set CR4_DE, 0x8

main:
	call setup_idt32
	mov $idt32, %edi
	mov $1, %ecx
	mov $db_handler, %edx
	mov $0x8e00, %eax                    /* interrupt gate */
	call set_gate32
	xor %eax, %eax
	mov %eax, %dr6
	mov %cr4, %eax
	or $CR4_DE, %eax
	mov %eax, %cr4

	/* 1. DR0 on port 0x80 (1 byte, L0): OUT and IN at 0x80 trap, 0x81 does not, a word OUT at 0x7F
	 * (covering 0x7F-0x80) traps, OUT through DX traps. */
	PUTS32 m_t1
	mov $0x80, %eax
	mov %eax, %dr0
	mov $(0x400 | 1 | (RW_IO << 16) | (LEN1 << 18)), %eax
	mov %eax, %dr7
	xor %eax, %eax
base:
	outb %al, $0x80
	inb $0x81, %al
	inb $0x80, %al
	outw %ax, $0x7f
	mov $0x80, %dx
	xor %eax, %eax
	outb %al, %dx
	nop
	call count

	/* 2. DR3 on ports 0x84-0x87 (LEN = 11b, G3) and DR1 on 0x82-0x83 (LEN = 01b, L1): a byte at 0x86
	 * meets DR3, at 0x83 DR1, at 0x88 neither; a dword at 0x80 (0x80-0x83) meets DR1, at 0x84 DR3. */
	PUTS32 m_t2
	mov $0x84, %eax
	mov %eax, %dr3
	mov $0x82, %eax
	mov %eax, %dr1
	mov $(0x400 | 0x80 | 4 | (RW_IO << 28) | (LEN4 << 30) | (RW_IO << 20) | (LEN2 << 22)), %eax
	mov %eax, %dr7
	xor %eax, %eax
	outb %al, $0x86
	outb %al, $0x83
	outb %al, $0x88
	outl %eax, $0x80
	outl %eax, $0x84
	nop
	call count

	/* 3. OUTSB and INSB (not repeated) through DX = 0x85: a trap after each. */
	PUTS32 m_t3
	cld
	mov $0x85, %dx
	mov $buf, %esi
	outsb
	mov $buf, %edi
	insb
	nop
	call count

	/* 4. With DR0 on port 0x80 and R/W0 = 10b, L0, but CR4.DE = 0: undefined (§17.2.4); QEMU takes it as
	 * an I/O breakpoint all the same. */
	PUTS32 m_t4
	mov %cr4, %eax
	and $~CR4_DE, %eax
	mov %eax, %cr4
	mov $(0x400 | 1 | (RW_IO << 16) | (LEN1 << 18)), %eax
	mov %eax, %dr7
	xor %eax, %eax
	outb %al, $0x80
	nop
	mov $0x400, %eax
	mov %eax, %dr7
	call count

	/* 5. REP OUTSB, ECX = 3, DX = 0x85: the I/O breakpoint traps after the first
	 * iteration, on the REP instruction with ECX = 2 (§17.3.1.2), and again after each later one, as each
	 * accesses the port. DR3 is still set from test 2 and enabled again here (G3). */
	mov %cr4, %eax
	or $CR4_DE, %eax
	mov %eax, %cr4
	mov $(0x400 | 0x80 | (RW_IO << 28) | (LEN4 << 30)), %eax
	mov %eax, %dr7
	PUTS32 m_t5
	mov $0x85, %dx
	mov $buf, %esi
	mov $3, %ecx
	rep outsb
	PUTS32 m_ecx
	HEX32 %ecx
	call newline32
	mov $0x400, %eax
	mov %eax, %dr7
	call count
	EXIT 0

	.include "dbcount.S"

	.data
buf:	.long 0
m_t1:	.asciz "1: port 0x80, 1 byte\n"
m_t2:	.asciz "2: ports 0x84-0x87 and 0x82-0x83\n"
m_t3:	.asciz "3: OUTSB, INSB\n"
m_t5:	.asciz "5: REP OUTSB\n"
m_t4:	.asciz "4: R/W = 10b with CR4.DE = 0\n"
