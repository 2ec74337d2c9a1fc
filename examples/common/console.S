/* console.S: debug-console output (port 0xE9) for the 64-bit examples; #included where the routines go. */
#define DEBUG_PORT	0xe9

/* puts: prints the NUL-terminated string at %rsi on the debug console. */
puts:
	movw	$DEBUG_PORT, %dx
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	ret

/* puthex: prints %rax as 0x followed by 16 hex digits. */
puthex:
	movq	%rax, %rbx
	movw	$DEBUG_PORT, %dx
	movb	$'0', %al
	outb	%al, %dx
	movb	$'x', %al
	outb	%al, %dx
	movl	$16, %ecx
1:	rolq	$4, %rbx
	movb	%bl, %al
	andb	$0xf, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$('a' - '9' - 1), %al
2:	outb	%al, %dx
	decl	%ecx
	jnz	1b
	ret

newline:
	movw	$DEBUG_PORT, %dx
	movb	$'\n', %al
	outb	%al, %dx
	ret
