// registers.ts: reads and writes the processor's registers by name for the debugger (variables view,
// evaluate, REPL). Names are case-insensitive, with or without a `$`/`%` prefix. Writes go through the
// emulator's own checks: MOV to CRn (controlRegs.ts), WRMSR (msr.ts) and MOV Sreg (segment.ts); a write
// the guest could not make comes back as a message naming the exception it would raise, with the state
// left as it was. The debugger is not the guest's code, so CPL checks (MOV CR at CPL > 0) do not apply.
import { ATTN_IRQ, ATTN_MODE, Seg } from '../emulator/cpu/state';
import { VECTOR_NAMES, isCpuFault } from '../emulator/cpu/fault';
import { materialize, rflags } from '../emulator/cpu/flags';
import { writeCr0, writeCr2, writeCr3, writeCr4, writeCr8 } from '../emulator/cpu/controlRegs';
import { CR0_PE, EFER_LMA, EFLAGS_VM } from '../emulator/cpu/modes';
import { loadSegment } from '../emulator/cpu/segment';
import {
  MSR_APIC_BASE, MSR_CSTAR, MSR_EFER, MSR_FMASK, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_LSTAR,
  MSR_MISC_ENABLE, MSR_PAT, MSR_STAR, MSR_SYSENTER_CS, MSR_SYSENTER_EIP, MSR_SYSENTER_ESP, MSR_TSC, MSR_TSC_AUX,
  baseCanonical, readMsr, readTsc, writeMsr,
} from '../emulator/cpu/msr';
import type { Debuggee } from './debuggee';
import { BIT_FIELDS, BitField, fieldValue, findField, withField } from './bitFields';


export { BIT_FIELDS };
export type { BitField };
export { decodeDescriptor, describeDescriptor } from './descriptors';
export type { DecodedDescriptor } from './descriptors';

type Spec =
  | { k: 'gpr'; reg: number; bits: 8 | 16 | 32 | 64; shift: 0 | 8 }
  | { k: 'rip'; bits: 16 | 32 | 64 }
  | { k: 'rflags'; bits: 16 | 32 | 64 }
  | { k: 'seg'; seg: number }
  | { k: 'segBase' | 'segLimit' | 'segAttr'; seg: number }
  | { k: 'cr'; n: 0 | 2 | 3 | 4 | 8 }
  | { k: 'msr'; index: number; name: string }
  | { k: 'dr'; n: number }
  | { k: 'dtr'; table: 'gdtr' | 'idtr'; part: 'base' | 'limit' };

const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'];
const SEGS: [string, Seg][] = [['es', Seg.ES], ['cs', Seg.CS], ['ss', Seg.SS], ['ds', Seg.DS], ['fs', Seg.FS], ['gs', Seg.GS], ['ldtr', Seg.LDTR], ['tr', Seg.TR]];

/** Canonical name → spec, plus aliases → canonical name. */
const SPECS = new Map<string, Spec>();
const ALIASES = new Map<string, string>();

function add(name: string, spec: Spec, ...aliases: string[]): void {
  SPECS.set(name, spec);
  for (const a of aliases) ALIASES.set(a, name);
}

