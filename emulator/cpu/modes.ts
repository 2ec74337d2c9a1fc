// modes.ts: the processor's operating mode, derived from CR0.PE, EFLAGS.VM, EFER.LMA and CS.L/CS.D
// (SDM Vol.3A §2.2 and Figure 2-3), and the paging mode from CR0.PG, CR4.PAE, CR4.LA57, EFER.LME
// (SDM Vol.3A §4.1.1, Table 4-1). The decoder's code size and the stack size follow from them.
import { CodeSize, Cpu, Seg } from './state';

export const CR0_PE = 1 << 0;
export const CR0_PG = 1 << 31;
export const CR4_PAE = 1 << 5;
export const CR4_LA57 = 1 << 12;
export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
export const EFLAGS_VM = 1 << 17;
/** segAttr bits (descriptor bits 40–55 shifted down by 8). */
export const ATTR_L = 1 << 13;
export const ATTR_DB = 1 << 14;

export type CpuMode = 'real' | 'protected16' | 'protected32' | 'v8086' | 'compat16' | 'compat32' | 'long64';
export type PagingMode = 'none' | '32-bit' | 'pae' | '4-level' | '5-level';

/** Recomputes the fields the run loop and decoder depend on after CR0, EFER, EFLAGS.VM, CS or SS change. */
export function updateMode(cpu: Cpu): void {
  const pe = (cpu.cr0 & CR0_PE) !== 0;
  const lma = (cpu.efer & EFER_LMA) !== 0;
  const csAttr = cpu.segAttr[Seg.CS];
  if (!pe || (cpu.flags & EFLAGS_VM) !== 0) {
    cpu.codeSize = CodeSize.Bits16;
    cpu.long64 = false;
    cpu.cpl = !pe ? 0 : 3;
  } else {
    cpu.long64 = lma && (csAttr & ATTR_L) !== 0;
    cpu.codeSize = cpu.long64 ? CodeSize.Bits64 : (csAttr & ATTR_DB) !== 0 ? CodeSize.Bits32 : CodeSize.Bits16;
    cpu.cpl = cpu.segSel[Seg.CS] & 3;
  }
  cpu.stackSize = cpu.long64 ? 64 : pe && (cpu.flags & EFLAGS_VM) === 0 && (cpu.segAttr[Seg.SS] & ATTR_DB) !== 0 ? 32 : 16;
  cpu.linearBits = (cpu.cr4 & CR4_LA57) !== 0 ? 57 : 48;
}

export function cpuMode(cpu: Cpu): CpuMode {
  if ((cpu.cr0 & CR0_PE) === 0) return 'real';
  if ((cpu.flags & EFLAGS_VM) !== 0) return 'v8086';
  const d = (cpu.segAttr[Seg.CS] & ATTR_DB) !== 0;
  if ((cpu.efer & EFER_LMA) !== 0) return (cpu.segAttr[Seg.CS] & ATTR_L) !== 0 ? 'long64' : d ? 'compat32' : 'compat16';
  return d ? 'protected32' : 'protected16';
}

export function pagingMode(cpu: Cpu): PagingMode {
  if ((cpu.cr0 & CR0_PG) === 0 || (cpu.cr0 & CR0_PE) === 0) return 'none';
  if ((cpu.cr4 & CR4_PAE) === 0) return '32-bit';
  if ((cpu.efer & EFER_LMA) === 0) return 'pae';
  return (cpu.cr4 & CR4_LA57) !== 0 ? '5-level' : '4-level';
}
