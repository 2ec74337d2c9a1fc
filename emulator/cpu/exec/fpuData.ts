// exec/fpuData.ts: handlers of the x87 data-transfer rows (SDM Vol.1 §8.3.3, §8.3.4): FLD, FST/FSTP, FILD,
// FIST/FISTP, FXCH, FFREE, FCHS, FABS and the constant loads (§8.3.8). Conversions are in fpuConvert.ts. A store
// to memory computes its value first, writes it (which may fault, leaving the FPU as it was), then updates
// FSW and the stack. An unmasked invalid, overflow or underflow exception with a memory destination stores
// nothing and pops nothing (SDM Vol.1 §4.9.2, §8.5.1.2): only the flags change, and the next waiting
// instruction reports it.
import { Access, effectiveAddress, linear, readRm, writeRm } from '../access';
import type { Handler, Insn } from '../insn';
import type { Cpu } from '../state';
import { FSW_C1, FSW_SF } from '../fpuState';
import {
  CONSTANTS, EX_IE, EX_OE, EX_UE, INDEFINITE_HI, INDEFINITE_SEXP, cv, extToInt, extToReal, f32ToExt, f64ToExt,
  intIndefinite, intToExt, realIndefinite, roundConstant,
} from './fpuConvert';
import { imageView, loadImage, storeImage, x87Wait } from './fpuImage';
import { isEmpty, pop, push, rd, readSt, recordInstruction, recordOperand, stPhys, underflow, writeIndefinite, writeSt } from './fpuStack';

/** Records FIP/FOP and, for a memory operand, FDP/FDS (SDM Vol.1 §8.1.8). */
function record(cpu: Cpu, i: Insn): void {
  recordInstruction(cpu, i, i.form.opcode & 7);
  if (i.mod !== 3) {
    const lo = effectiveAddress(cpu, i);
    recordOperand(cpu, i, lo, cpu.linHi);
  }
}

/** Adds exception flags to FSW and updates ES/B. */
function flag(cpu: Cpu, exc: number): void {
  cpu.fpu.fsw |= exc;
  cpu.fpu.updateSummary();
}

/**
 * Pushes cv's value unless it is an SNaN with IE unmasked (then only the flags change). An unmasked DE
 * still loads the value, which is exact; #MF comes at the next waiting instruction (host CPU).
 */
function pushConverted(cpu: Cpu): void {
  const f = cpu.fpu;
  if ((cv.exc & ~f.fcw & EX_IE) !== 0) { flag(cpu, cv.exc); return; }
  f.fsw |= cv.exc;
  push(f, cv.sexp, cv.hi, cv.lo);
  f.updateSummary();
}

// --- Loads (SDM Vol.2A FLD, FILD, FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2) ---

function fldM32fp(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  f32ToExt(readRm(cpu, i, 32));
  pushConverted(cpu);
  record(cpu, i);
}

function fldM64fp(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const lo = readRm(cpu, i, 64);
  f64ToExt(lo, cpu.tmpHi);
  pushConverted(cpu);
  record(cpu, i);
}

/** FLD m80fp: the value is loaded as it is, with no exception but stack overflow. */
function fldM80fp(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const a = linear(cpu, i, 10, Access.Read);
  loadImage(cpu, a, cpu.linHi, 10);
  push(cpu.fpu, imageView.getUint16(8, true), imageView.getInt32(4, true), imageView.getInt32(0, true));
  cpu.fpu.updateSummary();
  record(cpu, i);
}

/** FLD ST(i): ST(i) empty is stack underflow; masked, the indefinite is pushed. */
function fldSt(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  const src = stPhys(f, i.rm & 7);
  if (isEmpty(f, src)) {
    if (underflow(f)) push(f, INDEFINITE_SEXP, INDEFINITE_HI, 0);
  } else {
    readSt(f, src);
    push(f, rd.sexp, rd.hi, rd.lo);
  }
  f.updateSummary();
  record(cpu, i);
}

function fildM16(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const v = (readRm(cpu, i, 16) << 16) >> 16;
  intToExt(v, v >> 31);
  pushConverted(cpu);
  record(cpu, i);
}

