// pit8254.test.ts: the 8254 PIT against the Intel 8254 datasheet (order 231164) in virtual time:
// mode 0/2/3/4/1 counting and OUT, counter latch, read-back, lo/hi access, port 0x61 gating and
// bit 5 (how firmware times a delay), and IRQ 0 events for the machine's HLT skip-ahead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pit8254 } from '../../emulator/devices/pit8254';
import { PIT_HZ, VIRTUAL_HZ, icountAtTick, ticksAt } from '../../emulator/devices/time';

/** The first instruction count at which `tick` PIT clocks have elapsed: the definition of virtual time. */
const at = (tick: number) => Math.ceil((tick * VIRTUAL_HZ) / PIT_HZ);

function pit() {
  const now = { icount: 0 };
  const irq: boolean[] = [];
  const p = new Pit8254({ clock: () => now.icount, irq0: (l) => irq.push(l) });
  const out = (port: number, v: number) => p.out(port, 1, v);
  const rd = (port: number) => p.in(port, 1);
  const setTick = (tick: number) => { now.icount = at(tick); };
  /** Counter n's count through the counter latch command, read low byte then high byte. */
  const latched = (n: number) => { out(0x43, n << 6); return rd(0x40 + n) | (rd(0x40 + n) << 8); };
  /** Counter n's status byte through the read-back command (status only). */
  const status = (n: number) => { out(0x43, 0xe0 | (2 << n)); return rd(0x40 + n); };
  return { p, now, irq, out, rd, setTick, latched, status };
}

test('virtual time: ticksAt and icountAtTick are inverses at PIT_HZ (time.ts)', () => {
  for (const t of [0, 1, 2, 1193, 65536, 1193182, 1193183, 10 ** 9, 10 ** 12]) {
    const i = icountAtTick(t, PIT_HZ);
    if (t * VIRTUAL_HZ < 2 ** 53) assert.equal(i, at(t)); // beyond that the naive formula loses precision
    assert.equal(ticksAt(i, PIT_HZ), t);
    if (t > 0) assert.equal(ticksAt(i - 1, PIT_HZ), t - 1);
  }
  assert.equal(ticksAt(VIRTUAL_HZ, PIT_HZ), PIT_HZ); // one virtual second is 1193182 PIT clocks
});

test('mode 2 (rate generator): count loads on the clock after the write, decrements by one, period N (datasheet "Mode 2")', () => {
  const { out, setTick, latched, status } = pit();
  out(0x43, 0x34); // counter 0, lo/hi, mode 2, binary
  out(0x40, 1000 & 0xff); out(0x40, 1000 >> 8);
  assert.equal(status(0) & 0x40, 0x40); // NULL COUNT until the count is loaded on the next CLK
  setTick(1);
  assert.equal(status(0), 0x80 | 0x30 | 0x04); // OUT high, count loaded, RW=11, mode 2
  assert.equal(latched(0), 1000);
  setTick(101);
  assert.equal(latched(0), 900);
  setTick(1000); // count reached 1: OUT low for one clock
  assert.equal(latched(0), 1);
  assert.equal(status(0) & 0x80, 0);
  setTick(1001); // reloaded with N, OUT high again
  assert.equal(latched(0), 1000);
  assert.equal(status(0) & 0x80, 0x80);
  setTick(1001 + 2500);
  assert.equal(latched(0), 500);
});

test('mode 3 (square wave): even N counts down by two, OUT high for N/2 then low for N/2 (datasheet "Mode 3")', () => {
  const { out, setTick, latched, status } = pit();
  out(0x43, 0x36);
  out(0x40, 100); out(0x40, 0);
  setTick(1);
  assert.equal(latched(0), 100);
  setTick(11);
  assert.equal(latched(0), 80);
  assert.equal(status(0) & 0x80, 0x80);
  setTick(1 + 50); // second half-period
  assert.equal(status(0) & 0x80, 0x00);
  assert.equal(latched(0), 100);
  setTick(1 + 99);
  assert.equal(status(0) & 0x80, 0x00);
  setTick(1 + 100);
  assert.equal(status(0) & 0x80, 0x80);
});

