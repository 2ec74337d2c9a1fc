// state.ts: the architectural register file of one x86-64 logical processor.
// 64-bit values live as 32-bit halves in typed arrays (lo/hi), so the hot path never needs BigInt
// and never allocates: lo[n] holds bits 31:0 of register n, hi[n] bits 63:32, both as int32.
import { FLAG_IF, FLAGS_ARITH } from '../isa/form';
import { LazyOp } from './lazyOp';
import type { Insn } from './insn';
import type { Mmu } from '../mmu/mmu';
import { CpuFeatures } from './features';
import { MTRR_WORDS } from './mtrr';
import { FpuState } from './fpuState';
import type { CpuEvents } from './events';
import type { CallTraceListener } from '../debug/callTrace';

/** General registers in SDM encoding order (ModRM.reg/rm with REX.R/B). */
export enum Reg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 }

/** Segment registers in SDM encoding order (Sreg field of ModRM). */
export enum Seg { ES, CS, SS, DS, FS, GS, LDTR, TR }

/**
 * The code size the decoder works in, derived from the mode and CS.D / CS.L
 * (SDM Vol.3A §5.2.1, Vol.1 §3.6): it sets default operand and address sizes.
 */
export enum CodeSize { Bits16 = 0, Bits32 = 1, Bits64 = 2 }

/** Port I/O as the processor sees it (IN, OUT, INS, OUTS): the machine plugs its devices in here. */
export interface PortIo {
  /** Reads `size` bytes (1, 2, 4) from `port`; returns the value zero-extended. */
  in(port: number, size: number): number;
  out(port: number, size: number, value: number): void;
}

/** No devices: reads float high (all ones), writes vanish. */
const NO_PORTS: PortIo = { in: (_p, size) => (size === 4 ? -1 : (1 << (size * 8)) - 1), out: () => undefined };

/** Reasons for cpu.attention (bits): the run loop leaves its fast path when any is set. */
export const ATTN_STOP = 1;         // the host asked to stop (pause, limit, breakpoint)
export const ATTN_CODE = 2;         // code the current block was decoded from has changed
export const ATTN_MODE = 4;         // mode, paging or CS changed: re-derive and look the block up again
export const ATTN_HALT = 8;         // HLT executed
export const ATTN_IRQ = 16;         // an interrupt may be pending
export const ATTN_SHADOW = 32;      // the interrupt shadow (STI, MOV SS) ends after this instruction
export const ATTN_YIELD = 64;       // a long instruction (REP string) stopped part-way to let the loop look around
export const ATTN_TRACE = 128;      // EFLAGS.TF or RF is set, or a debug register changed (SDM Vol.3B §17.3): one instruction at a time

export class Cpu {
  /** Bits 31:0 of the 16 general registers. */
  readonly lo = new Int32Array(16);
  /** Bits 63:32 of the 16 general registers. */
  readonly hi = new Int32Array(16);

  /** RIP (EIP/IP in narrower modes) of the next instruction. */
  ripLo = 0;
  ripHi = 0;
  /** RIP of the instruction being executed: faults report it and restart from it. */
  curLo = 0;
  curHi = 0;

  /**
   * RFLAGS, except that the six arithmetic flags are stale while lazyOp is not None:
   * read them through flags.ts (rflags(), cf(), zf() …), never from here directly.
   */
  flags = 0x2;
  /** Lazy arithmetic flags: the last flag-setting operation and its sign-extended-to-64 operands. */
  lazyOp: LazyOp = LazyOp.None;
  lzDst = 0; lzDstHi = 0;
  lzSrc = 0; lzSrcHi = 0;
  lzRes = 0; lzResHi = 0;

  // Segment registers: visible selector and the hidden descriptor cache (SDM Vol.3A §3.4.3).
  readonly segSel = new Uint16Array(8);
  readonly segBaseLo = new Int32Array(8);
  readonly segBaseHi = new Int32Array(8);
  /** Effective limit in bytes minus one (already scaled by G). */
  readonly segLimit = new Int32Array(8);
  /** Descriptor attribute bits 8–23 of the second dword (type, S, DPL, P, AVL, L, D/B, G), shifted down by 8. */
  readonly segAttr = new Int32Array(8);

