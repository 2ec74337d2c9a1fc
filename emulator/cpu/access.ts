// access.ts: operands of a decoded instruction — effective addresses, segmentation to linear addresses,
// and register/memory reads and writes by operand size. Handlers go through these, so segmentation
// and paging sit underneath without the handlers knowing.
import { Vector, raise } from './fault';
import { EaKind, Insn } from './insn';
import { Cpu, Seg } from './state';
import { Access } from '../mmu/mmu';
import { checkSegmentAccess } from './segment';

export { Access };

/** Computes the effective address (offset within the segment); returns lo, leaves hi in cpu.linHi. */
export function effectiveAddress(cpu: Cpu, i: Insn): number {
  switch (i.ea) {
    case EaKind.Abs:
      cpu.linHi = i.dispHi;
      return i.dispLo;
    case EaKind.Base64: {
      const s = (cpu.lo[i.base] >>> 0) + (i.dispLo >>> 0);
      cpu.linHi = (cpu.hi[i.base] + i.dispHi + (s > 0xffffffff ? 1 : 0)) | 0;
      return s | 0;
    }
    case EaKind.Full64: {
      let lo = i.dispLo, hi = i.dispHi;
      if (i.base >= 0) {
        const s = (lo >>> 0) + (cpu.lo[i.base] >>> 0);
        hi = (hi + cpu.hi[i.base] + (s > 0xffffffff ? 1 : 0)) | 0;
        lo = s | 0;
      }
      let xl = cpu.lo[i.index], xh = cpu.hi[i.index];
      if (i.scale !== 0) {
        xh = (xh << i.scale) | (xl >>> (32 - i.scale));
        xl <<= i.scale;
      }
      const s = (lo >>> 0) + (xl >>> 0);
      cpu.linHi = (hi + xh + (s > 0xffffffff ? 1 : 0)) | 0;
      return s | 0;
    }
    case EaKind.Addr32: {
      let v = i.dispLo;
      if (i.base >= 0) v += cpu.lo[i.base];
      if (i.index >= 0) v += cpu.lo[i.index] << i.scale;
      cpu.linHi = 0;
      return v | 0;
    }
    case EaKind.Addr16: {
      let v = i.dispLo;
      if (i.base >= 0) v += cpu.lo[i.base];
      if (i.index >= 0) v += cpu.lo[i.index];
      cpu.linHi = 0;
      return v & 0xffff;
    }
    default:
      cpu.linHi = 0;
      return 0;
  }
}

/**
 * Linear address of `size` bytes at offset lo/hi in segment `seg`; returns lo, leaves hi in cpu.linHi.
 * 64-bit mode: only FS and GS have a base, and the address must be canonical (SDM Vol.3A §3.3.7.1:
 * #SS(0) for stack references, #GP(0) otherwise). Other modes: the offset must lie within the limit
 * (SDM Vol.3A §5.3), and the address wraps at 4 GiB.
 */
export function linearOf(cpu: Cpu, seg: number, lo: number, hi: number, size: number, access: Access): number {
  if (cpu.long64) {
    if (seg >= Seg.FS) {
      const s = (lo >>> 0) + (cpu.segBaseLo[seg] >>> 0);
      hi = (hi + cpu.segBaseHi[seg] + (s > 0xffffffff ? 1 : 0)) | 0;
      lo = s | 0;
    }
    const shift = 64 - cpu.linearBits;
    if (((hi << shift) >> shift) !== hi) raise(seg === Seg.SS ? Vector.SS : Vector.GP, 0, 'non-canonical address');
    const end = (lo + size - 1) | 0;
    if ((end >>> 0) < (lo >>> 0)) {
      // The access crosses into the next 4 GiB: its last byte must be canonical too.
      const eh = (hi + 1) | 0;
      if (((eh << shift) >> shift) !== eh) raise(seg === Seg.SS ? Vector.SS : Vector.GP, 0, 'non-canonical address');
    }
    cpu.linHi = hi;
    return lo;
  }
  checkSegmentAccess(cpu, seg, lo, size, access === Access.Write);
  cpu.linHi = 0;
  return (cpu.segBaseLo[seg] + lo) | 0;
}

/** Linear address of the instruction's memory operand. */
export function linear(cpu: Cpu, i: Insn, size: number, access: Access): number {
  if (i.ea === EaKind.Base64 && i.seg < Seg.FS) {
    // The common case of 64-bit code, inline: base + disp in a segment without a base (SDM Vol.3A
    // §3.3.7.1), canonical and not crossing into the next 4 GiB; anything else takes linearOf's checks.
    const s = (cpu.lo[i.base] >>> 0) + (i.dispLo >>> 0);
    const hi = (cpu.hi[i.base] + i.dispHi + (s > 0xffffffff ? 1 : 0)) | 0;
    const lo = s | 0;
    const shift = 64 - cpu.linearBits;
    if (((hi << shift) >> shift) === hi && (((lo + size - 1) | 0) >>> 0) >= (lo >>> 0)) {
      cpu.linHi = hi;
      return lo;
    }
    return linearOf(cpu, i.seg, lo, hi, size, access);
  }
  const lo = effectiveAddress(cpu, i);
  return linearOf(cpu, i.seg, lo, cpu.linHi, size, access);
}

