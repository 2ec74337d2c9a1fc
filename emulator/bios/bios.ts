// bios.ts: the built-in BIOS for `--boot real` — PC BIOS services (int 10h, 11h, 12h, 13h, 15h, 16h, 19h,
// 1Ah) written in TypeScript, reached from the ROM's stubs (rom.ts) through I/O ports 0x500–0x5FF; the
// IVT, BDA and EBDA set up as a PC BIOS leaves them; and the real-mode state a boot sector starts in.
// Our own code: no third-party firmware. Node-free. References: IBM PC AT Technical Reference (BIOS
// listing, BDA), Phoenix "Enhanced Disk Drive Specification 3.0" (int 13h 41h–48h), ACPI 6.x §15
// (int 15h E820), Ralf Brown's Interrupt List for the conventions BIOSes share.
import type { Cpu, PortIo } from '../cpu/state';
import { Reg, Seg } from '../cpu/state';
import { LazyOp } from '../cpu/lazyOp';
import { updateMode } from '../cpu/modes';
import { LOW_RAM_LIMIT, PhysicalMemory } from '../mem/physical';
import { PIT_HZ, ticksAt, VIRTUAL_HZ } from '../devices/time';
import {
  BIOS_PORT_BASE, BIOS_PORT_LAST, buildRom, CONFIG_TABLE_OFFSET, HALT_OFFSET, handlerOffset, ROM_BASE, ROM_SEGMENT,
} from './rom';
import { buildAcpiTables } from './acpi';

export { BIOS_PORT_BASE, BIOS_PORT_LAST };

/** EBDA: 1 KiB at the top of conventional memory (segment 9FC0h), so base memory is 639 KiB. */
export const EBDA_SEGMENT = 0x9fc0;
export const BASE_MEMORY_KIB = 639;
/** The boot drive (first hard disk) and the load address of its boot sector. */
export const BOOT_DRIVE = 0x80;
export const BOOT_ADDRESS = 0x7c00;
/** Logical geometry of the disk image: 16 heads, 63 sectors per track (what QEMU guesses for raw images). */
export const HEADS = 16;
export const SECTORS_PER_TRACK = 63;
const SECTOR = 512;
/** Timer ticks per day: 1573040 = 0x1800B0 (IBM AT BIOS, TIME_OF_DAY). */
const TICKS_PER_DAY = 0x1800b0;
/** 2000-01-01 00:00:00 UTC, the CMOS clock's default start (cmos.ts). */
const DEFAULT_EPOCH = Date.UTC(2000, 0, 1) / 1000;

const CF = 0x0001, ZF = 0x0040;

// int 13h status codes (IBM AT BIOS; EDD 3.0 §8).
const DISK_OK = 0x00, DISK_BAD_COMMAND = 0x01, DISK_SECTOR_NOT_FOUND = 0x04;
/** int 15h: "function not supported" (AH=86h), as AT BIOSes answer unknown functions. */
const UNSUPPORTED = 0x86;

/** The A20 gate as the BIOS sees it (A20Gate from devices/a20.ts fits). */
export interface A20Control {
  readonly enabled: boolean;
  setFast(on: boolean): void;
}

export interface BiosOptions {
  /** The hard disk image (drive 80h). Never written: writes go to a private copy. */
  disk?: Uint8Array;
  /** Receives every character int 10h writes. */
  console: (byte: number) => void;
  /** The keyboard: the next byte typed, or -1 when none is waiting. */
  input?: () => number;
  /** Guest RAM in bytes (the E820 map, E801, 88h). */
  ramBytes: number;
  /** The A20 gate; without one int 15h 2400h/2401h set the MMU's A20 mask directly. */
  a20?: A20Control;
  /** Seconds since the Unix epoch at instruction 0 (RTC functions; default 2000-01-01 00:00:00 UTC). */
  epochSeconds?: number;
}

/** One E820 range: base and length in bytes, type 1 = usable RAM, 2 = reserved. */
export interface E820Entry { base: number; length: number; type: number }

