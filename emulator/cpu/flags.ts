// flags.ts: RFLAGS with lazily computed arithmetic flags (SDM Vol.1 §3.4.3, Appendix A).
// ADD/SUB/logic/INC/DEC record dst, src and result sign-extended to 64 bits (as lo/hi int32 pairs)
// whatever their operand size. Sign extension preserves unsigned order and the sign bit, so one set
// of formulas below serves 8-, 16-, 32- and 64-bit operations alike.
import { FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF, FLAGS_ARITH } from '../isa/form';
import { LazyOp } from './lazyOp';
import type { Cpu } from './state';

/** Even parity of each byte value: PF (SDM Vol.1 §3.4.3.1). */
const PARITY = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let n = 0;
  for (let k = 0; k < 8; k++) n += (b >> k) & 1;
  PARITY[b] = (n & 1) === 0 ? FLAG_PF : 0;
}
export function parity(v: number): number {
  return PARITY[v & 0xff];
}

/** Unsigned a < b on 64-bit lo/hi pairs. */
function ult(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return aHi !== bHi ? aHi >>> 0 < bHi >>> 0 : aLo >>> 0 < bLo >>> 0;
}

/** Records an operation for lazy flags; values are sign-extended from the operand size by the caller. */
export function setLazy(cpu: Cpu, op: LazyOp, dst: number, dstHi: number, src: number, srcHi: number, res: number, resHi: number): void {
  cpu.lazyOp = op;
  cpu.lzDst = dst; cpu.lzDstHi = dstHi;
  cpu.lzSrc = src; cpu.lzSrcHi = srcHi;
  cpu.lzRes = res; cpu.lzResHi = resHi;
}

export function cf(cpu: Cpu): boolean {
  switch (cpu.lazyOp) {
    case LazyOp.None:
    case LazyOp.Inc:
    case LazyOp.Dec: return (cpu.flags & FLAG_CF) !== 0;
    case LazyOp.Add: return ult(cpu.lzRes, cpu.lzResHi, cpu.lzDst, cpu.lzDstHi);
    case LazyOp.Adc: return !ult(cpu.lzDst, cpu.lzDstHi, cpu.lzRes, cpu.lzResHi);
    case LazyOp.Sub: return ult(cpu.lzDst, cpu.lzDstHi, cpu.lzSrc, cpu.lzSrcHi);
    case LazyOp.Sbb: return !ult(cpu.lzSrc, cpu.lzSrcHi, cpu.lzDst, cpu.lzDstHi);
    case LazyOp.Logic: return false;
  }
}

export function zf(cpu: Cpu): boolean {
  return cpu.lazyOp === LazyOp.None ? (cpu.flags & FLAG_ZF) !== 0 : (cpu.lzRes | cpu.lzResHi) === 0;
}

export function sf(cpu: Cpu): boolean {
  return cpu.lazyOp === LazyOp.None ? (cpu.flags & FLAG_SF) !== 0 : cpu.lzResHi < 0;
}

export function of(cpu: Cpu): boolean {
  switch (cpu.lazyOp) {
    case LazyOp.None: return (cpu.flags & FLAG_OF) !== 0;
    case LazyOp.Add:
    case LazyOp.Adc:
    case LazyOp.Inc: return ((cpu.lzDstHi ^ cpu.lzResHi) & (cpu.lzSrcHi ^ cpu.lzResHi)) < 0;
    case LazyOp.Sub:
    case LazyOp.Sbb:
    case LazyOp.Dec: return ((cpu.lzDstHi ^ cpu.lzSrcHi) & (cpu.lzDstHi ^ cpu.lzResHi)) < 0;
    case LazyOp.Logic: return false;
  }
}

export function pf(cpu: Cpu): boolean {
  return cpu.lazyOp === LazyOp.None ? (cpu.flags & FLAG_PF) !== 0 : PARITY[cpu.lzRes & 0xff] !== 0;
}

export function af(cpu: Cpu): boolean {
  if (cpu.lazyOp === LazyOp.None) return (cpu.flags & FLAG_AF) !== 0;
  // Logic ops leave AF undefined; processors clear it (checked against the host in the differential suite).
  if (cpu.lazyOp === LazyOp.Logic) return false;
  return ((cpu.lzDst ^ cpu.lzSrc ^ cpu.lzRes) & 0x10) !== 0;
}

/** Folds pending lazy flags into cpu.flags, so that cpu.flags holds the whole RFLAGS. */
export function materialize(cpu: Cpu): void {
  if (cpu.lazyOp === LazyOp.None) return;
  let f = cpu.flags & ~FLAGS_ARITH;
  if (cf(cpu)) f |= FLAG_CF;
  if (pf(cpu)) f |= FLAG_PF;
  if (af(cpu)) f |= FLAG_AF;
  if (zf(cpu)) f |= FLAG_ZF;
  if (sf(cpu)) f |= FLAG_SF;
  if (of(cpu)) f |= FLAG_OF;
  cpu.flags = f;
  cpu.lazyOp = LazyOp.None;
}

/** RFLAGS as software sees it (PUSHF, the debugger). */
export function rflags(cpu: Cpu): number {
  materialize(cpu);
  return cpu.flags;
}

/**
 * Replaces the arithmetic flags given in `mask` with those in `value`. When the mask covers all six, the
 * pending ones need not be computed first: every one of them is overwritten (shifts, MUL/IMUL, BCD).
 */
export function setArith(cpu: Cpu, mask: number, value: number): void {
  if ((mask & FLAGS_ARITH) === FLAGS_ARITH) cpu.lazyOp = LazyOp.None;
  else materialize(cpu);
  cpu.flags = (cpu.flags & ~mask) | (value & mask);
}

/**
 * Condition codes tttn of Jcc/SETcc/CMOVcc (SDM Vol.1 Appendix B, Table B-1):
 * even cc tests the condition, odd cc its negation.
 */
export function condition(cpu: Cpu, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = of(cpu); break;
    case 1: r = cf(cpu); break;
    case 2: r = zf(cpu); break;
    case 3: r = cf(cpu) || zf(cpu); break;
    case 4: r = sf(cpu); break;
    case 5: r = pf(cpu); break;
    case 6: r = sf(cpu) !== of(cpu); break;
    default: r = zf(cpu) || sf(cpu) !== of(cpu); break;
  }
  return (cc & 1) === 0 ? r : !r;
}