  // Descriptor-table registers.
  gdtrBaseLo = 0; gdtrBaseHi = 0; gdtrLimit = 0;
  idtrBaseLo = 0; idtrBaseHi = 0; idtrLimit = 0x3ff;

  // Control registers (SDM Vol.3A §2.5). CR0 and CR4 are architecturally 64 bits with the top half reserved.
  cr0 = 0x60000010;
  cr2Lo = 0; cr2Hi = 0;
  cr3Lo = 0; cr3Hi = 0;
  cr4 = 0;
  cr8 = 0;
  /** IA32_EFER (MSR C000_0080h); only bits 31:0 are defined. */
  efer = 0;
  readonly drLo = new Int32Array(8);
  readonly drHi = new Int32Array(8);
  /** The MTRRs (mtrr.ts): IA32_MTRR_DEF_TYPE, fixed and variable ranges, each as lo, hi; zero after RESET (SDM Vol.3A §12.11.5). */
  readonly mtrr = new Int32Array(MTRR_WORDS);
  // MSRs with fields of their own (msr.ts reads and writes them; SYSCALL/SYSENTER/SWAPGS use them).
  /** IA32_TIME_STAMP_COUNTER minus virtual time (icount × TSC_PER_INSN), as 64-bit halves: WRMSR 10h sets it. */
  tscOffsetLo = 0; tscOffsetHi = 0;
  /** PKRU: access- and write-disable bits per protection key (SDM Vol.3A §4.6.2), RDPKRU/WRPKRU. */
  pkru = 0;
  /** IA32_TSC_AUX (C000_0103h): RDTSCP's ECX, RDPID's result. Bits 63:32 are reserved. */
  tscAux = 0;
  /** IA32_KERNEL_GS_BASE (C000_0102h): exchanged with GS.base by SWAPGS. */
  kernelGsBaseLo = 0; kernelGsBaseHi = 0;
  /** IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK (C000_0081h–C000_0084h): SYSCALL/SYSRET. */
  starLo = 0; starHi = 0;
  lstarLo = 0; lstarHi = 0;
  cstarLo = 0; cstarHi = 0;
  sfmask = 0;
  /** IA32_SYSENTER_CS/ESP/EIP (174h–176h). */
  sysenterCs = 0;
  sysenterEspLo = 0; sysenterEspHi = 0;
  sysenterEipLo = 0; sysenterEipHi = 0;
  /** IA32_APIC_BASE (1Bh): base FEE0_0000h, BSP (bit 8) and global enable (bit 11) after reset (SDM Vol.3A §11.4.4). */
  apicBaseLo = 0xfee00900 | 0; apicBaseHi = 0;
  /** IA32_PAT (277h): the power-up value 0007040600070406h (SDM Vol.3A §12.12.4). */
  patLo = 0x00070406; patHi = 0x00070406;
  /** IA32_MISC_ENABLE (1A0h). */
  miscEnableLo = 0; miscEnableHi = 0;
  /** x87 FPU, MMX and SSE registers (fpuState.ts). */
  readonly fpu = new FpuState();

  /** Debugger listeners (events.ts); null when nobody listens, which costs one null check on rare paths. */
  events: CpuEvents | null = null;
  /** Call-trace listener (debug/callTrace.ts); null when unused: one null check on call/return/interrupt paths. */
  calls: CallTraceListener | null = null;

  /** Derived from CR0.PE, EFLAGS.VM, EFER.LMA and CS.D/CS.L by modes.ts: the decoder's code size. */
  codeSize: CodeSize = CodeSize.Bits16;
  /** Current privilege level (CS.RPL outside real mode; 3 in virtual-8086 mode). */
  cpl = 0;
  /** True in 64-bit mode (EFER.LMA=1 and CS.L=1): addresses are 64 bits and canonical. */
  long64 = false;
  /** Stack address size: 64 in 64-bit mode, else 32 or 16 from SS.B (SDM Vol.3A §3.4.5). */
  stackSize = 16;
  /** Canonical-address width in 64-bit mode: 48, or 57 with CR4.LA57. */
  linearBits = 48;

