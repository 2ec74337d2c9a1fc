// pit8254.ts: the Intel 8254 Programmable Interval Timer (Intel 8254 datasheet, order 231164) at
// 0x40–0x43, and the PC/AT system control port B at 0x61 (IBM PC AT Technical Reference, "Port 61h")
// through which counter 2 is gated and its output read back.
//
// The counters are clocked at 1.193182 MHz of VIRTUAL time (time.ts): the count is a function of the
// instruction count, computed when read, never ticked. Counter 0's OUT drives IRQ 0; counter 2's gate
// is port 0x61 bit 0 and its OUT reads back as bit 5 (how firmware times delays).
// Supported: modes 0–5, binary counting, lo/hi/lo-then-hi access, counter latch, read-back (count and
// status), gates. Simplifications, all deterministic: BCD (control word bit 0) is stored and reported
// in the status byte but counting is binary; a new count written in modes 2/3 restarts the period at
// once instead of at the end of the current one; in mode 3 with an odd count the high half lasts
// (N+1)/2 clocks and the low half (N-1)/2 as the datasheet says, the count read back steps by two
// from N-1. Port 0x61 bit 4 (refresh detect) toggles every 18 PIT clocks (the ~15 µs DRAM refresh
// period the BIOS programs into counter 1), from virtual time, whatever counter 1 is programmed to.
import type { IoDevice } from './ioBus';
import { Clock, icountAtTick, PIT_HZ, ticksAt } from './time';

export const PIT_PORT = 0x40;
export const PIT_CONTROL = 0x43;
export const PORT_B = 0x61;
const REFRESH_PERIOD = 18;

/** One counter. Elapsed clocks since the count was loaded: base + (tick - since) while running. */
export class PitCounter {
  mode = 0;
  /** RW field of the control word: 1 low byte, 2 high byte, 3 low then high. */
  access = 3;
  bcd = false;
  /** The initial count N, 1..65536 (a written 0 means 65536). */
  count = 0x10000;
  /** A count has been written since the last control word. */
  armed = false;
  /** Counting (gate allows it, or modes 1/5 have been triggered). */
  running = false;
  base = 0;
  since = 0;
  gate: boolean;
  /** Modes 1 and 5 wait for a gate rising edge. */
  triggered = false;
  // Write side: the low byte of a lo/hi count waiting for its high byte.
  private writeHigh = false;
  private lowByte = 0;
  // Read side: latched bytes queued for reading (status first, then count), and the lo/hi toggle.
  private readonly latch: number[] = [];
  private countLatched = false;
  private statusLatched = false;
  private readHigh = false;

  constructor(gate: boolean) {
    this.gate = gate;
  }

  elapsed(tick: number): number {
    return this.running ? this.base + Math.max(0, tick - this.since) : this.base;
  }

  /** The counting element's value at `tick` (what a latch captures). */
  value(tick: number): number {
    if (!this.armed) return 0;
    const n = this.count, e = this.elapsed(tick);
    switch (this.mode) {
      case 2: return (n - (e % n)) & 0xffff;
      case 3: {
        const high = (n + 1) >> 1;
        const phase = e % n;
        const half = phase < high ? phase : phase - high;
        return ((n & ~1) - 2 * half) & 0xffff;
      }
      default: return (((n - e) % 0x10000) + 0x10000) & 0xffff;
    }
  }

  /** The OUT pin at `tick` (datasheet, "Mode definitions"). */
  out(tick: number): boolean {
    if (!this.armed) return this.mode !== 0;
    const n = this.count;
    const e = this.elapsed(tick);
    switch (this.mode) {
      case 0: return e >= n;
      case 1: return !this.triggered || e >= n;
      case 2: return !this.gate || n < 2 || e % n !== n - 1;
      case 3: return !this.gate || n < 2 || e % n < ((n + 1) >> 1);
      default: return !this.running || e !== n; // modes 4, 5: one clock low at terminal count
    }
  }

  /** Elapsed-clock values at which OUT rises: periodic (period > 0) from `first`, or once at `first`. */
  private edges(): { first: number; period: number } | null {
    if (!this.armed || !this.running) return null;
    const n = this.count;
    switch (this.mode) {
      case 0: case 1: return { first: n, period: 0 };
      case 2: case 3: return n < 2 ? null : { first: n, period: n };
      default: return { first: n + 1, period: 0 };
    }
  }

