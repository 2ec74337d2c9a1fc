// exec/stack.ts: PUSH, POP, PUSHA/POPA, PUSHF/POPF, ENTER, LEAVE (SDM Vol.2B/2A, "Operation" of each).
// Stack width follows the operand size; addressing follows the stack address size (SS.B, or 64).
import { Access, linearOf, readRm, setRegSized, writeRm } from '../access';
import { Vector, raise } from '../fault';
import { rflags } from '../flags';
import { LazyOp } from '../lazyOp';
import { CR0_PE, EFLAGS_VM } from '../modes';
import { loadSegment } from '../segment';
import { peek, pop, push, readStack, release, setStackPointer, stackOffset, writeStack } from '../stack';
import { ATTN_IRQ, ATTN_SHADOW, ATTN_TRACE, Cpu, Reg, Seg } from '../state';
import type { Handler } from '../insn';

const FLAG_TF = 1 << 8;
const FLAG_IF = 1 << 9;
const IOPL = 3 << 12;
const FLAG_RF = 1 << 16;
const FLAG_VIF = 1 << 19;
const FLAG_VIP = 1 << 20;
const CR4_VME = 1 << 0;

// PUSH (SDM Vol.2B PUSH).

/** PUSH r: the value is read before RSP moves, so PUSH RSP/ESP/SP pushes the old value (SDM PUSH). */
const pushReg: Handler = (cpu, i) => {
  push(cpu, i.opSize, cpu.lo[i.rm], cpu.hi[i.rm]);
};

/**
 * PUSH r/m: the operand is read before RSP is decremented, so an RSP-based address uses the old RSP
 * (SDM Vol.2B PUSH: "If the source operand is a memory operand that uses rSP as a base register,
 * its effective address is computed before rSP is decremented").
 */
const pushRm: Handler = (cpu, i) => {
  const v = readRm(cpu, i, i.opSize);
  push(cpu, i.opSize, v, i.opSize === 64 ? cpu.tmpHi : 0);
};

/** PUSH imm8/imm16/imm32: the immediate is sign-extended to the operand size (decode.ts did that). */
const pushImm: Handler = (cpu, i) => {
  push(cpu, i.opSize, i.immLo, i.immHi);
};

/**
 * PUSH Sreg. With a 32- or 64-bit operand size the processor decrements the stack pointer by 4 or 8;
 * SDM Vol.2B PUSH says recent processors then write only the low 16 bits and leave the rest of the slot
 * as it was. The AMD host zero-extends the selector into the whole slot, and so do we (checked by
 * stack.diff.test.ts).
 */
function pushSeg(seg: number): Handler {
  return (cpu, i) => {
    push(cpu, i.opSize, cpu.segSel[seg], 0);
  };
}

// POP (SDM Vol.2B POP).

/** POP r: the increment happens first, so POP RSP/ESP/SP leaves the popped value in the register. */
const popReg: Handler = (cpu, i) => {
  const v = pop(cpu, i.opSize);
  setRegSized(cpu, i.rm, i.opSize, v, cpu.tmpHi);
};

/**
 * POP r/m: "If the ESP register is used as a base register for addressing a destination operand in
 * memory, the POP instruction computes the effective address of the operand after it increments the
 * ESP register" (SDM Vol.2B POP). RSP moves first; if the store faults, RSP is put back.
 */
const popRm: Handler = (cpu, i) => {
  const size = i.opSize;
  if (i.mod === 3) {
    const v = pop(cpu, size);
    setRegSized(cpu, i.rm, size, v, cpu.tmpHi);
    return;
  }
  const v = peek(cpu, size, 0);
  const vHi = cpu.tmpHi;
  const spLo = cpu.lo[Reg.RSP], spHi = cpu.hi[Reg.RSP];
  release(cpu, size >> 3);
  try {
    writeRm(cpu, i, size, v, vHi);
  } catch (e) {
    cpu.lo[Reg.RSP] = spLo;
    cpu.hi[Reg.RSP] = spHi;
    throw e;
  }
};

