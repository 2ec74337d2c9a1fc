/* syscall.S: the fast system calls (SDM Vol.2B SYSENTER, SYSEXIT, SYSCALL, SYSRET, SWAPGS; Vol.3A
 * "Performing Fast Calls to System Procedures with the SYSENTER and SYSEXIT Instructions" and "Fast System
 * Calls in 64-Bit Mode"). SYSENTER/SYSEXIT/SYSCALL/SYSRET load CS and SS with fixed flat descriptors whose
 * selectors come from MSRs (the GDT is not read), so each test prints the selectors and what changed.
 * Protected mode:
 *  1. SYSENTER with IA32_SYSENTER_CS = 0: #GP(0).
 *  2. SYSEXIT to ring 3: CS = SYSENTER_CS + 16 | 3, SS = SYSENTER_CS + 24 | 3, ESP = ECX, EIP = EDX; SYSEXIT
 *     at CPL 3 is #GP(0); SYSENTER back: CS = SYSENTER_CS, SS = + 8, ESP/EIP from the MSRs, IF cleared.
 * IA-32e mode:
 *  3. SYSCALL with EFER.SCE = 0: #UD.
 *  4. SYSRETQ to 64-bit ring 3: CS = STAR[63:48] + 16 | 3, SS = STAR[63:48] + 8 | 3, RFLAGS from R11;
 *     SYSCALL back: RCX = next RIP, R11 = RFLAGS, RFLAGS &= ~FMASK, CS = STAR[47:32], SS = + 8, RSP kept.
 *  5. SYSRETL to compatibility mode (CS = STAR[63:48] | 3), SYSENTER from there: 64-bit CS = SYSENTER_CS,
 *     RSP/RIP from the MSRs.
 *  6. SYSEXITQ to 64-bit ring 3 (CS = SYSENTER_CS + 32 | 3, SS = + 40 | 3), SYSENTER from 64-bit mode;
 *     SYSEXIT without REX.W to compatibility mode (CS = SYSENTER_CS + 16 | 3).
 *  7. #GP(0): SYSRETQ to a non-canonical RCX (raised at CPL 0, before anything changes), SYSENTER with
 *     SYSENTER_CS = 0, and SWAPGS, SYSRET, SYSEXIT at CPL 3.
 *  8. SWAPGS exchanges GS.base (IA32_GS_BASE) with IA32_KERNEL_GS_BASE. */
	.include "lib.S"
	.set SEL_KCODE64, 0x18               /* STAR[47:32]: SYSCALL CS; SS = 0x20 */
	.set SEL_USER, 0x28                  /* STAR[63:48]: SYSRETL CS 0x2b, SS 0x33, SYSRETQ CS 0x3b */
	.set SEL_SE, 0x48                    /* IA32_SYSENTER_CS: SS 0x50, SYSEXIT CS 0x5b SS 0x63, SYSEXITQ CS 0x6b SS 0x73 */
	.set SEL_TSS32, 0x78
	.set SEL_TSS, 0x80                   /* 64-bit TSS, 16 bytes */
	.set MSR_SYSENTER_CS, 0x174
	.set MSR_SYSENTER_ESP, 0x175
	.set MSR_SYSENTER_EIP, 0x176
	.set MSR_STAR, 0xc0000081
	.set MSR_LSTAR, 0xc0000082
	.set MSR_CSTAR, 0xc0000083
	.set MSR_FMASK, 0xc0000084
	.set MSR_GS_BASE, 0xc0000101
	.set MSR_KERNEL_GS_BASE, 0xc0000102
	.set EFER_SCE, 1

	/* WRMSR32 msr, value: the MSR's high half 0. */
	.macro WRMSR32 msr, value
	mov $\msr, %ecx
	mov $\value, %eax
	xor %edx, %edx
	wrmsr
	.endm
	/* SEGS32: prints " cs=" CS " ss=" SS (32-bit code). */
	.macro SEGS32
	call segs32
	.endm

main:
	lgdt sgdt_ptr
	call setup_idt32
	/* The 32-bit TSS: SS0:ESP0 for faults in ring 3. */
	movl $kstack32_top, tss32 + 4
	movl $SEL_DATA, tss32 + 8
	mov $tss32, %eax
	mov $0x67, %ecx
	mov $0x8900, %edx
	mov $sgdt + SEL_TSS32, %edi
	call set_sys_desc
	mov $SEL_TSS32, %ax
	ltr %ax
	/* IOPL 3: ring 3 prints through port 0xE9. */
	pushf
	orl $0x3000, (%esp)
	popf

	PUTS32 m_p1
	WRMSR32 MSR_SYSENTER_CS, 0
	TRY32 1f
	sysenter
	PUTS32 m_nofault