  /** Whether OUT rose in the elapsed-clock interval (from, to]. */
  roseBetween(fromTick: number, toTick: number): boolean {
    const ed = this.edges();
    if (ed === null) return false;
    const a = this.elapsed(fromTick), b = this.elapsed(toTick);
    if (b < ed.first) return false;
    if (ed.period === 0) return a < ed.first;
    return Math.floor(b / ed.period) > Math.floor(a / ed.period);
  }

  /** The tick of the first OUT rising edge after `tick`, or Infinity. */
  nextEdge(tick: number): number {
    const ed = this.edges();
    if (ed === null) return Infinity;
    const e = this.elapsed(tick);
    let target: number;
    if (ed.period === 0) {
      if (e >= ed.first) return Infinity;
      target = ed.first;
    } else {
      target = e < ed.first ? ed.first : (Math.floor(e / ed.period) + 1) * ed.period;
    }
    return this.since + (target - this.base);
  }

  /** A control word for this counter (RW != 00) at `tick`: resets the control logic (datasheet "Write Operations"). */
  control(value: number): void {
    this.access = (value >> 4) & 3;
    this.mode = (value >> 1) & 7;
    if (this.mode > 5) this.mode -= 4; // modes 6 and 7 are 2 and 3 (datasheet, control word format)
    this.bcd = (value & 1) !== 0;
    this.armed = false;
    this.running = false;
    this.triggered = false;
    this.writeHigh = false;
    this.readHigh = false;
    this.latch.length = 0;
    this.countLatched = this.statusLatched = false;
  }

  /** The count takes effect on the next CLK pulse after it is written. */
  private load(n: number, tick: number): void {
    this.count = n === 0 ? 0x10000 : n;
    this.armed = true;
    this.base = 0;
    this.since = tick + 1;
    if (this.mode === 1 || this.mode === 5) {
      this.running = this.triggered;
    } else {
      this.running = this.gate;
    }
  }

  writeCount(value: number, tick: number): void {
    switch (this.access) {
      case 1: this.load(value, tick); break;
      case 2: this.load(value << 8, tick); break;
      default:
        if (!this.writeHigh) {
          this.lowByte = value;
          this.writeHigh = true;
          // Mode 0: writing the first byte stops the count and drives OUT low.
          if (this.mode === 0) this.armed = false;
        } else {
          this.writeHigh = false;
          this.load(this.lowByte | (value << 8), tick);
        }
    }
  }

