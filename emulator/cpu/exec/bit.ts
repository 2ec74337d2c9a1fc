// exec/bit.ts: BT, BTS, BTR, BTC, BSF, BSR, POPCNT, LZCNT, TZCNT and the BMI1/BMI2 instructions
// (SDM Vol.2 chapters 3–5).
import { Access, effectiveAddress, linearOf, readLinear, readRm, setRegSized, writeLinear } from '../access';
import { raise, Vector } from '../fault';
import { materialize } from '../flags';
import { Handler, Insn } from '../insn';
import { Cpu } from '../state';
import { FLAG_CF, FLAG_OF, FLAG_SF, FLAG_ZF, FLAGS_ARITH } from '../../isa/form';
import { bit64, sar64, shl64, shr64, szp } from './shift';
import { mulHigh as mulHiOf, umul32 } from './muldiv';

/** Replaces the flags in `mask` with `value`. */
function putFlags(cpu: Cpu, mask: number, value: number): void {
  materialize(cpu);
  cpu.flags = (cpu.flags & ~mask) | (value & mask);
}

// ---------------------------------------------------------------------------------------------
// BT, BTS, BTR, BTC (SDM Vol.2 "BT"): CF ← Bit(BitBase, BitOffset). ZF is unaffected and OF, SF, AF,
// PF are undefined: they are left unchanged.

enum BtOp { Test, Set, Reset, Complement }

function btApply(op: BtOp, v: number, m: number): number {
  return op === BtOp.Set ? v | m : op === BtOp.Reset ? v & ~m : v ^ m;
}

/**
 * `imm`: the offset is imm8 masked to the operand size. Register offset with a memory operand: the
 * offset is signed and selects an operand-size unit at EA + size/8 · (offset SAR log2(size)),
 * which may lie far from EA (SDM BT, "Bit(BitBase, BitOffset)" and Table 3-2).
 */
function btHandler(op: BtOp, size: number, imm: boolean): Handler {
  const bytes = size >> 3;
  return (cpu: Cpu, i: Insn): void => {
    let k: number;
    let dLo = 0, dHi = 0;
    if (imm) k = i.immLo & (size - 1);
    else {
      const o = cpu.lo[i.reg];
      k = o & (size - 1);
      if (i.mod !== 3) {
        // Byte displacement of the addressed unit, as a signed 64-bit value.
        if (size === 16) dLo = ((o << 16) >> 20) * 2;
        else if (size === 32) dLo = (o >> 5) * 4;
        else { dLo = sar64(cpu, o, cpu.hi[i.reg], 6); dHi = cpu.tmpHi; dHi = (dHi << 3) | (dLo >>> 29); dLo <<= 3; }
        if (size !== 64) dHi = dLo >> 31;
      }
    }
    if (i.mod === 3) {
      const r = i.rm;
      let old: number;
      if (k < 32) old = (cpu.lo[r] >>> k) & 1; else old = (cpu.hi[r] >>> (k - 32)) & 1;
      if (op !== BtOp.Test) {
        if (size === 64) {
          if (k < 32) cpu.lo[r] = btApply(op, cpu.lo[r], 1 << k); else cpu.hi[r] = btApply(op, cpu.hi[r], 1 << (k - 32));
        } else setRegSized(cpu, r, size, btApply(op, cpu.lo[r], 1 << k), 0);
      }
      putFlags(cpu, FLAG_CF, old);
      return;
    }
    let lo = effectiveAddress(cpu, i), hi = cpu.linHi;
    if (!imm) {
      if (i.addrSize === 64) {
        const s = (lo >>> 0) + (dLo >>> 0);
        hi = (hi + dHi + (s > 0xffffffff ? 1 : 0)) | 0;
        lo = s | 0;
      } else {
        // Narrower address sizes: the offset wraps with the effective address.
        lo = (lo + dLo) | 0;
        if (i.addrSize === 16) lo &= 0xffff;
        hi = 0;
      }
    }
    const a = linearOf(cpu, i.seg, lo, hi, bytes, op === BtOp.Test ? Access.Read : Access.Write);
    const aHi = cpu.linHi;
    const v = readLinear(cpu, a, aHi, size);
    const vHi = cpu.tmpHi;
    const old = size === 64 ? bit64(v, vHi, k) : (v >>> k) & 1;
    if (op !== BtOp.Test) {
      if (size === 64) {
        if (k < 32) writeLinear(cpu, a, aHi, 64, btApply(op, v, 1 << k), vHi);
        else writeLinear(cpu, a, aHi, 64, v, btApply(op, vHi, 1 << (k - 32)));
      } else writeLinear(cpu, a, aHi, size, btApply(op, v, 1 << k), 0);
    }
    putFlags(cpu, FLAG_CF, old);
  };
}

