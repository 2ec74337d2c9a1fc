// exec/move.ts: MOV, LDS/LES/LSS/LFS/LGS, MOVZX/MOVSX/MOVSXD, LEA, XCHG/NOP/PAUSE, CMPXCHG(8B/16B), XADD, BSWAP, CMOVcc,
// SETcc, CBW…CQO, LAHF/SAHF and CLC/STC/CMC/CLD/STD (SDM Vol.2). Memory is written before any register
// or flag, so a faulting write leaves the architectural state as it was.
import {
  Access, effectiveAddress, getReg8, linear, readLinear, readReg, readRm, setReg32, setReg8, setRegSized, writeLinear, writeRm,
} from '../access';
import { Vector, raise } from '../fault';
import { cf, condition, rflags, setArith } from '../flags';
import { Handler, Insn } from '../insn';
import { loadSegment } from '../segment';
import { ATTN_SHADOW, Cpu, Seg } from '../state';
import { FLAG_AF, FLAG_CF, FLAG_DF, FLAG_PF, FLAG_SF, FLAG_ZF } from '../../isa/form';
import { AluOp, alu32, alu64 } from './alu';

/** Sign-extends the low `size` bits (8, 16, 32) of v to int32. */
function sext(v: number, size: number): number {
  return size === 8 ? (v << 24) >> 24 : size === 16 ? (v << 16) >> 16 : v | 0;
}

// MOV (SDM Vol.2B MOV): no flags.

function movRmR(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const v = readReg(cpu, i.reg, size);
    writeRm(cpu, i, size, v, size === 64 ? cpu.tmpHi : 0);
  };
}

function movRRm(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const v = readRm(cpu, i, size);
    setRegSized(cpu, i.reg, size, v, size === 64 ? cpu.tmpHi : 0);
  };
}

function movRImm(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => setRegSized(cpu, i.rm, size, i.immLo, i.immHi);
}

function movRmImm(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => writeRm(cpu, i, size, i.immLo, i.immHi);
}

/** MOV AL/AX/EAX/RAX, moffs: the decoder resolved the offset into an absolute EA in the chosen segment. */
function movAccMoffs(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const a = linear(cpu, i, size >> 3, Access.Read);
    const v = readLinear(cpu, a, cpu.linHi, size);
    setRegSized(cpu, 0, size, v, size === 64 ? cpu.tmpHi : 0);
  };
}

function movMoffsAcc(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const a = linear(cpu, i, size >> 3, Access.Write);
    writeLinear(cpu, a, cpu.linHi, size, size === 8 ? cpu.lo[0] & 0xff : cpu.lo[0], cpu.hi[0]);
  };
}

/**
 * MOV r/m, Sreg: a memory destination is always 16 bits; a 32- or 64-bit register destination gets
 * the selector zero-extended (SDM Vol.2B MOV, note on Sreg moves: P6 and later fill with zeros).
 */
function movRmSreg(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const s = i.reg & 7;
    if (s > Seg.GS) raise(Vector.UD, 0, 'mov from a segment register that does not exist');
    const v = cpu.segSel[s];
    if (i.mod === 3) setRegSized(cpu, i.rm, size, v, 0);
    else writeRm(cpu, i, 16, v, 0);
  };
}

/**
 * MOV Sreg, r/m: loads through loadSegment (real mode: base = selector × 16; protected mode: the
 * descriptor checks). MOV to CS is #UD. MOV SS inhibits interrupts until after the next instruction
 * (SDM Vol.2B MOV, Operation and Description; Vol.3A §6.8.3).
 */
function movSregRm(): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const s = i.reg & 7;
    if (s === Seg.CS || s > Seg.GS) raise(Vector.UD, 0, 'mov to CS or to a segment register that does not exist');
    const v = i.mod === 3 ? cpu.lo[i.rm] & 0xffff : readRm(cpu, i, 16);
    loadSegment(cpu, s, v);
    if (s === Seg.SS) cpu.attention |= ATTN_SHADOW;
  };
}

/**
 * LDS/LES/LSS/LFS/LGS (SDM Vol.2A "LDS/LES/LFS/LGS/LSS"): the offset (operand size) then the 16-bit
 * selector are read from memory, the segment is loaded (real mode: base = selector × 16; protected
 * mode: the MOV Sreg checks) and only then the register is written, so a faulting segment load leaves
 * it unchanged. LSS inhibits interrupts until after the next instruction, as MOV SS does.
 */
