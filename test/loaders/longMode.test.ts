// loaders/longMode.test.ts: the `long` boot state (Linux 64-bit boot protocol): a hand-assembled 64-bit
// program loaded at 1 MiB and at 4 GiB, with 4- and 5-level identity maps, runs and writes memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { CpuFeatures, DEFAULT_FEATURES } from '../../emulator/cpu/features';
import { Reg, Seg } from '../../emulator/cpu/state';
import { cpuMode, pagingMode } from '../../emulator/cpu/modes';
import { enterLongMode } from '../../emulator/loaders/longMode';
import { enterProtected } from '../../emulator/loaders/protected';
import { loadRaw } from '../../emulator/loaders/raw';
import { defaultBoot, detectKind } from '../../emulator/loaders/detect';

// Bytes checked with `as --64` + objdump:
//   0x00 c7 05 16 00 00 00 78 56 34 12   movl $0x12345678, 0x20(%rip)
//   0x0a 48 b8 88 77 66 55 44 33 22 11   movabs $0x1122334455667788, %rax
//   0x14 48 89 05 0d 00 00 00            mov %rax, 0x28(%rip)
//   0x1b 50                              push %rax
//   0x1c f4                              hlt
const PROGRAM = new Uint8Array([
  0xc7, 0x05, 0x16, 0, 0, 0, 0x78, 0x56, 0x34, 0x12,
  0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
  0x48, 0x89, 0x05, 0x0d, 0, 0, 0,
  0x50, 0xf4, 0, 0, 0, ...new Array(16).fill(0xaa),
]);

for (const levels of [4, 5] as const) {
  for (const base of [0x100000, 0x1_0000_0000]) {
    test(`long mode, ${levels}-level paging, program at 0x${base.toString(16)}`, () => {
      const m = new Machine({ memory: base >= 2 ** 32 ? 5 * 2 ** 30 : 256 * 2 ** 20 });
      const loaded = loadRaw(m, PROGRAM, base);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
      const r = enterLongMode(m, { entry: base, ranges: [{ start: base, end: base + PROGRAM.length }], levels });
      assert.ok(r.ok, r.ok ? '' : r.message);
      const cpu = m.cpu;
      assert.equal(cpuMode(cpu), 'long64');
      assert.equal(pagingMode(cpu), levels === 5 ? '5-level' : '4-level');
      assert.equal(cpu.segSel[Seg.CS], 0x10);
      assert.equal(cpu.segSel[Seg.DS], 0x18);
      assert.equal(cpu.segSel[Seg.SS], 0x18);
      assert.equal(cpu.cr0 >>> 0, 0x80000011);
      assert.equal(cpu.efer, 0xd00); // LME | LMA | NXE
      assert.equal(m.run({ maxInstructions: 100 }), 'halt');
      assert.equal(m.phys.read32(base + 0x20) >>> 0, 0x12345678);
      assert.equal(m.phys.read32(base + 0x28) >>> 0, 0x55667788);
      assert.equal(m.phys.read32(base + 0x2c) >>> 0, 0x11223344);
      assert.equal(cpu.lo[Reg.RSP], r.stack - 8);
      assert.equal(m.phys.read32(r.stack - 8) >>> 0, 0x55667788);
    });
  }
}

test('long mode without pdpe1gb maps high ranges with 2 MiB pages; 5 levels need la57', () => {
  const features = new CpuFeatures(DEFAULT_FEATURES.filter((f) => f !== 'pdpe1gb' && f !== 'la57'));
  const m = new Machine({ memory: 5 * 2 ** 30, features });
  const base = 0x1_0020_0000;
  assert.ok(loadRaw(m, PROGRAM, base).ok);
  const no5 = enterLongMode(m, { entry: base, ranges: [{ start: base, end: base + 0x40 }], levels: 5, file: 'p.bin' });
  assert.equal(no5.ok ? '' : no5.message, 'p.bin: --paging 5 needs the la57 CPU feature (--cpu la57)');
  const r = enterLongMode(m, { entry: base, ranges: [{ start: base, end: base + 0x40 }] });
  assert.ok(r.ok);
  assert.equal(m.run({ maxInstructions: 100 }), 'halt');
  assert.equal(m.phys.read32(base + 0x20) >>> 0, 0x12345678);
});

test('long mode keeps its tables clear of a program in low memory', () => {
  const m = new Machine();
  assert.ok(loadRaw(m, PROGRAM, 0x7000).ok);
  const r = enterLongMode(m, { entry: 0x7000, ranges: [{ start: 0x7000, end: 0x7000 + PROGRAM.length }] });
  assert.ok(r.ok);
  assert.ok(r.tables.every((t) => t >= 0x8000));
  assert.notEqual(r.gdt, 0x8000);
  assert.equal(m.run({ maxInstructions: 100 }), 'halt');
  assert.equal(m.phys.read32(0x7020) >>> 0, 0x12345678);
});

test('protected entry: flat 32-bit, paging off, runs', () => {
  const m = new Machine();
  // movl $0xcafe, 0x300000 ; hlt
  assert.ok(loadRaw(m, new Uint8Array([0xc7, 0x05, 0, 0, 0x30, 0, 0xfe, 0xca, 0, 0, 0xf4]), 0x100000).ok);
  enterProtected(m, 0x100000);
  assert.equal(cpuMode(m.cpu), 'protected32');
  assert.equal(m.cpu.segSel[Seg.CS], 0x10);
  assert.equal(m.run({ maxInstructions: 10 }), 'halt');
  assert.equal(m.phys.read32(0x300000), 0xcafe);
});

test('raw loads beyond RAM fail; detection by content', () => {
  const m = new Machine();
  const r = loadRaw(m, new Uint8Array(16), 0x0fff_fff8, 0x0fff_fff8, 'x.bin');
  assert.match(r.ok ? '' : r.message, /^x\.bin: load range 0xffffff8-0x10000008 is not within guest RAM/);
  const bz = new Uint8Array(0x300); bz.set([0x48, 0x64, 0x72, 0x53], 0x202);
  assert.equal(detectKind(bz, 'bzImage'), 'bzimage');
  assert.equal(defaultBoot(bz, 'bzImage'), 'linux');
  assert.equal(detectKind(new Uint8Array(4), 'boot.S'), 'gas');
  assert.equal(defaultBoot(new Uint8Array(4), 'boot.bin'), 'real');
  const e64 = new Uint8Array(64); e64.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
  assert.equal(defaultBoot(e64, 'k'), 'long');
  e64[4] = 1;
  assert.equal(defaultBoot(e64, 'k'), 'protected');
});
