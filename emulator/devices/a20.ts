// a20.ts: the A20 gate and the PS/2 "System Control Port A" at 0x92 (IBM PS/2 Hardware Interface
// Technical Reference, "System Control Port A"; Intel 82371AB PIIX4 datasheet, Port 92h): bit 1
// enables A20 (fast A20), writing bit 0 as 1 pulses the CPU reset line (fast reset).
// The A20 line is the OR of this port's bit 1 and the keyboard controller's output-port bit 1
// (keyboardController.ts), as chipsets combine them.
import type { IoDevice } from './ioBus';

export const PORT_A = 0x92;

/** The A20 line and its two sources. */
export class A20Gate {
  /** Port 0x92 bit 1. */
  private fast = false;
  /** The 8042 output port bit 1. */
  private kbc = false;
  private line = false;

  /** `onA20` is called when the line changes; `initial` sets both sources (BIOS boots leave A20 on). */
  constructor(private readonly onA20: (enabled: boolean) => void = () => undefined, initial = false) {
    this.fast = this.kbc = this.line = initial;
  }

  get enabled(): boolean { return this.line; }
  get fastEnabled(): boolean { return this.fast; }
  get kbcEnabled(): boolean { return this.kbc; }

  setFast(on: boolean): void { this.fast = on; this.update(); }
  setKbc(on: boolean): void { this.kbc = on; this.update(); }

  private update(): void {
    const line = this.fast || this.kbc;
    if (line !== this.line) {
      this.line = line;
      this.onA20(line);
    }
  }
}

/** Port 0x92. */
export class SystemControlPortA implements IoDevice {
  /** Bits other than 0 and 1 as last written (bits 7:6 drive the PS/2 activity light; kept, not used). */
  private other = 0;

  constructor(private readonly gate: A20Gate, private readonly onReset: () => void = () => undefined) {}

  in(_port: number, _size: number): number {
    // Bit 0 reads 0 once the reset pulse is over (it is a pulse, never held).
    return (this.other & 0xfc) | (this.gate.fastEnabled ? 0x02 : 0);
  }

  out(_port: number, _size: number, value: number): void {
    this.other = value & 0xfc;
    this.gate.setFast((value & 0x02) !== 0);
    if (value & 0x01) this.onReset();
  }
}
