/* gdt32.S: the Multiboot entry state, our own GDT and a far jump into it (lib.S), then printing. */
	.include "lib.S"
main:
	PUTS32 m_hello
	HEX32 mb_magic
	call newline32
	PUTS32 m_seg
	mov %cs, %eax
	HEX32 %eax
	call newline32
	mov mb_info, %ebx
	PUTS32 m_mem
	mov (%ebx), %eax
	and $1, %eax
	HEX32 %eax
	PUTS32 m_lower
	HEX32 4(%ebx)
	PUTS32 m_sp
	mov 8(%ebx), %eax
	shr $12, %eax                      /* QEMU's exact figure depends on its e820 map; 4 MiB units do not */
	HEX32 %eax
	call newline32
	mov %cr0, %eax
	PUTS32 m_cr0
	and $0x80000001, %eax
	HEX32 %eax
	call newline32
	EXIT 0

	.data
m_hello: .asciz "gdt32: loaded own GDT, magic="
m_seg:	.asciz "cs="
m_mem:	.asciz "flags&1="
m_lower: .asciz " mem_lower="
m_sp:	.asciz " mem_upper>>12="
m_cr0:	.asciz "cr0.pg|pe="
