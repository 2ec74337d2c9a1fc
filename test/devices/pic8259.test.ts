// pic8259.test.ts: the master/slave 8259A pair against the Intel 8259A datasheet (order 231468):
// initialisation as a PC BIOS does it, masking, fully nested priority, EOI forms, rotation, poll,
// the cascade on IR2, and the PIIX4 ELCR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pic8259 } from '../../emulator/devices/pic8259';

/** The PC BIOS sequence: ICW1=0x11 (edge, cascade, ICW4), vectors 0x08/0x70, ICW3 4/2, ICW4=1 (8086). */
function biosPic(icw4 = 0x01) {
  const intr: boolean[] = [];
  const pic = new Pic8259({ intr: (l) => intr.push(l) });
  const out = (p: number, v: number) => pic.out(p, 1, v);
  out(0x20, 0x11); out(0x21, 0x08); out(0x21, 0x04); out(0x21, icw4);
  out(0xa0, 0x11); out(0xa1, 0x70); out(0xa1, 0x02); out(0xa1, icw4);
  out(0x21, 0x00); out(0xa1, 0x00);
  const rd = (p: number) => pic.in(p, 1);
  /** Pulses an IRQ line (rising then falling edge) as an edge-triggered source does. */
  const pulse = (line: number) => { pic.irq(line, true); pic.irq(line, false); };
  const isr = (base: number) => { out(base, 0x0b); return rd(base); }; // OCW3: read ISR
  const irr = (base: number) => { out(base, 0x0a); return rd(base); }; // OCW3: read IRR
  return { pic, out, rd, pulse, isr, irr, intr };
}

test('after initialisation: vectors from ICW2, IRQ 0 → 0x08, in service until EOI (datasheet "Interrupt Sequence")', () => {
  const { pic, out, pulse, isr, intr } = biosPic();
  assert.equal(pic.hasInterrupt(), false);
  pulse(0);
  assert.equal(pic.hasInterrupt(), true);
  assert.deepEqual(intr, [true]);
  assert.equal(pic.intAck(), 0x08);
  assert.equal(isr(0x20), 0x01); // ISR bit set by the INTA sequence
  assert.equal(pic.hasInterrupt(), false);
  assert.deepEqual(intr, [true, false]);
  pulse(1); // lower priority than the IRQ 0 in service: held off (fully nested mode)
  assert.equal(pic.hasInterrupt(), false);
  out(0x20, 0x20); // OCW2 non-specific EOI
  assert.equal(isr(0x20), 0x00);
  assert.equal(pic.intAck(), 0x09);
  assert.equal(pic.intAck(), -1);
});

test('fully nested priority: IR0 highest, IR7 lowest; a higher request interrupts a lower one in service', () => {
  const { pic, pulse, isr } = biosPic();
  pulse(5); pulse(3);
  assert.equal(pic.intAck(), 0x0b);
  pulse(1);
  assert.equal(pic.intAck(), 0x09); // IR1 outranks IR3 in service
  assert.equal(isr(0x20), 0x0a);
  assert.equal(pic.hasInterrupt(), false); // IR5 waits below both
});

test('OCW1 masks requests without losing them (IRR still records the edge)', () => {
  const { pic, out, rd, pulse, irr } = biosPic();
  out(0x21, 0x01);
  assert.equal(rd(0x21), 0x01); // IMR reads back on the odd port
  pulse(0);
  assert.equal(pic.hasInterrupt(), false);
  assert.equal(irr(0x20), 0x01);
  out(0x21, 0x00);
  assert.equal(pic.intAck(), 0x08);
  assert.equal(irr(0x20), 0x00); // the INTA cleared the edge-triggered request
});

test('edge-triggered: a line held high requests once; a new rising edge is needed (datasheet "Edge and Level Triggered Modes")', () => {
  const { pic, out } = biosPic();
  pic.irq(4, true);
  assert.equal(pic.intAck(), 0x0c);
  out(0x20, 0x20);
  assert.equal(pic.hasInterrupt(), false);
  pic.irq(4, false);
  pic.irq(4, true);
  assert.equal(pic.intAck(), 0x0c);
});

test('specific EOI clears the named level only (OCW2 SL=1 EOI=1)', () => {
  const { pic, out, pulse, isr } = biosPic();
  pulse(6); assert.equal(pic.intAck(), 0x0e);
  pulse(1); assert.equal(pic.intAck(), 0x09);
  out(0x20, 0x60 | 6); // specific EOI for IR6 while IR1 (higher) is also in service
  assert.equal(isr(0x20), 0x02);
  out(0x20, 0x20);
  assert.equal(isr(0x20), 0x00);
});

