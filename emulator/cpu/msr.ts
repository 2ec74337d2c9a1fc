// msr.ts: the model-specific registers RDMSR and WRMSR reach (SDM Vol.4 chapter 2, Table 2-2 "IA-32
// Architectural MSRs"), their reserved-bit and canonical-address checks (SDM Vol.2B WRMSR), and the TSC
// as virtual time plus a writable offset. An MSR not listed here is #GP(0) (SDM Vol.2B RDMSR/WRMSR).
import { Vector, raise } from './fault';
import type { Insn } from './insn';
import { writeEfer } from './controlRegs';
import { Cpu, Seg } from './state';
import { TSC_PER_INSN } from './time';
import { isMtrr, readMtrr, writeMtrr } from './mtrr';

export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;
/** Microcode update signature (SDM Vol.4 Table 2-2 IA32_BIOS_SIGN_ID; Vol.3A §9.11.7.1 "Determining the Signature"). */
export const MSR_BIOS_SIGN_ID = 0x8b;
/** Machine-check global capability (read-only) and status (SDM Vol.4 Table 2-2). */
export const MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;
export const MSR_MISC_ENABLE = 0x1a0;
export const MSR_PAT = 0x277;
export const MSR_EFER = 0xc0000080 | 0;
export const MSR_STAR = 0xc0000081 | 0;
export const MSR_LSTAR = 0xc0000082 | 0;
export const MSR_CSTAR = 0xc0000083 | 0;
export const MSR_FMASK = 0xc0000084 | 0;
export const MSR_FS_BASE = 0xc0000100 | 0;
export const MSR_GS_BASE = 0xc0000101 | 0;
export const MSR_KERNEL_GS_BASE = 0xc0000102 | 0;
export const MSR_TSC_AUX = 0xc0000103 | 0;

/**
 * Whether lo/hi is canonical for an MSR or descriptor-table base load. Those checks use the widest
 * linear address the processor supports — 57 bits when it has 5-level paging — whatever CR4.LA57 says
 * (SDM Vol.3A §4.5.x "canonicality checking on loads of base addresses"; Intel 5-Level Paging white paper §2.6).
 */
export function baseCanonical(cpu: Cpu, hi: number): boolean {
  const shift = cpu.features.has('la57') ? 7 : 16;
  return ((hi << shift) >> shift) === hi;
}

/** The TSC for an instruction at position `pos` of its block: virtual time plus the offset WRMSR set. Returns lo, hi in cpu.tmpHi. */
export function readTsc(cpu: Cpu, pos: number): number {
  const t = (cpu.icount + pos) * TSC_PER_INSN; // exact below 2^53
  const tLo = t % 0x100000000, tHi = Math.floor(t / 0x100000000);
  const s = tLo + (cpu.tscOffsetLo >>> 0);
  cpu.tmpHi = (tHi + cpu.tscOffsetHi + (s > 0xffffffff ? 1 : 0)) | 0;
  return s | 0;
}

/** Sets the TSC seen by the instruction at `pos` to lo/hi: the offset becomes value − virtual time (mod 2^64). */
function writeTsc(cpu: Cpu, pos: number, lo: number, hi: number): void {
  const t = (cpu.icount + pos) * TSC_PER_INSN;
  const tLo = t % 0x100000000, tHi = Math.floor(t / 0x100000000);
  const d = (lo >>> 0) - tLo;
  cpu.tscOffsetLo = d | 0;
  cpu.tscOffsetHi = (hi - tHi - (d < 0 ? 1 : 0)) | 0;
}

/** Each PAT entry (one byte) must be 0, 1, 4, 5, 6 or 7; 2, 3 and bits 7:3 are reserved (SDM Vol.3A §12.12.2). */
function patValid(v: number): boolean {
  for (let k = 0; k < 4; k++) {
    const t = (v >>> (8 * k)) & 0xff;
    if (t > 7 || t === 2 || t === 3) return false;
  }
  return true;
}

