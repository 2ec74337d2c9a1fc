// exec/shift.ts: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD (SDM Vol.2 chapter 4), and the 64-bit
// shift and read-modify-write helpers the other handlers of this group (bit.ts, muldiv.ts) share.
import { readRm, readRmw, writeRmw } from '../access';
import { cf, parity, setArith } from '../flags';
import { Handler, Insn, RIP_FREE, SPECIALISE } from '../insn';
import { LazyOp } from '../lazyOp';
import { Cpu } from '../state';
import { FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF, FLAGS_ARITH } from '../../isa/form';

// ---------------------------------------------------------------------------------------------
// Shared helpers.

/** 64-bit logical left shift by 0..63; returns lo, hi in cpu.tmpHi. */
export function shl64(cpu: Cpu, lo: number, hi: number, c: number): number {
  if (c === 0) { cpu.tmpHi = hi; return lo; }
  if (c < 32) { cpu.tmpHi = (hi << c) | (lo >>> (32 - c)); return lo << c; }
  cpu.tmpHi = lo << (c - 32);
  return 0;
}

/** 64-bit logical right shift by 0..63; returns lo, hi in cpu.tmpHi. */
export function shr64(cpu: Cpu, lo: number, hi: number, c: number): number {
  if (c === 0) { cpu.tmpHi = hi; return lo; }
  if (c < 32) { cpu.tmpHi = hi >>> c; return (lo >>> c) | (hi << (32 - c)); }
  cpu.tmpHi = 0;
  return hi >>> (c - 32);
}

/** 64-bit arithmetic right shift by 0..63; returns lo, hi in cpu.tmpHi. */
export function sar64(cpu: Cpu, lo: number, hi: number, c: number): number {
  if (c === 0) { cpu.tmpHi = hi; return lo; }
  if (c < 32) { cpu.tmpHi = hi >> c; return (lo >>> c) | (hi << (32 - c)); }
  cpu.tmpHi = hi >> 31;
  return hi >> (c - 32);
}

/** Bit k (0..63) of a lo/hi pair. */
export function bit64(lo: number, hi: number, k: number): number {
  return k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
}

/** SF, ZF, PF of a result of `size` bits (lo, and hi for 64); AF and the rest clear. */
export function szp(size: number, lo: number, hi: number): number {
  let f = parity(lo);
  if (size === 64) {
    if ((lo | hi) === 0) f |= FLAG_ZF;
    if (hi < 0) f |= FLAG_SF;
  } else {
    const m = size === 32 ? lo : lo & ((1 << size) - 1);
    if (m === 0) f |= FLAG_ZF;
    if ((lo >>> (size - 1)) & 1) f |= FLAG_SF;
  }
  return f;
}



// ---------------------------------------------------------------------------------------------
// SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR (SDM Vol.2 "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR").

export enum ShOp { Rol, Ror, Rcl, Rcr, Shl, Shr, Sal, Sar }
enum Count { One, Cl, Imm }

/**
 * The count is masked to 5 bits (6 with 64-bit operands); a masked count of 0 changes nothing,
 * flags included. For shifts, OF is defined only for 1-bit shifts and AF is undefined whenever the
 * count is non-zero; for rotates only CF and OF change (OF again only defined for 1-bit rotates).
 */
