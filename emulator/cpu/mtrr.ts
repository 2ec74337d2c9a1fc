// mtrr.ts: the memory type range registers (SDM Vol.3A §12.11 "Memory Type Range Registers"): IA32_MTRRCAP,
// IA32_MTRR_DEF_TYPE, the eleven fixed-range and eight pairs of variable-range MTRRs. The emulator has no
// caches, so memory types change nothing it does; the registers exist because CPUID.01H:EDX.MTRR says they
// do, and an operating system reads, checks and programs them (Linux's mtrr_bp_init reads IA32_MTRRCAP
// unguarded). What the SDM defines is kept exactly: the capability bits, the reserved bits that make WRMSR
// #GP(0), and the memory-type encodings that are undefined.
import { Vector, raise } from './fault';
import { MAXPHYADDR } from './features';
import type { Cpu } from './state';

export const MSR_MTRRCAP = 0xfe;
export const MSR_MTRR_PHYSBASE0 = 0x200;
export const MSR_MTRR_DEF_TYPE = 0x2ff;

/** Variable-range MTRR pairs (IA32_MTRRCAP.VCNT): eight, as on the processors the SDM describes and on QEMU's. */
export const MTRR_VCNT = 8;
/**
 * IA32_MTRRCAP (SDM Vol.3A §12.11.1, Figure 12-5): VCNT in bits 7:0, FIX (bit 8) fixed-range registers
 * supported, WC (bit 10) write-combining supported; SMRR (bit 11) is not.
 */
export const MTRRCAP = MTRR_VCNT | 1 << 8 | 1 << 10;

/** The fixed-range MTRRs in the order of SDM Vol.3A §12.11.2.2 Table 12-9: 64K, 16K×2, 4K×8. */
const FIXED = [0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f];

/** Words of cpu.mtrr: DEF_TYPE, then the fixed ranges, then base/mask pairs, each register as lo, hi. */
const DEF_SLOT = 0, FIXED_SLOT = 2, VAR_SLOT = FIXED_SLOT + 2 * FIXED.length;
export const MTRR_WORDS = VAR_SLOT + 4 * MTRR_VCNT;

/** The cpu.mtrr word holding bits 31:0 of MSR `index`, or -1 when `index` is not an MTRR that WRMSR/RDMSR reach. */
export function mtrrSlot(index: number): number {
  if (index === MSR_MTRR_DEF_TYPE) return DEF_SLOT;
  const f = FIXED.indexOf(index);
  if (f >= 0) return FIXED_SLOT + 2 * f;
  const v = index - MSR_MTRR_PHYSBASE0;
  if (v >= 0 && v < 2 * MTRR_VCNT) return VAR_SLOT + 2 * v;
  return -1;
}

/**
 * Memory types an MTRR may hold: UC 0, WC 1, WT 4, WP 5, WB 6 (SDM Vol.3A §12.11.1 Table 12-8); 2, 3 and
 * 7–255 are reserved, and "attempting to write an undefined memory type encoding into an MTRR causes a
 * general-protection exception" (§12.11.1).
 */
function typeValid(t: number): boolean {
  return t === 0 || t === 1 || t === 4 || t === 5 || t === 6;
}


/** Why WRMSR of lo/hi to the MTRR at `slot` is #GP(0), or null when it is allowed. */
function reservedWrite(slot: number, lo: number, hi: number): string | null {
  if (slot === DEF_SLOT) {
    // Figure 12-6: Type 7:0, FE 10, E 11; bits 9:8 and 63:12 reserved.
    if ((lo & ~0xcff) !== 0 || hi !== 0) return 'IA32_MTRR_DEF_TYPE: reserved bit set';
    return typeValid(lo & 0xff) ? null : `IA32_MTRR_DEF_TYPE: undefined memory type ${lo & 0xff}`;
  }
  if (slot < VAR_SLOT) {
    // Each byte of a fixed-range MTRR is the type of one sub-range (§12.11.2.2).
    for (let k = 0; k < 8; k++) {
      const t = ((k < 4 ? lo : hi) >>> (8 * (k & 3))) & 0xff;
      if (!typeValid(t)) return `fixed-range MTRR: undefined memory type ${t} in byte ${k}`;
    }
    return null;
  }
  // Bits 63:MAXPHYADDR of a base or mask are reserved (§12.11.2.3, Figures 12-7/12-8).
  if ((hi & ~((1 << (MAXPHYADDR - 32)) - 1)) !== 0) return 'variable-range MTRR: bits above MAXPHYADDR set';
  if (((slot - VAR_SLOT) & 2) === 0) {
    // IA32_MTRR_PHYSBASEn (Figure 12-7): Type 7:0, bits 11:8 reserved.
    if ((lo & 0xf00) !== 0) return 'IA32_MTRR_PHYSBASE: reserved bits 11:8 set';
    return typeValid(lo & 0xff) ? null : `IA32_MTRR_PHYSBASE: undefined memory type ${lo & 0xff}`;
  }
  // IA32_MTRR_PHYSMASKn (Figure 12-7): bits 10:0 reserved, V (bit 11) valid.
  return (lo & 0x7ff) !== 0 ? 'IA32_MTRR_PHYSMASK: reserved bits 10:0 set' : null;
}