/** RDMSR of `index` for the instruction at block position `pos`: returns lo, hi in cpu.tmpHi; #GP(0) if unknown. */
export function readMsr(cpu: Cpu, index: number, pos: number): number {
  let lo = 0, hi = 0;
  switch (index | 0) {
    case MSR_TSC: return readTsc(cpu, pos);
    case MSR_APIC_BASE: lo = cpu.apicBaseLo; hi = cpu.apicBaseHi; break;
    // Bits 31:0 reserved, 63:32 the loaded update's revision as CPUID.01H left it; 0 there means no
    // microcode update is loaded (SDM Vol.4 Table 2-2), which is our case.
    case MSR_BIOS_SIGN_ID: break;
    case MSR_SYSENTER_CS: lo = cpu.sysenterCs; break;
    case MSR_SYSENTER_ESP: lo = cpu.sysenterEspLo; hi = cpu.sysenterEspHi; break;
    case MSR_SYSENTER_EIP: lo = cpu.sysenterEipLo; hi = cpu.sysenterEipHi; break;
    case MSR_MISC_ENABLE: lo = cpu.miscEnableLo; hi = cpu.miscEnableHi; break;
    case MSR_PAT: lo = cpu.patLo; hi = cpu.patHi; break;
    case MSR_EFER: lo = cpu.efer; break;
    case MSR_STAR: lo = cpu.starLo; hi = cpu.starHi; break;
    case MSR_LSTAR: lo = cpu.lstarLo; hi = cpu.lstarHi; break;
    case MSR_CSTAR: lo = cpu.cstarLo; hi = cpu.cstarHi; break;
    case MSR_FMASK: lo = cpu.sfmask; break;
    case MSR_FS_BASE: lo = cpu.segBaseLo[Seg.FS]; hi = cpu.segBaseHi[Seg.FS]; break;
    case MSR_GS_BASE: lo = cpu.segBaseLo[Seg.GS]; hi = cpu.segBaseHi[Seg.GS]; break;
    case MSR_KERNEL_GS_BASE: lo = cpu.kernelGsBaseLo; hi = cpu.kernelGsBaseHi; break;
    case MSR_TSC_AUX:
      if (!cpu.features.has('rdtscp') && !cpu.features.has('rdpid')) raise(Vector.GP, 0, 'rdmsr: IA32_TSC_AUX not supported');
      lo = cpu.tscAux;
      break;
    // SDM Vol.3B §16.3.1: with CPUID.01H:EDX.MCA, IA32_MCG_CAP and IA32_MCG_STATUS exist. We report no
    // error-reporting banks (Count = 0, MCG_CTL_P = 0) and no machine check in progress.
    case MSR_MCG_CAP: case MSR_MCG_STATUS:
      if (!cpu.features.has('mca')) raise(Vector.GP, 0, 'rdmsr: machine-check MSRs need CPUID MCA');
      break;
    default:
      if (isMtrr(index)) return readMtrr(cpu, index);
      raise(Vector.GP, 0, `rdmsr: unknown MSR ${(index >>> 0).toString(16)}h`);
  }
  cpu.tmpHi = hi;
  return lo;
}

function needCanonical(cpu: Cpu, hi: number, what: string): void {
  if (!baseCanonical(cpu, hi)) raise(Vector.GP, 0, `wrmsr ${what}: non-canonical address`);
}