/** The memory map int 15h E820h reports for `ramBytes` of RAM (RAM above LOW_RAM_LIMIT sits at 4 GiB). */
export function e820Map(ramBytes: number): E820Entry[] {
  const low = Math.min(ramBytes, LOW_RAM_LIMIT), high = ramBytes - low;
  const map: E820Entry[] = [
    { base: 0, length: EBDA_SEGMENT * 16, type: 1 },
    { base: EBDA_SEGMENT * 16, length: 0xa0000 - EBDA_SEGMENT * 16, type: 2 },
    { base: ROM_BASE, length: 0x10000, type: 2 },
  ];
  if (low > 0x100000) map.push({ base: 0x100000, length: low - 0x100000, type: 1 });
  if (high > 0) map.push({ base: 0x1_0000_0000, length: high, type: 1 });
  return map;
}

/** US keyboard scan codes (set 1) for printable ASCII, unshifted then shifted rows. */
const SCAN_ROWS: [string, number][] = [
  ['1234567890-=', 0x02], ['!@#$%^&*()_+', 0x02], ['qwertyuiop[]', 0x10], ['QWERTYUIOP{}', 0x10],
  ['asdfghjkl;\'`', 0x1e], ['ASDFGHJKL:"~', 0x1e], ['\\zxcvbnm,./', 0x2b], ['|ZXCVBNM<>?', 0x2b],
];

/** The BIOS keystroke word (scan code << 8 | ASCII) for an input byte. */
export function keyWord(ascii: number): number {
  const ch = String.fromCharCode(ascii);
  for (const [row, first] of SCAN_ROWS) {
    const k = row.indexOf(ch);
    if (k >= 0) return ((first + k) << 8) | ascii;
  }
  switch (ascii) {
    case 0x20: return 0x3920;
    case 0x0d: case 0x0a: return 0x1c0d;
    case 0x08: case 0x7f: return 0x0e08;
    case 0x09: return 0x0f09;
    case 0x1b: return 0x011b;
  }
  // Ctrl+letter: the letter's scan code.
  if (ascii >= 1 && ascii <= 26) return (keyWord(ascii + 0x60) & 0xff00) | ascii;
  return ascii;
}

/**
 * The BIOS services behind ports 0x500–0x5FF: an OUT to BIOS_PORT_BASE + N runs the service for vector N
 * on the interrupted caller's registers. On entry SS:SP points at the caller's DX (pushed by the stub),
 * then IP, CS, FLAGS; results go to the registers, DX to its stack slot, CF/ZF to the FLAGS image; the
 * live DX is set to 0 (done) or 1 (call again: int 16h waiting for a key).
 */
export class BiosServices implements PortIo {
  private readonly disk: Uint8Array | null;
  private readonly sectors: number;
  private readonly cylinders: number;
  private lastStatus = DISK_OK;
  private pendingKey = -1;
  private tickOffset = 0;
  private readonly epoch: number;
  // The current call's frame.
  private frame = 0;
  private retry = false;

  constructor(readonly cpu: Cpu, readonly phys: PhysicalMemory, private readonly opts: BiosOptions) {
    if (opts.disk !== undefined) {
      this.sectors = Math.ceil(opts.disk.length / SECTOR);
      this.disk = new Uint8Array(this.sectors * SECTOR);
      this.disk.set(opts.disk);
    } else {
      this.disk = null;
      this.sectors = 0;
    }
    this.cylinders = Math.max(1, Math.min(1024, Math.floor(this.sectors / (HEADS * SECTORS_PER_TRACK))));
    this.epoch = opts.epochSeconds ?? DEFAULT_EPOCH;
  }

  /** The disk as the guest has left it (the private copy), or null. */
  get diskContents(): Uint8Array | null { return this.disk; }

  in(_port: number, size: number): number {
    return size === 4 ? -1 : (1 << (size * 8)) - 1;
  }

  out(port: number, _size: number, _value: number): void {
    const vector = (port - BIOS_PORT_BASE) & 0xff;
    const cpu = this.cpu;
    this.frame = cpu.segBaseLo[Seg.SS] + (cpu.lo[Reg.RSP] & 0xffff);
    this.retry = false;
    switch (vector) {
      case 0x08: this.timerTick(); break;
      case 0x10: this.int10(); break;
      case 0x11: this.set16(Reg.RAX, this.r16(0x410)); break;
      case 0x12: this.set16(Reg.RAX, this.r16(0x413)); break;
      case 0x13: this.int13(); break;
      case 0x15: this.int15(); break;
      case 0x16: this.int16(); break;
      case 0x19: this.int19(); break;
      case 0x1a: this.int1a(); break;
      default: break; // other hardware interrupts: the stub sends the EOI
    }
    cpu.lo[Reg.RDX] = (cpu.lo[Reg.RDX] & ~0xffff) | (this.retry ? 1 : 0);
  }

