// exec/fpuEnv.ts: FNSTENV, FLDENV, FNSAVE, FRSTOR (SDM Vol.2A). The environment image is 14 bytes with a
// 16-bit operand size and 28 with 32 (or 64), in a protected-mode or a real-address-mode layout (SDM Vol.1
// §8.1.10, Figures 8-9 to 8-12); FNSAVE/FRSTOR append ST0–ST7, 10 bytes each, in stack order.
import { Access, linear } from '../access';
import type { Handler, Insn } from '../insn';
import type { Cpu } from '../state';
import { FSW_EXCEPTIONS } from '../fpuState';
import { image, imageView, loadImage, storeImage, x87Available, x87Wait } from './fpuImage';
import { CR0_PE, EFLAGS_VM } from '../modes';

/** Real-address and virtual-8086 mode use the real layouts (FIP/FDP as 20- or 32-bit linear pointers). */
function realLayout(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0_PE) === 0 || (cpu.flags & EFLAGS_VM) !== 0;
}

/** Builds the environment into image[0, 14 or 28); returns its size. */
function buildEnv(cpu: Cpu, size32: boolean): number {
  const f = cpu.fpu;
  const real = realLayout(cpu);
  const tag = f.fullTag();
  // Real mode: pointers are linear, segment × 16 + offset (SDM Vol.1 Figures 8-10, 8-12).
  const ip = real ? (f.fcs << 4) + f.fipLo : f.fipLo;
  const dp = real ? (f.fds << 4) + f.fdpLo : f.fdpLo;
  if (size32) {
    // Reserved upper halves are stored as FFFFh, as processors do (checked on the host for the protected
    // layout; the real-mode layout's reserved halves follow the same rule).
    imageView.setUint32(0, (f.fcw | 0xffff0000) >>> 0, true);
    imageView.setUint32(4, (f.fsw | 0xffff0000) >>> 0, true);
    imageView.setUint32(8, (tag | 0xffff0000) >>> 0, true);
    if (real) {
      imageView.setUint32(12, (ip & 0xffff) | 0xffff0000, true);
      imageView.setUint32(16, ((ip >>> 16) << 12 | f.fop) >>> 0, true);
      imageView.setUint32(20, (dp & 0xffff) | 0xffff0000, true);
      imageView.setUint32(24, ((dp >>> 16) << 12) >>> 0, true);
    } else {
      imageView.setInt32(12, ip, true);
      imageView.setUint32(16, (f.fcs | (f.fop << 16)) >>> 0, true);
      imageView.setInt32(20, dp, true);
      imageView.setUint32(24, (f.fds | 0xffff0000) >>> 0, true);
    }
    return 28;
  }
  imageView.setUint16(0, f.fcw, true);
  imageView.setUint16(2, f.fsw, true);
  imageView.setUint16(4, tag, true);
  if (real) {
    imageView.setUint16(6, ip & 0xffff, true);
    imageView.setUint16(8, ((ip >>> 16) & 0xf) << 12 | f.fop, true);
    imageView.setUint16(10, dp & 0xffff, true);
    imageView.setUint16(12, ((dp >>> 16) & 0xf) << 12, true);
  } else {
    imageView.setUint16(6, ip & 0xffff, true);
    imageView.setUint16(8, f.fcs, true);
    imageView.setUint16(10, dp & 0xffff, true);
    imageView.setUint16(12, f.fds, true);
  }
  return 14;
}

/** Loads the environment from image[0, …). */
function applyEnv(cpu: Cpu, size32: boolean): void {
  const f = cpu.fpu;
  const real = realLayout(cpu);
  if (size32) {
    f.fcw = imageView.getUint16(0, true);
    f.fsw = imageView.getUint16(4, true);
    f.setFullTag(imageView.getUint16(8, true));
    if (real) {
      f.fipLo = (imageView.getUint16(12, true) | ((imageView.getUint32(16, true) >>> 12) << 16)) | 0;
      f.fop = imageView.getUint16(16, true) & 0x7ff;
      f.fdpLo = (imageView.getUint16(20, true) | ((imageView.getUint32(24, true) >>> 12) << 16)) | 0;
      f.fcs = f.fds = 0;
    } else {
      f.fipLo = imageView.getInt32(12, true);
      f.fcs = imageView.getUint16(16, true);
      f.fop = imageView.getUint16(18, true) & 0x7ff;
      f.fdpLo = imageView.getInt32(20, true);
      f.fds = imageView.getUint16(24, true);
    }
  } else {
    f.fcw = imageView.getUint16(0, true);
    f.fsw = imageView.getUint16(2, true);
    f.setFullTag(imageView.getUint16(4, true));
    if (real) {
      const w = imageView.getUint16(8, true);
      f.fipLo = imageView.getUint16(6, true) | ((w >>> 12) << 16);
      f.fop = w & 0x7ff;
      f.fdpLo = imageView.getUint16(10, true) | ((imageView.getUint16(12, true) >>> 12) << 16);
      f.fcs = f.fds = 0;
    } else {
      f.fipLo = imageView.getUint16(6, true);
      f.fcs = imageView.getUint16(8, true);
      f.fdpLo = imageView.getUint16(10, true);
      f.fds = imageView.getUint16(12, true);
    }
  }
  f.fipHi = f.fdpHi = 0;
  f.updateSummary();
}

/** ST0–ST7 in stack order after the environment. */
function buildRegisters(cpu: Cpu, at: number): void {
  const f = cpu.fpu, top = f.top;
  for (let k = 0; k < 8; k++) {
    const r = ((top + k) & 7) * 10;
    for (let b = 0; b < 10; b++) image[at + 10 * k + b] = f.st[r + b];
  }
}

function applyRegisters(cpu: Cpu, at: number): void {
  const f = cpu.fpu, top = f.top;
  for (let k = 0; k < 8; k++) {
    const r = ((top + k) & 7) * 10;
    for (let b = 0; b < 10; b++) f.st[r + b] = image[at + 10 * k + b];
  }
}

/** The operand size picks the layout: 16 → 14-byte environment, otherwise 28 (SDM Vol.2A FSTENV). */
const is32 = (i: Insn): boolean => i.opSize !== 16;

/** FNSTENV (SDM Vol.2A FSTENV/FNSTENV): stores the environment, then masks every exception. */
function fnstenv(cpu: Cpu, i: Insn): void {
  x87Available(cpu);
  const n = buildEnv(cpu, is32(i));
  const a = linear(cpu, i, n, Access.Write);
  storeImage(cpu, a, cpu.linHi, n);
  cpu.fpu.fcw |= FSW_EXCEPTIONS;
  cpu.fpu.updateSummary();
}

/** FLDENV (SDM Vol.2A FLDENV). */
function fldenv(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const n = is32(i) ? 28 : 14;
  const a = linear(cpu, i, n, Access.Read);
  loadImage(cpu, a, cpu.linHi, n);
  applyEnv(cpu, is32(i));
}

/** FNSAVE (SDM Vol.2A FSAVE/FNSAVE): environment and registers, then the FNINIT state. */
function fnsave(cpu: Cpu, i: Insn): void {
  x87Available(cpu);
  const env = buildEnv(cpu, is32(i));
  buildRegisters(cpu, env);
  const a = linear(cpu, i, env + 80, Access.Write);
  storeImage(cpu, a, cpu.linHi, env + 80);
  cpu.fpu.init();
}

/** FRSTOR (SDM Vol.2A FRSTOR). */
function frstor(cpu: Cpu, i: Insn): void {
  x87Wait(cpu);
  const env = is32(i) ? 28 : 14;
  const a = linear(cpu, i, env + 80, Access.Read);
  loadImage(cpu, a, cpu.linHi, env + 80);
  applyEnv(cpu, is32(i));
  applyRegisters(cpu, env);
}


export const handlers: Record<string, Handler> = {
  fnstenv_m: fnstenv,
  fldenv_m: fldenv,
  fnsave_m: fnsave,
  frstor_m: frstor,
};
