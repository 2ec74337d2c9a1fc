// debuggee.ts: the program under debug as the adapter's views see it — the machine, its symbols and
// lines, the history of mode switches, and side-effect-free memory access by linear address (through the
// current paging, as mmu/inspect.ts walks it: no accessed/dirty bits, no #PF, no CR2) or by physical
// address. Everything the variables, evaluate, REPL, memory and page-table code reads goes through here.
import { CpuMode, PagingMode, cpuMode, pagingMode } from '../emulator/cpu/modes';
import { Seg } from '../emulator/cpu/state';
import { walk } from '../emulator/mmu/inspect';
import { CallStack } from '../emulator/debug/callStack';
import type { Machine } from '../emulator/machine';
import type { Booted } from '../emulator/loaders/boot';
import { LineTable, SymbolTable } from './symbols';

export interface ModeSwitchRecord {
  /** Instructions retired when the switch was noticed. */
  instruction: number;
  /** Linear address of the instruction that caused it. */
  address: number;
  via: string;
  from: { mode: CpuMode; paging: PagingMode };
  to: { mode: CpuMode; paging: PagingMode };
}

export interface ModeInfo {
  mode: CpuMode;
  paging: PagingMode;
  cpl: number;
  /** Bits of a linear address: 16 (real/v8086 offsets), 32, 48 or 57. */
  addressBits: number;
  /** Bits of code: the decoder's default operand/address size. */
  codeBits: 16 | 32 | 64;
}

const PAGE = 4096;
const TWO32 = 2 ** 32;

/** A caller on the shadow call stack, as the debugger shows it. */
export interface CallerFrame {
  kind: 'call' | 'farCall' | 'interrupt' | 'exception' | 'syscall';
  /** Linear address of the call (the saved RIP for interrupts and exceptions). */
  caller: number;
  /** Linear address execution returns to. */
  returnAddress: number;
  /** Linear top of stack just after the call: the frame has returned once the stack pointer is above it. */
  stack: number;
  codeBits: 16 | 32 | 64;
  vector: number;
}

export class Debuggee {
  readonly history: ModeSwitchRecord[] = [];
  /** Calls, interrupts and far transfers not yet returned from (the emulator's shadow stack). */
  readonly callStack = new CallStack();

  constructor(
    readonly machine: Machine,
    readonly symbols: SymbolTable,
    readonly lines: LineTable,
    readonly booted: Booted,
  ) {
    machine.traceCalls(this.callStack);
  }

  /** Linear address of CS:offset for a frame's selector: real/v8086 code uses selector × 16; protected
   * code the current CS base when the selector is the current one, else the base in the GDT (flat: 0). */
  private linearOf(cs: number, lo: number, hi: number, bits: 16 | 32 | 64): number {
    if (bits === 64) return (hi >>> 0) * TWO32 + (lo >>> 0);
    const cpu = this.cpu;
    const mode = cpuMode(cpu);
    if (mode === 'real' || mode === 'v8086') return ((cs << 4) + (lo & 0xffff)) >>> 0;
    if (cs === cpu.segSel[Seg.CS]) return (cpu.segBaseLo[Seg.CS] + lo) >>> 0;
    const gdt = (cpu.gdtrBaseHi >>> 0) * TWO32 + (cpu.gdtrBaseLo >>> 0);
    const d = this.readLinear(gdt + (cs & ~7), 8);
    if (d.error !== null || (cs & 4) !== 0) return lo >>> 0;
    const b = d.bytes;
    const base = (b[2] | (b[3] << 8) | (b[4] << 16) | (b[7] << 24)) >>> 0;
    return (base + lo) >>> 0;
  }

  /** The callers, innermost first. */
  callers(): CallerFrame[] {
    return this.callStack.get().map((f) => ({
      kind: f.kind,
      caller: this.linearOf(f.callerCs, f.callerLo, f.callerHi, f.codeSize),
      returnAddress: this.linearOf(f.returnCs, f.returnLo, f.returnHi, f.codeSize),
      stack: (f.stackHi >>> 0) * TWO32 + (f.stackLo >>> 0),
      codeBits: f.codeSize,
      vector: f.vector,
    }));
  }

  get cpu(): Machine['cpu'] {
    return this.machine.cpu;
  }

  mode(): ModeInfo {
    const cpu = this.cpu;
    const mode = cpuMode(cpu);
    const paging = pagingMode(cpu);
    const codeBits = mode === 'long64' ? 64 : mode === 'protected32' || mode === 'compat32' ? 32 : 16;
    const addressBits = mode === 'long64' ? cpu.linearBits : mode === 'real' || mode === 'v8086' ? 20 : 32;
    return { mode, paging, cpl: cpu.cpl, addressBits, codeBits };
  }

  /** RIP as a number (up to 2^53: canonical addresses above are shown through bigint elsewhere). */
  rip(): number {
    return (this.cpu.ripHi >>> 0) * TWO32 + (this.cpu.ripLo >>> 0);
  }

  /** Linear address of the next instruction: CS.base + RIP outside 64-bit mode. */
  pc(): number {
    const cpu = this.cpu;
    if (cpu.long64) return this.rip();
    return ((cpu.segBaseLo[Seg.CS] + cpu.ripLo) >>> 0);
  }

  /** Translates a linear address without side effects: the physical address, or null with the reason. */
  translate(linear: number): { physical: number } | { physical: null; reason: string } {
    const r = walk(this.machine.phys, this.cpu, BigInt(Math.floor(linear)));
    if (r.physical !== null) return { physical: r.physical };
    return { physical: null, reason: r.fault?.reason ?? 'not mapped' };
  }

  /**
   * Reads up to `length` bytes from a linear address; stops at the first page that does not translate.
   * Returns the bytes read (maybe fewer) and, when short, why.
   */
  readLinear(linear: number, length: number): { bytes: Uint8Array; error: string | null } {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = linear + done;
      const t = this.translate(at);
      if (t.physical === null) return { bytes: out.subarray(0, done), error: `linear 0x${at.toString(16)}: ${t.reason}` };
      const n = Math.min(length - done, PAGE - (at % PAGE));
      out.set(this.machine.phys.readBytes(t.physical, n), done);
      done += n;
    }
    return { bytes: out, error: null };
  }

  readPhysical(physical: number, length: number): Uint8Array {
    return this.machine.phys.readBytes(physical, length);
  }

  /** Writes through the current paging (no permission checks: the debugger may patch read-only pages). */
  writeLinear(linear: number, bytes: Uint8Array): { written: number; error: string | null } {
    let done = 0;
    while (done < bytes.length) {
      const at = linear + done;
      const t = this.translate(at);
      if (t.physical === null) { this.afterWrite(); return { written: done, error: `linear 0x${at.toString(16)}: ${t.reason}` }; }
      const n = Math.min(bytes.length - done, PAGE - (at % PAGE));
      this.machine.phys.writeBytes(t.physical, bytes.subarray(done, done + n));
      done += n;
    }
    this.afterWrite();
    return { written: done, error: null };
  }

  writePhysical(physical: number, bytes: Uint8Array): void {
    this.machine.phys.writeBytes(physical, bytes);
    this.afterWrite();
  }

  /** A write may have changed page tables or code: drop cached translations (decoded code follows writes). */
  private afterWrite(): void {
    this.machine.mem.flush();
  }

  /** Reads an unsigned little-endian value of 1..8 bytes at a linear address (bigint), or null. */
  readValue(linear: number, size: number): bigint | null {
    const r = this.readLinear(linear, size);
    if (r.error !== null) return null;
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(r.bytes[k]);
    return v;
  }
}