1:
	PUTS32 m_p2
	WRMSR32 MSR_SYSENTER_CS, SEL_SE
	WRMSR32 MSR_SYSENTER_ESP, se_stack_top
	WRMSR32 MSR_SYSENTER_EIP, se_entry32
	mov %esp, k_rsp
	mov $ustack_top, %ecx
	mov $user32_a, %edx
	sysexit
se_back32:
	/* SYSENTER returned here (se_entry32) */

	/* IA-32e mode */
	call build_paging
	call setup_idt64
	/* The 64-bit TSS (SDM Vol.3A §8.7 Figure 8-11): RSP0 for faults in ring 3. */
	mov $kstack32_top, %eax             /* apart from the kernel's stack */
	mov %eax, tss64 + 4
	mov $tss64, %eax
	mov $0x67, %ecx
	mov $0x8900, %edx
	mov $sgdt + SEL_TSS, %edi
	call set_sys_desc
	call enable_long
	ljmp $SEL_CODE64, $long64

	.code64
long64:
	lidt idt64_ptr(%rip)
	mov $SEL_TSS, %ax
	ltr %ax
	mov $kstack64_top, %esp

	PUTS64 m_p3
	TRY64 1f
	syscall
	PUTS64 m_nofault
1:
	/* EFER.SCE, STAR, LSTAR, FMASK (IF | DF) */
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_SCE, %eax
	wrmsr
	mov $MSR_STAR, %ecx
	xor %eax, %eax
	mov $(SEL_USER << 16) | SEL_KCODE64, %edx
	wrmsr
	mov $MSR_LSTAR, %ecx
	mov $k_syscall, %eax
	xor %edx, %edx
	wrmsr
	mov $MSR_FMASK, %ecx
	mov $0x600, %eax
	wrmsr
	mov $MSR_SYSENTER_ESP, %ecx
	mov $se_stack_top, %eax
	wrmsr
	mov $MSR_SYSENTER_EIP, %ecx
	mov $k_sysenter, %eax
	wrmsr

	PUTS64 m_p4
	mov $user64_a, %ecx
	mov $0x3002, %r11d
	call go_sysretq
	PUTS64 m_p5
	mov $user32_c, %ecx
	mov $0x3202, %r11d
	call go_sysretl
	/* QEMU's `max` CPU has the AMD vendor, where SYSENTER/SYSEXIT are #UD in 64-bit mode and SYSCALL
	 * in compatibility mode goes through IA32_CSTAR: each of these tests converges on the next either
	 * way (boot.test.ts maps QEMU's lines onto the SDM's). */
	PUTS64 m_p5b
	mov $MSR_CSTAR, %ecx
	mov $k_cstar, %eax
	xor %edx, %edx
	wrmsr
	TRY64 1f
	mov $user32_syscall, %ecx
	mov $0x3002, %r11d
	call go_sysretl
1:	movq $0, resume64(%rip)
	PUTS64 m_p6
	TRY64 1f
	mov $user64_b, %edx
	call go_sysexitq
1:	movq $0, resume64(%rip)
	PUTS64 m_p6b
	TRY64 1f
	mov $user32_d, %edx
	call go_sysexitl
1:	movq $0, resume64(%rip)
	/* Back to CS 18H (SYSENTER left 48H, a 64-bit CS only in its flat cache). */
	pushq $SEL_CODE64
	lea 1f(%rip), %rax
	push %rax
	lretq
1:

	PUTS64 m_p7a
	TRY64 1f
	mov $0x3002, %r11d
	mov $1, %ecx
	bts $47, %rcx                        /* 0000800000000001H: not canonical with 48-bit addresses */
	sysretq
	PUTS64 m_nofault
1:	PUTS64 m_p7b
	xor %eax, %eax
	xor %edx, %edx
	mov $MSR_SYSENTER_CS, %ecx
	wrmsr
	TRY64 1f
	sysenter
	PUTS64 m_nofault
1:	mov $SEL_SE, %eax
	wrmsr
	PUTS64 m_p7c
	TRY64 1f
	mov $user64_swapgs, %ecx
	mov $0x3002, %r11d
	call go_sysretq
	PUTS64 m_nofault
1:	PUTS64 m_p7d
	TRY64 1f
	mov $user64_sysret, %ecx
	mov $0x3002, %r11d
	call go_sysretq
	PUTS64 m_nofault
1:	PUTS64 m_p7e
	TRY64 1f
	mov $user64_sysexit, %ecx
	mov $0x3002, %r11d
	call go_sysretq
	PUTS64 m_nofault
1:
	PUTS64 m_p8
	mov $MSR_GS_BASE, %ecx
	mov $0x22223333, %eax
	mov $0x00001111, %edx
	wrmsr
	mov $MSR_KERNEL_GS_BASE, %ecx
	mov $0x77776666, %eax
	mov $0xffff8888, %edx
	wrmsr
	swapgs
	call gsbases
	swapgs
	call gsbases
	EXIT 0

