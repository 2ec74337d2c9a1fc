// keyboardController.ts: a minimal Intel 8042 keyboard controller as the PC/AT uses it (IBM PC AT
// Technical Reference, "Keyboard Controller"; the 8042 commands as documented there), at ports 0x60
// (data) and 0x64 (status on read, command on write). It exists so boot code can gate A20 through it
// and never spin on it forever: the input buffer is always empty (status bit 1 = 0), the system flag
// is set (POST passed), and commands complete at once.
// Supported commands: 0x20/0x60 read/write the command byte, 0xAA self test (0x55), 0xAB interface
// test (0x00), 0xAD/0xAE disable/enable keyboard, 0xA7/0xA8 disable/enable mouse, 0xD0/0xD1 read/write
// the output port (bit 1 = A20, bit 0 = 0 resets the CPU), 0xDD/0xDF A20 off/on (HP/Phoenix
// extension), 0xFE and 0xF0–0xFD pulse the output port (bit 0 low = reset). Bytes written to 0x60
// without a pending command are keyboard commands: every one is acknowledged with 0xFA, and 0xFF
// (reset) also answers 0xAA (self test passed). No scan codes, no IRQ 1/12, no mouse.
import type { IoDevice } from './ioBus';
import type { A20Gate } from './a20';

export const KBC_DATA = 0x60;
export const KBC_STATUS = 0x64;

// Status register bits.
const STATUS_OBF = 0x01;   // output buffer full: data waiting at 0x60
const STATUS_SYS = 0x04;   // system flag: self test passed
const STATUS_CMD = 0x08;   // last write was to 0x64 (command)

export class KeyboardController implements IoDevice {
  /** The 8042 command byte (IBM default after POST: keyboard interrupt on, system flag, translate). */
  commandByte = 0x45;
  private readonly outputBuffer: number[] = [];
  private pendingCommand = 0;
  private lastWasCommand = false;

  constructor(private readonly gate: A20Gate, private readonly onReset: () => void = () => undefined) {}

  /** The output port: bit 0 reset line (1 = running), bit 1 A20. */
  private outputPort(): number {
    return 0x01 | (this.gate.kbcEnabled ? 0x02 : 0);
  }

  private writeOutputPort(value: number): void {
    this.gate.setKbc((value & 0x02) !== 0);
    if (!(value & 0x01)) this.onReset();
  }

  in(port: number, _size: number): number {
    if (port === KBC_STATUS) {
      return (this.outputBuffer.length > 0 ? STATUS_OBF : 0) | STATUS_SYS | (this.lastWasCommand ? STATUS_CMD : 0);
    }
    return this.outputBuffer.length > 0 ? this.outputBuffer.shift()! : 0;
  }

  out(port: number, _size: number, value: number): void {
    value &= 0xff;
    if (port === KBC_STATUS) {
      this.lastWasCommand = true;
      this.command(value);
      return;
    }
    this.lastWasCommand = false;
    const cmd = this.pendingCommand;
    this.pendingCommand = 0;
    if (cmd === 0x60) this.commandByte = value;
    else if (cmd === 0xd1) this.writeOutputPort(value);
    else if (cmd === 0xd2 || cmd === 0xd3) this.outputBuffer.push(value); // echo as if from keyboard/mouse
    else if (cmd === 0xd4) this.outputBuffer.push(0xfa); // to the mouse: acknowledged
    else {
      this.outputBuffer.push(0xfa);
      if (value === 0xff) this.outputBuffer.push(0xaa);
    }
  }

  private command(cmd: number): void {
    switch (cmd) {
      case 0x20: this.outputBuffer.push(this.commandByte); return;
      case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: this.pendingCommand = cmd; return;
      case 0xaa: this.outputBuffer.push(0x55); return;
      case 0xab: this.outputBuffer.push(0x00); return;
      case 0xa9: this.outputBuffer.push(0x00); return; // mouse interface test
      case 0xad: this.commandByte |= 0x10; return;
      case 0xae: this.commandByte &= ~0x10; return;
      case 0xa7: this.commandByte |= 0x20; return;
      case 0xa8: this.commandByte &= ~0x20; return;
      case 0xd0: this.outputBuffer.push(this.outputPort()); return;
      case 0xdd: this.gate.setKbc(false); return;
      case 0xdf: this.gate.setKbc(true); return;
      default:
        // 0xF0–0xFF pulse output-port bits 3:0 low where the command's bit is 0; bit 0 is the reset line.
        if (cmd >= 0xf0 && !(cmd & 0x01)) this.onReset();
    }
  }
}
