// cmos.ts: the PC/AT CMOS RAM and real-time clock, a Motorola MC146818A (datasheet "MC146818A
// Real-Time Clock Plus RAM", Motorola) behind ports 0x70 (index; bit 7 = NMI disable) and 0x71 (data).
//
// The clock reads a fixed start date (default 2000-01-01 00:00:00 UTC) plus virtual time (time.ts),
// so runs are deterministic. Registers 0–9 in BCD or binary and 12- or 24-hour format per register B;
// writes to them (with or without B.SET) move the clock; B.SET freezes it. Register A bit 7 (UIP) is 1
// during the last 244 µs of each second (datasheet "Update Cycle": UIP rises 244 µs before the update)
// and the update itself is instantaneous. Register C collects UF (update), PF (periodic rate) and AF
// (alarm) as virtual time passes, and IRQ 8 is driven while one of them is enabled in register B
// (advanceTo/nextEventAt, as for the PIT); several periods passing unobserved give one interrupt.
// Not modelled: the divider-reset modes of register A (the clock always runs), the square-wave
// output, daylight-saving (register B DSE). Register D reads VRT=1 (battery good). Bytes 0x0E–0x7F are RAM, with the memory-size
// bytes set as the IBM AT BIOS and QEMU/SeaBIOS define them (see layoutMemory).
import type { IoDevice } from './ioBus';
import { Clock, VIRTUAL_HZ } from './time';

export const CMOS_INDEX = 0x70;
export const CMOS_DATA = 0x71;

export const RTC_SECONDS = 0x00, RTC_SECONDS_ALARM = 0x01, RTC_MINUTES = 0x02, RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04, RTC_HOURS_ALARM = 0x05, RTC_DAY_OF_WEEK = 0x06, RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08, RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d;
/** Century byte, IBM PC convention (QEMU/SeaBIOS, ACPI FADT CENTURY default). */
export const RTC_CENTURY = 0x32;

export const REG_A_UIP = 0x80;
export const REG_B_SET = 0x80, REG_B_PIE = 0x40, REG_B_AIE = 0x20, REG_B_UIE = 0x10, REG_B_DM = 0x04, REG_B_24H = 0x02;
export const REG_C_IRQF = 0x80, REG_C_PF = 0x40, REG_C_AF = 0x20, REG_C_UF = 0x10;
export const REG_D_VRT = 0x80;

/** UIP lead time before each update: 244 µs. */
const UIP_INSNS = Math.round(VIRTUAL_HZ * 244e-6);

export interface CmosOptions {
  clock: Clock;
  /** Seconds since the Unix epoch at instruction 0 (default 2000-01-01 00:00:00 UTC). */
  startTime?: number;
  /** RAM below 4 GiB in bytes (for the memory-size bytes). */
  ramBelow4G?: number;
  /** RAM above 4 GiB in bytes. */
  ramAbove4G?: number;
  /** Drives IRQ 8 (the RTC's IRQ output, active while IRQF is set). */
  raiseIrq?: (level: boolean) => void;
}

const Y2K = Date.UTC(2000, 0, 1) / 1000;
const KIB = 1024, MIB = 1024 * 1024;

function toBcd(v: number): number { return ((v / 10) | 0) * 16 + (v % 10); }
function fromBcd(v: number): number { return (v >> 4) * 10 + (v & 0x0f); }

export class Cmos implements IoDevice {
  /** The 128 bytes; the clock registers 0–9 and 0x32 are computed on read, not kept here. */
  readonly ram = new Uint8Array(128);
  index = 0;
  /** Port 0x70 bit 7: NMIs are masked while set. */
  nmiDisabled = false;
  private readonly clock: Clock;
  /** Added to start time + elapsed virtual seconds: moves when the guest sets the clock. */
  private offset: number;
  /** The clock reading frozen by B.SET, or -1 while running. */
  private frozen = -1;
  /** Register C flags (PF, AF, UF) collected and not yet read. */
  private flagsC = 0;
  /** Virtual time up to which flagsC has been collected. */
  private lastEval = 0;
  private irqLevel = false;
  private readonly raiseIrq: (level: boolean) => void;

  constructor(options: CmosOptions) {
    this.clock = options.clock;
    this.offset = options.startTime ?? Y2K;
    this.ram[RTC_REG_A] = 0x26; // 32.768 kHz time base, 1.024 kHz periodic rate, as the BIOS sets it
    this.ram[RTC_REG_B] = REG_B_24H; // BCD, 24-hour
    this.ram[RTC_REG_D] = REG_D_VRT;
    this.layoutMemory(options.ramBelow4G ?? 0, options.ramAbove4G ?? 0);
    this.lastEval = this.clock();
    this.raiseIrq = options.raiseIrq ?? (() => undefined);
  }

