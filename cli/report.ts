// report.ts: the JSON report of `trampoline run --json` (design.md "CLI"): how the run stopped, the final
// registers and modes, the mode switches and exceptions seen, and the guest's console. 64-bit values are
// "0x…" strings, since JSON numbers lose precision above 2^53.
import { rflags } from '../emulator/cpu/flags';
import { cpuMode, pagingMode, CpuMode, PagingMode } from '../emulator/cpu/modes';
import { Seg } from '../emulator/cpu/state';
import type { Machine } from '../emulator/machine';

/** A 64-bit value from its int32 halves, as "0x…" (no leading zeros). */
export function hex64(lo: number, hi: number): string {
  return '0x' + ((hi >>> 0) !== 0 ? (hi >>> 0).toString(16) + (lo >>> 0).toString(16).padStart(8, '0') : (lo >>> 0).toString(16));
}

export interface ModeSwitchRecord {
  instruction: number;
  rip: string;
  symbol: string;
  via: string;
  from: { mode: CpuMode; paging: PagingMode };
  to: { mode: CpuMode; paging: PagingMode };
}

export interface ExceptionRecord {
  instruction: number;
  vector: number;
  name: string;
  /** -1 when the vector pushes none. */
  errorCode: number;
  rip: string;
  detail: string;
}

export interface RunReport {
  stop: { reason: string; exitCode: number; detail: string };
  instructions: number;
  mode: CpuMode;
  paging: PagingMode;
  regs: Record<string, string>;
  modeSwitches: ModeSwitchRecord[];
  exceptions: ExceptionRecord[];
  console: string;
}

/** Register order of the report: encoding order is rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8–r15. */
const GPR_NAMES: readonly [string, number][] = [
  ['rax', 0], ['rbx', 3], ['rcx', 1], ['rdx', 2], ['rsi', 6], ['rdi', 7], ['rbp', 5], ['rsp', 4],
  ['r8', 8], ['r9', 9], ['r10', 10], ['r11', 11], ['r12', 12], ['r13', 13], ['r14', 14], ['r15', 15],
];
const SEG_NAMES: readonly [string, Seg][] = [['cs', Seg.CS], ['ds', Seg.DS], ['es', Seg.ES], ['fs', Seg.FS], ['gs', Seg.GS], ['ss', Seg.SS]];

export function registers(m: Machine): Record<string, string> {
  const cpu = m.cpu;
  const regs: Record<string, string> = {};
  for (const [name, n] of GPR_NAMES) regs[name] = hex64(cpu.lo[n], cpu.hi[n]);
  regs.rip = hex64(cpu.ripLo, cpu.ripHi);
  regs.rflags = hex64(rflags(cpu), 0);
  for (const [name, s] of SEG_NAMES) regs[name] = hex64(cpu.segSel[s] & 0xffff, 0);
  regs.cr0 = hex64(cpu.cr0, 0);
  regs.cr2 = hex64(cpu.cr2Lo, cpu.cr2Hi);
  regs.cr3 = hex64(cpu.cr3Lo, cpu.cr3Hi);
  regs.cr4 = hex64(cpu.cr4, 0);
  regs.efer = hex64(cpu.efer, 0);
  return regs;
}

export function buildReport(m: Machine, stop: { reason: string; exitCode: number; detail: string }, modeSwitches: ModeSwitchRecord[], exceptions: ExceptionRecord[], consoleText: string): RunReport {
  return {
    stop,
    instructions: m.cpu.icount,
    mode: cpuMode(m.cpu),
    paging: pagingMode(m.cpu),
    regs: registers(m),
    modeSwitches,
    exceptions,
    console: consoleText,
  };
}
