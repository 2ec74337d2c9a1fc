// exitPort.ts: QEMU's isa-debug-exit device (QEMU hw/misc/debugexit.c) at port 0xF4: a write of
// value V, of any width, ends the machine with exit status (V << 1) | 1 — always odd, so it never
// collides with the emulator's own even statuses (design.md, CLI exit status). Register it on the
// bus with `wide: true` so 16/32-bit writes arrive whole.
import type { IoDevice } from './ioBus';

export const EXIT_PORT = 0xf4;

export class ExitPort implements IoDevice {
  /**
   * `onExit` receives the status, computed as QEMU does (`exit((val << 1) | 1)` truncated to a
   * 32-bit int, here as uint32; the host process keeps its low 8 bits), and the value written.
   */
  constructor(private readonly onExit: (code: number, value: number) => void) {}

  /** QEMU's debug-exit region reads as 0 (debug_exit_read returns 0). */
  in(_port: number, _size: number): number {
    return 0;
  }

  out(_port: number, size: number, value: number): void {
    const v = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
    this.onExit(((v << 1) | 1) >>> 0, v);
  }
}