  /** Nonzero when the run loop must leave its fast path; bits are the ATTN_* reasons. */
  attention = 0;
  /** Retired instructions since reset: the basis of virtual time (RDTSC, timers). */
  icount = 0;
  /** Set when the processor halted (HLT) until an interrupt arrives. */
  halted = false;
  /**
   * A repeated string instruction stopped between iterations with some left (exec/string.ts): an event
   * delivered now pushes RF = 1 (SDM Vol.3B §17.3.1.1). Cleared when it resumes or an event is delivered.
   */
  repResume = false;

  /** Scratch outputs for helpers that produce a 64-bit value or a second result. */
  tmpHi = 0;
  /** High half of the last linear address computed by access.ts (the low half is returned). */
  linHi = 0;

  /** The instruction being executed, for fault reporting; set by the run loop. */
  insn: Insn | null = null;

  /** Linear-address memory: the TLB in front of paging and physical memory. */
  readonly mem: Mmu;
  /** I/O ports. */
  io: PortIo = NO_PORTS;
  /** What CPUID reports and which CPUID-gated instructions exist. */
  features: CpuFeatures;

  constructor(mem: Mmu, features: CpuFeatures = new CpuFeatures()) {
    this.mem = mem;
    this.features = features;
    this.reset();
  }

  /** Processor state after RESET (SDM Vol.3A §9.1.1, Table 9-1). */
  reset(): void {
    this.lo.fill(0);
    this.hi.fill(0);
    this.lo[Reg.RDX] = 0x00000600; // processor signature family 6 stepping as software sees after reset
    this.flags = 0x2;
    this.lazyOp = LazyOp.None;
    this.cr0 = 0x60000010;
    this.cr2Lo = this.cr2Hi = this.cr3Lo = this.cr3Hi = 0;
    this.cr4 = 0;
    this.cr8 = 0;
    this.efer = 0;
    this.drLo.fill(0);
    this.drHi.fill(0);
    this.drLo[6] = 0xffff0ff0 | 0;
    this.drLo[7] = 0x400;
    this.mtrr.fill(0);
    this.tscOffsetLo = this.tscOffsetHi = 0;
    this.tscAux = 0;
    this.kernelGsBaseLo = this.kernelGsBaseHi = 0;
    this.starLo = this.starHi = this.lstarLo = this.lstarHi = this.cstarLo = this.cstarHi = 0;
    this.sfmask = 0;
    this.sysenterCs = this.sysenterEspLo = this.sysenterEspHi = this.sysenterEipLo = this.sysenterEipHi = 0;
    this.apicBaseLo = 0xfee00900 | 0;
    this.apicBaseHi = 0;
    this.patLo = this.patHi = 0x00070406;
    // Fast strings enabled; branch-trace and PEBS unavailable (SDM Vol.4 Table 2-2, IA32_MISC_ENABLE).
    this.miscEnableLo = 0x1801;
    this.miscEnableHi = 0;
    this.fpu.reset();
    for (let s = 0; s < 8; s++) {
      this.segSel[s] = 0;
      this.segBaseLo[s] = 0;
      this.segBaseHi[s] = 0;
      this.segLimit[s] = 0xffff;
      this.segAttr[s] = 0x93; // present, writable data, accessed
    }
    this.segSel[Seg.CS] = 0xf000;
    this.segBaseLo[Seg.CS] = 0xffff0000 | 0;
    this.segAttr[Seg.CS] = 0x9b; // present, execute/read code, accessed
    this.segAttr[Seg.LDTR] = 0x82;
    this.segAttr[Seg.TR] = 0x8b;
    this.gdtrBaseLo = this.gdtrBaseHi = 0;
    this.gdtrLimit = 0xffff;
    this.idtrBaseLo = this.idtrBaseHi = 0;
    this.idtrLimit = 0xffff;
    this.ripLo = 0xfff0;
    this.ripHi = 0;
    this.codeSize = CodeSize.Bits16;
    this.cpl = 0;
    this.long64 = false;
    this.stackSize = 16;
    this.linearBits = 48;
    this.attention = ATTN_MODE;
    this.halted = false;
    this.repResume = false;
  }

  /** IF, read without materialising the arithmetic flags. */
  get interruptsEnabled(): boolean {
    return (this.flags & FLAG_IF) !== 0;
  }
}

export { FLAGS_ARITH };
