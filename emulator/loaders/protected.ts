// protected.ts: the flat 32-bit protected-mode entry state (paging off, interrupts off) shared by
// `--boot protected` and Multiboot, with the loader's GDT laid out as the Linux boot protocol's
// (Documentation/x86/boot.rst "32-bit BOOT PROTOCOL": __BOOT_CS 0x10, __BOOT_DS 0x18, flat 4 GiB).
import type { Machine } from '../machine';
import { CR0_PE, EFER_LMA, EFER_LME } from '../cpu/modes';
import { Reg, Seg } from '../cpu/state';

/** Where the loaders put their GDT: free conventional memory below the usual 0x9000 data area. */
export const GDT_BASE = 0x8000;
export const BOOT_CS32 = 0x08;
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
/** CR0.ET (bit 4): set on every processor since the i486; caches enabled (CD = NW = 0). */
export const CR0_ET = 0x10;

// Descriptor attribute words (descriptor bits 55:40, as Cpu.segAttr holds them; SDM Vol.3A §3.4.5):
// G=1, limit 19:16 = F, P=1, DPL 0, S=1, accessed (so the CPU never has to write the GDT back).
export const ATTR_CODE32 = 0xcf9b; // D=1, execute/read
export const ATTR_CODE64 = 0xaf9b; // L=1, D=0
export const ATTR_DATA = 0xcf93; // B=1, read/write

/**
 * The loader's GDT (32 bytes): 0x00 null, 0x08 flat 32-bit code, 0x10 flat code (64-bit for long
 * mode, 32-bit otherwise), 0x18 flat data. Returns the bytes to load at GDT_BASE.
 */
export function gdtBytes(long: boolean): Uint8Array {
  const g = new Uint8Array(32);
  const put = (index: number, attr: number): void => {
    const d = index * 8;
    g[d] = 0xff; g[d + 1] = 0xff; // limit 15:0
    g[d + 5] = attr & 0xff;
    g[d + 6] = attr >> 8;
  };
  put(1, ATTR_CODE32);
  put(2, long ? ATTR_CODE64 : ATTR_CODE32);
  put(3, ATTR_DATA);
  return g;
}

function flat(machine: Machine, seg: Seg, selector: number, attr: number): void {
  const cpu = machine.cpu;
  cpu.segSel[seg] = selector;
  cpu.segBaseLo[seg] = cpu.segBaseHi[seg] = 0;
  cpu.segLimit[seg] = -1;
  cpu.segAttr[seg] = attr;
}

export interface FlatState {
  /** Entry point (EIP, or RIP for long mode). */
  entry: number;
  long: boolean;
  /** Stack pointer (0 leaves it 0). */
  stack?: number;
  /** GDT address (GDT_BASE unless the program occupies it). */
  gdtBase?: number;
}

/**
 * Resets the processor and enters flat protected mode (or, with `long`, 64-bit mode; the caller has
 * set CR3/CR4/EFER) with CS = 0x10, DS = ES = FS = GS = SS = 0x18, IF = 0, GDTR at the loader's GDT
 * and IDTR limit 0 (no interrupt can be delivered until the program loads its own IDT). Paging is off
 * unless `long`. Does not call stateChanged (the caller finishes the state first).
 */
export function enterFlat(machine: Machine, s: FlatState): void {
  const cpu = machine.cpu;
  const gdt = s.gdtBase ?? GDT_BASE;
  machine.load(gdt, gdtBytes(s.long));
  cpu.gdtrBaseLo = gdt; cpu.gdtrBaseHi = 0; cpu.gdtrLimit = 31;
  cpu.idtrBaseLo = 0; cpu.idtrBaseHi = 0; cpu.idtrLimit = 0;
  cpu.cr0 = CR0_ET | CR0_PE;
  cpu.flags = 0x2;
  flat(machine, Seg.CS, BOOT_CS, s.long ? ATTR_CODE64 : ATTR_CODE32);
  for (const seg of [Seg.DS, Seg.ES, Seg.FS, Seg.GS, Seg.SS]) flat(machine, seg, BOOT_DS, ATTR_DATA);
  cpu.ripLo = s.entry % 2 ** 32 | 0;
  cpu.ripHi = Math.floor(s.entry / 2 ** 32) | 0;
  const sp = s.stack ?? 0;
  cpu.lo[Reg.RSP] = sp % 2 ** 32 | 0;
  cpu.hi[Reg.RSP] = Math.floor(sp / 2 ** 32) | 0;
  if (!s.long) cpu.efer &= ~(EFER_LME | EFER_LMA);
}

/**
 * `--boot protected`: flat 32-bit protected mode, paging off, at `entry` (the Linux 32-bit boot
 * protocol's segment layout; ESI/EBX are 0 since there is no boot_params). The stack pointer is 0
 * unless given: the program sets its own, as a 32-bit kernel entry does.
 */
export function enterProtected(machine: Machine, entry: number, stack = 0): void {
  machine.cpu.reset();
  enterFlat(machine, { entry, long: false, stack });
  machine.stateChanged();
}
