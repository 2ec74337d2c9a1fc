// events.ts: what the processor tells a debugger about system-level changes — mode switches, control
// register writes, exceptions. cpu.events is null unless someone listens, so emitting costs one null
// check, and only on rare paths (control-register writes, the run loop's mode service, fault delivery).
import type { Cpu } from './state';
import type { Insn } from './insn';
import { cpuMode, pagingMode, CpuMode, PagingMode } from './modes';

/** A register whose write is reported: control registers and the MSRs that steer paging and mode. */
export type CrName = 'cr0' | 'cr2' | 'cr3' | 'cr4' | 'cr8' | 'efer' | 'xcr0';

export interface CrWriteEvent {
  register: CrName;
  oldLo: number; oldHi: number;
  newLo: number; newHi: number;
  /** Address (RIP/EIP, not linear) of the instruction that wrote it. */
  ripLo: number; ripHi: number;
  /** Its mnemonic ("mov", "lmsw", "clts", "wrmsr"). */
  mnemonic: string;
}

export interface ModeSwitchEvent {
  fromMode: CpuMode; toMode: CpuMode;
  fromPaging: PagingMode; toPaging: PagingMode;
  /** The instruction that caused it (the last one retired before the switch was noticed); '' if unknown. */
  mnemonic: string;
  ripLo: number; ripHi: number;
  /** Linear address of that instruction (CS base of the code it ran in + RIP; RIP itself in 64-bit code). */
  linearLo: number; linearHi: number;
}

export interface ExceptionEvent {
  vector: number;
  /** -1 when the vector has no error code. */
  errorCode: number;
  /** Address of the faulting instruction. */
  ripLo: number; ripHi: number;
  detail: string;
}

/** Listener interface: the debugger implements it and sets cpu.events (through attachEvents). */
export interface CpuEvents {
  modeSwitch(e: ModeSwitchEvent): void;
  crWrite(e: CrWriteEvent): void;
  exception(e: ExceptionEvent): void;
}

/** The last mode reported per processor, so a switch is reported once, when it is first noticed. */
interface Seen { mode: CpuMode; paging: PagingMode }
const seen = new WeakMap<Cpu, Seen>();

/** Starts (or, with null, stops) reporting events of `cpu` to `listener`. */
export function attachEvents(cpu: Cpu, listener: CpuEvents | null): void {
  cpu.events = listener;
  if (listener !== null) seen.set(cpu, { mode: cpuMode(cpu), paging: pagingMode(cpu) });
  else seen.delete(cpu);
}

/** Address of instruction `i` (its next RIP minus its length, wrapped like RIP). */
function insnRip(i: Insn | null): [number, number] {
  if (i === null) return [0, 0];
  const lo = (i.nextLo - i.len) | 0;
  // (An instruction that wrapped IP/EIP past the top reports an address below zero: rare enough to ignore.)
  const hi = (lo >>> 0) > (i.nextLo >>> 0) ? (i.nextHi - 1) | 0 : i.nextHi;
  return [lo, hi];
}

/** Reports a control-register/EFER write. Call only when cpu.events !== null. */
export function emitCrWrite(cpu: Cpu, register: CrName, oldLo: number, oldHi: number, newLo: number, newHi: number, i: Insn | null): void {
  const ev = cpu.events;
  if (ev === null) return;
  const [ripLo, ripHi] = insnRip(i);
  ev.crWrite({ register, oldLo, oldHi, newLo, newHi, ripLo, ripHi, mnemonic: i === null ? '' : i.form.gas ?? i.form.mnemonic });
}

/**
 * Reports a mode or paging-mode switch if one happened since the last report. The run loop calls it
 * from its ATTN_MODE service, after updateMode, with the instruction that set ATTN_MODE.
 */
export function checkModeSwitch(cpu: Cpu, i: Insn | null, csBase = 0): void {
  const ev = cpu.events;
  if (ev === null) return;
  let s = seen.get(cpu);
  if (s === undefined) { s = { mode: cpuMode(cpu), paging: pagingMode(cpu) }; seen.set(cpu, s); return; }
  const mode = cpuMode(cpu), paging = pagingMode(cpu);
  if (mode === s.mode && paging === s.paging) return;
  const [ripLo, ripHi] = insnRip(i);
  const wide = s.mode === 'long64';
  const e: ModeSwitchEvent = {
    fromMode: s.mode, toMode: mode, fromPaging: s.paging, toPaging: paging, mnemonic: i === null ? '' : i.form.gas ?? i.form.mnemonic, ripLo, ripHi,
    linearLo: wide ? ripLo : (csBase + ripLo) | 0, linearHi: wide ? ripHi : 0,
  };
  s.mode = mode;
  s.paging = paging;
  ev.modeSwitch(e);
}

/** Reports a guest exception before its delivery. */
export function emitException(cpu: Cpu, vector: number, errorCode: number, ripLo: number, ripHi: number, detail: string): void {
  const ev = cpu.events;
  if (ev === null) return;
  ev.exception({ vector, errorCode, ripLo, ripHi, detail });
}
