/* iopb.S: the TSS I/O permission bit map (SDM Vol.1 §19.5.2; Vol.3A §8.2.1 Figure 8-2, §20.2.8.1). In
 * ring 3 with IOPL = 0, IN, OUT, INS and OUTS are allowed exactly when the map's bits for every port
 * they touch are 0; the two bytes holding a port's first bit must both lie within the TSS limit. With
 * IOPL = 3 no map is consulted. In virtual-8086 mode the map is consulted whatever IOPL. Each refused
 * access is #GP(0), printed by the common handler, which skips the instruction. Ring 3 prints through
 * port 0xE9, which the map allows. Last, virtual-8086 mode with IOPL 0: INT n is IOPL-sensitive (#GP(0)),
 * INT3 is not (SDM Vol.3A §20.2.7). */
	.include "lib.S"
	.set SEL_TSS32, SEL_TSS64          /* the GDT's spare system-descriptor slot */
	.set MAP_BYTES, 128                 /* ports 0..0x3FF */
main:
	call setup_idt32
	mov $idt32, %edi
	mov $0x82, %ecx
	mov $leave_user, %edx
	mov $0xee00, %eax                    /* interrupt gate, DPL 3 */
	call set_gate32
	mov $0x83, %ecx
	call set_gate32

	/* The 32-bit TSS: SS0:ESP0, the map base (offset 102) and the map right after the 104-byte TSS. */
	movl $kstack_top, tss32 + 4
	movl $SEL_DATA, tss32 + 8
	movw $104, tss32 + 102
	mov $iomap, %edi
	mov $MAP_BYTES + 1, %ecx
	mov $0xff, %al
	rep stosb
	andb $~0x02, iomap + (0xe9 >> 3)     /* port 0xE9 (the console) */
	movb $0, iomap + (0x80 >> 3)         /* ports 0x80-0x87 */
	movb $0, iomap + (0x3f8 >> 3)        /* ports 0x3F8-0x3FF: bits 0, but see 4 */
	/* Descriptor (SDM Vol.3A §8.2.2, Figure 8-3): limit 104 + 127, so the map's last byte is in the
	 * TSS and the byte after it is not. Type 9 (available 32-bit TSS), P, DPL 0. */
	mov $tss32, %eax
	shl $16, %eax
	or $104 + MAP_BYTES - 1, %eax
	mov %eax, gdt + SEL_TSS32
	mov $tss32, %eax
	mov %eax, %edx
	and $0xff000000, %eax
	shr $16, %edx
	and $0xff, %edx
	or %edx, %eax
	or $0x8900, %eax
	mov %eax, gdt + SEL_TSS32 + 4
	mov $SEL_TSS32, %ax
	ltr %ax

	PUTS32 m_ring3
	mov $0x0002, %eax                    /* EFLAGS: IOPL 0 */
	mov $ring3, %edx
	call enter_user
	PUTS32 m_iopl3
	mov $0x3002, %eax                    /* EFLAGS: IOPL 3 */
	mov $ring3_iopl3, %edx
	call enter_user
	PUTS32 m_v86
	mov $v86_code, %esi
	mov $v86_end - v86_code, %ecx
	mov $0x23002, %eax                   /* EFLAGS: VM, IOPL 3 */
	call enter_v86
	/* Virtual-8086 mode with IOPL 0: INT n (CD) is IOPL-sensitive, #GP(0); INT3 is not (SDM Vol.3A
	 * §20.2.7) and goes through IDT gate 3 (DPL 3), whose handler ends the visit. */
	PUTS32 m_v86b
	mov $idt32, %edi
	mov $3, %ecx
	mov $leave_user, %edx
	mov $0xee00, %eax
	call set_gate32
	mov $v86_code2, %esi
	mov $v86_end2 - v86_code2, %ecx
	mov $0x20002, %eax                   /* EFLAGS: VM, IOPL 0 */
	call enter_v86
	PUTS32 m_int3
	PUTS32 m_done
	EXIT 0

/* enter_user: IRET to ring 3 (SEL_UCODE32:EDX, SS = SEL_UDATA) with EFLAGS = EAX; returns once ring 3
 * executes INT $0x82. */
enter_user:
	pusha
	mov %esp, saved_esp
	push $SEL_UDATA
	push $ustack_top
	push %eax
	push $SEL_UCODE32
	push %edx
	iret

/* INT $0x82 / $0x83 from ring 3 or virtual-8086 mode: back to the caller of enter_user / enter_v86. */
leave_user:
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov saved_esp, %esp
	popa
	ret

/* enter_v86: copies ECX bytes of code from ESI to 0x7000 and IRETs to it in virtual-8086 mode (SDM
 * Vol.3A §20.2.5) with EFLAGS = EAX, CS = 0x700, SS:SP = 0:0x7f00; its #GP handler prints IP and skips
 * the 2-byte instruction. */
