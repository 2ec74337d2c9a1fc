// controlRegs.ts: writes to CR0, CR2, CR3, CR4, CR8 and IA32_EFER with every consistency check the SDM
// makes (Vol.2B MOV—Move to/from Control Registers, Vol.3A §2.5, §2.2.1, §10.8.5, Vol.4 IA32_EFER),
// and the IA-32e activation/deactivation that CR0.PG performs with EFER.LME. Every accepted change
// tells the MMU (setPagingState) and the run loop (ATTN_MODE). Nothing is modified before all checks pass.
import { Vector, raise } from './fault';
import type { Insn } from './insn';
import { emitCrWrite } from './events';
import { MAXPHYADDR } from './features';
import { ATTR_L, CR0_PE, CR0_PG, CR4_LA57, CR4_PAE, EFER_LMA, EFER_LME } from './modes';
import { ATTN_IRQ, ATTN_MODE, Cpu, Seg } from './state';
import { paePdpteReserved } from '../mmu/pageWalk';

// CR0 bits (SDM Vol.3A §2.5, Figure 2-7).
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
/** The CR0 bits that exist; writes of 1 to the others in bits 31:0 are ignored (SDM Vol.3A §2.5). */
const CR0_DEFINED = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;

// CR4 bits (SDM Vol.3A §2.5, Figure 2-7).
export const CR4_VME = 1 << 0;
export const CR4_PVI = 1 << 1;
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
export const CR4_PSE = 1 << 4;
export const CR4_MCE = 1 << 6;
export const CR4_PGE = 1 << 7;
export const CR4_PCE = 1 << 8;
export const CR4_OSFXSR = 1 << 9;
export const CR4_OSXMMEXCPT = 1 << 10;
export const CR4_UMIP = 1 << 11;
export const CR4_FSGSBASE = 1 << 16;
export const CR4_PCIDE = 1 << 17;
export const CR4_SMEP = 1 << 20;
export const CR4_SMAP = 1 << 21;
export const CR4_PKE = 1 << 22;
/** CR4 bits whose change invalidates cached translations (SDM Vol.3A §4.10.4.1). */
const CR4_PAGING = CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_PKE | CR4_LA57;

// IA32_EFER (SDM Vol.3A §2.2.1, Table 2-1).
export const EFER_SCE = 1 << 0;
export const EFER_NXE = 1 << 11;

/**
 * The CR4 bits this processor has: each needs its CPUID feature, and the rest are reserved — setting a
 * reserved bit is #GP(0) (SDM Vol.3A §2.5: "Attempting to set any reserved bits in CR4 results in #GP").
 */
export function cr4Supported(cpu: Cpu): number {
  const f = cpu.features;
  let m = CR4_PCE;
  if (f.has('vme')) m |= CR4_VME | CR4_PVI;
  if (f.has('tsc')) m |= CR4_TSD;
  if (f.has('de')) m |= CR4_DE;
  if (f.has('pse')) m |= CR4_PSE;
  if (f.has('pae')) m |= CR4_PAE;
  if (f.has('mce')) m |= CR4_MCE;
  if (f.has('pge')) m |= CR4_PGE;
  if (f.has('fxsr')) m |= CR4_OSFXSR;
  if (f.has('sse')) m |= CR4_OSXMMEXCPT;
  if (f.has('umip')) m |= CR4_UMIP;
  if (f.has('la57')) m |= CR4_LA57;
  if (f.has('fsgsbase')) m |= CR4_FSGSBASE;
  if (f.has('pcid')) m |= CR4_PCIDE;
  if (f.has('smep')) m |= CR4_SMEP;
  if (f.has('smap')) m |= CR4_SMAP;
  if (f.has('pku')) m |= CR4_PKE;
  return m;
}

/** The EFER bits this processor has (SDM Vol.4 Table 2-2, IA32_EFER; WRMSR #GPs on the others). */
export function eferSupported(cpu: Cpu): number {
  const f = cpu.features;
  let m = 0;
  if (f.has('syscall')) m |= EFER_SCE;
  if (f.has('lm')) m |= EFER_LME | EFER_LMA;
  if (f.has('nx')) m |= EFER_NXE;
  return m;
}

/**
 * PAE paging loads the four PDPTEs when CR3 is written, and when MOV to CR0/CR4 leaves PAE paging in
 * use while changing CR0.CD/NW/PG or CR4.PAE/PGE/PSE/SMEP. A present PDPTE with a reserved bit set makes
 * the MOV #GP(0), nothing loaded (SDM Vol.3A §4.4.1). `cr0`, `cr4`, `cr3Lo` are the values after the write.
 */
function checkPdptes(cpu: Cpu, cr0: number, cr4: number, cr3Lo: number, what: string): void {
  if ((cr0 & CR0_PG) === 0 || (cr4 & CR4_PAE) === 0 || (cpu.efer & EFER_LME) !== 0) return;
  const base = (cr3Lo & ~0x1f) >>> 0;
  const phys = cpu.mem.phys;
  for (let k = 0; k < 4; k++) {
    if (paePdpteReserved(phys.read32(base + 8 * k), phys.read32(base + 8 * k + 4))) {
      raise(Vector.GP, 0, `${what}: PDPTE ${k} has a reserved bit set`);
    }
  }
}

function changed(cpu: Cpu, flush: boolean): void {
  cpu.mem.setPagingState(cpu, flush);
  cpu.attention |= ATTN_MODE;
}

/**
 * MOV to CR0 (and LMSW, CLTS, which go through here). `hi` is bits 63:32 of the source (0 outside
 * 64-bit mode, where MOV to CR zeroes them: SDM Vol.2B MOV CR).
 */
export function writeCr0(cpu: Cpu, lo: number, hi: number, i: Insn | null): void {
  // Bits 63:32 are reserved: #GP(0) (SDM Vol.3A §2.5: "Attempting to set any reserved bits in CR0[63:32]").
  if (hi !== 0) raise(Vector.GP, 0, 'mov to CR0: reserved bits 63:32 set');
  // Reserved bits 31:0 are ignored and ET is fixed at 1 on P6 and later (SDM Vol.2B MOV CR, Description).
  const v = (lo & CR0_DEFINED) | CR0_ET;
  const old = cpu.cr0;
  // SDM Vol.2B MOV CR, Protected Mode Exceptions: invalid combinations PG=1/PE=0 and NW=1/CD=0.
  if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) raise(Vector.GP, 0, 'mov to CR0: PG=1 with PE=0');
  if ((v & CR0_NW) !== 0 && (v & CR0_CD) === 0) raise(Vector.GP, 0, 'mov to CR0: NW=1 with CD=0');
  const enabling = (v & CR0_PG) !== 0 && (old & CR0_PG) === 0;
  const disabling = (v & CR0_PG) === 0 && (old & CR0_PG) !== 0;
  if (enabling && (cpu.efer & EFER_LME) !== 0) {
    // Activating IA-32e mode (SDM Vol.3A §10.8.5): it requires PAE ("#GP if PAE is not enabled"),
    // and the processor must be in protected mode with a code segment that is not 64-bit (CS.L=0).
    if ((cpu.cr4 & CR4_PAE) === 0) raise(Vector.GP, 0, 'mov to CR0: enabling paging with EFER.LME=1 needs CR4.PAE=1');
    if ((cpu.segAttr[Seg.CS] & ATTR_L) !== 0) raise(Vector.GP, 0, 'mov to CR0: activating IA-32e mode with CS.L=1');
  }
  if (disabling) {
    // SDM Vol.3A §4.1.2 / §10.8.5.4: "If the logical processor is in 64-bit mode or if CR4.PCIDE = 1,
    // an attempt to clear CR0.PG causes a general-protection exception (#GP)."
    if (cpu.long64) raise(Vector.GP, 0, 'mov to CR0: clearing PG in 64-bit mode (switch to compatibility mode first)');
    if ((cpu.cr4 & CR4_PCIDE) !== 0) raise(Vector.GP, 0, 'mov to CR0: clearing PG with CR4.PCIDE=1');
  }
  if (((v ^ old) & (CR0_CD | CR0_NW | CR0_PG)) !== 0) checkPdptes(cpu, v, cpu.cr4, cpu.cr3Lo, 'mov to CR0');
  const oldEfer = cpu.efer;
  cpu.cr0 = v;
  // CR0.PG with EFER.LME sets EFER.LMA; clearing PG clears it (SDM Vol.3A §10.8.5, §10.8.5.4).
  if (enabling && (cpu.efer & EFER_LME) !== 0) cpu.efer |= EFER_LMA;
  else if (disabling) cpu.efer &= ~EFER_LMA;
  changed(cpu, ((v ^ old) & (CR0_PG | CR0_PE | CR0_WP | CR0_CD)) !== 0);
  if (cpu.events !== null) {
    emitCrWrite(cpu, 'cr0', old, 0, v, 0, i);
    if (cpu.efer !== oldEfer) emitCrWrite(cpu, 'efer', oldEfer, 0, cpu.efer, 0, i);
  }
}

/** MOV to CR2: the page-fault linear address; any value (SDM Vol.3A §2.5). */
export function writeCr2(cpu: Cpu, lo: number, hi: number, i: Insn | null): void {
  const oldLo = cpu.cr2Lo, oldHi = cpu.cr2Hi;
  cpu.cr2Lo = lo;
  cpu.cr2Hi = hi;
  if (cpu.events !== null) emitCrWrite(cpu, 'cr2', oldLo, oldHi, lo, hi, i);
}

/**
 * MOV to CR3. Outside 64-bit mode only 32 bits load and bits 63:32 become 0 (SDM Vol.2B MOV CR: "an
 * execution of MOV to CR outside of 64-bit mode zeros the upper 32 bits"). In 64-bit mode bits 63:MAXPHYADDR
 * are reserved (#GP(0), SDM Vol.2B MOV CR, 64-Bit Mode Exceptions), except that with CR4.PCIDE=1 bit 63
 * asks not to invalidate the PCID's translations and is not stored (SDM Vol.3A §4.10.4.1).
 */
export function writeCr3(cpu: Cpu, lo: number, hi: number, i: Insn | null): void {
  let flush = true;
  if (!cpu.long64) hi = 0;
  if ((cpu.cr4 & CR4_PCIDE) !== 0 && hi < 0) {
    flush = false;
    hi &= 0x7fffffff;
  }
  if ((hi >>> (MAXPHYADDR - 32)) !== 0) raise(Vector.GP, 0, 'mov to CR3: reserved bits above MAXPHYADDR set');
  checkPdptes(cpu, cpu.cr0, cpu.cr4, lo, 'mov to CR3');
  const oldLo = cpu.cr3Lo, oldHi = cpu.cr3Hi;
  cpu.cr3Lo = lo;
  cpu.cr3Hi = hi;
  changed(cpu, flush);
  if (cpu.events !== null) emitCrWrite(cpu, 'cr3', oldLo, oldHi, lo, hi, i);
}

/** MOV to CR4 (SDM Vol.2B MOV CR exceptions; Vol.3A §2.5, §4.1.1, §4.10.1). */
export function writeCr4(cpu: Cpu, lo: number, hi: number, i: Insn | null): void {
  if (hi !== 0) raise(Vector.GP, 0, 'mov to CR4: reserved bits 63:32 set');
  if ((lo & ~cr4Supported(cpu)) !== 0) raise(Vector.GP, 0, 'mov to CR4: reserved bit or unsupported feature set');
  const old = cpu.cr4;
  const lma = (cpu.efer & EFER_LMA) !== 0;
  // SDM Vol.3A §4.1.1 / Vol.2B MOV CR: "MOV to CR4 cannot modify CR4.LA57 while IA-32e mode is active"
  // — why the Linux 5-level trampoline drops to compatibility mode and turns paging off first.
  if (lma && ((lo ^ old) & CR4_LA57) !== 0) raise(Vector.GP, 0, 'mov to CR4: LA57 cannot change while IA-32e mode is active');
  // SDM Vol.2B MOV CR, 64-Bit Mode Exceptions: "an attempt is made to leave IA-32e mode by clearing CR4.PAE".
  if (lma && (lo & CR4_PAE) === 0) raise(Vector.GP, 0, 'mov to CR4: clearing PAE while IA-32e mode is active');
  if ((lo & CR4_PCIDE) !== 0 && (old & CR4_PCIDE) === 0) {
    // SDM Vol.3A §2.5 (CR4.PCIDE): "can be set only in IA-32e mode"; Vol.2B MOV CR: #GP when changing
    // PCIDE from 0 to 1 while CR3[11:0] ≠ 000H.
    if (!lma) raise(Vector.GP, 0, 'mov to CR4: PCIDE can be set only in IA-32e mode');
    if ((cpu.cr3Lo & 0xfff) !== 0) raise(Vector.GP, 0, 'mov to CR4: setting PCIDE with CR3[11:0] not zero');
  }
  if (((lo ^ old) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)) !== 0) checkPdptes(cpu, cpu.cr0, lo, cpu.cr3Lo, 'mov to CR4');
  cpu.cr4 = lo;
  changed(cpu, ((lo ^ old) & CR4_PAGING) !== 0);
  if (cpu.events !== null) emitCrWrite(cpu, 'cr4', old, 0, lo, 0, i);
}

/** MOV to CR8: the task-priority register; bits 63:4 are reserved (SDM Vol.3A §11.8.6.5). */
export function writeCr8(cpu: Cpu, lo: number, hi: number, i: Insn | null): void {
  if (hi !== 0 || (lo & ~0xf) !== 0) raise(Vector.GP, 0, 'mov to CR8: reserved bits 63:4 set');
  const old = cpu.cr8;
  cpu.cr8 = lo;
  cpu.attention |= ATTN_IRQ; // a lower priority may let a pending APIC interrupt through (machine.ts)
  if (cpu.events !== null) emitCrWrite(cpu, 'cr8', old, 0, lo, 0, i);
}

/**
 * WRMSR to IA32_EFER (SDM Vol.3A §2.2.1, §10.8.5; Vol.2B WRMSR). Reserved bits #GP(0); LME cannot change
 * while CR0.PG=1 (#GP(0)); LMA is set and cleared by the processor only, so the written bit is ignored.
 */
export function writeEfer(cpu: Cpu, lo: number, hi: number, i: Insn | null): void {
  if (hi !== 0 || (lo & ~eferSupported(cpu)) !== 0) raise(Vector.GP, 0, 'wrmsr IA32_EFER: reserved bit set');
  const old = cpu.efer;
  if (((lo ^ old) & EFER_LME) !== 0 && (cpu.cr0 & CR0_PG) !== 0) raise(Vector.GP, 0, 'wrmsr IA32_EFER: LME cannot change while paging is enabled');
  const v = (lo & ~EFER_LMA) | (old & EFER_LMA);
  cpu.efer = v;
  changed(cpu, ((v ^ old) & EFER_NXE) !== 0);
  if (cpu.events !== null) emitCrWrite(cpu, 'efer', old, 0, v, 0, i);
}
