// fpuRegisters.ts: the x87 and SSE registers by name for the debugger (evaluate, assignments, the variables
// view): FCW FSW FTW FOP FIP FCS FDP FDS MXCSR (GDB's fctrl fstat ftag fop fioff fiseg fooff foseg too),
// ST0–ST7 in stack order and XMM0–XMM15 with lane views (`xmm0.u32[1]`, GDB's `v4_int32`). The state is
// the emulator's FpuState (emulator/cpu/fpuState.ts), read and written directly: the debugger writes what
// the guest's FLDCW / FLDENV / LDMXCSR would load, and refuses what those would fault on.
import { MXCSR_MASK } from '../emulator/cpu/fpuState';
import type { Debuggee } from './debuggee';
import { BIT_FIELDS, BitField, fieldValue, findField, withField } from './bitFields';
import { describeBinary, describeExtended, decodeExtended, extendedHex } from './fpuFormat';
import { hex, hexWide } from './format';

/** A value read for the evaluator: the bits, a type name, and how to show it. */
export interface FpuValue {
  value: bigint;
  type: string;
  display: string;
}

type Control = 'fcw' | 'fsw' | 'ftw' | 'fop' | 'fip' | 'fcs' | 'fdp' | 'fds' | 'mxcsr';

const CONTROL: Record<Control, { bits: number; type: string }> = {
  fcw: { bits: 16, type: 'u16' }, fsw: { bits: 16, type: 'u16' }, ftw: { bits: 16, type: 'u16' }, fop: { bits: 11, type: 'u16' },
  fip: { bits: 64, type: 'u64' }, fcs: { bits: 16, type: 'u16' }, fdp: { bits: 64, type: 'u64' }, fds: { bits: 16, type: 'u16' },
  mxcsr: { bits: 32, type: 'u32' },
};

/** GDB's names (GDB manual, "i386 Features": org.gnu.gdb.i386.core) and the SDM's. */
const ALIASES: Record<string, Control> = {
  fctrl: 'fcw', fstat: 'fsw', ftag: 'ftw', fioff: 'fip', fiseg: 'fcs', fooff: 'fdp', foseg: 'fds',
};

/** Lane views of an XMM register: element bits and whether the lanes are floating point. */
export const XMM_VIEWS: Record<string, { bits: 8 | 16 | 32 | 64; float: boolean }> = {
  u8: { bits: 8, float: false }, u16: { bits: 16, float: false }, u32: { bits: 32, float: false }, u64: { bits: 64, float: false },
  f32: { bits: 32, float: true }, f64: { bits: 64, float: true },
};

/** GDB's union member names for the same views. */
const GDB_VIEWS: Record<string, string> = {
  v16_int8: 'u8', v8_int16: 'u16', v4_int32: 'u32', v2_int64: 'u64', v4_float: 'f32', v2_double: 'f64',
};

export type FpuName = { k: 'control'; name: Control } | { k: 'st'; i: number } | { k: 'xmm'; n: number };

/** Every name fpuName accepts (canonical spellings), for completion. */
export const FPU_REGISTER_NAMES: readonly string[] = [
  ...Object.keys(CONTROL), ...Array.from({ length: 8 }, (_, i) => `st${i}`), ...Array.from({ length: 16 }, (_, n) => `xmm${n}`),
];

/** The register `name` names (any case, `$`/`%` prefix allowed), or undefined. */
export function fpuName(name: string): FpuName | undefined {
  const n = name.trim().replace(/^[$%]/, '').toLowerCase();
  if (n in CONTROL) return { k: 'control', name: n as Control };
  if (n in ALIASES) return { k: 'control', name: ALIASES[n] };
  let m = /^st\(?([0-7])\)?$/.exec(n);
  if (m) return { k: 'st', i: Number(m[1]) };
  m = /^xmm([0-9]|1[0-5])$/.exec(n);
  if (m) return { k: 'xmm', n: Number(m[1]) };
  return undefined;
}

/** The canonical view name of `view` (`v4_int32` → `u32`), or undefined. */
export function xmmView(view: string): string | undefined {
  const v = view.toLowerCase();
  if (v in XMM_VIEWS) return v;
  return GDB_VIEWS[v];
}