/**
 * POP Sreg: reads a slot of the operand size and loads its low 16 bits through the descriptor checks
 * (loadSegment) before the stack pointer moves. POP SS inhibits interrupts until after the next
 * instruction (SDM Vol.2B POP, Vol.3A §6.8.3).
 */
function popSeg(seg: number): Handler {
  return (cpu, i) => {
    const v = peek(cpu, i.opSize, 0);
    loadSegment(cpu, seg, v & 0xffff);
    release(cpu, i.opSize >> 3);
    if (seg === Seg.SS) cpu.attention |= ATTN_SHADOW;
  };
}

// PUSHA/PUSHAD, POPA/POPAD (SDM Vol.2B): not encodable in 64-bit mode (rows are i64).

/** Push AX/EAX, CX, DX, BX, the original SP, BP, SI, DI; slots are written before SP moves. */
const pusha: Handler = (cpu, i) => {
  const size = i.opSize;
  const n = size >> 3;
  const spLo = cpu.lo[Reg.RSP], spHi = cpu.hi[Reg.RSP];
  // The lowest slot (DI) first, so a limit fault is found before anything is written.
  for (let r = 7; r >= 0; r--) {
    const off = stackOffset(cpu, spLo, spHi, -n * (r + 1));
    writeStack(cpu, size, off, cpu.tmpHi, cpu.lo[r], 0);
  }
  setStackPointer(cpu, stackOffset(cpu, spLo, spHi, -8 * n), cpu.tmpHi);
};

const popaValues = new Int32Array(8);

/** Pop DI, SI, BP, (skip SP), BX, DX, CX, AX; every slot is read before any register changes. */
const popa: Handler = (cpu, i) => {
  const size = i.opSize;
  const n = size >> 3;
  const spLo = cpu.lo[Reg.RSP], spHi = cpu.hi[Reg.RSP];
  for (let r = 7; r >= 0; r--) {
    const off = stackOffset(cpu, spLo, spHi, n * (7 - r));
    popaValues[r] = readStack(cpu, size, off, cpu.tmpHi);
  }
  for (let r = 0; r < 8; r++) if (r !== Reg.RSP) setRegSized(cpu, r, size, popaValues[r], 0);
  release(cpu, 8 * n);
};

// PUSHF/PUSHFD/PUSHFQ, POPF/POPFD/POPFQ (SDM Vol.2B).

/** True in virtual-8086 mode. */
function v86(cpu: Cpu): boolean {
  return (cpu.flags & EFLAGS_VM) !== 0;
}

/**
 * PUSHF: the image has VM and RF cleared (SDM Vol.2B PUSHF: "the VM and RF flags (bits 16 and 17) are
 * not copied; instead, the values for these flags are cleared in the EFLAGS image"). Virtual-8086 mode
 * with IOPL < 3: #GP(0), or with CR4.VME and a 16-bit operand, FLAGS with VIF in place of IF.
 */
const pushf: Handler = (cpu, i) => {
  const f = rflags(cpu);
  if (v86(cpu) && (f & IOPL) !== IOPL) {
    if (i.opSize !== 16 || (cpu.cr4 & CR4_VME) === 0) raise(Vector.GP, 0, 'PUSHF in virtual-8086 mode with IOPL < 3');
    const img = (f & ~(FLAG_IF | IOPL)) | ((f & FLAG_VIF) !== 0 ? FLAG_IF : 0) | IOPL;
    push(cpu, 16, img & 0xffff, 0);
    return;
  }
  push(cpu, i.opSize, i.opSize === 16 ? f & 0xffff : f & ~(FLAG_RF | EFLAGS_VM), 0);
};

/** The architectural EFLAGS bits 21:0 except the reserved ones (1, 3, 5, 15): CF…ID. */
const DEFINED = 0x3f7fd5;