// ---------------------------------------------------------------------------------------------
// BSF, BSR, POPCNT, LZCNT, TZCNT.

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Index of the lowest set bit of a non-zero 32-bit value. */
function ctz32(v: number): number {
  return 31 - Math.clz32(v & -v);
}

enum Count { Bsf, Bsr, Popcnt, Lzcnt, Tzcnt }

function countHandler(kind: Count, size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const lo = readRm(cpu, i, size);
    const hi = size === 64 ? cpu.tmpHi : 0;
    const zero = (lo | hi) === 0;
    let n: number;
    switch (kind) {
      case Count.Bsf:
      case Count.Bsr:
        // Source 0: ZF = 1 and the destination is left unchanged (what Intel and AMD processors do;
        // the SDM calls its content undefined). CF, OF, SF, AF, PF are undefined: left unchanged.
        if (zero) { putFlags(cpu, FLAG_ZF, FLAG_ZF); return; }
        if (kind === Count.Bsf) n = lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
        else n = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
        setRegSized(cpu, i.reg, size, n, 0);
        putFlags(cpu, FLAG_ZF, 0);
        return;
      case Count.Popcnt:
        // OF, SF, ZF, AF, CF, PF cleared, then ZF = (source = 0) (SDM POPCNT).
        n = popcount32(lo) + popcount32(hi);
        setRegSized(cpu, i.reg, size, n, 0);
        putFlags(cpu, FLAGS_ARITH, zero ? FLAG_ZF : 0);
        return;
      case Count.Lzcnt:
        if (size === 64) n = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
        else n = zero ? size : Math.clz32(lo) - (32 - size);
        break;
      default:
        if (zero) n = size;
        else n = size === 64 ? (lo !== 0 ? ctz32(lo) : 32 + ctz32(hi)) : ctz32(lo);
        break;
    }
    // LZCNT/TZCNT: CF = (source = 0), ZF = (result = 0); OF, SF, PF, AF undefined (left clear).
    setRegSized(cpu, i.reg, size, n, 0);
    putFlags(cpu, FLAGS_ARITH, (zero ? FLAG_CF : 0) | (n === 0 ? FLAG_ZF : 0));
  };
}

// ---------------------------------------------------------------------------------------------
// BMI1 and BMI2 (VEX-encoded, 32- or 64-bit by VEX.W). Results are written to ModRM.reg (r32a) or
// VEX.vvvv (r32b) as the row says; 32-bit results clear bits 63:32.

function flagsOf(size: number, lo: number, hi: number, cfSet: boolean): number {
  return szp(size, lo, hi) | (cfSet ? FLAG_CF : 0);
}

enum Bmi { Andn, Bextr, Blsi, Blsmsk, Blsr, Bzhi, Pdep, Pext, Sarx, Shlx, Shrx }

/** The flags each BMI instruction defines (the rest are undefined; SDM per instruction): set exactly these. */
const BMI_FLAGS: Record<number, number> = {
  [Bmi.Andn]: FLAG_SF | FLAG_ZF | FLAG_OF | FLAG_CF,
  [Bmi.Bextr]: FLAG_ZF | FLAG_OF | FLAG_CF,
  [Bmi.Blsi]: FLAG_SF | FLAG_ZF | FLAG_OF | FLAG_CF,
  [Bmi.Blsmsk]: FLAG_SF | FLAG_ZF | FLAG_OF | FLAG_CF,
  [Bmi.Blsr]: FLAG_SF | FLAG_ZF | FLAG_OF | FLAG_CF,
  [Bmi.Bzhi]: FLAG_SF | FLAG_ZF | FLAG_OF | FLAG_CF,
};

let outHi = 0;

/** PDEP (deposit) or PEXT (extract) of `src` under `mask` on lo/hi pairs; returns lo, hi in outHi. */
function depositExtract(deposit: boolean, sLo: number, sHi: number, mLo: number, mHi: number, size: number): number {
  let rLo = 0, rHi = 0, k = 0;
  for (let b = 0; b < size; b++) {
    if (!bit64(mLo, mHi, b)) continue;
    if (deposit) {
      if (bit64(sLo, sHi, k)) { if (b < 32) rLo |= 1 << b; else rHi |= 1 << (b - 32); }
    } else if (bit64(sLo, sHi, b)) {
      if (k < 32) rLo |= 1 << k; else rHi |= 1 << (k - 32);
    }
    k++;
  }
  outHi = rHi;
  return rLo;
}

