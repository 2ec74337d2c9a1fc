// pcDevices.ts: the legacy PC devices wired together on one I/O bus, as the machine plugs them in:
// PIT counter 0 → IRQ 0, COM1 → IRQ 4 and the RTC → IRQ 8 on the 8259 pair, the ACPI PM registers, port 0x61 with the PIT, A20 from port 0x92
// and the 8042, the CMOS sized from the RAM. `programAsBios()` leaves them as a PC BIOS does before
// booting (design.md, "Devices every boot program can rely on").
import { AcpiPm, PM1A_CNT_BLK, PM1A_EVT_BLK, PM_TMR_BLK } from './acpiPm';
import { PciConfig, PCI_CONFIG_ADDRESS, PCI_CONFIG_DATA } from './pciConfig';
import { A20Gate, PORT_A, SystemControlPortA } from './a20';
import { Cmos, CMOS_DATA, CMOS_INDEX } from './cmos';
import { DEBUG_CONSOLE_PORT, DebugConsole } from './debugConsole';
import { EXIT_PORT, ExitPort } from './exitPort';
import { IoBus } from './ioBus';
import { KBC_DATA, KBC_STATUS, KeyboardController } from './keyboardController';
import { ELCR_PORT, Pic8259, PIC_MASTER, PIC_SLAVE } from './pic8259';
import { Pit8254, PIT_CONTROL, PIT_PORT, PORT_B } from './pit8254';
import type { Clock } from './time';
import { COM1_IRQ, COM1_PORT, Uart16550 } from './uart16550';

export interface PcDevicesOptions {
  /** The current instruction count (virtual time). */
  clock: Clock;
  /** Guest console: bytes from COM1's transmitter and from port 0xE9. */
  output?: (byte: number) => void;
  /** COM1's receiver input (`--input`): the next byte, or -1 when none is waiting. */
  input?: () => number;
  /** The exit port was written: status (V << 1) | 1. */
  onExit?: (code: number) => void;
  /** ACPI soft-off (S5) was requested through PM1a_CNT (acpiPm.ts). */
  onPowerOff?: () => void;
  /** A reset was requested (port 0x92 bit 0, 8042 reset pulse). */
  onReset?: () => void;
  /** The A20 line changed. */
  onA20?: (enabled: boolean) => void;
  /** The PIC's INTR output changed (the run loop should look at interrupts: ATTN_IRQ). */
  onIntr?: (level: boolean) => void;
  ramBelow4G?: number;
  ramAbove4G?: number;
  /** RTC time at instruction 0, in seconds since the Unix epoch (default 2000-01-01 00:00:00 UTC). */
  startTime?: number;
}

export class PcDevices {
  readonly bus = new IoBus();
  readonly pic: Pic8259;
  readonly pit: Pit8254;
  readonly uart: Uart16550;
  readonly cmos: Cmos;
  readonly a20: A20Gate;
  readonly portA: SystemControlPortA;
  readonly kbc: KeyboardController;
  readonly debugConsole: DebugConsole;
  readonly exitPort: ExitPort;
  /** The ACPI PM1a event/control registers and PM timer the BIOS's FADT describes. */
  readonly acpiPm: AcpiPm;
  /** PCI configuration mechanism #1 with an empty bus. */
  readonly pci = new PciConfig();

