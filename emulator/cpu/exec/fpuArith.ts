// exec/fpuArith.ts: x87 addition, subtraction, multiplication and division of double extended values (SDM
// Vol.2A FADD, FSUB, FSUBR, FMUL, FDIV, FDIVR), exactly: the exact result is formed on 32-bit limbs (a
// 128-bit significand plus a sticky bit), then rounded once to the precision FCW.PC selects (24, 53 or 64
// bits) by FCW.RC (SDM Vol.1 §8.1.5.2, §4.8.4). Special operands follow SDM Vol.1 §4.8.3 and Table 4-7
// (NaNs), §8.5 (invalid operation, divide by zero, denormal operand), §4.9.1.4/5 (overflow, underflow).
// The result goes to `cv` (fpuConvert.ts) with its exception flags and C1.
import { EX_DE, EX_IE, EX_OE, EX_PE, EX_UE, EX_ZE, INDEFINITE_HI, INDEFINITE_SEXP, RC_DOWN, RC_NEAREST, RC_UP, cv } from './fpuConvert';

export const OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3;

const ZERO = 0, FINITE = 1, INF = 2, QNAN = 3, SNAN = 4, UNSUPPORTED = 5;

/** An unpacked operand: class, sign, exponent of the significand's top bit, significand (top bit set). */
class Operand {
  cls = ZERO; neg = false; exp = 0; hi = 0; lo = 0; denormal = false;

  /** From raw 80-bit fields (SDM Vol.1 §8.2.2, Table 8-3 encodings). */
  set(sexp: number, hi: number, lo: number): void {
    this.neg = (sexp & 0x8000) !== 0;
    const e = sexp & 0x7fff;
    this.hi = hi; this.lo = lo; this.denormal = false;
    if (e === 0x7fff) {
      if (hi >= 0) this.cls = UNSUPPORTED; // pseudo-infinity, pseudo-NaN
      else if ((hi & 0x7fffffff) === 0 && lo === 0) this.cls = INF;
      else this.cls = (hi & 0x40000000) !== 0 ? QNAN : SNAN;
      return;
    }
    if ((hi | lo) === 0) { this.cls = ZERO; return; }
    if (e !== 0 && hi >= 0) { this.cls = UNSUPPORTED; return; } // unnormal
    this.cls = FINITE;
    let x = e - 16383;
    if (e === 0) { this.denormal = true; x = 1 - 16383; } // denormal and pseudo-denormal (J = 1)
    const lz = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
    if (lz > 0) {
      if (lz < 32) { this.hi = (hi << lz) | (lo >>> (32 - lz)); this.lo = lo << lz; } else { this.hi = lo << (lz - 32); this.lo = 0; }
    }
    this.exp = x - lz;
  }
}

const a = new Operand(), b = new Operand();
/** The exact result: 128-bit significand w[3]:w[2]:w[1]:w[0] (normalised to bit 127) and a sticky bit. */
const w = new Int32Array(4);
let sticky = 0;

/** Loads the operands of the next operation (raw 80-bit), first the destination-side one. */
export function setOperands(sa: number, ha: number, la: number, sb: number, hb: number, lb: number): void {
  a.set(sa, ha, la);
  b.set(sb, hb, lb);
}

/** Marks operand 1 or 2 as having come from a single/double denormal (DE): it was normalised on loading. */
export function markDenormal(which: 1 | 2): void {
  (which === 1 ? a : b).denormal = true;
}

function indefinite(exc: number): void {
  cv.sexp = INDEFINITE_SEXP; cv.hi = INDEFINITE_HI; cv.lo = 0; cv.exc = exc; cv.c1 = 0;
}

/** A NaN result by SDM Vol.1 Table 4-7: an SNaN is invalid; the QNaN, or the NaN with the larger significand. */
function nanResult(): void {
  let pick: Operand;
  const an = a.cls === QNAN || a.cls === SNAN, bn = b.cls === QNAN || b.cls === SNAN;
  if (an && bn) {
    if (a.cls !== b.cls) pick = a.cls === QNAN ? a : b;
    else {
      const ah = (a.hi | 0x40000000) >>> 0, bh = (b.hi | 0x40000000) >>> 0;
      pick = ah > bh || ah === bh && (a.lo >>> 0) >= (b.lo >>> 0) ? a : b;
    }
  } else pick = an ? a : b;
  cv.sexp = (pick.neg ? 0x8000 : 0) | 0x7fff;
  cv.hi = pick.hi | 0x40000000;
  cv.lo = pick.lo;
  cv.exc = a.cls === SNAN || b.cls === SNAN ? EX_IE : 0;
  cv.c1 = 0;
}

