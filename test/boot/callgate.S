/* callgate.S: privilege changes through call gates (SDM Vol.3A §5.8.3-§5.8.6, Vol.2A CALL and Vol.2B RET
 * "Operation").
 *  1. Ring 3 calls a 32-bit call gate (DPL 3, parameter count 2) to ring 0: the processor loads SS0:ESP0
 *     from the TSS and pushes the caller's SS, ESP, the 2 parameters (in their order), CS and EIP on it
 *     (§5.8.5, Figure 5-13); RET 8 returns to ring 3, releasing the parameters on both stacks and
 *     restoring the caller's SS:ESP (§5.8.6).
 *  2. The same through a 16-bit call gate (type 4): every slot is 16 bits (§5.8.3, Figure 5-8).
 *  3. Faults (§5.8.4 Figure 5-11 and the CALL pseudocode): gate DPL < CPL or < RPL, #GP(gate); gate not
 *     present, #NP(gate); target not a code segment, #GP(target); null target, #GP(0); target not
 *     present, #NP(target); target DPL > CPL, #GP(target); JMP through a gate to a more privileged
 *     non-conforming segment, #GP(target); a bad inner stack selector in the TSS, #TS(SS selector) or
 *     #TS(0) when null, and a not-present inner stack segment, #SS(SS selector) (CALL "MORE-PRIVILEGE").
 *  4. IA-32e mode: the 16-byte 64-bit call gate (§5.8.3.1, Figure 5-9) from 64-bit ring 3 to ring 0:
 *     RSP0 from the 64-bit TSS, SS null with RPL 0, no parameters copied, 8-byte slots (§5.8.5.1,
 *     Figure 5-14); RETF (REX.W) back; then the same from ring 3 in compatibility mode. Faults: a target
 *     that is not 64-bit code, a 16-bit gate type and a non-zero type field in the gate's upper half
 *     are each #GP(selector). */
	.include "lib.S"
	.set SEL_TSS32,   0x48
	.set SEL_GATE32,  0x58               /* DPL 3, -> 0x08:cg32, 2 parameters */
	.set SEL_GATE16,  0x60               /* DPL 3, -> 0x68:cg16, 2 parameters */
	.set SEL_CODE32B, 0x68               /* DPL 0, 32-bit code at base 0x100000 */
	.set SEL_GATE_D0, 0x70               /* DPL 0, -> 0x08:cg32 */
	.set SEL_GATE_NP, 0x78               /* DPL 3, not present */
	.set SEL_GATE_DS, 0x80               /* DPL 3, -> SEL_DATA */
	.set SEL_GATE_NUL, 0x88              /* DPL 3, -> null */
	.set SEL_GATE_CNP, 0x90              /* DPL 3, -> 0x98 */
	.set SEL_CODE_NP, 0x98               /* DPL 0 code, not present */
	.set SEL_GATE_R1, 0xa0               /* DPL 3, -> 0xa8:cg32 */
	.set SEL_CODE_R1, 0xa8               /* DPL 1, 32-bit flat code */
	.set SEL_GATE_U,  0xb0               /* DPL 3, -> SEL_UCODE32 (DPL 3) */
	.set SEL_TSS64B,  0xb8               /* 64-bit TSS (16 bytes) */
	.set SEL_GATE64,  0xc8               /* 64-bit gate, DPL 3, -> SEL_CODE64:cg64 */
	.set SEL_GATE64C, 0xd8               /* 64-bit gate -> SEL_CODE32 (not 64-bit code) */
	.set SEL_GATE64W, 0xe8               /* 16-bit gate type in IA-32e mode */
	.set SEL_GATE64T, 0xf8               /* 64-bit gate, upper type field 0CH */
	.set SEL_UCODE32B, 0x10b             /* DPL 3, 32-bit code at base 0x100000 */
	.set SEL_DATA_R1NP, 0x110            /* DPL 1 data, not present */
	.set IMAGE, 0x100000
	.set USTACK, 0x8000                  /* ring 3's stack: below 64 KiB, so 16-bit slots hold it */

	/* GATE slot, target, offset, access word: a call gate (Figure 5-8) in cgdt. */
	.macro GATE slot, target, offset, attr
	mov $\offset, %edx
	movw %dx, cgdt + \slot
	movw $\target, cgdt + \slot + 2
	movw $\attr, cgdt + \slot + 4
	shr $16, %edx
	movw %dx, cgdt + \slot + 6
	.endm