/**
 * POPF per SDM Vol.2B POPF Operation. What may change:
 *  - real mode or CPL 0: every defined flag, except that VIP, VIF and VM keep their values (32/64-bit);
 *  - CPL > 0: as above, and IOPL keeps its value; IF too when CPL > IOPL;
 *  - virtual-8086 mode, IOPL = 3: all but IOPL (and VIP, VIF, VM, RF for 32 bits);
 *  - virtual-8086 mode, IOPL < 3: #GP(0), except 16-bit with CR4.VME: IF and IOPL kept, VIF ← bit 9,
 *    #GP(0) if the image sets TF, or sets IF while VIP = 1.
 * RF is always cleared and VM never changes. A 16-bit POPF changes only bits 15:0. Reserved bits keep
 * their values (bit 1 stays 1).
 */
const popf: Handler = (cpu, i) => {
  const size = i.opSize;
  const v = peek(cpu, size, 0);
  const old = rflags(cpu);
  let keep = ~DEFINED | EFLAGS_VM | FLAG_VIP | FLAG_VIF;
  let setVif = -1;
  if (v86(cpu)) {
    if ((old & IOPL) !== IOPL) {
      if (size !== 16 || (cpu.cr4 & CR4_VME) === 0) raise(Vector.GP, 0, 'POPF in virtual-8086 mode with IOPL < 3');
      if ((v & FLAG_TF) !== 0 || (v & FLAG_IF) !== 0 && (old & FLAG_VIP) !== 0) raise(Vector.GP, 0, 'POPF with VME would set TF, or IF while VIP is set');
      keep |= FLAG_IF;
      setVif = v & FLAG_IF;
    }
    keep |= IOPL;
  } else if ((cpu.cr0 & CR0_PE) !== 0 && cpu.cpl !== 0) {
    keep |= IOPL;
    if (cpu.cpl > (old & IOPL) >>> 12) keep |= FLAG_IF;
  }
  if (size === 16) keep |= ~0xffff;
  let f = (old & keep) | (v & ~keep);
  f = (f & ~FLAG_RF) | 2;
  if (setVif >= 0) f = setVif ? f | FLAG_VIF : f & ~FLAG_VIF;
  release(cpu, size >> 3);
  // Every arithmetic flag has just been replaced: pending lazy flags are dropped.
  cpu.lazyOp = LazyOp.None;
  cpu.flags = f;
  if ((f & FLAG_IF) !== 0 && (old & FLAG_IF) === 0) cpu.attention |= ATTN_IRQ; // a pending interrupt may now be taken
  if ((f & FLAG_TF) !== 0) cpu.attention |= ATTN_TRACE; // single-stepping starts after the next instruction
};

// ENTER, LEAVE (SDM Vol.2A ENTER, LEAVE).

const enterLo = new Int32Array(32);
const enterHi = new Int32Array(32);

/**
 * ENTER imm16, imm8 (SDM Vol.2A ENTER Operation): push rBP; FrameTemp ← rSP; for a nesting level L > 0
 * copy L − 1 frame pointers from [rBP − k·size] and push FrameTemp; then rBP ← FrameTemp and
 * rSP ← rSP − imm16. The copies are read first and the slots written before rSP/rBP change, so a
 * fault leaves both as they were. The level is taken modulo 32.
 */