  // --- registers, memory and the frame ---------------------------------------------------------

  private r8(pa: number): number { return this.phys.read8(pa); }
  private r16(pa: number): number { return this.phys.read8(pa) | (this.phys.read8(pa + 1) << 8); }
  private r32(pa: number): number { return (this.r16(pa) | (this.r16(pa + 2) << 16)) >>> 0; }
  private w8(pa: number, v: number): void { this.phys.write8(pa, v & 0xff); }
  private w16(pa: number, v: number): void { this.w8(pa, v); this.w8(pa + 1, v >>> 8); }
  private w32(pa: number, v: number): void { this.w16(pa, v); this.w16(pa + 2, v >>> 16); }

  private get ah(): number { return (this.cpu.lo[Reg.RAX] >>> 8) & 0xff; }
  private get al(): number { return this.cpu.lo[Reg.RAX] & 0xff; }
  private reg16(r: Reg): number { return r === Reg.RDX ? this.r16(this.frame) : this.cpu.lo[r] & 0xffff; }
  private reg32(r: Reg): number {
    return r === Reg.RDX ? ((this.cpu.lo[r] & ~0xffff) | this.r16(this.frame)) >>> 0 : this.cpu.lo[r] >>> 0;
  }
  private set16(r: Reg, v: number): void {
    if (r === Reg.RDX) this.w16(this.frame, v);
    else this.cpu.lo[r] = (this.cpu.lo[r] & ~0xffff) | (v & 0xffff);
  }
  private set32(r: Reg, v: number): void {
    if (r === Reg.RDX) { this.w16(this.frame, v); this.cpu.lo[r] = (v & ~0xffff) | (this.cpu.lo[r] & 0xffff); }
    else this.cpu.lo[r] = v | 0;
  }
  private setAH(v: number): void { const c = this.cpu; c.lo[Reg.RAX] = (c.lo[Reg.RAX] & ~0xff00) | ((v & 0xff) << 8); }
  private setAL(v: number): void { const c = this.cpu; c.lo[Reg.RAX] = (c.lo[Reg.RAX] & ~0xff) | (v & 0xff); }
  private hi8(r: Reg): number { return (this.reg16(r) >>> 8) & 0xff; }
  private lo8(r: Reg): number { return this.reg16(r) & 0xff; }
  private setHi8(r: Reg, v: number): void { this.set16(r, (this.reg16(r) & 0xff) | ((v & 0xff) << 8)); }
  /** The caller's FLAGS image: what its IRET restores. */
  private setFlag(mask: number, on: boolean): void {
    const at = this.frame + 6;
    const f = this.r16(at);
    this.w16(at, on ? f | mask : f & ~mask);
  }
  private seg(s: Seg): number { return this.cpu.segBaseLo[s] >>> 0; }
  /** Sets a segment register as MOV to Sreg does in real mode (base = selector × 16). */
  private setSeg(s: Seg, sel: number): void {
    this.cpu.segSel[s] = sel;
    this.cpu.segBaseLo[s] = sel << 4;
    this.cpu.segBaseHi[s] = 0;
  }
  private ok(): void { this.setFlag(CF, false); }
  private fail(ah: number): void { this.setAH(ah); this.setFlag(CF, true); }

  // --- int 10h: video ---------------------------------------------------------------------------

  private cursor(page: number): [number, number] {
    const v = this.r16(0x450 + 2 * (page & 7));
    return [v >>> 8, v & 0xff];
  }
  private setCursor(page: number, row: number, col: number): void { this.w16(0x450 + 2 * (page & 7), (row << 8) | col); }

  /** Teletype output: the console gets the byte; the cursor moves as on screen (CR, LF, BS, wrap, scroll). */
  private teletype(ch: number, page: number): void {
    this.opts.console(ch);
    const cols = this.r16(0x44a) || 80, rows = this.r8(0x484) + 1 || 25;
    let [row, col] = this.cursor(page);
    switch (ch) {
      case 0x0d: col = 0; break;
      case 0x0a: row++; break;
      case 0x08: if (col > 0) col--; break;
      case 0x07: break;
      default: if (++col >= cols) { col = 0; row++; }
    }
    if (row >= rows) row = rows - 1; // scrolled
    this.setCursor(page, row, col);
  }