/** Low `n` bits (0..64) set, as a lo/hi pair: returns lo, hi in outHi. */
function lowMask(n: number): number {
  if (n >= 64) { outHi = -1; return -1; }
  if (n >= 32) { outHi = n === 32 ? 0 : -1 >>> (64 - n); return -1; }
  outHi = 0;
  return n === 0 ? 0 : -1 >>> (32 - n);
}

function bmiHandler(op: Bmi, size: number): Handler {
  const w = size === 64;
  return (cpu: Cpu, i: Insn): void => {
    const s = readRm(cpu, i, size);
    const sHi = w ? cpu.tmpHi : 0;
    const vLo = cpu.lo[i.vvvv], vHi = w ? cpu.hi[i.vvvv] : 0;
    let r = 0, rHi = 0, dest = i.reg, c = false;
    switch (op) {
      case Bmi.Andn: r = ~vLo & s; rHi = ~vHi & sHi; break;
      case Bmi.Bextr: {
        const start = vLo & 0xff, len = (vLo >>> 8) & 0xff;
        if (start < size) {
          r = shr64(cpu, s, sHi, start); rHi = cpu.tmpHi;
          r &= lowMask(len); rHi &= outHi;
        }
        break;
      }
      case Bmi.Blsi: {
        // −src & src; CF = (src ≠ 0).
        const nLo = -s | 0, nHi = (~sHi + (nLo === 0 ? 1 : 0)) | 0;
        r = nLo & s; rHi = nHi & sHi; dest = i.vvvv; c = (s | sHi) !== 0;
        break;
      }
      case Bmi.Blsmsk:
      case Bmi.Blsr: {
        // src − 1 combined with src; CF = (src = 0).
        const mLo = (s - 1) | 0, mHi = (sHi - (s === 0 ? 1 : 0)) | 0;
        if (op === Bmi.Blsmsk) { r = mLo ^ s; rHi = mHi ^ sHi; } else { r = mLo & s; rHi = mHi & sHi; }
        dest = i.vvvv; c = (s | sHi) === 0;
        break;
      }
      case Bmi.Bzhi: {
        // Bits from index n = vvvv[7:0] up are cleared; CF = (n > operand size − 1).
        const n = vLo & 0xff;
        r = s; rHi = sHi;
        if (n < size) { r &= lowMask(n); rHi &= outHi; }
        c = n > size - 1;
        break;
      }
      case Bmi.Pdep: r = depositExtract(true, vLo, vHi, s, sHi, size); rHi = outHi; break;
      case Bmi.Pext: r = depositExtract(false, vLo, vHi, s, sHi, size); rHi = outHi; break;
      case Bmi.Sarx: case Bmi.Shlx: case Bmi.Shrx: {
        const n = vLo & (size - 1);
        if (w) {
          r = op === Bmi.Sarx ? sar64(cpu, s, sHi, n) : op === Bmi.Shlx ? shl64(cpu, s, sHi, n) : shr64(cpu, s, sHi, n);
          rHi = cpu.tmpHi;
        } else r = op === Bmi.Sarx ? s >> n : op === Bmi.Shlx ? s << n : s >>> n;
        break;
      }
    }
    if (!w) rHi = 0;
    setRegSized(cpu, dest, size, r, rHi);
    const mask = BMI_FLAGS[op];
    if (mask !== undefined) {
      let f = flagsOf(size, r, rHi, c);
      // BLSMSK clears ZF (SDM BLSMSK: "ZF and OF flags are cleared"); all of them clear OF.
      if (op === Bmi.Blsmsk) f &= ~FLAG_ZF;
      putFlags(cpu, mask, f & ~FLAG_OF);
    }
  };
}

