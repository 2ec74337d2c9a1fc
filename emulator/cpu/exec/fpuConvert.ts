// exec/fpuConvert.ts: conversions between the x87 double extended-precision format (SDM Vol.1 §4.2.2,
// Table 4-3: sign, 15-bit exponent, 64-bit significand with an explicit integer bit J) and single/double
// reals and integers, on raw bits with 32-bit integer arithmetic, so every rounding is the processor's and
// none is the host's. Results go to `cv` (one object, reused: no allocation per instruction) together with
// the exception flags the conversion raises (FSW bit positions) and C1 (SDM Vol.1 §8.1.3.1: set when the
// result was rounded up in magnitude).

/** FSW exception flags (SDM Vol.1 §8.1.3, Figure 8-4); the FCW masks are the same bits. */
export const EX_IE = 0x01, EX_DE = 0x02, EX_ZE = 0x04, EX_OE = 0x08, EX_UE = 0x10, EX_PE = 0x20;

/** Rounding control, FCW bits 11:10 (SDM Vol.1 §4.8.4, Table 4-8). */
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_CHOP = 3;

/**
 * The last conversion's result: an 80-bit value (sexp = sign and exponent, hi:lo the significand), or the
 * bits of a real/integer in hi:lo. `exc` holds the exception flags raised; `c1` is 1 when it rounded up.
 */
export const cv = { sexp: 0, lo: 0, hi: 0, exc: 0, c1: 0 };

/** QNaN floating-point indefinite in the 80-bit format (SDM Vol.1 §4.8.3.7, Table 4-3). */
export const INDEFINITE_SEXP = 0xffff, INDEFINITE_HI = 0xc0000000 | 0;

// --- Real and integer → double extended (always exact: SDM Vol.2A FLD, FILD) ---

/** Single real → extended. A denormal is normalised (DE); an SNaN is quietened (IE). */
export function f32ToExt(bits: number): void {
  const sign = (bits >>> 31) << 15;
  const e = (bits >>> 23) & 0xff;
  const f = bits & 0x7fffff;
  cv.exc = 0; cv.c1 = 0; cv.lo = 0;
  if (e === 0xff) {
    cv.sexp = sign | 0x7fff;
    cv.hi = (0x80000000 | (f << 8)) | 0;
    if (f !== 0 && (f & 0x400000) === 0) { cv.exc = EX_IE; cv.hi |= 0x40000000; }
  } else if (e === 0) {
    if (f === 0) { cv.sexp = sign; cv.hi = 0; return; }
    const lz = Math.clz32(f);
    cv.hi = (f << lz) | 0;
    cv.sexp = sign | (16383 + 31 - lz - 149);
    cv.exc = EX_DE;
  } else {
    cv.sexp = sign | (e - 127 + 16383);
    cv.hi = (0x80000000 | (f << 8)) | 0;
  }
}

/** Double real (hi:lo) → extended. */
export function f64ToExt(lo: number, hi: number): void {
  const sign = (hi >>> 31) << 15;
  const e = (hi >>> 20) & 0x7ff;
  const fhi = hi & 0xfffff;
  cv.exc = 0; cv.c1 = 0;
  if (e === 0x7ff) {
    cv.sexp = sign | 0x7fff;
    cv.hi = (0x80000000 | (fhi << 11) | (lo >>> 21)) | 0;
    cv.lo = (lo << 11) | 0;
    if ((fhi | lo) !== 0 && (fhi & 0x80000) === 0) { cv.exc = EX_IE; cv.hi |= 0x40000000; }
  } else if (e === 0) {
    if ((fhi | lo) === 0) { cv.sexp = sign; cv.hi = cv.lo = 0; return; }
    // Denormal: shift the fraction up until its top bit is bit 63 (value = fraction × 2^-1074).
    const lz = fhi !== 0 ? Math.clz32(fhi) : 32 + Math.clz32(lo);
    shl64(fhi, lo, lz);
    cv.sexp = sign | (16383 + 63 - lz - 1074);
    cv.exc = EX_DE;
  } else {
    cv.sexp = sign | (e - 1023 + 16383);
    cv.hi = (0x80000000 | (fhi << 11) | (lo >>> 21)) | 0;
    cv.lo = (lo << 11) | 0;
  }
}

/** Signed 64-bit integer hi:lo → extended (exact: 64 significand bits). Zero is +0.0 (SDM Vol.2A FILD). */
export function intToExt(lo: number, hi: number): void {
  cv.exc = 0; cv.c1 = 0;
  const neg = hi < 0;
  if (neg) { lo = (~lo + 1) | 0; hi = (~hi + (lo === 0 ? 1 : 0)) | 0; }
  if ((hi | lo) === 0) { cv.sexp = 0; cv.hi = cv.lo = 0; return; }
  const lz = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  shl64(hi, lo, lz);
  cv.sexp = (neg ? 0x8000 : 0) | (16383 + 63 - lz);
}

