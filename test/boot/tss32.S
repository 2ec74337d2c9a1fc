/* tss32.S: task switches between 32-bit TSSs (SDM Vol.3A §8.1-§8.4; Vol.2A CALL, JMP, INT n and Vol.2A
 * IRET "Operation", TASK-GATE / TASK-STATE-SEGMENT / TASK-RETURN branches).
 *  1. LTR marks the TSS descriptor busy (type 9 -> 0BH, §8.2.4); LTR of a busy TSS is #GP(selector).
 *  2. CALL to a TSS descriptor: the old task's state goes to its TSS (EIP of the next instruction,
 *     EFLAGS, EAX-EDI, segment selectors), the new task's is loaded from its TSS, NT is set in the new
 *     EFLAGS and the back link holds the old TR, both descriptors are busy, CR0.TS is set (§8.3, §8.4).
 *     IRET with NT = 1 returns (§8.4.2): the old task's busy bit is cleared, NT is cleared in its saved
 *     EFLAGS, and the registers come back from the main task's TSS (one changed by the other task).
 *  3. CALL through a task gate in the GDT resumes the other task after its IRET, with the registers that
 *     IRET saved.
 *  4. JMP to a TSS: no nesting (NT from the TSS image, back link untouched), the old task's busy bit is
 *     cleared (§8.4 Table 8-2); the other task JMPs back.
 *  5. INT n through a task gate in the IDT: a nested task (NT, back link) and IRET back.
 *  6. #GP through a task gate in the IDT: the error code is pushed on the new task's stack (§7.12.2 Interrupt Tasks) and
 *     the old task's saved EIP is the faulting instruction.
 *  7. Faults of a bad switch (Vol.2A CALL/JMP Operation, Vol.3A §8.3 step 3, Table 8-1): a busy TSS
 *     #GP(TSS selector) for CALL and JMP; limit below 67H #TS(TSS selector); not present #NP(TSS
 *     selector); RPL > DPL #GP(TSS selector); a task gate to a busy TSS #GP(TSS selector); IRET with NT
 *     to a back link that is not busy #TS(back link). */
	.include "lib.S"
	.set SEL_MAIN,  0x48                 /* the main task's TSS */
	.set SEL_A,     0x50                 /* task A */
	.set SEL_B,     0x58                 /* task B */
	.set SEL_SHORT, 0x60                 /* TSS descriptor with limit 66H */
	.set SEL_NP,    0x68                 /* TSS descriptor, not present */
	.set SEL_GATEA, 0x70                 /* task gate -> SEL_A */
	.set SEL_I,     0x78                 /* task for INT 50H */
	.set SEL_G,     0x80                 /* task for #GP */
	.set SEL_GATEM, 0x88                 /* task gate -> SEL_MAIN (busy) */

	/* TSS offsets (SDM Vol.3A §8.2.1 Figure 8-2). */
	.set T_LINK, 0x00
	.set T_EIP, 0x20
	.set T_EFLAGS, 0x24
	.set T_EAX, 0x28
	.set T_EBX, 0x34
	.set T_ESP, 0x38
	.set T_ES, 0x48

	/* TSSDESC slot, tss, limit, access word (89H available 32-bit TSS; Figure 8-3). */
	.macro TSSDESC slot, tss, limit, attr
	mov $\tss, %eax
	mov $\limit, %ecx
	mov $\attr, %edx
	mov $tgdt + \slot, %edi
	call set_sys_desc
	.endm
	/* TASKINIT tss, entry, stack top: EIP, EFLAGS 2, ESP, flat CS/SS/DS/ES/FS/GS, EAX-EDI (init_tss). */
	.macro TASKINIT tss, entry, top
	movl $\entry, \tss + T_EIP
	movl $2, \tss + T_EFLAGS
	movl $\top, \tss + T_ESP
	mov $\tss, %edi
	call init_tss
	.endm
	/* TYPES: prints the type bytes of the main task's and task A's and B's TSS descriptors. */
	.macro TYPES
	call types
	.endm

