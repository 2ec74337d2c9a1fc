// tableViews.ts: the variables view's Segments, Descriptor tables and Stack scopes — segment registers
// with their hidden descriptor cache (SDM Vol.3A §3.4.3) and the descriptor in memory behind the selector,
// GDT/LDT/IDT entries decoded (descriptors.ts), and the stack's top slots symbolised. Memory is read
// through the Debuggee (no accessed bits, no #PF); the segment selector and stack slot setters write
// through registers.ts and the Debuggee.
import { EFER_LMA, CR0_PE, EFLAGS_VM } from '../emulator/cpu/modes';
import { Seg } from '../emulator/cpu/state';
import type { Debuggee } from './debuggee';
import { DecodedDescriptor, decodeDescriptor, describeDescriptor } from './descriptors';
import { readRegister, writeRegister } from './registers';
import { setter } from './registerViews';
import { Entry, hex, hexPad, named } from './variableTree';

const SEGMENTS: [string, Seg][] = [['CS', Seg.CS], ['DS', Seg.DS], ['ES', Seg.ES], ['FS', Seg.FS], ['GS', Seg.GS], ['SS', Seg.SS]];
/** GDT/LDT entries shown at most (of 8192); IDT vectors are at most 256 anyway. */
const MAX_ENTRIES = 256;
const STACK_SLOTS = 32;

const ro = (name: string, value: string, type?: string): Entry => (type === undefined ? { name, value } : { name, value, type });

/** Selector parts (SDM Vol.3A §3.4.2, Figure 3-6): `index 2, GDT, RPL 0`. */
function selectorText(selector: number): string {
  return `index ${selector >> 3}, ${(selector & 4) !== 0 ? 'LDT' : 'GDT'}, RPL ${selector & 3}`;
}

function ia32e(d: Debuggee): boolean {
  return (d.cpu.efer & EFER_LMA) !== 0;
}

function legacyOrReal(d: Debuggee): boolean {
  return (d.cpu.cr0 & CR0_PE) === 0 || (d.cpu.flags & EFLAGS_VM) !== 0;
}

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** Reads `bytes` at a linear address as little-endian dwords, or the reason it cannot. */
function readDwords(d: Debuggee, linear: bigint, count: number): number[] | string {
  if (linear + BigInt(count * 4) > 2n ** 53n) return `linear ${hex(linear)} is beyond what the view reads`;
  const r = d.readLinear(Number(linear), count * 4);
  if (r.error !== null) return r.error;
  const v = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  return Array.from({ length: count }, (_, k) => v.getUint32(4 * k, true) | 0);
}

/** The descriptor table a selector indexes: GDT, or the LDT LDTR holds. */
function tableOf(d: Debuggee, selector: number): { base: bigint; limit: number; name: string } | string {
  const cpu = d.cpu;
  const wide = ia32e(d);
  if ((selector & 4) === 0) return { base: wide ? u64(cpu.gdtrBaseLo, cpu.gdtrBaseHi) : BigInt(cpu.gdtrBaseLo >>> 0), limit: cpu.gdtrLimit & 0xffff, name: 'GDT' };
  if ((cpu.segSel[Seg.LDTR] & 0xfffc) === 0) return 'LDTR is null';
  return { base: wide ? u64(cpu.segBaseLo[Seg.LDTR], cpu.segBaseHi[Seg.LDTR]) : BigInt(cpu.segBaseLo[Seg.LDTR] >>> 0), limit: cpu.segLimit[Seg.LDTR] >>> 0, name: 'LDT' };
}

