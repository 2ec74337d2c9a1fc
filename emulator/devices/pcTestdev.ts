// pcTestdev.ts: QEMU's pc-testdev (`--device pc-testdev`), the ISA test device of kvm-unit-tests, with the
// semantics of QEMU's hw/misc/pc-testdev.c:
//   0xE0–0xE3  a 32-bit read-back register: an access of width w at port 0xE0+k reads or replaces the
//              bytes k..k+w-1 of the register (test_ioport_read/write: mask shifted by (port & 3) * 8).
//              The region's ops leave valid.unaligned false, so QEMU's memory core refuses an access whose
//              port is not a multiple of its width (memory_region_access_valid): the write is dropped and
//              the read gives 0 (unassigned_mem_read) — `outw` at 0xE1 changes nothing;
//   0xE4–0xE7  "flush page": a dword write names a guest page whose host mapping QEMU re-protects; nothing
//              to do here (our memory has no host mapping to flush), reads give 0;
//   0x2000–0x2017  IRQ lines: a byte write of V at 0x2000+n sets ISA IRQ n to (V != 0), reads give 0;
//   0xFF000000  an MMIO buffer that reads back what was written (test_iomem_read/write, any width).
// QEMU also maps the same register byte-wise at 0xE8–0xEB; design.md keeps port 0xE9 for the debug
// console every program relies on, so that alias is not plugged.
import type { MmioDevice } from '../mem/physical';
import type { IoDevice } from './ioBus';

export const TESTDEV_PORT = 0xe0;
export const TESTDEV_FLUSH_PORT = 0xe4;
export const TESTDEV_IRQ_PORT = 0x2000;
/** IRQ lines 0..23 of pc-testdev-irq-line (24 ports); the 8259 pair wires up 0..15. */
export const TESTDEV_IRQ_LINES = 24;
export const TESTDEV_IOMEM_BASE = 0xff000000;
/** IOMEM_LEN of pc-testdev.c: 64 KiB. */
export const TESTDEV_IOMEM_SIZE = 0x10000;

export interface PcTestdevOptions {
  /** Sets ISA IRQ `line` to `level` (the 8259 pair). */
  irq: (line: number, level: boolean) => void;
}

/** The four ports 0xE0–0xE3: one 32-bit register, read back at any width and offset. */
class ReadBackPort implements IoDevice {
  data = 0;
  in(port: number, size: number): number {
    if ((port & (size - 1)) !== 0) return 0;
    const shift = (port & 3) * 8;
    const mask = ((0xffffffff >>> (32 - size * 8)) << shift) >>> 0;
    return ((this.data & mask) >>> shift) >>> 0;
  }
  out(port: number, size: number, value: number): void {
    if ((port & (size - 1)) !== 0) return;
    const shift = (port & 3) * 8;
    const mask = ((0xffffffff >>> (32 - size * 8)) << shift) >>> 0;
    // (data << start_bit) is truncated to the 32-bit register, as in the C code.
    this.data = ((this.data & ~mask) | (value << shift)) >>> 0;
  }
}

/** The flush-page ports and the IRQ lines: write-only, reads give 0. */
class WriteOnlyPorts implements IoDevice {
  constructor(private readonly irq: (line: number, level: boolean) => void) {}
  in(): number {
    return 0;
  }
  out(port: number, _size: number, value: number): void {
    const line = port - TESTDEV_IRQ_PORT;
    if (line >= 0 && line < TESTDEV_IRQ_LINES) this.irq(line, value !== 0);
    // 0xE4: flushing a host mapping has no meaning for our memory.
  }
}

/** The MMIO page: a plain buffer, little-endian, any width. */
class IoMem implements MmioDevice {
  readonly bytes = new Uint8Array(TESTDEV_IOMEM_SIZE);
  read(offset: number, size: number): number {
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = (v << 8) | (this.bytes[offset + k] ?? 0);
    return v >>> 0;
  }
  write(offset: number, size: number, value: number): void {
    for (let k = 0; k < size && offset + k < TESTDEV_IOMEM_SIZE; k++) this.bytes[offset + k] = (value >>> (8 * k)) & 0xff;
  }
}

export class PcTestdev {
  readonly port = new ReadBackPort();
  readonly writeOnly: WriteOnlyPorts;
  readonly iomem = new IoMem();

  constructor(o: PcTestdevOptions) {
    this.writeOnly = new WriteOnlyPorts(o.irq);
  }
}
