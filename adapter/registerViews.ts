// registerViews.ts: the register scopes of the variables view — General (RAX…R15, RIP, RFLAGS with its
// flags), Control (CR0–CR8 and DR0–DR7 with their bit fields), MSRs and Mode — as entries whose setters
// write through registers.ts, so every edit gets the checks the guest's own MOV/WRMSR would.
import { Seg } from '../emulator/cpu/state';
import type { Debuggee } from './debuggee';
import { BIT_FIELDS, BitField, cr3Fields, setFlagNames } from './bitFields';
import { readRegister, writeField, writeRegister } from './registers';
import { Entry, badValue, hex, hexPad, named, parseValue } from './variableTree';

const GENERAL = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

/** The segment a general register's address is usually relative to (SDM Vol.1 §3.7.4 default segments). */
const DEFAULT_SEG: Record<string, Seg> = { rsp: Seg.SS, rbp: Seg.SS, rdi: Seg.ES };

/** Largest value a JS number holds exactly: above it, no memory reference is offered. */
const EXACT = 2n ** 53n;

/**
 * The linear address a register value names (segment base + offset outside 64-bit mode), as a memory
 * reference when that address is mapped now; else undefined.
 */
export function memoryReference(d: Debuggee, offset: bigint, seg: Seg): string | undefined {
  const cpu = d.cpu;
  let linear = offset;
  if (!cpu.long64) {
    const width = d.mode().codeBits === 16 && seg !== Seg.SS ? 0xffffn : 0xffffffffn;
    linear = ((offset & width) + BigInt(cpu.segBaseLo[seg] >>> 0)) & 0xffffffffn;
  }
  if (linear >= EXACT) return undefined;
  const t = d.translate(Number(linear));
  return t.physical === null ? undefined : hex(linear);
}

/** A setter that parses the user's text for a `bits`-wide value and hands it to `write`. */
export function setter(d: Debuggee, what: string, bits: number, write: (v: bigint) => string | null): (text: string) => string | null {
  return (text) => {
    const v = parseValue(text, bits, (n) => d.symbols.value(n));
    return v === null ? badValue(text, what, bits) : write(v);
  };
}

/** An entry for a whole register: hex value, its fields as children when it has any. */
function registerEntry(d: Debuggee, name: string, digits: number, opts: { memory?: Seg; fields?: BitField[]; label?: string; flags?: boolean } = {}): Entry {
  const v = readRegister(d, name);
  const label = opts.label ?? name.toUpperCase();
  if (v === undefined) return { name: label, value: '<not available>' };
  const e: Entry = {
    name: label,
    // Flag-like registers list the bits that are set, as gdb's `info registers eflags` does.
    value: opts.flags === true && opts.fields !== undefined ? `${hexPad(v, digits)} [${setFlagNames(v, opts.fields)}]` : hexPad(v, digits),
    evaluateName: `$${name}`,
    set: setter(d, label, digits * 4, (x) => writeRegister(d, name, x)),
  };
  if (opts.memory !== undefined) {
    const m = memoryReference(d, v, opts.memory);
    if (m !== undefined) e.memoryReference = m;
  }
  const fields = opts.fields;
  // Children re-read the register: after a field edit the re-listed siblings show the new value.
  if (fields !== undefined) e.children = named(() => { const now = readRegister(d, name) ?? 0n; return fields.map((f) => fieldEntry(d, name, f, now)); });
  return e;
}

/** One bit field of `register` (value `whole`): `LA57 = 1`, settable through writeField. */
export function fieldEntry(d: Debuggee, register: string, f: BitField, whole: bigint): Entry {
  const v = (whole >> BigInt(f.bit)) & ((1n << BigInt(f.width)) - 1n);
  const bits = f.width === 1 ? `bit ${f.bit}` : `bits ${f.bit + f.width - 1}:${f.bit}`;
  return {
    name: f.name,
    // evaluate.ts reads `$cr4.LA57`; ADDRESS is shown unshifted, so it has no such expression.
    ...(f.name === 'ADDRESS' ? {} : { evaluateName: `$${register}.${f.name}` }),
    value: f.width === 1 || f.width === 2 ? v.toString() : hex(f.name === 'ADDRESS' ? v << BigInt(f.bit) : v),
    type: `${register.toUpperCase()}.${f.name} (${bits}): ${f.description}`,
    set: setter(d, `${register.toUpperCase()}.${f.name}`, f.width, (x) => {
      // The ADDRESS field is shown (and taken) as the address itself, not shifted down.
      const field = f.name === 'ADDRESS' ? x >> BigInt(f.bit) : x;
      if (f.name === 'ADDRESS' && (x & ((1n << BigInt(f.bit)) - 1n)) !== 0n) return `${register.toUpperCase()}.${f.name}: ${hex(x)} is not aligned to ${hex(1n << BigInt(f.bit))}`;
      return writeField(d, register, f.name, field);
    }),
  };
}

