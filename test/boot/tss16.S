/* tss16.S: task switches to and from a 16-bit (80286-format) TSS (SDM Vol.3A §7.3, §7.6 Figure 7-10).
 * The 32-bit main task CALLs a 16-bit task through its TSS descriptor (type 1): the processor saves the
 * main task in its 32-bit TSS, loads IP, FLAGS, AX…DI, ES CS SS DS and the LDT selector from the 16-bit
 * TSS, sets NT and the back link, and marks the new TSS busy. The task's IRET (NT = 1) returns to the
 * main task, saving the 16-bit task's state in its TSS; a second CALL resumes it after that IRET. */
	.include "lib.S"
	.set SEL_TSS32, SEL_TSS64          /* 0x48: the main task's 32-bit TSS */
	.set SEL_TSS16, SEL_TSS64 + 8      /* 0x50: the 16-bit task's TSS */
main:
	/* The 16-bit segments (0x20 code, 0x28 data) get the base `task16`, so the task's offsets are
	 * label - task16. */
	mov $task16, %eax
	mov %ax, gdt + SEL_CODE16 + 2
	mov %ax, gdt + SEL_DATA16 + 2
	shr $16, %eax
	mov %al, gdt + SEL_CODE16 + 4
	mov %al, gdt + SEL_DATA16 + 4
	mov %ah, gdt + SEL_CODE16 + 7
	mov %ah, gdt + SEL_DATA16 + 7
	/* TSS descriptors (SDM Vol.3A §7.2.2 Figure 7-3): 32-bit available (type 9), limit 67H; 16-bit
	 * available (type 1), limit 2BH. */
	mov $tss32, %eax
	mov $0x67, %ecx
	mov $0x8900, %edx
	mov $gdt + SEL_TSS32, %edi
	call set_tss_desc
	mov $tss16, %eax
	mov $0x2b, %ecx
	mov $0x8100, %edx
	mov $gdt + SEL_TSS16, %edi
	call set_tss_desc
	mov $SEL_TSS32, %ax
	ltr %ax

	/* The 16-bit task's initial state. */
	movw $0, tss16 + 0x0e                /* IP: task16 */
	movw $0x0002, tss16 + 0x10           /* FLAGS */
	movw $0x1111, tss16 + 0x12           /* AX */
	movw $0x2222, tss16 + 0x18           /* BX */
	movw $stack16_top - task16, tss16 + 0x1a /* SP */
	movw $SEL_DATA16, tss16 + 0x22       /* ES */
	movw $SEL_CODE16, tss16 + 0x24       /* CS */
	movw $SEL_DATA16, tss16 + 0x26       /* SS */
	movw $SEL_DATA16, tss16 + 0x28       /* DS */
	movw $0, tss16 + 0x2a                /* LDT */

	/* DR7 L0 | G0 with DR0 on an address nothing executes: the task switch clears L0 and keeps G0
	 * (SDM Vol.3B §17.2.4: L0-L3 are local to a task). */
	mov $0xfff0, %eax
	mov %eax, %dr0
	mov $0x403, %eax
	mov %eax, %dr7
	PUTS32 m_call1
	mov $0xabcd1234, %eax
	lcall $SEL_TSS16, $0
	PUTS32 m_back
	HEX32 %eax                           /* the main task's EAX, restored from its TSS */
	call newline32
	call report
	PUTS32 m_call2
	mov $0x5678abcd, %eax
	lcall $SEL_TSS16, $0
	PUTS32 m_back
	HEX32 %eax
	call newline32
	call report
	EXIT 0

/* report: what the 16-bit task saw and what its TSS holds now. */
report:
	PUTS32 m_seen
	movzwl t16_flags, %eax
	HEX32 %eax
	PUTS32 m_seenbx
	movzwl t16_bx, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_tss
	movzwl tss16 + 0x0e, %eax
	HEX32 %eax
	PUTS32 m_flags
	movzwl tss16 + 0x10, %eax
	HEX32 %eax
	PUTS32 m_ax
	movzwl tss16 + 0x12, %eax
	HEX32 %eax
	PUTS32 m_link
	movzwl tss16, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_segs
	movzwl tss16 + 0x22, %eax
	HEX32 %eax
	movzwl tss16 + 0x24, %eax
	HEX32 %eax
	movzwl tss16 + 0x26, %eax
	HEX32 %eax
	movzwl tss16 + 0x28, %eax
	HEX32 %eax
	PUTS32 m_types
	movzbl gdt + SEL_TSS32 + 5, %eax     /* 8BH: busy again */
	HEX32 %eax
	movzbl gdt + SEL_TSS16 + 5, %eax     /* 81H: available again */
	HEX32 %eax
	pushf
	pop %eax
	and $0x4000, %eax                    /* the main task's NT: 0 */
	HEX32 %eax
	PUTS32 m_dr7
	mov %dr7, %eax
	HEX32 %eax
	call newline32
	ret

/* set_tss_desc: system descriptor at EDI with base EAX, limit ECX (< 64 KiB), access word EDX. */
set_tss_desc:
	mov %cx, (%edi)
	mov %ax, 2(%edi)
	shr $16, %eax
	mov %al, 4(%edi)
	mov %dh, 5(%edi)
	movb $0, 6(%edi)
	mov %ah, 7(%edi)
	ret

	.code16
task16:
	mov $'T', %al
	out %al, $DEBUGCON
	mov $0x0a, %al
	out %al, $DEBUGCON
	pushf
	pop %ax
	mov %ax, t16_flags - task16          /* NT = 1: a nested task */
	mov %bx, t16_bx - task16
	mov $0x3333, %ax
	inc %bx
	iret                                 /* NT = 1: back to the main task, NT clear in the saved FLAGS */
	mov $'U', %al
	out %al, $DEBUGCON
	mov $0x0a, %al
	out %al, $DEBUGCON
	mov %bx, t16_bx - task16             /* BX as saved by the first IRET: 2223 */
	mov $0x4444, %ax
	iret
t16_flags: .word 0
t16_bx:	.word 0
	.space 256
stack16_top:
	.code32

	.data
m_call1: .asciz "call 16-bit task\n"
m_call2: .asciz "call it again\n"
m_back:	.asciz "back, eax="
m_seen:	.asciz "task saw flags="
m_seenbx: .asciz " bx="
m_tss:	.asciz "tss16 ip="
m_flags: .asciz " flags="
m_ax:	.asciz " ax="
m_link:	.asciz " link="
m_segs:	.asciz "es cs ss ds="
m_types: .asciz " tss types, nt="
m_dr7:	.asciz " dr7="
	.align 16
tss32:	.space 0x68
tss16:	.space 0x2c
