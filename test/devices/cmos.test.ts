// cmos.test.ts: the CMOS RTC against the Motorola MC146818A datasheet (time registers, BCD/binary and
// 12/24-hour data modes, UIP, SET, registers C/D) in virtual time, the NMI-disable bit of port 0x70,
// and the memory-size bytes as the IBM AT BIOS and QEMU/SeaBIOS lay them out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cmos } from '../../emulator/devices/cmos';
import { VIRTUAL_HZ } from '../../emulator/devices/time';

function cmos(options: { startTime?: number; ramBelow4G?: number; ramAbove4G?: number } = {}) {
  const now = { icount: 0 };
  const c = new Cmos({ clock: () => now.icount, ...options });
  const read = (reg: number) => { c.out(0x70, 1, reg); return c.in(0x71, 1); };
  const write = (reg: number, v: number) => { c.out(0x70, 1, reg); c.out(0x71, 1, v); };
  return { c, now, read, write };
}

const SEC = VIRTUAL_HZ;

test('the clock starts at 2000-01-01 00:00:00, a Saturday, in BCD 24-hour mode (datasheet Table 2 address map)', () => {
  const { read } = cmos();
  assert.equal(read(0x00), 0x00); // seconds
  assert.equal(read(0x02), 0x00); // minutes
  assert.equal(read(0x04), 0x00); // hours
  assert.equal(read(0x06), 0x07); // day of week, Sunday = 1
  assert.equal(read(0x07), 0x01); // date of month
  assert.equal(read(0x08), 0x01); // month
  assert.equal(read(0x09), 0x00); // year
  assert.equal(read(0x32), 0x20); // century (IBM PC convention)
  assert.equal(read(0x0b) & 0x06, 0x02); // DM=0 (BCD), 24/12=1
  assert.equal(read(0x0d), 0x80); // VRT: valid RAM and time
});

test('time advances with virtual time: 3725 s later reads 01:02:05 in BCD', () => {
  const { now, read } = cmos();
  now.icount = 3725 * SEC + SEC / 2;
  assert.equal(read(0x04), 0x01);
  assert.equal(read(0x02), 0x02);
  assert.equal(read(0x00), 0x05);
});

test('binary data mode (register B DM=1) and BCD mode read the same time differently (datasheet Table 3)', () => {
  const { now, read, write } = cmos({ startTime: Date.UTC(2024, 11, 31, 23, 59, 45) / 1000 });
  now.icount = 10 * SEC; // 23:59:55
  assert.equal(read(0x00), 0x55);
  assert.equal(read(0x09), 0x24);
  write(0x0b, 0x06); // binary, 24-hour
  assert.equal(read(0x00), 55);
  assert.equal(read(0x04), 23);
  assert.equal(read(0x09), 24);
  now.icount = 20 * SEC; // 2025-01-01 00:00:05, a Wednesday
  assert.equal(read(0x00), 5);
  assert.equal(read(0x07), 1);
  assert.equal(read(0x08), 1);
  assert.equal(read(0x09), 25);
  assert.equal(read(0x06), 4);
});

test('12-hour mode: hours 1–12 with bit 7 set for PM (datasheet Table 3)', () => {
  const { read, write } = cmos({ startTime: Date.UTC(2000, 0, 1, 13, 5, 0) / 1000 });
  write(0x0b, 0x00); // BCD, 12-hour
  assert.equal(read(0x04), 0x81); // 1 PM
  write(0x0b, 0x04); // binary, 12-hour
  assert.equal(read(0x04), 0x81);
  const am = cmos({ startTime: Date.UTC(2000, 0, 1, 0, 30, 0) / 1000 });
  am.write(0x0b, 0x00);
  assert.equal(am.read(0x04), 0x12); // 12 AM is midnight
});

test('UIP (register A bit 7) is set during the 244 µs before each update (datasheet "Update Cycle")', () => {
  const { now, read } = cmos();
  now.icount = 5 * SEC + SEC / 2;
  assert.equal(read(0x0a) & 0x80, 0);
  now.icount = 6 * SEC - Math.round(SEC * 200e-6);
  assert.equal(read(0x0a) & 0x80, 0x80);
  assert.equal(read(0x00), 0x05); // the registers still hold the old second
  now.icount = 6 * SEC;
  assert.equal(read(0x0a) & 0x80, 0);
  assert.equal(read(0x00), 0x06);
  assert.equal(read(0x0a) & 0x7f, 0x26); // divider and rate bits as written by the BIOS
});