export function generalScope(d: Debuggee): Entry[] {
  const out = GENERAL.map((r) => registerEntry(d, r, 16, { memory: DEFAULT_SEG[r] ?? Seg.DS }));
  out.push(registerEntry(d, 'rip', 16, { memory: Seg.CS }));
  out.push(registerEntry(d, 'rflags', 16, { fields: BIT_FIELDS.rflags, flags: true }));
  return out;
}

export function controlScope(d: Debuggee): Entry[] {
  const cr4 = Number(readRegister(d, 'cr4') ?? 0n);
  return [
    registerEntry(d, 'cr0', 16, { fields: BIT_FIELDS.cr0, flags: true }),
    registerEntry(d, 'cr2', 16, { memory: Seg.DS }),
    registerEntry(d, 'cr3', 16, { fields: cr3Fields(cr4) }),
    registerEntry(d, 'cr4', 16, { fields: BIT_FIELDS.cr4, flags: true }),
    registerEntry(d, 'cr8', 16, { fields: BIT_FIELDS.cr8 }),
    registerEntry(d, 'dr0', 16),
    registerEntry(d, 'dr1', 16),
    registerEntry(d, 'dr2', 16),
    registerEntry(d, 'dr3', 16),
    registerEntry(d, 'dr6', 16, { fields: BIT_FIELDS.dr6 }),
    registerEntry(d, 'dr7', 16, { fields: BIT_FIELDS.dr7 }),
  ];
}

const MSRS: [string, string][] = [
  ['fs_base', 'IA32_FS_BASE'], ['gs_base', 'IA32_GS_BASE'], ['kernel_gs_base', 'IA32_KERNEL_GS_BASE'],
  ['star', 'IA32_STAR'], ['lstar', 'IA32_LSTAR'], ['cstar', 'IA32_CSTAR'], ['fmask', 'IA32_FMASK'],
  ['sysenter_cs', 'IA32_SYSENTER_CS'], ['sysenter_esp', 'IA32_SYSENTER_ESP'], ['sysenter_eip', 'IA32_SYSENTER_EIP'],
  ['apic_base', 'IA32_APIC_BASE'], ['pat', 'IA32_PAT'], ['misc_enable', 'IA32_MISC_ENABLE'], ['tsc', 'IA32_TIME_STAMP_COUNTER'],
  ['tsc_aux', 'IA32_TSC_AUX'],
];

export function msrScope(d: Debuggee): Entry[] {
  const out = [registerEntry(d, 'efer', 16, { fields: BIT_FIELDS.efer, label: 'IA32_EFER', flags: true })];
  for (const [name, label] of MSRS) {
    if (readRegister(d, name) === undefined) continue; // an MSR this processor lacks
    const e = registerEntry(d, name, 16, { label, ...(BIT_FIELDS[name] !== undefined ? { fields: BIT_FIELDS[name] } : {}) });
    if (name === 'lstar' || name === 'cstar' || name === 'sysenter_eip' || name.endsWith('gs_base') || name === 'fs_base') {
      const v = readRegister(d, name) ?? 0n;
      if (v < EXACT && d.translate(Number(v)).physical !== null) e.memoryReference = hex(v);
    }
    out.push(e);
  }
  return out;
}

const readOnly = (name: string, value: string, type?: string): Entry => (type === undefined ? { name, value } : { name, value, type });

export function modeScope(d: Debuggee): Entry[] {
  const m = d.mode();
  const cpu = d.cpu;
  const a20 = d.machine.mem.a20Mask === -1;
  return [
    readOnly('CPU mode', m.mode, 'from CR0.PE, EFLAGS.VM, EFER.LMA and CS.L/CS.D (SDM Vol.3A §2.2, Figure 2-3)'),
    readOnly('paging', m.paging, 'from CR0.PG, CR4.PAE, CR4.LA57 and EFER.LMA (SDM Vol.3A §4.1.1, Table 4-1)'),
    readOnly('CPL', String(m.cpl), 'current privilege level'),
    readOnly('address width', `${m.addressBits} bits`, 'bits of a linear address'),
    readOnly('code size', `${m.codeBits} bits`, 'default operand and address size (SDM Vol.1 §3.6)'),
    readOnly('stack size', `${cpu.stackSize} bits`, 'from SS.B, or 64 in 64-bit mode (SDM Vol.3A §6.2.3)'),
    readOnly('A20', a20 ? 'enabled' : 'disabled (addresses wrap at 1 MiB)', 'the A20 gate (port 0x92 bit 1, 8042 output port bit 1)'),
    readOnly('halted', cpu.halted ? 'yes (HLT)' : 'no'),
    readOnly('instructions', String(cpu.icount), 'retired since reset'),
  ];
}