main:
	lgdt cgdt_ptr
	GATE SEL_GATE32, SEL_CODE32, cg32, 0xec02
	GATE SEL_GATE16, SEL_CODE32B, cg16-IMAGE, 0xe402
	GATE SEL_GATE_D0, SEL_CODE32, cg32, 0x8c00
	GATE SEL_GATE_NP, SEL_CODE32, cg32, 0x6c00
	GATE SEL_GATE_DS, SEL_DATA, cg32, 0xec00
	GATE SEL_GATE_NUL, 0, cg32, 0xec00
	GATE SEL_GATE_CNP, SEL_CODE_NP, cg32, 0xec00
	GATE SEL_GATE_R1, SEL_CODE_R1, cg32, 0xec00
	GATE SEL_GATE_U, SEL_UCODE32, cg32, 0xec00
	/* 64-bit gates: offset 63:32 and the upper type field (second quadword) stay 0 unless set. */
	GATE SEL_GATE64, SEL_CODE64, cg64, 0xec00
	GATE SEL_GATE64C, SEL_CODE32, cg64, 0xec00
	GATE SEL_GATE64W, SEL_CODE64, cg64, 0xe400
	GATE SEL_GATE64T, SEL_CODE64, cg64, 0xec00
	movb $0x0c, cgdt + SEL_GATE64T + 13

	call setup_idt32
	mov $idt32, %edi
	mov $0x8e00, %eax
	mov $10, %ecx
	mov $isr_ts, %edx
	call set_gate32
	mov $11, %ecx
	mov $isr_np, %edx
	call set_gate32
	mov $12, %ecx
	mov $isr_ss, %edx
	call set_gate32
	mov $0x82, %ecx
	mov $leave_user, %edx
	mov $0xee00, %eax                    /* interrupt gate, DPL 3 */
	call set_gate32

	/* The 32-bit TSS (SDM Vol.3A §7.2.1 Figure 7-2): SS0:ESP0; SS1 is set per test. */
	movl $kstack_top, tss32 + 4
	movl $SEL_DATA, tss32 + 8
	movl $kstack_top, tss32 + 12
	mov $tss32, %eax
	mov $0x67, %ecx
	mov $0x8900, %edx
	mov $cgdt + SEL_TSS32, %edi
	call set_sys_desc
	mov $SEL_TSS32, %ax
	ltr %ax

	PUTS32 m_part1
	mov $SEL_UCODE32, %ecx
	mov $ring3_a, %edx
	call enter_user
	PUTS32 m_part2
	mov $SEL_UCODE32B, %ecx
	mov $ring3_b - IMAGE, %edx
	call enter_user
	PUTS32 m_part3
	mov $SEL_UCODE32, %ecx
	mov $ring3_c, %edx
	call enter_user

	/* Ring 0: RPL 3 in the selector of a DPL 0 gate, and a gate to a less privileged (DPL 3) segment. */
	PUTS32 m_f10
	TRY32 f10_done
	lcall $SEL_GATE_D0 | 3, $0
	PUTS32 m_nofault
f10_done:
	PUTS32 m_f11
	TRY32 f11_done
	lcall $SEL_GATE_U, $0
	PUTS32 m_nofault
f11_done:
	jmp part4

/* enter_user: IRET to ring 3 at ECX:EDX, SS:ESP = SEL_UDATA:USTACK, IOPL 3 (it prints through port
 * 0xE9); returns once ring 3 executes INT $0x82. */
enter_user:
	pusha
	mov %esp, saved_esp
	push $SEL_UDATA
	push $USTACK
	push $0x3002
	push %ecx
	push %edx
	iret

/* INT $0x82 from ring 3: back to the caller of enter_user. */
leave_user:
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov saved_esp, %esp
	popa
	ret

isr_ts:	pushl $10
	jmp isr32_common
isr_np:	pushl $11
	jmp isr32_common
isr_ss:	pushl $12
	jmp isr32_common

/* set_sys_desc: system descriptor at EDI with base EAX, limit ECX (< 64 KiB), access word EDX. */
set_sys_desc:
	mov %cx, (%edi)
	mov %ax, 2(%edi)
	shr $16, %eax
	mov %al, 4(%edi)
	mov %dh, 5(%edi)
	movb $0, 6(%edi)
	mov %ah, 7(%edi)
	ret

