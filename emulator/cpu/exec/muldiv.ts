// exec/muldiv.ts: MUL, IMUL (one-, two- and three-operand), DIV, IDIV (SDM Vol.2 chapters 3–4).
// 64-bit products and dividends are 128 bits: built from 32×32→64 products on 16-bit limbs and a
// shift-subtract divider on 32-bit halves, so the hot path needs no BigInt.
import { readRm, setReg16, setReg32, setRegSized } from '../access';
import { raise, Vector } from '../fault';
import { LazyOp } from '../lazyOp';
import { Handler, Insn, RIP_FREE, SPECIALISE } from '../insn';
import { Cpu } from '../state';
import { FLAG_CF, FLAG_OF, FLAG_SF, FLAG_ZF, FLAGS_ARITH } from '../../isa/form';
import { szp } from './shift';
import { parity } from '../flags';

const TWO32 = 4294967296;

/** High half of the last umul32. */
let mulHi = 0;

/** Unsigned 32×32 → 64 product of two int32 bit patterns: returns bits 31:0, leaves 63:32 in mulHi. */
export function umul32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh; // each < 2^32, exact
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff); // < 3·2^16: an int
  mulHi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
  return ((mid << 16) | (ll & 0xffff)) | 0;
}

/** High half of the last umul32 (for callers in other modules). */
export function mulHigh(): number {
  return mulHi;
}

/** The four 32-bit words of the last mul64 product, least significant first. */
const P = new Int32Array(4);

/** 64×64 → 128 product into P; signed when `signed` (two's complement correction of the high half). */
function mul64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean): void {
  const w0 = umul32(aLo, bLo); const h0 = mulHi;
  if ((aHi | bHi) === 0) {
    // Both factors below 2^32 (as they are, signed or not): the product is the one 32×32 product.
    P[0] = w0; P[1] = h0; P[2] = 0; P[3] = 0;
    return;
  }
  const l1 = umul32(aLo, bHi); const h1 = mulHi;
  const l2 = umul32(aHi, bLo); const h2 = mulHi;
  const l3 = umul32(aHi, bHi); const h3 = mulHi;
  const s1 = (h0 >>> 0) + (l1 >>> 0) + (l2 >>> 0);
  const c1 = Math.floor(s1 / TWO32);
  const s2 = (h1 >>> 0) + (h2 >>> 0) + (l3 >>> 0) + c1;
  const c2 = Math.floor(s2 / TWO32);
  P[0] = w0;
  P[1] = s1 % TWO32;
  P[2] = s2 % TWO32;
  P[3] = h3 + c2;
  if (signed) {
    // As signed values a = A − 2^64·[a<0]: subtract b (resp. a) from the high 64 bits.
    if (aHi < 0) sub64High(bLo, bHi);
    if (bHi < 0) sub64High(aLo, aHi);
  }
}

function sub64High(lo: number, hi: number): void {
  const t = (P[2] >>> 0) - (lo >>> 0);
  P[2] = t;
  P[3] = P[3] - hi - (t < 0 ? 1 : 0);
}

/** Quotient and remainder of the last unsigned division (lo/hi int32 halves). */
let qLo = 0, qHi = 0, rLo = 0, rHi = 0;

/** Unsigned (nHi:nLo) / d for 32-bit halves with nHi < d (so the quotient fits 32 bits): into qLo, rLo. */
function udiv64by32(nHi: number, nLo: number, d: number): void {
  const dd = d >>> 0;
  if (nHi >>> 0 < 0x100000) {
    // The dividend is below 2^52 (so q·d stays below 2^53 even before the correction): exact in a double; correct the rounded quotient by one step.
    const n = (nHi >>> 0) * TWO32 + (nLo >>> 0);
    let q = Math.floor(n / dd);
    let r = n - q * dd;
    if (r < 0) { q -= 1; r += dd; } else if (r >= dd) { q += 1; r -= dd; }
    qLo = q | 0; rLo = r | 0;
    return;
  }
  // Shift-subtract: the partial remainder stays below 2^33, exact in a double.
  let r = nHi >>> 0, q = 0;
  for (let k = 31; k >= 0; k--) {
    r = r * 2 + ((nLo >>> k) & 1);
    q *= 2;
    if (r >= dd) { r -= dd; q += 1; }
  }
  qLo = q | 0; rLo = r | 0;
}

