// asm.test.ts: `trampoline asm` against GNU as: --format elf objects read back by readelf -r, objdump -dr,
// objdump -s and nm the same as as's own .o (undefined externals, section-relative references,
// PC-relative calls, .quad sym, 16/32/64-bit code); --format bin equal to as+ld's .text; --listing equal
// to `as -al`; errors as GAS prints them (exit 1); bad usage, a missing file or -o naming the input exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asmCommand } from '../../cli/asm';
import { gasMissing, gasText, hex } from '../asm/gas';

const missing = gasMissing();

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '', err = '';
  const code = asmCommand(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

function inDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-asm-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tool = (cmd: string, args: string[], cwd: string): string => execFileSync(cmd, args, { cwd, encoding: 'latin1' });

/** What of an object file must agree: relocations (by offset), disassembly with relocations, contents, symbols. */
function objectView(obj: string, dir: string): Record<string, string> {
  const relocs = tool('readelf', ['-rW', obj], dir).split('\n').filter((l) => /^[0-9a-f]{16} /.test(l))
    .map((l) => { const f = l.trim().split(/\s+/); return `${f[0]} ${f[2]} ${f.slice(4).join(' ')}`; }).sort();
  const body = (s: string) => s.split('\n').slice(2).join('\n');
  return {
    relocs: relocs.join('\n'),
    disasm: body(tool('objdump', ['-dr', obj], dir)),
    contents: body(tool('objdump', ['-s', obj], dir)),
    symbols: tool('nm', [obj], dir),
  };
}

const PROGRAMS: Record<string, string> = {
  'externals.s': `
    .text
    .globl _start
_start: call ext_fn
    jmp ext_fn
    jz ext_fn
    movq $ext_data, %rax
    movl $ext_data+8, %eax
    movl ext_data(%rip), %eax
    leaq table(%rip), %rsi
    movl table+4(,%rcx,4), %eax
    pushq $ext_fn
    movabsq $ext_data, %rdx
    call helper
    jmp 1f
1:  call _start
    ret
helper: ret
    .data
table: .quad ext_data, _start, helper, table, ext_data+16
    .long ext_fn, helper, helper - _start
    .word ext_data
    .long ext_fn - .
    .quad _start - .
    .bss
buf: .skip 64
`,
  'sections.s': `
    .section .text.boot, "ax"
    .code16
boot: movw $msg, %si
    call far_fn
    jmp far_fn
    lgdtl gdt_desc
    ljmpl $8, $pm
    .code32
pm: movl $stack_top, %esp
    call far_fn
    movl msg, %eax
    .code64
lm: leaq msg(%rip), %rdi
    call far_fn
    .text
far_fn: ret
    .section .rodata
msg: .asciz "hi"
gdt_desc: .word 23
    .long gdt
    .data
    .p2align 3
gdt: .quad 0, 0x00cf9a000000ffff, boot, lm
    .bss
    .p2align 4
stack: .skip 256
stack_top:
`,
};

for (const [name, src] of Object.entries(PROGRAMS)) {
  test(`asm --format elf: ${name} reads back like GNU as's object (readelf -r, objdump -dr/-s, nm)`, { skip: missing ?? false }, () => {
    inDir((dir) => {
      writeFileSync(join(dir, name), src);
      const r = run([join(dir, name), '-o', join(dir, 'ours.o'), '--format', 'elf']);
      assert.equal(r.err, '');
      assert.equal(r.code, 0);
      tool('as', ['--64', '-o', 'gas.o', name], dir);
      const ours = objectView('ours.o', dir), gas = objectView('gas.o', dir);
      assert.ok(gas.relocs.split('\n').length >= 10, 'the program has relocations');
      assert.deepEqual(ours, gas);
      // Links into the same image (below 64 KiB, where the 16-bit relocations fit).
      const linked = (obj: string) => {
        tool('ld', ['-m', 'elf_x86_64', '-e', '0', '-Ttext=0x1000', '--section-start=.rodata=0x2000', '-Tdata=0x3000', '-Tbss=0x4000',
          '--unresolved-symbols=ignore-all', '--no-warn-rwx-segments', '-o', `${obj}.elf`, obj], dir);
        tool('objcopy', ['-O', 'binary', `${obj}.elf`, `${obj}.bin`], dir);
        return hex(readFileSync(join(dir, `${obj}.bin`)));
      };
      assert.equal(linked('ours.o'), linked('gas.o'));
    });
  });
}

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

test('asm --format elf on every example (#include, .code16 → .code64, .org) reads back like gcc -c\'s object', { skip: missing ?? false }, () => {
  const sources = readdirSync(EXAMPLES, { withFileTypes: true }).filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(EXAMPLES, d.name)).filter((f) => f.endsWith('.S')).map((f) => join(EXAMPLES, d.name, f)));
  assert.ok(sources.length >= 3, `examples found: ${sources.length}`);
  inDir((dir) => {
    for (const src of sources) {
      const r = run([src, '-o', join(dir, 'ours.o'), '--format', 'elf', '-I', EXAMPLES]);
      assert.equal(r.code, 0, `${src}: ${r.err}`);
      execFileSync('gcc', ['-c', `-I${EXAMPLES}`, '-o', join(dir, 'gas.o'), src]);
      assert.deepEqual(objectView('ours.o', dir), objectView('gas.o', dir), src);
    }
  });
});