/** Children for a decoded descriptor: every field, read-only (edit the table in the memory view). */
function descriptorFields(d: Debuggee, x: DecodedDescriptor): Entry[] {
  const out: Entry[] = [ro('type', `${x.type} (${x.typeName})`, 'SDM Vol.3A Table 3-1 / 3-2'), ro('S', x.s ? '1 (code/data)' : '0 (system)'), ro('DPL', String(x.dpl)), ro('P', x.p ? '1' : '0')];
  if (x.kind === 'gate') {
    if (x.selector !== undefined) out.push(ro('selector', `${hexPad(x.selector, 4)} (${selectorText(x.selector)})`));
    if (x.offset !== undefined) {
      const off: Entry = ro('offset', `${hexPad(x.offset, x.offset > 0xffffffffn ? 16 : 8)}${symbolText(d, x.offset)}`);
      if (x.offset < 2n ** 53n) off.memoryReference = hex(x.offset);
      out.push(off);
    }
    if (x.ist !== undefined) out.push(ro('IST', String(x.ist), 'interrupt stack table slot (0: none), SDM Vol.3A §6.14.5'));
    if (x.paramCount !== undefined) out.push(ro('param count', String(x.paramCount)));
    return out;
  }
  out.push(ro('base', hex(x.base)), ro('limit', hex(x.limit), `raw ${hex(x.rawLimit)}${x.g ? ' × 4 KiB + 0xfff (G=1)' : ''}`),
    ro('G', x.g ? '1' : '0'), ro('D/B', x.db ? '1' : '0'), ro('L', x.l ? '1' : '0'), ro('AVL', x.avl ? '1' : '0'));
  return out;
}

/** How far past the program's last label a value is still taken as pointing into it. */
const PAST_LAST_LABEL = 0x1000;

/**
 * ` <label+0x10>` for a value that points into the program — between two labels, or just past the last
 * one — else '' (a small constant on the stack is not `start+0x42ef`).
 */
function symbolText(d: Debuggee, value: bigint): string {
  if (value >= 2n ** 53n) return '';
  const s = d.symbols.symbolize(Number(value));
  if (s === null) return '';
  const labels = d.symbols.labels;
  const last = labels.length === 0 ? 0 : labels[labels.length - 1].value;
  if (d.symbols.original(Number(value)).address >= last && s.offset > PAST_LAST_LABEL) return '';
  return ` <${d.symbols.format(Number(value))}>`;
}

/** One table entry as an Entry: raw value, summary as its type, decoded fields as children. */
function descriptorEntry(d: Debuggee, name: string, lo: number, hi: number, upper?: { lo: number; hi: number }): Entry {
  const x = decodeDescriptor(lo, hi, upper);
  const raw = upper === undefined ? hexPad(u64(lo, hi), 16) : `${hexPad(u64(upper.lo, upper.hi), 16)}:${hexPad(u64(lo, hi), 16)}`;
  const empty = lo === 0 && hi === 0 && (upper === undefined || (upper.lo === 0 && upper.hi === 0));
  if (empty) return { name, value: `${raw} (null)` };
  return { name, value: `${raw} ${describeDescriptor(x)}`, type: x.typeName, children: named(() => descriptorFields(d, x)) };
}

/** A 16-byte system descriptor in IA-32e mode: LDT, TSS and call-gate types (SDM Vol.3A §3.5, §7.2.3). */
function isWideSystem(hi: number): boolean {
  const type = (hi >>> 8) & 0xf;
  return ((hi >>> 12) & 1) === 0 && (type === 2 || type === 9 || type === 11 || type === 12);
}

function segmentEntry(d: Debuggee, label: string, seg: Seg): Entry {
  const cpu = d.cpu;
  const sel = cpu.segSel[seg];
  const base = u64(cpu.segBaseLo[seg], cpu.segBaseHi[seg]);
  const attr = cpu.segAttr[seg] & 0xffff;
  const limit = cpu.segLimit[seg] >>> 0;
  // The hidden part as a descriptor: attr is descriptor bits 40–55 (SDM Vol.3A §3.4.5, Figure 3-8).
  // In IA-32e mode LDTR and TR hold 16-byte system descriptors: name their types from that column.
  const system = seg === Seg.LDTR || seg === Seg.TR;
  const cache = decodeDescriptor(0, attr << 8, system && ia32e(d) ? { lo: 0, hi: 0 } : undefined);
  const summary = legacyOrReal(d) ? `base=${hex(base)}` : `${selectorText(sel)}, base=${hex(base)} limit=${hex(limit)}`;
  const children = (): Entry[] => {
    const out: Entry[] = [
      ro('base', hex(base), 'hidden descriptor cache (SDM Vol.3A §3.4.3)'),
      ro('limit', hex(limit), 'in bytes, scaled by G'),
      ro('type', `${cache.type} (${cache.typeName})`),
      ro('S', cache.s ? '1' : '0'), ro('DPL', String(cache.dpl)), ro('P', cache.p ? '1' : '0'),
      ro('L', cache.l ? '1' : '0', '64-bit code segment'), ro('D/B', cache.db ? '1' : '0', 'default size 32 / big'),
      ro('G', cache.g ? '1' : '0'), ro('AVL', cache.avl ? '1' : '0'),
    ];
    if (!legacyOrReal(d) && (sel & 0xfffc) !== 0) {
      out.push(tableDescriptor(d, sel, system));
      if (seg === Seg.TR) out.push(tssEntry(d, base, cache.type));
    }
    return out;
  };
  const name = label.toLowerCase();
  const e: Entry = { name: label, value: `${hexPad(sel, 4)} (${summary})`, evaluateName: `$${name}`, children: named(children) };
  if (seg !== Seg.LDTR && seg !== Seg.TR) e.set = setter(d, label, 16, (v) => writeRegister(d, name, v));
  return e;
}