function loadFarPtr(seg: number, size: number): Handler {
  const n = size >> 3;
  return (cpu: Cpu, i: Insn): void => {
    const a = linear(cpu, i, n + 2, Access.Read);
    const aHi = cpu.linHi;
    const off = readLinear(cpu, a, aHi, size);
    const offHi = size === 64 ? cpu.tmpHi : 0;
    const sel = readLinear(cpu, (a + n) | 0, aHi, 16);
    loadSegment(cpu, seg, sel);
    setRegSized(cpu, i.reg, size, off, offHi);
    if (seg === Seg.SS) cpu.attention |= ATTN_SHADOW;
  };
}

// MOVZX, MOVSX, MOVSXD (SDM Vol.2B).

function movExtend(dst: number, src: number, signed: boolean): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const raw = readRm(cpu, i, src);
    const v = signed ? sext(raw, src) : src === 8 ? raw & 0xff : src === 16 ? raw & 0xffff : raw;
    setRegSized(cpu, i.reg, dst, v, signed ? v >> 31 : 0);
  };
}

/** LEA (SDM Vol.2A LEA): the effective address, no segment base and no memory access, sized to the operand. */
function lea(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const ea = effectiveAddress(cpu, i);
    setRegSized(cpu, i.reg, size, ea, cpu.linHi);
  };
}

// XCHG (SDM Vol.2B XCHG), NOP, PAUSE.

/** Exchanges registers a and b of `size` bits (byte registers as getReg8 numbers them). */
function swapRegs(cpu: Cpu, a: number, b: number, size: number): void {
  if (size === 8) {
    const va = getReg8(cpu, a), vb = getReg8(cpu, b);
    setReg8(cpu, a, vb);
    setReg8(cpu, b, va);
    return;
  }
  const aLo = cpu.lo[a], aHi = cpu.hi[a];
  setRegSized(cpu, a, size, cpu.lo[b], cpu.hi[b]);
  setRegSized(cpu, b, size, aLo, aHi);
}

function xchgRmR(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    if (i.mod === 3) { swapRegs(cpu, i.rm, i.reg, size); return; }
    const a = linear(cpu, i, size >> 3, Access.Write);
    const aHi = cpu.linHi;
    const m = readLinear(cpu, a, aHi, size);
    const mHi = cpu.tmpHi;
    const r = readReg(cpu, i.reg, size);
    writeLinear(cpu, a, aHi, size, r, cpu.tmpHi);
    setRegSized(cpu, i.reg, size, m, mHi);
  };
}

/**
 * XCHG r, rAX (90+r). Register 0 is only reached as 66 90 (XCHG AX, AX) or with an ignored F2 prefix:
 * either way nothing changes, and 90 does not zero-extend RAX (SDM Vol.2B XCHG: "XCHG (E)AX, (E)AX
 * (encoded instruction byte is 90H) is an alias for NOP regardless of data size prefixes").
 */
function xchgAcc(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    if (i.rm !== 0) swapRegs(cpu, i.rm, 0, size);
  };
}

/** NOP and PAUSE; with REX.B the byte 90 names R8 and the instruction is XCHG r8, rAX (SDM Vol.2B XCHG). */
const nop: Handler = (cpu: Cpu, i: Insn): void => {
  if (i.rex & 1) swapRegs(cpu, 8, 0, i.opSize);
};

// CMPXCHG, CMPXCHG8B/16B, XADD (SDM Vol.2A).

/**
 * CMPXCHG: compares the accumulator with the destination (flags as CMP acc, dest). Equal: dest ← src.
 * Not equal: acc ← dest, and a memory destination is written back with its own value.
 */