function shiftHandler(op: ShOp, size: number, kind: Count): Handler {
  const cmask = size === 64 ? 63 : 31;
  const vmask = size === 32 || size === 64 ? -1 : (1 << size) - 1;
  const msb = size - 1;
  return (cpu: Cpu, i: Insn): void => {
    const c = (kind === Count.One ? 1 : kind === Count.Cl ? cpu.lo[1] : i.immLo) & cmask;
    if (c === 0) {
      // Nothing changes, but a 32-bit register destination is still written, so bits 63:32 clear
      // (SDM Vol.1 §3.4.1.1; checked against the host).
      if (size === 32 && i.mod === 3) cpu.hi[i.rm] = 0;
      // A memory operand is still read (SDM Operation: tempDEST ← DEST before the count loop), so its
      // limit, canonical and paging faults are still raised (the 80286 vectors show #GP at offset 0xFFFF).
      else if (i.mod !== 3) readRm(cpu, i, size);
      return;
    }
    const v = readRmw(cpu, i, size);
    let r: number, rHi = 0, f: number, mask = FLAG_CF | FLAG_OF;
    if (size === 64) {
      const hi = cpu.tmpHi;
      let carry: number;
      switch (op) {
        case ShOp.Shl:
        case ShOp.Sal:
          r = shl64(cpu, v, hi, c); rHi = cpu.tmpHi; carry = bit64(v, hi, 64 - c);
          f = szp(64, r, rHi) | carry | (((rHi >>> 31) ^ carry) ? FLAG_OF : 0);
          mask = FLAGS_ARITH;
          break;
        case ShOp.Shr:
          r = shr64(cpu, v, hi, c); rHi = cpu.tmpHi; carry = bit64(v, hi, c - 1);
          f = szp(64, r, rHi) | carry | (hi < 0 ? FLAG_OF : 0);
          mask = FLAGS_ARITH;
          break;
        case ShOp.Sar:
          r = sar64(cpu, v, hi, c); rHi = cpu.tmpHi; carry = bit64(v, hi, c - 1);
          f = szp(64, r, rHi) | carry;
          mask = FLAGS_ARITH;
          break;
        case ShOp.Rol: {
          r = shl64(cpu, v, hi, c); rHi = cpu.tmpHi;
          r |= shr64(cpu, v, hi, 64 - c); rHi |= cpu.tmpHi;
          carry = r & 1;
          f = carry | (((rHi >>> 31) ^ carry) ? FLAG_OF : 0);
          break;
        }
        case ShOp.Ror: {
          r = shr64(cpu, v, hi, c); rHi = cpu.tmpHi;
          r |= shl64(cpu, v, hi, 64 - c); rHi |= cpu.tmpHi;
          carry = rHi >>> 31;
          f = carry | (((rHi >>> 31) ^ ((rHi >>> 30) & 1)) ? FLAG_OF : 0);
          break;
        }
        case ShOp.Rcl: {
          const ci = cf(cpu) ? 1 : 0;
          r = shl64(cpu, v, hi, c); rHi = cpu.tmpHi;
          if (c === 1) r |= ci;
          else {
            if (c - 1 < 32) r |= ci << (c - 1); else rHi |= ci << (c - 33);
            r |= shr64(cpu, v, hi, 65 - c); rHi |= cpu.tmpHi;
          }
          carry = bit64(v, hi, 64 - c);
          f = carry | (((rHi >>> 31) ^ carry) ? FLAG_OF : 0);
          break;
        }
        default: { // Rcr
          const ci = cf(cpu) ? 1 : 0;
          r = shr64(cpu, v, hi, c); rHi = cpu.tmpHi;
          const k = 64 - c;
          if (k < 32) r |= ci << k; else rHi |= ci << (k - 32);
          if (c > 1) { r |= shl64(cpu, v, hi, 65 - c); rHi |= cpu.tmpHi; }
          carry = bit64(v, hi, c - 1);
          // OF = MSB(DEST) XOR CF, both before the rotate (SDM RCR pseudo-code).
          f = carry | (((hi >>> 31) ^ ci) ? FLAG_OF : 0);
          break;
        }
      }
    } else {
      let carry: number;
      switch (op) {
        case ShOp.Shl:
        case ShOp.Sal:
          r = (v << c) & vmask;
          carry = c <= size ? (v >>> (size - c)) & 1 : 0;
          f = szp(size, r, 0) | carry | (((r >>> msb) & 1) ^ carry ? FLAG_OF : 0);
          mask = FLAGS_ARITH;
          break;
        case ShOp.Shr:
          r = v >>> c;
          carry = (v >>> (c - 1)) & 1;
          f = szp(size, r, 0) | carry | ((v >>> msb) & 1 ? FLAG_OF : 0);
          mask = FLAGS_ARITH;
          break;
        case ShOp.Sar: {
          const sv = (v << (32 - size)) >> (32 - size);
          r = (sv >> c) & vmask;
          carry = (sv >> (c - 1)) & 1;
          f = szp(size, r, 0) | carry;
          mask = FLAGS_ARITH;
          break;
        }
        case ShOp.Rol: {
          // 8/16-bit: the masked count is taken modulo the width; CF is still written when that is 0.
          const t = c % size;
          r = t === 0 ? v : ((v << t) | (v >>> (size - t))) & vmask;
          carry = r & 1;
          f = carry | (((r >>> msb) & 1) ^ carry ? FLAG_OF : 0);
          break;
        }
        case ShOp.Ror: {
          const t = c % size;
          r = t === 0 ? v : ((v >>> t) | (v << (size - t))) & vmask;
          carry = (r >>> msb) & 1;
          f = carry | (carry ^ ((r >>> (msb - 1)) & 1) ? FLAG_OF : 0);
          break;
        }
        case ShOp.Rcl: {
          // Through CF: 8/16-bit counts rotate modulo 9/17 (SDM RCL tempCOUNT); 0 then changes nothing.
          const t = size === 32 ? c : c % (size + 1);
          if (t === 0) return;
          const ci = cf(cpu) ? 1 : 0;
          const back = size - t + 1;
          r = ((v << t) | (ci << (t - 1)) | (back >= 32 ? 0 : v >>> back)) & vmask;
          carry = (v >>> (size - t)) & 1;
          f = carry | (((r >>> msb) & 1) ^ carry ? FLAG_OF : 0);
          break;
        }
        default: { // Rcr
          const t = size === 32 ? c : c % (size + 1);
          if (t === 0) return;
          const ci = cf(cpu) ? 1 : 0;
          const back = size - t + 1;
          r = ((v >>> t) | (ci << (size - t)) | (back >= 32 ? 0 : v << back)) & vmask;
          carry = (v >>> (t - 1)) & 1;
          f = carry | (((v >>> msb) & 1) ^ ci ? FLAG_OF : 0);
          break;
        }
      }
    }
    // Write first: a fault on the store must leave the flags as they were.
    writeRmw(cpu, i, size, r, rHi);
    setArith(cpu, mask, f);
  };
}