  private int10(): void {
    const page = this.hi8(Reg.RBX);
    switch (this.ah) {
      case 0x00: { // set video mode AL (bit 7: keep the screen): text modes 0/1 are 40 columns
        const mode = this.al & 0x7f;
        this.w8(0x449, mode);
        this.w16(0x44a, mode <= 1 ? 40 : 80);
        for (let p = 0; p < 8; p++) this.setCursor(p, 0, 0);
        this.w8(0x462, 0);
        this.setAL(mode <= 7 ? 0x30 : 0x20); // AL on return, as VGA BIOSes report it
        break;
      }
      case 0x01: this.w16(0x460, this.reg16(Reg.RCX)); break; // cursor shape
      case 0x02: this.setCursor(page, this.hi8(Reg.RDX), this.lo8(Reg.RDX)); break;
      case 0x03: {
        const [row, col] = this.cursor(page);
        this.set16(Reg.RDX, (row << 8) | col);
        this.set16(Reg.RCX, this.r16(0x460));
        break;
      }
      case 0x05: this.w8(0x462, this.al & 7); break; // active page
      case 0x09: case 0x0a: { // character (and attribute) CX times at the cursor; the cursor stays
        const n = this.reg16(Reg.RCX);
        for (let k = 0; k < n; k++) this.opts.console(this.al);
        break;
      }
      case 0x0e: this.teletype(this.al, this.r8(0x462)); break;
      case 0x0f: this.setAL(this.r8(0x449)); this.setAH(this.r16(0x44a)); this.setHi8(Reg.RBX, this.r8(0x462)); break;
      case 0x12: // alternate select: BL=10h asks for EGA information — colour, 256 KiB
        if (this.lo8(Reg.RBX) === 0x10) { this.set16(Reg.RBX, 0x0003); this.set16(Reg.RCX, 0x0009); }
        break;
      case 0x13: { // write string ES:BP, CX characters, at DH,DL; AL bit 0 moves the cursor, bit 1 attributes
        const mode = this.al, n = this.reg16(Reg.RCX);
        const saved = this.cursor(page);
        this.setCursor(page, this.hi8(Reg.RDX), this.lo8(Reg.RDX));
        let at = this.seg(Seg.ES) + this.reg16(Reg.RBP);
        for (let k = 0; k < n; k++) {
          this.teletype(this.r8(at), page);
          at += (mode & 2) !== 0 ? 2 : 1;
        }
        if ((mode & 1) === 0) this.setCursor(page, saved[0], saved[1]);
        break;
      }
      case 0x1a: if (this.al === 0) { this.setAL(0x1a); this.set16(Reg.RBX, 0x0008); } break; // VGA, colour
      default: break; // anything else: no effect
    }
  }

  // --- int 13h: disk ----------------------------------------------------------------------------

  private diskReturn(status: number): void {
    this.lastStatus = status;
    this.w8(0x474, status);
    this.setAH(status);
    this.setFlag(CF, status !== DISK_OK);
  }

  /** Copies `count` sectors from LBA to/from linear `buffer`; returns how many were transferred. */
  private transfer(lba: number, count: number, buffer: number, write: boolean): number {
    const disk = this.disk as Uint8Array;
    let done = 0;
    for (; done < count; done++) {
      const s = lba + done;
      if (s >= this.sectors) break;
      const at = buffer + done * SECTOR;
      if (write) disk.set(this.phys.readBytes(at, SECTOR), s * SECTOR);
      else this.phys.writeBytes(at, disk.subarray(s * SECTOR, (s + 1) * SECTOR));
    }
    return done;
  }