  /**
   * Memory-size bytes as PC BIOSes read them:
   * 0x15/0x16 base memory in KiB (640); 0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in KiB,
   * at most 0xFFFF (IBM AT Technical Reference, CMOS map); 0x34/0x35 memory between 16 MiB and 4 GiB in
   * 64 KiB units, 0x5B–0x5D memory above 4 GiB in 64 KiB units (QEMU hw/i386/pc.c, read by SeaBIOS).
   * The checksum of 0x10–0x2D is stored big-endian at 0x2E/0x2F (IBM AT Technical Reference).
   */
  private layoutMemory(below: number, above: number): void {
    const r = this.ram;
    r[0x15] = 640 & 0xff; r[0x16] = 640 >> 8;
    const ext = Math.min(Math.max(0, below - MIB) / KIB, 0xffff);
    r[0x17] = r[0x30] = ext & 0xff;
    r[0x18] = r[0x31] = ext >> 8;
    const over16 = Math.min(Math.max(0, below - 16 * MIB) / (64 * KIB), 0xffff);
    r[0x34] = over16 & 0xff; r[0x35] = over16 >> 8;
    const high = Math.floor(above / (64 * KIB));
    r[0x5b] = high & 0xff; r[0x5c] = (high >> 8) & 0xff; r[0x5d] = (high >> 16) & 0xff;
    r[RTC_CENTURY] = 0x20;
    this.checksum();
  }