enter_v86:
	pusha
	mov %esp, saved_esp
	mov $0x7000, %edi
	rep movsb
	mov %eax, %ebx
	mov $idt32, %edi
	mov $13, %ecx
	mov $v86_gp, %edx
	mov $0x8e00, %eax
	call set_gate32
	push $0                              /* GS */
	push $0                              /* FS */
	push $0                              /* DS */
	push $0                              /* ES */
	push $0                              /* SS */
	push $0x7f00                         /* ESP */
	push %ebx                            /* EFLAGS */
	push $0x700                          /* CS */
	push $0                              /* EIP */
	iret

/* #GP from virtual-8086 mode. Frame after PUSHA: error code 32(%esp), EIP 36. DS came in null. */
v86_gp:
	pusha
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	PUTS32 m_v86gp
	HEX32 36(%esp)
	PUTS32 m_err
	HEX32 32(%esp)
	call newline32
	addl $2, 36(%esp)
	popa
	add $4, %esp
	iret

	.code16
v86_code:
	mov $'V', %al
	out %al, $0xe9                       /* allowed: prints V */
	out %al, $0xe8                       /* IOPL 3 does not help: #GP at ip 0004 */
	in $0x84, %al                        /* allowed */
	in $0x88, %al                        /* #GP at ip 0008 */
	mov $0x0a, %al
	out %al, $0xe9
	int $0x83
v86_end:
v86_code2:
	int $0x83                            /* IOPL 0: #GP(0) at ip 0000 */
	int3                                 /* through IDT gate 3 */
v86_end2:
	.code32

/* Ring 3, IOPL 0. */
ring3:
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	PUTS32 m_r1
	mov $'R', %al
	out %al, $0xe9                       /* 1. allowed */
	call newline32
	PUTS32 m_r2
	TRY32 r2_done
	out %al, $0xe8                       /* 2. port 0xE8's bit is 1: #GP(0) */
	PUTS32 m_nofault
r2_done:
	PUTS32 m_r3
	in $0x84, %al                        /* 3. allowed: ports 0x84, 0x86-0x87 */
	in $0x86, %ax
	TRY32 r3_done
	in $0x86, %eax                       /*    0x86-0x89: 0x88's bit is 1 */
	PUTS32 m_nofault
r3_done:
	PUTS32 m_r4
	mov $0x3fa, %dx
	TRY32 r4_done
	in (%dx), %al                        /* 4. bit 0, but the second byte read is beyond the limit */
	PUTS32 m_nofault
r4_done:
	PUTS32 m_r5
	mov $0x1000, %dx
	TRY32 r5_done
	in (%dx), %al                        /* 5. beyond the map */
	PUTS32 m_nofault
r5_done:
	PUTS32 m_r6
	mov $0xe9, %dx
	mov $m_abc, %esi
	mov $3, %ecx
	cld
	rep outsb                            /* 6. allowed: prints abc */
	mov $0x85, %dx
	mov $buf, %edi
	insb                                 /*    allowed */
	call newline32
	mov $0xe8, %dx
	TRY32 r6_done
	insb                                 /*    0xE8: #GP(0) */
	PUTS32 m_nofault
r6_done:
	int $0x82

/* Ring 3, IOPL 3: no map. */
ring3_iopl3:
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	in $0x88, %al
	mov $0x1000, %dx
	in (%dx), %al
	PUTS32 m_ok
	int $0x82

	.data
m_ring3: .asciz "ring 3, IOPL 0\n"
m_iopl3: .asciz "ring 3, IOPL 3\n"
m_v86:	.asciz "virtual-8086 mode, IOPL 3\n"
m_v86b:	.asciz "virtual-8086 mode, IOPL 0: int $0x83, int3\n"
m_int3:	.asciz "int3 reached IDT gate 3\n"
m_done:	.asciz "done\n"
m_r1:	.asciz "1: out 0xe9: "
m_r2:	.asciz "2: out 0xe8\n"
m_r3:	.asciz "3: in 0x84, 0x86 (word), 0x86 (dword)\n"
m_r4:	.asciz "4: in 0x3fa, map byte at the TSS limit\n"
m_r5:	.asciz "5: in 0x1000, beyond the map\n"
m_r6:	.asciz "6: rep outsb, insb 0x85, insb 0xe8: "
m_nofault: .asciz "no exception\n"
m_ok:	.asciz "in 0x88, in 0x1000: no exception\n"
m_v86gp: .asciz "v86 #GP ip="
m_abc:	.ascii "abc"
buf:	.long 0
	.align 8
saved_esp: .long 0
tss32:	.space 104
iomap:	.space MAP_BYTES + 1
	.align 16
	.space 1024
kstack_top:
	.space 1024
ustack_top:
