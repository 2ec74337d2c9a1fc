// bitFields.ts: every architecturally defined bit of RFLAGS, CR0, CR3, CR4, CR8, EFER, DR6 and DR7 as the
// debugger shows and edits them (`cr4.LA57 = 1`), named in the SDM's spelling. Layouts: RFLAGS SDM Vol.1
// §3.4.3 (Figure 3-8); CR0/CR3/CR4/CR8 SDM Vol.3A §2.5 (Figure 2-7) and §4.10.1 (PCID); IA32_EFER SDM
// Vol.3A §2.2.1 (Table 2-1) plus AMD APM Vol.2 §3.1.7 for the AMD-only bits; DR6/DR7 SDM Vol.3B §18.2;
// the x87 FCW/FSW/tag word SDM Vol.1 §8.1.3, §8.1.5, §8.1.7 and MXCSR SDM Vol.1 §10.2.3.

export interface BitField {
  /** The SDM's name: `LA57`, `IOPL`, `PCID`. */
  name: string;
  /** Lowest bit. */
  bit: number;
  /** Bits wide (1 for flags). */
  width: number;
  description: string;
}

const f = (name: string, bit: number, description: string, width = 1): BitField => ({ name, bit, width, description });

const RFLAGS: BitField[] = [
  f('CF', 0, 'carry flag'),
  f('PF', 2, 'parity flag'),
  f('AF', 4, 'auxiliary carry flag'),
  f('ZF', 6, 'zero flag'),
  f('SF', 7, 'sign flag'),
  f('TF', 8, 'trap flag (single-step)'),
  f('IF', 9, 'interrupt enable flag'),
  f('DF', 10, 'direction flag'),
  f('OF', 11, 'overflow flag'),
  f('IOPL', 12, 'I/O privilege level', 2),
  f('NT', 14, 'nested task'),
  f('RF', 16, 'resume flag'),
  f('VM', 17, 'virtual-8086 mode'),
  f('AC', 18, 'alignment check / access control'),
  f('VIF', 19, 'virtual interrupt flag'),
  f('VIP', 20, 'virtual interrupt pending'),
  f('ID', 21, 'ID flag (CPUID available)'),
];

const CR0: BitField[] = [
  f('PE', 0, 'protection enable'),
  f('MP', 1, 'monitor coprocessor'),
  f('EM', 2, 'x87 emulation'),
  f('TS', 3, 'task switched'),
  f('ET', 4, 'extension type (fixed 1)'),
  f('NE', 5, 'numeric error (native x87 error reporting)'),
  f('WP', 16, 'write protect (supervisor writes honour read-only pages)'),
  f('AM', 18, 'alignment mask'),
  f('NW', 29, 'not write-through'),
  f('CD', 30, 'cache disable'),
  f('PG', 31, 'paging'),
];

// CR3 (SDM Vol.3A §4.5, Table 4-12/4-13): with CR4.PCIDE=0 bits 3 and 4 are PWT and PCD; with PCIDE=1
// bits 11:0 are the PCID. Both layouts are listed; the views pick by CR4.PCIDE (see cr3Fields).
const CR3: BitField[] = [
  f('PWT', 3, 'page-level write-through of the top-level table (CR4.PCIDE=0)'),
  f('PCD', 4, 'page-level cache disable of the top-level table (CR4.PCIDE=0)'),
  f('PCID', 0, 'process-context identifier (CR4.PCIDE=1)', 12),
  f('ADDRESS', 12, 'physical address of the top-level paging structure (bits 51:12)', 40),
  f('LAM_U57', 61, 'linear-address masking for user pointers, 57-bit'),
  f('LAM_U48', 62, 'linear-address masking for user pointers, 48-bit'),
];

