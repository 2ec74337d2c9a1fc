/* irq.S: external interrupts: the 8259A PICs (Intel 8259A data sheet: ICW1-4, OCW1 mask, OCW2
 * non-specific EOI, OCW3 read IRR/ISR), the 8254 PIT's counter 0 in mode 0 (interrupt on terminal count)
 * on IRQ 0, and the local APIC timer (SDM Vol.3A §11.5.4 APIC Timer) with the TPR (§11.8.3.1 Task and
 * Processor Priorities) and, in 64-bit mode, CR8.
 * Only the order of events is printed, never how many instructions ran before an interrupt (QEMU's timers
 * follow the host clock); waits poll the devices with bounded loops.
 *  1. IRQ 0 raised while IF = 0 stays pending (IRR bit 0, ISR clear).
 *  2. STI's interrupt shadow (SDM Vol.2B STI): with the IRQ pending, `sti; inc %ecx; inc %ecx` takes the
 *     interrupt after the first INC (the handler sees ECX = 1); inside the handler ISR bit 0 is set, and
 *     the EOI clears it.
 *  3. HLT is left by the interrupt (SDM Vol.2A HLT): the handler runs, then the instruction after HLT.
 *  4. IMR bit 0 holds the request back with IF = 1 (IRR set, no interrupt); unmasking delivers it.
 *  5. Without an EOI the in-service IRQ 0 blocks the next IRQ 0 (IRR set, no interrupt, IF = 1); the
 *     EOI lets it in.
 *  6. Local APIC timer, one-shot, vector 40H: TPR = 50H (priority class 5 > class 4) holds it pending
 *     in the IRR; TPR = 0 delivers it; ISR bit 40H is set in the handler, EOI clears it (§11.8.4, §11.8.5).
 *  7. 64-bit mode: CR8 is TPR[7:4] (§11.8.6.1 Interaction of Task Priorities between CR8 and APIC): a
 *     write of CR8 shows in the TPR and a TPR write in CR8; CR8 = 4 holds vector 40H back (its class must
 *     be above the processor priority class, §11.8.3.1), CR8 = 3 lets it in. */
	.include "lib.S"
	.set PIC1, 0x20
	.set PIC2, 0xa0
	.set PIT_CH0, 0x40
	.set PIT_CTRL, 0x43
	.set APIC, 0xfee00000
	.set APIC_TPR, 0x80
	.set APIC_EOI, 0xb0
	.set APIC_SVR, 0xf0
	.set APIC_ISR, 0x100
	.set APIC_IRR, 0x200
	.set APIC_LVT_TIMER, 0x320
	.set APIC_ICR_TIMER, 0x380
	.set APIC_CCR_TIMER, 0x390
	.set APIC_DCR_TIMER, 0x3e0
	.set LOOPS, 10000000

main:
	call setup_idt32
	mov $idt32, %edi
	mov $0x8e00, %eax
	mov $0x20, %ecx
	mov $irq0, %edx
	call set_gate32
	mov $0x27, %ecx
	mov $spurious, %edx
	call set_gate32
	mov $0x40, %ecx
	mov $apic_timer, %edx
	call set_gate32
	mov $0xff, %ecx
	mov $spurious, %edx
	call set_gate32

	/* 8259A initialization: ICW1 edge-triggered, cascade, ICW4 needed; ICW2 vectors 20H/28H; ICW3 slave
	 * on IR2 / slave ID 2; ICW4 8086 mode, normal EOI. OCW1: only IRQ 0 unmasked. */
	mov $0x11, %al
	out %al, $PIC1
	out %al, $PIC2
	mov $0x20, %al
	out %al, $PIC1 + 1
	mov $0x28, %al
	out %al, $PIC2 + 1
	mov $4, %al
	out %al, $PIC1 + 1
	mov $2, %al
	out %al, $PIC2 + 1
	mov $1, %al
	out %al, $PIC1 + 1
	out %al, $PIC2 + 1
	mov $0xff, %al
	out %al, $PIC2 + 1
	mov $0xfe, %al
	out %al, $PIC1 + 1

	PUTS32 m_t1
	call pit_start
	call wait_irr
	call show_pic
	call newline32

	PUTS32 m_t2
	movl $1, show_ecx
	xor %ecx, %ecx
	sti
	inc %ecx
	inc %ecx
	cli
	movl $0, show_ecx
	PUTS32 m_after
	call show_pic
	call show_count
	call newline32

	PUTS32 m_t3
	call pit_start
	sti
	hlt
	cli
	PUTS32 m_woke
	call show_count
	call newline32

	PUTS32 m_t4
	mov $0xff, %al
	out %al, $PIC1 + 1
	call pit_start
	sti
	call wait_irr
	PUTS32 m_masked
	call show_pic
	call show_count
	call newline32
	mov $0xfe, %al
	out %al, $PIC1 + 1
	call wait_count3
	cli
	PUTS32 m_unmasked
	call show_count
	call newline32

	PUTS32 m_t5
	movl $1, no_eoi
	call pit_start
	sti
	call wait_count4
	call pit_start
	call wait_irr
	cli
	PUTS32 m_noeoi
	call show_pic
	call show_count
	call newline32
	movl $0, no_eoi
	sti
	mov $0x20, %al
	out %al, $PIC1                       /* OCW2: non-specific EOI for the first IRQ 0 */
	call wait_count5
	cli
	PUTS32 m_eoi
	call show_pic
	call show_count
	call newline32

	/* 6: local APIC (PIC masked). SVR: APIC software-enabled, spurious vector FFH. */
	mov $0xff, %al
	out %al, $PIC1 + 1
	PUTS32 m_t6
	movl $0x1ff, APIC + APIC_SVR
	movl $0x50, APIC + APIC_TPR
	movl $0xb, APIC + APIC_DCR_TIMER     /* divide by 1 */
	movl $0x40, APIC + APIC_LVT_TIMER    /* one-shot, vector 40H, not masked */
	movl $0x10000, APIC + APIC_ICR_TIMER
	sti
	mov $LOOPS, %ecx