/** The physical register R(i) that ST(i) names (SDM Vol.1 §8.1.2: ST(i) is R((TOP + i) mod 8)). */
export function physicalOf(d: Debuggee, i: number): number {
  return (d.cpu.fpu.top + i) & 7;
}

/** A control register's value. */
export function readControl(d: Debuggee, name: Control): bigint {
  const f = d.cpu.fpu;
  const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  switch (name) {
    case 'fcw': return BigInt(f.fcw & 0xffff);
    case 'fsw': return BigInt(f.fsw & 0xffff);
    case 'ftw': return BigInt(f.fullTag());
    case 'fop': return BigInt(f.fop & 0x7ff);
    case 'fip': return u64(f.fipLo, f.fipHi);
    case 'fcs': return BigInt(f.fcs & 0xffff);
    case 'fdp': return u64(f.fdpLo, f.fdpHi);
    case 'fds': return BigInt(f.fds & 0xffff);
    case 'mxcsr': return BigInt(f.mxcsr >>> 0);
  }
}

/** XMMn's 128 bits. */
export function readXmm(d: Debuggee, n: number): bigint {
  const b = d.cpu.fpu.xmm;
  let v = 0n;
  for (let k = 15; k >= 0; k--) v = (v << 8n) | BigInt(b[n * 16 + k]);
  return v;
}

/** ST(i)'s 80 bits as one number (sign and exponent in 79:64). */
export function readSt(d: Debuggee, i: number): bigint {
  return BigInt(extendedHex(d.cpu.fpu.st, physicalOf(d, i) * 10));
}

/** What ST(i) holds, for display: its value, or `empty` (SDM Vol.1 §8.1.7: tag 11B). */
export function describeSt(d: Debuggee, i: number): string {
  const r = physicalOf(d, i);
  const text = describeExtended(decodeExtended(d.cpu.fpu.st, r * 10));
  return (d.cpu.fpu.valid & (1 << r)) === 0 ? `empty (holds ${text})` : text;
}

/** A register's value for the evaluator, or undefined when `name` is not an x87/SSE register. */
export function readFpu(d: Debuggee, name: string): FpuValue | undefined {
  const r = fpuName(name);
  if (r === undefined) return undefined;
  if (r.k === 'control') {
    const v = readControl(d, r.name);
    return { value: v, type: CONTROL[r.name].type, display: hex(v) };
  }
  if (r.k === 'st') return { value: readSt(d, r.i), type: 'f80', display: describeSt(d, r.i) };
  const v = readXmm(d, r.n);
  return { value: v, type: 'u128', display: hexWide(v, 32) };
}

/** The named bit fields of an x87/SSE register (fcw fsw ftw mxcsr), or undefined. */
export function fpuFields(name: string): BitField[] | undefined {
  const r = fpuName(name);
  return r?.k === 'control' ? BIT_FIELDS[r.name] : undefined;
}

/** A bit field of fcw/fsw/ftw/mxcsr, or an error message. */
export function readFpuField(d: Debuggee, register: string, field: string): bigint | string {
  const r = fpuName(register);
  const fields = fpuFields(register);
  if (r?.k !== 'control' || fields === undefined) return `'${register}' has no named bit fields`;
  const bf = findField(r.name, field);
  if (bf === undefined) return `unknown field '${field}' of ${r.name} (fields: ${fields.map((x) => x.name.toLowerCase()).join(' ')})`;
  return fieldValue(readControl(d, r.name), bf);
}

/** One lane of XMMn: `view` (canonical, see xmmView) element `index`. */
export function readXmmLane(d: Debuggee, n: number, view: string, index: number): FpuValue | string {
  const spec = XMM_VIEWS[view];
  const count = 128 / spec.bits;
  if (!Number.isInteger(index) || index < 0 || index >= count) return `xmm${n}.${view} has elements 0..${count - 1}, not ${index}`;
  const value = (readXmm(d, n) >> BigInt(index * spec.bits)) & ((1n << BigInt(spec.bits)) - 1n);
  if (spec.float) return { value, type: view, display: describeBinary(value, spec.bits as 32 | 64) };
  return { value, type: view, display: hex(value) };
}