/* The 32-bit gate's target in ring 0: CS, SS, how much the gate pushed on the TSS stack, and the stack. */
cg32:
	mov %esp, %ebp
	PUTS32 m_cseq
	mov %cs, %eax
	HEX32 %eax
	PUTS32 m_ss
	mov %ss, %eax
	HEX32 %eax
	PUTS32 m_used
	mov $kstack_top, %eax
	sub %ebp, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_stack
	mov (%ebp), %eax
	sub $ret32, %eax                     /* the return EIP, as its distance from ret32 */
	HEX32 %eax
	mov $1, %ecx
1:	mov $' ', %al
	out %al, $DEBUGCON
	mov (%ebp,%ecx,4), %eax
	call puthex32
	inc %ecx
	cmp $6, %ecx
	jne 1b
	call newline32
	lret $8

/* The 16-bit gate's target (32-bit code in SEL_CODE32B, base IMAGE): 16-bit slots. */
cg16:
	mov %esp, %ebp
	PUTS32 m_cseq
	mov %cs, %eax
	HEX32 %eax
	PUTS32 m_used
	mov $kstack_top, %eax
	sub %ebp, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_stack
	movzwl (%ebp), %eax
	sub $ret16 - IMAGE, %eax
	HEX32 %eax
	mov $1, %ecx
1:	mov $' ', %al
	out %al, $DEBUGCON
	movzwl (%ebp,%ecx,2), %eax
	call puthex32
	inc %ecx
	cmp $6, %ecx
	jne 1b
	call newline32
	lretw $4

/* Ring 3 (flat CS): part 1. The marker 33333333 is not a parameter and stays on ring 3's stack. */
ring3_a:
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	push $0x33333333
	push $0x22222222
	push $0x11111111
	lcall $SEL_GATE32 | 3, $0
ret32:
	call ring3_report
	int $0x82

/* ring3_report: ring 3's CS, SS, ESP and the dword at ESP (before this call). */
ring3_report:
	PUTS32 m_back
	mov %cs, %eax
	HEX32 %eax
	PUTS32 m_ss
	mov %ss, %eax
	HEX32 %eax
	PUTS32 m_esp
	lea 4(%esp), %eax
	HEX32 %eax
	PUTS32 m_top
	HEX32 4(%esp)
	call newline32
	ret

/* Ring 3 with CS base IMAGE (16-bit return IPs must reach it): part 2. */
ring3_b:
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	pushw $0x4444
	pushw $0x5555
	pushw $0x6666
	lcall $SEL_GATE16 | 3, $0
ret16:
	PUTS32 m_back
	mov %cs, %eax
	HEX32 %eax
	PUTS32 m_esp
	HEX32 %esp
	PUTS32 m_top
	movzwl (%esp), %eax
	call puthex32
	call newline32
	int $0x82

/* Ring 3: part 3, the faults. */
ring3_c:
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	PUTS32 m_f1
	TRY32 f1_done
	lcall $SEL_GATE_D0 | 3, $0
	PUTS32 m_nofault
f1_done:
	PUTS32 m_f2
	TRY32 f2_done
	lcall $SEL_GATE_NP | 3, $0
	PUTS32 m_nofault
f2_done:
	PUTS32 m_f3
	TRY32 f3_done
	lcall $SEL_GATE_DS | 3, $0
	PUTS32 m_nofault
f3_done:
	PUTS32 m_f4
	TRY32 f4_done
	lcall $SEL_GATE_NUL | 3, $0
	PUTS32 m_nofault
f4_done:
	PUTS32 m_f5
	TRY32 f5_done
	lcall $SEL_GATE_CNP | 3, $0
	PUTS32 m_nofault
f5_done:
	PUTS32 m_f6
	TRY32 f6_done
	ljmp $SEL_GATE32 | 3, $0
	PUTS32 m_nofault
f6_done:
	PUTS32 m_f7
	movl $SEL_UDATA, tss32 + 16          /* SS1: RPL 3, DPL 3 */
	TRY32 f7_done
	lcall $SEL_GATE_R1 | 3, $0
	PUTS32 m_nofault
f7_done:
	PUTS32 m_f8
	movl $0, tss32 + 16                  /* SS1: null */
	TRY32 f8_done
	lcall $SEL_GATE_R1 | 3, $0
	PUTS32 m_nofault
f8_done:
	PUTS32 m_f9
	movl $SEL_CODE_R1 | 1, tss32 + 16    /* SS1: a code segment */
	TRY32 f9_done
	lcall $SEL_GATE_R1 | 3, $0
	PUTS32 m_nofault
