// a20.test.ts: the A20 gate through port 0x92 (IBM PS/2 System Control Port A; PIIX4 Port 92h) and
// through the 8042 keyboard controller (IBM PC AT Technical Reference, commands D0h/D1h; DDh/DFh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A20Gate, SystemControlPortA } from '../../emulator/devices/a20';
import { KeyboardController } from '../../emulator/devices/keyboardController';

function devices() {
  const events: string[] = [];
  const gate = new A20Gate((on) => events.push(on ? 'a20 on' : 'a20 off'));
  const portA = new SystemControlPortA(gate, () => events.push('reset'));
  const kbc = new KeyboardController(gate, () => events.push('reset'));
  return { gate, portA, kbc, events };
}

test('port 0x92 bit 1 switches A20 and reads back; bit 0 requests a reset', () => {
  const { portA, gate, events } = devices();
  assert.equal(portA.in(0x92, 1) & 0x02, 0);
  portA.out(0x92, 1, portA.in(0x92, 1) | 0x02);
  assert.equal(gate.enabled, true);
  assert.equal(portA.in(0x92, 1) & 0x03, 0x02);
  portA.out(0x92, 1, 0x00);
  assert.equal(gate.enabled, false);
  portA.out(0x92, 1, 0x01);
  assert.deepEqual(events, ['a20 on', 'a20 off', 'reset']);
});

test('8042 status: input buffer empty and system flag set, so polling loops end', () => {
  const { kbc } = devices();
  const status = kbc.in(0x64, 1);
  assert.equal(status & 0x02, 0); // IBF clear: a command may be written
  assert.equal(status & 0x01, 0); // OBF clear: nothing to read
  assert.equal(status & 0x04, 0x04); // system flag (self test passed)
});

test('8042 command D1h then a data byte writes the output port; bit 1 is A20 (the classic enable sequence)', () => {
  const { kbc, gate, events } = devices();
  kbc.out(0x64, 1, 0xd1);
  kbc.out(0x60, 1, 0xdf); // output port: A20 on, reset line high (inactive)
  assert.equal(gate.enabled, true);
  kbc.out(0x64, 1, 0xd0); // read output port
  assert.equal(kbc.in(0x64, 1) & 0x01, 0x01);
  assert.equal(kbc.in(0x60, 1) & 0x03, 0x03);
  kbc.out(0x64, 1, 0xd1);
  kbc.out(0x60, 1, 0xdd); // A20 off
  assert.equal(gate.enabled, false);
  assert.deepEqual(events, ['a20 on', 'a20 off']);
});

test('8042 commands DDh/DFh switch A20 directly; FEh pulses reset; AAh self test answers 55h', () => {
  const { kbc, gate, events } = devices();
  kbc.out(0x64, 1, 0xdf);
  assert.equal(gate.enabled, true);
  kbc.out(0x64, 1, 0xdd);
  assert.equal(gate.enabled, false);
  kbc.out(0x64, 1, 0xaa);
  assert.equal(kbc.in(0x60, 1), 0x55);
  kbc.out(0x64, 1, 0xfe);
  assert.deepEqual(events, ['a20 on', 'a20 off', 'reset']);
});

test('A20 is the OR of port 0x92 and the 8042 output port', () => {
  const { kbc, portA, gate } = devices();
  portA.out(0x92, 1, 0x02);
  kbc.out(0x64, 1, 0xdd);
  assert.equal(gate.enabled, true); // port 0x92 still holds it on
  portA.out(0x92, 1, 0x00);
  assert.equal(gate.enabled, false);
});
