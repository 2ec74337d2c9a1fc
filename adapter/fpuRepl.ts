// fpuRepl.ts: the REPL's x87 and SSE commands — `info float` (GDB's layout: the physical registers R7–R0
// with their tags, raw bits and values, `=>` at TOP, then the status, control and tag words decoded and the
// last instruction's pointers) and `info sse` (alias `info vector`: MXCSR decoded, then each XMM register
// in hex and as u32, f32 and f64 lanes).
import type { Debuggee } from './debuggee';
import { columns, hexPad, hexWide } from './format';
import { TAG_NAMES, decodeExtended, describeBinary, describeExtended, extendedHex } from './fpuFormat';
import { describeFcw, describeFsw, describeFtw, describeMxcsr, xmmCount } from './fpuView';
import { fpuName, readControl, readXmm } from './fpuRegisters';

/** `info float`: R7 first, like GDB's i387 `info float` (and the SDM's Figure 8-2 drawing). */
export function infoFloat(d: Debuggee): string {
  const f = d.cpu.fpu;
  const top = f.top;
  const rows: string[][] = [];
  for (let r = 7; r >= 0; r--) {
    const tag = f.tagOf(r);
    const i = (r - top) & 7;
    const value = tag === 3 ? '' : describeExtended(decodeExtended(f.st, r * 10));
    rows.push([`${r === top ? '=>' : '  '}R${r}:`, `ST(${i})`, TAG_NAMES[tag], extendedHex(f.st, r * 10), value]);
  }
  const fop = f.fop & 0x7ff;
  const ptr = (sel: number, lo: number, hi: number): string => `${hexPad(sel & 0xffff, 4)}:${hexPad((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), hi === 0 ? 8 : 16)}`;
  const words = [
    ['Status Word:', hexPad(f.fsw & 0xffff, 4), describeFsw(f.fsw)],
    ['Control Word:', hexPad(f.fcw & 0xffff, 4), describeFcw(f.fcw)],
    ['Tag Word:', hexPad(f.fullTag(), 4), describeFtw(f.fullTag())],
    ['Instruction Pointer:', ptr(f.fcs, f.fipLo, f.fipHi), ''],
    ['Operand Pointer:', ptr(f.fds, f.fdpLo, f.fdpHi), ''],
    ['Opcode:', hexPad(fop, 4), fop === 0 ? '' : `(${(0xd8 | (fop >> 8)).toString(16)} ${(fop & 0xff).toString(16).padStart(2, '0')})`],
  ];
  return [columns(rows), '', columns(words)].join('\n');
}

/** `info sse [xmmN…]`: MXCSR and the XMM registers (XMM8–15 in IA-32e mode, or when named). */
export function infoSse(d: Debuggee, args: string): string {
  const names = args.trim() === '' ? [] : args.trim().split(/[\s,]+/);
  const list: number[] = [];
  for (const name of names) {
    const r = fpuName(name);
    if (r?.k !== 'xmm') return `info sse: '${name}' is not an XMM register (xmm0–xmm15)`;
    list.push(r.n);
  }
  if (list.length === 0) for (let n = 0; n < xmmCount(d); n++) list.push(n);
  const mxcsr = Number(readControl(d, 'mxcsr'));
  const rows: string[][] = [];
  for (const n of list) {
    const v = readXmm(d, n);
    const lanes = (bits: number, show: (x: bigint) => string): string =>
      `{${Array.from({ length: 128 / bits }, (_, k) => show((v >> BigInt(k * bits)) & ((1n << BigInt(bits)) - 1n))).join(', ')}}`;
    rows.push([`xmm${n}`, hexWide(v, 32), `u32 ${lanes(32, (x) => '0x' + x.toString(16))}`,
      `f32 ${lanes(32, (x) => describeBinary(x, 32))}`, `f64 ${lanes(64, (x) => describeBinary(x, 64))}`]);
  }
  return [`MXCSR ${hexPad(mxcsr, 8)} [${describeMxcsr(mxcsr)}]`, columns(rows)].join('\n');
}