/* gsbases: prints IA32_GS_BASE and IA32_KERNEL_GS_BASE. */
gsbases:
	PUTS64 m_gs
	mov $MSR_GS_BASE, %ecx
	call rdmsr64
	PUTS64 m_kgs
	mov $MSR_KERNEL_GS_BASE, %ecx
	call rdmsr64
	call newline64
	ret
rdmsr64:
	rdmsr
	shl $32, %rdx
	or %rdx, %rax
	call puthex64
	ret

/* go_sysretq / go_sysretl: SYSRET (REX.W or not) to RCX with RFLAGS R11 and RSP on the user stack; the
 * kernel entry that ring 3 reaches next returns to our caller on its stack (k_rsp). */
go_sysretq:
	mov %rsp, k_rsp(%rip)
	mov $ustack_top, %esp
	sysretq
go_sysretl:
	mov %rsp, k_rsp(%rip)
	mov $ustack_top, %esp
	sysretl
/* go_sysexitq / go_sysexitl: SYSEXIT (REX.W or not) to RDX with RSP = RCX = the user stack. */
go_sysexitq:
	mov %rsp, k_rsp(%rip)
	mov $ustack_top, %ecx
	sysexitq
go_sysexitl:
	mov %rsp, k_rsp(%rip)
	mov $ustack_top, %ecx
	sysexitl

/* SEGS64: prints " cs=" CS " ss=" SS " rflags=" RFLAGS (64-bit code). */
segs64:
	PUTS64 m_cs
	mov %cs, %eax
	HEX64 %rax
	PUTS64 m_ss
	mov %ss, %eax
	HEX64 %rax
	PUTS64 m_rflags
	pushfq
	pop %rax
	call puthex64
	ret

/* k_syscall: LSTAR. Prints RCX (from the label ring 3 put in RBX), R11, CS, SS, RFLAGS and RSP (on the
 * user stack: SYSCALL keeps RSP), then returns to the caller of go_sysret*. */
k_syscall:
	PUTS64 m_ksc
	mov %rcx, %rax
	sub %rbx, %rax
	call puthex64
	PUTS64 m_r11
	HEX64 %r11
	call segs64
	PUTS64 m_rsp
	lea ustack_top(%rip), %rax
	sub %rsp, %rax
	call puthex64
	call newline64
	mov k_rsp(%rip), %rsp
	ret

/* k_sysenter: IA32_SYSENTER_EIP in IA-32e mode: prints CS, SS, RFLAGS, RSP - top, then returns to the
 * caller of go_sys*. */
k_sysenter:
	PUTS64 m_kse
	lea se_stack_top(%rip), %rax
	sub %rsp, %rax
	call puthex64
	call segs64
	call newline64
	mov k_rsp(%rip), %rsp
	ret

/* k_cstar: IA32_CSTAR, which an Intel processor never uses (SYSCALL is #UD outside 64-bit mode). */
k_cstar:
	PUTS64 m_cstar
	mov k_rsp(%rip), %rsp
	ret

/* 64-bit ring 3 */
user64_a:
	PUTS64 m_u64
	call segs64
	call newline64
	mov $u64_a_next, %ebx
	pushq $0x3602                        /* IOPL 3, DF, IF */
	popfq
	syscall
u64_a_next:
user64_b:
	PUTS64 m_u64
	call segs64
	call newline64
	sysenter
user64_swapgs:
	swapgs
	PUTS64 m_nofault
	hlt
user64_sysret:
	sysretq
	PUTS64 m_nofault
	hlt
user64_sysexit:
	sysexitq
	PUTS64 m_nofault
	hlt

	.code32
/* ring 3 in protected mode (after SYSEXIT) */
user32_a:
	PUTS32 m_u32
	SEGS32
	PUTS32 m_esp
	mov $ustack_top, %eax
	sub %esp, %eax
	HEX32 %eax
	call newline32
	PUTS32 m_p2b
	TRY32 1f
	sysexit
	PUTS32 m_nofault
1:	sti
	sysenter
/* SYSENTER_EIP in protected mode: DS and ES were made null by the IRET to ring 3 after the #GP above
 * (Vol.2A IRET RETURN-TO-OUTER-PRIVILEGE-LEVEL: DPL 0 data segments at CPL 3), and SYSENTER does not
 * load them: print DS and reload both. */
se_entry32:
	mov %ds, %eax
	mov %eax, %ebx
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	PUTS32 m_ds
	HEX32 %ebx
	call newline32
	PUTS32 m_kse
	mov $se_stack_top, %eax
	sub %esp, %eax
	HEX32 %eax
	SEGS32
	PUTS32 m_rflags
	pushf
	pop %eax
	HEX32 %eax
	call newline32
	mov k_rsp, %esp
	jmp se_back32