1:	cmpl $0, APIC + APIC_CCR_TIMER
	je 2f
	dec %ecx
	jnz 1b
2:	mov $LOOPS, %ecx                     /* the IRR bit follows the count reaching 0 */
3:	testl $1, APIC + APIC_IRR + 0x20     /* IRR bits 64-95 (at 220H): vector 40H is bit 0 */
	jnz 4f
	dec %ecx
	jnz 3b
4:	PUTS32 m_tpr
	mov APIC + APIC_IRR + 0x20, %eax
	and $1, %eax
	HEX32 %eax
	call show_count
	call newline32
	movl $0, APIC + APIC_TPR
	mov $LOOPS, %ecx
5:	cmpl $0, apic_count
	jne 6f
	dec %ecx
	jnz 5b
6:	cli
	PUTS32 m_tpr0
	mov APIC + APIC_IRR + 0x20, %eax
	and $1, %eax
	HEX32 %eax
	mov APIC + APIC_ISR + 0x20, %eax
	and $1, %eax
	HEX32 %eax
	PUTS32 m_acount
	HEX32 apic_count
	call newline32

	/* 7: 64-bit mode, CR8. The APIC's page (FEE00000H) is mapped by pd3[503], a 2 MiB page. */
	call build_paging
	mov $pd3 + PTE_P + PTE_W, %eax
	mov %eax, pdpt + 3 * 8
	mov $APIC + PTE_P + PTE_W + PTE_PS, %eax
	mov %eax, pd3 + 503 * 8
	call setup_idt64
	mov $idt64, %edi
	mov $0x40, %ecx
	mov $apic_timer64, %edx
	mov $0x8e00, %eax
	call set_gate64
	call enable_long
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	lidt idt64_ptr(%rip)
	mov $APIC, %ebx
	PUTS64 m_t7
	mov $5, %eax
	mov %rax, %cr8
	PUTS64 m_cr8tpr
	mov APIC_TPR(%rbx), %eax
	call puthex64
	movl $0x30, APIC_TPR(%rbx)
	PUTS64 m_tprcr8
	mov %cr8, %rax
	call puthex64
	call newline64
	movl $0, apic_count(%rip)
	mov $4, %eax
	mov %rax, %cr8
	movl $0x10000, APIC_ICR_TIMER(%rbx)
	sti
	mov $LOOPS, %ecx
1:	cmpl $0, APIC_CCR_TIMER(%rbx)
	je 2f
	dec %ecx
	jnz 1b
2:	mov $LOOPS, %ecx
3:	testl $1, APIC_IRR + 0x20(%rbx)
	jnz 4f
	dec %ecx
	jnz 3b
4:	PUTS64 m_cr8_4
	mov APIC_IRR + 0x20(%rbx), %eax
	and $1, %eax
	call puthex64
	PUTS64 m_acount
	mov apic_count(%rip), %eax
	call puthex64
	call newline64
	mov $3, %eax
	mov %rax, %cr8
	mov $LOOPS, %ecx
5:	cmpl $0, apic_count(%rip)
	jne 6f
	dec %ecx
	jnz 5b
6:	cli
	PUTS64 m_cr8_3
	mov APIC_IRR + 0x20(%rbx), %eax
	and $1, %eax
	call puthex64
	mov APIC_ISR + 0x20(%rbx), %eax
	and $1, %eax
	call puthex64
	PUTS64 m_acount
	mov apic_count(%rip), %eax
	call puthex64
	call newline64
	EXIT 0