/** The descriptor in the GDT/LDT that a selector names, as stored in memory now (it may differ from the cache). */
function tableDescriptor(d: Debuggee, selector: number, system: boolean): Entry {
  const t = tableOf(d, selector);
  const label = `descriptor in memory`;
  if (typeof t === 'string') return ro(label, `<${t}>`);
  const index = selector & 0xfff8;
  const wide = system && ia32e(d);
  if (index + (wide ? 15 : 7) > t.limit) return ro(label, `<${t.name} index ${selector >> 3} beyond the limit ${hex(t.limit)}>`);
  const w = readDwords(d, t.base + BigInt(index), wide ? 4 : 2);
  if (typeof w === 'string') return ro(label, `<${w}>`);
  return descriptorEntry(d, `${label} (${t.name}[${selector >> 3}])`, w[0], w[1], wide ? { lo: w[2], hi: w[3] } : undefined);
}

/** TSS fields as [name, byte offset, bytes]: 64-bit (SDM Vol.3A §8.7, Figure 8-11), 32-bit (§8.2.1, Figure 8-2). */
const TSS64: [string, number, number][] = [
  ['RSP0', 4, 8], ['RSP1', 12, 8], ['RSP2', 20, 8],
  ...[1, 2, 3, 4, 5, 6, 7].map((n): [string, number, number] => [`IST${n}`, 36 + 8 * (n - 1), 8]),
  ['I/O map base', 102, 2],
];
const TSS32: [string, number, number][] = [
  ['previous task link', 0, 2], ['ESP0', 4, 4], ['SS0', 8, 2], ['ESP1', 12, 4], ['SS1', 16, 2], ['ESP2', 20, 4], ['SS2', 24, 2],
  ['CR3', 28, 4], ['EIP', 32, 4], ['EFLAGS', 36, 4], ['EAX', 40, 4], ['ECX', 44, 4], ['EDX', 48, 4], ['EBX', 52, 4],
  ['ESP', 56, 4], ['EBP', 60, 4], ['ESI', 64, 4], ['EDI', 68, 4], ['ES', 72, 2], ['CS', 76, 2], ['SS', 80, 2],
  ['DS', 84, 2], ['FS', 88, 2], ['GS', 92, 2], ['LDT', 96, 2], ['I/O map base', 102, 2],
];

/** The task-state segment TR points at, read from memory: the stacks interrupts switch to. */
function tssEntry(d: Debuggee, base: bigint, type: number): Entry {
  const wide = ia32e(d);
  // Types 9 and 11 are the 32-bit TSS (64-bit in IA-32e mode); 1 and 3 the 16-bit one, not decoded here.
  if (type !== 9 && type !== 11) return ro('TSS', '<16-bit TSS: not decoded>');
  const layout = wide ? TSS64 : TSS32;
  if (base + 104n > 2n ** 53n) return ro('TSS', '<beyond the readable range>');
  const r = d.readLinear(Number(base), 104);
  if (r.error !== null) return ro('TSS', `<${r.error}>`);
  const view = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  const list = (): Entry[] => layout.map(([name, offset, size]) => {
    const v = size === 8 ? view.getBigUint64(offset, true) : BigInt(size === 4 ? view.getUint32(offset, true) : view.getUint16(offset, true));
    const e: Entry = { name, value: hexPad(v, size * 2), type: `TSS+${hex(offset)}` };
    if (size === 8 && v !== 0n && v < 2n ** 53n && d.translate(Number(v)).physical !== null) e.memoryReference = hex(v);
    return e;
  });
  return { name: 'TSS', value: `${wide ? '64' : '32'}-bit TSS at ${hex(base)}`, memoryReference: hex(base), children: named(list) };
}