f9_done:
	PUTS32 m_f9b
	movl $SEL_DATA_R1NP | 1, tss32 + 16  /* SS1: not present */
	TRY32 f9b_done
	lcall $SEL_GATE_R1 | 3, $0
	PUTS32 m_nofault
f9b_done:
	int $0x82

/* Part 4: IA-32e mode. */
part4:
	call build_paging
	call setup_idt64
	mov $idt64, %edi
	mov $0x8e00, %eax
	mov $0x82, %ecx
	mov $leave64, %edx
	mov $0xee00, %eax
	call set_gate64
	/* The 64-bit TSS (SDM Vol.3A §9.7 Figure 9-11): RSP0; descriptor Figure 9-4 (16 bytes). */
	movl $kstack64_top, tss64 + 4
	mov $tss64, %eax
	mov $0x67, %ecx
	mov $0x8900, %edx
	mov $cgdt + SEL_TSS64B, %edi
	call set_sys_desc
	call enable_long
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	lidt idt64_ptr(%rip)
	mov $SEL_TSS64B, %ax
	ltr %ax
	PUTS64 m_part4
	/* Ring 0 faults (same privilege: only the checks). */
	PUTS64 m_g1
	TRY64 g1_done
	lcall *farp_c(%rip)
	PUTS64 m_nofault
g1_done:
	PUTS64 m_g2
	TRY64 g2_done
	lcall *farp_w(%rip)
	PUTS64 m_nofault
g2_done:
	PUTS64 m_g3
	TRY64 g3_done
	lcall *farp_t(%rip)
	PUTS64 m_nofault
g3_done:
	/* To 64-bit ring 3 (IRETQ), which calls the gate. */
	PUTS64 m_g4
	mov %rsp, saved_rsp(%rip)
	mov $SEL_UDATA, %eax
	push %rax
	mov $USTACK, %eax
	push %rax
	push $0x3002
	mov $SEL_UCODE64, %eax
	push %rax
	mov $ring3_64, %eax
	push %rax
	iretq

/* INT $0x82 from 64-bit ring 3. */
leave64:
	mov saved_rsp(%rip), %rsp
	PUTS64 m_done
	EXIT 0

ring3_64:
	movl $ret64, expect_ret(%rip)
	push $0x77777777                     /* not copied: 64-bit gates take no parameters */
	lcall *farp_64(%rip)
ret64:
	PUTS64 m_back
	mov %cs, %eax
	HEX64 %rax
	PUTS64 m_ss
	mov %ss, %eax
	HEX64 %rax
	PUTS64 m_esp
	HEX64 %rsp
	PUTS64 m_top
	HEX64 (%rsp)
	call newline64
	ljmp *farp_uc(%rip)                  /* to compatibility mode, still ring 3 */

	.code32
/* Ring 3 in compatibility mode calls the same 64-bit gate: the frame is 64-bit all the same. IRETQ left
 * DS and ES null (their DPL 0 < CPL 3), which compatibility mode cannot use. */
ring3_compat:
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	PUTS32 m_g5
	movl $ret64c, expect_ret
	push $0x66666666
	lcall $SEL_GATE64 | 3, $0
ret64c:
	call ring3_report
	int $0x82
	.code64

/* The 64-bit gate's target: SS is null (RPL 0), RSP came from TSS.RSP0. */
cg64:
	mov %rsp, %rbp
	PUTS64 m_cseq
	mov %cs, %eax
	HEX64 %rax
	PUTS64 m_ss
	mov %ss, %eax
	HEX64 %rax
	PUTS64 m_used
	mov $kstack64_top, %eax
	sub %rbp, %rax
	HEX64 %rax
	call newline64
	PUTS64 m_stack
	mov (%rbp), %rax
	mov expect_ret(%rip), %ecx           /* the return RIP, as its distance from the caller's label */
	sub %rcx, %rax
	HEX64 %rax
	mov $1, %ecx
1:	mov $' ', %al
	out %al, $DEBUGCON
	mov (%rbp,%rcx,8), %rax
	call puthex64
	inc %ecx
	cmp $4, %ecx
	jne 1b
	call newline64
	lretq
	.code32

	.data
	.align 8