/** Unsigned 64-bit a ≥ b on halves. */
function uge(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return aHi !== bHi ? aHi >>> 0 > bHi >>> 0 : aLo >>> 0 >= bLo >>> 0;
}

/**
 * Unsigned 128 / 64: (n3:n2:n1:n0) / (dHi:dLo) with (n3:n2) < divisor, so the quotient fits in 64 bits.
 * Quotient into qLo/qHi, remainder into rLo/rHi.
 */
function udiv128by64(n3: number, n2: number, n1: number, n0: number, dLo: number, dHi: number): void {
  if (n3 === 0 && n2 === 0 && dHi === 0) {
    // 64 / 32: two 64-by-32 steps.
    udiv64by32(0, n1, dLo);
    const q1 = qLo;
    udiv64by32(rLo, n0, dLo);
    qHi = q1; rHi = 0;
    return;
  }
  // Restoring division: (R:Q) shifts left one bit per step, the divisor is subtracted when it fits.
  let rl = n2, rh = n3, ql = n0, qh = n1;
  for (let k = 0; k < 64; k++) {
    const top = rh >>> 31;
    rh = (rh << 1) | (rl >>> 31);
    rl = (rl << 1) | (qh >>> 31);
    qh = (qh << 1) | (ql >>> 31);
    ql <<= 1;
    if (top || uge(rl, rh, dLo, dHi)) {
      const t = (rl >>> 0) - (dLo >>> 0);
      rl = t | 0;
      rh = (rh - dHi - (t < 0 ? 1 : 0)) | 0;
      ql |= 1;
    }
  }
  qLo = ql; qHi = qh; rLo = rl; rHi = rh;
}

/** Sets CF = OF = `overflow`, SF/ZF/PF from the (low) result, AF clear (SF, ZF, AF, PF are undefined: SDM MUL/IMUL). */
function mulFlags(cpu: Cpu, overflow: boolean, size: number, lo: number, hi: number): void {
  // All six arithmetic flags are replaced: the pending lazy ones need not be computed first.
  cpu.lazyOp = LazyOp.None;
  cpu.flags = (cpu.flags & ~FLAGS_ARITH) | szp(size, lo, hi) | (overflow ? FLAG_CF | FLAG_OF : 0);
}

const sx8 = (v: number) => (v << 24) >> 24;
const sx16 = (v: number) => (v << 16) >> 16;

// ---------------------------------------------------------------------------------------------
// MUL and one-operand IMUL: AX ← AL·r/m8, DX:AX, EDX:EAX, RDX:RAX ← A·r/m (SDM MUL, IMUL).

function mulHandler(size: number, signed: boolean): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const s = readRm(cpu, i, size) | 0;
    const sHi = cpu.tmpHi;
    switch (size) {
      case 8: {
        const al = cpu.lo[0] & 0xff;
        const r = signed ? sx8(al) * sx8(s) : al * s;
        setReg16(cpu, 0, r);
        mulFlags(cpu, signed ? r !== sx8(r) : r > 0xff, 8, r, 0);
        return;
      }
      case 16: {
        const ax = cpu.lo[0] & 0xffff;
        const r = signed ? sx16(ax) * sx16(s) : ax * s;
        setReg16(cpu, 0, r);
        setReg16(cpu, 2, r >> 16);
        mulFlags(cpu, signed ? r !== sx16(r) : r > 0xffff, 16, r, 0);
        return;
      }
      case 32: {
        const a = cpu.lo[0];
        const lo = umul32(a, s);
        let hi = mulHi;
        if (signed) hi = (hi - (a < 0 ? s : 0) - (s < 0 ? a : 0)) | 0;
        setReg32(cpu, 0, lo);
        setReg32(cpu, 2, hi);
        mulFlags(cpu, signed ? hi !== lo >> 31 : hi !== 0, 32, lo, 0);
        return;
      }
      default: {
        mul64(cpu.lo[0], cpu.hi[0], s, sHi, signed);
        cpu.lo[0] = P[0]; cpu.hi[0] = P[1];
        cpu.lo[2] = P[2]; cpu.hi[2] = P[3];
        const ext = signed ? P[1] >> 31 : 0;
        mulFlags(cpu, P[2] !== ext || P[3] !== ext, 64, P[0], P[1]);
      }
    }
  };
}

