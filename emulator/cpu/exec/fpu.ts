// exec/fpu.ts: handlers of the x87 rows in forms/x87.ts — initialisation, control and status words, stack
// pointer moves, FLD1/FLDZ, EMMS — and the x87 handler table, which also takes the data transfers
// (fpuData.ts) and the arithmetic (fpuArithOps.ts). The environment and state images (FNSTENV, FLDENV,
// FNSAVE, FRSTOR) are in fpuEnv.ts; FXSAVE and MXCSR in fxsave.ts.
import { readRm, writeRm } from '../access';
import type { Handler, Insn } from '../insn';
import { Cpu, Reg } from '../state';
import { FSW_B, FSW_C1, FSW_ES, FSW_EXCEPTIONS, FSW_SF } from '../fpuState';
import { push, recordInstruction } from './fpuStack';
import { handlers as dataHandlers } from './fpuData';
import { handlers as arithHandlers } from './fpuArithOps';
import { simdAvailable, x87Available, x87Wait } from './fpuImage';

/** FNINIT (SDM Vol.2A FINIT/FNINIT): no #MF check, it is the non-waiting form. */
function fninit(cpu: Cpu): void {
  x87Available(cpu);
  cpu.fpu.init();
}

/** FNCLEX (SDM Vol.2A FCLEX/FNCLEX): clears PE UE OE ZE DE IE, SF, ES and B; C0–C3 and TOP stay. */
function fnclex(cpu: Cpu): void {
  x87Available(cpu);
  cpu.fpu.fsw &= ~(FSW_EXCEPTIONS | FSW_SF | FSW_ES | FSW_B);
}

/** FNSTCW m2byte (SDM Vol.2A FSTCW/FNSTCW). */
function fnstcw(cpu: Cpu, i: Insn): void {
  x87Available(cpu);
  writeRm(cpu, i, 16, cpu.fpu.fcw, 0);
}

/**
 * FLDCW m2byte (SDM Vol.2A FLDCW): a flag the new word unmasks makes an exception pending for the next
 * waiting instruction, so ES and B follow the new masks. Bit 6 reads as 1 and bits 15:13 as 0 on every
 * processor since the 80387 (FNINIT's 037FH; SDM Vol.1 §8.1.5 Figure 8-6 shows them reserved).
 */
function fldcw(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  f.fcw = readRm(cpu, i, 16) & 0xffff;
  f.updateSummary();
}

/** FNSTSW m2byte / AX (SDM Vol.2A FSTSW/FNSTSW). */
function fnstsw(cpu: Cpu, i: Insn): void {
  x87Available(cpu);
  writeRm(cpu, i, 16, cpu.fpu.fsw, 0);
}

function fnstswAx(cpu: Cpu): void {
  x87Available(cpu);
  cpu.lo[Reg.RAX] = (cpu.lo[Reg.RAX] & ~0xffff) | cpu.fpu.fsw;
}

/** FNOP (SDM Vol.2A FNOP): a non-control instruction that does nothing else. */
function fnop(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  recordInstruction(cpu, i, 1);
}

/** FINCSTP / FDECSTP (SDM Vol.2A): TOP ± 1, tags unchanged, C1 cleared. */
function fincstp(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  f.top = f.top + 1;
  f.fsw &= ~FSW_C1;
  recordInstruction(cpu, i, 1);
}

function fdecstp(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const f = cpu.fpu;
  f.top = f.top - 1;
  f.fsw &= ~FSW_C1;
  recordInstruction(cpu, i, 1);
}

/** FLD1: +1.0 is exponent 3FFFh, mantissa 8000000000000000h (SDM Vol.1 §4.2.2, Table 4-3). */
function fld1(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  push(cpu.fpu, 0x3fff, 0x80000000 | 0, 0);
  cpu.fpu.updateSummary();
  recordInstruction(cpu, i, 1);
}

function fldz(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  push(cpu.fpu, 0, 0, 0);
  cpu.fpu.updateSummary();
  recordInstruction(cpu, i, 1);
}

/**
 * EMMS (SDM Vol.2A EMMS): every tag becomes empty and, as for every MMX instruction, TOP becomes 0 (SDM Vol.1
 * §9.5.1, Table 9-2). An MMX instruction: #UD with CR0.EM, #NM with CR0.TS, #MF if an exception is pending.
 */
function emms(cpu: Cpu): void {
  simdAvailable(cpu);
  x87Wait(cpu);
  cpu.fpu.valid = 0;
  cpu.fpu.top = 0;
}

export const handlers: Record<string, Handler> = {
  fninit,
  fnclex,
  fnstcw_m16: fnstcw,
  fldcw_m16: fldcw,
  fnstsw_m16: fnstsw,
  fnstsw_ax: fnstswAx,
  fnop,
  fincstp,
  fdecstp,
  fld1,
  fldz,
  emms,
  ...dataHandlers,
  ...arithHandlers,
};
