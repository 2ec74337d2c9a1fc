// fpuView.ts: the "x87/SSE" scope of the variables view — FCW, FSW, the full tag word, FOP, FIP/FCS,
// FDP/FDS, ST0–ST7 in stack order (decimal value, raw bits, tag), MXCSR and the XMM registers with lane
// views. Edits go through fpuRegisters.ts, which loads values as FLDCW/FLDENV/LDMXCSR would.
import type { Debuggee } from './debuggee';
import { BIT_FIELDS, BitField, fieldValue } from './bitFields';
import { describeBinary, parseBinary, TAG_NAMES } from './fpuFormat';
import {
  XMM_VIEWS, describeSt, physicalOf, readControl, readSt, readXmm, writeFpu, writeFpuField, writeXmmLane,
} from './fpuRegisters';
import { setter } from './registerViews';
import { Entry, badValue, hex, hexPad, named, parseValue } from './variableTree';
import { hexWide } from './format';

const ROUNDING = ['nearest', 'down', 'up', 'toward zero'];
const PRECISION = ['single (24 bits)', 'reserved', 'double (53 bits)', 'extended (64 bits)'];

/** FCW in words: which exceptions are masked, precision and rounding (SDM Vol.1 §8.1.5). */
export function describeFcw(fcw: number): string {
  const masked = ['IM', 'DM', 'ZM', 'OM', 'UM', 'PM'].filter((_, k) => ((fcw >> k) & 1) !== 0);
  return `${masked.join(' ')}${masked.length ? ' ' : ''}PC=${(fcw >> 8) & 3} (${PRECISION[(fcw >> 8) & 3]}) RC=${(fcw >> 10) & 3} (${ROUNDING[(fcw >> 10) & 3]})${(fcw & 0x1000) !== 0 ? ' X' : ''}`;
}

/** FSW in words: the set flags, condition codes and TOP (SDM Vol.1 §8.1.3). */
export function describeFsw(fsw: number): string {
  const set = BIT_FIELDS.fsw.filter((f) => f.width === 1 && ((fsw >> f.bit) & 1) !== 0).map((f) => f.name);
  return `${set.join(' ')}${set.length ? ' ' : ''}TOP=${(fsw >> 11) & 7}`;
}

/** MXCSR in words: flags, masks, DAZ/FZ and rounding (SDM Vol.1 §10.2.3). */
export function describeMxcsr(mxcsr: number): string {
  const set = BIT_FIELDS.mxcsr.filter((f) => f.width === 1 && ((mxcsr >> f.bit) & 1) !== 0).map((f) => f.name);
  return `${set.join(' ')}${set.length ? ' ' : ''}RC=${(mxcsr >> 13) & 3} (${ROUNDING[(mxcsr >> 13) & 3]})`;
}

/** The tags, R7 first as the SDM draws the tag word: `R7 valid R6 empty …`. */
export function describeFtw(ftw: number): string {
  const out: string[] = [];
  for (let r = 7; r >= 0; r--) out.push(`R${r} ${TAG_NAMES[(ftw >> (2 * r)) & 3]}`);
  return out.join(', ');
}

function fieldEntries(d: Debuggee, register: 'fcw' | 'fsw' | 'ftw' | 'mxcsr'): Entry[] {
  const whole = readControl(d, register);
  return BIT_FIELDS[register].map((f: BitField) => {
    const v = fieldValue(whole, f);
    const bits = f.width === 1 ? `bit ${f.bit}` : `bits ${f.bit + f.width - 1}:${f.bit}`;
    let value = v.toString();
    if (register === 'ftw') value = `${v} (${TAG_NAMES[Number(v)]})`;
    else if (f.name === 'RC') value = `${v} (${ROUNDING[Number(v)]})`;
    else if (f.name === 'PC') value = `${v} (${PRECISION[Number(v)]})`;
    return {
      name: f.name,
      value,
      type: `${register.toUpperCase()}.${f.name} (${bits}): ${f.description}`,
      evaluateName: `$${register}.${f.name.toLowerCase()}`,
      set: setter(d, `${register.toUpperCase()}.${f.name}`, f.width, (x) => writeFpuField(d, register, f.name, x)),
    };
  });
}

function controlEntry(d: Debuggee, register: 'fcw' | 'fsw' | 'ftw' | 'mxcsr', describe: (v: number) => string, type: string): Entry {
  const v = readControl(d, register);
  const bits = register === 'mxcsr' ? 32 : 16;
  return {
    name: register.toUpperCase(),
    value: `${hexPad(v, bits / 4)} [${describe(Number(v))}]`,
    type,
    evaluateName: `$${register}`,
    set: setter(d, register.toUpperCase(), bits, (x) => writeFpu(d, register, x)),
    children: named(() => fieldEntries(d, register)),
  };
}

const readOnly = (name: string, value: string, type: string, evaluateName: string): Entry => ({ name, value, type, evaluateName });

function stEntry(d: Debuggee, i: number): Entry {
  const r = physicalOf(d, i);
  const tag = TAG_NAMES[d.cpu.fpu.tagOf(r)];
  return {
    name: `ST${i}`,
    value: `${describeSt(d, i)} (${hexWide(readSt(d, i), 20)}, ${tag})`,
    type: `ST(${i}) = R${r}, tag ${tag}: 80-bit double extended precision (SDM Vol.1 §4.2.2)`,
    evaluateName: `$st${i}`,
  };
}