for (let r = 0; r < 16; r++) {
  const base = r < 8 ? GPR64[r].slice(1) : `${r}`;
  if (r < 8) {
    add(`r${base}`, { k: 'gpr', reg: r, bits: 64, shift: 0 });
    add(`e${base}`, { k: 'gpr', reg: r, bits: 32, shift: 0 });
    add(base, { k: 'gpr', reg: r, bits: 16, shift: 0 });
    // AL CL DL BL AH CH DH BH; SPL BPL SIL DIL (REX forms) — SDM Vol.1 §3.7.2.1.
    if (r < 4) {
      add(`${base[0]}l`, { k: 'gpr', reg: r, bits: 8, shift: 0 });
      add(`${base[0]}h`, { k: 'gpr', reg: r, bits: 8, shift: 8 });
    } else {
      add(`${base}l`, { k: 'gpr', reg: r, bits: 8, shift: 0 });
    }
  } else {
    add(`r${r}`, { k: 'gpr', reg: r, bits: 64, shift: 0 });
    add(`r${r}d`, { k: 'gpr', reg: r, bits: 32, shift: 0 });
    add(`r${r}w`, { k: 'gpr', reg: r, bits: 16, shift: 0 });
    add(`r${r}b`, { k: 'gpr', reg: r, bits: 8, shift: 0 }, `r${r}l`);
  }
}
add('rip', { k: 'rip', bits: 64 }, 'pc');
add('eip', { k: 'rip', bits: 32 });
add('ip', { k: 'rip', bits: 16 });
add('rflags', { k: 'rflags', bits: 64 });
add('eflags', { k: 'rflags', bits: 32 });
add('flags', { k: 'rflags', bits: 16 });
for (const [name, seg] of SEGS) {
  add(name, { k: 'seg', seg });
  if (seg === Seg.FS || seg === Seg.GS) continue;
  add(`${name}_base`, { k: 'segBase', seg });
}
for (const [name, seg] of SEGS) {
  add(`${name}_limit`, { k: 'segLimit', seg });
  add(`${name}_attr`, { k: 'segAttr', seg });
}
add('cr0', { k: 'cr', n: 0 });
add('cr2', { k: 'cr', n: 2 });
add('cr3', { k: 'cr', n: 3 });
add('cr4', { k: 'cr', n: 4 });
add('cr8', { k: 'cr', n: 8 });
const msr = (name: string, index: number, ...aliases: string[]): void => add(name, { k: 'msr', index, name }, ...aliases);
msr('efer', MSR_EFER, 'ia32_efer');
msr('fs_base', MSR_FS_BASE, 'ia32_fs_base', 'fsbase');
msr('gs_base', MSR_GS_BASE, 'ia32_gs_base', 'gsbase');
msr('kernel_gs_base', MSR_KERNEL_GS_BASE, 'ia32_kernel_gs_base', 'kernelgsbase');
msr('star', MSR_STAR, 'ia32_star');
msr('lstar', MSR_LSTAR, 'ia32_lstar');
msr('cstar', MSR_CSTAR, 'ia32_cstar');
msr('fmask', MSR_FMASK, 'sfmask', 'ia32_fmask');
msr('sysenter_cs', MSR_SYSENTER_CS, 'ia32_sysenter_cs');
msr('sysenter_esp', MSR_SYSENTER_ESP, 'ia32_sysenter_esp');
msr('sysenter_eip', MSR_SYSENTER_EIP, 'ia32_sysenter_eip');
msr('apic_base', MSR_APIC_BASE, 'ia32_apic_base');
msr('pat', MSR_PAT, 'ia32_pat');
msr('misc_enable', MSR_MISC_ENABLE, 'ia32_misc_enable');
msr('tsc', MSR_TSC, 'ia32_time_stamp_counter');
msr('tsc_aux', MSR_TSC_AUX, 'ia32_tsc_aux');
for (let n = 0; n < 8; n++) add(`dr${n}`, { k: 'dr', n });
add('gdtr_base', { k: 'dtr', table: 'gdtr', part: 'base' });
add('gdtr_limit', { k: 'dtr', table: 'gdtr', part: 'limit' });
add('idtr_base', { k: 'dtr', table: 'idtr', part: 'base' });
add('idtr_limit', { k: 'dtr', table: 'idtr', part: 'limit' });

/** Every register name readRegister accepts (canonical spellings, lowercase), for completion. */
export const REGISTER_NAMES: readonly string[] = [...SPECS.keys()];

/** The canonical lowercase name of a register (`$EFLAGS` → `eflags`, `%sfmask` → `fmask`), or undefined. */
export function canonicalRegister(name: string): string | undefined {
  const n = name.trim().replace(/^[$%]/, '').toLowerCase();
  if (SPECS.has(n)) return n;
  return ALIASES.get(n);
}