/** RDMSR of an MTRR (index from mtrrSlot, or IA32_MTRRCAP): lo returned, hi in cpu.tmpHi. */
export function readMtrr(cpu: Cpu, index: number): number {
  if (!cpu.features.has('mtrr')) raise(Vector.GP, 0, 'rdmsr: MTRRs need CPUID MTRR');
  if (index === MSR_MTRRCAP) {
    cpu.tmpHi = 0;
    return MTRRCAP;
  }
  const slot = mtrrSlot(index);
  cpu.tmpHi = cpu.mtrr[slot + 1];
  return cpu.mtrr[slot];
}

/** WRMSR of an MTRR: #GP(0) for IA32_MTRRCAP (read-only), reserved bits and undefined memory types. */
export function writeMtrr(cpu: Cpu, index: number, lo: number, hi: number): void {
  if (!cpu.features.has('mtrr')) raise(Vector.GP, 0, 'wrmsr: MTRRs need CPUID MTRR');
  if (index === MSR_MTRRCAP) raise(Vector.GP, 0, 'wrmsr IA32_MTRRCAP: read-only');
  const slot = mtrrSlot(index);
  const why = reservedWrite(slot, lo, hi);
  if (why !== null) raise(Vector.GP, 0, `wrmsr ${why}`);
  cpu.mtrr[slot] = lo;
  cpu.mtrr[slot + 1] = hi;
}

/** Whether RDMSR/WRMSR of `index` reaches an MTRR. */
export function isMtrr(index: number): boolean {
  return index === MSR_MTRRCAP || mtrrSlot(index) >= 0;
}

/** The variable range a PC firmware makes uncacheable: the MMIO hole from LOW_RAM_LIMIT (3 GiB) to 4 GiB. */
const MMIO_HOLE = 0xc000_0000;

/**
 * The MTRRs as a PC firmware leaves them before it boots a program (firmware programs them at start-up,
 * SDM Vol.3A §12.11.5 "the BIOS initializes the MTRRs"; §12.11.2): write-back by default, fixed ranges
 * enabled with conventional memory (0–9FFFFh) write-back, the VGA window (A0000h–BFFFFh) uncacheable and
 * the ROM area (C0000h–FFFFFh) write-protected, and one variable range making the MMIO hole below 4 GiB
 * uncacheable. Operating systems read them to choose memory types (Linux enables PAT only when they are
 * set). Nothing when CPUID does not advertise MTRRs.
 */
export function programMtrrsAsBios(cpu: Cpu): void {
  if (!cpu.features.has('mtrr')) return;
  const set = (index: number, lo: number, hi: number): void => {
    const slot = mtrrSlot(index);
    cpu.mtrr[slot] = lo;
    cpu.mtrr[slot + 1] = hi;
  };
  const WB = 0x06060606, WP = 0x05050505;
  set(0x250, WB, WB); // FIX64K_00000: 00000h–7FFFFh
  set(0x258, WB, WB); // FIX16K_80000: 80000h–9FFFFh
  set(0x259, 0, 0); // FIX16K_A0000: A0000h–BFFFFh, UC
  for (let k = 0; k < 8; k++) set(0x268 + k, WP, WP); // FIX4K_C0000 … FIX4K_F8000
  // PHYSBASE0/PHYSMASK0: 1 GiB at 3 GiB, UC; the mask covers bits MAXPHYADDR-1:30 (Figure 12-7), V set.
  set(MSR_MTRR_PHYSBASE0, MMIO_HOLE | 0, 0);
  set(MSR_MTRR_PHYSBASE0 + 1, (MMIO_HOLE | 0x800) | 0, (1 << (MAXPHYADDR - 32)) - 1);
  set(MSR_MTRR_DEF_TYPE, 0xc06, 0); // E, FE, default type WB (Figure 12-6)
}