function setSpecial(neg: boolean, inf: boolean, exc: number): void {
  cv.sexp = (neg ? 0x8000 : 0) | (inf ? 0x7fff : 0);
  cv.hi = inf ? 0x80000000 | 0 : 0;
  cv.lo = 0;
  cv.exc = exc;
  cv.c1 = 0;
}

/** Copies a finite operand into cv and rounds it (x + 0, x − 0: the exact sum still rounds to PC). */
function finiteOperand(x: Operand, neg: boolean, fcw: number, exc: number): void {
  w[3] = x.hi; w[2] = x.lo; w[1] = 0; w[0] = 0; sticky = 0;
  round(neg, x.exp, fcw, exc);
}

/**
 * a op b into cv. `reverse` swaps the operands of SUB/DIV (FSUBR, FDIVR). Flags: IE for SNaN, unsupported
 * formats and the invalid operations (∞ − ∞, 0 × ∞, 0 / 0, ∞ / ∞), ZE for x / 0, DE for a denormal
 * operand, then OE/UE/PE from the rounding.
 */
export function arith(op: number, reverse: boolean, fcw: number): void {
  const x = reverse ? b : a, y = reverse ? a : b;
  if (x.cls === UNSUPPORTED || y.cls === UNSUPPORTED) { indefinite(EX_IE); return; }
  if (x.cls >= QNAN || y.cls >= QNAN) { nanResult(); return; }
  const de = x.denormal || y.denormal ? EX_DE : 0;
  const rc = (fcw >> 10) & 3;
  switch (op) {
    case OP_ADD:
    case OP_SUB: {
      const yneg = op === OP_SUB ? !y.neg : y.neg;
      if (x.cls === INF || y.cls === INF) {
        if (x.cls === INF && y.cls === INF && x.neg !== yneg) { indefinite(EX_IE); return; }
        setSpecial(x.cls === INF ? x.neg : yneg, true, de);
        return;
      }
      if (x.cls === ZERO && y.cls === ZERO) {
        // +0 unless both are −0, or they differ and rounding is toward −∞ (SDM Vol.1 §4.8.3.2 via IEEE 754).
        setSpecial(x.neg === yneg ? x.neg : rc === RC_DOWN, false, de);
        return;
      }
      if (y.cls === ZERO) { finiteOperand(x, x.neg, fcw, de); return; }
      if (x.cls === ZERO) { finiteOperand(y, yneg, fcw, de); return; }
      addFinite(x, y, yneg, fcw, de);
      return;
    }
    case OP_MUL: {
      const neg = x.neg !== y.neg;
      if (x.cls === INF || y.cls === INF) {
        if (x.cls === ZERO || y.cls === ZERO) { indefinite(EX_IE); return; }
        setSpecial(neg, true, de);
        return;
      }
      if (x.cls === ZERO || y.cls === ZERO) { setSpecial(neg, false, de); return; }
      const n = multiply(x, y);
      round(neg, x.exp + y.exp + 1 - n, fcw, de);
      return;
    }
    default: {
      const neg = x.neg !== y.neg;
      if (x.cls === INF) {
        if (y.cls === INF) { indefinite(EX_IE); return; }
        setSpecial(neg, true, de);
        return;
      }
      if (y.cls === INF) { setSpecial(neg, false, de); return; }
      if (y.cls === ZERO) {
        if (x.cls === ZERO) { indefinite(EX_IE); return; }
        setSpecial(neg, true, EX_ZE); // ZE outranks DE (SDM Vol.1 §4.9.2): a denormal dividend does not add DE
        return;
      }
      if (x.cls === ZERO) { setSpecial(neg, false, de); return; }
      const e = divide(x, y);
      round(neg, e, fcw, de);
    }
  }
}

// --- The exact operations on limbs ---