/** The register whose BIT_FIELDS describe `name` (`eflags` → `rflags`), or undefined. */
function fieldRegister(name: string): string | undefined {
  const c = canonicalRegister(name);
  if (c === undefined) return undefined;
  const s = SPECS.get(c);
  if (s?.k === 'rflags') return 'rflags';
  return BIT_FIELDS[c] !== undefined ? c : undefined;
}

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** A register's value (unsigned), or undefined for an unknown name. */
export function readRegister(d: Debuggee, name: string): bigint | undefined {
  const c = canonicalRegister(name);
  if (c === undefined) return undefined;
  const spec = SPECS.get(c) as Spec;
  const cpu = d.cpu;
  switch (spec.k) {
    case 'gpr': return (u64(cpu.lo[spec.reg], cpu.hi[spec.reg]) >> BigInt(spec.shift)) & mask(spec.bits);
    case 'rip': return u64(cpu.ripLo, cpu.ripHi) & mask(spec.bits);
    case 'rflags': return BigInt(rflags(cpu) >>> 0) & mask(spec.bits);
    case 'seg': return BigInt(cpu.segSel[spec.seg]);
    case 'segBase': return u64(cpu.segBaseLo[spec.seg], cpu.segBaseHi[spec.seg]);
    case 'segLimit': return BigInt(cpu.segLimit[spec.seg] >>> 0);
    case 'segAttr': return BigInt(cpu.segAttr[spec.seg] & 0xffff);
    case 'cr':
      switch (spec.n) {
        case 0: return BigInt(cpu.cr0 >>> 0);
        case 2: return u64(cpu.cr2Lo, cpu.cr2Hi);
        case 3: return u64(cpu.cr3Lo, cpu.cr3Hi);
        case 4: return BigInt(cpu.cr4 >>> 0);
        case 8: return BigInt(cpu.cr8 >>> 0);
      }
      break;
    case 'msr': {
      if (spec.index === MSR_TSC) { const lo = readTsc(cpu, 0); return u64(lo, cpu.tmpHi); }
      try {
        const lo = readMsr(cpu, spec.index, 0);
        return u64(lo, cpu.tmpHi);
      } catch (e) {
        if (isCpuFault(e)) return undefined; // an MSR this processor lacks (IA32_TSC_AUX without RDTSCP)
        throw e;
      }
    }
    case 'dr': {
      // DR4/DR5 alias DR6/DR7 when CR4.DE=0 (SDM Vol.3B §18.2.2); with DE=1 they do not exist.
      let n = spec.n;
      if (n === 4 || n === 5) { if ((cpu.cr4 & (1 << 3)) !== 0) return undefined; n += 2; }
      return u64(cpu.drLo[n], cpu.drHi[n]);
    }
    case 'dtr':
      if (spec.table === 'gdtr') return spec.part === 'base' ? u64(cpu.gdtrBaseLo, cpu.gdtrBaseHi) : BigInt(cpu.gdtrLimit & 0xffff);
      return spec.part === 'base' ? u64(cpu.idtrBaseLo, cpu.idtrBaseHi) : BigInt(cpu.idtrLimit & 0xffff);
  }
  return undefined;
}