const CR4: BitField[] = [
  f('VME', 0, 'virtual-8086 mode extensions'),
  f('PVI', 1, 'protected-mode virtual interrupts'),
  f('TSD', 2, 'time stamp disable (RDTSC at CPL 0 only)'),
  f('DE', 3, 'debugging extensions'),
  f('PSE', 4, 'page size extensions (4 MiB pages in 32-bit paging)'),
  f('PAE', 5, 'physical address extension'),
  f('MCE', 6, 'machine-check enable'),
  f('PGE', 7, 'page global enable'),
  f('PCE', 8, 'performance-monitoring counter enable'),
  f('OSFXSR', 9, 'OS supports FXSAVE/FXRSTOR'),
  f('OSXMMEXCPT', 10, 'OS supports unmasked SIMD floating-point exceptions'),
  f('UMIP', 11, 'user-mode instruction prevention'),
  f('LA57', 12, '57-bit linear addresses (5-level paging)'),
  f('VMXE', 13, 'VMX enable'),
  f('SMXE', 14, 'SMX enable'),
  f('FSGSBASE', 16, 'RDFSBASE/WRFSBASE/RDGSBASE/WRGSBASE enable'),
  f('PCIDE', 17, 'PCID enable'),
  f('OSXSAVE', 18, 'XSAVE and processor extended states enable'),
  f('KL', 19, 'Key Locker enable'),
  f('SMEP', 20, 'supervisor-mode execution prevention'),
  f('SMAP', 21, 'supervisor-mode access prevention'),
  f('PKE', 22, 'protection keys for user-mode pages'),
  f('CET', 23, 'control-flow enforcement technology'),
  f('PKS', 24, 'protection keys for supervisor-mode pages'),
  f('UINTR', 25, 'user interrupts enable'),
  f('LASS', 27, 'linear-address space separation'),
  f('LAM_SUP', 28, 'linear-address masking for supervisor pointers'),
];

// CR8 (SDM Vol.3A §2.5, §11.8.6.5): the task-priority class in bits 3:0.
const CR8: BitField[] = [f('TPR', 0, 'task-priority level (APIC TPR bits 7:4)', 4)];

const EFER: BitField[] = [
  f('SCE', 0, 'SYSCALL enable'),
  f('LME', 8, 'IA-32e mode enable'),
  f('LMA', 10, 'IA-32e mode active (set by the processor)'),
  f('NXE', 11, 'execute-disable bit enable'),
  f('SVME', 12, 'secure virtual machine enable (AMD)'),
  f('LMSLE', 13, 'long mode segment limit enable (AMD)'),
  f('FFXSR', 14, 'fast FXSAVE/FXRSTOR (AMD)'),
  f('TCE', 15, 'translation cache extension (AMD)'),
];

const DR6: BitField[] = [
  f('B0', 0, 'breakpoint 0 condition detected'),
  f('B1', 1, 'breakpoint 1 condition detected'),
  f('B2', 2, 'breakpoint 2 condition detected'),
  f('B3', 3, 'breakpoint 3 condition detected'),
  f('BLD', 11, 'bus-lock detected (active low)'),
  f('BD', 13, 'debug register access detected'),
  f('BS', 14, 'single step'),
  f('BT', 15, 'task switch'),
  f('RTM', 16, 'RTM debug exception (active low)'),
];

const DR7: BitField[] = [];
for (let n = 0; n < 4; n++) {
  DR7.push(f(`L${n}`, 2 * n, `local enable of breakpoint ${n}`), f(`G${n}`, 2 * n + 1, `global enable of breakpoint ${n}`));
}
DR7.push(f('LE', 8, 'local exact breakpoint enable'), f('GE', 9, 'global exact breakpoint enable'),
  f('RTM', 11, 'restricted transactional memory debugging'), f('GD', 13, 'general detect enable'));
for (let n = 0; n < 4; n++) {
  DR7.push(f(`R/W${n}`, 16 + 4 * n, `breakpoint ${n} condition: 0 execute, 1 write, 2 I/O, 3 read/write`, 2),
    f(`LEN${n}`, 18 + 4 * n, `breakpoint ${n} length: 0 1 byte, 1 2 bytes, 2 8 bytes, 3 4 bytes`, 2));
}

// IA32_APIC_BASE (SDM Vol.3A §11.4.4, Figure 11-5; x2APIC enable §11.12.1).
const APIC_BASE: BitField[] = [
  f('BSP', 8, 'bootstrap processor'),
  f('EXTD', 10, 'x2APIC mode enable'),
  f('EN', 11, 'APIC global enable'),
  f('ADDRESS', 12, 'physical base address of the APIC registers (bits 51:12)', 40),
];

// x87 FPU control word (SDM Vol.1 §8.1.5, Figure 8-6): masks in bits 5:0 as the FSW flags they mask.
const FCW: BitField[] = [
  f('IM', 0, 'invalid-operation exception mask'),
  f('DM', 1, 'denormal-operand exception mask'),
  f('ZM', 2, 'zero-divide exception mask'),
  f('OM', 3, 'overflow exception mask'),
  f('UM', 4, 'underflow exception mask'),
  f('PM', 5, 'precision exception mask'),
  f('PC', 8, 'precision control: 0 single (24 bits), 1 reserved, 2 double (53 bits), 3 double extended (64 bits)', 2),
  f('RC', 10, 'rounding control: 0 to nearest (even), 1 down (toward -inf), 2 up (toward +inf), 3 toward zero', 2),
  f('X', 12, 'infinity control (8087/80287 only; ignored since the 80387)'),
];

