// exec/sseMove.ts: the SSE data moves and XORs of forms/sse.ts (SDM Vol.2B MOVAPS, MOVUPS, MOVDQA, MOVDQU,
// MOVD/MOVQ, PXOR, XORPS). XMM registers are bytes in cpu.fpu.xmm (16 each, little endian). Every one of
// them is #UD with CR0.EM or CR4.OSFXSR = 0 and #NM with CR0.TS (SDM Vol.3A §2.5 Table 2-2, §13.1.3); a
// 128-bit memory operand of MOVAPS, MOVDQA, PXOR and XORPS must be 16-byte aligned, else #GP(0) (SDM
// Vol.1 §11.4.1; each instruction's "Protected Mode Exceptions"). 128-bit memory goes through the image
// buffer of fpuImage.ts, so a store checks every byte is writable before writing any.
import { Access, linear, readRm, writeRm } from '../access';
import { Vector, raise } from '../fault';
import type { Handler, Insn } from '../insn';
import type { Cpu } from '../state';
import { CR4_OSFXSR } from '../controlRegs';
import { image, loadImage, simdAvailable, storeImage } from './fpuImage';

function sseAvailable(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_OSFXSR) === 0) raise(Vector.UD, 0, 'SSE instruction with CR4.OSFXSR clear');
  simdAvailable(cpu);
}

/** Linear address of a 128-bit operand; `aligned`: #GP(0) unless it is a multiple of 16. */
function address128(cpu: Cpu, i: Insn, access: Access, aligned: boolean): number {
  const a = linear(cpu, i, 16, access);
  if (aligned && (a & 15) !== 0) raise(Vector.GP, 0, `${i.form.mnemonic.toUpperCase()} operand not aligned on 16 bytes`);
  return a;
}

/** Copies `n` bytes of the source operand (XMM register rm, or memory) into image[0, n). */
function source(cpu: Cpu, i: Insn, n: number, aligned: boolean): void {
  if (i.mod === 3) {
    image.set(cpu.fpu.xmm.subarray(i.rm * 16, i.rm * 16 + n));
  } else if (n === 16) {
    const a = address128(cpu, i, Access.Read, aligned);
    loadImage(cpu, a, cpu.linHi, 16);
  } else {
    const lo = readRm(cpu, i, 64);
    const hi = cpu.tmpHi;
    for (let k = 0; k < 4; k++) { image[k] = lo >>> (8 * k); image[4 + k] = hi >>> (8 * k); }
  }
}

/** The low dword (k = 0) or qword half (k = 1) of XMM register r. */
function xmm32(cpu: Cpu, r: number, k: number): number {
  const x = cpu.fpu.xmm, o = r * 16 + 4 * k;
  return x[o] | (x[o + 1] << 8) | (x[o + 2] << 16) | (x[o + 3] << 24);
}

/** XMM register r ← lo, hi in bits 63:0, zero above (MOVD/MOVQ into an XMM register). */
function setXmm64(cpu: Cpu, r: number, lo: number, hi: number): void {
  const x = cpu.fpu.xmm, o = r * 16;
  for (let k = 0; k < 4; k++) { x[o + k] = lo >>> (8 * k); x[o + 4 + k] = hi >>> (8 * k); }
  x.fill(0, o + 8, o + 16);
}

/** MOVAPS/MOVUPS/MOVDQA/MOVDQU xmm1, xmm2/m128. */
function load128(aligned: boolean): Handler {
  return (cpu, i) => {
    sseAvailable(cpu);
    source(cpu, i, 16, aligned);
    cpu.fpu.xmm.set(image.subarray(0, 16), i.reg * 16);
  };
}

/** MOVAPS/MOVUPS/MOVDQA/MOVDQU xmm2/m128, xmm1. */
function store128(aligned: boolean): Handler {
  return (cpu, i) => {
    sseAvailable(cpu);
    const x = cpu.fpu.xmm;
    if (i.mod === 3) {
      x.copyWithin(i.rm * 16, i.reg * 16, i.reg * 16 + 16);
      return;
    }
    const a = address128(cpu, i, Access.Write, aligned);
    image.set(x.subarray(i.reg * 16, i.reg * 16 + 16));
    storeImage(cpu, a, cpu.linHi, 16);
  };
}

/** PXOR / XORPS xmm1, xmm2/m128: a bitwise XOR, whatever the data type. */
function xor128(cpu: Cpu, i: Insn): void {
  sseAvailable(cpu);
  source(cpu, i, 16, true);
  const x = cpu.fpu.xmm, o = i.reg * 16;
  for (let k = 0; k < 16; k++) x[o + k] ^= image[k];
}

/** MOVD xmm, r/m32 and MOVQ xmm, r/m64 (REX.W): the general register or memory, zero-extended to 128 bits. */
function movdToXmm(cpu: Cpu, i: Insn): void {
  sseAvailable(cpu);
  setXmm64(cpu, i.reg, readRm(cpu, i, 32), 0);
}

function movqToXmm(cpu: Cpu, i: Insn): void {
  sseAvailable(cpu);
  const lo = readRm(cpu, i, 64);
  setXmm64(cpu, i.reg, lo, cpu.tmpHi);
}

/** MOVD r/m32, xmm and MOVQ r/m64, xmm: the low dword or qword. */
function movdFromXmm(cpu: Cpu, i: Insn): void {
  sseAvailable(cpu);
  writeRm(cpu, i, 32, xmm32(cpu, i.reg, 0), 0);
}

function movqFromXmm(cpu: Cpu, i: Insn): void {
  sseAvailable(cpu);
  writeRm(cpu, i, 64, xmm32(cpu, i.reg, 0), xmm32(cpu, i.reg, 1));
}

/** MOVQ xmm1, xmm2/m64 (F3 0F 7E): the low qword, bits 127:64 cleared. */
function movqLoad(cpu: Cpu, i: Insn): void {
  sseAvailable(cpu);
  source(cpu, i, 8, false);
  const lo = image[0] | (image[1] << 8) | (image[2] << 16) | (image[3] << 24);
  const hi = image[4] | (image[5] << 8) | (image[6] << 16) | (image[7] << 24);
  setXmm64(cpu, i.reg, lo, hi);
}

/** MOVQ xmm2/m64, xmm1 (66 0F D6): to memory the low qword; to a register also bits 127:64 cleared. */
function movqStore(cpu: Cpu, i: Insn): void {
  sseAvailable(cpu);
  const lo = xmm32(cpu, i.reg, 0), hi = xmm32(cpu, i.reg, 1);
  if (i.mod === 3) setXmm64(cpu, i.rm, lo, hi);
  else writeRm(cpu, i, 64, lo, hi);
}

export const handlers: Record<string, Handler> = {
  movaps_xmm_xmmm128: load128(true),
  movaps_xmmm128_xmm: store128(true),
  movups_xmm_xmmm128: load128(false),
  movups_xmmm128_xmm: store128(false),
  movdqa_xmm_xmmm128: load128(true),
  movdqa_xmmm128_xmm: store128(true),
  movdqu_xmm_xmmm128: load128(false),
  movdqu_xmmm128_xmm: store128(false),
  movd_xmm_rm32: movdToXmm,
  movq_xmm_rm64: movqToXmm,
  movd_rm32_xmm: movdFromXmm,
  movq_rm64_xmm: movqFromXmm,
  movq_xmm_xmmm64: movqLoad,
  movq_xmmm64_xmm: movqStore,
  pxor_xmm_xmmm128: xor128,
  xorps_xmm_xmmm128: xor128,
};
