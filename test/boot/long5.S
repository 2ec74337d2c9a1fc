/* long5.S: the seed scenario (/work/shared/seed-5level-trampoline-thread.txt): 4-level long mode ->
 * lretq into a compatibility-mode CS -> CR0.PG=0 (leaves IA-32e mode) -> CR3 = PML5, CR4.LA57=1 ->
 * CR0.PG=1 -> far jump back into 64-bit mode, now with 5-level paging (SDM Vol.3A §4.1.1, §10.8.5). */
	.include "lib.S"
main:
	call build_paging
	/* pml5[1] -> pml4 as well: linear 1<<48 + x aliases x, canonical only with 57-bit addresses. */
	mov $pml4 + PTE_P + PTE_W, %eax
	mov %eax, pml5 + 8
	call enable_long
	PUTS32 m_compat1
	ljmp $SEL_CODE64, $long1

	.code64
long1:
	PUTS64 m_long64
	mov %cr4, %rax
	PUTS64 m_cr4
	HEX64 %rax
	call newline64
	/* lretq into a 32-bit compatibility-mode CS (SDM Vol.3A §5.8.6 far return). */
	pushq $SEL_CODE32
	mov $compat, %eax                  /* (a 64-bit push of a symbol needs a 32S relocation ELF32 lacks) */
	push %rax
	lretq

	.code32
compat:
	PUTS32 m_compat
	mov $MSR_EFER, %ecx
	rdmsr
	and $EFER_LME + EFER_LMA, %eax
	HEX32 %eax
	call newline32
	/* Clearing CR0.PG in compatibility mode leaves IA-32e mode: EFER.LMA=0 (SDM Vol.3A §10.8.5.4). */
	mov %cr0, %eax
	and $~CR0_PG, %eax
	mov %eax, %cr0
	mov $MSR_EFER, %ecx
	rdmsr
	PUTS32 m_pgoff
	and $EFER_LME + EFER_LMA, %eax
	HEX32 %eax
	call newline32
	/* 5-level paging: CR3 = PML5 (must sit below 4 GiB: a 32-bit MOV to CR3), CR4.LA57=1, then PG. */
	mov $pml5, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $CR4_LA57, %eax
	mov %eax, %cr4
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	mov $MSR_EFER, %ecx
	rdmsr
	PUTS32 m_pgon
	and $EFER_LME + EFER_LMA, %eax
	HEX32 %eax
	call newline32
	ljmp $SEL_CODE64, $long2

	.code64
long2:
	PUTS64 m_long57
	mov %cr4, %rax
	HEX64 %rax
	call newline64
	/* Read a word through the 57-bit alias 0x0001_0000_0000_0000 + &probe. */
	mov $probe, %eax
	mov $1, %rdx
	shl $48, %rdx
	or %rdx, %rax
	PUTS64 m_alias
	HEX64 %rax
	PUTS64 m_eq
	mov (%rax), %rax
	HEX64 %rax
	call newline64
	EXIT 0

	.data
	.align 8
probe:	.quad 0x5a5a1234cafe0057
m_compat1: .asciz "pg on: compatibility mode\n"
m_long64: .asciz "long64\n"
m_cr4:	.asciz "cr4="
m_compat: .asciz "compat: efer.lme|lma="
m_pgoff: .asciz "pg off: efer.lme|lma="
m_pgon:	.asciz "la57 pg on: efer.lme|lma="
m_long57: .asciz "long64 with 5-level paging: cr4="
m_alias: .asciz "["
m_eq:	.asciz "]="
