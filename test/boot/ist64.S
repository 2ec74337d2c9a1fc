/* ist64.S: interrupt delivery in 64-bit mode (SDM Vol.3A §7.14): 16-byte IDT gates (§7.14.1, Figure
 * 7-8), the interrupt stack table (§7.14.5: a gate with IST = n loads RSP from TSS.ISTn whether or not
 * the privilege changes), the new RSP aligned down to 16 bytes (§7.14.2), SS:RSP pushed unconditionally
 * (§7.14.2), a ring-3 interrupt taking RSP0 from the 64-bit TSS with SS loaded null (§7.14.4) and IRETQ
 * back to ring 3. Each handler prints where its frame starts and the frame (CS, RFLAGS, RSP, SS); stack
 * addresses are printed as offsets from `stk`, the region holding every stack used here.
 *  1. ring 0, INT 40H, IST 0, RSP 16-byte aligned
 *  2. ring 0, INT 40H, IST 0, RSP misaligned by 4: the frame starts on the 16-byte boundary below
 *  3. ring 0, INT 41H, IST 1: IST1's stack although CPL does not change
 *  4. ring 0, INT 42H, IST 2 holding a value misaligned by 8: aligned down
 *  5. ring 0, #GP(selector) through a gate with IST 3: error code on the IST3 stack
 *  6. ring 3, INT 43H (DPL 3, IST 0): RSP0 (misaligned by 8, aligned down), handler's SS null
 *  7. ring 3, INT 44H (DPL 3, IST 1): IST1 wins over RSP0
 *  8. back in ring 3 after the IRETQs: its CS, SS, RSP
 *  9. ring 3, #GP through the IST 3 gate: a privilege change and an IST stack
 * 10. ring 3 in compatibility mode, INT 43H: the same 64-bit frame (8-byte slots), CS 43H */
	.include "lib.S"
	.set SEL_TSS, SEL_TSS64
	.set IST1_TOP, 0x1000                /* offsets in stk */
	.set IST2_TOP, 0x2008
	.set IST3_TOP, 0x3000
	.set RSP0_TOP, 0x4008
	.set RING0_TOP, 0x5000
	.set RING3_TOP, 0x6000

main:
	call build_paging
	call setup_idt64
	mov $idt64, %edi
	GATE64 0x40, h_int, 0x8e00
	GATE64 0x41, h_int, 0x8e01
	GATE64 0x42, h_int, 0x8e02
	GATE64 13, h_gp, 0x8e03
	GATE64 0x43, h_int, 0xee00
	GATE64 0x44, h_int, 0xee01
	GATE64 0x45, h_leave, 0xee00
	/* The 64-bit TSS (SDM Vol.3A §9.7, Figure 9-11): RSP0 at 4, IST1-IST7 at 24H-5CH. */
	mov $stk + RSP0_TOP, %eax
	mov %eax, tss64 + 0x04
	mov $stk + IST1_TOP, %eax
	mov %eax, tss64 + 0x24
	mov $stk + IST2_TOP, %eax
	mov %eax, tss64 + 0x2c
	mov $stk + IST3_TOP, %eax
	mov %eax, tss64 + 0x34
	/* Its descriptor (Figure 9-4): type 9, limit 67H, in the GDT's 16-byte slot at 0x48. */
	mov $tss64, %eax
	movw $0x67, gdt + SEL_TSS
	mov %ax, gdt + SEL_TSS + 2
	shr $16, %eax
	mov %al, gdt + SEL_TSS + 4
	movb $0x89, gdt + SEL_TSS + 5
	mov %ah, gdt + SEL_TSS + 7
	call enable_long
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	lidt idt64_ptr(%rip)
	mov $SEL_TSS, %ax
	ltr %ax
	mov $stk + RING0_TOP, %eax
	mov %rax, %rsp

	PUTS64 m_t1
	int $0x40
	PUTS64 m_t2
	sub $4, %rsp
	int $0x40
	add $4, %rsp
	PUTS64 m_t3
	int $0x41
	PUTS64 m_t4
	int $0x42
	PUTS64 m_t5
	mov $t5_done, %eax
	mov %rax, %r15
	mov $0x1230, %eax                    /* beyond the GDT limit: #GP(1230H) */
	mov %eax, %ds
