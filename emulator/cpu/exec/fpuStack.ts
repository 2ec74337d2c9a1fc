// exec/fpuStack.ts: the x87 register stack as the data-transfer handlers use it — ST(i) to physical
// register, reading and writing raw 80-bit values, push and pop with the stack-fault rules (SDM Vol.1
// §8.1.2, §8.5.1.1). Values are read into `rd` (one reused object) so nothing allocates per instruction.
import type { FpuState } from '../fpuState';
import type { Insn } from '../insn';
import { Cpu, Seg } from '../state';
import { FSW_C1, FSW_IE, FSW_SF } from '../fpuState';
import { INDEFINITE_HI, INDEFINITE_SEXP } from './fpuConvert';

/** The last value read by readSt: sign and exponent, significand high and low halves. */
export const rd = { sexp: 0, hi: 0, lo: 0 };

/** Physical register holding ST(i). */
export function stPhys(f: FpuState, i: number): number {
  return (f.top + i) & 7;
}

export function isEmpty(f: FpuState, phys: number): boolean {
  return (f.valid & (1 << phys)) === 0;
}

export function readSt(f: FpuState, phys: number): void {
  const b = f.st, o = phys * 10;
  rd.lo = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
  rd.hi = b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24);
  rd.sexp = b[o + 8] | (b[o + 9] << 8);
}

/** Writes a raw value to a physical register and marks it not empty. */
export function writeSt(f: FpuState, phys: number, sexp: number, hi: number, lo: number): void {
  const b = f.st, o = phys * 10;
  b[o] = lo; b[o + 1] = lo >>> 8; b[o + 2] = lo >>> 16; b[o + 3] = lo >>> 24;
  b[o + 4] = hi; b[o + 5] = hi >>> 8; b[o + 6] = hi >>> 16; b[o + 7] = hi >>> 24;
  b[o + 8] = sexp; b[o + 9] = sexp >>> 8;
  f.valid |= 1 << phys;
}

/** Writes the QNaN floating-point indefinite (SDM Vol.1 §4.8.3.7). */
export function writeIndefinite(f: FpuState, phys: number): void {
  writeSt(f, phys, INDEFINITE_SEXP, INDEFINITE_HI, 0);
}

/**
 * Pushes a value. The destination register not being empty is stack overflow (SDM Vol.1 §8.5.1.1): IE, SF
 * and C1 set; masked, the QNaN indefinite is pushed; unmasked, nothing changes but the flags. Otherwise C1
 * is cleared.
 */
export function push(f: FpuState, sexp: number, hi: number, lo: number): void {
  const top = (f.top - 1) & 7;
  if (!isEmpty(f, top)) {
    f.fsw |= FSW_IE | FSW_SF | FSW_C1;
    if ((f.fcw & FSW_IE) === 0) return;
    sexp = INDEFINITE_SEXP; hi = INDEFINITE_HI; lo = 0;
  } else {
    f.fsw &= ~FSW_C1;
  }
  writeSt(f, top, sexp, hi, lo);
  f.top = top;
}

/** Marks ST(0) empty and increments TOP (SDM Vol.1 §8.1.2). */
export function pop(f: FpuState): void {
  f.valid &= ~(1 << f.top);
  f.top = f.top + 1;
}

/**
 * Stack underflow: a source register is empty (SDM Vol.1 §8.5.1.1). Sets IE and SF, clears C1; returns
 * whether IE is masked (the masked response then writes the indefinite).
 */
export function underflow(f: FpuState): boolean {
  f.fsw = (f.fsw | FSW_IE | FSW_SF) & ~FSW_C1;
  return (f.fcw & FSW_IE) !== 0;
}

/**
 * A non-control instruction records its address and opcode (SDM Vol.1 §8.1.8, §8.1.9): FIP is the
 * instruction's offset and FCS its code segment; FOP is the low three bits of the first opcode byte and the
 * ModR/M byte (11 bits).
 */
export function recordInstruction(cpu: Cpu, i: Insn, opcodeLow3: number): void {
  const f = cpu.fpu;
  const s = (i.nextLo >>> 0) - i.len;
  f.fipLo = s | 0;
  f.fipHi = s < 0 ? (i.nextHi - 1) | 0 : i.nextHi;
  f.fcs = cpu.segSel[Seg.CS];
  f.fop = ((opcodeLow3 & 7) << 8) | modrmByte(i);
}

/** The instruction's ModR/M byte, rebuilt from its decoded fields (REX extensions dropped). */
function modrmByte(i: Insn): number {
  return (i.mod << 6) | ((i.reg & 7) << 3) | (i.rm & 7);
}

/** Records the memory operand of a non-control instruction: its offset (FDP) and segment (FDS). */
export function recordOperand(cpu: Cpu, i: Insn, offsetLo: number, offsetHi: number): void {
  const f = cpu.fpu;
  f.fdpLo = offsetLo;
  f.fdpHi = offsetHi;
  f.fds = cpu.segSel[i.seg];
}
