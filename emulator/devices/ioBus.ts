// ioBus.ts: the PC's I/O port space as the CPU sees it (cpu.io): routes port ranges to devices.
//
// Decoding follows the ISA bus (IBM PC AT Technical Reference, "I/O Channel"; PCI-to-ISA bridges such
// as the PIIX4 keep it): almost every legacy device is an 8-bit ISA device, and the bridge turns a
// 16- or 32-bit IN/OUT into consecutive byte cycles at port, port+1, ... . So by default a device gets
// byte accesses only, and a word access at 0x3F8 reaches 0x3F8 and 0x3F9 separately, each routed to
// whoever claims that port. A device registered with `wide: true` (the exit port, PCI-style
// registers) receives accesses starting in its range whole, with their real size.
// Ports nobody claims float high: reads give all ones, writes are ignored (ISA data lines are pulled up).
import type { PortIo } from '../cpu/state';

/** A device on the bus: the same shape as the CPU's PortIo. Byte devices only ever see size 1. */
export type IoDevice = PortIo;

export interface RegisterOptions {
  /** Pass 16/32-bit accesses whole instead of splitting them into byte cycles. */
  wide?: boolean;
}

const PORTS = 0x10000;

export class IoBus implements PortIo {
  /** Device index + 1 per port; 0 = unclaimed. */
  private readonly owner = new Uint8Array(PORTS);
  private readonly devices: IoDevice[] = [];
  private readonly wide: boolean[] = [];

  /** Claims ports first..last (inclusive) for `device`; a later registration replaces an earlier one. */
  register(first: number, last: number, device: IoDevice, options: RegisterOptions = {}): void {
    if (first < 0 || last >= PORTS || first > last) throw new RangeError(`ioBus: bad port range 0x${first.toString(16)}-0x${last.toString(16)}`);
    let index = this.devices.indexOf(device);
    if (index < 0) {
      if (this.devices.length >= 255) throw new RangeError('ioBus: more than 255 devices');
      index = this.devices.length;
      this.devices.push(device);
      this.wide.push(options.wide === true);
    }
    this.owner.fill(index + 1, first, last + 1);
  }

  /** The device claiming `port`, or null. */
  deviceAt(port: number): IoDevice | null {
    const o = this.owner[port & 0xffff];
    return o === 0 ? null : this.devices[o - 1];
  }

  in(port: number, size: number): number {
    port &= 0xffff;
    const o = this.owner[port];
    if (size === 1) return o === 0 ? 0xff : this.devices[o - 1].in(port, 1) & 0xff;
    if (o !== 0 && this.wide[o - 1]) {
      const v = this.devices[o - 1].in(port, size);
      return size === 4 ? v >>> 0 : v & 0xffff;
    }
    let v = 0;
    for (let b = 0; b < size; b++) v |= this.in((port + b) & 0xffff, 1) << (8 * b);
    return v >>> 0;
  }

  out(port: number, size: number, value: number): void {
    port &= 0xffff;
    const o = this.owner[port];
    if (size === 1) {
      if (o !== 0) this.devices[o - 1].out(port, 1, value & 0xff);
      return;
    }
    if (o !== 0 && this.wide[o - 1]) {
      this.devices[o - 1].out(port, size, size === 4 ? value >>> 0 : value & 0xffff);
      return;
    }
    for (let b = 0; b < size; b++) this.out((port + b) & 0xffff, 1, (value >>> (8 * b)) & 0xff);
  }
}