test('cascade: IRQ 8 arrives through master IR2 with the slave vector 0x70; both chips need an EOI', () => {
  const { pic, out, pulse, isr } = biosPic();
  pulse(8);
  assert.equal(pic.hasInterrupt(), true);
  assert.equal(pic.intAck(), 0x70);
  assert.equal(isr(0x20), 0x04); // master: IR2 in service
  assert.equal(isr(0xa0), 0x01); // slave: IR0 in service
  pulse(12); // lower on the slave than IR8 in service, and master IR2 is in service
  assert.equal(pic.hasInterrupt(), false);
  out(0xa0, 0x20); out(0x20, 0x20);
  assert.equal(pic.intAck(), 0x74);
  out(0xa0, 0x20); out(0x20, 0x20);
  pulse(15); pulse(1);
  assert.equal(pic.intAck(), 0x09); // IR1 outranks the cascade on IR2
  assert.equal(pic.hasInterrupt(), false); // IR2 waits for IR1's EOI
  out(0x20, 0x20);
  assert.equal(pic.intAck(), 0x77);
});

test('automatic EOI (ICW4 AEOI=1) leaves nothing in service (datasheet "Automatic End of Interrupt")', () => {
  const { pic, pulse, isr } = biosPic(0x03);
  pulse(3);
  assert.equal(pic.intAck(), 0x0b);
  assert.equal(isr(0x20), 0x00);
  pulse(5);
  assert.equal(pic.intAck(), 0x0d); // nothing blocks it
});

test('set priority (OCW2 R=1 SL=1) makes the named IR lowest and the next one highest', () => {
  const { pic, out, pulse } = biosPic();
  out(0x20, 0xc0 | 3); // IR3 lowest: order is 4,5,6,7,0,1,2,3
  pulse(0); pulse(4);
  assert.equal(pic.intAck(), 0x0c);
});

test('rotate on non-specific EOI: the serviced level becomes lowest (OCW2 R=1 EOI=1)', () => {
  const { pic, out, pulse } = biosPic();
  pulse(0);
  assert.equal(pic.intAck(), 0x08);
  out(0x20, 0xa0);
  pulse(0); pulse(1);
  assert.equal(pic.intAck(), 0x09); // IR0 now lowest, so IR1 wins
});

test('poll command (OCW3 P=1): the next read returns 0x80 | level and acknowledges it', () => {
  const { out, rd, pulse, isr } = biosPic();
  pulse(5);
  out(0x20, 0x0c);
  assert.equal(rd(0x20), 0x85);
  assert.equal(isr(0x20), 0x20);
  out(0x20, 0x0c);
  assert.equal(rd(0x20), 0x00); // nothing pending: bit 7 clear
});

test('ELCR (PIIX4 §12.3): level-triggered lines request again while high after EOI; reserved bits read 0', () => {
  const { pic, out, rd } = biosPic();
  out(0x4d1, 0xff);
  assert.equal(rd(0x4d1), 0xde); // IRQ 8 and 13 stay edge triggered
  out(0x4d0, 0xff);
  assert.equal(rd(0x4d0), 0xf8); // IRQ 0, 1, 2 stay edge triggered
  pic.irq(11, true);
  assert.equal(pic.intAck(), 0x73);
  out(0xa0, 0x20); out(0x20, 0x20);
  assert.equal(pic.intAck(), 0x73); // still asserted: requested again
  out(0xa0, 0x20); out(0x20, 0x20);
  // The slave asked again (IR11 still high) and the master latched that edge on IR2; the line now
  // drops before INTA, so the slave answers with its default IR7 (datasheet: "If the IR input goes
  // low before this time a DEFAULT IR7 will occur") without marking it in service, while the master's
  // IR2 is in service and needs its EOI (the PC's "spurious IRQ 15").
  pic.irq(11, false);
  assert.equal(pic.intAck(), 0x77);
  out(0xa0, 0x0b);
  assert.equal(rd(0xa0), 0x00);
  out(0x20, 0x0b);
  assert.equal(rd(0x20), 0x04);
});

test('ICW1 restarts initialisation: IMR cleared, ICW2 read next (datasheet "Initialization Command Words")', () => {
  const { pic, out, rd } = biosPic();
  out(0x21, 0xff);
  out(0x20, 0x11);
  assert.equal(rd(0x21), 0x00);
  out(0x21, 0x20); out(0x21, 0x04); out(0x21, 0x01);
  pic.irq(0, true);
  assert.equal(pic.intAck(), 0x20);
});