/** WRMSR of lo/hi to `index` (SDM Vol.2B WRMSR: reserved bits and non-canonical addresses #GP(0)). */
export function writeMsr(cpu: Cpu, index: number, lo: number, hi: number, i: Insn | null): void {
  switch (index | 0) {
    case MSR_TSC: writeTsc(cpu, i === null ? 0 : i.pos, lo, hi); return;
    case MSR_APIC_BASE: {
      // Bits 7:0, 9 and 63:MAXPHYADDR are reserved; bit 10 (x2APIC enable) needs x2APIC (SDM Vol.3A §11.4.4, §11.12.1).
      let reserved = 0x2ff;
      if (!cpu.features.has('x2apic')) reserved |= 0x400;
      if ((lo & reserved) !== 0 || (hi >>> 20) !== 0) raise(Vector.GP, 0, 'wrmsr IA32_APIC_BASE: reserved bit set');
      cpu.apicBaseLo = lo; cpu.apicBaseHi = hi;
      return;
    }
    // Software writes 0 before CPUID.01H and reads the signature back (SDM Vol.3A §9.11.7.1); with no
    // update loaded CPUID.01H leaves 0 there, so the written value is not kept.
    case MSR_BIOS_SIGN_ID: return;
    case MSR_SYSENTER_CS: cpu.sysenterCs = lo; return; // bits 63:32 are ignored by SYSENTER; kept as written in bits 31:0
    case MSR_SYSENTER_ESP: needCanonical(cpu, hi, 'IA32_SYSENTER_ESP'); cpu.sysenterEspLo = lo; cpu.sysenterEspHi = hi; return;
    case MSR_SYSENTER_EIP: needCanonical(cpu, hi, 'IA32_SYSENTER_EIP'); cpu.sysenterEipLo = lo; cpu.sysenterEipHi = hi; return;
    case MSR_MISC_ENABLE: cpu.miscEnableLo = lo; cpu.miscEnableHi = hi; return;
    case MSR_PAT:
      if (!patValid(lo) || !patValid(hi)) raise(Vector.GP, 0, 'wrmsr IA32_PAT: reserved memory type');
      cpu.patLo = lo; cpu.patHi = hi;
      cpu.mem.setPagingState(cpu, true); // memory types of cached translations change (SDM Vol.3A §12.12.4)
      return;
    case MSR_EFER: writeEfer(cpu, lo, hi, i); return;
    case MSR_STAR: cpu.starLo = lo; cpu.starHi = hi; return;
    case MSR_LSTAR: needCanonical(cpu, hi, 'IA32_LSTAR'); cpu.lstarLo = lo; cpu.lstarHi = hi; return;
    case MSR_CSTAR: needCanonical(cpu, hi, 'IA32_CSTAR'); cpu.cstarLo = lo; cpu.cstarHi = hi; return;
    case MSR_FMASK:
      // Bits 63:32 of IA32_FMASK are reserved (SDM Vol.4 Table 2-2).
      if (hi !== 0) raise(Vector.GP, 0, 'wrmsr IA32_FMASK: reserved bits 63:32 set');
      cpu.sfmask = lo;
      return;
    case MSR_FS_BASE: needCanonical(cpu, hi, 'IA32_FS_BASE'); cpu.segBaseLo[Seg.FS] = lo; cpu.segBaseHi[Seg.FS] = hi; return;
    case MSR_GS_BASE: needCanonical(cpu, hi, 'IA32_GS_BASE'); cpu.segBaseLo[Seg.GS] = lo; cpu.segBaseHi[Seg.GS] = hi; return;
    case MSR_KERNEL_GS_BASE: needCanonical(cpu, hi, 'IA32_KERNEL_GS_BASE'); cpu.kernelGsBaseLo = lo; cpu.kernelGsBaseHi = hi; return;
    case MSR_TSC_AUX:
      if (!cpu.features.has('rdtscp') && !cpu.features.has('rdpid')) raise(Vector.GP, 0, 'wrmsr: IA32_TSC_AUX not supported');
      // Bits 63:32 are reserved (SDM Vol.4 Table 2-2, IA32_TSC_AUX).
      if (hi !== 0) raise(Vector.GP, 0, 'wrmsr IA32_TSC_AUX: reserved bits 63:32 set');
      cpu.tscAux = lo;
      return;
    case MSR_MCG_STATUS:
      // Writable only with zeros (SDM Vol.4 Table 2-2, IA32_MCG_STATUS; Vol.3B §16.3.1.2).
      if (!cpu.features.has('mca') || lo !== 0 || hi !== 0) raise(Vector.GP, 0, 'wrmsr IA32_MCG_STATUS: only 0 can be written');
      return;
    default:
      if (isMtrr(index)) { writeMtrr(cpu, index, lo, hi); return; }
      raise(Vector.GP, 0, `wrmsr: unknown MSR ${(index >>> 0).toString(16)}h`);
  }
}
