// linux/loader.test.ts: the bzImage loader on small images laid out as Documentation/arch/x86/boot.rst
// describes (setup header at 0x1f1, "HdrS" at 0x202, protected-mode code after (setup_sects + 1) * 512
// bytes): the boot_params it builds, the 64-bit and 32-bit entry states the protocol specifies, and an
// error naming the field for each header a loader must refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e820Map } from '../../emulator/bios/bios';
import { cpuMode, pagingMode } from '../../emulator/cpu/modes';
import { Reg, Seg } from '../../emulator/cpu/state';
import { linuxMemoryNeeded, loadLinux } from '../../emulator/loaders/linux';
import { Machine } from '../../emulator/machine';

const SETUP_SECTS = 4;
const KERNEL_OFFSET = (SETUP_SECTS + 1) * 512;

interface Fields {
  version?: number; setupSects?: number; xloadflags?: number; relocatable?: number; loadflags?: number;
  kernelBytes?: number; initSize?: number; cmdlineSize?: number; truncate?: number; magic?: number;
}

/** A bzImage-shaped file: a setup header with the fields boot.rst names, then a protected-mode part. */
function image(f: Fields = {}): Uint8Array {
  const kernelBytes = f.kernelBytes ?? 0x1000;
  const b = new Uint8Array(KERNEL_OFFSET + kernelBytes);
  const v = new DataView(b.buffer);
  b[0x1f1] = f.setupSects ?? SETUP_SECTS;
  v.setUint32(0x1f4, kernelBytes / 16, true); // syssize, 16-byte units
  v.setUint16(0x1fe, 0xaa55, true);
  b[0x200] = 0xeb; b[0x201] = 0x6a; // jmp over the header: it ends at 0x26c
  v.setUint32(0x202, f.magic ?? 0x53726448, true);
  v.setUint16(0x206, f.version ?? 0x020f, true);
  v.setUint32(0x214, 0x100000, true); // code32_start
  b[0x211] = f.loadflags ?? 0x01; // LOADED_HIGH
  v.setUint32(0x22c, 0x7fffffff, true); // initrd_addr_max
  v.setUint32(0x230, 0x200000, true); // kernel_alignment
  b[0x234] = f.relocatable ?? 1;
  b[0x235] = 21; // min_alignment
  v.setUint16(0x236, f.xloadflags ?? 0x7f, true);
  v.setUint32(0x238, f.cmdlineSize ?? 0x7ff, true);
  v.setUint32(0x248, 0x100, true); // payload_offset
  v.setUint32(0x24c, 0x100, true); // payload_length
  v.setUint32(0x258, 0x1000000, true); // pref_address
  v.setUint32(0x260, f.initSize ?? 0x400000, true);
  b[0x26b] = 0x5a; // last byte of the header: copied into boot_params
  b[KERNEL_OFFSET] = 0xf4; // startup_32: hlt
  b[KERNEL_OFFSET + 0x200] = 0xf4; // startup_64: hlt
  return f.truncate !== undefined ? b.subarray(0, f.truncate) : b;
}

function machine(memory = 256 * 2 ** 20): Machine {
  return new Machine({ memory });
}

test('64-bit entry: long mode at load + 0x200, RSI = boot_params, __BOOT_CS/__BOOT_DS, IF = 0 (boot.rst "64-bit BOOT PROTOCOL")', () => {
  const m = machine();
  const img = image();
  const r = loadLinux(m, img, { cmdline: 'console=ttyS0 nokaslr', initrd: new Uint8Array([1, 2, 3, 4, 5]) });
  assert.ok(r.ok, r.ok ? '' : r.message);
  const cpu = m.cpu;
  assert.equal(r.load, 0x1000000); // pref_address
  assert.equal(cpuMode(cpu), 'long64');
  assert.equal(pagingMode(cpu), '4-level');
  assert.equal(cpu.ripLo, 0x1000200);
  assert.equal(cpu.segSel[Seg.CS], 0x10);
  assert.equal(cpu.segSel[Seg.DS], 0x18);
  assert.equal(cpu.flags & 0x200, 0);
  const bp = cpu.lo[Reg.RSI];
  assert.equal(bp, r.bootParams);
  // The header copy: 0x1f1 up to its end (0x202 + the jump's displacement 0x6a).
  for (const off of [0x1f1, 0x202, 0x206, 0x230, 0x236, 0x258, 0x260, 0x26b]) assert.equal(m.phys.read8(bp + off), img[off], `boot_params + ${off.toString(16)}`);
  assert.equal(m.phys.read8(bp + 0x26c), 0, 'nothing past the header is copied');
  assert.equal(m.phys.read8(bp + 0x210), 0xff, 'type_of_loader: undefined');
  const cmd = m.phys.read32(bp + 0x228);
  let s = '';
  for (let k = 0; m.phys.read8(cmd + k) !== 0; k++) s += String.fromCharCode(m.phys.read8(cmd + k));
  assert.equal(s, 'console=ttyS0 nokaslr');
  // The initrd: page-aligned, as high as initrd_addr_max and RAM below 4 GiB allow.
  const rd = m.phys.read32(bp + 0x218);
  assert.equal(rd % 4096, 0);
  assert.equal(m.phys.read32(bp + 0x21c), 5);
  assert.ok(rd + 5 <= 256 * 2 ** 20 && rd + 5 + 4096 > 256 * 2 ** 20);
  assert.equal(m.phys.read8(rd + 4), 5);
  // The E820 map in the zero page is the one the BIOS's int 15h E820h reports.
  const map = e820Map(256 * 2 ** 20);
  assert.equal(m.phys.read8(bp + 0x1e8), map.length);
  map.forEach((e, k) => {
    const at = bp + 0x2d0 + 20 * k;
    assert.deepEqual([m.phys.read32(at) >>> 0, m.phys.read32(at + 8) >>> 0, m.phys.read32(at + 16)], [e.base % 2 ** 32, e.length % 2 ** 32, e.type]);
  });
  assert.equal(m.run({ maxInstructions: 10 }), 'halt'); // the startup_64 byte, reached through the identity map
});