  private int13(): void {
    const drive = this.lo8(Reg.RDX), fn = this.ah;
    if (drive !== BOOT_DRIVE || this.disk === null) {
      // No such drive (other hard disks, every floppy): "invalid parameter", as SeaBIOS answers.
      this.setAL(0);
      this.diskReturn(DISK_BAD_COMMAND);
      return;
    }
    switch (fn) {
      case 0x00: this.diskReturn(DISK_OK); break; // reset
      case 0x01: { // status of the last operation
        const s = this.lastStatus;
        this.setAL(s);
        this.setAH(s);
        this.setFlag(CF, s !== DISK_OK);
        break;
      }
      case 0x02: case 0x03: case 0x04: { // CHS read / write / verify: AL sectors, CH/CL cylinder+sector, DH head, ES:BX
        const count = this.al, cl = this.lo8(Reg.RCX);
        const cyl = this.hi8(Reg.RCX) | ((cl & 0xc0) << 2), sector = cl & 0x3f, head = this.hi8(Reg.RDX);
        if (count === 0 || count > 128) { this.setAL(0); this.diskReturn(DISK_BAD_COMMAND); break; }
        if (sector === 0 || sector > SECTORS_PER_TRACK || head >= HEADS) { this.setAL(0); this.diskReturn(DISK_SECTOR_NOT_FOUND); break; }
        const lba = (cyl * HEADS + head) * SECTORS_PER_TRACK + sector - 1;
        const done = fn === 0x04 ? Math.max(0, Math.min(count, this.sectors - lba))
          : this.transfer(lba, count, this.seg(Seg.ES) + this.reg16(Reg.RBX), fn === 0x03);
        this.setAL(done);
        this.diskReturn(done === count ? DISK_OK : DISK_SECTOR_NOT_FOUND);
        break;
      }
      case 0x08: { // drive parameters: maximum cylinder, head and sector numbers; DL = hard disk count
        const maxCyl = this.cylinders - 1;
        this.set16(Reg.RCX, ((maxCyl & 0xff) << 8) | ((maxCyl >> 2) & 0xc0) | SECTORS_PER_TRACK);
        this.set16(Reg.RDX, ((HEADS - 1) << 8) | this.r8(0x475));
        this.setAL(0);
        this.diskReturn(DISK_OK);
        break;
      }
      case 0x0c: case 0x0d: case 0x10: case 0x11: case 0x14: this.diskReturn(DISK_OK); break; // seek, reset, ready, recalibrate, diagnostic
      case 0x15: // disk type: AH = 3 (hard disk), CX:DX = sectors (the status is not stored: RBIL)
        this.set16(Reg.RCX, this.sectors >>> 16);
        this.set16(Reg.RDX, this.sectors & 0xffff);
        this.setAH(3);
        this.setFlag(CF, false);
        break;
      case 0x41: // EDD installation check: BX=55AAh → AA55h, AH = version 3.0, CX = fixed-disk access + EDD
        if (this.reg16(Reg.RBX) !== 0x55aa) { this.diskReturn(DISK_BAD_COMMAND); break; }
        this.set16(Reg.RBX, 0xaa55);
        this.set16(Reg.RCX, 0x0005); // bit 0 packet functions 42h–44h, 47h, 48h; bit 2 EDD 48h/4Eh
        this.setAH(0x30);
        this.setFlag(CF, false);
        break;
      case 0x42: case 0x43: case 0x44: case 0x47: { // extended read / write / verify / seek: DS:SI disk address packet
        const dap = this.seg(Seg.DS) + this.reg16(Reg.RSI);
        const size = this.r8(dap), count = this.r16(dap + 2);
        if (size < 0x10) { this.diskReturn(DISK_BAD_COMMAND); break; }
        let buffer = (this.r16(dap + 6) << 4) + this.r16(dap + 4);
        // EDD 3.0 §8.2: offset:segment FFFF:FFFF means the 64-bit flat address at offset 10h.
        if (this.r32(dap + 4) === 0xffffffff && size >= 0x18) buffer = this.r32(dap + 0x10) + this.r32(dap + 0x14) * 0x1_0000_0000;
        const lba = this.r32(dap + 8) + this.r32(dap + 12) * 0x1_0000_0000;
        let done: number;
        if (fn === 0x42 || fn === 0x43) done = this.transfer(lba, count, buffer, fn === 0x43);
        else done = lba < this.sectors ? Math.min(count, this.sectors - lba) : 0;
        if (fn !== 0x47) this.w16(dap + 2, done); // the packet's count says how many were transferred
        this.diskReturn(fn === 0x47 ? (lba < this.sectors ? DISK_OK : DISK_SECTOR_NOT_FOUND) : done === count ? DISK_OK : DISK_SECTOR_NOT_FOUND);
        break;
      }
      case 0x48: { // extended parameters into DS:SI (EDD 3.0 §8.6): result buffer of at least 1Ah bytes
        const buf = this.seg(Seg.DS) + this.reg16(Reg.RSI);
        const size = this.r16(buf);
        if (size < 0x1a) { this.diskReturn(DISK_BAD_COMMAND); break; }
        this.w16(buf, size >= 0x1e ? 0x1e : 0x1a);
        this.w16(buf + 2, 0x0002); // information flags: bit 1 cylinder/head/sector fields valid
        this.w32(buf + 4, this.cylinders);
        this.w32(buf + 8, HEADS);
        this.w32(buf + 12, SECTORS_PER_TRACK);
        this.w32(buf + 16, this.sectors);
        this.w32(buf + 20, 0);
        this.w16(buf + 24, SECTOR);
        if (size >= 0x1e) this.w32(buf + 26, 0xffffffff); // no device parameter table extension
        this.diskReturn(DISK_OK);
        break;
      }
      default: this.diskReturn(DISK_BAD_COMMAND); break;
    }
  }

