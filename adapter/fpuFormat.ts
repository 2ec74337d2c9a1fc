// fpuFormat.ts: the debugger's words for floating-point bits — the class of an 80-bit double
// extended-precision value (SDM Vol.1 §8.2.2, Table 8-3; §4.8), its decimal value converted exactly from the
// bits (no host long double involved: JS has none), and single/double precision lanes of XMM registers.

/** Classes of the double extended-precision encoding (SDM Vol.1 §4.2.2 Table 4-3, §8.2.2 Table 8-3). */
export type ExtendedClass =
  | 'zero' | 'denormal' | 'pseudo-denormal' | 'normal' | 'infinity' | 'qnan' | 'indefinite' | 'snan'
  | 'unnormal' | 'pseudo-infinity' | 'pseudo-nan';

export interface Extended {
  negative: boolean;
  /** Biased exponent, bits 78:64. */
  exponent: number;
  /** Bits 63:0: the explicit integer bit J (63) and the 63-bit fraction. */
  significand: bigint;
  kind: ExtendedClass;
}

const J = 1n << 63n;
const QUIET = 1n << 62n;
const FRACTION = J - 1n;

/** Decodes 10 little-endian bytes at `offset` (an FSAVE/FXSAVE register slot, or cpu.fpu.st). */
export function decodeExtended(bytes: Uint8Array, offset = 0): Extended {
  let significand = 0n;
  for (let k = 7; k >= 0; k--) significand = (significand << 8n) | BigInt(bytes[offset + k]);
  const top = bytes[offset + 8] | (bytes[offset + 9] << 8);
  const exponent = top & 0x7fff;
  const negative = (top & 0x8000) !== 0;
  const integer = (significand & J) !== 0n;
  const fraction = significand & FRACTION;
  let kind: ExtendedClass;
  if (exponent === 0) kind = integer ? 'pseudo-denormal' : fraction === 0n ? 'zero' : 'denormal';
  else if (exponent === 0x7fff) {
    // Table 8-3: with J = 0 the all-ones exponent encodes pseudo-infinities and pseudo-NaNs, which the
    // processor no longer supports (#IA as operands).
    if (!integer) kind = fraction === 0n ? 'pseudo-infinity' : 'pseudo-nan';
    else if (fraction === 0n) kind = 'infinity';
    else if ((fraction & QUIET) === 0n) kind = 'snan';
    // The QNaN floating-point indefinite: sign 1, fraction 1000…0 (SDM Vol.1 §4.8.3.7, Table 4-3).
    else kind = negative && fraction === QUIET ? 'indefinite' : 'qnan';
  } else kind = integer ? 'normal' : 'unnormal';
  return { negative, exponent, significand, kind };
}

/** `0x3fff8000000000000000`: the 80 bits as one hex number, sign and exponent first (as the SDM writes them). */
export function extendedHex(bytes: Uint8Array, offset = 0): string {
  let s = '';
  for (let k = 9; k >= 0; k--) s += bytes[offset + k].toString(16).padStart(2, '0');
  return '0x' + s;
}

const TEN = 10n;