  /** Status byte (datasheet "Read-Back Command", status format): OUT, NULL COUNT, RW, mode, BCD. */
  status(tick: number): number {
    const nullCount = !this.armed || tick < this.since;
    return (this.out(tick) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | (this.access << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
  }

  latchCount(tick: number): void {
    if (this.countLatched) return; // further latches are ignored until the latch is read
    this.countLatched = true;
    const v = this.value(tick);
    if (this.access === 1) this.latch.push(v & 0xff);
    else if (this.access === 2) this.latch.push(v >> 8);
    else this.latch.push(v & 0xff, v >> 8);
  }

  /** If both are latched, status is read first whichever was latched first (datasheet "Read-Back Command"). */
  latchStatus(tick: number): void {
    if (this.statusLatched) return;
    this.statusLatched = true;
    this.latch.unshift(this.status(tick));
  }

  read(tick: number): number {
    if (this.latch.length > 0) {
      const v = this.latch.shift()!;
      this.statusLatched = false; // the status byte, when latched, is always the first one out
      if (this.latch.length === 0) this.countLatched = false;
      return v;
    }
    const v = this.value(tick);
    switch (this.access) {
      case 1: return v & 0xff;
      case 2: return v >> 8;
      default:
        this.readHigh = !this.readHigh;
        return this.readHigh ? v & 0xff : v >> 8;
    }
  }

  setGate(level: boolean, tick: number): void {
    if (level === this.gate) return;
    this.gate = level;
    if (!this.armed) return;
    switch (this.mode) {
      case 0: case 4:
        // Gate low suspends counting; high resumes it.
        if (level) { this.running = true; this.since = tick; }
        else { this.base = this.elapsed(tick); this.running = false; }
        return;
      case 2: case 3:
        // Gate low stops counting (OUT high); the rising edge reloads the count on the next clock.
        if (level) { this.running = true; this.base = 0; this.since = tick + 1; }
        else { this.base = this.elapsed(tick); this.running = false; }
        return;
      default:
        // Modes 1 and 5: a rising edge (re)triggers; the gate level does not stop counting.
        if (level) { this.triggered = true; this.running = true; this.base = 0; this.since = tick + 1; }
    }
  }
}

export interface PitOptions {
  /** The current instruction count. */
  clock: Clock;
  /** IRQ 0 (counter 0's OUT): called with the new level; a rising edge is false then true. */
  irq0?: (level: boolean) => void;
}

export class Pit8254 implements IoDevice {
  readonly counters = [new PitCounter(true), new PitCounter(true), new PitCounter(false)];
  private readonly clock: Clock;
  private readonly irq0: (level: boolean) => void;
  /** PIT tick up to which counter 0's edges have been delivered. */
  private deliveredTick = 0;
  private irqLevel = false;
  /** Port 0x61 bits 3:0 as last written (gate 2, speaker data, parity and I/O check enables). */
  portB = 0;

  constructor(options: PitOptions) {
    this.clock = options.clock;
    this.irq0 = options.irq0 ?? (() => undefined);
    this.deliveredTick = ticksAt(this.clock(), PIT_HZ);
  }

  private tick(): number {
    return ticksAt(this.clock(), PIT_HZ);
  }

  /** Delivers counter 0's OUT changes up to virtual time `icount` to IRQ 0. */
  advanceTo(icount: number): void {
    const tick = ticksAt(icount, PIT_HZ);
    const c0 = this.counters[0];
    if (tick > this.deliveredTick) {
      if (c0.roseBetween(this.deliveredTick, tick)) {
        // However many periods passed, the PIC's edge detector sees one rising edge (as it would
        // if the CPU had been too busy to take the earlier ones).
        if (this.irqLevel) this.irq0(false);
        this.irq0(true);
        this.irqLevel = true;
      }
      this.deliveredTick = tick;
    }
    const level = c0.out(this.deliveredTick);
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq0(level);
    }
  }

  /** The instruction count at which IRQ 0 next rises after `icount`, or Infinity when it never will. */
  nextEventAt(icount: number): number {
    const edge = this.counters[0].nextEdge(ticksAt(icount, PIT_HZ));
    return edge === Infinity ? Infinity : icountAtTick(edge, PIT_HZ);
  }

  in(port: number, _size: number): number {
    const tick = this.tick();
    if (port === PORT_B) {
      const c2 = this.counters[2];
      return (this.portB & 0x0f) | (Math.floor(tick / REFRESH_PERIOD) & 1 ? 0x10 : 0) | (c2.out(tick) ? 0x20 : 0);
    }
    if (port === PIT_CONTROL) return 0xff; // the control word register cannot be read
    return this.counters[port & 3].read(tick);
  }

  out(port: number, _size: number, value: number): void {
    const now = this.clock();
    this.advanceTo(now);
    const tick = ticksAt(now, PIT_HZ);
    value &= 0xff;
    if (port === PORT_B) {
      this.portB = value & 0x0f;
      this.counters[2].setGate((value & 1) !== 0, tick);
    } else if (port !== PIT_CONTROL) {
      this.counters[port & 3].writeCount(value, tick);
    } else {
      const sc = value >> 6;
      if (sc === 3) {
        // Read-back (datasheet "Read-Back Command"): bit 5 = 0 latches counts, bit 4 = 0 latches status,
        // bits 3:1 select counters 2, 1, 0. Status is read before the count.
        for (let i = 0; i < 3; i++) {
          if (!(value & (2 << i))) continue;
          if (!(value & 0x20)) this.counters[i].latchCount(tick);
          if (!(value & 0x10)) this.counters[i].latchStatus(tick);
        }
      } else if ((value & 0x30) === 0) {
        this.counters[sc].latchCount(tick); // counter latch command
      } else {
        this.counters[sc].control(value);
      }
    }
    this.advanceTo(now);
  }
}
