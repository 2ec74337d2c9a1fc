// loaders/elf.test.ts: ELF32/ELF64 images built by gcc/as/ld; our symbols against `nm`, our DWARF line
// table (v2, v3, v4, v5) against `objdump --dwarf=decodedline`, and the error values for broken headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, basename } from 'node:path';
import { parseElf, loadElf, ElfImage } from '../../emulator/loaders/elf';
import { Machine } from '../../emulator/machine';
import { inTemp, readBytes, run, toolsMissing } from './tools';

const C_SOURCE = `int counter;
const int table[4] = {1, 2, 3, 4};
static int helper(int x) { return x * 3 + table[x & 3]; }
int main(void) {
  for (int i = 0; i < 4; i++)
    counter += helper(i);
  return counter;
}
`;

const ASM_SOURCE = `  .text
  .globl _start
_start:
  movl $1, %eax
local_label:
  addl $2, %eax
  jmp local_label
  .data
  .globl value
value: .long 42
`;

const skip = toolsMissing() ?? undefined;

/** `nm` rows: address, type letter, name (only defined symbols). */
function nmSymbols(path: string): { value: number; type: string; name: string }[] {
  return run('nm', [path]).split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length === 3).map(([a, type, name]) => ({ value: parseInt(a, 16), type, name }));
}

/** `objdump --dwarf=decodedline` rows as "file:line@address" (end-of-sequence rows left out). */
function objdumpLines(path: string): string[] {
  const rows: string[] = [];
  for (const l of run('objdump', ['--dwarf=decodedline', path]).split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+(0x[0-9a-f]+)(\s+\d+)?\s*(x?)\s*$/.exec(l);
    if (m) rows.push(`${basename(m[1])}:${m[2]}@${parseInt(m[3], 16).toString(16)}`);
  }
  return rows;
}

function ourLines(image: ElfImage): string[] {
  return image.lines.filter((r) => !r.endSequence).map((r) => `${basename(r.file)}:${r.line}@${r.address.toString(16)}`);
}

function checkAgainstTools(path: string, bits: 32 | 64): ElfImage {
  const bytes = readBytes(path);
  const parsed = parseElf(bytes, basename(path));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  const image = parsed.image;
  assert.equal(image.bits, bits);
  for (const s of nmSymbols(path)) {
    const ours = image.symbols.find((x) => x.name === s.name);
    assert.ok(ours, `symbol ${s.name} missing`);
    assert.equal(ours.value, s.value, `value of ${s.name}`);
  }
  const expected = objdumpLines(path);
  assert.ok(expected.length > 0, 'objdump found no line rows');
  assert.deepEqual(ourLines(image), expected);
  return image;
}

for (const dwarf of [2, 3, 4, 5]) {
  test(`ELF64 from gcc -gdwarf-${dwarf}: symbols match nm, lines match objdump`, { skip }, () => {
    inTemp({ 't.c': C_SOURCE }, (dir) => {
      run('gcc', [`-gdwarf-${dwarf}`, '-O0', '-ffreestanding', '-fno-pic', '-fno-asynchronous-unwind-tables', '-c', 't.c', '-o', 't.o'], dir);
      run('ld', ['-e', 'main', '-Ttext', '0x100000', '-o', 't.elf', 't.o'], dir);
      const image = checkAgainstTools(join(dir, 't.elf'), 64);
      const main = image.symbols.find((s) => s.name === 'main');
      assert.equal(main?.kind, 'func');
      assert.ok((main?.size ?? 0) > 0);
      assert.equal(image.symbols.find((s) => s.name === 'counter')?.kind, 'object');
      assert.equal(image.symbols.find((s) => s.name === 'helper')?.binding, 'local');
    });
  });
  test(`ELF32 from gcc -m32 -gdwarf-${dwarf}: symbols match nm, lines match objdump`, { skip }, () => {
    inTemp({ 't.c': C_SOURCE }, (dir) => {
      run('gcc', ['-m32', `-gdwarf-${dwarf}`, '-O0', '-ffreestanding', '-fno-pic', '-fno-asynchronous-unwind-tables', '-c', 't.c', '-o', 't.o'], dir);
      run('ld', ['-m', 'elf_i386', '-e', 'main', '-Ttext', '0x100000', '-o', 't.elf', 't.o'], dir);
      checkAgainstTools(join(dir, 't.elf'), 32);
    });
  });
  test(`ELF32 from GNU as --gdwarf-${dwarf}: labels (notype) and lines`, { skip }, () => {
    inTemp({ 'a.S': ASM_SOURCE }, (dir) => {
      run('as', ['--32', `--gdwarf-${dwarf}`, '-o', 'a.o', 'a.S'], dir);
      run('ld', ['-m', 'elf_i386', '-Ttext', '0x200000', '-o', 'a.elf', 'a.o'], dir);
      const image = checkAgainstTools(join(dir, 'a.elf'), 32);
      const label = image.symbols.find((s) => s.name === 'local_label');
      assert.equal(label?.kind, 'notype');
      assert.equal(label?.value, 0x200005);
      const row = image.lines.find((r) => r.address === 0x200005);
      assert.equal(row?.line, 6);
    });
  });
}

