/*
 * init.c: the /init of the kernel tests' initramfs. It has no C library (the kernel starts it with an
 * empty address space apart from the ELF), so it makes its system calls itself (x86-64 Linux ABI: number
 * in RAX, arguments in RDI, RSI, RDX, R10; SYSCALL clobbers RCX and R11): it writes one line to the
 * console the kernel opened as its standard output, then asks for a power-off. Built at test time by
 * test/support/initramfs.ts with gcc -static -nostdlib -mgeneral-regs-only (no x87/SSE code).
 */
#define SYS_write 1
#define SYS_reboot 169
#define LINUX_REBOOT_MAGIC1 0xfee1deadL
#define LINUX_REBOOT_MAGIC2 672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

static long syscall4(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return ret;
}

static const char message[] = "init: hello from user space\n";

void _start(void)
{
	syscall4(SYS_write, 1, (long)message, sizeof message - 1, 0);
	syscall4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
	for (;;)
		;
}
