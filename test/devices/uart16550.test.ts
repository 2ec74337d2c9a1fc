// uart16550.test.ts: the COM1 UART against the PC16550D datasheet (National Semiconductor, June 1995):
// reset state, divisor latch access, loopback, line status, FIFO control and interrupt priorities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Uart16550 } from '../../emulator/devices/uart16550';

const COM1 = 0x3f8;
const THR = COM1, RBR = COM1, DLL = COM1, IER = COM1 + 1, DLM = COM1 + 1, IIR = COM1 + 2, FCR = COM1 + 2;
const LCR = COM1 + 3, MCR = COM1 + 4, LSR = COM1 + 5, MSR = COM1 + 6, SCR = COM1 + 7;

function uart(inputText = '') {
  const sent: number[] = [];
  const irqs: boolean[] = [];
  const input = [...inputText].map((c) => c.charCodeAt(0));
  const u = new Uart16550({
    output: (b) => sent.push(b),
    input: () => (input.length > 0 ? input.shift()! : -1),
    raiseIrq: (level) => irqs.push(level),
  });
  const rd = (port: number) => u.in(port, 1);
  const wr = (port: number, v: number) => u.out(port, 1, v);
  return { u, sent, irqs, rd, wr };
}

test('reset state (datasheet Table IV, "UART Reset Configuration")', () => {
  const { rd } = uart();
  assert.equal(rd(IER), 0x00);
  assert.equal(rd(IIR), 0x01); // no interrupt pending, FIFOs off
  assert.equal(rd(LCR), 0x00);
  assert.equal(rd(MCR), 0x00);
  assert.equal(rd(LSR), 0x60); // THRE and TEMT set, nothing received
  assert.equal(rd(MSR) & 0x0f, 0x00); // delta bits clear
});

test('DLAB=1 maps offsets 0 and 1 to the divisor latch (datasheet §8.2 LCR bit 7, Table II)', () => {
  const { rd, wr, sent } = uart();
  wr(LCR, 0x80);
  wr(DLL, 0x01); // 115200 baud: divisor 1 at 1.8432 MHz (datasheet Table III)
  wr(DLM, 0x00);
  wr(LCR, 0x03); // 8N1, DLAB off: as Linux's early console programs it
  assert.equal(rd(IER), 0x00); // IER untouched by the DLM write
  wr(THR, 0x41);
  assert.deepEqual(sent, [0x41]); // the DLL write was not transmitted
  wr(LCR, 0x83);
  assert.equal(rd(DLL), 0x01);
  assert.equal(rd(DLM), 0x00);
  assert.equal(rd(LCR), 0x83);
});

test('transmit: bytes go to the output sink and THRE/TEMT read ready again (datasheet §8.4 LSR bits 5, 6)', () => {
  const { rd, wr, sent } = uart();
  for (const c of 'ok') {
    while ((rd(LSR) & 0x20) === 0) { /* wait for THRE, as a driver does */ }
    wr(THR, c.charCodeAt(0));
  }
  assert.equal(String.fromCharCode(...sent), 'ok');
  assert.equal(rd(LSR) & 0x60, 0x60);
});

test('receive from the input source: LSR.DR while data waits, RBR returns it in order (datasheet §8.4 bit 0)', () => {
  const { rd } = uart('hi');
  assert.equal(rd(LSR) & 0x01, 0x01);
  assert.equal(rd(RBR), 0x68);
  assert.equal(rd(LSR) & 0x01, 0x01);
  assert.equal(rd(RBR), 0x69);
  assert.equal(rd(LSR) & 0x01, 0x00);
});

test('pushInput feeds the receiver after start-up', () => {
  const { u, rd } = uart();
  assert.equal(rd(LSR) & 0x01, 0);
  u.pushInput([0x31]);
  assert.equal(rd(LSR) & 0x01, 1);
  assert.equal(rd(RBR), 0x31);
});