function fildM32(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const v = readRm(cpu, i, 32) | 0;
  intToExt(v, v >> 31);
  pushConverted(cpu);
  record(cpu, i);
}

function fildM64(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const lo = readRm(cpu, i, 64);
  intToExt(lo, cpu.tmpHi);
  pushConverted(cpu);
  record(cpu, i);
}

/** The constants are rounded by FCW.RC (SDM Vol.1 §8.3.8); they never raise an exception but overflow. */
function fldConstant(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  roundConstant(CONSTANTS[i.form.name], (cpu.fpu.fcw >> 10) & 3);
  push(cpu.fpu, cv.sexp, cv.hi, cv.lo);
  cpu.fpu.updateSummary();
  record(cpu, i);
}

// --- Stores (SDM Vol.2B FST/FSTP, FIST/FISTP) ---

/**
 * Converts ST(0) for a store of `kind` (32/64 real, or 16/32/64 integer with `int`) into cv. Empty ST(0)
 * is stack underflow: IE and SF, C1 cleared, and the indefinite of the destination format.
 */
function convertTop(cpu: Cpu, size: 16 | 32 | 64, int: boolean): boolean {
  const f = cpu.fpu;
  const top = stPhys(f, 0);
  if (isEmpty(f, top)) {
    if (int) intIndefinite(size); else realIndefinite(size);
    cv.exc = EX_IE;
    cv.c1 = 0;
    return true;
  }
  readSt(f, top);
  if (int) extToInt(rd.sexp, rd.hi, rd.lo, size, (f.fcw >> 10) & 3);
  else extToReal(rd.sexp, rd.hi, rd.lo, size as 32 | 64, f.fcw);
  return false;
}

/** After the value in cv is stored (or refused): flags, C1, SF for a stack fault, and the pop. */
function finishStore(cpu: Cpu, stackFault: boolean, popAfter: boolean, stored: boolean): void {
  const f = cpu.fpu;
  f.fsw = (f.fsw & ~FSW_C1) | cv.exc | (cv.c1 ? FSW_C1 : 0) | (stackFault ? FSW_SF : 0);
  if (stored && popAfter) pop(f);
  f.updateSummary();
}

/** Whether cv's exceptions forbid the store: an unmasked IE, OE or UE (SDM Vol.1 §4.9.2). */
function refused(cpu: Cpu): boolean {
  return (cv.exc & ~cpu.fpu.fcw & (EX_IE | EX_OE | EX_UE)) !== 0;
}

function storeReal(cpu: Cpu, i: Insn, size: 32 | 64, popAfter: boolean): void {
  x87Wait(cpu);
  const fault = convertTop(cpu, size, false);
  const ok = !refused(cpu);
  if (ok) writeRm(cpu, i, size, cv.lo, cv.hi);
  finishStore(cpu, fault, popAfter, ok);
  record(cpu, i);
}

function storeInt(cpu: Cpu, i: Insn, size: 16 | 32 | 64, popAfter: boolean): void {
  x87Wait(cpu);
  const fault = convertTop(cpu, size, true);
  const ok = !refused(cpu);
  if (ok) writeRm(cpu, i, size, cv.lo, cv.hi);
  finishStore(cpu, fault, popAfter, ok);
  record(cpu, i);
}

/** FSTP m80fp: ST(0) as it is; empty, the indefinite (masked). */
function fstpM80fp(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  const top = stPhys(f, 0);
  const fault = isEmpty(f, top);
  if (fault) { rd.sexp = INDEFINITE_SEXP; rd.hi = INDEFINITE_HI; rd.lo = 0; } else readSt(f, top);
  cv.exc = fault ? EX_IE : 0;
  cv.c1 = 0;
  const ok = !refused(cpu);
  if (ok) {
    const a = linear(cpu, i, 10, Access.Write);
    imageView.setInt32(0, rd.lo, true);
    imageView.setInt32(4, rd.hi, true);
    imageView.setUint16(8, rd.sexp, true);
    storeImage(cpu, a, cpu.linHi, 10);
  }
  finishStore(cpu, fault, true, ok);
  record(cpu, i);
}