/** w ← x ± y (y's sign given), normalised; exponent of bit 127 returned through round(). */
function addFinite(x: Operand, y: Operand, yneg: boolean, fcw: number, de: number): void {
  // Order by magnitude: p is the larger, q the smaller.
  const xBig = x.exp > y.exp || x.exp === y.exp && ((x.hi >>> 0) > (y.hi >>> 0) || x.hi === y.hi && (x.lo >>> 0) >= (y.lo >>> 0));
  const p = xBig ? x : y, q = xBig ? y : x;
  const pneg = xBig ? x.neg : yneg, qneg = xBig ? yneg : x.neg;
  const d = p.exp - q.exp;
  // q shifted right by d into 128 bits (t3..t0), bits beyond into sticky.
  let t3 = q.hi, t2 = q.lo, t1 = 0, t0 = 0;
  sticky = 0;
  let s = d;
  while (s >= 32) {
    if (t0 !== 0) sticky = 1;
    t0 = t1; t1 = t2; t2 = t3; t3 = 0; s -= 32;
    if (t0 === 0 && t1 === 0 && t2 === 0 && t3 === 0) break;
  }
  if (s > 0 && s < 32) {
    if ((t0 << (32 - s)) !== 0) sticky = 1;
    t0 = (t0 >>> s) | (t1 << (32 - s));
    t1 = (t1 >>> s) | (t2 << (32 - s));
    t2 = (t2 >>> s) | (t3 << (32 - s));
    t3 = t3 >>> s;
  }
  let e = p.exp;
  if (pneg === qneg) {
    let c = (t0 >>> 0) + 0; const r0 = c >>> 0; c = Math.floor(c / 4294967296);
    c += (t1 >>> 0); const r1 = c >>> 0; c = Math.floor(c / 4294967296);
    c += (p.lo >>> 0) + (t2 >>> 0); const r2 = c >>> 0; c = Math.floor(c / 4294967296);
    c += (p.hi >>> 0) + (t3 >>> 0); const r3 = c >>> 0; c = Math.floor(c / 4294967296);
    w[0] = r0; w[1] = r1; w[2] = r2; w[3] = r3;
    if (c !== 0) {
      // Carry out: shift right one, the lost bit into sticky.
      if ((w[0] & 1) !== 0) sticky = 1;
      w[0] = (w[0] >>> 1) | (w[1] << 31); w[1] = (w[1] >>> 1) | (w[2] << 31); w[2] = (w[2] >>> 1) | (w[3] << 31); w[3] = (w[3] >>> 1) | (0x80000000 | 0);
      e++;
    }
  } else {
    // p − q − (sticky ? 1 : 0): the truncated difference; sticky stays set (SDM rounding needs only that).
    let bw = sticky;
    let v = 0 - (t0 >>> 0) - bw; bw = v < 0 ? 1 : 0; w[0] = v + (bw ? 4294967296 : 0);
    v = 0 - (t1 >>> 0) - bw; bw = v < 0 ? 1 : 0; w[1] = v + (bw ? 4294967296 : 0);
    v = (p.lo >>> 0) - (t2 >>> 0) - bw; bw = v < 0 ? 1 : 0; w[2] = v + (bw ? 4294967296 : 0);
    v = (p.hi >>> 0) - (t3 >>> 0) - bw; w[3] = v < 0 ? v + 4294967296 : v;
    if ((w[0] | w[1] | w[2] | w[3]) === 0 && sticky === 0) {
      // Exact zero: +0, or −0 when rounding toward −∞ (IEEE 754 §6.3).
      setSpecial(((fcw >> 10) & 3) === RC_DOWN, false, de);
      return;
    }
    e -= normalise();
  }
  round(pneg, e, fcw, de);
}

/** Shifts w left until bit 127 is set; returns the shift. */
function normalise(): number {
  let n = 0;
  while (w[3] === 0 && n < 128) { w[3] = w[2]; w[2] = w[1]; w[1] = w[0]; w[0] = 0; n += 32; }
  const lz = Math.clz32(w[3]);
  if (lz > 0 && lz < 32) {
    w[3] = (w[3] << lz) | (w[2] >>> (32 - lz)); w[2] = (w[2] << lz) | (w[1] >>> (32 - lz));
    w[1] = (w[1] << lz) | (w[0] >>> (32 - lz)); w[0] = w[0] << lz;
  }
  return n + lz;
}

const pa = new Float64Array(4), pb = new Float64Array(4), col = new Float64Array(9);

/**
 * w ← x.significand × y.significand (128 bits, exact), normalised. [1,2) × [1,2) = [1,4): returns 1 when
 * the raw product's bit 127 was clear (a value below 2), else 0.
 */
