/* kernel.c: the C half of the multiboot-kernel example — a small Multiboot v1 kernel: it prints on COM1,
 * sets up its own GDT and IDT, remaps the two 8259 PICs to vectors 0x20–0x2F, programs the 8254 PIT's
 * counter 0 at 100 Hz, counts five timer interrupts and exits through QEMU's isa-debug-exit port 0xF4.
 * Built freestanding (gcc -m32 -ffreestanding -nostdlib): no libc, every helper is here. */
#include <stdint.h>

#define COM1 0x3f8
#define EXIT_PORT 0xf4
#define MULTIBOOT_MAGIC 0x2BADB002u
#define TICKS 5

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* 16550 UART: 8 data bits, no parity, one stop bit, 115200 baud (divisor 1); transmit when THRE (LSR bit 5). */
static void serial_init(void) {
	outb(COM1 + 1, 0x00);   /* IER: no UART interrupts */
	outb(COM1 + 3, 0x80);   /* LCR: DLAB on */
	outb(COM1 + 0, 0x01);   /* divisor low */
	outb(COM1 + 1, 0x00);   /* divisor high */
	outb(COM1 + 3, 0x03);   /* LCR: 8N1, DLAB off */
	outb(COM1 + 2, 0xc7);   /* FCR: FIFOs on and cleared */
}

static void putc(char c) {
	while ((inb(COM1 + 5) & 0x20) == 0)
		;
	outb(COM1, (uint8_t)c);
}

static void puts(const char *s) {
	while (*s) putc(*s++);
}

static void putdec(uint32_t n) {
	char buf[11];
	int k = 0;
	do { buf[k++] = (char)('0' + n % 10); n /= 10; } while (n);
	while (k) putc(buf[--k]);
}

static void puthex(uint32_t n) {
	puts("0x");
	for (int s = 28; s >= 0; s -= 4) putc("0123456789abcdef"[(n >> s) & 15]);
}

static void exit_qemu(uint8_t v) {
	/* isa-debug-exit: the process ends with status (v << 1) | 1. */
	outb(EXIT_PORT, v);
	for (;;) __asm__ volatile("cli; hlt");
}

/* GDT (SDM Vol.3A §3.4.5): null, flat 4 GiB ring-0 code (0x08) and data (0x10). */
static uint64_t gdt[3] = {
	0,
	0x00cf9a000000ffffull,  /* base 0, limit 0xfffff pages, P, DPL 0, code execute/read, D = 1, G = 1 */
	0x00cf92000000ffffull,  /* the same as data read/write */
};
struct __attribute__((packed)) descriptor_ptr { uint16_t limit; uint32_t base; };
extern void gdt_load(const struct descriptor_ptr *gdtr, uint32_t cs, uint32_t ds);

/* IDT of 32-bit interrupt gates (SDM Vol.3A §6.11, Figure 6-2): type 0xE, P, DPL 0. */
static uint64_t idt[256];
extern void irq0_entry(void);
extern void unexpected_entry(void);

static uint64_t interrupt_gate(void (*handler)(void)) {
	uint32_t offset = (uint32_t)handler;
	return (uint64_t)(offset & 0xffff) | ((uint64_t)0x08 << 16) | ((uint64_t)0x8e00 << 32) | ((uint64_t)(offset >> 16) << 48);
}

static void idt_init(void) {
	for (int v = 0; v < 256; v++) idt[v] = interrupt_gate(unexpected_entry);
	idt[0x20] = interrupt_gate(irq0_entry);
	struct descriptor_ptr idtr = { sizeof idt - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* 8259A initialization (ICW1–ICW4): master at vectors 0x20–0x27, slave at 0x28–0x2F, cascade on IRQ 2;
 * then only IRQ 0 (the PIT) unmasked. */
static void pic_init(void) {
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xfe); outb(0xa1, 0xff);
}

/* 8254 counter 0, mode 2 (rate generator), binary, divisor 11932: 1193182 Hz / 11932 = 100 Hz. */
static void pit_init(void) {
	outb(0x43, 0x34);
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
}

static volatile uint32_t ticks;

void timer_interrupt(void) {
	ticks++;
	outb(0x20, 0x20);  /* non-specific EOI to the master PIC */
}

void unexpected_interrupt(void) {
	puts("unexpected interrupt or exception\n");
	exit_qemu(0x7f);
}

void kmain(uint32_t magic, uint32_t info) {
	serial_init();
	puts("multiboot-kernel: hello from C\n");
	if (magic != MULTIBOOT_MAGIC) {
		puts("not loaded by a Multiboot loader: eax=");
		puthex(magic);
		puts("\n");
		exit_qemu(0x7e);
	}
	/* Where the information lies is the loader's choice; what it says is the protocol's (§3.3). */
	const uint32_t *mbi = (const uint32_t *)info;
	puts("multiboot info: mem_lower/mem_upper ");
	puts((mbi[0] & 1) ? "present" : "absent");
	puts("\n");
	struct descriptor_ptr gdtr = { sizeof gdt - 1, (uint32_t)gdt };
	gdt_load(&gdtr, 0x08, 0x10);
	idt_init();
	pic_init();
	pit_init();
	puts("GDT, IDT, PIC and PIT ready; interrupts on\n");
	uint32_t seen = 0;
	__asm__ volatile("sti");
	while (seen < TICKS) {
		__asm__ volatile("hlt");
		if (ticks != seen) {
			seen = ticks;
			puts("tick ");
			putdec(seen);
			puts("\n");
		}
	}
	__asm__ volatile("cli");
	puts("done after ");
	putdec(TICKS);
	puts(" timer interrupts\n");
	exit_qemu(0x10);
}
