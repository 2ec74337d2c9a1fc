// pcDevices.test.ts: the devices wired together: ports reach the right device, PIT counter 0 reaches
// the CPU as vector 0x08 after the BIOS programming, COM1 as IRQ 4, and the console/exit/A20 callbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PcDevices } from '../../emulator/devices/pcDevices';
import { PIT_HZ, VIRTUAL_HZ } from '../../emulator/devices/time';

function pc(input = '') {
  const now = { icount: 0 };
  const console: number[] = [];
  const events: string[] = [];
  const bytes = [...input].map((c) => c.charCodeAt(0));
  const d = new PcDevices({
    clock: () => now.icount,
    output: (b) => console.push(b),
    input: () => (bytes.length > 0 ? bytes.shift()! : -1),
    onExit: (code) => events.push(`exit ${code}`),
    onReset: () => events.push('reset'),
    onA20: (on) => events.push(`a20 ${on}`),
    onIntr: (level) => events.push(`intr ${level}`),
    ramBelow4G: 64 << 20,
  });
  return { d, now, console, events };
}

test('after programAsBios the timer interrupts at 18.2 Hz as vector 0x08; A20 is on', () => {
  const { d, now, events } = pc();
  d.programAsBios();
  assert.ok(events.includes('a20 true'));
  const due = d.nextEventAt(now.icount);
  // 65536 PIT clocks per period (IBM PC: 1193182 / 65536 = 18.2 Hz), in virtual instructions.
  assert.ok(Math.abs(due - (65536 * VIRTUAL_HZ) / PIT_HZ) < VIRTUAL_HZ / PIT_HZ * 2);
  d.advanceTo(due - 1);
  assert.equal(d.pic.hasInterrupt(), false);
  now.icount = due;
  d.advanceTo(due);
  assert.equal(d.pic.hasInterrupt(), true);
  assert.equal(d.pic.intAck(), 0x08);
  d.bus.out(0x20, 1, 0x20);
  const next = d.nextEventAt(due);
  assert.ok(Math.abs(next - due - (65536 * VIRTUAL_HZ) / PIT_HZ) < 2 * VIRTUAL_HZ / PIT_HZ);
});

test('COM1 receive interrupt reaches the CPU as vector 0x0C once IRQ 4 is unmasked', () => {
  const { d, events } = pc('a');
  d.programAsBios();
  d.bus.out(0x21, 1, 0xfa & ~0x10);
  d.bus.out(0x3f9, 1, 0x01); // IER: received data
  d.bus.out(0x3fc, 1, 0x0b); // MCR: DTR, RTS, OUT2
  assert.equal(d.pic.hasInterrupt(), true);
  assert.ok(events.includes('intr true'));
  assert.equal(d.pic.intAck(), 0x0c);
  assert.equal(d.bus.in(0x3f8, 1), 0x61);
});

test('serial and port 0xE9 output share the console; the exit port and resets reach their callbacks', () => {
  const { d, console, events } = pc();
  d.bus.out(0x3f8, 1, 0x41);
  d.bus.out(0xe9, 1, 0x42);
  assert.equal(String.fromCharCode(...console), 'AB');
  d.bus.out(0xf4, 4, 0x10);
  d.bus.out(0x64, 1, 0xfe);
  assert.deepEqual(events.filter((e) => !e.startsWith('intr') && !e.startsWith('a20')), ['exit 33', 'reset']);
  d.bus.out(0x70, 1, 0x15);
  assert.equal(d.bus.in(0x71, 1), 0x80); // 640 KiB base memory, low byte
});

test('the RTC periodic interrupt arrives as IRQ 8, vector 0x70, and ends when register C is read', () => {
  const { d, now } = pc();
  d.programAsBios();
  d.bus.out(0xa1, 1, 0xfe); // unmask IRQ 8
  d.bus.out(0x70, 1, 0x0b);
  d.bus.out(0x71, 1, 0x42); // PIE, 24-hour; rate 6 (1024 Hz) from the BIOS's register A
  const due = d.nextEventAt(0);
  assert.equal(due, Math.ceil(VIRTUAL_HZ / 1024)); // before the PIT's 18.2 Hz tick
  now.icount = due;
  d.advanceTo(due);
  assert.equal(d.pic.intAck(), 0x70);
  d.bus.out(0x70, 1, 0x0c);
  assert.equal(d.bus.in(0x71, 1), 0xc0); // IRQF | PF
  d.bus.out(0xa0, 1, 0x20); d.bus.out(0x20, 1, 0x20);
  assert.equal(d.pic.hasInterrupt(), false);
});