main:
	lgdt tgdt_ptr
	call setup_idt32
	mov $idt32, %edi
	mov $0x8e00, %eax
	mov $10, %ecx
	mov $isr_ts, %edx
	call set_gate32
	mov $11, %ecx
	mov $isr_np, %edx
	call set_gate32
	/* Task gate in the IDT (SDM Vol.3A §6.11 Figure 6-2): TSS selector in bytes 2-3, 85H. */
	movw $SEL_I, idt32 + 0x50 * 8 + 2
	movw $0x8500, idt32 + 0x50 * 8 + 4

	TSSDESC SEL_MAIN, tss_main, 0x67, 0x8900
	TSSDESC SEL_A, tss_a, 0x67, 0x8900
	TSSDESC SEL_B, tss_b, 0x67, 0x8900
	TSSDESC SEL_SHORT, tss_s, 0x66, 0x8900
	TSSDESC SEL_NP, tss_s, 0x67, 0x0900
	TSSDESC SEL_I, tss_i, 0x67, 0x8900
	TSSDESC SEL_G, tss_g, 0x67, 0x8900
	/* Task gates in the GDT (Figure 8-6). */
	movw $SEL_A, tgdt + SEL_GATEA + 2
	movw $0x8500, tgdt + SEL_GATEA + 4
	movw $SEL_MAIN, tgdt + SEL_GATEM + 2
	movw $0x8500, tgdt + SEL_GATEM + 4
	TASKINIT tss_a, task_a, stack_a
	TASKINIT tss_b, task_b, stack_b
	TASKINIT tss_i, task_i, stack_i
	TASKINIT tss_g, task_g, stack_g
	TASKINIT tss_s, task_a, stack_a

	/* 1: LTR */
	PUTS32 m_t1
	movzbl tgdt + SEL_MAIN + 5, %eax
	HEX32 %eax
	mov $SEL_MAIN, %ax
	ltr %ax
	PUTS32 m_after
	movzbl tgdt + SEL_MAIN + 5, %eax
	HEX32 %eax
	PUTS32 m_tr
	str %eax
	HEX32 %eax
	call newline32
	PUTS32 m_t1b
	TRY32 1f
	mov $SEL_MAIN, %ax
	ltr %ax
	PUTS32 m_nofault
1:
	/* 2: CALL to a TSS descriptor */
	PUTS32 m_t2
	clts
	mov $0x12345678, %eax
	mov $0x9abcdef0, %ebx
	mov $0x0f0f0f0f, %edi
	movl $ret2, ret_main
	lcall $SEL_A, $0
ret2:
	call report_main
	/* 3: CALL through a task gate */
	PUTS32 m_t3
	mov $0x55555555, %eax
	movl $ret3, ret_main
	lcall $SEL_GATEA, $0
ret3:
	call report_main
	/* 4: JMP to a TSS */
	PUTS32 m_t4
	ljmp $SEL_B, $0
	PUTS32 m_main
	TYPES
	PUTS32 m_linkb
	mov tss_b + T_LINK, %eax
	HEX32 %eax
	call nt_main
	/* 5: INT n through a task gate */
	PUTS32 m_t5
	int $0x50
	PUTS32 m_main
	TYPES
	call nt_main
	/* 6: #GP through a task gate: IDT[13] -> SEL_G, for this test only */
	PUTS32 m_t6
	mov idt32 + 13 * 8, %eax
	mov idt32 + 13 * 8 + 4, %edx
	movw $0, idt32 + 13 * 8
	movw $SEL_G, idt32 + 13 * 8 + 2
	movl $0x8500, idt32 + 13 * 8 + 4
	push %eax
	push %edx
gp6:	lcall $SEL_MAIN, $0
	PUTS32 m_main
	TYPES
	call nt_main
	pop %edx
	pop %eax
	mov %eax, idt32 + 13 * 8
	mov %edx, idt32 + 13 * 8 + 4

	/* 7: faults, through the interrupt gates of the main task */
	PUTS32 m_f1
	TRY32 1f
	lcall $SEL_MAIN, $0
	PUTS32 m_nofault
1:	PUTS32 m_f2
	TRY32 1f
	ljmp $SEL_MAIN, $0
	PUTS32 m_nofault
1:	PUTS32 m_f3
	TRY32 1f
	lcall $SEL_SHORT, $0
	PUTS32 m_nofault
1:	PUTS32 m_f4
	TRY32 1f
	lcall $SEL_NP, $0
	PUTS32 m_nofault
1:	PUTS32 m_f5
	TRY32 1f
	lcall $SEL_A | 3, $0
	PUTS32 m_nofault
1:	PUTS32 m_f6
	TRY32 1f
	lcall $SEL_GATEM, $0
	PUTS32 m_nofault
1:	PUTS32 m_f7
	TRY32 1f
	movl $SEL_A, tss_main + T_LINK
	pushf
	orl $0x4000, (%esp)
	popf
	iret
	PUTS32 m_nofault