  // --- int 15h: system services -----------------------------------------------------------------

  private int15(): void {
    const ax = this.reg16(Reg.RAX);
    const low = Math.min(this.opts.ramBytes, LOW_RAM_LIMIT);
    if (this.reg32(Reg.RAX) === 0xe820 && this.reg32(Reg.RDX) === 0x534d4150) { // 'SMAP'
      const map = e820Map(this.opts.ramBytes);
      const k = this.reg32(Reg.RBX);
      if (k >= map.length || this.reg32(Reg.RCX) < 20) { this.fail(UNSUPPORTED); return; }
      const e = map[k], at = this.seg(Seg.ES) + this.reg16(Reg.RDI);
      this.w32(at, e.base % 0x1_0000_0000); this.w32(at + 4, Math.floor(e.base / 0x1_0000_0000));
      this.w32(at + 8, e.length % 0x1_0000_0000); this.w32(at + 12, Math.floor(e.length / 0x1_0000_0000));
      this.w32(at + 16, e.type);
      this.set32(Reg.RAX, 0x534d4150);
      this.set32(Reg.RBX, k + 1 < map.length ? k + 1 : 0);
      this.set32(Reg.RCX, 20);
      this.ok();
      return;
    }
    switch (ax) {
      case 0xe801: { // KiB between 1 and 16 MiB; 64 KiB blocks from 16 MiB to the top of low RAM
        const kib = Math.max(0, Math.min(low, 0x1000000) - 0x100000) / 1024;
        const blocks = Math.floor(Math.max(0, low - 0x1000000) / 0x10000);
        this.set16(Reg.RAX, kib); this.set16(Reg.RCX, kib);
        this.set16(Reg.RBX, blocks); this.set16(Reg.RDX, blocks);
        this.ok();
        return;
      }
      case 0x2400: case 0x2401: this.setA20(ax === 0x2401); this.setAH(0); this.ok(); return;
      case 0x2402: this.setAL(this.a20Enabled() ? 1 : 0); this.setAH(0); this.ok(); return;
      case 0x2403: this.set16(Reg.RBX, 0x0003); this.setAH(0); this.ok(); return; // keyboard controller and port 92h
    }
    switch (this.ah) {
      case 0x88: // KiB above 1 MiB (16 bits)
        this.set16(Reg.RAX, Math.min(0xffff, Math.max(0, low - 0x100000) / 1024));
        this.ok();
        return;
      case 0xc0: // system configuration table at ES:BX
        this.setSeg(Seg.ES, ROM_SEGMENT);
        this.set16(Reg.RBX, CONFIG_TABLE_OFFSET);
        this.setAH(0);
        this.ok();
        return;
      case 0x86: this.setAH(0); this.ok(); return; // wait CX:DX µs: virtual time does not pass for it
      case 0x91: case 0x90: this.setAH(0); this.ok(); return; // device post / busy
      default: this.fail(UNSUPPORTED); return;
    }
  }

  private a20Enabled(): boolean {
    return this.opts.a20 !== undefined ? this.opts.a20.enabled : this.cpu.mem.a20Mask === -1;
  }

  private setA20(on: boolean): void {
    if (this.opts.a20 !== undefined) { this.opts.a20.setFast(on); return; }
    this.cpu.mem.a20Mask = on ? -1 : ~0x100000;
    this.cpu.mem.flush();
  }

  // --- int 16h: keyboard ------------------------------------------------------------------------

  private peekKey(): number {
    if (this.pendingKey < 0 && this.opts.input !== undefined) {
      const b = this.opts.input();
      if (b >= 0) this.pendingKey = keyWord(b & 0xff);
    }
    return this.pendingKey;
  }