// x87 FPU status word (SDM Vol.1 §8.1.3, Figure 8-4).
const FSW: BitField[] = [
  f('IE', 0, 'invalid operation'),
  f('DE', 1, 'denormalized operand'),
  f('ZE', 2, 'zero divide'),
  f('OE', 3, 'overflow'),
  f('UE', 4, 'underflow'),
  f('PE', 5, 'precision (inexact result)'),
  f('SF', 6, 'stack fault (C1: 1 overflow, 0 underflow)'),
  f('ES', 7, 'exception summary status (an unmasked exception is pending)'),
  f('C0', 8, 'condition code 0'),
  f('C1', 9, 'condition code 1'),
  f('C2', 10, 'condition code 2'),
  f('TOP', 11, 'top of stack: ST(0) is R(TOP)', 3),
  f('C3', 14, 'condition code 3'),
  f('B', 15, 'FPU busy (mirrors ES)'),
];

// The full tag word (SDM Vol.1 §8.1.7, Figure 8-7): two bits per physical register R0–R7.
const FTW: BitField[] = [];
for (let r = 0; r < 8; r++) FTW.push(f(`TAG${r}`, 2 * r, `tag of R${r}: 0 valid, 1 zero, 2 special, 3 empty`, 2));

// MXCSR (SDM Vol.1 §10.2.3, Figure 10-3).
const MXCSR: BitField[] = [
  f('IE', 0, 'invalid operation flag'),
  f('DE', 1, 'denormal flag'),
  f('ZE', 2, 'divide-by-zero flag'),
  f('OE', 3, 'overflow flag'),
  f('UE', 4, 'underflow flag'),
  f('PE', 5, 'precision flag'),
  f('DAZ', 6, 'denormals are zeros'),
  f('IM', 7, 'invalid operation mask'),
  f('DM', 8, 'denormal operation mask'),
  f('ZM', 9, 'divide-by-zero mask'),
  f('OM', 10, 'overflow mask'),
  f('UM', 11, 'underflow mask'),
  f('PM', 12, 'precision mask'),
  f('RC', 13, 'rounding control: 0 to nearest (even), 1 down (toward -inf), 2 up (toward +inf), 3 toward zero', 2),
  f('FZ', 15, 'flush to zero'),
];

/** Registers with named bit fields, keyed by the canonical register name (lowercase). */
export const BIT_FIELDS: Record<string, BitField[]> = {
  rflags: RFLAGS, cr0: CR0, cr3: CR3, cr4: CR4, cr8: CR8, efer: EFER, dr6: DR6, dr7: DR7, apic_base: APIC_BASE,
  fcw: FCW, fsw: FSW, ftw: FTW, mxcsr: MXCSR,
};

/** The names of the 1-bit fields set in `value` (and multi-bit ones that are not zero): `PE ET PG`. */
export function setFlagNames(value: bigint, fields: BitField[]): string {
  return fields.filter((x) => x.name !== 'ADDRESS' && fieldValue(value, x) !== 0n).map((x) => (x.width === 1 ? x.name : `${x.name}=${fieldValue(value, x)}`)).join(' ');
}

/** CR3's fields as they apply under the given CR4 (PCID or PWT/PCD, SDM Vol.3A §4.5). */
export function cr3Fields(cr4: number): BitField[] {
  const pcide = (cr4 & (1 << 17)) !== 0;
  return CR3.filter((x) => (pcide ? x.name !== 'PWT' && x.name !== 'PCD' : x.name !== 'PCID'));
}

/** The field of `register` named `field` (any case), or undefined. */
export function findField(register: string, field: string): BitField | undefined {
  const list = BIT_FIELDS[register];
  const want = field.toUpperCase();
  return list?.find((x) => x.name === want);
}

/** The field's value inside a whole register value. */
export function fieldValue(value: bigint, bf: BitField): bigint {
  return (value >> BigInt(bf.bit)) & ((1n << BigInt(bf.width)) - 1n);
}

/** The whole register value with the field replaced by `field` (which must fit: checked by the caller). */
export function withField(value: bigint, bf: BitField, field: bigint): bigint {
  const mask = ((1n << BigInt(bf.width)) - 1n) << BigInt(bf.bit);
  return (value & ~mask) | ((field << BigInt(bf.bit)) & mask);
}