test('loopback: THR goes to RBR, not the line; MSR follows MCR (datasheet §8.7 MCR bit 4)', () => {
  const { rd, wr, sent } = uart('x');
  assert.equal(rd(RBR), 0x78); // drain the byte that arrived from the line
  wr(MCR, 0x10);
  // §8.7: in loopback CTS←RTS, DSR←DTR, RI←OUT1, DCD←OUT2; all outputs off here.
  assert.equal(rd(MSR) & 0xf0, 0x00);
  wr(MCR, 0x10 | 0x0a); // RTS | OUT2: Linux's autoconfig expects CTS|DCD = 0x90
  assert.equal(rd(MSR) & 0xf0, 0x90);
  wr(MCR, 0x1f);
  assert.equal(rd(MSR) & 0xf0, 0xf0);
  wr(THR, 0x5a);
  assert.equal(rd(LSR) & 0x01, 0x01);
  assert.equal(rd(RBR), 0x5a);
  assert.deepEqual(sent, []); // the transmitter output is held marking (§8.7)
  // §8.8: MSR delta bits record changes since the last read, and reading clears them.
  wr(MCR, 0x10);
  assert.equal(rd(MSR) & 0x0f, 0x01 | 0x02 | 0x04 | 0x08); // DCTS, DDSR, TERI (RI went off), DDCD
  assert.equal(rd(MSR) & 0x0f, 0);
});

test('overrun: a second character before RBR is read sets OE, cleared by reading LSR (datasheet §8.4 bit 1)', () => {
  const { rd, wr } = uart();
  wr(MCR, 0x10);
  wr(THR, 0x01);
  wr(THR, 0x02);
  assert.equal(rd(LSR), 0x63); // DR | OE | THRE | TEMT
  assert.equal(rd(LSR), 0x61);
  assert.equal(rd(RBR), 0x02); // without FIFOs the RBR was overwritten
});

test('scratch register holds what is written (datasheet §8.10)', () => {
  const { rd, wr } = uart();
  wr(SCR, 0xa5);
  assert.equal(rd(SCR), 0xa5);
});

test('IIR reports the highest-priority interrupt first (datasheet Table V: RLS > RDA > THRE > MS)', () => {
  const { rd, wr } = uart();
  wr(MCR, 0x10);
  rd(MSR); // entering loopback changed the modem inputs; clear those deltas first
  wr(IER, 0x0f);
  // Enabling ETBEI with THR empty: THRE interrupt pending (priority 3).
  assert.equal(rd(IIR), 0x02);
  // Reading IIR naming THRE cleared it (Table V, "Reading the IIR register (if source of interrupt)").
  assert.equal(rd(IIR), 0x01);
  wr(THR, 0x11);
  wr(THR, 0x22); // overrun
  assert.equal(rd(IIR), 0x06); // receiver line status (priority 1)
  rd(LSR); // "Reading the Line Status Register" resets it
  assert.equal(rd(IIR), 0x04); // received data available (priority 2)
  rd(RBR); // "Reading the Receiver Buffer Register" resets it
  assert.equal(rd(IIR), 0x02); // THRE again, from the THR writes
  wr(MCR, 0x11); // DTR change in loopback: DDSR
  rd(IIR); // clears THRE
  assert.equal(rd(IIR), 0x00); // modem status (priority 4)
  rd(MSR); // "Reading the Modem Status Register" resets it
  assert.equal(rd(IIR), 0x01);
});

test('FIFO mode: IIR bits 7:6 set, data available at the trigger level (datasheet §8.5 FCR, Table V)', () => {
  const { rd, wr } = uart();
  wr(FCR, 0x07); // enable and clear, trigger level 1
  assert.equal(rd(IIR), 0xc1);
  wr(MCR, 0x10);
  wr(IER, 0x01);
  for (let i = 0; i < 16; i++) wr(THR, i);
  assert.equal(rd(IIR), 0xc4);
  assert.equal(rd(LSR) & 0x03, 0x01); // 16 bytes fit the FIFO: no overrun
  wr(THR, 99);
  assert.equal(rd(LSR) & 0x03, 0x03); // the 17th overruns (§8.4 bit 1, FIFO mode)
  for (let i = 0; i < 16; i++) assert.equal(rd(RBR), i); // the FIFO keeps the first 16
  assert.equal(rd(LSR) & 0x01, 0);
  wr(FCR, 0x00); // FCR0 cleared: FIFOs off
  assert.equal(rd(IIR) & 0xc0, 0);
});

test('interrupt output: raised with IER and OUT2, dropped when the cause is serviced (PC serial adapter gating)', () => {
  const { rd, wr, irqs } = uart('k');
  wr(IER, 0x01);
  assert.deepEqual(irqs, []); // OUT2 off: the adapter does not drive the IRQ line
  wr(MCR, 0x0b); // DTR | RTS | OUT2, as Linux's 8250 driver sets it
  assert.deepEqual(irqs, [true]);
  assert.equal(rd(RBR), 0x6b);
  assert.deepEqual(irqs, [true, false]);
});