// Registers by size. Byte registers 16–19 are AH, CH, DH, BH (bits 15:8 of registers 0–3).

export function getReg8(cpu: Cpu, r: number): number {
  return r < 16 ? cpu.lo[r] & 0xff : (cpu.lo[r - 16] >> 8) & 0xff;
}

export function setReg8(cpu: Cpu, r: number, v: number): void {
  if (r < 16) cpu.lo[r] = (cpu.lo[r] & ~0xff) | (v & 0xff);
  else cpu.lo[r - 16] = (cpu.lo[r - 16] & ~0xff00) | ((v & 0xff) << 8);
}

export function setReg16(cpu: Cpu, r: number, v: number): void {
  cpu.lo[r] = (cpu.lo[r] & ~0xffff) | (v & 0xffff);
}

/** A 32-bit register write zero-extends into bits 63:32 (SDM Vol.1 §3.4.1.1). */
export function setReg32(cpu: Cpu, r: number, v: number): void {
  cpu.lo[r] = v;
  cpu.hi[r] = 0;
}

/** Writes a register of the given operand size (16/32/64; 64 takes hi too). */
export function setRegSized(cpu: Cpu, r: number, size: number, lo: number, hi: number): void {
  if (size === 64) { cpu.lo[r] = lo; cpu.hi[r] = hi; }
  else if (size === 32) { cpu.lo[r] = lo; cpu.hi[r] = 0; }
  else if (size === 16) cpu.lo[r] = (cpu.lo[r] & ~0xffff) | (lo & 0xffff);
  else setReg8(cpu, r, lo);
}

// Memory by size, at a linear address.

/** Reads `size` bits; 64-bit reads leave bits 63:32 in cpu.tmpHi. Values ≤ 16 bits are zero-extended. */
export function readLinear(cpu: Cpu, lo: number, hi: number, size: number): number {
  const m = cpu.mem;
  switch (size) {
    case 8: return m.read8(lo, hi);
    case 16: return m.read16(lo, hi);
    case 32: return m.read32(lo, hi);
    default: {
      const v = m.read64(lo, hi);
      cpu.tmpHi = m.hiResult;
      return v;
    }
  }
}

export function writeLinear(cpu: Cpu, lo: number, hi: number, size: number, v: number, vHi: number): void {
  const m = cpu.mem;
  switch (size) {
    case 8: m.write8(lo, hi, v); break;
    case 16: m.write16(lo, hi, v); break;
    case 32: m.write32(lo, hi, v); break;
    default: m.write64(lo, hi, v, vHi); break;
  }
}

// The r/m operand by size: a register when mod = 11b, memory otherwise.

export function readRm(cpu: Cpu, i: Insn, size: number): number {
  if (i.mod === 3) {
    switch (size) {
      case 8: return getReg8(cpu, i.rm);
      case 16: return cpu.lo[i.rm] & 0xffff;
      case 32: return cpu.lo[i.rm];
      default: cpu.tmpHi = cpu.hi[i.rm]; return cpu.lo[i.rm];
    }
  }
  const a = linear(cpu, i, size >> 3, Access.Read);
  return readLinear(cpu, a, cpu.linHi, size);
}

/** Linear address of the r/m memory operand between readRmw and writeRmw (one instruction at a time). */
let rmwLo = 0, rmwHi = 0;

/**
 * Reads the r/m operand of a read-modify-write instruction (64: lo, hi in cpu.tmpHi). The linear address
 * is computed once, checked for writing, so writeRmw stores to the same place without translating again.
 */
export function readRmw(cpu: Cpu, i: Insn, size: number): number {
  if (i.mod === 3) return readRm(cpu, i, size);
  rmwLo = linear(cpu, i, size >> 3, Access.Write);
  rmwHi = cpu.linHi;
  return readLinear(cpu, rmwLo, rmwHi, size);
}

/** Writes the r/m operand read by the last readRmw. */
export function writeRmw(cpu: Cpu, i: Insn, size: number, lo: number, hi: number): void {
  if (i.mod === 3) setRegSized(cpu, i.rm, size, lo, hi);
  else writeLinear(cpu, rmwLo, rmwHi, size, lo, hi);
}

export function writeRm(cpu: Cpu, i: Insn, size: number, v: number, vHi: number): void {
  if (i.mod === 3) {
    setRegSized(cpu, i.rm, size, v, vHi);
    return;
  }
  const a = linear(cpu, i, size >> 3, Access.Write);
  writeLinear(cpu, a, cpu.linHi, size, v, vHi);
}

/** Reads a general register of the given size (byte registers mapped as getReg8). */
export function readReg(cpu: Cpu, r: number, size: number): number {
  switch (size) {
    case 8: return getReg8(cpu, r);
    case 16: return cpu.lo[r] & 0xffff;
    case 32: return cpu.lo[r];
    default: cpu.tmpHi = cpu.hi[r]; return cpu.lo[r];
  }
}