/** One lane of XMMn: integers in hex, floats as decimals; integers take numbers, floats `1.5`, `inf` or raw bits. */
function laneEntry(d: Debuggee, n: number, view: string, index: number, whole: bigint): Entry {
  const spec = XMM_VIEWS[view];
  const value = (whole >> BigInt(index * spec.bits)) & ((1n << BigInt(spec.bits)) - 1n);
  const text = spec.float ? `${describeBinary(value, spec.bits as 32 | 64)} (${hexPad(value, spec.bits / 4)})` : hexPad(value, spec.bits / 4);
  const what = `XMM${n}.${view}[${index}]`;
  const plain = setter(d, what, spec.bits, (x) => writeXmmLane(d, n, view, index, x));
  return {
    name: `[${index}]`,
    value: text,
    type: spec.float ? (spec.bits === 32 ? 'float' : 'double') : `u${spec.bits}`,
    evaluateName: `$xmm${n}.${view}[${index}]`,
    set: spec.float
      ? (t) => {
        const bits = parseBinary(t, spec.bits as 32 | 64);
        if (bits !== null) return writeXmmLane(d, n, view, index, bits);
        return parseValue(t, spec.bits) === null ? `${what}: '${t.trim()}' is not a number (1.5, -2e10, inf, nan, or raw bits 0x…)` : plain(t);
      }
      : plain,
  };
}

function xmmEntry(d: Debuggee, n: number): Entry {
  const whole = readXmm(d, n);
  const views = ['u32', 'u64', 'u8', 'f32', 'f64'];
  return {
    name: `XMM${n}`,
    value: hexWide(whole, 32),
    type: 'u128',
    evaluateName: `$xmm${n}`,
    set: (t) => {
      const v = parseValue(t, 128);
      return v === null ? badValue(t, `XMM${n}`, 128) : writeFpu(d, `xmm${n}`, v);
    },
    children: named(() => views.map((view) => {
      const count = 128 / XMM_VIEWS[view].bits;
      const now = readXmm(d, n);
      const lanes = Array.from({ length: count }, (_, k) => laneEntry(d, n, view, k, now));
      return {
        name: view,
        value: `{${lanes.map((l) => l.value.replace(/ \(0x[0-9a-f]+\)$/, '')).join(', ')}}`,
        type: `${count} × ${XMM_VIEWS[view].float ? (view === 'f32' ? 'float' : 'double') : view}`,
        children: named(() => { const w = readXmm(d, n); return Array.from({ length: count }, (_, k) => laneEntry(d, n, view, k, w)); }),
      };
    })),
  };
}

/**
 * XMM8–XMM15 exist only for 64-bit code (SDM Vol.1 §10.2.2); they are listed while IA-32e mode is active
 * (EFER.LMA = 1), where the kernel's own 64-bit code can reach them, and hidden in legacy modes, where no
 * instruction can and they hold whatever 64-bit code last left. `$xmm8`… still evaluate in any mode.
 */
export function xmmCount(d: Debuggee): number {
  return (d.cpu.efer & (1 << 10)) !== 0 ? 16 : 8;
}

export function fpuScope(d: Debuggee): Entry[] {
  const f = d.cpu.fpu;
  const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const fop = f.fop & 0x7ff;
  const out: Entry[] = [
    controlEntry(d, 'fcw', describeFcw, 'x87 FPU control word (SDM Vol.1 §8.1.5)'),
    controlEntry(d, 'fsw', describeFsw, 'x87 FPU status word (SDM Vol.1 §8.1.3)'),
    controlEntry(d, 'ftw', describeFtw, 'x87 FPU tag word, 2 bits per physical register (SDM Vol.1 §8.1.7)'),
    readOnly('FOP', `${hexPad(fop, 3)} (${hexPad(0xd8 | (fop >> 8), 2).slice(2)} ${hexPad(fop & 0xff, 2).slice(2)})`,
      'last non-control instruction opcode: low 3 bits of its first byte and its ModR/M byte (SDM Vol.1 §8.1.9)', '$fop'),
    readOnly('FIP', hex(u64(f.fipLo, f.fipHi)), 'last non-control instruction pointer (SDM Vol.1 §8.1.8)', '$fip'),
    readOnly('FCS', hexPad(f.fcs & 0xffff, 4), 'its code segment selector', '$fcs'),
    readOnly('FDP', hex(u64(f.fdpLo, f.fdpHi)), 'last x87 memory operand offset (SDM Vol.1 §8.1.8)', '$fdp'),
    readOnly('FDS', hexPad(f.fds & 0xffff, 4), 'its segment selector', '$fds'),
  ];
  for (let i = 0; i < 8; i++) out.push(stEntry(d, i));
  out.push(controlEntry(d, 'mxcsr', describeMxcsr, 'SSE control and status (SDM Vol.1 §10.2.3)'));
  for (let n = 0; n < xmmCount(d); n++) out.push(xmmEntry(d, n));
  return out;
}