export function segmentScope(d: Debuggee): Entry[] {
  const out = SEGMENTS.map(([label, seg]) => segmentEntry(d, label, seg));
  out.push(segmentEntry(d, 'LDTR', Seg.LDTR), segmentEntry(d, 'TR', Seg.TR));
  return out;
}

/** GDT or LDT entries: each 8 bytes, or 16 for IA-32e system descriptors (whose upper half is then skipped). */
function tableEntries(d: Debuggee, base: bigint, limit: number): Entry['children'] {
  const count = Math.min(Math.floor((limit + 1) / 8), MAX_ENTRIES);
  let words: number[] | string | null = null;
  const load = (): number[] | string => (words ??= readDwords(d, base, count * 2));
  return {
    kind: 'indexed', count, at: (k: number): Entry => {
      const w = load();
      const name = `[${hexPad(k * 8, 4)}]`;
      if (typeof w === 'string') return ro(name, `<${w}>`);
      // Walk from the start so that the upper half of a 16-byte descriptor is recognised as such.
      for (let j = 0; j < k; j++) {
        if (ia32e(d) && isWideSystem(w[2 * j + 1]) && (w[2 * j] | w[2 * j + 1]) !== 0) {
          if (j + 1 === k) return ro(name, `${hexPad(u64(w[2 * k], w[2 * k + 1]), 16)} (upper half of [${hexPad(j * 8, 4)}])`);
          j++;
        }
      }
      const lo = w[2 * k], hi = w[2 * k + 1];
      const wide = ia32e(d) && isWideSystem(hi) && (lo | hi) !== 0 && k + 1 < count;
      return descriptorEntry(d, name, lo, hi, wide ? { lo: w[2 * k + 2], hi: w[2 * k + 3] } : undefined);
    },
  };
}

/** IDT vectors: 4-byte seg:offset pairs in real mode (the IVT), 8-byte gates, 16-byte gates in IA-32e mode. */
function idtEntries(d: Debuggee): Entry['children'] {
  const cpu = d.cpu;
  const real = (cpu.cr0 & CR0_PE) === 0;
  const size = real ? 4 : ia32e(d) ? 16 : 8;
  const base = ia32e(d) ? u64(cpu.idtrBaseLo, cpu.idtrBaseHi) : BigInt(cpu.idtrBaseLo >>> 0);
  const count = Math.min(Math.floor(((cpu.idtrLimit & 0xffff) + 1) / size), 256);
  let words: number[] | string | null = null;
  const load = (): number[] | string => (words ??= readDwords(d, base, (count * size) / 4));
  return {
    kind: 'indexed', count, at: (k: number): Entry => {
      const w = load();
      const name = `[${hex(k)}]`;
      if (typeof w === 'string') return ro(name, `<${w}>`);
      if (real) {
        // SDM Vol.3A §20.1.4: each IVT entry is offset (low word) then segment.
        const off = w[k] & 0xffff, seg = w[k] >>> 16;
        const linear = seg * 16 + off;
        const e = ro(name, `${seg.toString(16).padStart(4, '0')}:${off.toString(16).padStart(4, '0')}${symbolText(d, BigInt(linear))}`, 'real-mode interrupt vector (segment:offset)');
        e.memoryReference = hex(linear);
        return e;
      }
      const at = (k * size) / 4;
      return descriptorEntry(d, name, w[at], w[at + 1], size === 16 ? { lo: w[at + 2], hi: w[at + 3] } : undefined);
    },
  };
}