/** Writes one lane of XMMn (raw bits); null or an error. */
export function writeXmmLane(d: Debuggee, n: number, view: string, index: number, value: bigint): string | null {
  const spec = XMM_VIEWS[view];
  const count = 128 / spec.bits;
  if (!Number.isInteger(index) || index < 0 || index >= count) return `xmm${n}.${view} has elements 0..${count - 1}, not ${index}`;
  if (value < 0n || value >> BigInt(spec.bits) !== 0n) return `xmm${n}.${view}[${index}] is ${spec.bits} bits wide: ${hex(value)} does not fit`;
  const b = d.cpu.fpu.xmm, at = n * 16 + (index * spec.bits) / 8;
  for (let k = 0; k < spec.bits / 8; k++) b[at + k] = Number((value >> BigInt(8 * k)) & 0xffn);
  return null;
}

/**
 * Writes a control register as the guest's load instruction would: FCW as FLDCW (all 16 bits, then ES/B
 * follow the unmasked flags, SDM Vol.1 §8.1.3.1), FSW and FTW as FLDENV (FSW as is; of the tag word only
 * "empty" matters, SDM Vol.2A FLDENV), MXCSR as LDMXCSR (#GP(0) when a bit outside MXCSR_MASK is set,
 * SDM Vol.2A LDMXCSR; Vol.1 §11.6.6). FOP, FIP, FCS, FDP and FDS record the last x87 instruction and are
 * read-only here. Returns null or the reason nothing changed.
 */
export function writeFpu(d: Debuggee, name: string, value: bigint): string | null {
  const r = fpuName(name);
  if (r === undefined) return `'${name}' is not an x87/SSE register`;
  const f = d.cpu.fpu;
  if (r.k === 'st') return `ST${r.i} is not written by the debugger (it holds an 80-bit value; load it with FLD in the guest)`;
  if (r.k === 'xmm') {
    if (value < 0n || value >> 128n !== 0n) return `XMM${r.n} is 128 bits wide: ${hex(value)} does not fit`;
    for (let k = 0; k < 16; k++) f.xmm[r.n * 16 + k] = Number((value >> BigInt(8 * k)) & 0xffn);
    return null;
  }
  const bits = CONTROL[r.name].bits;
  const upper = r.name.toUpperCase();
  if (r.name === 'mxcsr') {
    if (value < 0n || value > 0xffffffffn) return `MXCSR is 32 bits wide: ${hex(value)} does not fit`;
    const reserved = value & ~BigInt(MXCSR_MASK) & 0xffffffffn;
    if (reserved !== 0n) {
      return `ldmxcsr would raise #GP(0): reserved MXCSR bits ${hex(reserved)} set (MXCSR_MASK is ${hex(MXCSR_MASK)}; SDM Vol.2A LDMXCSR)`;
    }
    f.mxcsr = Number(value);
    return null;
  }
  if (r.name === 'fop' || r.name === 'fip' || r.name === 'fcs' || r.name === 'fdp' || r.name === 'fds') {
    return `${upper} records the last x87 instruction (SDM Vol.1 §8.1.8, §8.1.9) and is read-only here`;
  }
  if (value < 0n || value >> BigInt(bits) !== 0n) return `${upper} is ${bits} bits wide: ${hex(value)} does not fit`;
  const v = Number(value);
  if (r.name === 'fcw') { f.fcw = v; f.updateSummary(); }
  else if (r.name === 'fsw') f.fsw = v;
  else f.setFullTag(v);
  return null;
}

/** Writes a bit field by writing the whole register with it replaced, so writeFpu's checks apply. */
export function writeFpuField(d: Debuggee, register: string, field: string, value: bigint): string | null {
  const r = fpuName(register);
  if (r?.k !== 'control' || BIT_FIELDS[r.name] === undefined) return `'${register}' has no named bit fields`;
  const bf = findField(r.name, field);
  if (bf === undefined) return `${r.name} has no field '${field}' (fields: ${BIT_FIELDS[r.name].map((x) => x.name).join(' ')})`;
  if (value < 0n || value >> BigInt(bf.width) !== 0n) return `${r.name.toUpperCase()}.${bf.name} is ${bf.width} bit${bf.width > 1 ? 's' : ''} wide: ${hex(value)} does not fit`;
  return writeFpu(d, r.name, withField(readControl(d, r.name), bf, value));
}
