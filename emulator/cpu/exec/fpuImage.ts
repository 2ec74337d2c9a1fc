// exec/fpuImage.ts: moves the memory images of FNSTENV/FNSAVE/FXSAVE and their loads between guest memory
// and one preallocated buffer, and the CR0 checks those instructions share (SDM Vol.3A §2.5, Table 2-2).
// A store builds the whole image first and checks every page is writable before storing a byte, so a
// fault leaves memory unchanged; a load reads all of it before changing any register.
import { Vector, raise } from '../fault';
import type { Cpu } from '../state';
import { FSW_ES } from '../fpuState';
import { CR0_EM, CR0_MP, CR0_NE, CR0_TS } from '../controlRegs';

/** The image being stored or just loaded (FXSAVE's 512 bytes are the largest). */
export const image = new Uint8Array(512);
export const imageView = new DataView(image.buffer);

/** lo + k as a linear address; 64-bit mode carries into the high half, other modes wrap at 4 GiB. */
function at(cpu: Cpu, lo: number, hi: number, k: number): number {
  const s = (lo >>> 0) + k;
  cpu.linHi = cpu.long64 ? (hi + (s > 0xffffffff ? 1 : 0)) | 0 : 0;
  return s | 0;
}

/** Stores image[0, size) at linear lo/hi (from access.ts linear() with Access.Write). */
export function storeImage(cpu: Cpu, lo: number, hi: number, size: number): void {
  cpu.mem.checkWritable(lo, hi, size);
  let k = 0;
  for (; k + 4 <= size; k += 4) {
    const a = at(cpu, lo, hi, k);
    cpu.mem.write32(a, cpu.linHi, imageView.getInt32(k, true));
  }
  for (; k < size; k++) {
    const a = at(cpu, lo, hi, k);
    cpu.mem.write8(a, cpu.linHi, image[k]);
  }
}

/** Reads `size` bytes at linear lo/hi into image[0, size). */
export function loadImage(cpu: Cpu, lo: number, hi: number, size: number): void {
  let k = 0;
  for (; k + 4 <= size; k += 4) {
    const a = at(cpu, lo, hi, k);
    imageView.setInt32(k, cpu.mem.read32(a, cpu.linHi), true);
  }
  for (; k < size; k++) {
    const a = at(cpu, lo, hi, k);
    image[k] = cpu.mem.read8(a, cpu.linHi);
  }
}

/** x87 instructions: #NM when CR0.EM or CR0.TS is set (SDM Vol.3A §2.5, Table 2-2). */
export function x87Available(cpu: Cpu): void {
  if ((cpu.cr0 & (CR0_EM | CR0_TS)) !== 0) raise(Vector.NM, 0, 'x87 instruction with CR0.EM or CR0.TS set');
}

/**
 * Waiting x87 instructions: after the #NM check, #MF when an unmasked exception is pending (FSW.ES) and
 * CR0.NE selects native reporting (SDM Vol.1 §8.7, Vol.3A §2.5 CR0.NE). With CR0.NE = 0 the processor
 * would signal FERR# to the interrupt controller instead, which is not modelled: the instruction runs.
 */
export function x87Wait(cpu: Cpu): void {
  x87Available(cpu);
  if ((cpu.fpu.fsw & FSW_ES) !== 0 && (cpu.cr0 & CR0_NE) !== 0) raise(Vector.MF, 0, 'pending unmasked x87 exception');
}

/** WAIT/FWAIT (SDM Vol.2B WAIT/FWAIT; Vol.3A Table 2-2): #NM only when CR0.MP and CR0.TS are both set. */
export function fwaitCheck(cpu: Cpu): void {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) raise(Vector.NM, 0, 'WAIT with CR0.TS and CR0.MP set');
  if ((cpu.fpu.fsw & FSW_ES) !== 0 && (cpu.cr0 & CR0_NE) !== 0) raise(Vector.MF, 0, 'pending unmasked x87 exception');
}

/** MMX and SSE instructions (EMMS, LDMXCSR, STMXCSR): #UD with CR0.EM, then #NM with CR0.TS (SDM Vol.3A Table 2-2). */
export function simdAvailable(cpu: Cpu): void {
  if ((cpu.cr0 & CR0_EM) !== 0) raise(Vector.UD, 0, 'MMX/SSE instruction with CR0.EM set');
  if ((cpu.cr0 & CR0_TS) !== 0) raise(Vector.NM, 0, 'MMX/SSE instruction with CR0.TS set');
}