/** hi:lo << n (0 ≤ n < 64) into cv.hi/cv.lo. */
function shl64(hi: number, lo: number, n: number): void {
  if (n === 0) { cv.hi = hi | 0; cv.lo = lo | 0; } else if (n < 32) {
    cv.hi = ((hi << n) | (lo >>> (32 - n))) | 0;
    cv.lo = (lo << n) | 0;
  } else {
    cv.hi = (lo << (n - 32)) | 0;
    cv.lo = 0;
  }
}

// --- Rounding a significand (SDM Vol.1 §4.8.4) ---

/** Quotient of the last shift-and-round (up to 64 bits), whether bits were lost, whether it was rounded up. */
let qLo = 0, qHi = 0, inexact = false, roundedUp = false;

/** Bit n (0–63) of hi:lo; 0 beyond. */
function bitAt(hi: number, lo: number, n: number): number {
  if (n < 0 || n >= 64) return 0;
  return n < 32 ? (lo >>> n) & 1 : (hi >>> (n - 32)) & 1;
}

/** Whether any of bits 0..n-1 of hi:lo is set. */
function lowBits(hi: number, lo: number, n: number): boolean {
  if (n <= 0) return false;
  if (n < 32) return (lo & ((1 << n) - 1)) !== 0;
  if (n === 32) return lo !== 0;
  if (n < 64) return lo !== 0 || (hi & ((1 << (n - 32)) - 1)) !== 0;
  return (hi | lo) !== 0;
}

/**
 * hi:lo >> shift, rounded by rc for a value of the given sign: into qHi:qLo, inexact, roundedUp. Round to
 * nearest breaks ties to even; down and up are toward −∞ and +∞; chop truncates (SDM Vol.1 Table 4-8).
 */
function shiftRound(hi: number, lo: number, shift: number, negative: boolean, rc: number): void {
  if (shift <= 0) { qHi = hi; qLo = lo; inexact = false; roundedUp = false; return; }
  if (shift < 32) { qLo = ((lo >>> shift) | (hi << (32 - shift))) | 0; qHi = hi >>> shift; } else if (shift < 64) { qLo = hi >>> (shift - 32); qHi = 0; } else { qLo = 0; qHi = 0; }
  const half = bitAt(hi, lo, shift - 1);
  const sticky = lowBits(hi, lo, shift - 1);
  inexact = half !== 0 || sticky;
  let inc: boolean;
  switch (rc) {
    case RC_NEAREST: inc = half !== 0 && (sticky || (qLo & 1) !== 0); break;
    case RC_DOWN: inc = inexact && negative; break;
    case RC_UP: inc = inexact && !negative; break;
    default: inc = false;
  }
  roundedUp = inc;
  if (inc) {
    qLo = (qLo + 1) | 0;
    if (qLo === 0) qHi = (qHi + 1) | 0;
  }
}

// --- Double extended → real (SDM Vol.2B FST/FSTP; Vol.1 §4.9.1.4 overflow, §4.9.1.5 underflow) ---

/** Real formats: significand bits with the implicit one (p), exponent bias, largest biased exponent. */
const P32 = 24, BIAS32 = 127, P64 = 53, BIAS64 = 1023;

/**
 * Extended (sexp, hi:lo) → single (size 32: bits in cv.lo) or double (size 64: cv.hi:cv.lo), rounded by
 * FCW.RC. `fcw` gives the masks: a masked underflow is flagged only when the result is also inexact, an
 * unmasked one whenever the result is tiny (SDM Vol.1 §4.9.1.5).
 * Unsupported encodings (pseudo-NaN, pseudo-infinity, unnormal) and SNaNs are invalid (IE); the masked
 * response stores the QNaN indefinite or the quietened NaN (SDM Vol.1 §4.8.3.7, §8.2.2, Table 8-10).
 */
