// debuggeeFixture.ts: builds a Debuggee the way the adapter does — a GAS source assembled by the built-in
// assembler and booted by bootProgram — and runs it to a label, for the registers and variables tests.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assembleProgram } from '../../assembler/program';
import { sourceReaders } from '../../cli/sourceFiles';
import { CpuFeatures } from '../../emulator/cpu/features';
import { StopReason } from '../../emulator/cpu/step';
import { Assemble, BootOptions, bootProgram } from '../../emulator/loaders/boot';
import { Debuggee } from '../../adapter/debuggee';
import { CopyRange, LineTable, SymbolTable } from '../../adapter/symbols';

/** A file of examples/: from out-x/test/adapter/ or from the source tree. */
export function exampleFile(dir: string, name: string): string {
  const candidates = [2, 3].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), 'examples', dir, name));
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}

/** Boots a GAS source (text, named `file` for its #includes) as the debug adapter would. */
export function bootDebuggee(file: string, text: string, o: { boot: BootOptions['boot']; load: number; paging?: 4 | 5; copies?: (s: SymbolTable) => CopyRange[]; output?: (byte: number) => void }): Debuggee {
  const assemble: Assemble = (t, name, origin, codeSize) => assembleProgram(t, { file: name, origin, codeSize, ...sourceReaders(file) });
  const booted = bootProgram({
    file, bytes: new TextEncoder().encode(text), boot: o.boot, load: o.load, entry: null, features: new CpuFeatures(),
    paging: o.paging ?? 4, memory: null, cmdline: null, initrd: [], disk: null, output: o.output ?? (() => undefined), input: () => -1, assemble,
  });
  const plain = new SymbolTable(booted.symbols);
  const symbols = o.copies === undefined ? plain : new SymbolTable(booted.symbols, o.copies(plain));
  return new Debuggee(booted.machine, symbols, new LineTable(booted.lines, symbols), booted);
}

export function bootExample(dir: string, name: string, o: Parameters<typeof bootDebuggee>[2]): Debuggee {
  const file = exampleFile(dir, name);
  return bootDebuggee(file, readFileSync(file, 'utf8'), o);
}

/** Steps until the next instruction is at `linear` (a label's address); throws if the program stops first. */
export function runTo(d: Debuggee, linear: number, limit = 200_000): void {
  for (let k = 0; k < limit; k++) {
    if (d.pc() === linear) return;
    const r = d.machine.step();
    if (r === StopReason.Halt || r === StopReason.TripleFault || r === StopReason.Exception || r === StopReason.Exit) {
      throw new Error(`stopped (${r}: ${d.machine.lastStop.detail}) at 0x${d.pc().toString(16)} before reaching 0x${linear.toString(16)}`);
    }
  }
  throw new Error(`0x${linear.toString(16)} not reached in ${limit} instructions (at 0x${d.pc().toString(16)})`);
}

/** A label's address (assembled), failing loudly when it is missing. */
export function label(d: Debuggee, name: string): number {
  const v = d.symbols.value(name);
  if (v === undefined) throw new Error(`no label ${name}`);
  return v;
}

/**
 * A 64-bit program (boot 'long', load 0x100000) that leaves known values in registers of every width, a
 * return address and a pushed constant on the stack, an IDT with two 64-bit gates, its own GDT with a 64-bit TSS
 * (RSP0, IST1 set) in TR; after `in_func` it
 * stores what it sees into `result` so tests can check what the guest observed after a debugger write.
 */
export const REGS_PROGRAM = `
	.code64
start:
	leaq	idt(%rip), %rdi
	leaq	handler0(%rip), %rax
	movw	%ax, (%rdi)
	movw	$0x10, 2(%rdi)
	movw	$0x8e00, 4(%rdi)
	shrq	$16, %rax
	movw	%ax, 6(%rdi)
	shrq	$16, %rax
	movl	%eax, 8(%rdi)
	leaq	handler3(%rip), %rax
	movw	%ax, 48(%rdi)
	movw	$0x10, 50(%rdi)
	movw	$0xef01, 52(%rdi)
	shrq	$16, %rax
	movw	%ax, 54(%rdi)
	shrq	$16, %rax
	movl	%eax, 56(%rdi)
	movq	%rdi, idt_desc+2(%rip)
	lidt	idt_desc(%rip)

	/* A 64-bit TSS descriptor at 0x20 (SDM Vol.3A Figure 8-4), then LGDT and LTR. */
	leaq	tss(%rip), %rax
	movw	$0x67, gdt+0x20(%rip)
	movw	%ax, gdt+0x22(%rip)
	shrq	$16, %rax
	movb	%al, gdt+0x24(%rip)
	movb	$0x89, gdt+0x25(%rip)
	movb	$0, gdt+0x26(%rip)
	movb	%ah, gdt+0x27(%rip)
	shrq	$16, %rax
	movl	%eax, gdt+0x28(%rip)
	leaq	gdt(%rip), %rax
	movq	%rax, gdt_desc+2(%rip)
	lgdt	gdt_desc(%rip)
	movw	$0x20, %ax
	ltr	%ax
	movabs	$0xffff800000002000, %rax
	movq	%rax, tss+4(%rip)
	leaq	ist_top(%rip), %rax
	movq	%rax, tss+36(%rip)

	movabs	$0x8877665544332211, %rax
	movq	$-1, %rcx
	movw	$0xbeef, %cx
	xorl	%edx, %edx
	movb	$0x5a, %dh
	movabs	$0x0123456789abcdef, %r9
	movl	$0x12345678, %r9d
	movq	$0x1234, %rsi
	movb	$0x77, %sil
	movabs	$0xfedcba9876543210, %r15
	movw	$0x1111, %r15w
	xorl	%ebx, %ebx
	movl	$1, %r10d
	cmpl	$1, %r10d
	std
	pushq	$0x1234
	call	func
after_call:
	setc	%r8b
	movzbq	%r8b, %r8
	popq	%r11
	movq	%rax, result(%rip)
	movq	%rbx, result+8(%rip)
	movq	%r8, result+16(%rip)
	movq	%r11, result+24(%rip)
done:
	cli
	hlt

func:
in_func:
	ret

handler0:
	iretq
handler3:
	iretq

	.balign	16
idt:
	.fill	64, 1, 0
idt_desc:
	.word	63
	.quad	0
	.balign	8
result:
	.quad	0, 0, 0, 0
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff
	.quad	0x00af9a000000ffff
	.quad	0x00cf92000000ffff
	.quad	0, 0
gdt_desc:
	.word	47
	.quad	0
	.balign	16
tss:
	.fill	104, 1, 0
ist_stack:
	.fill	64, 1, 0
ist_top:
`;

/** Boots REGS_PROGRAM and runs it to `in_func`. */
export function bootRegs(): Debuggee {
  const d = bootDebuggee('regs.S', REGS_PROGRAM, { boot: 'long', load: 0x100000 });
  runTo(d, label(d, 'in_func'));
  return d;
}

/** The nth quadword of `result` as the guest stored it (physical = linear: the long boot maps identity). */
export function result(d: Debuggee, n: number): bigint {
  const b = d.readPhysical(label(d, 'result') + 8 * n, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}