  private int16(): void {
    switch (this.ah) {
      case 0x00: case 0x10: { // wait for a key, remove it
        const k = this.peekKey();
        if (k < 0) { this.retry = true; return; }
        this.pendingKey = -1;
        this.set16(Reg.RAX, k);
        return;
      }
      case 0x01: case 0x11: { // is a key waiting? ZF=1 if not; else AX = key, left in the buffer
        const k = this.peekKey();
        this.setFlag(ZF, k < 0);
        if (k >= 0) this.set16(Reg.RAX, k);
        return;
      }
      case 0x02: case 0x12: this.setAL(this.r8(0x417)); return; // shift flags
      default: return;
    }
  }

  // --- int 19h: bootstrap loader ----------------------------------------------------------------

  private int19(): void {
    if (this.loadBootSector()) {
      this.w16(this.frame + 2, BOOT_ADDRESS);
      this.w16(this.frame + 4, 0);
      this.set16(Reg.RDX, BOOT_DRIVE);
    } else {
      for (const c of 'No bootable disk\r\n') this.opts.console(c.charCodeAt(0));
      this.w16(this.frame + 2, HALT_OFFSET);
      this.w16(this.frame + 4, ROM_SEGMENT);
    }
  }

  /** Copies sector 0 to 0000:7C00 if it ends in the boot signature 55h AAh; says whether it did. */
  loadBootSector(): boolean {
    const d = this.disk;
    if (d === null || d.length < SECTOR || d[510] !== 0x55 || d[511] !== 0xaa) return false;
    this.phys.writeBytes(BOOT_ADDRESS, d.subarray(0, SECTOR));
    return true;
  }

  // --- int 1Ah and the timer --------------------------------------------------------------------

  /** Timer ticks (18.2 Hz: PIT input clock / 65536) since midnight, from virtual time. */
  private ticks(): { ticks: number; days: number } {
    const t = Math.floor(ticksAt(this.cpu.icount, PIT_HZ) / 65536) + this.tickOffset;
    const start = Math.floor((((this.epoch % 86400) + 86400) % 86400) * PIT_HZ / 65536);
    const total = t + start;
    return { ticks: total % TICKS_PER_DAY, days: Math.floor(total / TICKS_PER_DAY) };
  }

  private daysSeen = 0;

  /** IRQ 0: the BDA's tick count follows virtual time. */
  private timerTick(): void {
    const { ticks, days } = this.ticks();
    this.w32(0x46c, ticks);
    if (days !== this.daysSeen) this.w8(0x470, 1);
  }

  private int1a(): void {
    const bcd = (n: number): number => (((n / 10) | 0) << 4) | (n % 10);
    const now = new Date((this.epoch + Math.floor(this.cpu.icount / VIRTUAL_HZ)) * 1000);
    switch (this.ah) {
      case 0x00: { // CX:DX ticks since midnight; AL = midnight passed since the last read
        const { ticks, days } = this.ticks();
        this.set16(Reg.RCX, ticks >>> 16);
        this.set16(Reg.RDX, ticks & 0xffff);
        this.setAL(days !== this.daysSeen ? 1 : 0);
        this.daysSeen = days;
        this.w32(0x46c, ticks);
        this.w8(0x470, 0);
        this.ok();
        return;
      }
      case 0x01: { // set ticks from CX:DX
        const want = ((this.reg16(Reg.RCX) << 16) | this.reg16(Reg.RDX)) >>> 0;
        this.tickOffset += want - this.ticks().ticks;
        this.w32(0x46c, want);
        this.ok();
        return;
      }
      case 0x02: // RTC time: CH hours, CL minutes, DH seconds (BCD), DL = 0 (no daylight saving)
        this.set16(Reg.RCX, (bcd(now.getUTCHours()) << 8) | bcd(now.getUTCMinutes()));
        this.set16(Reg.RDX, bcd(now.getUTCSeconds()) << 8);
        this.ok();
        return;
      case 0x04: { // RTC date: CH century, CL year, DH month, DL day (BCD)
        const y = now.getUTCFullYear();
        this.set16(Reg.RCX, (bcd(Math.floor(y / 100)) << 8) | bcd(y % 100));
        this.set16(Reg.RDX, (bcd(now.getUTCMonth() + 1) << 8) | bcd(now.getUTCDate()));
        this.ok();
        return;
      }
      default: this.fail(UNSUPPORTED); return;
    }
  }
}