export function extToReal(sexp: number, hi: number, lo: number, size: 32 | 64, fcw: number): void {
  const negative = (sexp & 0x8000) !== 0;
  const signBit = negative ? 0x80000000 | 0 : 0;
  const exp = sexp & 0x7fff;
  const j = hi < 0;
  const p = size === 32 ? P32 : P64, bias = size === 32 ? BIAS32 : BIAS64;
  const maxField = size === 32 ? 0xff : 0x7ff;
  cv.exc = 0; cv.c1 = 0;
  if (exp === 0x7fff || (exp !== 0 && !j)) {
    if (!j) { cv.exc = EX_IE; realIndefinite(size); return; } // pseudo-NaN, pseudo-infinity, unnormal
    if ((hi & 0x7fffffff) === 0 && lo === 0) { realInfinity(size, signBit); return; }
    // NaN: the significand's top fraction bits, quietened (an SNaN is invalid).
    const quiet = (hi & 0x40000000) !== 0;
    if (!quiet) cv.exc = EX_IE;
    if (size === 32) {
      cv.hi = 0;
      cv.lo = (signBit | 0x7f800000 | ((hi & 0x7fffffff) >>> 8) | 0x400000) | 0;
    } else {
      cv.hi = (signBit | 0x7ff00000 | ((hi & 0x7fffffff) >>> 11) | 0x80000) | 0;
      cv.lo = ((hi << 21) | (lo >>> 11)) | 0;
    }
    return;
  }
  if ((hi | lo) === 0) { cv.hi = size === 32 ? 0 : signBit; cv.lo = size === 32 ? signBit : 0; return; }
  // Normalise: e is the unbiased exponent of the significand's top bit once shifted to bit 63.
  const lz = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  shl64(hi, lo, lz);
  const mh = cv.hi, ml = cv.lo;
  const e = (exp === 0 ? 1 : exp) - 16383 - lz;
  const emin = 1 - bias;
  const rc = (fcw >> 10) & 3;
  // Tininess is detected after rounding (checked against the host CPU): a value just below the smallest
  // normal that rounds up to it at full precision is not tiny (SDM Vol.1 §4.9.1.5 allows either).
  let tiny = e < emin;
  if (e === emin - 1) {
    shiftRound(mh, ml, 64 - p, negative, rc);
    if (p === P32 ? qLo === 1 << P32 : qHi === 1 << (P64 - 32)) tiny = false;
  }
  if (e > bias) { overflow(size, negative, signBit, fcw); return; }
  const keep = e < emin ? p - (emin - e) : p;
  shiftRound(mh, ml, 64 - keep, negative, rc);
  // Encode: a normal result adds (field − 1) above the significand, whose own top bit then carries into
  // the exponent; a tiny one is its significand alone (exponent field 0, or 1 if rounding reached 2^(p-1)).
  const field = e < emin ? 0 : e + bias;
  let rHi: number, rLo: number;
  if (size === 32) {
    rLo = field > 0 ? ((field - 1) << 23) + qLo : qLo;
    rHi = 0;
  } else {
    rHi = field > 0 ? ((field - 1) << 20) + qHi : qHi;
    rLo = qLo;
  }
  if ((size === 32 ? rLo >>> 23 : rHi >>> 20) >= maxField) { overflow(size, negative, signBit, fcw); return; }
  if (tiny && (fcw & EX_UE) === 0) { cv.exc = EX_UE; return; } // unmasked: nothing is stored, no PE (host CPU)
  if (size === 32) { cv.lo = (signBit | rLo) | 0; cv.hi = 0; } else { cv.hi = (signBit | rHi) | 0; cv.lo = rLo | 0; }
  if (inexact) { cv.exc |= EX_PE; cv.c1 = roundedUp ? 1 : 0; }
  if (tiny && inexact) cv.exc |= EX_UE;
}

/**
 * Overflow (SDM Vol.1 §4.9.1.4). Masked: ∞ or the largest finite value by rounding direction, with PE, and
 * C1 set when rounded up to ∞. Unmasked with a memory destination: OE alone and nothing stored.
 */
function overflow(size: number, negative: boolean, signBit: number, fcw: number): void {
  if ((fcw & EX_OE) === 0) { cv.exc = EX_OE; cv.c1 = 0; return; }
  cv.exc = EX_OE | EX_PE;
  const rc = (fcw >> 10) & 3;
  const toInf = rc === RC_NEAREST || rc === RC_UP && !negative || rc === RC_DOWN && negative;
  if (toInf) { realInfinity(size, signBit); cv.c1 = 1; } else if (size === 32) { cv.hi = 0; cv.lo = (signBit | 0x7f7fffff) | 0; } else { cv.hi = (signBit | 0x7fefffff) | 0; cv.lo = -1; }
}

/** ±∞ as a single (cv.lo) or double (cv.hi:cv.lo). */
function realInfinity(size: number, signBit: number): void {
  if (size === 32) { cv.hi = 0; cv.lo = (signBit | 0x7f800000) | 0; } else { cv.hi = (signBit | 0x7ff00000) | 0; cv.lo = 0; }
}

/** The real indefinite: a negative QNaN with only the top fraction bit set (SDM Vol.1 Table 4-3). */
export function realIndefinite(size: number): void {
  if (size === 32) { cv.hi = 0; cv.lo = 0xffc00000 | 0; } else { cv.hi = 0xfff80000 | 0; cv.lo = 0; }
}

// --- Double extended → integer (SDM Vol.2A FIST/FISTP) ---

