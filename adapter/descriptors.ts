// descriptors.ts: decodes segment descriptors and gates for the debugger's GDT/LDT/IDT views — code and
// data segments (SDM Vol.3A §3.4.5, Figure 3-8, Table 3-1), system segments and gates (§3.5, Table 3-2),
// and the 16-byte system descriptors and gates of IA-32e mode (§3.5 Figure 7-4 for the TSS/LDT descriptor,
// §5.8.3.1 Figure 5-9 for call gates, §6.14.1 Figure 6-8 for 64-bit IDT gates).
import { hex } from './format';

export interface DecodedDescriptor {
  /** Segment base (64-bit for IA-32e LDT/TSS descriptors); 0 for gates. */
  base: bigint;
  /** The 20-bit limit field as written. */
  rawLimit: number;
  /** Limit in bytes minus one: rawLimit scaled by G (×4096 + 4095). */
  limit: number;
  /** Type field (bits 43:40). */
  type: number;
  typeName: string;
  kind: 'code' | 'data' | 'system' | 'gate' | 'reserved';
  /** S: 1 code/data, 0 system. */
  s: boolean;
  dpl: number;
  p: boolean;
  /** Same as p. */
  present: boolean;
  avl: boolean;
  /** L: 64-bit code segment. */
  l: boolean;
  /** D/B: default operation size 32 (code) or big (stack/expand-down data). */
  db: boolean;
  /** G: limit in 4 KiB units. */
  g: boolean;
  /** Gates: the target code segment (or the TSS for a task gate). */
  selector?: number;
  /** Gates other than task gates: the entry point offset. */
  offset?: bigint;
  /** 64-bit interrupt/trap gates: the interrupt stack table index (0 = none). */
  ist?: number;
  /** Call gates outside IA-32e mode: the parameter count. */
  paramCount?: number;
}

/** Code and data types (S = 1), SDM Vol.3A Table 3-1. */
const CODE_DATA = [
  'data read-only', 'data read-only, accessed', 'data read/write', 'data read/write, accessed',
  'data read-only, expand-down', 'data read-only, expand-down, accessed', 'data read/write, expand-down', 'data read/write, expand-down, accessed',
  'code execute-only', 'code execute-only, accessed', 'code execute/read', 'code execute/read, accessed',
  'code execute-only, conforming', 'code execute-only, conforming, accessed', 'code execute/read, conforming', 'code execute/read, conforming, accessed',
];

/** System types (S = 0) in legacy modes, SDM Vol.3A Table 3-2 (32-bit mode column). */
const SYSTEM_LEGACY = [
  'reserved', '16-bit TSS (available)', 'LDT', '16-bit TSS (busy)', '16-bit call gate', 'task gate',
  '16-bit interrupt gate', '16-bit trap gate', 'reserved', '32-bit TSS (available)', 'reserved',
  '32-bit TSS (busy)', '32-bit call gate', 'reserved', '32-bit interrupt gate', '32-bit trap gate',
];

/** System types (S = 0) in IA-32e mode, SDM Vol.3A Table 3-2 (IA-32e mode column). */
const SYSTEM_IA32E = [
  'reserved', 'reserved', 'LDT', 'reserved', 'reserved', 'reserved', 'reserved', 'reserved', 'reserved',
  '64-bit TSS (available)', 'reserved', '64-bit TSS (busy)', '64-bit call gate', 'reserved',
  '64-bit interrupt gate', '64-bit trap gate',
];

const GATE_TYPES = new Set([4, 5, 6, 7, 12, 14, 15]);

/**
 * Decodes the 8-byte descriptor lo (bits 31:0), hi (bits 63:32). `upper` is bits 127:64 of a 16-byte
 * IA-32e system descriptor or gate: when given, system types are read with Table 3-2's IA-32e column and
 * base/offset bits 63:32 come from upper.lo.
 */
export function decodeDescriptor(lo: number, hi: number, upper?: { lo: number; hi: number }): DecodedDescriptor {
  const type = (hi >>> 8) & 0xf;
  const s = ((hi >>> 12) & 1) === 1;
  const dpl = (hi >>> 13) & 3;
  const p = ((hi >>> 15) & 1) === 1;
  const avl = ((hi >>> 20) & 1) === 1;
  const l = ((hi >>> 21) & 1) === 1;
  const db = ((hi >>> 22) & 1) === 1;
  const g = ((hi >>> 23) & 1) === 1;
  const rawLimit = (lo & 0xffff) | (hi & 0xf0000);
  const limit = g ? rawLimit * 4096 + 4095 : rawLimit;
  const ia32e = upper !== undefined;
  const upperLo = BigInt((upper?.lo ?? 0) >>> 0) << 32n;
  const common = { type, s, dpl, p, present: p, avl, l, db, g, rawLimit, limit };
  if (s) {
    const base = BigInt(((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0);
    return { ...common, base, typeName: CODE_DATA[type], kind: (type & 8) !== 0 ? 'code' : 'data' };
  }
  const typeName = (ia32e ? SYSTEM_IA32E : SYSTEM_LEGACY)[type];
  if (typeName === 'reserved') return { ...common, base: 0n, typeName, kind: 'reserved' };
  if (!GATE_TYPES.has(type)) {
    // LDT and TSS descriptors: a segment base like code/data, widened to 64 bits in IA-32e mode.
    const base = BigInt(((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0) | upperLo;
    return { ...common, base, typeName, kind: 'system' };
  }
  const selector = lo >>> 16;
  if (type === 5) return { ...common, base: 0n, typeName, kind: 'gate', selector };
  const offset = BigInt(((lo & 0xffff) | (hi & 0xffff0000)) >>> 0) | upperLo;
  const gate: DecodedDescriptor = { ...common, base: 0n, typeName, kind: 'gate', selector, offset };
  if (ia32e && (type === 14 || type === 15)) gate.ist = hi & 7;
  if (!ia32e && (type === 4 || type === 12)) gate.paramCount = hi & 0x1f;
  return gate;
}

/** One-line summary: `code execute/read, accessed base=0x0 limit=0xffffffff DPL=0 P G D`. */
export function describeDescriptor(d: DecodedDescriptor): string {
  if (d.kind === 'gate') {
    const target = d.offset === undefined ? `${hex(d.selector ?? 0)}` : `${hex(d.selector ?? 0)}:${hex(d.offset)}`;
    return `${d.typeName} → ${target} DPL=${d.dpl}${d.p ? ' P' : ' not present'}${d.ist ? ` IST=${d.ist}` : ''}`;
  }
  if (d.kind === 'reserved') return `${d.typeName} (type ${d.type})${d.p ? ' P' : ''}`;
  const flags = [d.p ? 'P' : 'not present', d.g ? 'G' : '', d.kind === 'code' && d.l ? 'L' : '', d.db ? (d.kind === 'code' ? 'D' : 'B') : '', d.avl ? 'AVL' : ''];
  return `${d.typeName} base=${hex(d.base)} limit=${hex(d.limit)} DPL=${d.dpl} ${flags.filter((x) => x !== '').join(' ')}`;
}