  constructor(o: PcDevicesOptions) {
    const output = o.output ?? (() => undefined);
    const onReset = o.onReset ?? (() => undefined);
    this.pic = new Pic8259({ intr: o.onIntr ?? (() => undefined) });
    this.pit = new Pit8254({ clock: o.clock, irq0: (level) => this.pic.irq(0, level) });
    this.uart = new Uart16550({ output, input: o.input ?? (() => -1), raiseIrq: (level) => this.pic.irq(COM1_IRQ, level) });
    this.cmos = new Cmos({ clock: o.clock, raiseIrq: (level) => this.pic.irq(8, level), ramBelow4G: o.ramBelow4G ?? 0, ramAbove4G: o.ramAbove4G ?? 0, ...(o.startTime !== undefined ? { startTime: o.startTime } : {}) });
    this.a20 = new A20Gate(o.onA20 ?? (() => undefined));
    this.portA = new SystemControlPortA(this.a20, onReset);
    this.kbc = new KeyboardController(this.a20, onReset);
    this.debugConsole = new DebugConsole(output);
    this.exitPort = new ExitPort(o.onExit ?? (() => undefined));
    this.acpiPm = new AcpiPm({ clock: o.clock, onPowerOff: o.onPowerOff ?? (() => undefined) });

    const bus = this.bus;
    bus.register(PIC_MASTER, PIC_MASTER + 1, this.pic);
    bus.register(PIC_SLAVE, PIC_SLAVE + 1, this.pic);
    bus.register(ELCR_PORT, ELCR_PORT + 1, this.pic);
    bus.register(PIT_PORT, PIT_CONTROL, this.pit);
    bus.register(PORT_B, PORT_B, this.pit);
    bus.register(KBC_DATA, KBC_DATA, this.kbc);
    bus.register(KBC_STATUS, KBC_STATUS, this.kbc);
    bus.register(CMOS_INDEX, CMOS_DATA, this.cmos);
    bus.register(PORT_A, PORT_A, this.portA);
    bus.register(COM1_PORT, COM1_PORT + 7, this.uart);
    bus.register(DEBUG_CONSOLE_PORT, DEBUG_CONSOLE_PORT, this.debugConsole);
    bus.register(EXIT_PORT, EXIT_PORT, this.exitPort, { wide: true });
    // ACPI PM1a_EVT_BLK (4 bytes), PM1a_CNT_BLK (2) and PM_TMR_BLK (4): OSPM reads them with their widths.
    bus.register(PM1A_EVT_BLK, PM1A_CNT_BLK + 1, this.acpiPm, { wide: true });
    bus.register(PM_TMR_BLK, PM_TMR_BLK + 3, this.acpiPm, { wide: true });
    // PCI configuration mechanism #1: the address register, and data that no device answers.
    bus.register(PCI_CONFIG_ADDRESS, PCI_CONFIG_ADDRESS, this.pci, { wide: true });
    bus.register(PCI_CONFIG_DATA, PCI_CONFIG_DATA + 3, this.pci, { wide: true });
  }

  /** Delivers timer events up to virtual time `icount` (call before checking for interrupts). */
  advanceTo(icount: number): void {
    this.pit.advanceTo(icount);
    this.cmos.advanceTo(icount);
  }

  /** When the next device interrupt is due after `icount` (Infinity: none), so HLT can skip ahead. */
  nextEventAt(icount: number): number {
    return Math.min(this.pit.nextEventAt(icount), this.cmos.nextEventAt(icount));
  }

  /**
   * The state a PC BIOS leaves behind, programmed through the ports as the BIOS does it: PICs at
   * vectors 0x08 and 0x70 with the timer and cascade unmasked, PIT counter 0 in mode 3 at 18.2 Hz
   * (count 65536) and counter 1 as the DRAM refresh timer (mode 2, count 18), A20 enabled.
   */
  programAsBios(): void {
    const out = (port: number, value: number) => this.bus.out(port, 1, value);
    // The PIT first: its control word raising OUT 0 is an edge, which the PICs' ICW1 then forgets,
    // as the BIOS's own early timer edges are long serviced by the time it boots a program.
    out(PIT_CONTROL, 0x36); out(PIT_PORT, 0x00); out(PIT_PORT, 0x00);
    out(PIT_CONTROL, 0x54); out(PIT_PORT + 1, 18);
    out(PIC_MASTER, 0x11); out(PIC_MASTER + 1, 0x08); out(PIC_MASTER + 1, 0x04); out(PIC_MASTER + 1, 0x01);
    out(PIC_SLAVE, 0x11); out(PIC_SLAVE + 1, 0x70); out(PIC_SLAVE + 1, 0x02); out(PIC_SLAVE + 1, 0x01);
    out(PIC_MASTER + 1, 0xfa); // IRQ 0 (timer) and IRQ 2 (cascade) unmasked
    out(PIC_SLAVE + 1, 0xff);
    out(PORT_A, 0x02);
  }
}