test('SET (register B bit 7) stops updates while the time is written; clearing it resumes (datasheet "Register B")', () => {
  const { now, read, write } = cmos();
  write(0x0b, 0x82);
  write(0x04, 0x08); write(0x02, 0x30); write(0x00, 0x00);
  now.icount = 100 * SEC;
  assert.equal(read(0x00), 0x00); // frozen
  assert.equal(read(0x02), 0x30);
  write(0x0b, 0x02);
  now.icount = 107 * SEC;
  assert.equal(read(0x04), 0x08);
  assert.equal(read(0x02), 0x30);
  assert.equal(read(0x00), 0x07);
});

test('writing a time register while running moves the clock (datasheet "Time, Calendar and Alarm Locations")', () => {
  const { now, read, write } = cmos();
  write(0x09, 0x99);
  assert.equal(read(0x09), 0x99);
  now.icount = 2 * SEC;
  assert.equal(read(0x09), 0x99);
  assert.equal(read(0x00), 0x02);
});

test('register C: UF after an update, cleared by reading (datasheet "Register C")', () => {
  const { now, read } = cmos();
  now.icount = SEC / 2;
  assert.equal(read(0x0c) & 0x10, 0);
  now.icount = SEC + 1;
  assert.equal(read(0x0c) & 0x10, 0x10);
  assert.equal(read(0x0c) & 0x10, 0);
});

test('port 0x70 bit 7 disables NMI and is not part of the index (IBM AT Technical Reference)', () => {
  const { c, write } = cmos();
  write(0x40, 0xab);
  c.out(0x70, 1, 0x80 | 0x40);
  assert.equal(c.nmiDisabled, true);
  assert.equal(c.in(0x71, 1), 0xab);
  c.out(0x70, 1, 0x40);
  assert.equal(c.nmiDisabled, false);
});

test('memory-size bytes: base, extended, above 16 MiB and above 4 GiB (IBM AT CMOS map; QEMU pc.c / SeaBIOS)', () => {
  const { read } = cmos({ ramBelow4G: 256 * 1024 * 1024, ramAbove4G: 1024 * 1024 * 1024 });
  assert.equal(read(0x15) | (read(0x16) << 8), 640);
  assert.equal(read(0x17) | (read(0x18) << 8), 0xffff); // 255 MiB in KiB exceeds 16 bits: capped
  assert.equal(read(0x30) | (read(0x31) << 8), 0xffff);
  assert.equal(read(0x34) | (read(0x35) << 8), (256 - 16) * 16); // 64 KiB units above 16 MiB
  assert.equal(read(0x5b) | (read(0x5c) << 8) | (read(0x5d) << 16), 1024 * 16); // 64 KiB units above 4 GiB
  const small = cmos({ ramBelow4G: 8 * 1024 * 1024 });
  assert.equal(small.read(0x17) | (small.read(0x18) << 8), 7 * 1024);
  assert.equal(small.read(0x34) | (small.read(0x35) << 8), 0);
  // Checksum of 0x10–0x2D, high byte at 0x2E (IBM AT Technical Reference).
  let sum = 0;
  for (let i = 0x10; i <= 0x2d; i++) sum += small.read(i);
  assert.equal((small.read(0x2e) << 8) | small.read(0x2f), sum);
});

test('interrupts: PF at the periodic rate, UF each second, IRQ 8 while IRQF; reading C releases it (datasheet "Interrupts", Table 5)', () => {
  const irq: boolean[] = [];
  const now = { icount: 0 };
  const c = new Cmos({ clock: () => now.icount, raiseIrq: (l) => irq.push(l) });
  const read = (reg: number) => { c.out(0x70, 1, reg); return c.in(0x71, 1); };
  const write = (reg: number, v: number) => { c.out(0x70, 1, reg); c.out(0x71, 1, v); };
  assert.equal(c.nextEventAt(0), Infinity); // nothing enabled
  write(0x0a, 0x2f); // rate 15: 2 Hz
  write(0x0b, 0x42); // PIE
  assert.equal(c.nextEventAt(0), SEC / 2);
  c.advanceTo(SEC / 2 - 1);
  assert.deepEqual(irq, []);
  now.icount = SEC / 2;
  c.advanceTo(now.icount);
  assert.deepEqual(irq, [true]);
  assert.equal(c.nextEventAt(now.icount), Infinity); // asserted until C is read
  assert.equal(read(0x0c), 0xc0); // IRQF | PF
  assert.deepEqual(irq, [true, false]);
  write(0x0b, 0x12); // UIE only
  assert.equal(c.nextEventAt(now.icount), SEC);
  now.icount = SEC;
  c.advanceTo(now.icount);
  assert.equal(read(0x0c), 0x80 | 0x40 | 0x10); // PF is flagged even when not enabled; IRQF from UF
});
