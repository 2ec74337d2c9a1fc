// exec/far.ts: far JMP, far CALL, RETF and IRET in real-address and virtual-8086 mode (SDM Vol.2 JMP,
// CALL, RET, IRET "Operation", real-address-mode branches). In real mode loading CS only sets the
// selector and base = selector × 16 (SDM Vol.3A §20.1.1); the hidden limit and attributes stay.
// Protected-mode and IA-32e far transfers (descriptor checks, gates, privilege changes) are not emulated yet.
import { Access, linear, linearOf, readLinear } from '../access';
import { Vector, raise } from '../fault';
import { LazyOp } from '../lazyOp';
import { CR0_PE, EFLAGS_VM } from '../modes';
import { peek, push, release } from '../stack';
import { ATTN_IRQ, ATTN_MODE, Cpu, Reg, Seg } from '../state';
import type { Handler, Insn } from '../insn';

/** EFLAGS bits IRET may load in real mode with a 32-bit operand (SDM Vol.2 IRET: tempEFLAGS AND 257FD5H). */
const IRET32_LOADED = 0x257fd5;
/** EFLAGS bits IRETD keeps in real mode (SDM Vol.2 IRET: EFLAGS AND 1A0000H: VM, VIF, VIP). */
const IRET32_KEPT = 0x1a0000;
/** The 16 FLAGS bits a 16-bit IRET loads: all but the reserved bits 1, 3, 5, 15 (bit 1 reads as 1). */
const IRET16_LOADED = 0x7fd5;
const IOPL = 0x3000;
const FLAG_IF = 0x200;

/** Far transfers outside real and virtual-8086 mode need the descriptor machinery: a known gap. */
function requireRealOrV86(cpu: Cpu): void {
  if ((cpu.cr0 & CR0_PE) !== 0 && (cpu.flags & EFLAGS_VM) === 0) {
    raise(Vector.GP, 0, 'far transfers in protected mode are not emulated yet');
  }
}

/** #GP(0) when the new instruction pointer lies beyond the CS limit (SDM Vol.2 JMP/CALL/RET real-mode operation). */
function checkIp(cpu: Cpu, ip: number): void {
  if ((ip >>> 0) > (cpu.segLimit[Seg.CS] >>> 0)) raise(Vector.GP, 0, 'far transfer target beyond the CS limit');
}

/** Loads CS as real mode does and jumps to `ip` (already checked against the limit). */
function loadCsIp(cpu: Cpu, selector: number, ip: number): void {
  selector &= 0xffff;
  cpu.segSel[Seg.CS] = selector;
  cpu.segBaseLo[Seg.CS] = selector << 4;
  cpu.segBaseHi[Seg.CS] = 0;
  cpu.ripLo = ip;
  cpu.ripHi = 0;
  cpu.attention |= ATTN_MODE; // CS changed: the run loop looks the next block up afresh
}

// A far pointer read from memory (JMP/CALL m16:16, m16:32): results here, so nothing is allocated.
let ptrOffset = 0;
let ptrSelector = 0;

/** Reads the m16:16 / m16:32 operand: offset (operand size) then selector; the whole pointer must be within the limit. */
function readFarPointer(cpu: Cpu, i: Insn): void {
  const n = i.opSize >> 3;
  const a = linear(cpu, i, n + 2, Access.Read);
  const aHi = cpu.linHi;
  ptrOffset = readLinear(cpu, a, aHi, i.opSize);
  ptrSelector = readLinear(cpu, (a + n) | 0, aHi, 16);
}

/** #SS(0) unless `count` stack slots of `bytes` below SP are all within the SS limit (checked before any push). */
function checkPushes(cpu: Cpu, bytes: number, count: number): void {
  const sp = cpu.lo[Reg.RSP];
  for (let k = 1; k <= count; k++) {
    const off = cpu.stackSize === 16 ? (sp - k * bytes) & 0xffff : (sp - k * bytes) | 0;
    linearOf(cpu, Seg.SS, off, 0, bytes, Access.Write);
  }
}

function farJump(cpu: Cpu, i: Insn, selector: number, offset: number): void {
  const ip = i.opSize === 16 ? offset & 0xffff : offset;
  checkIp(cpu, ip);
  loadCsIp(cpu, selector, ip);
}