const enter: Handler = (cpu, i) => {
  const size = i.opSize;
  const n = size >> 3;
  const alloc = i.immLo & 0xffff;
  const level = i.imm2 & 31;
  const spLo = cpu.lo[Reg.RSP], spHi = cpu.hi[Reg.RSP];
  const bpLo = cpu.lo[Reg.RBP], bpHi = cpu.hi[Reg.RBP];
  // Frame pointers of the enclosing frames: rBP − size·k, addressed with the stack address size.
  for (let k = 1; k < level; k++) {
    const off = stackOffset(cpu, bpLo, bpHi, -n * k);
    enterLo[k] = readStack(cpu, size, off, cpu.tmpHi);
    enterHi[k] = size === 64 ? cpu.tmpHi : 0;
  }
  // FrameTemp: rSP after pushing rBP, as an operand-size value (SDM: FrameTemp ← SP / ESP / RSP).
  let ftLo = stackOffset(cpu, spLo, spHi, -n);
  let ftHi = cpu.tmpHi;
  if (size === 16) { ftLo &= 0xffff; ftHi = 0; }
  else if (size === 32) { ftLo = cpu.stackSize === 16 ? (spLo & ~0xffff) | (ftLo & 0xffff) : ftLo; ftHi = 0; }
  const pushes = level === 0 ? 1 : level + 1;
  // The final stack pointer must be within the stack segment (64-bit: canonical), and a write there
  // must not page-fault (SDM Vol.2A ENTER exceptions: #SS(0), and "#PF(fault-code) … if a write using
  // the final value of the stack pointer … would cause a page fault"): probed before anything changes.
  const endLo = stackOffset(cpu, spLo, spHi, -n * pushes - alloc);
  const endHi = cpu.tmpHi;
  const endLin = linearOf(cpu, Seg.SS, endLo, endHi, n, Access.Write);
  cpu.mem.checkWritable(endLin, cpu.linHi, n);
  let off = stackOffset(cpu, spLo, spHi, -n);
  writeStack(cpu, size, off, cpu.tmpHi, bpLo, bpHi);
  if (level > 0) {
    for (let k = 1; k < level; k++) {
      off = stackOffset(cpu, spLo, spHi, -n * (k + 1));
      writeStack(cpu, size, off, cpu.tmpHi, enterLo[k], enterHi[k]);
    }
    off = stackOffset(cpu, spLo, spHi, -n * (level + 1));
    writeStack(cpu, size, off, cpu.tmpHi, ftLo, ftHi);
  }
  setRegSized(cpu, Reg.RBP, size, ftLo, ftHi);
  setStackPointer(cpu, endLo, endHi);
};

/**
 * LEAVE: rSP ← rBP (stack address size), then pop rBP (operand size) (SDM Vol.2A LEAVE Operation).
 * The slot is read before either register changes.
 */
const leave: Handler = (cpu, i) => {
  const size = i.opSize;
  const bpLo = cpu.lo[Reg.RBP], bpHi = cpu.hi[Reg.RBP];
  const off = stackOffset(cpu, bpLo, cpu.stackSize === 64 ? bpHi : 0, 0);
  const offHi = cpu.tmpHi;
  const v = readStack(cpu, size, off, offHi);
  const vHi = cpu.tmpHi;
  setStackPointer(cpu, stackOffset(cpu, off, offHi, size >> 3), cpu.tmpHi);
  setRegSized(cpu, Reg.RBP, size, v, size === 64 ? vHi : 0);
};

export const handlers: Record<string, Handler> = {
  push_r16: pushReg, push_r32: pushReg, push_r64: pushReg,
  push_rm16: pushRm, push_rm32: pushRm, push_rm64: pushRm,
  push_imm8_16: pushImm, push_imm8_32: pushImm, push_imm8_64: pushImm,
  push_imm16: pushImm, push_imm32: pushImm, push_imm32_64: pushImm,
  pop_r16: popReg, pop_r32: popReg, pop_r64: popReg,
  pop_rm16: popRm, pop_rm32: popRm, pop_rm64: popRm,
  pusha, pushad: pusha, popa, popad: popa,
  pushf, pushfd: pushf, pushfq: pushf,
  popf, popfd: popf, popfq: popf,
  enter16: enter, enter32: enter, enter64: enter,
  leave16: leave, leave32: leave, leave64: leave,
};
for (const [name, seg] of [['es', Seg.ES], ['cs', Seg.CS], ['ss', Seg.SS], ['ds', Seg.DS], ['fs', Seg.FS], ['gs', Seg.GS]] as const) {
  for (const size of [16, 32, 64]) {
    if (size === 64 && seg < Seg.FS) continue;
    handlers[`push_${name}_${size}`] = pushSeg(seg);
    if (seg !== Seg.CS) handlers[`pop_${name}_${size}`] = popSeg(seg);
  }
}
