// exec/fpuArithOps.ts: handlers of the x87 arithmetic rows (SDM Vol.2A FADD/FADDP, FSUB/FSUBP, FSUBR/FSUBRP,
// FMUL/FMULP, FDIV/FDIVP, FDIVR/FDIVRP) with m32fp, m64fp and register operands; the arithmetic itself is in
// fpuArith.ts. An empty operand is stack underflow (SDM Vol.1 §8.5.1.1); an unmasked invalid-operation,
// divide-by-zero or denormal exception leaves the destination and the stack as they were (§4.9.2:
// pre-computation exceptions); an unmasked overflow or underflow still stores, with the exponent biased
// (§4.9.1.4, §4.9.1.5, done in fpuArith.ts).
import { effectiveAddress, readRm } from '../access';
import type { Handler, Insn } from '../insn';
import type { Cpu } from '../state';
import { FSW_C1 } from '../fpuState';
import { EX_DE, EX_IE, EX_ZE, cv, f32ToExt, f64ToExt } from './fpuConvert';
import { OP_ADD, OP_DIV, OP_MUL, OP_SUB, arith, markDenormal, setOperands } from './fpuArith';
import { x87Wait } from './fpuImage';
import { isEmpty, pop, rd, readSt, recordInstruction, recordOperand, stPhys, underflow, writeIndefinite, writeSt } from './fpuStack';

function record(cpu: Cpu, i: Insn): void {
  recordInstruction(cpu, i, i.form.opcode & 7);
  if (i.mod !== 3) recordOperand(cpu, i, effectiveAddress(cpu, i), cpu.linHi);
}

/** Stores cv into physical register `dst` unless a pre-computation exception is unmasked; pops if asked. */
function finish(cpu: Cpu, i: Insn, dst: number, popAfter: boolean): void {
  const f = cpu.fpu;
  const pre = cv.exc & (EX_IE | EX_ZE | EX_DE);
  if ((pre & ~f.fcw) !== 0) {
    f.fsw |= pre; // the operation does not happen: no PE, C1 as it was (host CPU)
  } else {
    f.fsw = (f.fsw & ~FSW_C1) | cv.exc | (cv.c1 ? FSW_C1 : 0);
    writeSt(f, dst, cv.sexp, cv.hi, cv.lo);
    if (popAfter) pop(f);
  }
  f.updateSummary();
  record(cpu, i);
}

/** ST(0) ← ST(0) op m32fp/m64fp (reverse: m op ST(0)). */
function memory(op: number, reverse: boolean, size: 32 | 64): Handler {
  return (cpu, i) => {
    x87Wait(cpu);
    const f = cpu.fpu;
    if (size === 32) f32ToExt(readRm(cpu, i, 32));
    else { const lo = readRm(cpu, i, 64); f64ToExt(lo, cpu.tmpHi); }
    // The conversion quietened an SNaN (IE): the NaN rules need it as it was (SDM Vol.1 Table 4-7).
    const exc = cv.exc, ms = cv.sexp, mh = (exc & EX_IE) !== 0 ? cv.hi & ~0x40000000 : cv.hi, ml = cv.lo;
    const top = stPhys(f, 0);
    if (isEmpty(f, top)) {
      if (underflow(f)) writeIndefinite(f, top);
      f.updateSummary();
      record(cpu, i);
      return;
    }
    readSt(f, top);
    setOperands(rd.sexp, rd.hi, rd.lo, ms, mh, ml);
    if ((exc & EX_DE) !== 0) markDenormal(2);
    arith(op, reverse, f.fcw);
    finish(cpu, i, top, false);
  };
}

/**
 * Register forms: `toSt0` ST(0) ← ST(0) op ST(i); otherwise ST(i) ← ST(i) op ST(0), popping for the P forms.
 * reverse swaps the operands (FSUBR, FDIVR).
 */
function registers(op: number, reverse: boolean, toSt0: boolean, popAfter: boolean): Handler {
  return (cpu, i) => {
    x87Wait(cpu);
    const f = cpu.fpu;
    const st0 = stPhys(f, 0), sti = stPhys(f, i.rm & 7);
    const dst = toSt0 ? st0 : sti, src = toSt0 ? sti : st0;
    if (isEmpty(f, st0) || isEmpty(f, sti)) {
      if (underflow(f)) {
        writeIndefinite(f, dst);
        if (popAfter) pop(f);
      }
      f.updateSummary();
      record(cpu, i);
      return;
    }
    readSt(f, src);
    const ss = rd.sexp, sh = rd.hi, sl = rd.lo;
    readSt(f, dst);
    setOperands(rd.sexp, rd.hi, rd.lo, ss, sh, sl);
    arith(op, reverse, f.fcw);
    finish(cpu, i, dst, popAfter);
  };
}

const OPS: [string, number, boolean][] = [['fadd', OP_ADD, false], ['fmul', OP_MUL, false], ['fsub', OP_SUB, false], ['fsubr', OP_SUB, true], ['fdiv', OP_DIV, false], ['fdivr', OP_DIV, true]];

export const handlers: Record<string, Handler> = {};
for (const [name, op, reverse] of OPS) {
  handlers[`${name}_m32fp`] = memory(op, reverse, 32);
  handlers[`${name}_m64fp`] = memory(op, reverse, 64);
  handlers[`${name}_st0_st`] = registers(op, reverse, true, false);
  handlers[`${name}_st_st0`] = registers(op, reverse, false, false);
  handlers[`${name}p_st_st0`] = registers(op, reverse, false, true);
}