export function descriptorTableScope(d: Debuggee): Entry[] {
  const cpu = d.cpu;
  const wide = ia32e(d);
  const gdtBase = wide ? u64(cpu.gdtrBaseLo, cpu.gdtrBaseHi) : BigInt(cpu.gdtrBaseLo >>> 0);
  const idtBase = wide ? u64(cpu.idtrBaseLo, cpu.idtrBaseHi) : BigInt(cpu.idtrBaseLo >>> 0);
  const gdtLimit = cpu.gdtrLimit & 0xffff, idtLimit = cpu.idtrLimit & 0xffff;
  const dtr = (label: string, name: 'gdtr' | 'idtr', base: bigint, limit: number, entries: Entry['children']): Entry => ({
    name: label,
    value: `base=${hex(base)} limit=${hex(limit)}`,
    children: named(() => [
      { name: 'base', value: hex(base), evaluateName: `$${name}_base`, set: setter(d, `${label}.base`, 64, (v) => writeRegister(d, `${name}_base`, v)), ...mem(base) },
      { name: 'limit', value: hex(limit), evaluateName: `$${name}_limit`, set: setter(d, `${label}.limit`, 16, (v) => writeRegister(d, `${name}_limit`, v)) },
      { name: 'entries', value: '', children: entries },
    ]),
  });
  const out = [dtr('GDTR', 'gdtr', gdtBase, gdtLimit, tableEntries(d, gdtBase, gdtLimit)), dtr('IDTR', 'idtr', idtBase, idtLimit, idtEntries(d))];
  const ldtSel = cpu.segSel[Seg.LDTR];
  const ldtBase = wide ? u64(cpu.segBaseLo[Seg.LDTR], cpu.segBaseHi[Seg.LDTR]) : BigInt(cpu.segBaseLo[Seg.LDTR] >>> 0);
  const ldt = segmentEntry(d, 'LDTR', Seg.LDTR);
  if ((ldtSel & 0xfffc) !== 0 && !legacyOrReal(d)) {
    const own = ldt.children;
    ldt.children = named(() => [...(own?.kind === 'named' ? own.list() : []), { name: 'entries', value: '', children: tableEntries(d, ldtBase, cpu.segLimit[Seg.LDTR] >>> 0) }]);
  }
  out.push(ldt, segmentEntry(d, 'TR', Seg.TR));
  return out;
}

function mem(linear: bigint): { memoryReference?: string } {
  return linear < 2n ** 53n ? { memoryReference: hex(linear) } : {};
}

/** The top STACK_SLOTS slots at SS:RSP in the stack's width (SDM Vol.3A §6.2.3: SS.B, 64 in 64-bit mode). */
export function stackScope(d: Debuggee): Entry[] {
  const cpu = d.cpu;
  const bytes = cpu.stackSize / 8;
  const reg = cpu.stackSize === 64 ? 'rsp' : cpu.stackSize === 32 ? 'esp' : 'sp';
  const sp = readRegister(d, reg) ?? 0n;
  const out: Entry[] = [];
  for (let k = 0; k < STACK_SLOTS; k++) {
    const offset = sp + BigInt(k * bytes);
    // Outside 64-bit mode the offset wraps at the stack width and the segment base is added.
    const linear = cpu.long64 ? offset : (BigInt(cpu.segBaseLo[Seg.SS] >>> 0) + (offset & ((1n << BigInt(cpu.stackSize)) - 1n))) & 0xffffffffn;
    const name = k === 0 ? `[${reg}]` : `[${reg}+${hex(k * bytes)}]`;
    if (linear >= 2n ** 53n) { out.push(ro(name, '<beyond the readable range>')); break; }
    const v = d.readValue(Number(linear), bytes);
    if (v === null) {
      const t = d.translate(Number(linear));
      out.push(ro(name, `<${t.physical === null ? t.reason : 'unreadable'}>`));
      break;
    }
    out.push({
      name,
      value: `${hexPad(v, bytes * 2)}${symbolText(d, v)}`,
      type: `${bytes * 8}-bit stack slot at linear ${hex(linear)}`,
      memoryReference: hex(linear),
      set: setter(d, name, bytes * 8, (x) => writeStack(d, Number(linear), bytes, x)),
    });
  }
  return out;
}

function writeStack(d: Debuggee, linear: number, bytes: number, value: bigint): string | null {
  const bits = BigInt(bytes * 8);
  if (value < -(1n << (bits - 1n)) || value >= 1n << bits) return `${hex(value)} does not fit in a ${bytes * 8}-bit stack slot`;
  let v = value & ((1n << bits) - 1n);
  const out = new Uint8Array(bytes);
  for (let k = 0; k < bytes; k++) { out[k] = Number(v & 0xffn); v >>= 8n; }
  const r = d.writeLinear(linear, out);
  return r.error;
}