  private checksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.ram[i];
    this.ram[0x2e] = (sum >> 8) & 0xff;
    this.ram[0x2f] = sum & 0xff;
  }

  /** The clock's reading now, in seconds since the Unix epoch. */
  seconds(): number {
    if (this.frozen >= 0) return this.frozen;
    return this.offset + Math.floor(this.clock() / VIRTUAL_HZ);
  }

  private get binary(): boolean { return (this.ram[RTC_REG_B] & REG_B_DM) !== 0; }

  private encode(v: number): number { return this.binary ? v : toBcd(v); }
  private decode(v: number): number { return this.binary ? v : fromBcd(v); }

  private encodeHours(h: number): number {
    if (this.ram[RTC_REG_B] & REG_B_24H) return this.encode(h);
    // 12-hour mode: 1–12 with bit 7 = PM (datasheet Table 3).
    const pm = h >= 12 ? 0x80 : 0;
    return this.encode(h % 12 === 0 ? 12 : h % 12) | pm;
  }

  private decodeHours(v: number): number {
    if (this.ram[RTC_REG_B] & REG_B_24H) return this.decode(v);
    const h = this.decode(v & 0x7f) % 12;
    return v & 0x80 ? h + 12 : h;
  }

  /** Register `reg` of the clock as the guest reads it. */
  private clockRegister(reg: number): number {
    const d = new Date(this.seconds() * 1000);
    switch (reg) {
      case RTC_SECONDS: return this.encode(d.getUTCSeconds());
      case RTC_MINUTES: return this.encode(d.getUTCMinutes());
      case RTC_HOURS: return this.encodeHours(d.getUTCHours());
      case RTC_DAY_OF_WEEK: return this.encode(d.getUTCDay() + 1); // 1 = Sunday
      case RTC_DAY_OF_MONTH: return this.encode(d.getUTCDate());
      case RTC_MONTH: return this.encode(d.getUTCMonth() + 1);
      case RTC_YEAR: return this.encode(d.getUTCFullYear() % 100);
      default: return this.encode(Math.floor(d.getUTCFullYear() / 100)); // RTC_CENTURY
    }
  }

  /** The guest writes a clock register: the clock is moved so that field reads back as written. */
  private setClockRegister(reg: number, value: number): void {
    const d = new Date(this.seconds() * 1000);
    const v = reg === RTC_HOURS ? this.decodeHours(value) : this.decode(value);
    switch (reg) {
      case RTC_SECONDS: d.setUTCSeconds(v); break;
      case RTC_MINUTES: d.setUTCMinutes(v); break;
      case RTC_HOURS: d.setUTCHours(v); break;
      case RTC_DAY_OF_WEEK: return; // derived from the date here
      case RTC_DAY_OF_MONTH: d.setUTCDate(v); break;
      case RTC_MONTH: d.setUTCMonth(v - 1); break;
      case RTC_YEAR: d.setUTCFullYear(Math.floor(d.getUTCFullYear() / 100) * 100 + v); break;
      default: d.setUTCFullYear(v * 100 + (d.getUTCFullYear() % 100)); break; // RTC_CENTURY
    }
    const t = Math.floor(d.getTime() / 1000);
    if (Number.isNaN(t)) return;
    if (this.frozen >= 0) this.frozen = t;
    else this.offset += t - this.seconds();
  }

  private isClockRegister(reg: number): boolean {
    // 0, 2, 4 and 6–9 are the time and date; 1, 3 and 5 are the alarm bytes, plain RAM.
    return reg === RTC_SECONDS || reg === RTC_MINUTES || reg === RTC_HOURS ||
      (reg >= RTC_DAY_OF_WEEK && reg <= RTC_YEAR) || reg === RTC_CENTURY;
  }

  /**
   * Collects register C's event flags up to virtual time `icount` (datasheet "Register C",
   * "Interrupts"): UF at each update (second boundary) unless SET, AF when the alarm matches the new
   * time, PF at each periodic-rate boundary. IRQF and the IRQ 8 line follow flags & enables.
   */
  advanceTo(icount: number): void {
    const last = this.lastEval;
    if (icount <= last) return;
    this.lastEval = icount;
    if (this.frozen < 0 && Math.floor(icount / VIRTUAL_HZ) > Math.floor(last / VIRTUAL_HZ)) {
      this.flagsC |= REG_C_UF;
      if (this.alarmMatches()) this.flagsC |= REG_C_AF;
    }
    const period = this.periodicInsns();
    if (period > 0 && Math.floor(icount / period) > Math.floor(last / period)) this.flagsC |= REG_C_PF;
    this.updateIrq();
  }

  /** The instruction count of the next enabled RTC interrupt after `icount`, or Infinity. */
  nextEventAt(icount: number): number {
    if (this.irqLevel) return Infinity; // IRQ 8 is already asserted until register C is read
    const b = this.ram[RTC_REG_B];
    let next = Infinity;
    if ((b & (REG_B_UIE | REG_B_AIE)) && this.frozen < 0) next = (Math.floor(icount / VIRTUAL_HZ) + 1) * VIRTUAL_HZ;
    const period = this.periodicInsns();
    if ((b & REG_B_PIE) && period > 0) next = Math.min(next, Math.ceil((Math.floor(icount / period) + 1) * period));
    return next;
  }

  /** Instructions per periodic-interrupt period, 0 when the rate select is 0 (datasheet Table 5). */
  private periodicInsns(): number {
    const rate = this.ram[RTC_REG_A] & 0x0f;
    if (rate === 0) return 0;
    // 32.768 kHz time base: rates 3–15 give 65536 >> rate Hz; 1 and 2 repeat 256 and 128 Hz.
    const hz = 65536 >> (rate <= 2 ? rate + 7 : rate);
    return VIRTUAL_HZ / hz;
  }

  private updateIrq(): void {
    const level = (this.flagsC & this.ram[RTC_REG_B] & (REG_C_PF | REG_C_AF | REG_C_UF)) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.raiseIrq(level);
    }
  }

  /** Register C: the flags since it was last read; reading clears them and releases IRQ 8. */
  private readRegisterC(): number {
    this.advanceTo(this.clock());
    const v = this.flagsC | (this.irqLevel ? REG_C_IRQF : 0);
    this.flagsC = 0;
    this.updateIrq();
    return v;
  }

  /** Alarm bytes match the time; a value with bits 7:6 set is "don't care" (datasheet "Alarm"). */
  private alarmMatches(): boolean {
    const pairs = [[RTC_SECONDS_ALARM, RTC_SECONDS], [RTC_MINUTES_ALARM, RTC_MINUTES], [RTC_HOURS_ALARM, RTC_HOURS]];
    for (const [alarm, reg] of pairs) {
      const a = this.ram[alarm];
      if ((a & 0xc0) !== 0xc0 && a !== this.clockRegister(reg)) return false;
    }
    return true;
  }

  private readRegister(reg: number): number {
    if (this.isClockRegister(reg)) return this.clockRegister(reg);
    switch (reg) {
      case RTC_REG_A: {
        const inSecond = this.clock() % VIRTUAL_HZ;
        const uip = this.frozen < 0 && inSecond >= VIRTUAL_HZ - UIP_INSNS;
        return (this.ram[RTC_REG_A] & 0x7f) | (uip ? REG_A_UIP : 0);
      }
      case RTC_REG_C: return this.readRegisterC();
      case RTC_REG_D: return REG_D_VRT;
      default: return this.ram[reg];
    }
  }

  private writeRegister(reg: number, value: number): void {
    if (this.isClockRegister(reg)) { this.setClockRegister(reg, value); return; }
    switch (reg) {
      case RTC_REG_A: this.advanceTo(this.clock()); this.ram[reg] = value & 0x7f; return; // UIP is read-only
      case RTC_REG_B: {
        this.advanceTo(this.clock());
        const set = (value & REG_B_SET) !== 0;
        if (set && this.frozen < 0) this.frozen = this.seconds();
        else if (!set && this.frozen >= 0) {
          // Clearing SET restarts the clock from the (possibly edited) frozen time.
          const frozen = this.frozen;
          this.frozen = -1;
          this.offset += frozen - this.seconds();
        }
        // SET also clears UIE (datasheet "Register B", SET bit).
        this.ram[reg] = set ? value & ~REG_B_UIE : value;
        this.updateIrq();
        return;
      }
      case RTC_REG_C: case RTC_REG_D: return; // read-only
      default: this.ram[reg] = value;
    }
  }

  in(port: number, _size: number): number {
    if (port === CMOS_INDEX) return 0xff; // the index register is write-only on the AT
    return this.readRegister(this.index);
  }

  out(port: number, _size: number, value: number): void {
    if (port === CMOS_INDEX) {
      this.index = value & 0x7f;
      this.nmiDisabled = (value & 0x80) !== 0;
      return;
    }
    this.writeRegister(this.index, value & 0xff);
  }
}