/** SDM Vol.2 CALL, real-address mode: push CS then (E)IP in the operand size, then load CS:(E)IP. */
function farCall(cpu: Cpu, i: Insn, selector: number, offset: number): void {
  const size = i.opSize;
  const ip = size === 16 ? offset & 0xffff : offset;
  checkIp(cpu, ip);
  checkPushes(cpu, size >> 3, 2);
  push(cpu, size, cpu.segSel[Seg.CS], 0); // 32-bit: the selector padded with 16 high-order zero bits
  push(cpu, size, i.nextLo, 0);
  loadCsIp(cpu, selector, ip);
}

const jmpPtr: Handler = (cpu, i) => {
  requireRealOrV86(cpu);
  farJump(cpu, i, i.imm2, i.immLo);
};

const jmpMem: Handler = (cpu, i) => {
  requireRealOrV86(cpu);
  readFarPointer(cpu, i);
  farJump(cpu, i, ptrSelector, ptrOffset);
};

const callPtr: Handler = (cpu, i) => {
  requireRealOrV86(cpu);
  farCall(cpu, i, i.imm2, i.immLo);
};

const callMem: Handler = (cpu, i) => {
  requireRealOrV86(cpu);
  readFarPointer(cpu, i);
  farCall(cpu, i, ptrSelector, ptrOffset);
};

/** SDM Vol.2 RET, real-address mode far return: pop (E)IP, pop CS, then release imm16 bytes. */
function retf(cpu: Cpu, i: Insn, extra: number): void {
  requireRealOrV86(cpu);
  const size = i.opSize;
  const n = size >> 3;
  let ip = peek(cpu, size, 0); // peek checks each slot against the SS limit (#SS(0))
  const selector = peek(cpu, size, n);
  if (size === 16) ip &= 0xffff;
  checkIp(cpu, ip);
  release(cpu, 2 * n + extra);
  loadCsIp(cpu, selector, ip);
}

const retfPlain: Handler = (cpu, i) => retf(cpu, i, 0);
const retfImm: Handler = (cpu, i) => retf(cpu, i, i.immLo & 0xffff);

/**
 * SDM Vol.2 IRET, real-address mode: pop (E)IP, CS, (E)FLAGS. 16-bit: FLAGS[15:0] from the stack;
 * 32-bit: EFLAGS ← (temp AND 257FD5H) OR (EFLAGS AND 1A0000H). Virtual-8086 mode: #GP(0) unless IOPL = 3,
 * and IOPL itself is not changed.
 */
const iret: Handler = (cpu, i) => {
  requireRealOrV86(cpu);
  const v86 = (cpu.flags & EFLAGS_VM) !== 0;
  if (v86 && (cpu.flags & IOPL) !== IOPL) raise(Vector.GP, 0, 'IRET in virtual-8086 mode with IOPL < 3');
  const size = i.opSize;
  const n = size >> 3;
  let ip = peek(cpu, size, 0);
  const selector = peek(cpu, size, n);
  const popped = peek(cpu, size, 2 * n);
  if (size === 16) ip &= 0xffff;
  checkIp(cpu, ip);
  // The arithmetic flags are all replaced, so pending lazy flags are simply dropped.
  cpu.lazyOp = LazyOp.None;
  const old = cpu.flags;
  let f: number;
  if (size === 16) f = (old & ~0xffff) | (popped & IRET16_LOADED);
  else f = (popped & IRET32_LOADED) | (old & IRET32_KEPT);
  if (v86) f = (f & ~IOPL) | (old & IOPL);
  cpu.flags = f | 2;
  release(cpu, 3 * n);
  loadCsIp(cpu, selector, ip);
  if ((f & FLAG_IF) !== 0 && (old & FLAG_IF) === 0) cpu.attention |= ATTN_IRQ; // a pending interrupt may now be taken
};

export const handlers: Record<string, Handler> = {
  jmp_ptr16_16: jmpPtr,
  jmp_ptr16_32: jmpPtr,
  jmp_m16_16: jmpMem,
  jmp_m16_32: jmpMem,
  jmp_m16_64: jmpMem,
  call_ptr16_16: callPtr,
  call_ptr16_32: callPtr,
  call_m16_16: callMem,
  call_m16_32: callMem,
  call_m16_64: callMem,
  retf16: retfPlain,
  retf32: retfPlain,
  retf64: retfPlain,
  retf16_imm16: retfImm,
  retf32_imm16: retfImm,
  retf64_imm16: retfImm,
  iret,
  iretd: iret,
  iretq: iret,
};