function multiply(x: Operand, y: Operand): number {
  pa[0] = x.lo & 0xffff; pa[1] = x.lo >>> 16; pa[2] = x.hi & 0xffff; pa[3] = x.hi >>> 16;
  pb[0] = y.lo & 0xffff; pb[1] = y.lo >>> 16; pb[2] = y.hi & 0xffff; pb[3] = y.hi >>> 16;
  col.fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) col[i + j] += pa[i] * pb[j]; // each < 2^34: exact
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    const v = col[k] + carry;
    const low = v % 65536;
    carry = (v - low) / 65536;
    col[k] = low;
  }
  w[0] = col[0] | (col[1] << 16); w[1] = col[2] | (col[3] << 16); w[2] = col[4] | (col[5] << 16); w[3] = col[6] | (col[7] << 16);
  sticky = 0;
  return normalise();
}

/** w ← x.significand / y.significand to 66 bits with a sticky remainder; returns the result's exponent. */
function divide(x: Operand, y: Operand): number {
  let rHi = x.hi >>> 0, rLo = x.lo >>> 0, rTop = 0;
  const dHi = y.hi >>> 0, dLo = y.lo >>> 0;
  let e = x.exp - y.exp;
  if (rHi < dHi || rHi === dHi && rLo < dLo) e--; // quotient below 1: its first bit is 2^-1
  let q3 = 0, q2 = 0, q1 = 0;
  for (let k = 0; k < 96; k++) {
    let bit = 0;
    if (rTop || rHi > dHi || rHi === dHi && rLo >= dLo) {
      bit = 1;
      let lo = rLo - dLo, borrow = 0;
      if (lo < 0) { lo += 4294967296; borrow = 1; }
      let hi = rHi - dHi - borrow;
      if (hi < 0) hi += 4294967296;
      rHi = hi; rLo = lo; // r < 2d, so r − d < 2^64: the top bit is gone
    }
    // Quotient bits in order, most significant first, into q3:q2:q1.
    q3 = ((q3 << 1) | (q2 >>> 31)) >>> 0; q2 = ((q2 << 1) | (q1 >>> 31)) >>> 0; q1 = ((q1 << 1) | bit) >>> 0;
    rTop = rHi >>> 31;
    rHi = ((rHi << 1) | (rLo >>> 31)) >>> 0; rLo = (rLo << 1) >>> 0;
  }
  w[3] = q3; w[2] = q2; w[1] = q1; w[0] = 0;
  sticky = (rHi | rLo | rTop) !== 0 ? 1 : 0;
  normalise();
  return e;
}

// --- Rounding to the destination (SDM Vol.1 §4.8.4, §8.1.5.2) ---

const EMIN = -16382, EMAX = 16383, BIAS_ADJUST = 24576;

