/* gp.S: #GP(0) from MOV to CR0/CR4 and WRMSR EFER around IA-32e mode (SDM Vol.3A §2.5, §10.8.5;
 * Vol.2B MOV—Move to/from Control Registers, "Protected Mode Exceptions" / "64-Bit Mode Exceptions";
 * Vol.4 Table 2-2 IA32_EFER). Each faulting instruction is caught by the IDT handler, which prints the
 * vector and error code, and skipped. */
	.include "lib.S"
main:
	call build_paging
	call setup_idt32
	call setup_idt64

	/* 1. CR0.PG=1 with EFER.LME=1 but CR4.PAE=0: #GP(0) (SDM Vol.3A §10.8.5: PAE must be enabled first). */
	PUTS32 m_t1
	mov $pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	TRY32 t1_done
	mov %cr0, %ebx
	mov %ebx, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	call no_fault32
	mov %ebx, %cr0
t1_done:
	mov %cr0, %eax
	PUTS32 m_cr0
	HEX32 %eax
	call newline32

	/* (CR0.PG=1 with PE=0, also #GP(0), is not tested: QEMU 7.2 TCG accepts the write and then
	 * cannot continue, so the program could not be proven there.) */
	mov $MSR_EFER, %ecx
	rdmsr
	and $~EFER_LME, %eax
	wrmsr

	call enable_long
	ljmp $SEL_CODE64, $long1

	.code64
long1:
	lidt idt64_ptr(%rip)
	PUTS64 m_long
	/* 3. Toggling CR4.LA57 while IA-32e mode is active: #GP(0) (SDM Vol.2B MOV CR, 64-Bit Mode Exceptions). */
	PUTS64 m_t3
	mov %cr4, %rax
	xor $CR4_LA57, %rax
	mov %cr4, %rbx
	TRY64 t3_done
	mov %rax, %cr4
	call no_fault64
	mov %rbx, %cr4
t3_done:
	/* (Clearing CR4.PAE while IA-32e mode is active, also #GP(0), is not tested: QEMU 7.2 TCG accepts
	 * it and then cannot continue.) */
	/* (Clearing CR0.PG in 64-bit mode, also #GP(0), is not tested: QEMU 7.2 TCG accepts it and runs
	 * away.) */
	/* (Setting reserved CR4 bit 31, also #GP(0), is not tested: QEMU 7.2 TCG does not raise it.) */
	/* 7. Changing EFER.LME while paging is on: #GP(0) (Vol.4 Table 2-2, IA32_EFER; Vol.3A §10.8.5). */
	PUTS64 m_t7
	mov $MSR_EFER, %ecx
	rdmsr
	and $~EFER_LME, %eax
	TRY64 t7_done
	wrmsr
	call no_fault64
	or $EFER_LME, %eax
	wrmsr
t7_done:
	/* 8. Setting a bit above 31 in CR0: #GP(0). */
	PUTS64 m_t8
	mov %cr0, %rax
	bts $32, %rax
	mov %cr0, %rbx
	TRY64 t8_done
	mov %rax, %cr0
	call no_fault64
	mov %rbx, %cr0
t8_done:
	mov %cr0, %rax
	PUTS64 m_end
	HEX64 %rax
	mov %cr4, %rax
	PUTS64 m_end4
	HEX64 %rax
	mov $MSR_EFER, %ecx
	rdmsr
	PUTS64 m_efer
	and $~EFER_NXE, %eax                  /* NXE as the loader left it is not the point here */
	HEX64 %rax
	call newline64
	EXIT 0

/* The instruction under test did not fault: say so (the caller then undoes it). */
no_fault64:
	PUTS64 m_nofault
	ret
	.code32
no_fault32:
	PUTS32 m_nofault
	ret

	.data
m_nofault: .asciz "no exception\n"
m_t1:	.asciz "1: PG with LME, without PAE\n"
m_cr0:	.asciz "cr0="
m_long:	.asciz "long mode\n"
m_t3:	.asciz "3: toggle LA57 in IA-32e mode\n"
m_t7:	.asciz "7: clear EFER.LME with paging on\n"
m_t8:	.asciz "8: set CR0 bit 32\n"
m_end:	.asciz "cr0="
m_end4:	.asciz " cr4="
m_efer:	.asciz " efer="
