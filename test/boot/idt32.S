/* idt32.S: IDT delivery in 32-bit protected mode (SDM Vol.3A §6.12): INT n through a trap gate (IF stays
 * set), INT n through an interrupt gate (IF cleared), and #DE (a fault: the handler resumes after it). */
	.include "lib.S"
main:
	call setup_idt32
	mov $idt32, %edi
	mov $0x80, %ecx
	mov $isr_0x80, %edx
	mov $0x8f00, %eax                    /* 32-bit trap gate, DPL 0 */
	call set_gate32
	mov $0x81, %ecx
	mov $isr_0x81, %edx
	mov $0x8e00, %eax                    /* 32-bit interrupt gate, DPL 0 */
	call set_gate32

	PUTS32 m_t1
	mov $0x1234, %ebx
	sti
	int $0x80
	cli
	PUTS32 m_back
	HEX32 %ebx
	call newline32

	PUTS32 m_t2
	sti
	int $0x81
	cli
	PUTS32 m_back
	HEX32 %ebx
	call newline32

	PUTS32 m_t3
	xor %ecx, %ecx
	mov $7, %eax
	xor %edx, %edx
	TRY32 t3_done
	div %ecx
t3_done:
	PUTS32 m_t4
	mov %esp, %eax
	HEX32 %eax
	call newline32
	EXIT 0

/* Prints EFLAGS.IF, CS and the return EIP's distance from the INT, and changes EBX. */
isr_0x80:
	PUTS32 m_h80
	jmp 1f
isr_0x81:
	PUTS32 m_h81
1:	pushf
	pop %eax
	shr $9, %eax
	and $1, %eax
	HEX32 %eax
	PUTS32 m_hcs
	mov 4(%esp), %eax
	HEX32 %eax
	PUTS32 m_fl
	mov 8(%esp), %eax
	and $0x200, %eax
	HEX32 %eax
	call newline32
	add $0x1111, %ebx
	iret

	.data
m_t1:	.asciz "1: int $0x80, trap gate\n"
m_t2:	.asciz "2: int $0x81, interrupt gate\n"
m_t3:	.asciz "3: divide by zero\n"
m_t4:	.asciz "4: stack balanced, esp="
m_h80:	.asciz "handler 0x80: if="
m_h81:	.asciz "handler 0x81: if="
m_hcs:	.asciz " cs="
m_fl:	.asciz " pushed eflags.if="
m_back:	.asciz "back, ebx="
