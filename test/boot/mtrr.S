/* mtrr.S: the MTRRs as the firmware leaves them (SDM Vol.3A §12.11): IA32_MTRRCAP (FEh: VCNT, FIX, WC,
 * Figure 12-5), IA32_MTRR_DEF_TYPE (2FFh: E, FE and the default type, Figure 12-6), the fixed ranges of
 * conventional memory and of the VGA window (250h, 258h, 259h, Table 12-9), then a round trip through a
 * variable range and a WRMSR of an undefined memory type (#GP(0), §12.11.1). */
	.include "lib.S"

	.macro SHOW msr, text
	PUTS32 \text
	mov $\msr, %ecx
	rdmsr
	mov %eax, %ebx
	HEX32 %edx
	HEX32 %ebx
	call newline32
	.endm

main:
	call setup_idt32
	SHOW 0xfe, m_cap
	SHOW 0x2ff, m_def
	SHOW 0x250, m_fix64
	SHOW 0x258, m_fix16a
	SHOW 0x259, m_fix16b
	/* PHYSBASE7/PHYSMASK7 (20Eh/20Fh): 2 MiB write-combining at 1 GiB, read back. */
	mov $0x20e, %ecx
	mov $0x40000001, %eax
	xor %edx, %edx
	wrmsr
	mov $0x20f, %ecx
	mov $0xffe00800, %eax
	mov $0x000fffff, %edx
	wrmsr
	SHOW 0x20e, m_base7
	SHOW 0x20f, m_mask7
	/* Memory type 2 is undefined: #GP(0). */
	PUTS32 m_bad
	TRY32 bad_done
	mov $0x20e, %ecx
	mov $0x40000002, %eax
	xor %edx, %edx
	wrmsr
	PUTS32 m_nofault
bad_done:
	EXIT 0

	.data
m_cap:	.asciz "IA32_MTRRCAP      "
m_def:	.asciz "IA32_MTRR_DEF_TYPE "
m_fix64: .asciz "FIX64K_00000      "
m_fix16a: .asciz "FIX16K_80000      "
m_fix16b: .asciz "FIX16K_A0000      "
m_base7: .asciz "PHYSBASE7         "
m_mask7: .asciz "PHYSMASK7         "
m_bad:	.asciz "WRMSR PHYSBASE7 type 2: "
m_nofault: .asciz "no exception\n"