// ---------------------------------------------------------------------------------------------
// SHLD, SHRD (SDM Vol.2 "SHLD", "SHRD"): dest shifted, vacated bits filled from the source register.

/**
 * Count masked to 5 bits (6 with 64-bit operands); 0 changes nothing. With 16-bit operands a
 * count above 16 gives an undefined result and flags (SDM SHLD/SHRD); we compute the Intel-style
 * 48-bit (dest:src:dest) funnel there, but the tests mask it out.
 */
function doubleShiftHandler(left: boolean, size: number, byCl: boolean): Handler {
  const cmask = size === 64 ? 63 : 31;
  return (cpu: Cpu, i: Insn): void => {
    const c = (byCl ? cpu.lo[1] : i.immLo) & cmask;
    if (c === 0) {
      if (size === 32 && i.mod === 3) cpu.hi[i.rm] = 0;
      return;
    }
    const d = readRmw(cpu, i, size);
    let r: number, rHi = 0, carry: number, sign: number;
    if (size === 64) {
      const dHi = cpu.tmpHi;
      const s = cpu.lo[i.reg], sHi = cpu.hi[i.reg];
      if (left) {
        r = shl64(cpu, d, dHi, c); rHi = cpu.tmpHi;
        r |= shr64(cpu, s, sHi, 64 - c); rHi |= cpu.tmpHi;
        carry = bit64(d, dHi, 64 - c);
      } else {
        r = shr64(cpu, d, dHi, c); rHi = cpu.tmpHi;
        r |= shl64(cpu, s, sHi, 64 - c); rHi |= cpu.tmpHi;
        carry = bit64(d, dHi, c - 1);
      }
      sign = (rHi ^ dHi) >>> 31;
    } else if (size === 32) {
      const s = cpu.lo[i.reg];
      if (left) { r = (d << c) | (s >>> (32 - c)); carry = (d >>> (32 - c)) & 1; }
      else { r = (d >>> c) | (s << (32 - c)); carry = (d >>> (c - 1)) & 1; }
      sign = (r ^ d) >>> 31;
    } else {
      const s = cpu.lo[i.reg] & 0xffff;
      if (left) {
        // dest:src:dest as a 48-bit value, top 16 bits after the shift.
        const hi32 = (d << 16) | s;
        const t = c <= 16 ? hi32 : (s << 16) | d;
        const k = c <= 16 ? c : c - 16;
        r = ((t << k) | (k === 0 ? 0 : (c <= 16 ? d : s) >>> (16 - k))) >>> 16 & 0xffff;
        carry = (t >>> (32 - k)) & 1;
      } else {
        const lo32 = (s << 16) | d;
        const t = c <= 16 ? lo32 : (d << 16) | s;
        const k = c <= 16 ? c : c - 16;
        r = ((t >>> k) | (k === 0 ? 0 : (c <= 16 ? d : s) << (32 - k))) & 0xffff;
        carry = (t >>> (k - 1)) & 1;
      }
      sign = ((r ^ d) >>> 15) & 1;
    }
    writeRmw(cpu, i, size, r, rHi);
    // OF: sign change on a 1-bit shift (undefined for larger counts); AF undefined (left clear).
    setArith(cpu, FLAGS_ARITH, szp(size, r, rHi) | carry | (sign ? FLAG_OF : 0));
  };
}

