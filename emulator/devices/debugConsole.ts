// debugConsole.ts: the Bochs/QEMU "port E9 hack" debug console (Bochs user manual, "Port E9 Hack";
// QEMU hw/char/debugcon.c): each byte written to port 0xE9 goes to the console; reading the port
// returns 0xE9, which is how guests detect that the console is present.
import type { IoDevice } from './ioBus';

export const DEBUG_CONSOLE_PORT = 0xe9;

export class DebugConsole implements IoDevice {
  /** `output` receives every byte the guest writes. */
  constructor(private readonly output: (byte: number) => void) {}

  in(_port: number, _size: number): number {
    return DEBUG_CONSOLE_PORT;
  }

  out(_port: number, _size: number, value: number): void {
    this.output(value & 0xff);
  }
}