/** Precision of FCW.PC: 00b single (24), 10b double (53), 11b extended (64); 01b is reserved (taken as 64). */
function precision(fcw: number): number {
  const pc = (fcw >> 8) & 3;
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

let qHi = 0, qLo = 0, inexact = false, up = false;

/** Bit n (0–127) of w; 0 outside. */
function wBit(n: number): number {
  return n < 0 || n >= 128 ? 0 : (w[n >> 5] >>> (n & 31)) & 1;
}

/** Whether any of bits 0..n-1 of w, or the sticky bit, is set. */
function wBelow(n: number): boolean {
  if (sticky !== 0) return true;
  for (let k = 0; k < 4 && 32 * k < n; k++) {
    const lim = n - 32 * k;
    if ((lim >= 32 ? w[k] : w[k] & ((1 << lim) - 1)) !== 0) return true;
  }
  return false;
}

/** The top `keep` bits of w (keep ≤ 64; none when keep ≤ 0) rounded by rc for the sign: qHi:qLo, inexact, up. */
function roundTo(keep: number, neg: boolean, rc: number): void {
  const shift = 128 - keep;
  let h = 0, l = 0;
  if (keep > 0) {
    const s = 64 - keep;
    if (s === 0) { h = w[3]; l = w[2]; } else if (s < 32) { l = (w[2] >>> s) | (w[3] << (32 - s)); h = w[3] >>> s; } else { l = w[3] >>> (s - 32); h = 0; }
  }
  const half = wBit(shift - 1);
  const rest = wBelow(shift - 1);
  inexact = half !== 0 || rest;
  let inc: boolean;
  if (rc === RC_NEAREST) inc = half !== 0 && (rest || (l & 1) !== 0);
  else if (rc === RC_DOWN) inc = inexact && neg;
  else if (rc === RC_UP) inc = inexact && !neg;
  else inc = false;
  up = inc;
  if (inc) { l = (l + 1) | 0; if (l === 0) h = (h + 1) | 0; }
  qHi = h; qLo = l;
}

/** Whether the last roundTo(p) carried out to 2^p. */
function carried(p: number): boolean {
  if (p === 64) return up && qHi === 0 && qLo === 0;
  if (p === 53) return qHi === 1 << 21 && qLo === 0;
  return qHi === 0 && qLo === 1 << 24;
}

/** Rounds w (a significand 1.f with exponent e) to an 80-bit register result in cv, with OE/UE/PE and C1. */
function round(neg: boolean, e: number, fcw: number, exc: number): void {
  const p = precision(fcw);
  const rc = (fcw >> 10) & 3;
  const sign = neg ? 0x8000 : 0;
  cv.exc = exc; cv.c1 = 0;
  // Tininess after rounding at full precision with an unbounded exponent (as for stores, fpuConvert.ts).
  let tiny = e < EMIN;
  if (e === EMIN - 1) {
    roundTo(p, neg, rc);
    if (carried(p)) tiny = false;
  }
  if (tiny && (fcw & EX_UE) !== 0) {
    // Masked underflow: a denormal of precision p — on the grid 2^(EMIN−p+1), as if the p-bit format had
    // the extended exponent range (host CPU: with PC = 24 bits a denormal keeps p − (EMIN − e) bits).
    roundTo(p - (EMIN - e), neg, rc);
    const r = shl(qHi, qLo, 64 - p);
    cv.hi = r.h; cv.lo = r.l;
    cv.sexp = sign | (r.h < 0 ? 1 : 0); // rounded up to 2^EMIN: the smallest normal (J set)
    if (inexact) { cv.exc |= EX_UE | EX_PE; cv.c1 = up ? 1 : 0; }
    return;
  }
  roundTo(p, neg, rc);
  let h = qHi, l = qLo;
  let ee = e;
  if (carried(p)) {
    ee++;
    if (p === 64) { h = 0x80000000 | 0; l = 0; } else { const r = shr1(h, l); h = r.h; l = r.l; }
  }
  // Left-align the p bits into the 64-bit significand.
  if (p < 64) { const r = shl(h, l, 64 - p); h = r.h; l = r.l; }
  if (inexact) { cv.exc |= EX_PE; cv.c1 = up ? 1 : 0; }
  if (ee > EMAX) {
    if ((fcw & EX_OE) === 0) { ee -= BIAS_ADJUST; cv.exc |= EX_OE; } else {
      // Masked overflow: ∞ or the largest value of precision p, by rounding direction (SDM Vol.1 Table 4-9).
      cv.exc |= EX_OE | EX_PE;
      const toInf = rc === RC_NEAREST || rc === RC_UP && !neg || rc === RC_DOWN && neg;
      if (toInf) { cv.sexp = sign | 0x7fff; cv.hi = 0x80000000 | 0; cv.lo = 0; cv.c1 = 1; } else {
        const r = shl(-1, -1, 64 - p);
        cv.sexp = sign | 0x7ffe; cv.hi = r.h; cv.lo = r.l; cv.c1 = 0;
      }
      return;
    }
  }
  if (tiny) { ee += BIAS_ADJUST; cv.exc |= EX_UE; } // unmasked underflow: the exponent is biased up
  cv.sexp = sign | (ee + 16383);
  cv.hi = h; cv.lo = l;
}

/** h:l << n and h:l >> 1 into one reused pair. */
const pairOut = { h: 0, l: 0 };
function shl(h: number, l: number, n: number): { h: number; l: number } {
  if (n <= 0) { pairOut.h = h; pairOut.l = l; } else if (n < 32) { pairOut.h = (h << n) | (l >>> (32 - n)); pairOut.l = l << n; } else if (n < 64) { pairOut.h = l << (n - 32); pairOut.l = 0; } else { pairOut.h = 0; pairOut.l = 0; }
  return pairOut;
}
function shr1(h: number, l: number): { h: number; l: number } {
  pairOut.l = (l >>> 1) | (h << 31); pairOut.h = h >>> 1;
  return pairOut;
}
