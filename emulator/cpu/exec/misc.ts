// exec/misc.ts: IN, OUT, XLAT, hint NOPs, HLT, CPUID, RDTSC, INT n/INT3/INTO/INT1, UD0/UD1/UD2, BOUND, WAIT, CLI, STI
// (SDM Vol.2), plus the I/O privilege check shared with INS/OUTS (exec/string.ts).
import { readTsc } from '../msr';
import { Access, linear, linearOf, readLinear, setReg8, setReg32, setRegSized } from '../access';
import { of } from '../flags';
import { Vector, raise } from '../fault';
import type { Handler, Insn } from '../insn';
import { SoftInt, softwareInterrupt } from '../interrupts';
import { CR0_PE, EFLAGS_VM } from '../modes';
import { CR4_PVI, CR4_VME } from '../controlRegs';
import { ATTN_HALT, ATTN_SHADOW, Cpu, Reg, Seg } from '../state';
import { FLAG_IF } from '../../isa/form';
import { fwaitCheck } from './fpuImage';
import { checkIoBreakpoint } from '../debugRegs';

const CR4_TSD = 1 << 2; // SDM Vol.3A §2.5: RDTSC is privileged when set

function iopl(cpu: Cpu): number {
  return (cpu.flags >> 12) & 3;
}

/**
 * The I/O permission checks of IN, OUT, INS and OUTS (SDM Vol.1 §19.5.1–19.5.2, Vol.3A §20.2.8.1):
 * real mode always may; protected mode when CPL <= IOPL; otherwise — and always in virtual-8086 mode —
 * the bits for ports `port` .. `port + bytes - 1` in the TSS's I/O permission bit map must all be 0,
 * else #GP(0). The map starts at the 16-bit offset at TSS byte 102 (32-bit and 64-bit TSS, Vol.3A
 * Figures 8-2 and 8-11); the processor reads the two bytes holding the first port's bit, and any byte
 * read beyond the TSS limit means #GP(0) (§19.5.2: "…treated as if they were set"). A 16-bit TSS has no
 * map (#GP(0)). As QEMU does, a TSS limit below 103 (no map base field) is #GP(0) too.
 */
export function checkIo(cpu: Cpu, port: number, bytes: number): void {
  if ((cpu.cr0 & CR0_PE) === 0) return;
  if ((cpu.flags & EFLAGS_VM) === 0 && cpu.cpl <= iopl(cpu)) return;
  const type = cpu.segAttr[Seg.TR] & 0xf;
  const limit = cpu.segLimit[Seg.TR] >>> 0;
  if ((type !== 9 && type !== 11) || limit < 103) raise(Vector.GP, 0, 'I/O with CPL > IOPL and no I/O permission bit map (TSS not 32/64-bit, or limit < 103)');
  const baseLo = cpu.segBaseLo[Seg.TR], baseHi = cpu.segBaseHi[Seg.TR];
  const mapBase = cpu.mem.readSystem((baseLo + 102) | 0, (baseLo >>> 0) + 102 > 0xffffffff ? (baseHi + 1) | 0 : baseHi, 2);
  const at = mapBase + (port >>> 3);
  if (at + 1 > limit) raise(Vector.GP, 0, `I/O port 0x${port.toString(16)}: its I/O permission bits lie beyond the TSS limit`);
  const bitsLo = (baseLo + at) | 0;
  const bits = cpu.mem.readSystem(bitsLo, (baseLo >>> 0) + at > 0xffffffff ? (baseHi + 1) | 0 : baseHi, 2);
  if (((bits >>> (port & 7)) & ((1 << bytes) - 1)) !== 0) raise(Vector.GP, 0, `I/O port 0x${port.toString(16)} denied by the TSS I/O permission bit map`);
}

function inHandler(bytes: number, dx: boolean): Handler {
  return (cpu, i) => {
    const port = dx ? cpu.lo[Reg.RDX] & 0xffff : i.immLo & 0xff;
    checkIo(cpu, port, bytes);
    const v = cpu.io.in(port, bytes);
    if (bytes === 1) setReg8(cpu, Reg.RAX, v);
    else setRegSized(cpu, Reg.RAX, bytes * 8, v | 0, 0);
    checkIoBreakpoint(cpu, port, bytes); // a trap after the instruction (debugRegs.ts)
  };
}

