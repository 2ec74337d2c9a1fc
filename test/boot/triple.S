/* triple.S: double fault and shutdown (SDM Vol.3A §6.15, Interrupt 8, Table 6-5): a #GP whose IDT gate
 * is not present raises #NP (error code = vector*8 + 2: IDT, external=0) while delivering a contributory
 * exception, so #DF(0) is delivered; then, with the #DF gate gone too, the same sequence shuts the
 * processor down (triple fault). QEMU with -no-reboot exits with status 0; ours stops with 'triple-fault'. */
	.include "lib.S"
main:
	call setup_idt32
	movl $0, idt32 + 13 * 8              /* #GP gate: not present */
	movl $0, idt32 + 13 * 8 + 4
	PUTS32 m_t1
	TRY32 t1_done
	mov $0x1230, %eax                    /* beyond the GDT limit: #GP(0x1230) */
	mov %eax, %ds
t1_done:
	mov $SEL_DATA, %eax
	mov %eax, %ds
	PUTS32 m_t2
	movl $0, idt32 + 8 * 8               /* #DF gate: not present */
	movl $0, idt32 + 8 * 8 + 4
	mov $0x1230, %eax
	mov %eax, %ds
	PUTS32 m_alive
	EXIT 0x55

	.data
m_t1:	.asciz "1: #GP with no #GP gate -> #DF\n"
m_t2:	.asciz "2: and without a #DF gate -> shutdown\n"
m_alive: .asciz "still running\n"