/** Turns a caught CpuFault into `what would raise #GP(0): why`; rethrows anything else (a bug). */
function faultMessage(e: unknown, what: string): string {
  if (!isCpuFault(e)) throw e;
  const name = VECTOR_NAMES[e.vector] ?? `vector ${e.vector}`;
  const code = e.errorCode >= 0 ? `(0x${e.errorCode.toString(16)})`.replace('(0x0)', '(0)') : '';
  // The emulator's details start with the instruction ("mov to CR4: …"); keep only the reason.
  const colon = e.detail.indexOf(': ');
  const why = colon >= 0 && /^(mov|wrmsr|rdmsr)\b/.test(e.detail) ? e.detail.slice(colon + 2) : e.detail;
  return `${what} would raise ${name}${code}${why === '' ? '' : `: ${why}`}`;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

/**
 * Writes a register. Returns null on success, else a message for the user (state unchanged). Narrow
 * general-register names (eax, ax, al, ah) replace only their bits, as a debugger's register write does
 * (not MOV's zero-extension of 32-bit writes). Negative values are taken as two's complement.
 */
export function writeRegister(d: Debuggee, name: string, value: bigint): string | null {
  const c = canonicalRegister(name);
  if (c === undefined) return `unknown register '${name}'`;
  const spec = SPECS.get(c) as Spec;
  const width = spec.k === 'gpr' || spec.k === 'rip' || spec.k === 'rflags' ? spec.bits : spec.k === 'seg' || spec.k === 'segAttr' || (spec.k === 'dtr' && spec.part === 'limit') ? 16 : 64;
  if (value < -(1n << BigInt(width - 1)) || value > mask(width)) return `${hex(value < 0n ? -value : value)}${value < 0n ? ' (negative)' : ''} does not fit in ${width}-bit ${c}`;
  const v = value & mask(width);
  const lo = Number(v & 0xffffffffn) | 0, hi = Number(v >> 32n) | 0;
  const cpu = d.cpu;
  switch (spec.k) {
    case 'gpr': {
      const m = mask(spec.bits) << BigInt(spec.shift);
      const whole = (u64(cpu.lo[spec.reg], cpu.hi[spec.reg]) & ~m) | (v << BigInt(spec.shift));
      cpu.lo[spec.reg] = Number(whole & 0xffffffffn) | 0;
      cpu.hi[spec.reg] = Number(whole >> 32n) | 0;
      return null;
    }
    case 'rip': {
      const whole = (u64(cpu.ripLo, cpu.ripHi) & ~mask(spec.bits)) | v;
      const wLo = Number(whole & 0xffffffffn) | 0, wHi = Number(whole >> 32n) | 0;
      if (cpu.long64) {
        // A jump to a non-canonical RIP is #GP (SDM Vol.1 §3.3.7.1): the guest could not get there either.
        const shift = 64 - cpu.linearBits;
        if (((wHi << shift) >> shift) !== wHi) return `${hex(whole)} is not a canonical ${cpu.linearBits}-bit address (a jump there would raise #GP(0))`;
      } else if (wHi !== 0) {
        return `${hex(whole)} does not fit in EIP outside 64-bit mode`;
      }
      cpu.ripLo = wLo; cpu.ripHi = wHi;
      cpu.halted = false;
      return changed(d);
    }
    case 'rflags': return writeFlags(d, spec.bits, v);
    case 'seg': return writeSegment(d, spec.seg, lo & 0xffff);
    case 'segBase': case 'segLimit': case 'segAttr':
      return `${c} is the hidden part of the segment register, loaded from its descriptor with the selector: write the selector instead`;
    case 'cr': return writeCr(d, spec.n, lo, hi);
    case 'msr': {
      if (spec.index === MSR_EFER && ((lo ^ cpu.efer) & EFER_LMA) !== 0) {
        return 'EFER.LMA is set and cleared by the processor only, when CR0.PG changes with EFER.LME=1 (SDM Vol.3A §10.8.5); WRMSR ignores it';
      }
      try {
        writeMsr(cpu, spec.index, lo, hi, null);
      } catch (e) {
        return faultMessage(e, `wrmsr ${spec.name.toUpperCase()}`);
      }
      return changed(d);
    }
    case 'dr': return writeDr(d, spec.n, lo, hi);
    case 'dtr': {
      if (spec.part === 'limit') {
        if (spec.table === 'gdtr') cpu.gdtrLimit = lo & 0xffff; else cpu.idtrLimit = lo & 0xffff;
        return changed(d);
      }
      // LGDT/LIDT load a 64-bit base only in 64-bit mode, where it must be canonical (SDM Vol.2A LGDT).
      if ((cpu.efer & EFER_LMA) === 0 && hi !== 0) return `${c} takes 32 bits outside IA-32e mode`;
      if (!baseCanonical(cpu, hi)) return `l${spec.table.slice(0, 3)} would raise #GP(0): ${hex(v)} is not canonical`;
      if (spec.table === 'gdtr') { cpu.gdtrBaseLo = lo; cpu.gdtrBaseHi = hi; } else { cpu.idtrBaseLo = lo; cpu.idtrBaseHi = hi; }
      return changed(d);
    }
  }
}

/** Re-derives mode, paging and the run loop's state after a write that may change them. */
function changed(d: Debuggee): null {
  d.machine.stateChanged();
  d.cpu.attention |= ATTN_MODE | ATTN_IRQ;
  return null;
}

/** Reserved RFLAGS bits: 3, 5, 15 and 63:22 read 0, bit 1 reads 1 (SDM Vol.1 §3.4.3, Figure 3-8). */
const RFLAGS_RESERVED = (1 << 3) | (1 << 5) | (1 << 15);

function writeFlags(d: Debuggee, bits: number, v: bigint): string | null {
  const cpu = d.cpu;
  materialize(cpu);
  const whole = (BigInt(cpu.flags >>> 0) & ~mask(bits)) | v;
  if (whole >> 22n !== 0n) return `RFLAGS bits 63:22 are reserved (SDM Vol.1 §3.4.3): ${hex(whole)}`;
  const f = Number(whole) | 0;
  if ((f & RFLAGS_RESERVED) !== 0) return `RFLAGS bits 3, 5 and 15 are reserved (SDM Vol.1 §3.4.3): ${hex(whole)}`;
  // VM is changed only by IRET and task switches (SDM Vol.3A §20.2.1); setting it here would put the
  // processor in virtual-8086 mode with segment registers that were not loaded for it.
  if (((f ^ cpu.flags) & EFLAGS_VM) !== 0) return 'EFLAGS.VM changes only through IRET or a task switch (SDM Vol.3A §20.2.1): write the flags in a guest IRET frame instead';
  cpu.flags = f | 2;
  return changed(d);
}

function writeSegment(d: Debuggee, seg: number, selector: number): string | null {
  const cpu = d.cpu;
  const name = SEGS[SEGS.findIndex(([, s]) => s === seg)][0].toUpperCase();
  const real = (cpu.cr0 & CR0_PE) === 0 || (cpu.flags & EFLAGS_VM) !== 0;
  if (seg === Seg.LDTR || seg === Seg.TR) return `${name} is loaded by ${seg === Seg.LDTR ? 'LLDT' : 'LTR'} with its descriptor checks; the debugger does not write it`;
  if (seg === Seg.CS) {
    if (!real) return 'CS is loaded only by a far jump, call, return or interrupt (MOV cannot load CS, SDM Vol.2B MOV); set RIP to such an instruction instead';
    // Real-address and virtual-8086 mode: base = selector × 16 (SDM Vol.3A §20.1.1), as a far jump loads it.
    cpu.segSel[Seg.CS] = selector;
    cpu.segBaseLo[Seg.CS] = selector << 4;
    cpu.segBaseHi[Seg.CS] = 0;
    return changed(d);
  }
  // Reading the descriptor may #PF, which sets CR2 when the walk fails (mmu.ts); a refused debugger write
  // must leave CR2 as the guest had it.
  const cr2Lo = cpu.cr2Lo, cr2Hi = cpu.cr2Hi;
  try {
    loadSegment(cpu, seg, selector);
  } catch (e) {
    cpu.cr2Lo = cr2Lo; cpu.cr2Hi = cr2Hi;
    return faultMessage(e, `mov ${name}, 0x${selector.toString(16)}`);
  }
  return changed(d);
}

function writeCr(d: Debuggee, n: 0 | 2 | 3 | 4 | 8, lo: number, hi: number): string | null {
  const cpu = d.cpu;
  // Outside 64-bit mode MOV to CR has a 32-bit source (SDM Vol.2B MOV CR): a wider value cannot be written.
  if (!cpu.long64 && hi !== 0) return `mov to CR${n}: outside 64-bit mode the source has 32 bits`;
  try {
    switch (n) {
      case 0: writeCr0(cpu, lo, hi, null); break;
      case 2: writeCr2(cpu, lo, hi, null); break;
      case 3: writeCr3(cpu, lo, hi, null); break;
      case 4: writeCr4(cpu, lo, hi, null); break;
      case 8: writeCr8(cpu, lo, hi, null); break;
    }
  } catch (e) {
    return faultMessage(e, `mov to CR${n}`);
  }
  return changed(d);
}

function writeDr(d: Debuggee, n: number, lo: number, hi: number): string | null {
  const cpu = d.cpu;
  if (n === 4 || n === 5) {
    // SDM Vol.3B §18.2.2: DR4/DR5 alias DR6/DR7 unless CR4.DE=1, when referencing them is #UD.
    if ((cpu.cr4 & (1 << 3)) !== 0) return `mov to DR${n} would raise #UD: DR${n} is reserved with CR4.DE=1`;
    n += 2;
  }
  if (n >= 6) {
    // Bits 63:32 of DR6/DR7 are reserved (#GP(0)); fixed bits as exec/system.ts movToDr keeps them.
    if (hi !== 0) return `mov to DR${n} would raise #GP(0): reserved bits 63:32 set`;
    cpu.drLo[n] = n === 6 ? (lo & 0xe00f) | (0xffff0ff0 | 0) : (lo & (0xffff23ff | 0)) | 0x400;
    cpu.drHi[n] = 0;
  } else {
    cpu.drLo[n] = lo;
    cpu.drHi[n] = hi;
  }
  return null;
}

/** A named bit field of a register (`cr4`, `la57` → 1n), or undefined when either name is unknown. */
export function readField(d: Debuggee, register: string, field: string): bigint | undefined {
  const r = fieldRegister(register);
  if (r === undefined) return undefined;
  const bf = findField(r, field);
  const whole = readRegister(d, r);
  if (bf === undefined || whole === undefined) return undefined;
  return fieldValue(whole, bf);
}

/**
 * Writes a bit field by writing the whole register with the field replaced, so the register's checks
 * apply (`cr4.la57 = 1` in IA-32e mode reports the #GP MOV to CR4 would raise).
 */
export function writeField(d: Debuggee, register: string, field: string, value: bigint): string | null {
  const r = fieldRegister(register);
  if (r === undefined) return `'${register}' has no named bit fields`;
  const bf = findField(r, field);
  if (bf === undefined) return `${r} has no field '${field}' (fields: ${BIT_FIELDS[r].map((x) => x.name).join(' ')})`;
  if (value < 0n || value > mask(bf.width)) return `${r.toUpperCase()}.${bf.name} is ${bf.width} bit${bf.width > 1 ? 's' : ''} wide: ${hex(value)} does not fit`;
  const whole = readRegister(d, r);
  if (whole === undefined) return `${r} cannot be read here`;
  return writeRegister(d, r, withField(whole, bf, value));
}