export const handlers: Record<string, Handler> = {};

const NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
for (let op = 0; op < 8; op++) {
  const n = NAMES[op];
  const alias = (opc: string) => (op === ShOp.Sal ? `_${opc}_6` : '');
  handlers[`${n}_rm8_1${alias('d0')}`] = shiftHandler(op, 8, Count.One);
  handlers[`${n}_rm8_cl${alias('d2')}`] = shiftHandler(op, 8, Count.Cl);
  handlers[`${n}_rm8_imm8${alias('c0')}`] = shiftHandler(op, 8, Count.Imm);
  for (const size of [16, 32, 64]) {
    handlers[`${n}_rm${size}_1${alias('d1')}`] = shiftHandler(op, size, Count.One);
    handlers[`${n}_rm${size}_cl${alias('d3')}`] = shiftHandler(op, size, Count.Cl);
    handlers[`${n}_rm${size}_imm8${alias('c1')}`] = shiftHandler(op, size, Count.Imm);
  }
}
for (const size of [16, 32, 64]) {
  handlers[`shld_rm${size}_r${size}_imm8`] = doubleShiftHandler(true, size, false);
  handlers[`shld_rm${size}_r${size}_cl`] = doubleShiftHandler(true, size, true);
  handlers[`shrd_rm${size}_r${size}_imm8`] = doubleShiftHandler(false, size, false);
  handlers[`shrd_rm${size}_r${size}_cl`] = doubleShiftHandler(false, size, true);
}


// ---------------------------------------------------------------------------------------------
// SHL/SHR/SAR of a 32-bit register, specialised: the hottest shifts of compiled code (the xz decoder of
// a Linux bzImage runs millions of them). One function literal per (operation, count kind), compiled
// once at module load and picked per decoded instruction by the block builder (SPECIALISE), so each has
// its own type feedback and is small enough for V8 to inline into a translated block. Each computes
// exactly what shiftHandler(op, 32, kind) computes for mod = 11b; memory operands keep the generic one.

const FLAG_BITS = { CF: FLAG_CF, PF: FLAG_PF, ZF: FLAG_ZF, SF: FLAG_SF, OF: FLAG_OF };
/** SF, ZF, PF of a 32-bit result r, as szp(32, r, 0). */
const SZP32 = `(parity(r) | (r === 0 ? ${FLAG_BITS.ZF} : 0) | ((r >>> 31) & 1 ? ${FLAG_BITS.SF} : 0))`;

function shift32Source(op: ShOp, kind: Count): string {
  const count = kind === Count.One ? '1' : kind === Count.Cl ? 'cpu.lo[1] & 31' : 'i.immLo & 31';
  let body: string;
  switch (op) {
    case ShOp.Shl:
      body = `const r = v << c; const carry = (v >>> (32 - c)) & 1;
const f = ${SZP32} | carry | (((r >>> 31) & 1) ^ carry ? ${FLAG_OF} : 0);`;
      break;
    case ShOp.Shr:
      body = `const r = v >>> c; const carry = (v >>> (c - 1)) & 1;
const f = ${SZP32} | carry | ((v >>> 31) & 1 ? ${FLAG_OF} : 0);`;
      break;
    default: // Sar
      body = `const r = v >> c; const carry = (v >> (c - 1)) & 1;
const f = ${SZP32} | carry;`;
      break;
  }
  return `const c = ${count}; const D = i.rm;
if (c === 0) { cpu.hi[D] = 0; return; }
const v = cpu.lo[D];
${body}
cpu.lo[D] = r; cpu.hi[D] = 0;
cpu.lazyOp = ${LazyOp.None}; cpu.flags = (cpu.flags & ${~FLAGS_ARITH}) | f;`;
}

for (const op of [ShOp.Shl, ShOp.Shr, ShOp.Sar]) {
  for (const [suffix, kind] of [['1', Count.One], ['cl', Count.Cl], ['imm8', Count.Imm]] as const) {
    const name = `${NAMES[op]}_rm32_${suffix}`;
    const generic = handlers[name];
    const make = new Function('parity', `return function ${name}_reg(cpu, i) {\n${shift32Source(op, kind)}\n};`) as (p: typeof parity) => Handler;
    const reg = make(parity);
    RIP_FREE.add(reg);
    SPECIALISE.set(generic, (i) => (i.mod === 3 ? reg : generic));
  }
}
