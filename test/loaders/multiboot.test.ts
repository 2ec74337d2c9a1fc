// loaders/multiboot.test.ts: Multiboot v1 kernels (an a.out-kludge image and a GNU as/ld ELF) loaded and
// entered; registers and the information structure are checked against the Multiboot Specification
// 0.6.96: §3.2 "Machine state" and §3.3 "Boot information format".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Machine } from '../../emulator/machine';
import { Reg, Seg } from '../../emulator/cpu/state';
import { cpuMode, pagingMode } from '../../emulator/cpu/modes';
import { loadMultiboot, MB_INFO_ADDRESS } from '../../emulator/loaders/multiboot';
import { defaultBoot } from '../../emulator/loaders/detect';
import { aoutKernel, inTemp, readBytes, run, toolsMissing } from './tools';

function u32(m: Machine, a: number): number {
  return (m.phys.read32(a) >>> 0);
}

function cString(m: Machine, a: number): string {
  let s = '';
  for (let c = m.phys.read8(a); c !== 0; c = m.phys.read8(++a)) s += String.fromCharCode(c);
  return s;
}

function checkEntryState(m: Machine): void {
  const cpu = m.cpu;
  // §3.2: EAX = 0x2BADB002, EBX = the info structure's physical address.
  assert.equal(cpu.lo[Reg.RAX] >>> 0, 0x2badb002);
  assert.equal(cpu.lo[Reg.RBX], MB_INFO_ADDRESS);
  // §3.2: CS a 32-bit read/execute code segment, offset 0, limit 0xFFFFFFFF; DS..SS read/write data likewise.
  assert.equal(cpuMode(cpu), 'protected32');
  assert.equal(pagingMode(cpu), 'none');
  assert.equal(cpu.segSel[Seg.CS], 0x10);
  for (const s of [Seg.DS, Seg.ES, Seg.FS, Seg.GS, Seg.SS]) {
    assert.equal(cpu.segSel[s], 0x18);
    assert.equal(cpu.segLimit[s], -1);
    assert.equal(cpu.segBaseLo[s], 0);
  }
  // §3.2: CR0 PG cleared, PE set; EFLAGS VM and IF cleared. Caches on, ET set: CR0 = 0x11.
  assert.equal(cpu.cr0, 0x11);
  assert.equal(cpu.flags & 0x20200, 0);
  // The GDT we place is valid: the descriptor for CS at GDTR.base + 0x10 is flat 32-bit code.
  assert.equal(u32(m, cpu.gdtrBaseLo + 0x14) >>> 8 & 0xffff, 0xcf9b);
}

function checkInfo(m: Machine, cmdline: string): void {
  const info = MB_INFO_ADDRESS;
  const flags = u32(m, info);
  // §3.3: bit 0 mem_*, bit 2 cmdline, bit 6 mmap_*, bit 9 boot_loader_name.
  assert.equal(flags & 0x245, 0x245);
  assert.equal(u32(m, info + 4), 639); // mem_lower: KiB below 640 KiB less the EBDA
  assert.equal(u32(m, info + 8), (256 * 1024) - 1024); // mem_upper: KiB above 1 MiB
  assert.equal(cString(m, u32(m, info + 16)), cmdline);
  const mmapLength = u32(m, info + 44), mmapAddr = u32(m, info + 48);
  const entries: string[] = [];
  for (let a = mmapAddr; a < mmapAddr + mmapLength; a += u32(m, a) + 4) {
    entries.push(`${u32(m, a + 4).toString(16)}+${u32(m, a + 12).toString(16)}:${u32(m, a + 20)}`);
  }
  assert.deepEqual(entries, ['0+9fc00:1', '9fc00+400:2', 'f0000+10000:2', '100000+ff00000:1']);
  assert.equal(cString(m, u32(m, info + 64)), 'Trampoline');
}

