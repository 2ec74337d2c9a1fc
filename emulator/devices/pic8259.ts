// pic8259.ts: the PC's two Intel 8259A Programmable Interrupt Controllers (Intel 8259A datasheet,
// order 231468), master at 0x20/0x21 and slave at 0xA0/0xA1 cascaded on the master's IR2, plus the
// PIIX/ICH edge/level control registers (ELCR) at 0x4D0/0x4D1 (Intel 82371AB PIIX4 datasheet §12.3).
//
// Supported: ICW1–ICW4 (8086 mode; single or cascade; edge or level triggered via LTIM or ELCR),
// OCW1 masks, OCW2 (non-specific/specific EOI, rotate on EOI, rotate in auto-EOI, set priority),
// OCW3 (read IRR/ISR, poll, special mask mode), auto-EOI, fully nested priority with rotation.
// Edge-triggered requests are latched in IRR at the rising edge and kept until acknowledged even if
// the line falls first (as QEMU does): devices here are evaluated at coarse points of virtual time, so
// a short pulse must not be lost. A request the chip cannot name at INTA (the slave's request vanished)
// yields that chip's IR7 vector without setting ISR, the datasheet's "default IR7".
// Not modelled: buffered mode (meaningless here), 8080/8085 call vectors (ICW4.µPM=0 is treated as
// 8086 mode), special fully nested mode (stored, affects nothing but ISR visibility of the cascade).
import type { IoDevice } from './ioBus';

export const PIC_MASTER = 0x20;
export const PIC_SLAVE = 0xa0;
export const ELCR_PORT = 0x4d0;
const CASCADE_IRQ = 2;

/** One 8259A. Public fields are its registers, for the debugger. */
export class Pic8259Chip {
  irr = 0;       // interrupt request register
  isr = 0;       // in-service register
  imr = 0;       // interrupt mask register (OCW1)
  vectorBase = 0; // ICW2 T7–T3
  /** Lines seen high, for edge detection. */
  lines = 0;
  /** The IR with the lowest priority; priority runs from lowest+1 (highest) round to lowest. */
  lowest = 7;
  /** ICW sequence position: 0 = operational, 2/3/4 = the next byte on the odd port is that ICW. */
  initStep = 0;
  icw1 = 0;
  icw3 = 0;
  icw4 = 0;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialMask = false;
  readIsr = false;
  poll = false;
  /** ELCR: 1 bits are level triggered. ICW1.LTIM=1 makes every line level triggered. */
  elcr = 0;
  readonly elcrMask: number;

  constructor(elcrMask: number) {
    this.elcrMask = elcrMask;
  }

  private levelMode(mask: number): boolean {
    return (this.icw1 & 0x08) !== 0 || (this.elcr & mask) !== 0;
  }

  /** An IR input changes level (datasheet "Edge and Level Triggered Modes"). */
  setLine(line: number, level: boolean): void {
    const mask = 1 << line;
    if (this.levelMode(mask)) {
      if (level) this.irr |= mask; else this.irr &= ~mask;
    } else if (level && !(this.lines & mask)) {
      this.irr |= mask; // a rising edge latches the request; it stays until acknowledged
    }
    if (level) this.lines |= mask; else this.lines &= ~mask;
  }

  /** Highest-priority bit of `mask` in the current rotation, or 8 when none. */
  private priority(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while (!(mask & (1 << ((this.lowest + 1 + p) & 7)))) p++;
    return p;
  }

  private irqAt(p: number): number {
    return (this.lowest + 1 + p) & 7;
  }

  /**
   * The IR this chip would present to the CPU now, or -1: the highest-priority unmasked request
   * that outranks everything in service (datasheet "Fully Nested Mode"; in special mask mode only
   * unmasked in-service levels block, "Special Mask Mode").
   */
  pending(): number {
    const p = this.priority(this.irr & ~this.imr);
    if (p === 8) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode (ICW4.SFNM) on the master lets the cascade interrupt again while in service.
    if ((this.icw4 & 0x10) && (this.icw1 & 0x02) === 0 && (this.icw3 & 0xff) !== 0) inService &= ~this.icw3;
    return p < this.priority(inService) ? this.irqAt(p) : -1;
  }