function cmpxchg(size: number): Handler {
  const bytes = size >> 3;
  return (cpu: Cpu, i: Insn): void => {
    const accLo = readReg(cpu, 0, size), accHi = size === 64 ? cpu.tmpHi : 0;
    const srcLo = readReg(cpu, i.reg, size), srcHi = size === 64 ? cpu.tmpHi : 0;
    let dLo: number, dHi = 0, a = 0, aHi = 0;
    const mem = i.mod !== 3;
    if (mem) {
      a = linear(cpu, i, bytes, Access.Write);
      aHi = cpu.linHi;
      dLo = readLinear(cpu, a, aHi, size);
      if (size === 64) dHi = cpu.tmpHi;
    } else {
      dLo = readReg(cpu, i.rm, size);
      if (size === 64) dHi = cpu.tmpHi;
    }
    const mask = size === 8 ? 0xff : size === 16 ? 0xffff : -1;
    const equal = ((accLo ^ dLo) & mask) === 0 && accHi === dHi;
    if (mem) writeLinear(cpu, a, aHi, size, equal ? srcLo : dLo, equal ? srcHi : dHi);
    if (size === 64) alu64(cpu, AluOp.Cmp, accLo, accHi, dLo, dHi);
    else alu32(cpu, AluOp.Cmp, size, sext(accLo, size), sext(dLo, size));
    if (equal) { if (!mem) setRegSized(cpu, i.rm, size, srcLo, srcHi); }
    else setRegSized(cpu, 0, size, dLo, dHi);
  };
}

/** CMPXCHG8B m64: EDX:EAX against m64; equal: m64 ← ECX:EBX, else EDX:EAX ← m64 (memory written either way). */
const cmpxchg8b: Handler = (cpu: Cpu, i: Insn): void => {
  const a = linear(cpu, i, 8, Access.Write);
  const aHi = cpu.linHi;
  const lo = readLinear(cpu, a, aHi, 64);
  const hi = cpu.tmpHi;
  const equal = lo === cpu.lo[0] && hi === cpu.lo[2];
  if (equal) writeLinear(cpu, a, aHi, 64, cpu.lo[3], cpu.lo[1]);
  else writeLinear(cpu, a, aHi, 64, lo, hi);
  setArith(cpu, FLAG_ZF, equal ? FLAG_ZF : 0);
  if (!equal) { setReg32(cpu, 0, lo); setReg32(cpu, 2, hi); }
};

/** CMPXCHG16B m128: as CMPXCHG8B with RDX:RAX and RCX:RBX; #GP(0) unless 16-byte aligned (SDM Vol.2A). */
const cmpxchg16b: Handler = (cpu: Cpu, i: Insn): void => {
  const a = linear(cpu, i, 16, Access.Write);
  const aHi = cpu.linHi;
  if (a & 15) raise(Vector.GP, 0, 'cmpxchg16b operand not 16-byte aligned');
  // Aligned: both quadwords lie in the same 4 GiB, so the high half of the address is shared.
  const b = (a + 8) | 0;
  const lo0 = readLinear(cpu, a, aHi, 64), lo1 = cpu.tmpHi;
  const hi0 = readLinear(cpu, b, aHi, 64), hi1 = cpu.tmpHi;
  const equal = lo0 === cpu.lo[0] && lo1 === cpu.hi[0] && hi0 === cpu.lo[2] && hi1 === cpu.hi[2];
  if (equal) {
    writeLinear(cpu, a, aHi, 64, cpu.lo[3], cpu.hi[3]);
    writeLinear(cpu, b, aHi, 64, cpu.lo[1], cpu.hi[1]);
  } else {
    writeLinear(cpu, a, aHi, 64, lo0, lo1);
    writeLinear(cpu, b, aHi, 64, hi0, hi1);
  }
  setArith(cpu, FLAG_ZF, equal ? FLAG_ZF : 0);
  if (!equal) { cpu.lo[0] = lo0; cpu.hi[0] = lo1; cpu.lo[2] = hi0; cpu.hi[2] = hi1; }
};

