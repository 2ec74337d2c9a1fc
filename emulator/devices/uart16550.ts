// uart16550.ts: a National Semiconductor NS16550A UART (datasheet "PC16550D Universal Asynchronous
// Receiver/Transmitter with FIFOs", June 1995), as COM1 at 0x3F8 / IRQ 4 on a PC.
//
// Register map (datasheet Table II): offset 0 RBR/THR (DLL when LCR.DLAB=1), 1 IER (DLM), 2 IIR/FCR,
// 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR. The line itself is not timed: a byte written to THR is sent at
// once (THRE and TEMT read 1 again immediately), and received bytes are pulled from the input source
// whenever the receiver has room, so input never overruns and never depends on the baud rate. With
// the FIFOs enabled the character-timeout interrupt (IIR=0xC) is reported as soon as data sits below
// the trigger level, as if the four character times had already passed — deterministic, and what a
// driver waiting for it expects. The interrupt line goes to the PIC through MCR.OUT2, as the IBM PC
// serial adapter wires it (the OUT2 pin gates the IRQ driver).
import type { IoDevice } from './ioBus';

export const COM1_PORT = 0x3f8;
export const COM1_IRQ = 4;

// IER bits (datasheet §8.6).
const IER_ERBFI = 0x01; // received data available
const IER_ETBEI = 0x02; // transmitter holding register empty
const IER_ELSI = 0x04;  // receiver line status
const IER_EDSSI = 0x08; // modem status
// LCR (§8.2), MCR (§8.7), FCR (§8.5).
const LCR_DLAB = 0x80;
const MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
const FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02;
// LSR bits (§8.4).
export const LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10;
export const LSR_THRE = 0x20, LSR_TEMT = 0x40, LSR_RXFE = 0x80;
// MSR bits (§8.8).
export const MSR_DCTS = 0x01, MSR_DDSR = 0x02, MSR_TERI = 0x04, MSR_DDCD = 0x08;
export const MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
// IIR identification codes, highest priority first (Table IV).
export const IIR_NONE = 0x01, IIR_RLS = 0x06, IIR_RDA = 0x04, IIR_CTI = 0x0c, IIR_THRE = 0x02, IIR_MS = 0x00;
const IIR_FIFO = 0xc0;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14];

export interface UartOptions {
  /** Receives each byte transmitted (not in loopback mode). */
  output?: (byte: number) => void;
  /** The next received byte, or -1 when none is waiting (for `--input`); asked again on each register read. */
  input?: () => number;
  /** Drives the IRQ line (IRQ 4 for COM1) whenever its level changes. */
  raiseIrq?: (level: boolean) => void;
  /** Base port (default 0x3F8). */
  base?: number;
}

export class Uart16550 implements IoDevice {
  readonly base: number;
  private readonly output: (byte: number) => void;
  private readonly input: () => number;
  private readonly raiseIrq: (level: boolean) => void;

  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  /** Input pulled from the source but not yet received (the receive shift register). */
  private pending = -1;

  ier = 0;
  lcr = 0;
  mcr = 0;
  fcr = 0;
  scr = 0;
  dll = 0x0c; // 9600 baud at 1.8432 MHz; the datasheet leaves the latch undefined after reset
  dlm = 0;
  /** LSR error bits OE/PE/FE/BI, cleared by reading LSR. */
  private lsrErrors = 0;
  /** MSR delta bits, cleared by reading MSR. */
  private msrDelta = 0;
  /** The THRE interrupt is pending (§8.3: set when THR empties, cleared by IIR read naming it or THR write). */
  private thrInterrupt = false;
  private irqLevel = false;

  constructor(options: UartOptions = {}) {
    this.base = options.base ?? COM1_PORT;
    this.output = options.output ?? (() => undefined);
    this.input = options.input ?? (() => -1);
    this.raiseIrq = options.raiseIrq ?? (() => undefined);
    this.refill();
  }

  get fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  private get loopback(): boolean {
    return (this.mcr & MCR_LOOP) !== 0;
  }

  /** Receiver capacity: 16 with FIFOs, 1 (RBR) without. */
  private get capacity(): number {
    return this.fifoEnabled ? FIFO_SIZE : 1;
  }

  /** A character arriving at the receiver (from the line, or from THR in loopback). */
  private receive(byte: number): void {
    if (this.rxCount >= this.capacity) {
      // §8.4 LSR bit 1: the new character overwrites the shift register and is lost; FIFO contents stay.
      this.lsrErrors |= LSR_OE;
      if (!this.fifoEnabled) this.rx[this.rxHead] = byte; // without FIFO the RBR is overwritten
      return;
    }
    this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
    this.rxCount++;
  }

  /** Bytes handed over by pushInput, received before more is pulled from the input source. */
  private readonly queued: number[] = [];

  private nextInput(): number {
    return this.queued.length > 0 ? this.queued.shift()! : this.input();
  }

  /** Pulls input while the receiver has room; the serial input pin is disconnected in loopback (§8.7). */
  private refill(): void {
    while (!this.loopback && this.rxCount < this.capacity) {
      if (this.pending < 0) this.pending = this.nextInput();
      if (this.pending < 0) return;
      this.receive(this.pending & 0xff);
      this.pending = -1;
    }
  }

  /** Feeds bytes to the receiver from outside (an interactive terminal); they wait while the FIFO is full. */
  pushInput(bytes: Iterable<number>): void {
    for (const b of bytes) this.queued.push(b & 0xff);
    this.refill();
    this.updateIrq();
  }

