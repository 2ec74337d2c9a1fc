// test/asm/listing.test.ts: the listing (`as -al`) and the ELF image (read back by objdump and nm),
// each compared with what the GNU tools make of the same source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, elfImage, formatListing } from '../../assembler/index';
import { gasMissing } from './gas';
import { FIXTURES as DIR, fixtureOptions, toolArgs } from './fixtureOptions';

const missing = gasMissing();

/** `as -al` of a fixture, run beside it so .include and .incbin resolve. */
function gasListing(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-lst-'));
  try {
    return execFileSync('as', ['--64', '-al', '-Iinc/path', '-o', join(dir, 'x.o'), name], { cwd: DIR, encoding: 'latin1' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LISTED = ['gas_conds.s', 'gas_include.s', 'gas_macros.s', 'gas_rept.s', 'listing.s'];

for (const name of LISTED) {
  test(`listing matches as -al on fixtures/${name}`, { skip: missing ?? false }, () => {
    const r = assemble(readFileSync(join(DIR, name), 'latin1'), fixtureOptions(name));
    assert.deepEqual(r.errors, []);
    // .print writes to stdout between the listing's lines in GAS; the listing proper is what follows.
    const gas = gasListing(name).replace(/^(?!GAS LISTING)[^\n]*\n/, '');
    assert.equal(formatListing(r, name), gas);
  });
}

function tool(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'latin1' });
}

/** The disassembly lines of objdump -d (labels and instructions), without the header naming the file. */
function disassembly(path: string): string {
  return tool('objdump', ['-d', '-j', '.text', path]).split('\n').filter((l) => /^\s*[0-9a-f]+:|^[0-9a-f]+ </.test(l)).join('\n');
}

for (const [name, elfClass] of [['cpp_include.S', 32], ['lvl5.S', 64], ['gas_macros.s', 64]] as const) {
  test(`ELF${elfClass} image of fixtures/${name}: objdump -d and nm read what GNU as + ld produce`, { skip: missing ?? false }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'trampoline-elf-'));
    try {
      const r = assemble(readFileSync(join(DIR, name), 'latin1'), fixtureOptions(name));
      assert.deepEqual(r.errors, []);
      const ours = join(dir, 'ours.elf');
      writeFileSync(ours, elfImage(r.sections, r.symbols, { elfClass }));
      // The reference: the GNU object linked with .text at 0 (our origin), the symbols kept.
      const obj = join(dir, 'ref.o'), ref = join(dir, 'ref.elf');
      const m32 = elfClass === 32;
      if (name.endsWith('.S')) execFileSync('gcc', ['-c', m32 ? '-m32' : '-m64', ...toolArgs(name), '-o', obj, name], { cwd: DIR });
      else execFileSync('as', [m32 ? '--32' : '--64', ...toolArgs(name), '-o', obj, name], { cwd: DIR });
      execFileSync('ld', ['-m', m32 ? 'elf_i386' : 'elf_x86_64', '-Ttext=0', '-e', '0', '--no-warn-rwx-segments', '-o', ref, obj]);
      assert.equal(disassembly(ours), disassembly(ref));
      // ld adds __bss_start, _edata and _end; there is no linker on our side.
      const nm = (p: string) => tool('nm', [p]).split('\n').filter((l) => / [tT] /.test(l) && !/ (__bss_start|_edata|_end)$/.test(l)).sort().join('\n');
      assert.equal(nm(ours), nm(ref));
      assert.match(tool('readelf', ['-h', ours]), elfClass === 64 ? /ELF64[\s\S]*EXEC[\s\S]*X86-64/ : /ELF32[\s\S]*EXEC[\s\S]*80386/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