1:	pushf
	andl $~0x4000, (%esp)
	popf
	PUTS32 m_main
	TYPES
	call newline32
	EXIT 0

/* report_main: after a return to the main task: its EAX and EBX (EBX as task A wrote it into the main
 * task's TSS), what task A's TSS holds, the descriptor types, CR0.TS and NT. */
report_main:
	PUTS32 m_main
	HEX32 %eax
	HEX32 %ebx
	HEX32 %edi
	TYPES
	call nt_main
	PUTS32 m_tssa
	mov tss_a + T_EIP, %eax
	sub $a_again, %eax
	HEX32 %eax
	PUTS32 m_eflags
	HEX32 tss_a + T_EFLAGS
	PUTS32 m_eax
	HEX32 tss_a + T_EAX
	PUTS32 m_link
	HEX32 tss_a + T_LINK
	PUTS32 m_cr0ts
	mov %cr0, %eax
	and $8, %eax
	HEX32 %eax
	call newline32
	clts
	ret

/* nt_main: prints the main task's EFLAGS.NT and a newline. */
nt_main:
	PUTS32 m_nt
	pushf
	pop %eax
	and $0x4000, %eax
	HEX32 %eax
	call newline32
	ret

/* types: " types=" and the access bytes of the main, A and B TSS descriptors. */
types:
	push %eax
	PUTS32 m_types
	movzbl tgdt + SEL_MAIN + 5, %eax
	HEX32 %eax
	movzbl tgdt + SEL_B + 5, %eax
	shl $8, %eax
	movb tgdt + SEL_A + 5, %al
	HEX32 %eax
	pop %eax
	ret

/* init_tss: the TSS at EDI gets CS 08H, the data selector elsewhere, and EAX-EDI (but ESP) = 0AAAAAAH
 * with the register number (0 for EAX ... 7 for EDI) in the top nibble. */
init_tss:
	movl $SEL_DATA, T_ES(%edi)
	movl $SEL_CODE32, T_ES + 4(%edi)
	movl $SEL_DATA, T_ES + 8(%edi)
	movl $SEL_DATA, T_ES + 12(%edi)
	movl $SEL_DATA, T_ES + 16(%edi)
	movl $SEL_DATA, T_ES + 20(%edi)
	xor %ecx, %ecx
1:	cmp $4, %ecx
	je 2f
	mov %ecx, %eax
	shl $28, %eax
	or $0x0aaaaaa, %eax
	mov %eax, T_EAX(%edi,%ecx,4)
2:	inc %ecx
	cmp $8, %ecx
	jne 1b
	ret

/* task_a: prints its EAX-EDI (but ESP), ESP, EFLAGS.NT, its back link and the descriptor types, writes
 * EBX in the main task's TSS, and IRETs (with EAX changed); called again, it starts over. */
task_a:
	pushal
	PUTS32 m_ina
	mov $28, %ebx
1:	cmp $12, %ebx
	je 2f
	mov (%esp,%ebx), %eax
	call puthex32
	mov $' ', %al
	out %al, $DEBUGCON
2:	sub $4, %ebx
	jns 1b
	PUTS32 m_esp
	lea 32(%esp), %eax
	sub $stack_a, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_nt
	pushf
	pop %eax
	and $0x4000, %eax
	HEX32 %eax
	PUTS32 m_link
	HEX32 tss_a + T_LINK
	TYPES
	PUTS32 m_mainsaved
	mov tss_main + T_EIP, %eax
	sub ret_main, %eax
	HEX32 %eax
	HEX32 tss_main + T_EAX
	movzwl tss_main + T_ES + 4, %eax
	HEX32 %eax
	HEX32 tss_main + T_EFLAGS
	call newline32
	movl $0xfeedface, tss_main + T_EBX
	popal
	add $0x11111111, %eax
	/* QEMU 7.2 TCG saves a wrong EFLAGS image (11111117H here) in the old TSS at a task-switching IRET
	 * that follows a flag-setting instruction: POPF first makes its flags image current. */
	pushf
	popf
	iret
a_again: jmp task_a

/* task_b: entered by JMP; prints NT, its back link and the types, then JMPs back to the main task. */
task_b:
	PUTS32 m_inb
	pushf
	pop %eax
	and $0x4000, %eax
	HEX32 %eax
	PUTS32 m_link
	HEX32 tss_b + T_LINK
	TYPES
	call newline32
	ljmp $SEL_MAIN, $0
	jmp task_b

