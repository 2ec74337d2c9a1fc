// features.ts: the CPUID feature set of the emulated processor — which bits CPUID reports and which
// CPUID-gated instructions decode. Configurable by name (`--cpu la57,-smep`).

/** MAXPHYADDR: CPUID 80000008h EAX[7:0] reports 52 (exec/misc.ts); physical-address bits 63:52 are reserved. */
export const MAXPHYADDR = 52;

export interface FeatureBit {
  name: string;
  /** CPUID leaf and subleaf, the output register (0 eax, 1 ebx, 2 ecx, 3 edx) and the bit. */
  leaf: number;
  subleaf: number;
  reg: number;
  bit: number;
}

const EBX = 1, ECX = 2, EDX = 3;
function fb(name: string, leaf: number, reg: number, bit: number, subleaf = 0): FeatureBit {
  return { name, leaf, subleaf, reg, bit };
}

/** Feature bits by the names Linux uses in /proc/cpuinfo (SDM Vol.2A CPUID, Tables 3-8 to 3-11). */
export const FEATURE_BITS: readonly FeatureBit[] = [
  fb('fpu', 1, EDX, 0), fb('vme', 1, EDX, 1), fb('de', 1, EDX, 2), fb('pse', 1, EDX, 3), fb('tsc', 1, EDX, 4),
  fb('msr', 1, EDX, 5), fb('pae', 1, EDX, 6), fb('mce', 1, EDX, 7), fb('cx8', 1, EDX, 8), fb('apic', 1, EDX, 9),
  fb('sep', 1, EDX, 11), fb('mtrr', 1, EDX, 12), fb('pge', 1, EDX, 13), fb('mca', 1, EDX, 14), fb('cmov', 1, EDX, 15),
  fb('pat', 1, EDX, 16), fb('pse36', 1, EDX, 17), fb('clflush', 1, EDX, 19), fb('mmx', 1, EDX, 23),
  fb('fxsr', 1, EDX, 24), fb('sse', 1, EDX, 25), fb('sse2', 1, EDX, 26),
  fb('sse3', 1, ECX, 0), fb('cx16', 1, ECX, 13), fb('pcid', 1, ECX, 17), fb('x2apic', 1, ECX, 21),
  fb('movbe', 1, ECX, 22), fb('popcnt', 1, ECX, 23), fb('rdrand', 1, ECX, 30), fb('hypervisor', 1, ECX, 31),
  fb('fsgsbase', 7, EBX, 0), fb('bmi1', 7, EBX, 3), fb('smep', 7, EBX, 7), fb('bmi2', 7, EBX, 8),
  fb('erms', 7, EBX, 9), fb('invpcid', 7, EBX, 10), fb('smap', 7, EBX, 20),
  fb('umip', 7, ECX, 2), fb('pku', 7, ECX, 3), fb('la57', 7, ECX, 16), fb('rdpid', 7, ECX, 22),
  fb('lahf_lm', 0x80000001, ECX, 0), fb('abm', 0x80000001, ECX, 5),
  fb('syscall', 0x80000001, EDX, 11), fb('nx', 0x80000001, EDX, 20), fb('pdpe1gb', 0x80000001, EDX, 26),
  fb('rdtscp', 0x80000001, EDX, 27), fb('lm', 0x80000001, EDX, 29),
];

/** What the emulated processor has unless told otherwise: a 64-bit CPU with 5-level paging. */
export const DEFAULT_FEATURES: readonly string[] = [
  'fpu', 'vme', 'de', 'pse', 'tsc', 'msr', 'pae', 'mce', 'cx8', 'apic', 'sep', 'mtrr', 'pge', 'mca', 'cmov', 'pat',
  'pse36', 'clflush', 'mmx', 'fxsr', 'sse', 'sse2', 'cx16', 'pcid', 'popcnt', 'hypervisor',
  'fsgsbase', 'bmi1', 'smep', 'bmi2', 'erms', 'invpcid', 'smap', 'umip', 'pku', 'la57', 'rdpid',
  'lahf_lm', 'abm', 'syscall', 'nx', 'pdpe1gb', 'rdtscp', 'lm',
];

export class CpuFeatures {
  private readonly set: Set<string>;

  constructor(names: Iterable<string> = DEFAULT_FEATURES) {
    this.set = new Set(names);
  }

  has(name: string): boolean {
    return this.set.has(name);
  }

  get names(): string[] {
    return [...this.set].sort();
  }

  /**
   * The defaults changed by a comma list: `la57` adds, `-la57` removes. Returns an error message
   * naming the unknown feature instead of a set when a name is not a CPUID feature.
   */
  static parse(spec: string, base: Iterable<string> = DEFAULT_FEATURES): CpuFeatures | string {
    const set = new Set(base);
    for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
      const remove = raw.startsWith('-');
      const name = raw.replace(/^[-+]/, '').toLowerCase();
      if (!FEATURE_BITS.some((f) => f.name === name)) {
        return `unknown CPU feature "${name}"; known: ${FEATURE_BITS.map((f) => f.name).join(', ')}`;
      }
      if (remove) set.delete(name); else set.add(name);
    }
    return new CpuFeatures(set);
  }

  /** The feature bits of one CPUID output register. */
  bits(leaf: number, subleaf: number, reg: number): number {
    let v = 0;
    for (const f of FEATURE_BITS) {
      if (f.leaf === leaf && f.subleaf === subleaf && f.reg === reg && this.set.has(f.name)) v |= 1 << f.bit;
    }
    return v;
  }
}