t5_done:
	PUTS64 m_t6
	mov %rsp, saved_rsp(%rip)
	mov $SEL_UDATA, %eax
	push %rax
	mov $stk + RING3_TOP, %eax
	push %rax
	push $0x3002                         /* IOPL 3: ring 3 prints through port 0xE9 */
	mov $SEL_UCODE64, %eax
	push %rax
	mov $ring3, %eax
	push %rax
	iretq

ring3:
	int $0x43
	PUTS64 m_t7
	int $0x44
	PUTS64 m_t8
	mov %cs, %eax
	HEX64 %rax
	PUTS64 m_ss
	mov %ss, %eax
	HEX64 %rax
	PUTS64 m_rsp
	mov %rsp, %rax
	call stk_offset
	call newline64
	PUTS64 m_t9
	mov $t9_done, %eax
	mov %rax, %r15
	mov $0x1230, %eax
	mov %eax, %ds                        /* #GP(1230H) in ring 3 */
t9_done:
	ljmp *farp_compat(%rip)

	.code32
/* Ring 3 in compatibility mode: IRETQ left DS null (DPL 0 < CPL 3), so load a ring-3 one first. */
compat3:
	mov $SEL_UDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	PUTS32 m_t10
	int $0x43
	int $0x45
	.code64

h_leave:
	mov saved_rsp(%rip), %rsp
	PUTS64 m_done
	EXIT 0

/* INT n: the frame starts at RSP (RIP, CS, RFLAGS, RSP, SS; Figure 7-9). */
h_int:
	mov %rsp, %rbx
	call show_frame
	iretq

/* #GP: error code, then the frame; resumes at R15. */
h_gp:
	mov %rsp, %rbx
	PUTS64 m_errc
	HEX64 (%rbx)
	PUTS64 m_space
	add $8, %rbx
	call show_frame
	mov %r15, (%rbx)
	add $8, %rsp
	iretq

/* show_frame: RBX = the frame's RIP slot (the lowest slot but the error code). */
show_frame:
	PUTS64 m_frame
	mov %rbx, %rax
	call stk_offset
	PUTS64 m_cs
	HEX64 8(%rbx)
	PUTS64 m_rflags
	mov 16(%rbx), %rax
	and $~0x10000, %rax                  /* RF is not what this program tests */
	call puthex64
	PUTS64 m_rsp
	mov 24(%rbx), %rax
	call stk_offset
	PUTS64 m_ss
	HEX64 32(%rbx)
	PUTS64 m_ssnow
	mov %ss, %eax
	HEX64 %rax
	call newline64
	ret

/* stk_offset: prints RAX - stk. */
stk_offset:
	push %rax
	push %rcx
	mov $stk, %ecx
	sub %rcx, %rax
	call puthex64
	pop %rcx
	pop %rax
	ret
	.code32

	.data
m_t1:	.asciz "1: ring 0, int 0x40, IST 0, rsp aligned\n"
m_t2:	.asciz "2: ring 0, int 0x40, IST 0, rsp misaligned by 4\n"
m_t3:	.asciz "3: ring 0, int 0x41, IST 1\n"
m_t4:	.asciz "4: ring 0, int 0x42, IST 2 misaligned by 8\n"
m_t5:	.asciz "5: ring 0, #GP through a gate with IST 3\n"
m_t6:	.asciz "6: ring 3, int 0x43, IST 0 (RSP0 misaligned by 8)\n"
m_t7:	.asciz "7: ring 3, int 0x44, IST 1\n"
m_t8:	.asciz "8: ring 3 again: cs="
m_t9:	.asciz "9: ring 3, #GP through a gate with IST 3\n"
m_t10:	.asciz "10: ring 3 compatibility mode, int 0x43\n"
m_frame: .asciz "frame at stk+"
m_errc:	.asciz "err="
m_space: .asciz " "
m_rflags: .asciz " rflags="
m_rsp:	.asciz " rsp=stk+"
m_ss:	.asciz " ss="
m_ssnow: .asciz " ss now="
m_done:	.asciz "done\n"
	.align 8
saved_rsp: .quad 0
farp_compat: .long compat3
	.word SEL_UCODE32
	.align 16
tss64:	.space 0x68

	.bss
	.align 4096
stk:	.skip 0x6000