function outHandler(bytes: number, dx: boolean): Handler {
  const mask = bytes === 4 ? -1 : bytes === 2 ? 0xffff : 0xff;
  return (cpu, i) => {
    const port = dx ? cpu.lo[Reg.RDX] & 0xffff : i.immLo & 0xff;
    checkIo(cpu, port, bytes);
    cpu.io.out(port, bytes, bytes === 4 ? cpu.lo[Reg.RAX] >>> 0 : cpu.lo[Reg.RAX] & mask);
    checkIoBreakpoint(cpu, port, bytes);
  };
}

/** XLAT: AL ← [seg:(R/E)BX + AL], BX at the address size (SDM Vol.2 XLAT). */
function xlat(cpu: Cpu, i: Insn): void {
  const al = cpu.lo[Reg.RAX] & 0xff;
  let lo: number, hi = 0;
  if (i.addrSize === 64) {
    const s = (cpu.lo[Reg.RBX] >>> 0) + al;
    lo = s | 0;
    hi = (cpu.hi[Reg.RBX] + (s > 0xffffffff ? 1 : 0)) | 0;
  } else if (i.addrSize === 32) lo = (cpu.lo[Reg.RBX] + al) | 0;
  else lo = (cpu.lo[Reg.RBX] + al) & 0xffff;
  const seg = i.segOverride >= 0 ? i.segOverride : Seg.DS;
  const a = linearOf(cpu, seg, lo, hi, 1, Access.Read);
  setReg8(cpu, Reg.RAX, cpu.mem.read8(a, cpu.linHi));
}

function nop(): void {
  // Hint NOPs and prefetches: no architectural effect (SDM Vol.2 NOP, PREFETCHh, PREFETCHW).
  // A prefetch never faults, whatever its address (SDM Vol.2 PREFETCHh: "no exceptions").
}

/** HLT (SDM Vol.2 HLT): privileged; the run loop returns StopReason.Halt until an interrupt. */
function hlt(cpu: Cpu): void {
  if ((cpu.cr0 & CR0_PE) !== 0 && cpu.cpl > 0) raise(Vector.GP, 0, 'HLT at CPL > 0');
  cpu.halted = true;
  cpu.attention |= ATTN_HALT;
}

// CPUID (SDM Vol.2A CPUID, Table 3-8 "Information Returned by CPUID Instruction").
const MAX_BASIC = 0x1f;
const MAX_EXTENDED = 0x80000008;
/** Family 6, model 0x8F (extended model 8, model F), stepping 8: a recent server core. */
const SIGNATURE = (8 << 16) | (6 << 8) | (0xf << 4) | 8;
const BRAND = 'Trampoline x86-64 virtual CPU';
const BRAND_WORDS = new Int32Array(12);
for (let k = 0; k < BRAND.length; k++) BRAND_WORDS[k >> 2] |= BRAND.charCodeAt(k) << ((k & 3) * 8);
/** "GenuineIntel" in EBX, EDX, ECX order. */
const VENDOR = [0x756e6547, 0x49656e69, 0x6c65746e];

const out = new Int32Array(4);

/** Fills `out` with EAX, EBX, ECX, EDX of leaf/subleaf. */
export function cpuidLeaf(cpu: Cpu, leaf: number, subleaf: number): Int32Array {
  const f = cpu.features;
  out.fill(0);
  // A leaf above the highest basic or extended leaf returns the highest basic leaf's data (SDM CPUID).
  if (leaf >>> 0 > MAX_EXTENDED || (leaf >>> 0) > MAX_BASIC && (leaf >>> 0) < 0x80000000) leaf = MAX_BASIC;
  switch (leaf >>> 0) {
    case 0:
      out[0] = MAX_BASIC;
      out[1] = VENDOR[0]; out[3] = VENDOR[1]; out[2] = VENDOR[2];
      break;
    case 1:
      out[0] = SIGNATURE;
      // EBX: brand index 0, CLFLUSH line size 8 (× 8 bytes), 1 logical processor, initial APIC ID 0.
      out[1] = (8 << 8) | (1 << 16);
      out[2] = f.bits(1, 0, 2);
      out[3] = f.bits(1, 0, 3);
      break;
    case 7:
      if (subleaf === 0) {
        out[0] = 0; // highest subleaf
        out[1] = f.bits(7, 0, 1);
        // ECX bit 4, OSPKE, reflects CR4.PKE (SDM CPUID, leaf 07H).
        out[2] = f.bits(7, 0, 2) | ((cpu.cr4 >>> 22) & 1) << 4;
        out[3] = f.bits(7, 0, 3);
      }
      break;
    case 0xb:
    case 0x1f:
      // Extended topology (SDM CPUID leaf 0BH/1FH): one thread; level 0 SMT, level 1 core, then invalid.
      out[2] = subleaf & 0xff;
      if (subleaf === 0 || subleaf === 1) {
        out[1] = 1;
        out[2] |= (subleaf + 1) << 8;
      }
      out[3] = 0; // x2APIC ID
      break;
    case 0x80000000:
      out[0] = MAX_EXTENDED;
      break;
    case 0x80000001:
      out[2] = f.bits(0x80000001, 0, 2);
      out[3] = f.bits(0x80000001, 0, 3);
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const base = ((leaf >>> 0) - 0x80000002) * 4;
      for (let k = 0; k < 4; k++) out[k] = BRAND_WORDS[base + k];
      break;
    }
    case 0x80000008:
      // Physical address bits 7:0, linear address bits 15:8.
      out[0] = 52 | ((f.has('la57') ? 57 : 48) << 8);
      break;
    default:
      break; // reserved leaves within range read as zero
  }
  return out;
}

function cpuid(cpu: Cpu): void {
  const r = cpuidLeaf(cpu, cpu.lo[Reg.RAX], cpu.lo[Reg.RCX]);
  setReg32(cpu, Reg.RAX, r[0]);
  setReg32(cpu, Reg.RBX, r[1]);
  setReg32(cpu, Reg.RCX, r[2]);
  setReg32(cpu, Reg.RDX, r[3]);
}

/** RDTSC (SDM Vol.2 RDTSC): virtual time, see time.ts. #GP(0) when CR4.TSD and CPL > 0. */
function rdtsc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl > 0 && (cpu.cr0 & CR0_PE) !== 0) raise(Vector.GP, 0, 'RDTSC at CPL > 0 with CR4.TSD');
  const lo = readTsc(cpu, i.pos); // virtual time plus the offset a WRMSR to IA32_TIME_STAMP_COUNTER set
  setReg32(cpu, Reg.RAX, lo);
  setReg32(cpu, Reg.RDX, cpu.tmpHi);
}

/** INT n, INT3, INTO, INT1: the return address is the next instruction (SDM Vol.2 INT n). */
function interrupt(cpu: Cpu, vector: number, i: Insn, kind: SoftInt): void {
  const why = softwareInterrupt(cpu, vector, i.nextLo, i.nextHi, kind);
  if (why !== null) raise(Vector.GP, vector * 8 + 2, why);
}

/** INT1 (ICEBP): like a hardware #DB — no gate DPL check, EXT = 1 in error codes (SDM Vol.2 INT n). */
function int1(cpu: Cpu, i: Insn): void {
  const why = softwareInterrupt(cpu, 1, i.nextLo, i.nextHi, SoftInt.Int1);
  if (why !== null) raise(Vector.GP, 1 * 8 + 2 + 1, why);
}

function ud(): void {
  raise(Vector.UD, 0, 'UD0/UD1/UD2: undefined instruction');
}

/**
 * BOUND (SDM Vol.2A BOUND): the signed index in the register must lie within the lower and upper
 * bounds read from memory (each operand-size wide, lower first), else #BR. Nothing is written.
 */
function bound(size: number): Handler {
  const n = size >> 3;
  return (cpu, i) => {
    const a = linear(cpu, i, 2 * n, Access.Read);
    const aHi = cpu.linHi;
    let lower = readLinear(cpu, a, aHi, size);
    let upper = readLinear(cpu, (a + n) | 0, aHi, size);
    let index = cpu.lo[i.reg];
    if (size === 16) { lower = (lower << 16) >> 16; upper = (upper << 16) >> 16; index = (index << 16) >> 16; }
    if (index < lower || index > upper) raise(Vector.BR, 0, 'BOUND: index out of range');
  };
}

/** WAIT/FWAIT (SDM Vol.2B WAIT/FWAIT): #NM with CR0.TS and CR0.MP, #MF on a pending x87 exception (exec/fpuImage.ts). */
function wait(cpu: Cpu): void {
  fwaitCheck(cpu);
}

const FLAG_VIF = 1 << 19;
const FLAG_VIP = 1 << 20;

/**
 * Whether CLI/STI act on VIF rather than IF or fault (SDM Vol.2 CLI, STI Operation; Vol.3A §20.3, §20.4):
 * 1 — IF (real mode; protected mode with CPL <= IOPL; virtual-8086 mode with IOPL = 3); 0 — VIF
 * (virtual-8086 mode with IOPL < 3 and CR4.VME; protected mode at CPL 3 with IOPL < 3 and CR4.PVI);
 * anything else is #GP(0).
 */
function touchesIf(cpu: Cpu, what: string): boolean {
  if ((cpu.cr0 & CR0_PE) === 0) return true;
  if ((cpu.flags & EFLAGS_VM) !== 0) {
    if (iopl(cpu) === 3) return true;
    if ((cpu.cr4 & CR4_VME) !== 0) return false;
    raise(Vector.GP, 0, `${what} in virtual-8086 mode with IOPL < 3 and CR4.VME = 0`);
  }
  if (cpu.cpl <= iopl(cpu)) return true;
  if (cpu.cpl === 3 && (cpu.cr4 & CR4_PVI) !== 0) return false;
  raise(Vector.GP, 0, `${what} with CPL > IOPL`);
}

/** CLI (SDM Vol.2 CLI): IF ← 0, or VIF ← 0 under VME/PVI. */
function cli(cpu: Cpu): void {
  if (touchesIf(cpu, 'CLI')) cpu.flags &= ~FLAG_IF;
  else cpu.flags &= ~FLAG_VIF;
}

/** STI (SDM Vol.2 STI): IF ← 1, or VIF ← 1 under VME/PVI — #GP(0) instead while VIP is set. */
function sti(cpu: Cpu): void {
  if (!touchesIf(cpu, 'STI')) {
    if ((cpu.flags & FLAG_VIP) !== 0) raise(Vector.GP, 0, 'STI with VME/PVI while VIP is set');
    cpu.flags |= FLAG_VIF;
    return;
  }
  // Interrupts stay blocked until after the next instruction when STI sets IF (SDM Vol.2 STI).
  if ((cpu.flags & FLAG_IF) === 0) {
    cpu.flags |= FLAG_IF;
    cpu.attention |= ATTN_SHADOW;
  }
}

export const handlers: Record<string, Handler> = {
  in_al_imm8: inHandler(1, false),
  in_ax_imm8: inHandler(2, false),
  in_eax_imm8: inHandler(4, false),
  in_al_dx: inHandler(1, true),
  in_ax_dx: inHandler(2, true),
  in_eax_dx: inHandler(4, true),
  out_imm8_al: outHandler(1, false),
  out_imm8_ax: outHandler(2, false),
  out_imm8_eax: outHandler(4, false),
  out_dx_al: outHandler(1, true),
  out_dx_ax: outHandler(2, true),
  out_dx_eax: outHandler(4, true),
  // REX.W is ignored by port I/O (SDM Vol.2 IN/OUT).
  in_eax_imm8_w: inHandler(4, false),
  in_eax_dx_w: inHandler(4, true),
  out_imm8_eax_w: outHandler(4, false),
  out_dx_eax_w: outHandler(4, true),
  xlatb: xlat,
  nop_rm16: nop,
  nop_rm32: nop,
  nop_rm64: nop,
  prefetchnta_m8: nop,
  prefetcht0_m8: nop,
  prefetcht1_m8: nop,
  prefetcht2_m8: nop,
  prefetchw_m8: nop,
  endbr64: nop,
  endbr32: nop,
  hlt,
  cpuid,
  rdtsc,
  int3: (cpu, i) => interrupt(cpu, 3, i, SoftInt.Int3OrInto),
  int_imm8: (cpu, i) => interrupt(cpu, i.immLo & 0xff, i, SoftInt.IntN),
  into: (cpu, i) => { if (of(cpu)) interrupt(cpu, 4, i, SoftInt.Int3OrInto); },
  int1,
  ud2: ud,
  ud0_r32_rm32: ud,
  ud1_r32_rm32: ud,
  bound_r16_m16_16: bound(16),
  bound_r32_m32_32: bound(32),
  wait,
  cli,
  sti,
};
