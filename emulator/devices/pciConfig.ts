// pciConfig.ts: PCI configuration mechanism #1 with no device behind it (PCI Local Bus Specification 3.0
// §3.2.2.3.2): the 32-bit CONFIG_ADDRESS register at 0xCF8 keeps what is written (enable bit 31, bus,
// device, function, register; bits 30:24 and 1:0 read as 0), and CONFIG_DATA at 0xCFC–0xCFF reads all ones
// and drops writes — a configuration read that no device claims ends in a master abort, which returns
// all 1's (§6.1), i.e. vendor ID FFFFh: "no device". So software finds the mechanism, then an empty bus.
// Only 32-bit accesses to 0xCF8 reach CONFIG_ADDRESS (§3.2.2.3.2); byte accesses there go to the ISA bus.
import type { IoDevice } from './ioBus';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;

export class PciConfig implements IoDevice {
  /** CONFIG_ADDRESS as last written. */
  address = 0;

  in(port: number, size: number): number {
    if (port === PCI_CONFIG_ADDRESS && size === 4) return this.address >>> 0;
    if (port >= PCI_CONFIG_DATA) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff; // not CONFIG_ADDRESS: the bus floats
  }

  out(port: number, size: number, value: number): void {
    if (port === PCI_CONFIG_ADDRESS && size === 4) this.address = (value & 0x80fffffc) >>> 0;
    // CONFIG_DATA: no device claims the cycle; the write is dropped.
  }
}