/** FST/FSTP ST(i): ST(i) ← ST(0), then FSTP pops (FSTP ST(0) only pops). */
function storeSt(cpu: Cpu, i: Insn, popAfter: boolean): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  const top = stPhys(f, 0), dst = stPhys(f, i.rm & 7);
  if (isEmpty(f, top)) {
    if (underflow(f)) {
      writeIndefinite(f, dst);
      if (popAfter) pop(f);
    }
  } else {
    readSt(f, top);
    writeSt(f, dst, rd.sexp, rd.hi, rd.lo);
    f.fsw &= ~FSW_C1;
    if (popAfter) pop(f);
  }
  f.updateSummary();
  record(cpu, i);
}

// --- Register operations (SDM Vol.2A FXCH, FFREE, FCHS, FABS) ---

/** FXCH ST(i): an empty register is stack underflow; masked, it becomes the indefinite before the swap. */
function fxch(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  const a = stPhys(f, 0), b = stPhys(f, i.rm & 7);
  if (isEmpty(f, a) || isEmpty(f, b)) {
    if (!underflow(f)) { f.updateSummary(); record(cpu, i); return; }
    if (isEmpty(f, a)) writeIndefinite(f, a);
    if (isEmpty(f, b)) writeIndefinite(f, b);
  } else {
    f.fsw &= ~FSW_C1;
  }
  const s = f.st;
  for (let k = 0; k < 10; k++) {
    const t = s[a * 10 + k];
    s[a * 10 + k] = s[b * 10 + k];
    s[b * 10 + k] = t;
  }
  f.updateSummary();
  record(cpu, i);
}

/** FFREE ST(i): tag empty; TOP and the condition codes stay. */
function ffree(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  f.valid &= ~(1 << stPhys(f, i.rm & 7));
  record(cpu, i);
}

/** FCHS / FABS: the sign bit of ST(0) flipped or cleared; C1 cleared; empty ST(0) is stack underflow. */
function signOp(cpu: Cpu, i: Insn, clear: boolean): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  const top = stPhys(f, 0);
  if (isEmpty(f, top)) {
    if (underflow(f)) writeIndefinite(f, top);
  } else {
    const o = top * 10 + 9;
    f.st[o] = clear ? f.st[o] & 0x7f : f.st[o] ^ 0x80;
    f.fsw &= ~FSW_C1;
  }
  f.updateSummary();
  record(cpu, i);
}


export const handlers: Record<string, Handler> = {
  fld_m32fp: fldM32fp,
  fld_m64fp: fldM64fp,
  fld_m80fp: fldM80fp,
  fld_st: fldSt,
  fild_m16int: fildM16,
  fild_m32int: fildM32,
  fild_m64int: fildM64,
  fldl2t: fldConstant,
  fldl2e: fldConstant,
  fldpi: fldConstant,
  fldlg2: fldConstant,
  fldln2: fldConstant,
  fst_m32fp: (cpu, i) => storeReal(cpu, i, 32, false),
  fst_m64fp: (cpu, i) => storeReal(cpu, i, 64, false),
  fstp_m32fp: (cpu, i) => storeReal(cpu, i, 32, true),
  fstp_m64fp: (cpu, i) => storeReal(cpu, i, 64, true),
  fstp_m80fp: fstpM80fp,
  fst_st: (cpu, i) => storeSt(cpu, i, false),
  fstp_st: (cpu, i) => storeSt(cpu, i, true),
  fist_m16int: (cpu, i) => storeInt(cpu, i, 16, false),
  fist_m32int: (cpu, i) => storeInt(cpu, i, 32, false),
  fistp_m16int: (cpu, i) => storeInt(cpu, i, 16, true),
  fistp_m32int: (cpu, i) => storeInt(cpu, i, 32, true),
  fistp_m64int: (cpu, i) => storeInt(cpu, i, 64, true),
  fxch_st: fxch,
  ffree_st: ffree,
  fchs: (cpu, i) => signOp(cpu, i, false),
  fabs: (cpu, i) => signOp(cpu, i, true),
};
