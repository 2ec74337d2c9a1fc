// bitGroupCases.ts: case builders shared by the shift, bit and muldiv differential tests.
import { Form, Loc } from '../../emulator/isa/form';
import { encode } from '../support/encode';
import { DATA, HostCase, hostRegs, randomValue } from '../support/differential';

/** Registers a test may fill freely: not RSP (the stack) nor RBX (the memory base). */
export const FREE = [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** The same in 32-bit mode (EAX..EDI only). */
export const FREE32 = [0, 1, 2, 5, 6, 7];

/** Free registers of a mode. */
export function freeRegs(mode: 64 | 32): number[] {
  return mode === 64 ? FREE : FREE32;
}
/** Offset of the memory operand inside the DATA window (base RBX = DATA + BASE_OFF, disp 8). */
export const BASE_OFF = 0x40;

export function pick<T>(next: () => number, xs: readonly T[]): T {
  return xs[Math.floor(next() * xs.length)];
}

export function hasRm(f: Form): boolean {
  return f.operands.some((o) => o.loc === Loc.Rm);
}

export interface CaseSpec {
  reg?: number;
  /** Register in ModRM.rm, or -1 for the memory operand [rbx+8]. */
  rm: number;
  vvvv?: number;
  imm?: number;
  regs: bigint[];
  rflags: number;
  /** DATA window (default 256 random bytes at offset 0). */
  data?: Uint8Array;
  baseOff?: number;
  /** Extra legacy prefixes (LOCK). */
  prefixes?: number[];
}

/** Random register file (RBX points into DATA) with the six status flags and DF random. */
export function randomRegs(next: () => number, baseOff = BASE_OFF): bigint[] {
  const regs = hostRegs();
  for (const r of FREE) regs[r] = randomValue(next);
  regs[3] = BigInt(DATA + baseOff);
  return regs;
}

export function randomData(next: () => number, n = 256): Uint8Array {
  const d = new Uint8Array(n);
  for (let k = 0; k < n; k++) d[k] = Math.floor(next() * 256);
  return d;
}

export function randomFlags(next: () => number): number {
  return Math.floor(next() * 0x1000) & 0x8d5;
}

export function makeCase(f: Form, s: CaseSpec, next: () => number, mode: 64 | 32 = 64): HostCase {
  const code = encode(f, mode, { reg: s.reg ?? 0, rm: s.rm, mem: { base: 3, disp: 8 }, imms: [s.imm ?? 0], vvvv: s.vvvv ?? 0, prefixes: s.prefixes });
  return { mode, code, regs: s.regs, rflags: s.rflags, data: { offset: 0, bytes: s.data ?? randomData(next) } };
}

/** Writes a 64-bit little-endian value at DATA offset `off` of a window. */
export function putData(d: Uint8Array, off: number, v: bigint): void {
  for (let k = 0; k < 8; k++) d[off + k] = Number((BigInt.asUintN(64, v) >> BigInt(8 * k)) & 0xffn);
}