test('64-bit entry above 4 GiB when XLF_CAN_BE_LOADED_ABOVE_4G; memory sized to load + init_size', () => {
  const img = image();
  const load = 0x1_0000_0000;
  const need = linuxMemoryNeeded(img, load);
  assert.equal(need, 0xc000_0000 + 0x400000);
  const m = machine(need!);
  const r = loadLinux(m, img, { load });
  assert.ok(r.ok, r.ok ? '' : r.message);
  assert.equal(r.kernelEntry, load);
  assert.equal(m.cpu.ripHi, 1);
  assert.equal(m.cpu.ripLo, 0x200);
  assert.equal(m.run({ maxInstructions: 10 }), 'halt');
  assert.equal(m.cpu.ripHi, 1);
});

test('32-bit entry (linux32): flat protected mode, paging off, EIP = code32_start, ESI = boot_params', () => {
  const m = machine();
  const r = loadLinux(m, image(), { entry: 'linux32' });
  assert.ok(r.ok, r.ok ? '' : r.message);
  const cpu = m.cpu;
  assert.equal(cpuMode(cpu), 'protected32');
  assert.equal(pagingMode(cpu), 'none');
  assert.equal(cpu.ripLo, 0x1000000);
  assert.equal(cpu.lo[Reg.RSI], r.bootParams);
  assert.equal(m.phys.read32(r.bootParams + 0x214), 0x1000000);
  assert.equal(cpu.lo[Reg.RBX] | cpu.lo[Reg.RBP] | cpu.lo[Reg.RDI], 0);
  assert.equal(m.run({ maxInstructions: 10 }), 'halt');
});

test('the decompressed kernel entry follows head_64.S: load rounded up to kernel_alignment, at least LOAD_PHYSICAL_ADDR', () => {
  const m = machine();
  const low = loadLinux(m, image(), { load: 0x200000 });
  assert.ok(low.ok);
  assert.equal(low.kernelEntry, 0x1000000);
  const m2 = machine();
  const high = loadLinux(m2, image(), { load: 0x2000000 });
  assert.ok(high.ok);
  assert.equal(high.kernelEntry, 0x2000000);
});

const refusals: [string, Fields, Parameters<typeof loadLinux>[2], RegExp][] = [
  ['not a bzImage', { magic: 0x464c457f }, {}, /setup header magic at offset 0x202 is 0x464c457f, not "HdrS"/],
  ['protocol 2.11', { version: 0x020b }, {}, /setup header version at offset 0x206 is 2\.11 \(0x20b\); protocol 2\.12 or later/],
  ['setup_sects past the end', { setupSects: 200 }, {}, /setup_sects at offset 0x1f1 \(200\)/],
  ['truncated protected-mode kernel', { truncate: KERNEL_OFFSET + 0x800 }, {}, /syssize at offset 0x1f4 .* truncated image/],
  ['no 64-bit entry', { xloadflags: 0x7e }, {}, /xloadflags at offset 0x236 is 0x7e: XLF_KERNEL_64 \(bit 0\) is clear/],
  ['not relocatable, moved', { relocatable: 0 }, { load: 0x2000000 }, /relocatable_kernel at offset 0x234 is 0: the kernel is not relocatable/],
  ['above 4 GiB without XLF_CAN_BE_LOADED_ABOVE_4G', { xloadflags: 0x7d }, { load: 0x1_0000_0000 }, /xloadflags at offset 0x236 is 0x7d: XLF_CAN_BE_LOADED_ABOVE_4G \(bit 1\) is clear/],
  ['linux32 above 4 GiB', {}, { load: 0x1_0000_0000, entry: 'linux32' }, /the 32-bit entry cannot reach/],
  ['unaligned load address', {}, { load: 0x1001000 }, /load address 0x1001000 is not aligned to 2\^min_alignment = 0x200000/],
  ['command line too long', { cmdlineSize: 8 }, { cmdline: 'console=ttyS0' }, /--cmdline is 13 bytes; the kernel's cmdline_size allows 8/],
  ['zImage (LOADED_HIGH clear)', { loadflags: 0 }, {}, /loadflags at offset 0x211 is 0x0: LOADED_HIGH/],
  ['no RAM for init_size', { initSize: 0x10000000 }, {}, /kernel load range 0x1000000-0x11000000 .* is not within guest RAM/],
];

for (const [name, fields, options, message] of refusals) {
  test(`refused: ${name}`, () => {
    const m = machine();
    const r = loadLinux(m, image(fields), { file: 'vmlinuz', ...options });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.message, /^vmlinuz: /);
      assert.match(r.message, message);
    }
  });
}