/** MULX: unsigned EDX/RDX · r/m without touching flags; high half to r32a, low half to r32b (SDM MULX). */
function mulxHandler(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const s = readRm(cpu, i, size);
    if (size === 32) {
      const lo = umul32(cpu.lo[2], s);
      const hi = mulHiOf();
      // Low half first: when both destinations are the same register the high half wins.
      setRegSized(cpu, i.vvvv, 32, lo, 0);
      setRegSized(cpu, i.reg, 32, hi, 0);
      return;
    }
    const sHi = cpu.tmpHi;
    // 64×64 → 128 from four 32×32 products.
    const aLo = cpu.lo[2], aHi = cpu.hi[2];
    const w0 = umul32(aLo, s); const h0 = mulHiOf();
    const l1 = umul32(aLo, sHi); const h1 = mulHiOf();
    const l2 = umul32(aHi, s); const h2 = mulHiOf();
    const l3 = umul32(aHi, sHi); const h3 = mulHiOf();
    const s1 = (h0 >>> 0) + (l1 >>> 0) + (l2 >>> 0);
    const c1 = Math.floor(s1 / 4294967296);
    const s2 = (h1 >>> 0) + (h2 >>> 0) + (l3 >>> 0) + c1;
    const c2 = Math.floor(s2 / 4294967296);
    setRegSized(cpu, i.vvvv, 64, w0, s1 % 4294967296 | 0);
    setRegSized(cpu, i.reg, 64, s2 % 4294967296 | 0, (h3 + c2) | 0);
  };
}

/**
 * RORX: rotate right by imm8 (masked to the operand size) without touching flags. VEX.vvvv is
 * reserved and must be 1111b, else #UD (SDM RORX, Exceptions: VEX-encoded GPR instructions, Table 2-29).
 */
function rorxHandler(size: number): Handler {
  return (cpu: Cpu, i: Insn): void => {
    if (i.vvvv !== 0) raise(Vector.UD, 0, 'RORX with VEX.vvvv other than 1111b');
    const s = readRm(cpu, i, size);
    const n = i.immLo & (size - 1);
    if (size === 32) {
      setRegSized(cpu, i.reg, 32, n === 0 ? s : (s >>> n) | (s << (32 - n)), 0);
      return;
    }
    const sHi = cpu.tmpHi;
    let r = shr64(cpu, s, sHi, n), rHi = cpu.tmpHi;
    if (n !== 0) { r |= shl64(cpu, s, sHi, 64 - n); rHi |= cpu.tmpHi; }
    setRegSized(cpu, i.reg, 64, r, rHi);
  };
}

export const handlers: Record<string, Handler> = {};

const BT: [string, BtOp][] = [['bt', BtOp.Test], ['bts', BtOp.Set], ['btr', BtOp.Reset], ['btc', BtOp.Complement]];
for (const size of [16, 32, 64]) {
  for (const [n, op] of BT) {
    handlers[`${n}_rm${size}_r${size}`] = btHandler(op, size, false);
    handlers[`${n}_rm${size}_imm8`] = btHandler(op, size, true);
  }
  handlers[`bsf_r${size}_rm${size}`] = countHandler(Count.Bsf, size);
  handlers[`bsr_r${size}_rm${size}`] = countHandler(Count.Bsr, size);
  handlers[`popcnt_r${size}_rm${size}`] = countHandler(Count.Popcnt, size);
  handlers[`lzcnt_r${size}_rm${size}`] = countHandler(Count.Lzcnt, size);
  handlers[`tzcnt_r${size}_rm${size}`] = countHandler(Count.Tzcnt, size);
}
for (const s of [32, 64]) {
  handlers[`andn_r${s}a_r${s}b_rm${s}`] = bmiHandler(Bmi.Andn, s);
  handlers[`bextr_r${s}a_rm${s}_r${s}b`] = bmiHandler(Bmi.Bextr, s);
  handlers[`blsi_r${s}b_rm${s}`] = bmiHandler(Bmi.Blsi, s);
  handlers[`blsmsk_r${s}b_rm${s}`] = bmiHandler(Bmi.Blsmsk, s);
  handlers[`blsr_r${s}b_rm${s}`] = bmiHandler(Bmi.Blsr, s);
  handlers[`bzhi_r${s}a_rm${s}_r${s}b`] = bmiHandler(Bmi.Bzhi, s);
  handlers[`pdep_r${s}a_r${s}b_rm${s}`] = bmiHandler(Bmi.Pdep, s);
  handlers[`pext_r${s}a_r${s}b_rm${s}`] = bmiHandler(Bmi.Pext, s);
  handlers[`sarx_r${s}a_rm${s}_r${s}b`] = bmiHandler(Bmi.Sarx, s);
  handlers[`shlx_r${s}a_rm${s}_r${s}b`] = bmiHandler(Bmi.Shlx, s);
  handlers[`shrx_r${s}a_rm${s}_r${s}b`] = bmiHandler(Bmi.Shrx, s);
  handlers[`mulx_r${s}a_r${s}b_rm${s}`] = mulxHandler(s);
  handlers[`rorx_r${s}_rm${s}_imm8`] = rorxHandler(s);
}