/** XADD: temp ← src + dest; src ← dest; dest ← temp (so with one register for both, the sum wins). */
function xadd(size: number): Handler {
  const bytes = size >> 3;
  return (cpu: Cpu, i: Insn): void => {
    const sLo = readReg(cpu, i.reg, size), sHi = size === 64 ? cpu.tmpHi : 0;
    if (i.mod === 3) {
      const dLo = readReg(cpu, i.rm, size), dHi = size === 64 ? cpu.tmpHi : 0;
      const r = size === 64 ? alu64(cpu, AluOp.Add, dLo, dHi, sLo, sHi) : alu32(cpu, AluOp.Add, size, sext(dLo, size), sext(sLo, size));
      const rHi = cpu.tmpHi;
      setRegSized(cpu, i.reg, size, dLo, dHi);
      setRegSized(cpu, i.rm, size, r, rHi);
      return;
    }
    const a = linear(cpu, i, bytes, Access.Write);
    const aHi = cpu.linHi;
    const dLo = readLinear(cpu, a, aHi, size), dHi = size === 64 ? cpu.tmpHi : 0;
    // The sum is written before flags are recorded, so a faulting write leaves them untouched.
    let rLo: number, rHi = 0;
    if (size === 64) {
      const t = (dLo >>> 0) + (sLo >>> 0);
      rLo = t | 0;
      rHi = (dHi + sHi + (t > 0xffffffff ? 1 : 0)) | 0;
    } else rLo = dLo + sLo;
    writeLinear(cpu, a, aHi, size, rLo, rHi);
    if (size === 64) alu64(cpu, AluOp.Add, dLo, dHi, sLo, sHi);
    else alu32(cpu, AluOp.Add, size, sext(dLo, size), sext(sLo, size));
    setRegSized(cpu, i.reg, size, dLo, dHi);
  };
}

function bswap32(v: number): number {
  return ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) | 0;
}

/** BSWAP (SDM Vol.2A BSWAP). With a 16-bit operand the result is undefined; processors clear the low word. */
function bswap(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const r = i.rm;
    if (size === 64) {
      const lo = cpu.lo[r];
      cpu.lo[r] = bswap32(cpu.hi[r]);
      cpu.hi[r] = bswap32(lo);
    } else if (size === 32) setReg32(cpu, r, bswap32(cpu.lo[r]));
    else cpu.lo[r] &= ~0xffff;
  };
}

/**
 * CMOVcc (SDM Vol.2A CMOVcc): the source is read (and may fault) whatever the condition; a 32-bit
 * CMOV in 64-bit mode zero-extends the destination even when the condition is false.
 */
function cmov(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const v = readRm(cpu, i, size);
    const hi = size === 64 ? cpu.tmpHi : 0;
    if (condition(cpu, i.cc)) setRegSized(cpu, i.reg, size, v, hi);
    else if (size === 32) cpu.hi[i.reg] = 0;
  };
}

const setcc: Handler = (cpu: Cpu, i: Insn): void => writeRm(cpu, i, 8, condition(cpu, i.cc) ? 1 : 0, 0);

/** LAHF: AH ← SF:ZF:0:AF:0:PF:1:CF (SDM Vol.2A LAHF). */
const lahf: Handler = (cpu: Cpu): void => setReg8(cpu, 16, (rflags(cpu) & 0xd5) | 2);
/** SAHF: SF ZF AF PF CF ← AH (SDM Vol.2B SAHF). */
const sahf: Handler = (cpu: Cpu): void => setArith(cpu, FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF, getReg8(cpu, 16));

