// stack.ts: PUSH and POP of the stack in SS at RSP/ESP/SP, whichever the stack address size selects
// (SDM Vol.1 §6.2.3, Vol.3A §3.4.5). The memory is written before RSP changes, so a fault leaves RSP as it was.
import { Access, linearOf, readLinear, writeLinear } from './access';
import { Cpu, Reg, Seg } from './state';

/** Stack pointer after subtracting `bytes`, wrapped to the stack address size; hi in cpu.tmpHi. */
function spMinus(cpu: Cpu, bytes: number): number {
  const lo = cpu.lo[Reg.RSP];
  if (cpu.stackSize === 64) {
    const n = (lo - bytes) | 0;
    cpu.tmpHi = (n >>> 0) > (lo >>> 0) ? (cpu.hi[Reg.RSP] - 1) | 0 : cpu.hi[Reg.RSP];
    return n;
  }
  cpu.tmpHi = cpu.hi[Reg.RSP];
  return cpu.stackSize === 32 ? (lo - bytes) | 0 : (lo & ~0xffff) | ((lo - bytes) & 0xffff);
}

/** Sets the stack pointer to lo/hi (only the stack-size bits change below 64). */
function setSp(cpu: Cpu, lo: number, hi: number): void {
  if (cpu.stackSize === 64) { cpu.lo[Reg.RSP] = lo; cpu.hi[Reg.RSP] = hi; }
  else if (cpu.stackSize === 32) cpu.lo[Reg.RSP] = lo; // ESP: bits 63:32 are not touched by 32-bit stack use
  else cpu.lo[Reg.RSP] = (cpu.lo[Reg.RSP] & ~0xffff) | (lo & 0xffff);
}

function offsetOf(cpu: Cpu, sp: number): number {
  return cpu.stackSize === 16 ? sp & 0xffff : sp;
}

/** Pushes a value of `size` bits (16, 32, 64). */
export function push(cpu: Cpu, size: number, v: number, vHi: number): void {
  const sp = spMinus(cpu, size >> 3);
  const spHi = cpu.tmpHi;
  const a = linearOf(cpu, Seg.SS, offsetOf(cpu, sp), cpu.stackSize === 64 ? spHi : 0, size >> 3, Access.Write);
  writeLinear(cpu, a, cpu.linHi, size, v, vHi);
  setSp(cpu, sp, spHi);
}

/** Reads the value `depth` bytes above the stack pointer without popping; 64-bit hi in cpu.tmpHi. */
export function peek(cpu: Cpu, size: number, depth: number): number {
  const lo = cpu.lo[Reg.RSP];
  let off: number, offHi = 0;
  if (cpu.stackSize === 64) {
    const s = (lo >>> 0) + depth;
    off = s | 0;
    offHi = (cpu.hi[Reg.RSP] + (s > 0xffffffff ? 1 : 0)) | 0;
  } else {
    off = cpu.stackSize === 32 ? (lo + depth) | 0 : (lo + depth) & 0xffff;
  }
  const a = linearOf(cpu, Seg.SS, off, offHi, size >> 3, Access.Read);
  return readLinear(cpu, a, cpu.linHi, size);
}

/** Pops a value of `size` bits; 64-bit hi in cpu.tmpHi. */
export function pop(cpu: Cpu, size: number): number {
  const v = peek(cpu, size, 0);
  const vHi = cpu.tmpHi;
  release(cpu, size >> 3);
  cpu.tmpHi = vHi;
  return v;
}

/** Adds `bytes` to the stack pointer (RET imm16, LEAVE, POP). */
export function release(cpu: Cpu, bytes: number): void {
  const lo = cpu.lo[Reg.RSP];
  if (cpu.stackSize === 64) {
    const s = (lo >>> 0) + bytes;
    setSp(cpu, s | 0, (cpu.hi[Reg.RSP] + (s > 0xffffffff ? 1 : 0)) | 0);
  } else {
    setSp(cpu, (lo + bytes) | 0, 0);
  }
}

// Stack accesses at an explicit offset (PUSHA/POPA, ENTER, LEAVE): the caller reads and writes every
// slot first and moves the stack pointer last, so a fault leaves RSP/RBP as they were.

/** `base` (lo/hi) plus the signed `delta`, wrapped to the stack address size; hi in cpu.tmpHi. */
export function stackOffset(cpu: Cpu, baseLo: number, baseHi: number, delta: number): number {
  if (cpu.stackSize === 64) {
    const s = (baseLo >>> 0) + delta;
    cpu.tmpHi = (baseHi + (s > 0xffffffff ? 1 : s < 0 ? -1 : 0)) | 0;
    return s | 0;
  }
  cpu.tmpHi = 0;
  return cpu.stackSize === 32 ? (baseLo + delta) | 0 : (baseLo + delta) & 0xffff;
}

/** Reads `size` bits at stack offset lo/hi (from stackOffset) in SS; 64-bit hi in cpu.tmpHi. */
export function readStack(cpu: Cpu, size: number, lo: number, hi: number): number {
  const a = linearOf(cpu, Seg.SS, lo, hi, size >> 3, Access.Read);
  return readLinear(cpu, a, cpu.linHi, size);
}

/** Writes `size` bits at stack offset lo/hi (from stackOffset) in SS. */
export function writeStack(cpu: Cpu, size: number, lo: number, hi: number, v: number, vHi: number): void {
  const a = linearOf(cpu, Seg.SS, lo, hi, size >> 3, Access.Write);
  writeLinear(cpu, a, cpu.linHi, size, v, vHi);
}

/** Sets the stack pointer to an offset from stackOffset (below 64 bits only the stack-size bits change). */
export function setStackPointer(cpu: Cpu, lo: number, hi: number): void {
  setSp(cpu, lo, hi);
}