test('a.out-kludge kernel: loaded, entered, runs; info structure per §3.3', () => {
  const m = new Machine();
  m.phys.writeBytes(0x100040, new Uint8Array(8).fill(0xee)); // bss must be zeroed
  const r = loadMultiboot(m, aoutKernel(), { cmdline: 'console=ttyS0 quiet', file: 'aout.bin',
    modules: [{ string: 'initrd.img arg', bytes: new Uint8Array([1, 2, 3, 4, 5]) }, { string: 'second', bytes: new Uint8Array(5000).fill(7) }] });
  assert.ok(r.ok, r.ok ? '' : r.message);
  assert.equal(r.entry, 0x100020);
  checkEntryState(m);
  checkInfo(m, 'console=ttyS0 quiet');
  assert.equal(m.phys.read8(0x100040), 0);
  // §3.3 mods_*: count, and per module start, end, string; page-aligned (header flags bit 0) after the kernel's bss.
  const info = MB_INFO_ADDRESS;
  assert.equal(u32(m, info) & 8, 8);
  assert.equal(u32(m, info + 20), 2);
  const mods = u32(m, info + 24);
  assert.deepEqual([u32(m, mods), u32(m, mods + 4), cString(m, u32(m, mods + 8))], [0x105000, 0x105005, 'initrd.img arg']);
  assert.deepEqual([u32(m, mods + 16), u32(m, mods + 20), cString(m, u32(m, mods + 24))], [0x106000, 0x106000 + 5000, 'second']);
  assert.equal(m.phys.read8(0x105004), 5);
  const stop = m.run({ maxInstructions: 100 });
  assert.equal(stop, 'halt');
  assert.equal(u32(m, 0x300000), 0x2badb002);
  assert.equal(u32(m, 0x300004), MB_INFO_ADDRESS);
});

test('Multiboot errors: no header, bad checksum, unknown required flag, load range beyond the file', () => {
  const m = new Machine();
  const none = loadMultiboot(m, new Uint8Array(100), { file: 'k' });
  assert.match(none.ok ? '' : none.message, /^k: Multiboot header is missing/);
  const bad = aoutKernel(); bad[8] ^= 1;
  assert.equal(loadMultiboot(m, bad).ok, false);
  const flags = aoutKernel(); const fv = new DataView(flags.buffer);
  fv.setUint32(4, 0x00010013, true); fv.setUint32(8, (-(0x1badb002 + 0x00010013)) >>> 0, true);
  const rf = loadMultiboot(m, flags, { file: 'k' });
  assert.equal(rf.ok ? '' : rf.message, 'k: Multiboot header flags at offset 0x4 request features this loader does not know (0x10)');
  const long = aoutKernel(); new DataView(long.buffer).setUint32(20, 0x100100, true);
  const rl = loadMultiboot(m, long, { file: 'k' });
  assert.equal(rl.ok ? '' : rl.message, 'k: Multiboot header load_end_addr at offset 0x14 (0x100100) extends beyond the end of the file (size 0x2c)');
});

const ELF_KERNEL = `  .section .multiboot, "a"
  .align 4
  .long 0x1badb002, 3, -(0x1badb002 + 3)
  .text
  .globl _start
_start:
  movl %eax, result
  movl %ebx, result + 4
  movl (%ebx), %ecx
  movl %ecx, result + 8
  hlt
  .bss
result: .skip 16
`;

test('ELF kernel with a Multiboot header: default boot, loaded, entered, runs', { skip: toolsMissing(['as', 'ld']) ?? undefined }, () => {
  inTemp({ 'k.S': ELF_KERNEL, 'k.ld': 'SECTIONS { . = 0x100000; .multiboot : { *(.multiboot) } .text : { *(.text) } .bss : { *(.bss) } }' }, (dir) => {
    run('as', ['--32', '-o', 'k.o', 'k.S'], dir);
    run('ld', ['-m', 'elf_i386', '-T', 'k.ld', '-o', 'k.elf', 'k.o'], dir);
    const bytes = readBytes(join(dir, 'k.elf'));
    assert.equal(defaultBoot(bytes, 'k.elf'), 'multiboot');
    const m = new Machine();
    const r = loadMultiboot(m, bytes, { cmdline: '', file: 'k.elf' });
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.ok(r.elf !== null);
    checkEntryState(m);
    checkInfo(m, '');
    assert.equal(m.run({ maxInstructions: 100 }), 'halt');
    const result = r.elf.symbols.find((s) => s.name === 'result')!.value;
    assert.equal(u32(m, result), 0x2badb002);
    assert.equal(u32(m, result + 4), MB_INFO_ADDRESS);
    assert.equal(u32(m, result + 8), u32(m, MB_INFO_ADDRESS));
  });
});
