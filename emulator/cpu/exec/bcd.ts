// exec/bcd.ts: decimal adjustments DAA, DAS, AAA, AAS, AAM, AAD and the undocumented SALC — the
// legacy-only (i64) instructions of the data-movement group (SDM Vol.2A, Operation sections).
import { getReg8, setReg8 } from '../access';
import { Vector, raise } from '../fault';
import { parity, rflags, setArith } from '../flags';
import { Handler, Insn } from '../insn';
import { Cpu } from '../state';
import { FLAG_AF, FLAG_CF, FLAGS_ARITH, FLAG_SF, FLAG_ZF } from '../../isa/form';

/** SF, ZF and PF of a byte result. */
function szp(al: number): number {
  return (al & 0x80 ? FLAG_SF : 0) | (al === 0 ? FLAG_ZF : 0) | parity(al);
}

/** DAA (SDM Vol.2A DAA Operation). OF is undefined; it is left clear. */
const daa: Handler = (cpu: Cpu): void => {
  const f = rflags(cpu);
  const oldAl = cpu.lo[0] & 0xff, oldCf = (f & FLAG_CF) !== 0;
  // The carry out of the first step is overridden by the second (SDM pseudocode sets CF in both branches).
  let al = oldAl, a = false;
  if ((al & 0x0f) > 9 || (f & FLAG_AF)) {
    al = (al + 6) & 0xff;
    a = true;
  }
  const c = oldAl > 0x99 || oldCf;
  if (c) al = (al + 0x60) & 0xff;
  setReg8(cpu, 0, al);
  setArith(cpu, FLAGS_ARITH, szp(al) | (a ? FLAG_AF : 0) | (c ? FLAG_CF : 0));
};

/** DAS (SDM Vol.2A DAS Operation): unlike DAA, the second step only ever sets CF. OF undefined, left clear. */
const das: Handler = (cpu: Cpu): void => {
  const f = rflags(cpu);
  const oldAl = cpu.lo[0] & 0xff, oldCf = (f & FLAG_CF) !== 0;
  let al = oldAl, c = false, a = false;
  if ((al & 0x0f) > 9 || (f & FLAG_AF)) {
    c = oldCf || al < 6;
    al = (al - 6) & 0xff;
    a = true;
  }
  if (oldAl > 0x99 || oldCf) { al = (al - 0x60) & 0xff; c = true; }
  setReg8(cpu, 0, al);
  setArith(cpu, FLAGS_ARITH, szp(al) | (a ? FLAG_AF : 0) | (c ? FLAG_CF : 0));
};

/**
 * AAA / AAS (SDM Vol.2A AAA, AAS Operation): AX ← AX ± 106h (AAS: AX − 6, AH − 1) when the low nibble
 * is not a decimal digit or AF is set; AL keeps its low nibble. OF, SF, ZF, PF are undefined; they are
 * computed from AL as a zero-flag-style result here.
 */
function asciiAdjust(sub: boolean): Handler {
  return (cpu: Cpu): void => {
    const f = rflags(cpu);
    let ax = cpu.lo[0] & 0xffff;
    const adjust = (ax & 0x0f) > 9 || (f & FLAG_AF) !== 0;
    if (adjust) ax = sub ? ax - 6 - 0x100 : ax + 0x106;
    ax = (ax & 0xff00) | (ax & 0x0f);
    cpu.lo[0] = (cpu.lo[0] & ~0xffff) | (ax & 0xffff);
    setArith(cpu, FLAGS_ARITH, szp(ax & 0xff) | (adjust ? FLAG_AF | FLAG_CF : 0));
  };
}

/** AAM imm8: AH ← AL / imm8, AL ← AL mod imm8; imm8 = 0 is #DE (SDM Vol.2A AAM). OF, AF, CF undefined: cleared. */
const aam: Handler = (cpu: Cpu, i: Insn): void => {
  const base = i.immLo & 0xff;
  if (base === 0) raise(Vector.DE, 0, 'aam with a zero base');
  const al = cpu.lo[0] & 0xff;
  const q = Math.floor(al / base), r = al % base;
  cpu.lo[0] = (cpu.lo[0] & ~0xffff) | (q << 8) | r;
  setArith(cpu, FLAGS_ARITH, szp(r));
};

/** AAD imm8: AL ← (AL + AH × imm8) AND FFh, AH ← 0 (SDM Vol.2A AAD). OF, AF, CF undefined: cleared. */
const aad: Handler = (cpu: Cpu, i: Insn): void => {
  const al = (getReg8(cpu, 0) + getReg8(cpu, 16) * (i.immLo & 0xff)) & 0xff;
  cpu.lo[0] = (cpu.lo[0] & ~0xffff) | al;
  setArith(cpu, FLAGS_ARITH, szp(al));
};

/** SALC (undocumented, D6): AL ← CF ? FFh : 00h; flags unchanged. */
const salc: Handler = (cpu: Cpu): void => {
  setReg8(cpu, 0, (rflags(cpu) & FLAG_CF) !== 0 ? 0xff : 0);
};

export const handlers: Record<string, Handler> = {
  daa, das, aaa: asciiAdjust(false), aas: asciiAdjust(true), aam_imm8: aam, aad_imm8: aad, salc,
};
