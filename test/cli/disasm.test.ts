// disasm.test.ts: `trampoline disasm` prints what `objdump -D -b binary` prints for the same raw file, in
// both syntaxes and code sizes, and rejects bad options and missing files with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disasmCommand } from '../../cli/disasm';
import { binutilsMissing } from '../support/objdump';
import { assemble, flatBinary } from '../../assembler/index';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '', err = '';
  const code = disasmCommand(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

function withFile<T>(bytes: Uint8Array, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-disasm-'));
  try {
    const file = join(dir, 'code.bin');
    writeFileSync(file, bytes);
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SOURCE: Record<16 | 32 | 64, string> = {
  64: '.code64\n lea 0x10(%rip),%rax\n call 1f\n1: push %r12\n movabs $0x1122334455667788,%rax\n rep movsb\n lock addl $1,%fs:(%rax,%rcx,4)\n mov %cr0,%rax\n jmp 1b\n ret\n',
  32: '.code32\n mov 0x10,%eax\n ljmp $8,$0x1000\n push %es\n lgdt (%eax)\n in $0x60,%al\n loop .\n',
  16: '.code16\n mov (%bx,%si),%ax\n int $0x10\n jmp .+0x100\n lret\n movw $1,%es:4(%bp)\n',
};

for (const bits of [16, 32, 64] as const) {
  for (const syntax of ['att', 'intel'] as const) {
    test(`disasm matches objdump -D -b binary (${bits}-bit, ${syntax})`, { skip: binutilsMissing() ?? undefined }, () => {
      const asm = assemble(SOURCE[bits], { file: 'cli.s' });
      assert.deepEqual(asm.errors, []);
      const bytes = flatBinary(asm.sections);
      withFile(bytes, (file) => {
        const machine = bits === 16 ? 'i8086' : bits === 32 ? 'i386' : 'i386:x86-64';
        const args = ['-D', '-b', 'binary', '-m', machine, '--adjust-vma=0x7c00', ...(syntax === 'intel' ? ['-M', 'intel'] : []), file];
        const want = execFileSync('objdump', args, { encoding: 'utf8' });
        const r = run([file, '--bits', String(bits), '--syntax', syntax, '--start', '0x7c00']);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, want);
      });
    });
  }
}

test('disasm defaults to 64-bit AT&T at address 0', () => {
  withFile(Uint8Array.from([0x48, 0x89, 0xc3, 0xc3]), (file) => {
    const r = run([file]);
    assert.equal(r.code, 0);
    assert.match(r.out, /\n {3}0:\t48 89 c3 {13}\tmov {4}%rax,%rbx\n {3}3:\tc3 {19}\tret\n/);
  });
});

test('disasm rejects bad options and missing files with exit code 2', () => {
  withFile(Uint8Array.from([0x90]), (file) => {
    let r = run([file, '--syntax', 'masm']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--syntax: 'masm' is not one of att, intel/);
    r = run([file, '--bits=8']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--bits: '8' is not one of 16, 32, 64/);
    r = run([file, '--start', 'zz']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--start: 'zz' is not an address/);
    r = run([file, '--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option '--frobnicate' \(accepted: --syntax att\|intel, --start ADDR, --bits 16\|32\|64\)/);
  });
  const r = run(['/nonexistent/trampoline-no-such-file.bin']);
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot read '\/nonexistent\/trampoline-no-such-file\.bin': no such file/);
  assert.equal(run([]).code, 2);
});

test('disasm of an ELF executable matches objdump -d (sections and symbols)', { skip: binutilsMissing(true) ?? undefined }, (t) => {
  try { execFileSync('ld', ['--version'], { stdio: 'ignore' }); } catch { t.skip('ld is not installed'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-disasm-elf-'));
  try {
    writeFileSync(join(dir, 'e.s'), '.globl _start\n_start:\n call f\n lea msg(%rip),%rsi\n jmp _start\nf: ret\n .data\nmsg: .byte 1\n');
    execFileSync('as', ['--64', '-o', join(dir, 'e.o'), join(dir, 'e.s')]);
    execFileSync('ld', ['-o', join(dir, 'e.elf'), join(dir, 'e.o')]);
    const elf = join(dir, 'e.elf');
    for (const syntax of ['att', 'intel']) {
      const want = execFileSync('objdump', ['-d', ...(syntax === 'intel' ? ['-M', 'intel'] : []), elf], { encoding: 'utf8' });
      const r = run([elf, '--syntax', syntax]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, want);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