test('two compilation units and a segment with bss are loaded at p_paddr', { skip }, () => {
  inTemp({ 'a.c': C_SOURCE, 'b.c': 'int other[1000];\nint second(void) {\n  return other[3];\n}\n' }, (dir) => {
    run('gcc', ['-g', '-O0', '-ffreestanding', '-fno-pic', '-c', 'a.c', 'b.c'], dir);
    run('ld', ['-e', 'main', '-Ttext', '0x100000', '-o', 't.elf', 'a.o', 'b.o'], dir);
    const image = checkAgainstTools(join(dir, 't.elf'), 64);
    assert.ok(image.lines.some((r) => r.file.endsWith('b.c')));
    const m = new Machine();
    m.phys.writeBytes(0x102100, new Uint8Array(16).fill(0xcc)); // stale bytes where bss goes
    const loaded = loadElf(m, readBytes(join(dir, 't.elf')), 't.elf');
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
    assert.equal(loaded.entry, image.symbols.find((s) => s.name === 'main')?.value);
    const other = image.symbols.find((s) => s.name === 'other')!;
    assert.deepEqual([...m.phys.readBytes(other.value, 16)], new Array(16).fill(0));
    const main = image.symbols.find((s) => s.name === 'main')!;
    assert.equal(m.phys.read8(main.value), readBytes(join(dir, 't.elf'))[image.programHeaders.find((p) => p.type === 1 && p.vaddr <= main.value && main.value < p.vaddr + p.memsz)!.offset + (main.value - image.programHeaders.find((p) => p.type === 1 && p.vaddr <= main.value && main.value < p.vaddr + p.memsz)!.vaddr)]);
  });
});

test('p_paddr differs from p_vaddr: loaded at p_paddr, entry translated', { skip }, () => {
  const script = 'SECTIONS { . = 0xC0100000; .text : AT(0x100000) { *(.text) } .data : AT(0x101000) { *(.data) } }';
  inTemp({ 'a.S': ASM_SOURCE, 'k.ld': script }, (dir) => {
    run('as', ['--32', '-o', 'a.o', 'a.S'], dir);
    run('ld', ['-m', 'elf_i386', '-T', 'k.ld', '-o', 'a.elf', 'a.o'], dir);
    const m = new Machine();
    const loaded = loadElf(m, readBytes(join(dir, 'a.elf')), 'a.elf');
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
    assert.equal(loaded.image.entry, 0xc0100000);
    assert.equal(loaded.entry, 0x100000);
    assert.equal(m.phys.read8(0x100000), 0xb8); // movl $1, %eax
  });
});

test('broken headers give errors naming file, field and offset', () => {
  const h = new Uint8Array(52);
  h.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  const dv = new DataView(h.buffer);
  dv.setUint16(16, 2, true); dv.setUint16(18, 3, true);
  dv.setUint32(28, 0x40, true); // e_phoff beyond the file
  dv.setUint16(42, 32, true); dv.setUint16(44, 3, true);
  const r = parseElf(h, 'kernel.elf');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.message, 'kernel.elf: program header 0 at offset 0x40 extends beyond the end of the file (size 0x34)');
    assert.equal(r.offset, 0x40);
  }
  const bad = h.slice(); bad[18] = 0x3e;
  const r2 = parseElf(bad, 'kernel.elf');
  assert.equal(r2.ok ? '' : r2.message, 'kernel.elf: e_machine at offset 0x12 is 62, expected 3 (EM_386)');
  const r3 = parseElf(new Uint8Array([1, 2, 3]), 'x.bin');
  assert.equal(r3.ok ? '' : r3.message, 'x.bin: ELF magic at offset 0x0 is missing (expected 7f 45 4c 46)');
});