export const handlers: Record<string, Handler> = {
  mov_r64_imm64: movRImm(64),
  mov_r8_imm8: movRImm(8),
  mov_r16_imm16: movRImm(16),
  mov_r32_imm32: movRImm(32),
  mov_rm8_imm8: movRmImm(8),
  mov_rm16_imm16: movRmImm(16),
  mov_rm32_imm32: movRmImm(32),
  mov_rm64_imm32: movRmImm(64),
  mov_rm16_sreg: movRmSreg(16),
  mov_r32m16_sreg: movRmSreg(32),
  mov_r64m16_sreg: movRmSreg(64),
  mov_sreg_rm16: movSregRm(),
  mov_sreg_r32m16: movSregRm(),
  mov_sreg_r64m16: movSregRm(),
  les_r16_m16_16: loadFarPtr(Seg.ES, 16),
  les_r32_m16_32: loadFarPtr(Seg.ES, 32),
  lds_r16_m16_16: loadFarPtr(Seg.DS, 16),
  lds_r32_m16_32: loadFarPtr(Seg.DS, 32),
  lss_r16_m16_16: loadFarPtr(Seg.SS, 16),
  lss_r32_m16_32: loadFarPtr(Seg.SS, 32),
  lss_r64_m16_64: loadFarPtr(Seg.SS, 64),
  lfs_r16_m16_16: loadFarPtr(Seg.FS, 16),
  lfs_r32_m16_32: loadFarPtr(Seg.FS, 32),
  lfs_r64_m16_64: loadFarPtr(Seg.FS, 64),
  lgs_r16_m16_16: loadFarPtr(Seg.GS, 16),
  lgs_r32_m16_32: loadFarPtr(Seg.GS, 32),
  lgs_r64_m16_64: loadFarPtr(Seg.GS, 64),
  pause: nop,
  nop,
  cmpxchg8b_m64: cmpxchg8b,
  cmpxchg16b_m128: cmpxchg16b,
  setcc_rm8: setcc,
  cbw: (cpu) => setRegSized(cpu, 0, 16, (cpu.lo[0] << 24) >> 24, 0),
  cwde: (cpu) => setReg32(cpu, 0, (cpu.lo[0] << 16) >> 16),
  cdqe: (cpu) => { cpu.hi[0] = cpu.lo[0] >> 31; },
  cwd: (cpu) => setRegSized(cpu, 2, 16, (cpu.lo[0] << 16) >> 31, 0),
  cdq: (cpu) => setReg32(cpu, 2, cpu.lo[0] >> 31),
  cqo: (cpu) => { const s = cpu.hi[0] >> 31; cpu.lo[2] = s; cpu.hi[2] = s; },
  lahf,
  lahf_lm: lahf,
  sahf,
  sahf_lm: sahf,
  clc: (cpu) => setArith(cpu, FLAG_CF, 0),
  stc: (cpu) => setArith(cpu, FLAG_CF, FLAG_CF),
  cmc: (cpu) => setArith(cpu, FLAG_CF, cf(cpu) ? 0 : FLAG_CF),
  // DF is not one of the lazily computed flags: cpu.flags holds it directly.
  cld: (cpu) => { cpu.flags &= ~FLAG_DF; },
  std: (cpu) => { cpu.flags |= FLAG_DF; },
};

for (const size of [8, 16, 32, 64]) {
  handlers[`mov_rm${size}_r${size}`] = movRmR(size);
  handlers[`mov_r${size}_rm${size}`] = movRRm(size);
  handlers[`xchg_rm${size}_r${size}`] = xchgRmR(size);
  handlers[`cmpxchg_rm${size}_r${size}`] = cmpxchg(size);
  handlers[`xadd_rm${size}_r${size}`] = xadd(size);
}
for (const a of [16, 32, 64]) {
  handlers[`mov_al_moffs8_a${a}`] = movAccMoffs(8);
  handlers[`mov_ax_moffs16_a${a}`] = movAccMoffs(16);
  handlers[`mov_eax_moffs32_a${a}`] = movAccMoffs(32);
  handlers[`mov_moffs8_al_a${a}`] = movMoffsAcc(8);
  handlers[`mov_moffs16_ax_a${a}`] = movMoffsAcc(16);
  handlers[`mov_moffs32_eax_a${a}`] = movMoffsAcc(32);
}
for (const a of [32, 64]) {
  handlers[`mov_rax_moffs64_a${a}`] = movAccMoffs(64);
  handlers[`mov_moffs64_rax_a${a}`] = movMoffsAcc(64);
}
for (const [dst, src] of [[16, 8], [32, 8], [64, 8], [16, 16], [32, 16], [64, 16]]) {
  handlers[`movzx_r${dst}_rm${src}`] = movExtend(dst, src, false);
  handlers[`movsx_r${dst}_rm${src}`] = movExtend(dst, src, true);
}
handlers.movsxd_r16_rm16 = movExtend(16, 16, true);
handlers.movsxd_r32_rm32 = movExtend(32, 32, true);
handlers.movsxd_r64_rm32 = movExtend(64, 32, true);
for (const size of [16, 32, 64]) {
  handlers[`lea_r${size}_m`] = lea(size);
  handlers[`cmovcc_r${size}_rm${size}`] = cmov(size);
  handlers[`bswap_r${size}`] = bswap(size);
}
handlers.xchg_r16_ax = xchgAcc(16);
handlers.xchg_r32_eax = xchgAcc(32);
handlers.xchg_r64_rax = xchgAcc(64);