test('asm --format bin with --origin is as+ld\'s .text; -D and -I reach the preprocessor', { skip: missing ?? false }, () => {
  inDir((dir) => {
    const src = '.code16\n#include "defs.h"\nstart: movw $msg, %si\n jmp start\n movw $VALUE, %ax\nmsg: .ascii "x"\n';
    writeFileSync(join(dir, 'boot.S'), src);
    execFileSync('mkdir', [join(dir, 'inc')]);
    writeFileSync(join(dir, 'inc', 'defs.h'), '#define GREETING 1\n');
    const r = run([join(dir, 'boot.S'), '-o', join(dir, 'boot.bin'), '--origin', '0x7c00', '-I', join(dir, 'inc'), '-DVALUE=0x1234']);
    assert.equal(r.code, 0, r.err);
    const gas = gasText('.code16\nstart: movw $msg+0x7c00, %si\n jmp start\n movw $0x1234, %ax\nmsg: .ascii "x"\n');
    assert.ok(gas.text, gas.stderr);
    assert.equal(hex(readFileSync(join(dir, 'boot.bin'))), hex(gas.text));
  });
});

test('asm --listing prints what as -al prints', { skip: missing ?? false }, () => {
  inDir((dir) => {
    writeFileSync(join(dir, 'l.s'), '.code16\nstart: movw $0x1234, %ax\n .ascii "hello, world"\n jmp start\n');
    const r = run([join(dir, 'l.s'), '-o', join(dir, 'l.bin'), '--listing']);
    assert.equal(r.code, 0, r.err);
    const gas = execFileSync('as', ['--64', '-al', '-o', join(dir, 'x.o'), join(dir, 'l.s')], { encoding: 'latin1' });
    assert.equal(r.out, gas);
  });
});

test('asm errors and warnings are printed as GAS prints them (file:line: Error:/Warning:) and exit 1, writing nothing', { skip: missing ?? false }, () => {
  inDir((dir) => {
    const file = join(dir, 'bad.s');
    writeFileSync(file, 'nop\nmovq5 %rax\nmovl %ax, %bx\nmovb $0x1234, %al\n.bogus\n');
    const r = run([file, '-o', join(dir, 'bad.bin')]);
    assert.equal(r.code, 1);
    let gas = '';
    try { execFileSync('as', ['--64', '-o', join(dir, 'x.o'), file], { stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { gas = String((e as { stderr: Buffer }).stderr); }
    const shape = (s: string) => s.split('\n').filter(Boolean).map((l) => l.replace(/: (Error|Warning): .*/, ': $1'));
    assert.deepEqual(shape(r.err), shape(gas));
    assert.throws(() => readFileSync(join(dir, 'bad.bin')));
  });
});

test('asm: bad options, a missing file and -o naming the input exit 2 with a message; the input is kept', () => {
  inDir((dir) => {
    const file = join(dir, 'a.S');
    writeFileSync(file, 'nop\n');
    const cases: [string[], RegExp][] = [
      [[file], /no output file/],
      [[file, '-o', join(dir, 'o'), '--format', 'coff'], /--format: 'coff' is not one of bin, elf/],
      [[file, '-o', join(dir, 'o'), '--origin', 'x'], /--origin: 'x' is not an address/],
      [[file, '-o', join(dir, 'o'), '--bogus'], /unknown option '--bogus'/],
      [[join(dir, 'missing.S'), '-o', join(dir, 'o')], /cannot read '.*missing\.S': no such file/],
      [[file, '-o', file], /is the input file: refusing to overwrite/],
      [[file, '-o', join(dir, '.', 'a.S')], /is the input file/],
      [[file, '-o', join(dir, 'o'), '--format', 'elf', '--origin', '0x7c00'], /--origin applies to --format bin only/],
      [[file, '-o', join(dir, 'o'), '-D', '1X'], /-D: '1X' is not NAME/],
    ];
    for (const [argv, message] of cases) {
      const r = run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, message);
      assert.match(r.err, /Usage: trampoline asm/);
    }
    assert.equal(readFileSync(file, 'utf8'), 'nop\n');
  });
});