/** What installBios returns. */
export interface InstalledBios {
  /** Plug into the I/O bus at ports BIOS_PORT_BASE–BIOS_PORT_LAST (e.g. ioBus.register(0x500, 0x5FF, services)). */
  services: BiosServices;
  /**
   * Loads the boot sector to 0000:7C00 and sets the state a BIOS hands it: real mode, CS:IP = 0000:7C00,
   * DL = 80h, SS:SP = 0000:7C00, DS = ES = 0, IF = 1. Returns false (state untouched) when sector 0 lacks the
   * 55AAh signature. The CPU must be in real mode; call machine.stateChanged() afterwards.
   */
  boot(): boolean;
}

/**
 * Installs the BIOS: the ROM at F0000h–FFFFFh, the IVT (every vector to the ROM: services, IRQ handlers,
 * a default IRET), the BDA at 400h and the EBDA at 9FC00h as a PC BIOS leaves them, with the ACPI tables in the EBDA.
 */
export function installBios(phys: PhysicalMemory, cpu: Cpu, opts: BiosOptions): InstalledBios {
  phys.writeBytes(ROM_BASE, buildRom());
  const mem = new Uint8Array(0x500); // IVT (0–3FFh) and BDA (400h–4FFh)
  const v = new DataView(mem.buffer);
  for (let n = 0; n < 256; n++) {
    v.setUint16(n * 4, handlerOffset(n), true);
    v.setUint16(n * 4 + 2, ROM_SEGMENT, true);
  }
  // BDA (IBM PC AT Technical Reference, "BIOS data area").
  v.setUint16(0x400, 0x3f8, true); // COM1; COM2–4 absent
  v.setUint16(0x40e, EBDA_SEGMENT, true);
  // Equipment word: bit 1 x87 present, bits 5:4 = 10b initial video 80×25 colour, bits 11:9 one serial port.
  v.setUint16(0x410, 0x0222, true);
  v.setUint16(0x413, BASE_MEMORY_KIB, true);
  v.setUint16(0x41a, 0x1e, true); v.setUint16(0x41c, 0x1e, true); // keyboard buffer head = tail (empty)
  v.setUint16(0x480, 0x1e, true); v.setUint16(0x482, 0x3e, true); // keyboard buffer start, end
  mem[0x449] = 0x03; // video mode 3: 80×25 colour text
  v.setUint16(0x44a, 80, true);
  v.setUint16(0x44c, 0x1000, true); // bytes per page
  v.setUint16(0x460, 0x0607, true); // cursor shape
  v.setUint16(0x463, 0x3d4, true); // CRT controller port
  mem[0x465] = 0x29; mem[0x466] = 0x30;
  mem[0x475] = opts.disk !== undefined ? 1 : 0; // hard disks
  mem[0x484] = 24; // rows - 1
  v.setUint16(0x485, 16, true); // character height
  phys.writeBytes(0, mem);
  const ebda = new Uint8Array(0x400);
  // The ACPI tables (acpi.ts) live in the EBDA, which the E820 map reserves: the RSDP in its first KiB.
  ebda.set(buildAcpiTables(EBDA_SEGMENT * 16));
  ebda[0] = 1; // size in KiB
  phys.writeBytes(EBDA_SEGMENT * 16, ebda);
  cpu.mem.flush();
  const services = new BiosServices(cpu, phys, opts);
  return {
    services,
    boot(): boolean {
      if (!services.loadBootSector()) return false;
      for (const s of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
        cpu.segSel[s] = 0;
        cpu.segBaseLo[s] = 0;
        cpu.segBaseHi[s] = 0;
        cpu.segLimit[s] = 0xffff;
      }
      cpu.ripLo = BOOT_ADDRESS;
      cpu.ripHi = 0;
      cpu.lo[Reg.RSP] = BOOT_ADDRESS;
      cpu.lo[Reg.RDX] = BOOT_DRIVE;
      cpu.lazyOp = LazyOp.None;
      cpu.flags = 0x202;
      // As a PC BIOS leaves it: real mode with the caches enabled (CD = NW = 0), ET set.
      cpu.cr0 = 0x10;
      updateMode(cpu);
      cpu.mem.setPagingState(cpu, true);
      return true;
    },
  };
}
