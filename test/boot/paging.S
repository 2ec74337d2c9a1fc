/* paging.S: each paging mode and page size translates, and sets the accessed and dirty flags of the entry
 * that maps the page (SDM Vol.3A §4.8): 32-bit paging with a 4 KiB page and a 4 MiB page (CR4.PSE, §4.3,
 * Table 4-4), PAE paging with a 4 KiB page and a 2 MiB page (§4.4.2, Tables 4-9/4-10), 4-level paging with
 * a 1 GiB page (§4.5.4, Table 4-16). Each alias maps `magic`'s physical page at another linear address;
 * the program writes through the alias, reads the value back through the identity mapping and prints the
 * mapping entry (A = 20h, D = 40h). long5.S covers 5-level paging. */
	.include "lib.S"

	.set CR4_PSE, 0x00000010
	.set ALIAS4K, 0x00300000            /* a 4 KiB page of the identity-mapped first 4 MiB, unused */
	.set ALIASPAE, 0x001f0000           /* the same in the first 2 MiB (PAE's 4 KiB-page table) */
	.set ALIASBIG, 0x40000000           /* 1 GiB: PDE 256 (32-bit), PDPTE 1 (PAE, 4-level) */

	/* Write `value` at linear `linear`, then print magic (read at its identity address) and the dword
	 * at `entry`. */
	.macro CHECK32 linear, value, entry
	movl $\value, \linear
	PUTS32 m_magic
	HEX32 magic
	PUTS32 m_entry
	HEX32 \entry
	call newline32
	.endm

main:
	/* 32-bit paging: pd32[0] -> pt32 (4 KiB pages, identity 0-4 MiB), pd32[256] a 4 MiB page at 0. */
	mov $pd32, %edi
	call zero_page
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	or $PTE_P + PTE_W, %eax
	mov %eax, pt32(,%ecx,4)
	inc %ecx
	cmp $1024, %ecx
	jne 1b
	movl $pt32 + PTE_P + PTE_W, pd32
	movl $0 + PTE_P + PTE_W + PTE_PS, pd32+256*4
	movl $magic + PTE_P + PTE_W, pt32+(ALIAS4K>>12)*4
	mov %cr4, %eax
	or $CR4_PSE, %eax
	mov %eax, %cr4
	mov $pd32, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	PUTS32 m_t1
	CHECK32 ALIAS4K, 0x11111111, pt32+(ALIAS4K>>12)*4
	PUTS32 m_t2
	CHECK32 ALIASBIG + magic, 0x22222222, pd32+256*4
	call paging_off

	/* PAE paging: PDPTE 0 -> pdp0 (pdp0[0] -> ptp, 4 KiB pages; pdp0[1] a 2 MiB page at 2 MiB),
	 * PDPTE 1 -> pdp1 (pdp1[0] a 2 MiB page at 0). PDPTEs have no R/W or U/S (Table 4-8). */
	mov $pdp0, %edi
	call zero_page
	mov $pdp1, %edi
	call zero_page
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	or $PTE_P + PTE_W, %eax
	mov %eax, ptp(,%ecx,8)
	movl $0, ptp + 4(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 2b
	movl $ptp + PTE_P + PTE_W, pdp0
	movl $0x200000 + PTE_P + PTE_W + PTE_PS, pdp0 + 8
	movl $0 + PTE_P + PTE_W + PTE_PS, pdp1
	movl $magic + PTE_P + PTE_W, ptp+(ALIASPAE>>12)*8
	movl $pdp0 + PTE_P, pdpt_pae
	movl $pdp1 + PTE_P, pdpt_pae + 8
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pdpt_pae, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	PUTS32 m_t3
	CHECK32 ALIASPAE, 0x33333333, ptp+(ALIASPAE>>12)*8
	PUTS32 m_t4
	CHECK32 ALIASBIG + magic, 0x44444444, pdp1
	call paging_off

	/* 4-level paging (lib.S tables) with pdpt[1] a 1 GiB page at 0. */
	call build_paging
	movl $0 + PTE_P + PTE_W + PTE_PS, pdpt + 8
	call enable_long
	ljmp $SEL_CODE64, $long1

	.code64
long1:
	PUTS64 m_t5
	mov $ALIASBIG + magic, %eax
	movl $0x55555555, (%rax)
	PUTS64 m_magic
	mov magic(%rip), %eax
	call puthex32_64
	PUTS64 m_entry
	mov pdpt + 8(%rip), %eax
	call puthex32_64
	call newline64
	EXIT 0

/* puthex32_64: prints EAX as 8 hex digits from 64-bit code. */
puthex32_64:
	push %rcx
	push %rdx
	mov %eax, %edx
	mov $8, %ecx
1:	rol $4, %edx
	mov %edx, %eax
	and $0xf, %eax
	movb hexdigits(%eax), %al
	out %al, $DEBUGCON
	dec %ecx
	jnz 1b
	pop %rdx
	pop %rcx
	ret
	.code32

/* paging_off: CR0.PG = 0, CR4.PSE = CR4.PAE = 0 (identity-mapped code, so execution goes on). */
paging_off:
	mov %cr0, %eax
	and $~CR0_PG, %eax
	mov %eax, %cr0
	mov %cr4, %eax
	and $~(CR4_PSE + CR4_PAE), %eax
	mov %eax, %cr4
	ret

	.data
m_t1:	.asciz "32-bit paging, 4 KiB page: "
m_t2:	.asciz "32-bit paging, 4 MiB page: "
m_t3:	.asciz "PAE paging, 4 KiB page: "
m_t4:	.asciz "PAE paging, 2 MiB page: "
m_t5:	.asciz "4-level paging, 1 GiB page: "
m_magic: .asciz "magic="
m_entry: .asciz " entry="

	.bss
	.align 4096
magic:	.skip 4096
pd32:	.skip 4096
pt32:	.skip 4096
pdp0:	.skip 4096
pdp1:	.skip 4096
ptp:	.skip 4096
	.align 32
pdpt_pae: .skip 32