/**
 * Extended → signed integer of `size` bits (hi:lo, two's complement), rounded by FCW.RC. NaN, infinity,
 * an unsupported encoding or a value out of range is invalid (IE): the masked response is the integer
 * indefinite, the most negative value (SDM Vol.1 §4.8.3.7, §4.2.1.2 Table 4-2).
 */
export function extToInt(sexp: number, hi: number, lo: number, size: 16 | 32 | 64, rc: number): void {
  const negative = (sexp & 0x8000) !== 0;
  const exp = sexp & 0x7fff;
  cv.exc = 0; cv.c1 = 0;
  if (exp === 0x7fff || (exp !== 0 && hi >= 0)) { intIndefinite(size); return; }
  if ((hi | lo) === 0) { cv.hi = cv.lo = 0; return; }
  // Value = significand × 2^(e − 63): keep the bits above the binary point.
  const e = (exp === 0 ? 1 : exp) - 16383;
  shiftRound(hi, lo, 63 - e, negative, rc);
  if (63 - e < 0) { intIndefinite(size); return; } // ≥ 2^64
  // Range: magnitude ≤ 2^(size−1) − 1, or exactly 2^(size−1) when negative.
  const limitHi = size === 64 ? 0x80000000 | 0 : 0, limitLo = size === 64 ? 0 : size === 32 ? 0x80000000 | 0 : 0x8000;
  const cmp = (qHi >>> 0) !== (limitHi >>> 0) ? ((qHi >>> 0) > (limitHi >>> 0) ? 1 : -1) : (qLo >>> 0) !== (limitLo >>> 0) ? ((qLo >>> 0) > (limitLo >>> 0) ? 1 : -1) : 0;
  if (cmp > 0 || cmp === 0 && !negative) { intIndefinite(size); return; }
  let rl = qLo, rh = qHi;
  if (negative) { rl = (~rl + 1) | 0; rh = (~rh + (rl === 0 ? 1 : 0)) | 0; }
  cv.lo = rl | 0;
  cv.hi = rh | 0;
  if (inexact) { cv.exc = EX_PE; cv.c1 = roundedUp ? 1 : 0; }
}

/** The integer indefinite, the most negative value (SDM Vol.1 §4.8.3.7), with IE. */
export function intIndefinite(size: number): void {
  cv.exc = EX_IE;
  cv.hi = size === 64 ? 0x80000000 | 0 : -1;
  cv.lo = size === 64 ? 0 : size === 32 ? 0x80000000 | 0 : 0xffff8000 | 0;
}

// --- Constants (SDM Vol.1 §8.3.8, Table 8-6) ---

/**
 * The constants' significands truncated to 64 bits, their exponents, and whether the bits beyond are more
 * than half a unit (round to nearest goes up). Every constant is irrational, so each rounding is inexact
 * and the direction alone decides; PE is not raised (SDM Vol.2A FLD1/FLDL2T/…: "#P: none").
 */
export const CONSTANTS: Record<string, { sexp: number; hi: number; lo: number; nearestUp: boolean }> = {
  fldl2t: { sexp: 0x4000, hi: 0xd49a784b | 0, lo: 0xcd1b8afe | 0, nearestUp: false }, // log2 10 = D49A784BCD1B8AFE 492B…
  fldl2e: { sexp: 0x3fff, hi: 0xb8aa3b29 | 0, lo: 0x5c17f0bb | 0, nearestUp: true }, // log2 e = B8AA3B295C17F0BB BE87…
  fldpi: { sexp: 0x4000, hi: 0xc90fdaa2 | 0, lo: 0x2168c234 | 0, nearestUp: true }, // π = C90FDAA22168C234 C4C6…
  fldlg2: { sexp: 0x3ffd, hi: 0x9a209a84 | 0, lo: 0xfbcff798 | 0, nearestUp: true }, // log10 2 = 9A209A84FBCFF798 8F89…
  fldln2: { sexp: 0x3ffe, hi: 0xb17217f7 | 0, lo: 0xd1cf79ab | 0, nearestUp: true }, // ln 2 = B17217F7D1CF79AB C9E3…
};

/** A positive constant rounded by rc into cv (no exception; C1 as for a rounded result). */
export function roundConstant(k: { sexp: number; hi: number; lo: number; nearestUp: boolean }, rc: number): void {
  const up = rc === RC_UP || rc === RC_NEAREST && k.nearestUp;
  cv.sexp = k.sexp; cv.hi = k.hi; cv.lo = k.lo; cv.exc = 0; cv.c1 = 0;
  if (up) {
    cv.lo = (cv.lo + 1) | 0;
    if (cv.lo === 0) cv.hi = (cv.hi + 1) | 0; // never wraps for these constants
  }
}