  private lsr(): number {
    let v = LSR_THRE | LSR_TEMT | this.lsrErrors;
    if (this.rxCount > 0) v |= LSR_DR;
    // §8.4 bit 7: in FIFO mode, set when an error is in the FIFO; errors are only overruns here, never in the FIFO.
    return v;
  }

  /** Modem-status inputs: in loopback the outputs drive them (§8.7); otherwise a connected terminal (CTS, DSR, DCD). */
  private msrLines(): number {
    if (this.loopback) {
      return ((this.mcr & MCR_RTS) ? MSR_CTS : 0) | ((this.mcr & MCR_DTR) ? MSR_DSR : 0) |
        ((this.mcr & MCR_OUT1) ? MSR_RI : 0) | ((this.mcr & MCR_OUT2) ? MSR_DCD : 0);
    }
    return MSR_CTS | MSR_DSR | MSR_DCD;
  }

  private rxTrigger(): number {
    return this.fifoEnabled ? TRIGGER_LEVELS[this.fcr >> 6] : 1;
  }

  /** The highest-priority pending interrupt's IIR code (Table IV). */
  private iirCode(): number {
    if ((this.ier & IER_ELSI) && (this.lsrErrors & (LSR_OE | LSR_PE | LSR_FE | LSR_BI))) return IIR_RLS;
    if ((this.ier & IER_ERBFI) && this.rxCount > 0) {
      return this.rxCount >= this.rxTrigger() ? IIR_RDA : IIR_CTI;
    }
    if ((this.ier & IER_ETBEI) && this.thrInterrupt) return IIR_THRE;
    if ((this.ier & IER_EDSSI) && (this.msrDelta & 0x0f)) return IIR_MS;
    return IIR_NONE;
  }

  private updateIrq(): void {
    // The PC adapter drives IRQ only with OUT2 set; in loopback OUT2 is disconnected from its pin (§8.7).
    const level = this.iirCode() !== IIR_NONE && (this.mcr & MCR_OUT2) !== 0 && !this.loopback;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.raiseIrq(level);
    }
  }

  in(port: number, _size: number): number {
    // Look at the input source again, so data that arrived since (an interactive terminal) is seen
    // by a driver polling LSR.
    this.refill();
    const v = this.read((port - this.base) & 7);
    this.updateIrq();
    return v;
  }

  out(port: number, _size: number, value: number): void {
    this.write((port - this.base) & 7, value & 0xff);
    this.updateIrq();
  }

  private read(reg: number): number {
    switch (reg) {
      case 0: {
        if (this.lcr & LCR_DLAB) return this.dll;
        if (this.rxCount === 0) return this.fifoEnabled ? 0 : this.rx[this.rxHead];
        const v = this.rx[this.rxHead];
        this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
        this.rxCount--;
        this.refill();
        return v;
      }
      case 1: return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case 2: {
        const code = this.iirCode();
        // §8.3: reading IIR when it reports THRE clears that interrupt.
        if (code === IIR_THRE) this.thrInterrupt = false;
        return code | (this.fifoEnabled ? IIR_FIFO : 0);
      }
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: {
        const v = this.lsr();
        this.lsrErrors = 0;
        return v;
      }
      case 6: {
        const v = this.msrLines() | this.msrDelta;
        this.msrDelta = 0;
        return v;
      }
      default: return this.scr;
    }
  }

  private write(reg: number, value: number): void {
    switch (reg) {
      case 0:
        if (this.lcr & LCR_DLAB) { this.dll = value; return; }
        if (this.loopback) this.receive(value); else this.output(value);
        // Sent at once: THR is empty again, so a THRE interrupt is due (§8.3).
        this.thrInterrupt = true;
        return;
      case 1:
        if (this.lcr & LCR_DLAB) { this.dlm = value; return; }
        // Enabling ETBEI while THR is empty raises THRE at once (as the 16550A does; Linux's
        // serial8250 "THRE test" and QEMU rely on it).
        if ((value & IER_ETBEI) && !(this.ier & IER_ETBEI)) this.thrInterrupt = true;
        this.ier = value & 0x0f;
        return;
      case 2: {
        const wasEnabled = this.fifoEnabled;
        // §8.5: changing FCR0 clears both FIFOs; bits 1/2 clear them explicitly (TX is always empty here).
        if ((value & FCR_ENABLE) !== (this.fcr & FCR_ENABLE) || (value & FCR_CLEAR_RX)) {
          this.rxHead = this.rxCount = 0;
        }
        this.fcr = value & 0xc9;
        if (!this.fifoEnabled) this.fcr = 0;
        if (wasEnabled !== this.fifoEnabled || (value & FCR_CLEAR_RX)) this.refill();
        return;
      }
      case 3: this.lcr = value; return;
      case 4: {
        const before = this.msrLines();
        const wasLoop = this.loopback;
        this.mcr = value & 0x1f;
        const after = this.msrLines();
        // §8.8 delta bits: CTS/DSR/DCD changes, and RI going from on to off (trailing edge).
        const changed = before ^ after;
        if (changed & MSR_CTS) this.msrDelta |= MSR_DCTS;
        if (changed & MSR_DSR) this.msrDelta |= MSR_DDSR;
        if (changed & MSR_DCD) this.msrDelta |= MSR_DDCD;
        if ((before & MSR_RI) && !(after & MSR_RI)) this.msrDelta |= MSR_TERI;
        if (wasLoop && !this.loopback) this.refill();
        return;
      }
      case 5: return; // LSR is read-only (the datasheet reserves writes for factory test)
      case 6: return; // MSR is read-only
      default: this.scr = value;
    }
  }
}