/* task_i: INT 50H through the IDT's task gate. */
task_i:
	PUTS32 m_ini
	pushf
	pop %eax
	and $0x4000, %eax
	HEX32 %eax
	PUTS32 m_link
	HEX32 tss_i + T_LINK
	PUTS32 m_esp
	mov %esp, %eax
	sub $stack_i, %eax
	HEX32 %eax
	call newline32
	iret
	jmp task_i

/* task_g: #GP through the IDT's task gate: pops the error code, reports it and where the main task
 * stopped, and returns past the faulting CALL (rewriting the saved EIP). */
task_g:
	PUTS32 m_ing
	pop %eax
	HEX32 %eax
	PUTS32 m_esp
	mov %esp, %eax
	sub $stack_g, %eax
	HEX32 %eax
	PUTS32 m_nt
	pushf
	pop %eax
	and $0x4000, %eax
	HEX32 %eax
	PUTS32 m_link
	HEX32 tss_g + T_LINK
	PUTS32 m_at
	mov tss_main + T_EIP, %eax
	sub $gp6, %eax
	HEX32 %eax
	call newline32
	addl $7, tss_main + T_EIP            /* lcall ptr16:32 is 7 bytes */
	iret
	jmp task_g

isr_ts:	pushl $10
	jmp isr32_common
isr_np:	pushl $11
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

	.data
ret_main: .long 0
m_t1:	.asciz "1: ltr: type before="
m_after: .asciz " after="
m_tr:	.asciz " str="
m_t1b:	.asciz "1b: ltr of a busy TSS\n"
m_nofault: .asciz "no exception\n"
m_t2:	.asciz "2: call to TSS A\n"
m_t3:	.asciz "3: call through a task gate to A\n"
m_t4:	.asciz "4: jmp to TSS B\n"
m_t5:	.asciz "5: int 50H through an IDT task gate\n"
m_t6:	.asciz "6: #GP through an IDT task gate\n"
m_f1:	.asciz "7a: call to the busy main TSS\n"
m_f2:	.asciz "7b: jmp to the busy main TSS\n"
m_f3:	.asciz "7c: call to a TSS with limit 66H\n"
m_f4:	.asciz "7d: call to a not-present TSS\n"
m_f5:	.asciz "7e: call to TSS A with RPL 3\n"
m_f6:	.asciz "7f: call through a task gate to the busy main TSS\n"
m_f7:	.asciz "7g: iret with NT to a back link that is not busy\n"
m_main:	.asciz "main:"
m_types: .asciz " types main,B:A="
m_nt:	.asciz " nt="
m_link:	.asciz " link="
m_linkb: .asciz " B link="
m_tssa:	.asciz " A saved: eip-after_iret="
m_eflags: .asciz " eflags="
m_eax:	.asciz " eax="
m_cr0ts: .asciz " cr0.ts="
m_ina:	.asciz "A: eax..edi (but esp)="
m_esp:	.asciz " esp-top="
m_mainsaved: .asciz " main saved: eip-next,eax,cs,eflags="
m_inb:	.asciz "B: nt="
m_ini:	.asciz "I: nt="
m_ing:	.asciz "G: error code="
m_at:	.asciz " main eip-fault="

	.align 8
tgdt:
	.quad 0                             /* 0x00 null */
	.quad 0x00cf9b000000ffff            /* 0x08 code, 32-bit, flat, DPL 0 */
	.quad 0x00cf93000000ffff            /* 0x10 data, flat, DPL 0 */
	.quad 0x00af9b000000ffff            /* 0x18 code, 64-bit, DPL 0 */
	.quad 0x00009b000000ffff            /* 0x20 code, 16-bit */
	.quad 0x000093000000ffff            /* 0x28 data, 16-bit */
	.quad 0x00affb000000ffff            /* 0x30 code, 64-bit, DPL 3 */
	.quad 0x00cff3000000ffff            /* 0x38 data, flat, DPL 3 */
	.quad 0x00cffb000000ffff            /* 0x40 code, 32-bit, flat, DPL 3 */
	.quad 0, 0, 0, 0, 0, 0, 0, 0, 0     /* 0x48-0x88: TSSs and task gates */
tgdt_end:
tgdt_ptr:
	.word tgdt_end - tgdt - 1
	.long tgdt

	.align 16
tss_main: .space 0x68
tss_a:	.space 0x68
tss_b:	.space 0x68
tss_s:	.space 0x68
tss_i:	.space 0x68
tss_g:	.space 0x68
	.align 16
	.space 1024
stack_a:
	.space 1024
stack_b:
	.space 1024
stack_i:
	.space 1024
stack_g:
