// exec/system.ts: handlers of the system instructions in forms/control.ts — control and debug registers,
// descriptor-table registers, LDTR/TR, descriptor probes, MSRs, SWAPGS, RDTSCP/RDPID, TLB and cache control.
// Each checks every fault the SDM lists for it before changing anything.
import { Access, linear, effectiveAddress, readLinear, readRm, setReg16, setReg32, setRegSized, writeRm } from '../access';
import { setArith } from '../flags';
import { Vector, raise } from '../fault';
import type { Handler, Insn } from '../insn';
import { CR0_PE, EFER_LMA, EFLAGS_VM } from '../modes';
import { ATTN_MODE, ATTN_TRACE, Cpu, Reg, Seg } from '../state';
import { CR0_TS, CR4_DE, CR4_FSGSBASE, CR4_PCIDE, CR4_PKE, CR4_TSD, CR4_UMIP, writeCr0, writeCr2, writeCr3, writeCr4, writeCr8 } from '../controlRegs';
import { baseCanonical, readMsr, readTsc, writeMsr } from '../msr';
import { emitCrWrite } from '../events';
import { FLAG_ZF } from '../../isa/form';

/** #GP(0) unless CPL = 0 (real mode counts as CPL 0; virtual-8086 mode as 3). */
function requireCpl0(cpu: Cpu, what: string): void {
  if (cpu.cpl !== 0) raise(Vector.GP, 0, what);
}

/** LLDT, SLDT, LTR, STR, LAR, LSL, VERR, VERW, ARPL are not recognised in real-address or virtual-8086 mode: #UD. */
function requireProtected(cpu: Cpu): void {
  if ((cpu.cr0 & CR0_PE) === 0 || (cpu.flags & EFLAGS_VM) !== 0) raise(Vector.UD, 0, 'instruction not recognised in real-address or virtual-8086 mode');
}

/** SGDT, SIDT, SLDT, STR, SMSW at CPL > 0 with CR4.UMIP: #GP(0) (SDM Vol.3A §2.5, CR4.UMIP). */
function umip(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_UMIP) !== 0 && cpu.cpl > 0) raise(Vector.GP, 0, 'user-mode instruction prevention (CR4.UMIP)');
}

/** lo/hi + k (k small): returns lo, leaves hi in carryHi. Descriptor-table reads wrap at 4 GiB outside IA-32e mode. */
let carryHi = 0;
function addr(lo: number, hi: number, k: number, wide: boolean): number {
  const s = (lo >>> 0) + k;
  carryHi = wide ? (hi + (s > 0xffffffff ? 1 : 0)) | 0 : 0;
  return s | 0;
}

// ---- MOV CR, MOV DR ----------------------------------------------------------------------------------

/** CR numbers that exist: 0, 2, 3, 4, 8. The others are #UD (SDM Vol.2B MOV CR). */
function checkCr(n: number): void {
  if (n !== 0 && n !== 2 && n !== 3 && n !== 4 && n !== 8) raise(Vector.UD, 0, `CR${n} does not exist`);
}

function movFromCr(cpu: Cpu, i: Insn): void {
  const n = i.reg;
  checkCr(n);
  requireCpl0(cpu, 'mov from CR at CPL > 0');
  let lo: number, hi = 0;
  switch (n) {
    case 0: lo = cpu.cr0; break;
    case 2: lo = cpu.cr2Lo; hi = cpu.cr2Hi; break;
    case 3: lo = cpu.cr3Lo; hi = cpu.cr3Hi; break;
    case 4: lo = cpu.cr4; break;
    default: lo = cpu.cr8; break;
  }
  if (i.opSize === 64) setRegSized(cpu, i.rm, 64, lo, hi);
  else setReg32(cpu, i.rm, lo);
}

function movToCr(cpu: Cpu, i: Insn): void {
  const n = i.reg;
  checkCr(n);
  requireCpl0(cpu, 'mov to CR at CPL > 0');
  const lo = cpu.lo[i.rm];
  // Outside 64-bit mode the source is 32 bits and bits 63:32 of the CR become 0 (SDM Vol.2B MOV CR).
  const hi = i.opSize === 64 ? cpu.hi[i.rm] : 0;
  switch (n) {
    case 0: writeCr0(cpu, lo, hi, i); break;
    case 2: writeCr2(cpu, lo, hi, i); break;
    case 3: writeCr3(cpu, lo, hi, i); break;
    case 4: writeCr4(cpu, lo, hi, i); break;
    default: writeCr8(cpu, lo, hi, i); break;
  }
}

const DR6_BD = 1 << 13;
const DR7_GD = 1 << 13;

/**
 * The debug register MOV DR addresses, after its checks in SDM order (Vol.2B MOV DR, Operation and
 * Exceptions): DR8–DR15 (REX.R) #UD; DR4/DR5 #UD with CR4.DE, else aliases of DR6/DR7; CPL > 0 #GP(0);
 * DR7.GD set: #DB with DR6.BD (SDM Vol.3B §18.2.4: the processor clears GD when it enters the handler).
 */
function drIndex(cpu: Cpu, i: Insn): number {
  let n = i.reg;
  if (n >= 8) raise(Vector.UD, 0, `DR${n} does not exist`);
  if (n === 4 || n === 5) {
    if ((cpu.cr4 & CR4_DE) !== 0) raise(Vector.UD, 0, `DR${n} is reserved with CR4.DE=1`);
    n += 2;
  }
  requireCpl0(cpu, 'mov DR at CPL > 0');
  if ((cpu.drLo[7] & DR7_GD) !== 0) {
    cpu.drLo[6] |= DR6_BD;
    cpu.drLo[7] &= ~DR7_GD;
    raise(Vector.DB, 0, 'debug-register access with DR7.GD set');
  }
  return n;
}

function movFromDr(cpu: Cpu, i: Insn): void {
  const n = drIndex(cpu, i);
  if (i.opSize === 64) setRegSized(cpu, i.rm, 64, cpu.drLo[n], cpu.drHi[n]);
  else setReg32(cpu, i.rm, cpu.drLo[n]);
}

function movToDr(cpu: Cpu, i: Insn): void {
  const n = drIndex(cpu, i);
  const lo = cpu.lo[i.rm];
  const hi = i.opSize === 64 ? cpu.hi[i.rm] : 0;
  if (n >= 6) {
    // Bits 63:32 of DR6 and DR7 are reserved: #GP(0) (SDM Vol.3B §18.2.6).
    if (hi !== 0) raise(Vector.GP, 0, `mov to DR${n}: reserved bits 63:32 set`);
    // Fixed bits (SDM Vol.3B §18.2.3, §18.2.4): DR6 bits 31:16 and 11:4 read 1, bit 12 reads 0;
    // DR7 bit 10 reads 1, bits 15:14 and 12:11 read 0 (no RTM).
    cpu.drLo[n] = n === 6 ? (lo & 0xe00f) | (0xffff0ff0 | 0) : (lo & (0xffff23ff | 0)) | 0x400;
    cpu.drHi[n] = 0;
  } else {
    cpu.drLo[n] = lo;
    cpu.drHi[n] = hi;
  }
  cpu.attention |= ATTN_TRACE; // the run loop re-reads the instruction breakpoints (step.ts)
}

// ---- LMSW, SMSW, CLTS ---------------------------------------------------------------------------------

/** LMSW (SDM Vol.2A LMSW): loads CR0 bits 3:0 (PE, MP, EM, TS); it can set PE but never clears it. */
function lmsw(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'LMSW at CPL > 0');
  const src = readRm(cpu, i, 16);
  writeCr0(cpu, (cpu.cr0 & ~0xf) | (src & 0xf) | (cpu.cr0 & CR0_PE), 0, i);
}

/**
 * SMSW (SDM Vol.2B SMSW): a register destination gets CR0 (all of it for r32/r64: the SDM calls the
 * high bits undefined for r32, and processors store CR0[31:16]); memory gets bits 15:0.
 */
function smsw(cpu: Cpu, i: Insn): void {
  umip(cpu);
  if (i.mod === 3) {
    if (i.opSize === 16) setReg16(cpu, i.rm, cpu.cr0);
    else setRegSized(cpu, i.rm, i.opSize, cpu.cr0, 0);
  } else {
    writeRm(cpu, i, 16, cpu.cr0 & 0xffff, 0);
  }
}

/** CLTS (SDM Vol.2A CLTS): clears CR0.TS. */
function clts(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'CLTS at CPL > 0');
  const old = cpu.cr0;
  cpu.cr0 &= ~CR0_TS;
  if (cpu.events !== null) emitCrWrite(cpu, 'cr0', old, 0, cpu.cr0, 0, i);
}

// ---- LGDT, LIDT, SGDT, SIDT ---------------------------------------------------------------------------

/**
 * LGDT/LIDT (SDM Vol.2A LGDT/LIDT): limit (16 bits) then base — 24 bits with a 16-bit operand size,
 * 32 with 32, 64 in 64-bit mode, where a non-canonical base is #GP(0).
 */
function loadTable(idt: boolean): Handler {
  return (cpu, i) => {
    requireCpl0(cpu, idt ? 'LIDT at CPL > 0' : 'LGDT at CPL > 0');
    const wide = cpu.long64;
    const a = linear(cpu, i, wide ? 10 : 6, Access.Read);
    const aHi = cpu.linHi;
    const limit = cpu.mem.read16(a, aHi);
    const b = addr(a, aHi, 2, wide);
    let baseLo = readLinear(cpu, b, carryHi, 32);
    let baseHi = 0;
    if (wide) {
      const c = addr(a, aHi, 6, wide);
      baseHi = readLinear(cpu, c, carryHi, 32);
      if (!baseCanonical(cpu, baseHi)) raise(Vector.GP, 0, idt ? 'LIDT: non-canonical base' : 'LGDT: non-canonical base');
    } else if (i.opSize === 16) {
      baseLo &= 0xffffff;
    }
    if (idt) { cpu.idtrLimit = limit; cpu.idtrBaseLo = baseLo; cpu.idtrBaseHi = baseHi; }
    else { cpu.gdtrLimit = limit; cpu.gdtrBaseLo = baseLo; cpu.gdtrBaseHi = baseHi; }
  };
}

/**
 * SGDT/SIDT (SDM Vol.2B SGDT, SIDT): limit then base — 32 bits of base in legacy and compatibility mode
 * whatever the operand size (processors since the Intel386 store all of them), 64 in 64-bit mode.
 */
function storeTable(idt: boolean): Handler {
  return (cpu, i) => {
    umip(cpu);
    const wide = cpu.long64;
    const size = wide ? 10 : 6;
    const a = linear(cpu, i, size, Access.Write);
    const aHi = cpu.linHi;
    cpu.mem.checkWritable(a, aHi, size);
    cpu.mem.write16(a, aHi, idt ? cpu.idtrLimit : cpu.gdtrLimit);
    const b = addr(a, aHi, 2, wide);
    cpu.mem.write32(b, carryHi, idt ? cpu.idtrBaseLo : cpu.gdtrBaseLo);
    if (wide) {
      const c = addr(a, aHi, 6, wide);
      cpu.mem.write32(c, carryHi, idt ? cpu.idtrBaseHi : cpu.gdtrBaseHi);
    }
  };
}

// ---- LLDT, LTR, SLDT, STR -----------------------------------------------------------------------------

/** The system descriptor read by readSystemDescriptor: two (or, in IA-32e mode, four) dwords. */
const sd = { lo: 0, hi: 0, hi2: 0, hi3: 0, attr: 0, baseLo: 0, baseHi: 0, limit: 0, addrLo: 0, addrHi: 0 };

/** Limit in bytes from descriptor dwords (G scales by 4 KiB: SDM Vol.3A §3.4.5). */
function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0x000f0000);
  return (hi & (1 << 23)) !== 0 ? (raw << 12) | 0xfff : raw;
}

/**
 * Reads the GDT descriptor of a system-segment selector for LLDT/LTR: TI=1 or an index beyond the GDT
 * limit is #GP(selector). In IA-32e mode system descriptors are 16 bytes (SDM Vol.3A §8.2.3, §3.5.2).
 */
function readSystemDescriptor(cpu: Cpu, sel: number): void {
  const lma = (cpu.efer & EFER_LMA) !== 0;
  const index = sel & ~7;
  if ((sel & 4) !== 0) raise(Vector.GP, sel & ~3, 'system-segment selector refers to the LDT');
  if (index + (lma ? 15 : 7) > cpu.gdtrLimit) raise(Vector.GP, sel & ~3, 'selector beyond the GDT limit');
  const a = addr(cpu.gdtrBaseLo, cpu.gdtrBaseHi, index, lma);
  const aHi = carryHi;
  sd.addrLo = a;
  sd.addrHi = aHi;
  // System-descriptor reads are implicit supervisor-mode accesses (SDM Vol.3A §4.6.1).
  sd.lo = cpu.mem.readSystem(a, aHi, 4);
  sd.hi = cpu.mem.readSystem(addr(a, aHi, 4, lma), carryHi, 4);
  sd.hi2 = sd.hi3 = 0;
  if (lma) {
    sd.hi2 = cpu.mem.readSystem(addr(a, aHi, 8, lma), carryHi, 4);
    sd.hi3 = cpu.mem.readSystem(addr(a, aHi, 12, lma), carryHi, 4);
  }
  sd.attr = (sd.hi >>> 8) & 0xffff;
  sd.baseLo = ((sd.lo >>> 16) | ((sd.hi & 0xff) << 16) | (sd.hi & 0xff000000)) | 0;
  sd.baseHi = sd.hi2;
  sd.limit = descLimit(sd.lo, sd.hi);
}

/** The checks common to LDT and TSS descriptors in IA-32e mode: upper type zero, canonical base. */
function checkUpperHalf(cpu: Cpu, sel: number, what: string): void {
  if ((cpu.efer & EFER_LMA) === 0) return;
  // SDM Vol.2A LLDT / Vol.2B LTR, IA-32e mode: the type field of the upper 8 bytes must be 0, and the
  // base must be canonical, else #GP(selector).
  if (((sd.hi3 >>> 8) & 0x1f) !== 0) raise(Vector.GP, sel & ~3, `${what}: upper half of the 16-byte descriptor has a nonzero type`);
  if (!baseCanonical(cpu, sd.baseHi)) raise(Vector.GP, sel & ~3, `${what}: non-canonical base`);
}

/** LLDT (SDM Vol.2A LLDT). A null selector leaves LDTR invalid; otherwise an LDT descriptor (type 2) in the GDT. */
function lldt(cpu: Cpu, i: Insn): void {
  requireProtected(cpu);
  requireCpl0(cpu, 'LLDT at CPL > 0');
  const sel = readRm(cpu, i, 16) & 0xffff;
  if ((sel & ~3) === 0) {
    cpu.segSel[Seg.LDTR] = sel;
    cpu.segBaseLo[Seg.LDTR] = cpu.segBaseHi[Seg.LDTR] = 0;
    cpu.segLimit[Seg.LDTR] = 0;
    cpu.segAttr[Seg.LDTR] = 0; // invalid: references through it fault (readDescriptor checks the selector)
    return;
  }
  readSystemDescriptor(cpu, sel);
  if ((sd.attr & 0x1f) !== 0x02) raise(Vector.GP, sel & ~3, 'LLDT: not an LDT descriptor');
  if ((sd.attr & 0x80) === 0) raise(Vector.NP, sel & ~3, 'LLDT: LDT not present');
  checkUpperHalf(cpu, sel, 'LLDT');
  cpu.segSel[Seg.LDTR] = sel;
  cpu.segBaseLo[Seg.LDTR] = sd.baseLo;
  cpu.segBaseHi[Seg.LDTR] = sd.baseHi;
  cpu.segLimit[Seg.LDTR] = sd.limit;
  cpu.segAttr[Seg.LDTR] = sd.attr;
}

/**
 * LTR (SDM Vol.2B LTR): an available TSS descriptor in the GDT — type 9, or type 1 (16-bit) outside IA-32e
 * mode; null is #GP(0). The descriptor is marked busy in memory (type 9 → B, 1 → 3) before TR loads.
 */
function ltr(cpu: Cpu, i: Insn): void {
  requireProtected(cpu);
  requireCpl0(cpu, 'LTR at CPL > 0');
  const sel = readRm(cpu, i, 16) & 0xffff;
  if ((sel & ~3) === 0) raise(Vector.GP, 0, 'LTR: null selector');
  readSystemDescriptor(cpu, sel);
  const type = sd.attr & 0x1f;
  const lma = (cpu.efer & EFER_LMA) !== 0;
  if (type !== 0x09 && (lma || type !== 0x01)) raise(Vector.GP, sel & ~3, 'LTR: not an available TSS descriptor');
  if ((sd.attr & 0x80) === 0) raise(Vector.NP, sel & ~3, 'LTR: TSS not present');
  checkUpperHalf(cpu, sel, 'LTR');
  // Busy flag: bit 41 of the descriptor, byte 5 bit 1 (SDM Vol.3A §8.2.2). A locked write; it may fault.
  cpu.mem.writeSystem(addr(sd.addrLo, sd.addrHi, 5, lma), carryHi, 1, (sd.attr | 2) & 0xff);
  cpu.segSel[Seg.TR] = sel;
  cpu.segBaseLo[Seg.TR] = sd.baseLo;
  cpu.segBaseHi[Seg.TR] = sd.baseHi;
  cpu.segLimit[Seg.TR] = sd.limit;
  cpu.segAttr[Seg.TR] = sd.attr | 2;
}

/**
 * SLDT/STR (SDM Vol.2B SLDT, STR): the selector to a register (16-bit operand: bits 15:0 only; 32/64:
 * zero-extended) or to a 16-bit memory operand.
 */
function storeSelector(seg: number): Handler {
  return (cpu, i) => {
    requireProtected(cpu);
    umip(cpu);
    const sel = cpu.segSel[seg];
    if (i.mod === 3) {
      if (i.opSize === 16) setReg16(cpu, i.rm, sel);
      else setRegSized(cpu, i.rm, i.opSize, sel, 0);
    } else {
      writeRm(cpu, i, 16, sel, 0);
    }
  };
}

// ---- LAR, LSL, VERR, VERW, ARPL -----------------------------------------------------------------------

/** The descriptor probed by LAR/LSL/VERR/VERW: its two dwords. */
const pd = { lo: 0, hi: 0 };

/**
 * Reads the descriptor for `sel` without faulting on the selector: false for a null selector, an
 * index beyond the GDT/LDT limit, or the LDT when LDTR is null (SDM Vol.2A LAR, Operation: ZF ← 0).
 * Memory faults reading the table still fault.
 */
function probe(cpu: Cpu, sel: number): boolean {
  if ((sel & ~3) === 0) return false;
  const ldt = (sel & 4) !== 0;
  if (ldt && (cpu.segSel[Seg.LDTR] & ~3) === 0) return false;
  const limit = ldt ? cpu.segLimit[Seg.LDTR] : cpu.gdtrLimit;
  const index = sel & ~7;
  if (index + 7 > limit >>> 0) return false;
  const lma = (cpu.efer & EFER_LMA) !== 0;
  const a = addr(ldt ? cpu.segBaseLo[Seg.LDTR] : cpu.gdtrBaseLo, ldt ? cpu.segBaseHi[Seg.LDTR] : cpu.gdtrBaseHi, index, lma);
  const aHi = carryHi;
  // LAR/LSL/VERR/VERW read the descriptor with supervisor rights at any CPL (SDM Vol.3A §4.6.1).
  pd.lo = cpu.mem.readSystem(a, aHi, 4);
  pd.hi = cpu.mem.readSystem(addr(a, aHi, 4, lma), carryHi, 4);
  return true;
}

/** Privilege check of LAR/LSL/VERR/VERW: conforming code passes; others need DPL ≥ CPL and DPL ≥ RPL. */
function visible(cpu: Cpu, sel: number, attr: number): boolean {
  const conforming = (attr & 0x1c) === 0x1c; // S=1, code, conforming
  const dpl = (attr >> 5) & 3;
  return conforming || (dpl >= cpu.cpl && dpl >= (sel & 3));
}

// System-descriptor types LAR accepts (SDM Vol.2A LAR, Table 3-52): legacy 1, 2, 3, 4, 5, 9, B, C;
// IA-32e mode 2, 9, B, C. LSL (Table 3-63): legacy 1, 2, 3, 9, B; IA-32e 2, 9, B.
const LAR_LEGACY = 0x1e3e, LAR_IA32E = 0x1a04, LSL_LEGACY = 0x0a0e, LSL_IA32E = 0x0a04;

function probeValid(cpu: Cpu, sel: number, lsl: boolean): boolean {
  if (!probe(cpu, sel)) return false;
  const attr = (pd.hi >>> 8) & 0xff;
  if ((attr & 0x10) === 0) {
    const lma = (cpu.efer & EFER_LMA) !== 0;
    const ok = lsl ? (lma ? LSL_IA32E : LSL_LEGACY) : (lma ? LAR_IA32E : LAR_LEGACY);
    if (((ok >>> (attr & 0xf)) & 1) === 0) return false;
  }
  return visible(cpu, sel, attr);
}

/** LAR (SDM Vol.2A LAR): access rights, bits 23:8 of the descriptor's second dword (15:8 for 16-bit operands). */
function lar(cpu: Cpu, i: Insn): void {
  requireProtected(cpu);
  const sel = readRm(cpu, i, 16) & 0xffff;
  if (!probeValid(cpu, sel, false)) { setArith(cpu, FLAG_ZF, 0); return; }
  if (i.opSize === 16) setReg16(cpu, i.reg, pd.hi & 0xff00);
  else setRegSized(cpu, i.reg, i.opSize, pd.hi & 0x00ffff00, 0);
  setArith(cpu, FLAG_ZF, FLAG_ZF);
}

/** LSL (SDM Vol.2A LSL): the byte-granular segment limit. */
function lsl(cpu: Cpu, i: Insn): void {
  requireProtected(cpu);
  const sel = readRm(cpu, i, 16) & 0xffff;
  if (!probeValid(cpu, sel, true)) { setArith(cpu, FLAG_ZF, 0); return; }
  const limit = descLimit(pd.lo, pd.hi);
  if (i.opSize === 16) setReg16(cpu, i.reg, limit);
  else setRegSized(cpu, i.reg, i.opSize, limit, 0);
  setArith(cpu, FLAG_ZF, FLAG_ZF);
}

/** VERR/VERW (SDM Vol.2B VERR/VERW): readable (data, or readable code) / writable data, visible at CPL and RPL. */
function verify(write: boolean): Handler {
  return (cpu, i) => {
    requireProtected(cpu);
    const sel = readRm(cpu, i, 16) & 0xffff;
    let ok = probe(cpu, sel);
    if (ok) {
      const attr = (pd.hi >>> 8) & 0xff;
      const code = (attr & 0x08) !== 0;
      if ((attr & 0x10) === 0) ok = false; // system segment
      else if (write) ok = !code && (attr & 0x02) !== 0 && visible(cpu, sel, attr);
      else ok = (!code || (attr & 0x02) !== 0) && visible(cpu, sel, attr);
    }
    setArith(cpu, FLAG_ZF, ok ? FLAG_ZF : 0);
  };
}

/** ARPL (SDM Vol.2A ARPL): raises the destination selector's RPL to the source's; ZF says whether it did. */
function arpl(cpu: Cpu, i: Insn): void {
  requireProtected(cpu);
  let a = 0, aHi = 0;
  let dest: number;
  if (i.mod === 3) dest = cpu.lo[i.rm] & 0xffff;
  else {
    a = linear(cpu, i, 2, Access.Write);
    aHi = cpu.linHi;
    dest = cpu.mem.read16(a, aHi);
  }
  const src = cpu.lo[i.reg] & 3;
  if ((dest & 3) < src) {
    const v = (dest & ~3) | src;
    if (i.mod === 3) setReg16(cpu, i.rm, v);
    else cpu.mem.write16(a, aHi, v);
    setArith(cpu, FLAG_ZF, FLAG_ZF);
  } else {
    setArith(cpu, FLAG_ZF, 0);
  }
}

// ---- RDMSR, WRMSR, SWAPGS, RDTSCP, RDPID --------------------------------------------------------------

/** RDMSR (SDM Vol.2B RDMSR): EDX:EAX ← MSR[ECX]; #GP(0) at CPL > 0 or for an unknown MSR. */
function rdmsr(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'RDMSR at CPL > 0');
  const lo = readMsr(cpu, cpu.lo[Reg.RCX], i.pos);
  setReg32(cpu, Reg.RAX, lo);
  setReg32(cpu, Reg.RDX, cpu.tmpHi);
}

/** WRMSR (SDM Vol.2B WRMSR): MSR[ECX] ← EDX:EAX. */
function wrmsr(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'WRMSR at CPL > 0');
  writeMsr(cpu, cpu.lo[Reg.RCX], cpu.lo[Reg.RAX], cpu.lo[Reg.RDX], i);
}

/** SWAPGS (SDM Vol.2B SWAPGS): exchanges GS.base with IA32_KERNEL_GS_BASE; 64-bit mode only (decoder: #UD elsewhere). */
function swapgs(cpu: Cpu): void {
  requireCpl0(cpu, 'SWAPGS at CPL > 0');
  const lo = cpu.segBaseLo[Seg.GS], hi = cpu.segBaseHi[Seg.GS];
  cpu.segBaseLo[Seg.GS] = cpu.kernelGsBaseLo;
  cpu.segBaseHi[Seg.GS] = cpu.kernelGsBaseHi;
  cpu.kernelGsBaseLo = lo;
  cpu.kernelGsBaseHi = hi;
}

/** RDTSCP (SDM Vol.2B RDTSCP): EDX:EAX ← TSC, ECX ← IA32_TSC_AUX[31:0]; #GP(0) with CR4.TSD at CPL > 0. */
function rdtscp(cpu: Cpu, i: Insn): void {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl > 0) raise(Vector.GP, 0, 'RDTSCP at CPL > 0 with CR4.TSD');
  const lo = readTsc(cpu, i.pos);
  setReg32(cpu, Reg.RAX, lo);
  setReg32(cpu, Reg.RDX, cpu.tmpHi);
  setReg32(cpu, Reg.RCX, cpu.tscAux);
}

/** RDPKRU (SDM Vol.2B RDPKRU): EAX ← PKRU, EDX ← 0; #UD without CR4.PKE, #GP(0) unless ECX = 0. */
function rdpkru(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_PKE) === 0) raise(Vector.UD, 0, 'RDPKRU with CR4.PKE = 0');
  if (cpu.lo[Reg.RCX] !== 0) raise(Vector.GP, 0, 'RDPKRU with ECX != 0');
  setReg32(cpu, Reg.RAX, cpu.pkru);
  setReg32(cpu, Reg.RDX, 0);
}

/**
 * WRPKRU (SDM Vol.2B WRPKRU): PKRU ← EAX; #UD without CR4.PKE, #GP(0) unless ECX = EDX = 0. The TLB here
 * caches permissions with the keys applied, so the new rights take effect through a reconfigured walker
 * and a flush (on hardware PKRU is checked at each access, §4.6.2).
 */
function wrpkru(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_PKE) === 0) raise(Vector.UD, 0, 'WRPKRU with CR4.PKE = 0');
  if (cpu.lo[Reg.RCX] !== 0 || cpu.lo[Reg.RDX] !== 0) raise(Vector.GP, 0, 'WRPKRU with ECX or EDX != 0');
  cpu.pkru = cpu.lo[Reg.RAX];
  cpu.mem.flush();
  cpu.mem.setPagingState(cpu, true);
}

/** RDPID (SDM Vol.2B RDPID): the register ← IA32_TSC_AUX (zero-extended in 64-bit mode). */
function rdpid(cpu: Cpu, i: Insn): void {
  if (i.opSize === 64) setRegSized(cpu, i.rm, 64, cpu.tscAux, 0);
  else setReg32(cpu, i.rm, cpu.tscAux);
}

/**
 * RDFSBASE/RDGSBASE, WRFSBASE/WRGSBASE (SDM Vol.2B): read or write the FS/GS base at any CPL; #UD unless
 * CR4.FSGSBASE = 1 (64-bit mode and CPUID are checked by decoding). The 32-bit forms read bits 31:0 and
 * write a zero-extended base; the 64-bit write is #GP(0) if the value is not canonical.
 */
function fsgsbaseEnabled(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_FSGSBASE) === 0) raise(Vector.UD, 0, 'RD/WR FS/GS base with CR4.FSGSBASE = 0');
}

function rdSegBase(seg: number): Handler {
  return (cpu, i) => {
    fsgsbaseEnabled(cpu);
    if (i.opSize === 64) setRegSized(cpu, i.rm, 64, cpu.segBaseLo[seg], cpu.segBaseHi[seg]);
    else setReg32(cpu, i.rm, cpu.segBaseLo[seg]);
  };
}

function wrSegBase(seg: number): Handler {
  return (cpu, i) => {
    fsgsbaseEnabled(cpu);
    const lo = cpu.lo[i.rm];
    const hi = i.opSize === 64 ? cpu.hi[i.rm] : 0;
    if (!baseCanonical(cpu, hi)) raise(Vector.GP, 0, 'WRFSBASE/WRGSBASE: non-canonical base');
    cpu.segBaseLo[seg] = lo;
    cpu.segBaseHi[seg] = hi;
  };
}

// ---- INVLPG, INVPCID, INVD, WBINVD, CLFLUSH -----------------------------------------------------------

/**
 * INVLPG (SDM Vol.2A INVLPG): drops the translation of the page holding the operand's linear address.
 * No limit check; in 64-bit mode a non-canonical address makes it a no-op.
 */
function invlpg(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'INVLPG at CPL > 0');
  let lo = effectiveAddress(cpu, i);
  let hi = cpu.linHi;
  if (cpu.long64) {
    if (i.seg >= Seg.FS) {
      const s = (lo >>> 0) + (cpu.segBaseLo[i.seg] >>> 0);
      hi = (hi + cpu.segBaseHi[i.seg] + (s > 0xffffffff ? 1 : 0)) | 0;
      lo = s | 0;
    }
    const shift = 64 - cpu.linearBits;
    if (((hi << shift) >> shift) !== hi) return;
  } else {
    lo = (lo + cpu.segBaseLo[i.seg]) | 0;
    hi = 0;
  }
  cpu.mem.flushPage(lo, hi);
  cpu.attention |= ATTN_MODE; // decoded blocks reached through the old translation must be looked up again
}

/**
 * INVPCID (SDM Vol.2A INVPCID): type in the register (0 address, 1 single context, 2 all incl. global,
 * 3 all but global), descriptor in memory (PCID in bits 11:0, bits 63:12 reserved, address in 127:64).
 */
function invpcid(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'INVPCID at CPL > 0');
  const typeHi = i.opSize === 64 ? cpu.hi[i.reg] : 0;
  const type = cpu.lo[i.reg];
  const a = linear(cpu, i, 16, Access.Read);
  const aHi = cpu.linHi;
  const wide = cpu.long64;
  const d0 = readLinear(cpu, a, aHi, 32);
  const d1 = readLinear(cpu, addr(a, aHi, 4, wide), carryHi, 32);
  const adLo = readLinear(cpu, addr(a, aHi, 8, wide), carryHi, 32);
  const adHi = readLinear(cpu, addr(a, aHi, 12, wide), carryHi, 32);
  if (typeHi !== 0 || type >>> 0 > 3) raise(Vector.GP, 0, 'INVPCID: invalid type');
  if ((d0 & ~0xfff) !== 0 || d1 !== 0) raise(Vector.GP, 0, 'INVPCID: reserved descriptor bits set');
  const pcid = d0 & 0xfff;
  if (type <= 1 && pcid !== 0 && (cpu.cr4 & CR4_PCIDE) === 0) raise(Vector.GP, 0, 'INVPCID: nonzero PCID with CR4.PCIDE=0');
  if (type === 0) {
    const shift = cpu.features.has('la57') ? 7 : 16;
    if (((adHi << shift) >> shift) !== adHi) raise(Vector.GP, 0, 'INVPCID: non-canonical address');
    cpu.mem.flushPage(adLo, adHi);
  } else {
    cpu.mem.setPagingState(cpu, true);
  }
  cpu.attention |= ATTN_MODE;
}

/** INVD, WBINVD (SDM Vol.2A): privileged; there are no caches to write back or drop. */
function cacheControl(cpu: Cpu): void {
  requireCpl0(cpu, 'INVD/WBINVD at CPL > 0');
}

/** CLFLUSH (SDM Vol.2A CLFLUSH): no caches, but the operand is checked like a byte read (segment, #PF). */
function clflush(cpu: Cpu, i: Insn): void {
  const a = linear(cpu, i, 1, Access.Read);
  cpu.mem.read8(a, cpu.linHi);
}

/**
 * LFENCE, MFENCE, SFENCE (SDM Vol.2A LFENCE, MFENCE; Vol.2B SFENCE): order loads and stores. This processor
 * executes one instruction at a time with no store buffer or speculation, so every access is already
 * complete and globally visible when the next instruction starts: nothing to wait for.
 */
function fence(): void {
  // Nothing is outstanding.
}

const FLAG_AC = 1 << 18;

/**
 * CLAC, STAC (SDM Vol.2A CLAC, Vol.2B STAC): clear or set EFLAGS.AC, which lets supervisor accesses reach
 * user pages under CR4.SMAP (Vol.3A §4.6.1; the page walk reads AC at each access). #UD — not #GP — at
 * CPL > 0, which includes virtual-8086 mode; allowed in real mode.
 */
function clac(cpu: Cpu): void {
  if (cpu.cpl > 0 || (cpu.flags & EFLAGS_VM) !== 0) raise(Vector.UD, 0, 'CLAC at CPL > 0');
  cpu.flags &= ~FLAG_AC;
}

function stac(cpu: Cpu): void {
  if (cpu.cpl > 0 || (cpu.flags & EFLAGS_VM) !== 0) raise(Vector.UD, 0, 'STAC at CPL > 0');
  cpu.flags |= FLAG_AC;
}

export const handlers: Record<string, Handler> = {
  clac,
  stac,
  rdfsbase_r32: rdSegBase(Seg.FS),
  rdfsbase_r64: rdSegBase(Seg.FS),
  rdgsbase_r32: rdSegBase(Seg.GS),
  rdgsbase_r64: rdSegBase(Seg.GS),
  wrfsbase_r32: wrSegBase(Seg.FS),
  wrfsbase_r64: wrSegBase(Seg.FS),
  wrgsbase_r32: wrSegBase(Seg.GS),
  wrgsbase_r64: wrSegBase(Seg.GS),
  lfence: fence,
  mfence: fence,
  sfence: fence,
  movcr_r32_cr: movFromCr,
  movcr_r64_cr: movFromCr,
  movcr_cr_r32: movToCr,
  movcr_cr_r64: movToCr,
  movdr_r32_dr: movFromDr,
  movdr_r64_dr: movFromDr,
  movdr_dr_r32: movToDr,
  movdr_dr_r64: movToDr,
  lmsw_rm16: lmsw,
  smsw_m16: smsw,
  smsw_r16: smsw,
  smsw_r32: smsw,
  smsw_r64: smsw,
  clts,
  lgdt_m16_32: loadTable(false),
  lgdt_m16_64: loadTable(false),
  lidt_m16_32: loadTable(true),
  lidt_m16_64: loadTable(true),
  sgdt_m: storeTable(false),
  sgdt_m_64: storeTable(false),
  sidt_m: storeTable(true),
  sidt_m_64: storeTable(true),
  lldt_rm16: lldt,
  sldt_m16: storeSelector(Seg.LDTR),
  sldt_r16: storeSelector(Seg.LDTR),
  sldt_r32: storeSelector(Seg.LDTR),
  sldt_r64: storeSelector(Seg.LDTR),
  ltr_rm16: ltr,
  str_m16: storeSelector(Seg.TR),
  str_r16: storeSelector(Seg.TR),
  str_r32: storeSelector(Seg.TR),
  str_r64: storeSelector(Seg.TR),
  lar_r16_rm16: lar,
  lar_r32_r32m16: lar,
  lar_r64_r64m16: lar,
  lsl_r16_rm16: lsl,
  lsl_r32_r32m16: lsl,
  lsl_r64_r64m16: lsl,
  verr_rm16: verify(false),
  verw_rm16: verify(true),
  arpl_rm16_r16: arpl,
  rdmsr,
  wrmsr,
  swapgs,
  rdtscp,
  rdpkru,
  wrpkru,
  rdpid_r32: rdpid,
  rdpid_r64: rdpid,
  invlpg_m: invlpg,
  invpcid_r32_m128: invpcid,
  invpcid_r64_m128: invpcid,
  invd: cacheControl,
  wbinvd: cacheControl,
  clflush_m8: clflush,
};