/** 10^n for n ≥ 0. */
function pow10(n: number): bigint {
  return TEN ** BigInt(n);
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** n / d rounded to the nearest integer, ties to even (the default rounding of C's printf). */
function divideNearest(n: bigint, d: bigint): bigint {
  const q = n / d, r = n % d;
  const twice = 2n * r;
  if (twice > d || (twice === d && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/**
 * A non-negative value m × 2^e in C's `%.{precision}g` form: `precision` significant digits, correctly rounded
 * (ties to even) from the exact value, exponent form when the decimal exponent is below -4 or not below the
 * precision, trailing zeros dropped (C11 §7.21.6.1 `g` conversion).
 */
export function decimalG(m: bigint, e: number, precision: number): string {
  if (m === 0n) return '0';
  let n = m, d = 1n;
  if (e >= 0) n <<= BigInt(e); else d <<= BigInt(-e);
  // Decimal exponent x with 10^x ≤ n/d < 10^(x+1): estimated from the bit lengths, then corrected.
  let x = Math.floor((bitLength(n) - bitLength(d)) * Math.log10(2));
  const below = (k: number): boolean => (k >= 0 ? n < d * pow10(k) : n * pow10(-k) < d);
  while (below(x)) x--;
  while (!below(x + 1)) x++;
  const shift = precision - 1 - x;
  let q = shift >= 0 ? divideNearest(n * pow10(shift), d) : divideNearest(n, d * pow10(-shift));
  if (q === pow10(precision)) { q /= TEN; x++; }
  const digits = q.toString();
  let out: string;
  if (x < -4 || x >= precision) {
    const mantissa = trimZeros(digits[0] + '.' + digits.slice(1));
    out = `${mantissa}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  } else if (x >= 0) {
    out = trimZeros(digits.slice(0, x + 1) + '.' + digits.slice(x + 1));
  } else {
    out = trimZeros('0.' + '0'.repeat(-x - 1) + digits);
  }
  return out;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * Significant digits shown for an 80-bit value: 21 is enough to tell any two 64-bit significands apart
 * (⌈1 + 64·log10 2⌉), and it is the precision of `printf("%.21Lg")`, which the tests compare with.
 */
export const EXTENDED_DIGITS = 21;

/**
 * The decimal value of a finite encoding (zero, denormal, pseudo-denormal, normal) as `%.21Lg` prints it;
 * null for infinities, NaNs and the unsupported encodings. A denormal's exponent is that of biased 1
 * (SDM Vol.1 §4.8.3.2), and so is a pseudo-denormal's (§8.2.2: the processor treats it as biased 1).
 */
export function extendedDecimal(x: Extended): string | null {
  if (x.kind !== 'zero' && x.kind !== 'denormal' && x.kind !== 'pseudo-denormal' && x.kind !== 'normal') return null;
  const e = (x.exponent === 0 ? 1 : x.exponent) - 16383 - 63;
  return (x.negative ? '-' : '') + decimalG(x.significand, e, EXTENDED_DIGITS);
}

/** What the debugger shows for an 80-bit value: its decimal value, or the name of its class. */
export function describeExtended(x: Extended): string {
  const sign = x.negative ? '-' : '';
  switch (x.kind) {
    case 'zero': case 'normal': return extendedDecimal(x) as string;
    case 'denormal': return `${extendedDecimal(x) as string} (denormal)`;
    case 'pseudo-denormal': return `${extendedDecimal(x) as string} (pseudo-denormal)`;
    case 'infinity': return `${sign}inf`;
    case 'qnan': return `${sign}QNaN`;
    case 'indefinite': return '-QNaN (real indefinite)';
    case 'snan': return `${sign}SNaN`;
    case 'unnormal': return 'unsupported (unnormal)';
    case 'pseudo-infinity': return `unsupported (${sign}pseudo-infinity)`;
    case 'pseudo-nan': return 'unsupported (pseudo-NaN)';
  }
}

/** Names of the full tag word's values (SDM Vol.1 §8.1.7, Figure 8-7). */
export const TAG_NAMES = ['valid', 'zero', 'special', 'empty'];

/**
 * An IEEE single (`bits` 32) or double (64) as the shortest decimal that reads back as the same value, C's
 * spelling for the rest: `inf`, `-inf`, `nan` (with the sign bit and quiet/signalling marked).
 */
export function describeBinary(raw: bigint, bits: 32 | 64): string {
  const buffer = new DataView(new ArrayBuffer(8));
  let v: number;
  if (bits === 32) { buffer.setUint32(0, Number(raw & 0xffffffffn)); v = buffer.getFloat32(0); }
  else { buffer.setBigUint64(0, raw & 0xffffffffffffffffn); v = buffer.getFloat64(0); }
  const negative = (raw >> BigInt(bits - 1)) & 1n;
  if (Number.isNaN(v)) {
    const quiet = bits === 32 ? (raw >> 22n) & 1n : (raw >> 51n) & 1n;
    return `${negative ? '-' : ''}${quiet ? 'QNaN' : 'SNaN'}`;
  }
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0';
  if (bits === 64) return String(v);
  // Single precision: the fewest digits whose nearest single is this one.
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** Parses a decimal or C-style special (`1.5`, `-2e10`, `inf`, `nan`) into IEEE bits, or null. */
export function parseBinary(text: string, bits: 32 | 64): bigint | null {
  const t = text.trim().toLowerCase();
  let v: number;
  if (/^[+-]?(inf|infinity)$/.test(t)) v = t.startsWith('-') ? -Infinity : Infinity;
  else if (/^[+-]?nan$/.test(t)) v = NaN;
  else if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) && /[.e]/.test(t)) v = Number(t);
  else return null;
  const buffer = new DataView(new ArrayBuffer(8));
  if (bits === 32) { buffer.setFloat32(0, v); return BigInt(buffer.getUint32(0)); }
  buffer.setFloat64(0, v);
  return buffer.getBigUint64(0);
}