/* ring 3 in compatibility mode (after SYSRETL or SYSEXIT): prints CS, SS, EFLAGS, then SYSENTER */
user32_c:
user32_d:
	PUTS32 m_u32
	SEGS32
	PUTS32 m_rflags
	pushf
	pop %eax
	HEX32 %eax
	call newline32
	sysenter

user32_syscall:
	syscall
	PUTS32 m_nofault
	hlt

segs32:
	PUTS32 m_cs
	mov %cs, %eax
	HEX32 %eax
	PUTS32 m_ss
	mov %ss, %eax
	HEX32 %eax
	ret

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
m_nofault: .asciz "no exception\n"
m_p1:	.asciz "1: sysenter with SYSENTER_CS 0\n"
m_p2:	.asciz "2: sysexit to ring 3\n"
m_p2b:	.asciz "2b: sysexit at CPL 3\n"
m_p3:	.asciz "3: syscall with EFER.SCE 0\n"
m_p4:	.asciz "4: sysretq to 64-bit ring 3, syscall back\n"
m_p5:	.asciz "5: sysretl to compatibility mode, sysenter back\n"
m_p5b:	.asciz "5b: syscall in compatibility mode\n"
m_cstar: .asciz "syscall through CSTAR\n"
m_ds:	.asciz "sysenter: ds="
m_p6:	.asciz "6: sysexitq to 64-bit ring 3, sysenter back\n"
m_p6b:	.asciz "6b: sysexit to compatibility mode, sysenter back\n"
m_p7a:	.asciz "7a: sysretq to a non-canonical rcx\n"
m_p7b:	.asciz "7b: sysenter in IA-32e mode with SYSENTER_CS 0\n"
m_p7c:	.asciz "7c: swapgs at CPL 3\n"
m_p7d:	.asciz "7d: sysret at CPL 3\n"
m_p7e:	.asciz "7e: sysexit at CPL 3\n"
m_p8:	.asciz "8: swapgs\n"
m_gs:	.asciz "gs.base="
m_kgs:	.asciz " kernel_gs_base="
m_u32:	.asciz "ring 3:"
m_u64:	.asciz "ring 3:"
m_esp:	.asciz " top-esp="
m_rsp:	.asciz " top-rsp="
m_ss:	.asciz " ss="
m_rflags: .asciz " rflags="
m_ksc:	.asciz "syscall: rcx-next="
m_r11:	.asciz " r11="
m_kse:	.asciz "sysenter: top-rsp="

	.align 8
k_rsp:	.quad 0
sgdt:
	.quad 0                             /* 0x00 null */
	.quad 0x00cf9b000000ffff            /* 0x08 code, 32-bit, flat, DPL 0 */
	.quad 0x00cf93000000ffff            /* 0x10 data, flat, DPL 0 */
	.quad 0x00af9b000000ffff            /* 0x18 code, 64-bit, DPL 0: SYSCALL CS */
	.quad 0x00cf93000000ffff            /* 0x20 data, DPL 0: SYSCALL SS */
	.quad 0x00cffb000000ffff            /* 0x28 code, 32-bit, DPL 3: SYSRETL CS */
	.quad 0x00cff3000000ffff            /* 0x30 data, DPL 3: SYSRET SS */
	.quad 0x00affb000000ffff            /* 0x38 code, 64-bit, DPL 3: SYSRETQ CS */
	.quad 0                             /* 0x40 */
	.quad 0x00cf9b000000ffff            /* 0x48 code, 32-bit, DPL 0: SYSENTER CS */
	.quad 0x00cf93000000ffff            /* 0x50 data, DPL 0: SYSENTER SS */
	.quad 0x00cffb000000ffff            /* 0x58 code, 32-bit, DPL 3: SYSEXIT CS */
	.quad 0x00cff3000000ffff            /* 0x60 data, DPL 3: SYSEXIT SS */
	.quad 0x00affb000000ffff            /* 0x68 code, 64-bit, DPL 3: SYSEXITQ CS */
	.quad 0x00cff3000000ffff            /* 0x70 data, DPL 3: SYSEXITQ SS */
	.quad 0                             /* 0x78 32-bit TSS */
	.quad 0, 0                          /* 0x80 64-bit TSS */
sgdt_end:
sgdt_ptr:
	.word sgdt_end - sgdt - 1
	.long sgdt
	.align 16
tss32:	.space 0x68
tss64:	.space 0x68
	.align 16
	.space 1024
kstack32_top:
	.space 1024
kstack64_top:
	.space 1024
se_stack_top:
	.space 1024
ustack_top:
