// exec/fxsave.ts: FXSAVE/FXRSTOR (and their REX.W forms), LDMXCSR and STMXCSR (SDM Vol.2A FXSAVE, FXRSTOR,
// LDMXCSR; Vol.2B STMXCSR). The 512-byte image is SDM Vol.2A FXSAVE Tables 3-53 (32-bit FIP/FDP with
// selectors) and 3-56 (REX.W: 64-bit FIP/FDP); bytes 464–511 are left to software and never written.
import { Access, linear, readRm, writeRm } from '../access';
import { Vector, raise } from '../fault';
import type { Handler, Insn } from '../insn';
import type { Cpu } from '../state';
import { MXCSR_MASK } from '../fpuState';
import { image, imageView, loadImage, simdAvailable, storeImage } from './fpuImage';
import { CR0_EM, CR0_TS, CR4_OSFXSR } from '../controlRegs';
import { handlers as sseMoveHandlers } from './sseMove';

/**
 * FXSAVE/FXRSTOR: #NM with CR0.TS or CR0.EM (SDM Vol.2A FXSAVE, Protected Mode Exceptions — unlike other
 * SSE instructions EM gives #NM, not #UD), then #GP(0) unless the operand is 16-byte aligned, whatever the
 * segment. The alignment is of the linear address; the SDM's #AC alternative under CR0.AM is not taken.
 */
function fxsrAddress(cpu: Cpu, i: Insn, access: Access): number {
  if ((cpu.cr0 & (CR0_EM | CR0_TS)) !== 0) raise(Vector.NM, 0, 'FXSAVE/FXRSTOR with CR0.EM or CR0.TS set');
  const a = linear(cpu, i, 512, access);
  if ((a & 15) !== 0) raise(Vector.GP, 0, 'FXSAVE/FXRSTOR operand not aligned on 16 bytes');
  return a;
}

/**
 * XMM0–7, or XMM0–15 in 64-bit mode. With CR4.OSFXSR = 0 the SDM leaves saving XMM and MXCSR to the
 * implementation (Vol.2A FXSAVE Operation); processors save and restore them regardless, and so does this.
 */
function xmmCount(cpu: Cpu): number {
  return cpu.long64 ? 16 : 8;
}

function fxsave(wide: boolean): Handler {
  return (cpu, i) => {
    const a = fxsrAddress(cpu, i, Access.Write);
    const aHi = cpu.linHi;
    const f = cpu.fpu;
    image.fill(0, 0, 464);
    imageView.setUint16(0, f.fcw, true);
    imageView.setUint16(2, f.fsw, true);
    image[4] = f.valid; // abridged tag: 1 = not empty, by physical register (SDM Vol.2A FXSAVE, FTW)
    imageView.setUint16(6, f.fop, true);
    imageView.setInt32(8, f.fipLo, true);
    imageView.setInt32(16, f.fdpLo, true);
    if (wide) {
      imageView.setInt32(12, f.fipHi, true);
      imageView.setInt32(20, f.fdpHi, true);
    } else {
      imageView.setUint16(12, f.fcs, true);
      imageView.setUint16(20, f.fds, true);
    }
    imageView.setInt32(24, f.mxcsr, true);
    imageView.setInt32(28, MXCSR_MASK, true);
    // ST0–ST7 in stack order, 16-byte slots (the upper 6 bytes are reserved and stored as 0).
    const top = f.top;
    for (let k = 0; k < 8; k++) {
      const r = ((top + k) & 7) * 10;
      for (let b = 0; b < 10; b++) image[32 + 16 * k + b] = f.st[r + b];
    }
    for (let b = 0, n = 16 * xmmCount(cpu); b < n; b++) image[160 + b] = f.xmm[b];
    storeImage(cpu, a, aHi, 160 + 16 * xmmCount(cpu));
  };
}

function fxrstor(wide: boolean): Handler {
  return (cpu, i) => {
    const a = fxsrAddress(cpu, i, Access.Read);
    const n = 160 + 16 * xmmCount(cpu);
    loadImage(cpu, a, cpu.linHi, n);
    const mxcsr = imageView.getInt32(24, true);
    if ((mxcsr & ~MXCSR_MASK) !== 0) raise(Vector.GP, 0, 'FXRSTOR: reserved MXCSR bits set in the image');
    const f = cpu.fpu;
    f.fcw = imageView.getUint16(0, true);
    // ES and B are not taken from the image but follow the flags the new FCW unmasks (SDM Vol.2A FXRSTOR:
    // an unmasked exception flag set in the image is pending for the next waiting instruction).
    f.fsw = imageView.getUint16(2, true);
    f.updateSummary();
    f.valid = image[4];
    f.fop = imageView.getUint16(6, true) & 0x7ff;
    f.fipLo = imageView.getInt32(8, true);
    f.fdpLo = imageView.getInt32(16, true);
    if (wide) {
      f.fipHi = imageView.getInt32(12, true);
      f.fdpHi = imageView.getInt32(20, true);
      f.fcs = f.fds = 0;
    } else {
      f.fipHi = f.fdpHi = 0;
      f.fcs = imageView.getUint16(12, true);
      f.fds = imageView.getUint16(20, true);
    }
    f.mxcsr = mxcsr;
    const top = f.top;
    for (let k = 0; k < 8; k++) {
      const r = ((top + k) & 7) * 10;
      for (let b = 0; b < 10; b++) f.st[r + b] = image[32 + 16 * k + b];
    }
    for (let b = 160; b < n; b++) f.xmm[b - 160] = image[b];
  };
}

/** LDMXCSR/STMXCSR: #UD with CR0.EM or CR4.OSFXSR = 0, #NM with CR0.TS (SDM Vol.2A LDMXCSR exceptions). */
function mxcsrAvailable(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_OSFXSR) === 0) raise(Vector.UD, 0, 'LDMXCSR/STMXCSR with CR4.OSFXSR clear');
  simdAvailable(cpu);
}

/** LDMXCSR m32: #GP(0) when a bit outside MXCSR_MASK is set (SDM Vol.2A LDMXCSR). */
function ldmxcsr(cpu: Cpu, i: Insn): void {
  mxcsrAvailable(cpu);
  const v = readRm(cpu, i, 32);
  if ((v & ~MXCSR_MASK) !== 0) raise(Vector.GP, 0, 'LDMXCSR: reserved MXCSR bits set');
  cpu.fpu.mxcsr = v;
}

function stmxcsr(cpu: Cpu, i: Insn): void {
  mxcsrAvailable(cpu);
  writeRm(cpu, i, 32, cpu.fpu.mxcsr, 0);
}

export const handlers: Record<string, Handler> = {
  fxsave_m: fxsave(false),
  fxsave64_m: fxsave(true),
  fxrstor_m: fxrstor(false),
  fxrstor64_m: fxrstor(true),
  ldmxcsr_m32: ldmxcsr,
  stmxcsr_m32: stmxcsr,
  ...sseMoveHandlers, // the SSE data moves (sseMove.ts), registered with the rest of the SSE state instructions
};
