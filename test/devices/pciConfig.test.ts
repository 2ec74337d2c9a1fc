// pciConfig.test.ts: PCI configuration mechanism #1 with nothing on the bus, as a guest sees it through
// IN/OUT — PCI Local Bus Specification 3.0 §3.2.2.3.2 (CONFIG_ADDRESS at 0xCF8, 32-bit accesses only;
// bits 30:24 reserved and 1:0 zero) and §6.1 (a configuration read no device claims returns all 1's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';

test('CONFIG_ADDRESS keeps what a 32-bit write puts there (reserved bits and bits 1:0 read 0)', () => {
  const m = new Machine({ memory: 2 ** 20 });
  m.cpu.io.out(0xcf8, 4, 0x80000000);
  assert.equal(m.cpu.io.in(0xcf8, 4), 0x80000000);
  m.cpu.io.out(0xcf8, 4, 0xff00f8ff);
  assert.equal(m.cpu.io.in(0xcf8, 4), 0x8000f8fc);
});

test('every device of bus 0 reads vendor ID FFFFh: no device; data writes are dropped', () => {
  const m = new Machine({ memory: 2 ** 20 });
  for (let dev = 0; dev < 32; dev++) {
    m.cpu.io.out(0xcf8, 4, (0x80000000 | (dev << 11)) >>> 0);
    assert.equal(m.cpu.io.in(0xcfc, 4), 0xffffffff);
    assert.equal(m.cpu.io.in(0xcfc, 2), 0xffff);
    assert.equal(m.cpu.io.in(0xcfe, 1), 0xff);
  }
  m.cpu.io.out(0xcfc, 4, 0x12345678);
  assert.equal(m.cpu.io.in(0xcfc, 4), 0xffffffff);
});

test('byte accesses to 0xCF8 are not CONFIG_ADDRESS: they reach the ISA bus (which floats)', () => {
  const m = new Machine({ memory: 2 ** 20 });
  m.cpu.io.out(0xcf8, 4, 0x80000800);
  m.cpu.io.out(0xcf8, 1, 0);
  assert.equal(m.cpu.io.in(0xcf8, 4), 0x80000800);
  assert.equal(m.cpu.io.in(0xcf8, 1), 0xff);
});