cgdt:
	.quad 0                             /* 0x00 null */
	.quad 0x00cf9b000000ffff            /* 0x08 code, 32-bit, flat, DPL 0 */
	.quad 0x00cf93000000ffff            /* 0x10 data, flat, DPL 0 */
	.quad 0x00af9b000000ffff            /* 0x18 code, 64-bit, DPL 0 */
	.quad 0x00009b000000ffff            /* 0x20 code, 16-bit */
	.quad 0x000093000000ffff            /* 0x28 data, 16-bit */
	.quad 0x00affb000000ffff            /* 0x30 code, 64-bit, DPL 3 */
	.quad 0x00cff3000000ffff            /* 0x38 data, flat, DPL 3 */
	.quad 0x00cffb000000ffff            /* 0x40 code, 32-bit, flat, DPL 3 */
	.quad 0, 0                          /* 0x48 32-bit TSS */
	.quad 0, 0                          /* 0x58 gate32, 0x60 gate16 */
	.quad 0x00409b100000ffff            /* 0x68 code, 32-bit, base 0x100000, limit 64 KiB, DPL 0 */
	.quad 0, 0, 0, 0, 0                 /* 0x70-0x90 gates */
	.quad 0x00cf1b000000ffff            /* 0x98 code, 32-bit, DPL 0, not present */
	.quad 0                             /* 0xa0 gate */
	.quad 0x00cfbb000000ffff            /* 0xa8 code, 32-bit, flat, DPL 1 */
	.quad 0                             /* 0xb0 gate */
	.quad 0, 0                          /* 0xb8 64-bit TSS */
	.quad 0, 0                          /* 0xc8 64-bit gate */
	.quad 0, 0                          /* 0xd8 */
	.quad 0, 0                          /* 0xe8 */
	.quad 0, 0                          /* 0xf8 */
	.quad 0x0040fb100000ffff            /* 0x108 code, 32-bit, base 0x100000, limit 64 KiB, DPL 3 */
	.quad 0x00cf33000000ffff            /* 0x110 data, flat, DPL 1, not present */
cgdt_end:
cgdt_ptr:
	.word cgdt_end - cgdt - 1
	.long cgdt
	/* m16:32 far pointers for the 64-bit LCALLs (the offset is ignored through a gate). */
farp_c:	.long 0
	.word SEL_GATE64C
farp_w:	.long 0
	.word SEL_GATE64W
farp_t:	.long 0
	.word SEL_GATE64T
farp_64: .long 0
	.word SEL_GATE64 | 3
farp_uc: .long ring3_compat
	.word SEL_UCODE32
expect_ret: .long 0
	.align 8
saved_rsp: .quad 0
saved_esp: .long 0
m_part1: .asciz "1: ring 3 -> 32-bit call gate (2 parameters) -> ring 0\n"
m_part2: .asciz "2: ring 3 -> 16-bit call gate (2 parameters) -> ring 0\n"
m_part3: .asciz "3: faults from ring 3\n"
m_part4: .asciz "4: IA-32e mode\n"
m_cseq:	.asciz "cs="
m_ss:	.asciz " ss="
m_esp:	.asciz " esp="
m_top:	.asciz " top="
m_used:	.asciz " pushed="
m_stack: .asciz "stack: "
m_back:	.asciz "ring 3 again: cs="
m_f1:	.asciz "gate DPL 0 < CPL 3\n"
m_f2:	.asciz "gate not present\n"
m_f3:	.asciz "gate to a data segment\n"
m_f4:	.asciz "gate to the null selector\n"
m_f5:	.asciz "gate to a code segment not present\n"
m_f6:	.asciz "jmp through a gate to ring 0\n"
m_f7:	.asciz "TSS.SS1 with RPL 3\n"
m_f8:	.asciz "TSS.SS1 null\n"
m_f9:	.asciz "TSS.SS1 a code segment\n"
m_f9b:	.asciz "TSS.SS1 not present\n"
m_f10:	.asciz "ring 0: gate DPL 0 < RPL 3\n"
m_f11:	.asciz "ring 0: gate to DPL 3 code\n"
m_g1:	.asciz "64-bit gate to 32-bit code\n"
m_g2:	.asciz "16-bit gate type in IA-32e mode\n"
m_g3:	.asciz "64-bit gate, upper type field not 0\n"
m_g4:	.asciz "ring 3 -> 64-bit call gate -> ring 0\n"
m_g5:	.asciz "ring 3 (compatibility mode) -> 64-bit call gate -> ring 0\n"
m_nofault: .asciz "no exception\n"
m_done:	.asciz "done\n"
	.align 16
tss32:	.space 0x68
tss64:	.space 0x68
	.space 1024
kstack_top:
	.space 1024
kstack64_top:
