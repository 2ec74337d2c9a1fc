// acpiPm.ts: the ACPI fixed-hardware power-management registers the BIOS's FADT points at (bios/acpi.ts):
// the PM1a event block (PM1 status and enable), the PM1a control block and the PM timer, at ports
// 0x600–0x60B as on QEMU's PIIX4 (free here: the BIOS service ports end at 0x5FF). Enough for an OS to
// find the machine in ACPI mode and to power it off: writing SLP_TYP = the \_S5 value with SLP_EN set
// ends the run (onPowerOff). References: ACPI 6.4 §4.8.3.1 (PM1 event), §4.8.3.2 (PM1 control),
// §4.8.3.3 (PM timer), §16.1.5 (entering S5 writes SLP_TYP then SLP_EN).
import type { IoDevice } from './ioBus';
import { ticksAt } from './time';
import type { Clock } from './time';

/** PM1a_EVT_BLK: PM1 status (2 bytes) then PM1 enable (2 bytes); PM1_EVT_LEN = 4. */
export const PM1A_EVT_BLK = 0x600;
export const PM1_EVT_LEN = 4;
/** PM1a_CNT_BLK: PM1 control (2 bytes); PM1_CNT_LEN = 2. */
export const PM1A_CNT_BLK = 0x604;
export const PM1_CNT_LEN = 2;
/** PM_TMR_BLK: the 24-bit PM timer (read as 4 bytes); PM_TMR_LEN = 4. */
export const PM_TMR_BLK = 0x608;
export const PM_TMR_LEN = 4;
/** ACPI 6.4 §4.8.3.3: the PM timer runs at 3.579545 MHz. */
export const PM_TIMER_HZ = 3_579_545;
/** The SLP_TYP value the DSDT's \_S5 package gives for the soft-off state (our choice: any 3-bit value). */
export const SLP_TYP_S5 = 5;
/** The SCI's interrupt (FADT SCI_INT): ISA IRQ 9 on the 8259, as QEMU wires it. It is never raised here. */
export const SCI_IRQ = 9;

// PM1 control bits (ACPI 6.4 §4.8.3.2.1, Table 4.14).
export const PM1_SCI_EN = 1 << 0;
export const PM1_SLP_TYP_SHIFT = 10;
export const PM1_SLP_TYP_MASK = 7 << PM1_SLP_TYP_SHIFT;
export const PM1_SLP_EN = 1 << 13;
/** Bits of PM1 control that hold state: SCI_EN, BM_RLD (1), SLP_TYP. GBL_RLS (2) and SLP_EN are write-only. */
const PM1_CNT_STORED = PM1_SCI_EN | (1 << 1) | PM1_SLP_TYP_MASK;
/** PM1 enable bits defined by ACPI 6.4 §4.8.3.1.2 (Table 4.13): TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS. */
const PM1_EN_DEFINED = (1 << 0) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 14);

export interface AcpiPmOptions {
  clock: Clock;
  /** SLP_EN was written with SLP_TYP = SLP_TYP_S5: the OS asked for soft-off. */
  onPowerOff: () => void;
}

export class AcpiPm implements IoDevice {
  /** PM1 status: no event source here sets a bit (no SCI is raised), so it reads 0; writes of 1 clear. */
  private status = 0;
  private enable = 0;
  /** SCI_EN reads 1: the machine is always in ACPI mode (the FADT's SMI_CMD is 0). */
  private control = PM1_SCI_EN;

  constructor(private readonly o: AcpiPmOptions) {}

  /** The PM timer's count: 24 bits (FADT TMR_VAL_EXT = 0), from virtual time. */
  timer(): number {
    return ticksAt(this.o.clock(), PM_TIMER_HZ) & 0xffffff;
  }

  /** Any width: the bytes of consecutive registers, as the block's byte lanes. */
  in(port: number, size: number): number {
    let v = 0;
    for (let b = 0; b < size; b++) v |= this.readByte((port + b) & 0xffff) << (8 * b);
    return v >>> 0;
  }

  out(port: number, size: number, value: number): void {
    for (let b = 0; b < size; b++) this.writeByte((port + b) & 0xffff, (value >>> (8 * b)) & 0xff);
  }

  private readByte(port: number): number {
    switch (port) {
      case PM1A_EVT_BLK: return this.status & 0xff;
      case PM1A_EVT_BLK + 1: return this.status >>> 8;
      case PM1A_EVT_BLK + 2: return this.enable & 0xff;
      case PM1A_EVT_BLK + 3: return this.enable >>> 8;
      case PM1A_CNT_BLK: return this.control & 0xff;
      case PM1A_CNT_BLK + 1: return this.control >>> 8;
      case PM_TMR_BLK: case PM_TMR_BLK + 1: case PM_TMR_BLK + 2: case PM_TMR_BLK + 3:
        return (this.timer() >>> (8 * (port - PM_TMR_BLK))) & 0xff;
      default: return 0xff;
    }
  }

  private writeByte(port: number, v: number): void {
    switch (port) {
      // Status bits are cleared by writing 1 (ACPI 6.4 §4.8.3.1.1).
      case PM1A_EVT_BLK: this.status &= ~v; break;
      case PM1A_EVT_BLK + 1: this.status &= ~(v << 8); break;
      case PM1A_EVT_BLK + 2: this.enable = ((this.enable & 0xff00) | v) & PM1_EN_DEFINED; break;
      case PM1A_EVT_BLK + 3: this.enable = ((this.enable & 0xff) | (v << 8)) & PM1_EN_DEFINED; break;
      case PM1A_CNT_BLK: this.setControl((this.control & 0xff00) | v); break;
      case PM1A_CNT_BLK + 1: this.setControl((this.control & 0xff) | (v << 8)); break;
      default: break; // the PM timer is read-only
    }
  }

  private setControl(v: number): void {
    // SCI_EN stays 1: there is no legacy (SMM) mode to go back to.
    this.control = (v & PM1_CNT_STORED) | PM1_SCI_EN;
    // §4.8.3.2.1: SLP_EN = 1 makes the hardware enter the state SLP_TYP names. Only S5 exists here (the
    // DSDT defines no other \_Sx), so any other type is ignored.
    if ((v & PM1_SLP_EN) !== 0 && ((v & PM1_SLP_TYP_MASK) >>> PM1_SLP_TYP_SHIFT) === SLP_TYP_S5) this.o.onPowerOff();
  }
}