  /** The INTA sequence for `irq` (datasheet "Interrupt Sequence" steps 4–5). */
  acknowledge(irq: number): void {
    const mask = 1 << irq;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowest = irq;
    } else {
      this.isr |= mask;
    }
    if (!this.levelMode(mask)) this.irr &= ~mask;
  }

  /** Non-specific EOI: clears the highest-priority in-service bit, returning it (or -1). */
  private eoiHighest(): number {
    const p = this.priority(this.isr);
    if (p === 8) return -1;
    const irq = this.irqAt(p);
    this.isr &= ~(1 << irq);
    return irq;
  }

  writeCommand(value: number): void {
    if (value & 0x10) {
      // ICW1 (datasheet "Initialization Command Words"): edge sense reset, IMR cleared, IR7 lowest,
      // special mask mode cleared, status read set to IRR; ICW4 functions cleared when IC4=0.
      // The datasheet does not say IRR/ISR are cleared; real chips and QEMU do, and BIOSes rely on it.
      this.icw1 = value;
      this.initStep = 2;
      this.imr = 0;
      this.irr = 0;
      this.isr = 0;
      this.lines = 0;
      this.lowest = 7;
      this.specialMask = false;
      this.readIsr = false;
      this.poll = false;
      if (!(value & 0x01)) { this.icw4 = 0; this.autoEoi = false; }
      return;
    }
    if (value & 0x08) {
      // OCW3: bit 2 poll, bits 1:0 read register (10 IRR, 11 ISR), bits 6:5 special mask (11 set, 10 reset).
      if (value & 0x04) this.poll = true;
      if ((value & 0x02)) this.readIsr = (value & 0x01) !== 0;
      if ((value & 0x40)) this.specialMask = (value & 0x20) !== 0;
      return;
    }
    // OCW2: bits 7:5 R, SL, EOI; bits 2:0 the level for the specific commands.
    const level = value & 7;
    switch (value >> 5) {
      case 0: this.rotateOnAutoEoi = false; break;        // rotate in auto-EOI mode (clear)
      case 1: this.eoiHighest(); break;                    // non-specific EOI
      case 2: break;                                        // no operation
      case 3: this.isr &= ~(1 << level); break;             // specific EOI
      case 4: this.rotateOnAutoEoi = true; break;         // rotate in auto-EOI mode (set)
      case 5: {                                            // rotate on non-specific EOI
        const irq = this.eoiHighest();
        if (irq >= 0) this.lowest = irq;
        break;
      }
      case 6: this.lowest = level; break;                  // set priority
      case 7: this.isr &= ~(1 << level); this.lowest = level; break; // rotate on specific EOI
    }
  }

  writeData(value: number): void {
    switch (this.initStep) {
      case 2:
        this.vectorBase = value & 0xf8;
        this.initStep = this.icw1 & 0x02 ? (this.icw1 & 0x01 ? 4 : 0) : 3;
        return;
      case 3:
        this.icw3 = value;
        this.initStep = this.icw1 & 0x01 ? 4 : 0;
        return;
      case 4:
        this.icw4 = value;
        this.autoEoi = (value & 0x02) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = value; // OCW1
    }
  }

  readCommand(): number {
    if (this.poll) {
      // Poll command: the next read is the poll word (bit 7 = interrupt, bits 2:0 = level), acknowledged as by INTA.
      this.poll = false;
      const irq = this.pending();
      if (irq < 0) return 0;
      this.acknowledge(irq);
      return 0x80 | irq;
    }
    return this.readIsr ? this.isr : this.irr;
  }
}

export interface PicOptions {
  /** Called when the INTR output to the CPU changes level. */
  intr?: (level: boolean) => void;
}

/** The master/slave pair of a PC/AT: IRQ 0–7 on the master, 8–15 on the slave, slave INT on master IR2. */
export class Pic8259 implements IoDevice {
  // ELCR: the PIIX4 keeps IRQ 0, 1, 2, 8 and 13 edge triggered (the bits are reserved, read 0).
  readonly master = new Pic8259Chip(0xf8);
  readonly slave = new Pic8259Chip(0xde);
  private readonly intr: (level: boolean) => void;
  private intrLevel = false;

  constructor(options: PicOptions = {}) {
    this.intr = options.intr ?? (() => undefined);
  }

  /** An interrupt request line (0–15) changes level. */
  irq(line: number, level: boolean): void {
    if (line >= 8) this.slave.setLine(line - 8, level);
    else this.master.setLine(line, level);
    this.update();
  }

  /** Whether the master is asserting INTR (the CPU takes it when EFLAGS.IF allows). */
  hasInterrupt(): boolean {
    return this.master.pending() >= 0;
  }

  /**
   * The CPU's interrupt acknowledge cycle: returns the vector and moves the request into service,
   * or -1 when nothing is pending. A request that vanished between INTR and INTA yields the
   * chip's IR7 vector without setting ISR (datasheet: "default IR7", the spurious interrupt).
   */
  intAck(): number {
    const irq = this.master.pending();
    if (irq < 0) return -1;
    this.master.acknowledge(irq);
    let vector: number;
    if (irq === CASCADE_IRQ && (this.master.icw1 & 0x02) === 0) {
      const slaveIrq = this.slave.pending();
      if (slaveIrq >= 0) {
        this.slave.acknowledge(slaveIrq);
        vector = this.slave.vectorBase + slaveIrq;
      } else {
        vector = this.slave.vectorBase + 7;
      }
    } else {
      vector = this.master.vectorBase + irq;
    }
    this.update();
    return vector;
  }

  /** Recomputes the cascade line and INTR. */
  private update(): void {
    this.master.setLine(CASCADE_IRQ, this.slave.pending() >= 0);
    const level = this.master.pending() >= 0;
    if (level !== this.intrLevel) {
      this.intrLevel = level;
      this.intr(level);
    }
  }

  in(port: number, _size: number): number {
    let v: number;
    switch (port) {
      case PIC_MASTER: v = this.master.readCommand(); break;
      case PIC_MASTER + 1: v = this.master.imr; break;
      case PIC_SLAVE: v = this.slave.readCommand(); break;
      case PIC_SLAVE + 1: v = this.slave.imr; break;
      case ELCR_PORT: return this.master.elcr;
      case ELCR_PORT + 1: return this.slave.elcr;
      default: return 0xff;
    }
    this.update();
    return v;
  }

  out(port: number, _size: number, value: number): void {
    value &= 0xff;
    switch (port) {
      case PIC_MASTER: this.master.writeCommand(value); break;
      case PIC_MASTER + 1: this.master.writeData(value); break;
      case PIC_SLAVE: this.slave.writeCommand(value); break;
      case PIC_SLAVE + 1: this.slave.writeData(value); break;
      case ELCR_PORT: this.master.elcr = value & this.master.elcrMask; break;
      case ELCR_PORT + 1: this.slave.elcr = value & this.slave.elcrMask; break;
      default: return;
    }
    this.update();
  }
}