/** Two- and three-operand IMUL: r ← r·r/m or r/m·imm, truncated; CF = OF = the truncation lost bits. */
function imulHandler(size: number, withImm: boolean): Handler {
  return (cpu: Cpu, i: Insn): void => {
    let s = readRm(cpu, i, size) | 0;
    const sHi = cpu.tmpHi;
    let a: number, aHi: number;
    if (withImm) { a = i.immLo; aHi = i.immHi; } else { a = cpu.lo[i.reg]; aHi = cpu.hi[i.reg]; }
    if (size === 16) {
      s = sx16(s);
      const r = sx16(a) * s;
      setReg16(cpu, i.reg, r);
      mulFlags(cpu, r !== sx16(r), 16, r, 0);
    } else if (size === 32) {
      const lo = umul32(a, s);
      const hi = (mulHi - (a < 0 ? s : 0) - (s < 0 ? a : 0)) | 0;
      setReg32(cpu, i.reg, lo);
      mulFlags(cpu, hi !== lo >> 31, 32, lo, 0);
    } else {
      mul64(a, aHi, s, sHi, true);
      const ext = P[1] >> 31;
      setRegSized(cpu, i.reg, 64, P[0], P[1]);
      mulFlags(cpu, P[2] !== ext || P[3] !== ext, 64, P[0], P[1]);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// DIV, IDIV (SDM DIV, IDIV): #DE when the divisor is 0 or the quotient does not fit the destination.
// All six arithmetic flags are undefined afterwards; they are left unchanged. #DE is raised before
// any register is written.

function divHandler(size: number, signed: boolean): Handler {
  return (cpu: Cpu, i: Insn): void => {
    const s = readRm(cpu, i, size) | 0;
    const sHi = size === 64 ? cpu.tmpHi : 0;
    switch (size) {
      case 8: {
        const ax = cpu.lo[0] & 0xffff;
        const d = signed ? sx8(s) : s;
        if (d === 0) raise(Vector.DE, 0, 'divide by zero');
        const n = signed ? sx16(ax) : ax;
        const q = Math.trunc(n / d);
        if (signed ? q < -128 || q > 127 : q > 0xff) raise(Vector.DE, 0, 'quotient too large');
        setReg16(cpu, 0, (q & 0xff) | ((n - q * d) & 0xff) << 8);
        return;
      }
      case 16: {
        const d = signed ? sx16(s) : s;
        if (d === 0) raise(Vector.DE, 0, 'divide by zero');
        const n32 = ((cpu.lo[2] & 0xffff) << 16) | (cpu.lo[0] & 0xffff);
        const n = signed ? n32 : n32 >>> 0;
        const q = Math.trunc(n / d);
        if (signed ? q < -32768 || q > 32767 : q > 0xffff) raise(Vector.DE, 0, 'quotient too large');
        setReg16(cpu, 0, q);
        setReg16(cpu, 2, n - q * d);
        return;
      }
      case 32: {
        if (s === 0) raise(Vector.DE, 0, 'divide by zero');
        let nHi = cpu.lo[2], nLo = cpu.lo[0], d = s;
        const nNeg = signed && nHi < 0, dNeg = signed && d < 0;
        if (nNeg) { nLo = -nLo | 0; nHi = (~nHi + (nLo === 0 ? 1 : 0)) | 0; }
        if (dNeg) d = -d | 0;
        if (nHi >>> 0 >= d >>> 0) raise(Vector.DE, 0, 'quotient too large');
        udiv64by32(nHi, nLo, d);
        let q = qLo, r = rLo;
        if (signed) {
          // |quotient| ≤ 2^31 − 1, or 2^31 when the result is negative.
          if (nNeg !== dNeg) {
            if (q >>> 0 > 0x80000000) raise(Vector.DE, 0, 'quotient too large');
            q = -q | 0;
          } else if (q < 0) raise(Vector.DE, 0, 'quotient too large');
          if (nNeg) r = -r | 0;
        }
        setReg32(cpu, 0, q);
        setReg32(cpu, 2, r);
        return;
      }
      default: {
        if ((s | sHi) === 0) raise(Vector.DE, 0, 'divide by zero');
        let n0 = cpu.lo[0], n1 = cpu.hi[0], n2 = cpu.lo[2], n3 = cpu.hi[2];
        let dLo = s, dHi = sHi;
        const nNeg = signed && n3 < 0, dNeg = signed && dHi < 0;
        if (nNeg) {
          // Two's complement negation of the 128-bit dividend.
          n0 = ~n0; n1 = ~n1; n2 = ~n2; n3 = ~n3;
          n0 = (n0 + 1) | 0;
          if (n0 === 0) { n1 = (n1 + 1) | 0; if (n1 === 0) { n2 = (n2 + 1) | 0; if (n2 === 0) n3 = (n3 + 1) | 0; } }
        }
        if (dNeg) { dLo = -dLo | 0; dHi = (~dHi + (dLo === 0 ? 1 : 0)) | 0; }
        if (uge(n2, n3, dLo, dHi)) raise(Vector.DE, 0, 'quotient too large');
        udiv128by64(n3, n2, n1, n0, dLo, dHi);
        let ql = qLo, qh = qHi, rl = rLo, rh = rHi;
        if (signed) {
          if (nNeg !== dNeg) {
            if (qh >>> 0 > 0x80000000 || qh === (0x80000000 | 0) && ql !== 0) raise(Vector.DE, 0, 'quotient too large');
            ql = -ql | 0; qh = (~qh + (ql === 0 ? 1 : 0)) | 0;
          } else if (qh < 0) raise(Vector.DE, 0, 'quotient too large');
          if (nNeg) { rl = -rl | 0; rh = (~rh + (rl === 0 ? 1 : 0)) | 0; }
        }
        cpu.lo[0] = ql; cpu.hi[0] = qh;
        cpu.lo[2] = rl; cpu.hi[2] = rh;
      }
    }
  };
}

export const handlers: Record<string, Handler> = {};

for (const size of [8, 16, 32, 64]) {
  handlers[`mul_rm${size}`] = mulHandler(size, false);
  handlers[`imul_rm${size}`] = mulHandler(size, true);
  handlers[`div_rm${size}`] = divHandler(size, false);
  handlers[`idiv_rm${size}`] = divHandler(size, true);
}
for (const size of [16, 32, 64]) {
  handlers[`imul_r${size}_rm${size}`] = imulHandler(size, false);
  handlers[`imul_r${size}_rm${size}_imm8`] = imulHandler(size, true);
  handlers[`imul_r${size}_rm${size}_imm${size === 16 ? 16 : 32}`] = imulHandler(size, true);
}


/**
 * IMUL r32, r/m32 with a register source, specialised (compiled code multiplies in hot loops: the xz
 * decoder's range coder). Math.imul gives the low 32 bits; the product fits in 32 bits exactly when the
 * double a·s equals them (a double holds every product that fits, and rounds one that does not to a
 * value of magnitude ≥ 2^31). Flags as mulFlags: CF = OF = overflow, SF/ZF/PF of the result, AF clear.
 */
const imul32Reg = new Function('parity', `return function imul_r32_rm32_reg(cpu, i) {
  const s = cpu.lo[i.rm], a = cpu.lo[i.reg];
  const lo = Math.imul(a, s);
  cpu.lo[i.reg] = lo; cpu.hi[i.reg] = 0;
  cpu.lazyOp = ${LazyOp.None};
  cpu.flags = (cpu.flags & ${~FLAGS_ARITH}) | parity(lo) | (lo === 0 ? ${FLAG_ZF} : 0) | (lo < 0 ? ${FLAG_SF} : 0) | (a * s !== lo ? ${FLAG_CF | FLAG_OF} : 0);
};`)(parity) as Handler;
RIP_FREE.add(imul32Reg);
{
  const generic = handlers.imul_r32_rm32;
  SPECIALISE.set(generic, (i) => (i.mod === 3 ? imul32Reg : generic));
}