/* apic_timer64: vector 40H in 64-bit mode: prints ISR bit 40H and the TPR, then EOI. */
apic_timer64:
	push %rax
	push %rsi
	incl apic_count(%rip)
	PUTS64 m_atimer
	mov APIC_ISR + 0x20(%rbx), %eax
	and $1, %eax
	call puthex64
	call newline64
	movl $0, APIC_EOI(%rbx)
	pop %rsi
	pop %rax
	iretq
	.code32

/* pit_start: counter 0, mode 0 (interrupt on terminal count), binary, LSB then MSB: count 1000H. */
pit_start:
	mov $0x30, %al
	out %al, $PIT_CTRL
	xor %al, %al
	out %al, $PIT_CH0
	mov $0x10, %al
	out %al, $PIT_CH0
	ret

/* wait_irr: polls the master's IRR (OCW3 0AH) until bit 0 is set. */
wait_irr:
	push %ecx
	mov $LOOPS, %ecx
1:	mov $0x0a, %al
	out %al, $PIC1
	in $PIC1, %al
	test $1, %al
	jnz 2f
	dec %ecx
	jnz 1b
2:	pop %ecx
	ret

/* wait_countN: waits (bounded) until count reaches N. */
wait_count3:
	mov $3, %edx
	jmp wait_count
wait_count4:
	mov $4, %edx
	jmp wait_count
wait_count5:
	mov $5, %edx
wait_count:
	mov $LOOPS, %ecx
1:	cmp count, %edx
	je 2f
	dec %ecx
	jnz 1b
2:	ret

/* show_pic: " irr=" IRR bit 0 " isr=" ISR bit 0 of the master (OCW3 0AH / 0BH). */
show_pic:
	PUTS32 m_irr
	mov $0x0a, %al
	out %al, $PIC1
	in $PIC1, %al
	and $1, %eax
	HEX32 %eax
	PUTS32 m_isr
	mov $0x0b, %al
	out %al, $PIC1
	in $PIC1, %al
	and $1, %eax
	HEX32 %eax
	ret

show_count:
	PUTS32 m_count
	HEX32 count
	ret

/* irq0: IRQ 0 (vector 20H): counts, prints ECX (in test 2) and ISR bit 0, and sends the EOI unless no_eoi. */
irq0:
	push %eax
	push %esi
	incl count
	PUTS32 m_irq0
	cmpl $0, show_ecx
	je 2f
	PUTS32 m_ecx
	HEX32 %ecx
2:	mov $0x0b, %al
	out %al, $PIC1
	in $PIC1, %al
	and $1, %eax
	PUTS32 m_isr
	HEX32 %eax
	call newline32
	cmpl $0, no_eoi
	jne 1f
	mov $0x20, %al
	out %al, $PIC1
1:	pop %esi
	pop %eax
	iret

/* apic_timer: vector 40H: prints ISR bit 40H, then EOI. */
apic_timer:
	push %eax
	push %esi
	incl apic_count
	PUTS32 m_atimer
	mov APIC + APIC_ISR + 0x20, %eax
	and $1, %eax
	HEX32 %eax
	call newline32
	movl $0, APIC + APIC_EOI
	pop %esi
	pop %eax
	iret

spurious:
	PUTS32 m_spurious
	iret

	.data
count:	.long 0
apic_count: .long 0
no_eoi:	.long 0
show_ecx: .long 0
m_t1:	.asciz "1: IRQ 0 with IF 0:"
m_t2:	.asciz "2: sti; inc; inc\n"
m_after: .asciz "after:"
m_t3:	.asciz "3: sti; hlt\n"
m_woke:	.asciz "woke:"
m_t4:	.asciz "4: IRQ 0 masked in the IMR, IF 1\n"
m_masked: .asciz "masked:"
m_unmasked: .asciz "unmasked:"
m_t5:	.asciz "5: no EOI\n"
m_noeoi: .asciz "second IRQ 0 while the first is in service:"
m_eoi:	.asciz "after the EOI:"
m_t6:	.asciz "6: APIC timer, vector 40H\n"
m_tpr:	.asciz "TPR 50H: irr="
m_tpr0:	.asciz "TPR 0: irr, isr="
m_acount: .asciz " count="
m_t7:	.asciz "7: 64-bit mode, CR8\n"
m_cr8tpr: .asciz "CR8 5: TPR="
m_tprcr8: .asciz " TPR 30H: CR8="
m_cr8_4: .asciz "CR8 4: irr="
m_cr8_3: .asciz "CR8 3: irr, isr="
m_atimer: .asciz "APIC timer: isr="
m_irr:	.asciz " irr="
m_isr:	.asciz " isr="
m_count: .asciz " count="
m_irq0:	.asciz "IRQ 0:"
m_ecx:	.asciz " ecx="
m_spurious: .asciz "spurious\n"

	.bss
	.align 4096
pd3:	.skip 4096