test('mode 3 odd N: OUT high for (N+1)/2 clocks and low for (N-1)/2 (datasheet "Mode 3")', () => {
  const { out, setTick, status } = pit();
  out(0x43, 0x36);
  out(0x40, 5); out(0x40, 0);
  const levels: number[] = [];
  for (let t = 1; t <= 10; t++) { setTick(t); levels.push(status(0) >> 7); }
  assert.deepEqual(levels, [1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
});

test('counter latch: the latched count stays until read, whatever time does (datasheet "Counter Latch Command")', () => {
  const { out, rd, setTick } = pit();
  out(0x43, 0x34);
  out(0x40, 0x00); out(0x40, 0x10); // 0x1000
  setTick(0x11);
  out(0x43, 0x00);
  setTick(0x500);
  out(0x43, 0x00); // a second latch before the first is read is ignored
  assert.equal(rd(0x40), 0xf0);
  assert.equal(rd(0x40), 0x0f); // 0x1000 - 0x10
  // Without a latch, a read returns the live count (low byte, then high byte).
  const lo = rd(0x40), hi = rd(0x40);
  assert.equal(lo | (hi << 8), 0x1000 - (0x500 - 1));
});

test('lo-only and hi-only access (control word RW=01, RW=10)', () => {
  const { out, rd, setTick } = pit();
  out(0x43, 0x50 | 0x04); // counter 1, low byte only, mode 2
  out(0x41, 18); // the PC's DRAM refresh count
  setTick(1 + 5);
  assert.equal(rd(0x41), 13);
  out(0x43, 0x60 | 0x04); // counter 1, high byte only
  out(0x41, 0x02); // count 0x200
  setTick(1 + 5 + 1 + 0x100);
  assert.equal(rd(0x41), 0x01);
});

test('read-back: status then count for the selected counters; OUT, NULL COUNT, RW, mode (datasheet "Read-Back Command")', () => {
  const { out, rd, setTick } = pit();
  out(0x43, 0xb0); // counter 2, lo/hi, mode 0
  out(0x42, 0x34); out(0x42, 0x12);
  // Gate 2 is low (port 0x61 bit 0 = 0): the count loads but does not run.
  setTick(50);
  out(0x43, 0xc8); // read-back: latch count and status of counter 2
  assert.equal(rd(0x42), 0x30); // OUT low (mode 0 before terminal count), count loaded, RW=11, mode 0
  assert.equal(rd(0x42), 0x34);
  assert.equal(rd(0x42), 0x12);
});

test('port 0x61: bit 0 gates counter 2, bit 5 reads its OUT; a mode 0 delay as firmware times it (PC AT Technical Reference)', () => {
  const { out, rd, setTick } = pit();
  setTick(1000);
  out(0x61, rd(0x61) & 0xfc); // gate off, speaker off
  out(0x43, 0xb0); // counter 2, lo/hi, mode 0
  const n = 11932; // 10 ms
  out(0x42, n & 0xff); out(0x42, n >> 8);
  assert.equal(rd(0x61) & 0x20, 0); // mode 0: OUT low after the control word
  setTick(2000);
  assert.equal(rd(0x61) & 0x20, 0); // gate low: no counting
  out(0x61, (rd(0x61) & 0xfc) | 0x01); // gate on
  assert.equal(rd(0x61) & 0x03, 0x01);
  setTick(2000 + n - 1);
  assert.equal(rd(0x61) & 0x20, 0);
  setTick(2000 + n);
  assert.equal(rd(0x61) & 0x20, 0x20); // terminal count: OUT high, and it stays high
  setTick(2000 + 3 * n);
  assert.equal(rd(0x61) & 0x20, 0x20);
});

test('mode 0 with the gate already high: OUT rises N+1 clocks after the count is written (datasheet "Mode 0")', () => {
  const { out, rd, setTick } = pit();
  out(0x61, 0x01);
  setTick(10);
  out(0x43, 0xb0);
  out(0x42, 100); out(0x42, 0);
  setTick(10 + 100);
  assert.equal(rd(0x61) & 0x20, 0);
  setTick(10 + 101);
  assert.equal(rd(0x61) & 0x20, 0x20);
});

test('mode 0 gate low suspends counting, high resumes it (datasheet "Mode 0", GATE)', () => {
  const { out, setTick, latched } = pit();
  out(0x61, 0x01);
  out(0x43, 0xb0);
  out(0x42, 0); out(0x42, 1); // 256
  setTick(1 + 10);
  assert.equal(latched(2), 246);
  out(0x61, 0x00);
  setTick(500);
  assert.equal(latched(2), 246);
  out(0x61, 0x01);
  setTick(510);
  assert.equal(latched(2), 236);
});

test('mode 1 (hardware one-shot): OUT low from the clock after the gate trigger for N clocks (datasheet "Mode 1")', () => {
  const { out, rd, setTick } = pit();
  out(0x43, 0xb2); // counter 2, lo/hi, mode 1
  out(0x42, 20); out(0x42, 0);
  setTick(5);
  assert.equal(rd(0x61) & 0x20, 0x20); // waiting for a trigger: OUT high
  out(0x61, 0x01); // trigger at tick 5
  setTick(6);
  assert.equal(rd(0x61) & 0x20, 0);
  setTick(5 + 20);
  assert.equal(rd(0x61) & 0x20, 0);
  setTick(5 + 21);
  assert.equal(rd(0x61) & 0x20, 0x20);
});

test('mode 4 (software strobe): OUT low for one clock N+1 clocks after the count is written (datasheet "Mode 4")', () => {
  const { out, setTick, status } = pit();
  out(0x43, 0x38); // counter 0, lo/hi, mode 4
  out(0x40, 10); out(0x40, 0);
  setTick(10); assert.equal(status(0) & 0x80, 0x80);
  setTick(11); assert.equal(status(0) & 0x80, 0x00);
  setTick(12); assert.equal(status(0) & 0x80, 0x80);
});

test('IRQ 0: rising edges of counter 0 OUT, and nextEventAt names when the next one is due', () => {
  const { p, out, now, irq } = pit();
  assert.equal(p.nextEventAt(0), Infinity); // unprogrammed: no timer interrupt ever
  out(0x43, 0x34); // mode 2, the PC's periodic tick
  out(0x40, 0); out(0x40, 0); // 65536: 18.2 Hz
  // The control word sets OUT high at once ("Mode 2: OUT will initially be high"): itself an edge.
  assert.deepEqual(irq, [true]);
  irq.length = 0;
  const first = p.nextEventAt(0);
  assert.equal(first, at(65537)); // loaded at clock 1, OUT rises N clocks later
  p.advanceTo(first - 1);
  assert.deepEqual(irq, [false]); // count 1: OUT low for one clock
  p.advanceTo(first);
  assert.deepEqual(irq, [false, true]); // reload: the rising edge the PIC latches
  assert.equal(p.nextEventAt(first), at(65537 + 65536));
  // Several periods pass unobserved: the PIC sees one more rising edge, not many.
  now.icount = at(65537 + 5 * 65536 + 7);
  p.advanceTo(now.icount);
  assert.deepEqual(irq, [false, true, false, true]);
  // Mode 0 on counter 0 is a one-shot: one edge, then none.
  out(0x43, 0x30);
  out(0x40, 100); out(0x40, 0);
  const base = ticksAt(now.icount, PIT_HZ);
  assert.equal(p.nextEventAt(now.icount), at(base + 101));
  p.advanceTo(at(base + 101));
  assert.equal(irq[irq.length - 1], true);
  assert.equal(p.nextEventAt(at(base + 101)), Infinity);
});

test('port 0x61 bit 4 toggles with DRAM refresh as virtual time passes', () => {
  const { rd, setTick } = pit();
  const seen = new Set<number>();
  for (let t = 0; t < 100; t += 7) { setTick(t); seen.add(rd(0x61) & 0x10); }
  assert.deepEqual([...seen].sort(), [0, 0x10]);
});

test('mode 5 (hardware strobe): OUT low for one clock N+1 clocks after the gate trigger (datasheet "Mode 5")', () => {
  const { out, rd, setTick } = pit();
  out(0x43, 0xba); // counter 2, lo/hi, mode 5
  out(0x42, 10); out(0x42, 0);
  setTick(40);
  assert.equal(rd(0x61) & 0x20, 0x20); // no trigger yet: OUT stays high
  setTick(5 + 40);
  out(0x61, 0x01); // trigger
  const levels: number[] = [];
  for (let t = 5 + 40 + 9; t <= 5 + 40 + 12; t++) { setTick(t); levels.push((rd(0x61) >> 5) & 1); }
  assert.deepEqual(levels, [1, 1, 0, 1]); // low at trigger + 11 = N + 1
});

test('mode 2 gate low holds OUT high and stops counting; the rising edge reloads N (datasheet "Mode 2", GATE)', () => {
  const { out, setTick, latched, status } = pit();
  out(0x61, 0x01);
  out(0x43, 0xb4); // counter 2, lo/hi, mode 2
  out(0x42, 50); out(0x42, 0);
  setTick(1 + 20);
  assert.equal(latched(2), 30);
  out(0x61, 0x00);
  setTick(1 + 49 + 100);
  assert.equal(latched(2), 30);
  assert.equal(status(2) & 0x80, 0x80);
  out(0x61, 0x01);
  setTick(1 + 49 + 100 + 1);
  assert.equal(latched(2), 50);
});
