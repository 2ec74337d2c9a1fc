// repl.ts: the Debug Console's commands, in the words GDB and Bochs users already type — `x/8gx ADDR`,
// `info registers`, `info tlb`, `pt ADDR`, `disas`, `info gdt|idt|mode|symbols|float|sse`, `p EXPR`, `help` — and
// their completions (DAP `completions` request). A line that is not a command returns null: the session
// then evaluates it as an expression (evaluate.ts). Output is plain text in aligned columns, addresses hex.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { disassemble } from '../assembler/disasm/index';
import type { Debuggee } from './debuggee';
import { codeBitsAt } from './code';
import { evaluate, interpolate } from './evaluate';
import { linearBits, readBytes } from './readMemory';
import { charOf, columns, hex, hexPad, hexWide, signed } from './format';
import { BIT_FIELDS, canonicalRegister, readRegister, REGISTER_NAMES } from './registers';
import { addressArg, addressDigits, isIa32e, symbolOf } from './replArgs';
import { infoDescriptorTable, infoTlb, pageWalk } from './replSystem';
import { infoFloat, infoSse } from './fpuRepl';
import { FPU_REGISTER_NAMES, fpuFields, fpuName, readFpu, XMM_VIEWS } from './fpuRegisters';
import { setFlagNames } from './bitFields';

type Handler = (d: Debuggee, args: string) => string;

/** `info` subcommands: the words accepted (GDB abbreviations included) and what they run. */
const INFO: [string[], Handler][] = [
  [['registers', 'register', 'reg', 'r'], infoRegisters],
  [['tlb'], infoTlb],
  [['gdt'], (d) => infoDescriptorTable(d, 'gdt')],
  [['idt'], (d) => infoDescriptorTable(d, 'idt')],
  [['mode'], infoMode],
  [['float', 'fpu', 'x87'], infoFloat],
  [['sse', 'vector', 'xmm'], infoSse],
  [['symbols'], infoSymbols],
  [['symbol', 'sym'], (d, a) => (a.trim() === '' ? infoSymbols(d, '') : infoSymbol(d, a))],
];

const COMMANDS = ['x/', 'info registers', 'info tlb', 'info gdt', 'info idt', 'info mode', 'info float', 'info sse', 'info symbols', 'info sym', 'pt', 'disas', 'print', 'p', 'help'];

/** Runs a REPL command and returns what to print, or null when `line` is not a command. */
export function replCommand(d: Debuggee, line: string): string | null {
  const text = line.trim();
  try {
    return dispatch(d, text);
  } catch (e) {
    // A JS error here is a bug; the console shows it rather than losing the session.
    return `internal error: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function dispatch(d: Debuggee, text: string): string | null {
  let m = /^x(?:\/(\S*))?(?:\s+(.*))?$/.exec(text);
  if (m) return examine(d, m[1] ?? '', m[2] ?? '');
  m = /^(?:info|i)(?:\s+(\S+)(?:\s+(.*))?)?$/.exec(text);
  if (m) {
    const sub = (m[1] ?? '').toLowerCase();
    if (sub === '') return `info: which? ${INFO.map(([w]) => w[0]).join(', ')}`;
    for (const [words, handler] of INFO) if (words.includes(sub)) return handler(d, m[2] ?? '');
    return `info: unknown subcommand '${m[1]}' (known: ${INFO.map(([w]) => w[0]).join(', ')})`;
  }
  m = /^pt(?:\s+(.*))?$/.exec(text);
  if (m) return pageWalk(d, m[1] ?? '');
  m = /^(?:disas|disassemble)(?:\/(\S+))?(?:\s+(.*))?$/.exec(text);
  if (m) return disas(d, m[1] ?? '', m[2] ?? '');
  m = /^(?:p|print)(?:\/(\S+))?(?:\s+(.*))?$/.exec(text);
  if (m) return print(d, m[1] ?? '', m[2] ?? '');
  if (/^(help|h|\?)$/.test(text)) return HELP;
  return null;
}

// ---- x/Nfu ------------------------------------------------------------------------------------------------

const UNITS: Record<string, number> = { b: 1, h: 2, w: 4, g: 8 };

/** GDB `x/Nfu ADDR` (GDB manual §10.6 "Examining Memory"): count, format x d u o t a c s i, unit b h w g. */
function examine(d: Debuggee, spec: string, arg: string): string {
  const m = /^(\d*)([a-z]*)$/i.exec(spec);
  if (!m) return `x: bad format '/${spec}' (expected /Nfu, e.g. /8gx)`;
  const count = m[1] === '' ? 1 : Number(m[1]);
  if (count < 1 || count > 4096) return `x: count ${m[1]} out of range (1..4096)`;
  let format = 'x', unit = '';
  for (const c of m[2].toLowerCase()) {
    if ('bhwg'.includes(c)) unit = c;
    else if ('xduotacsi'.includes(c)) format = c;
    else return `x: unknown letter '${c}' in '/${spec}' (formats x d u o t a c s i, units b h w g)`;
  }
  if (format === 'i') {
    const at = arg.trim() === '' ? { address: BigInt(d.pc()), physical: false } : addressArg(d, arg, 'x');
    if (typeof at === 'string') return at;
    if (at.physical) return 'x/i: instructions are read at linear addresses (drop phys:)';
    return instructions(d, at.address, count, null);
  }
  const at = addressArg(d, arg, 'x');
  if (typeof at === 'string') return at;
  if (format === 's') return strings(d, at.address, count, at.physical);
  const size = UNITS[unit] ?? (format === 'c' ? 1 : format === 'a' ? 8 : 4);
  const perLine = format === 'c' ? 8 : size === 8 ? 2 : size === 4 ? 4 : 8;
  const lines: string[] = [];
  const digits = addressDigits(d);
  for (let k = 0; k < count; k += perLine) {
    const lineAddress = at.address + BigInt(k * size);
    const n = Math.min(perLine, count - k);
    const r = readBytes(d, lineAddress, n * size, at.physical);
    const label = at.physical ? '' : symbolOf(d, lineAddress);
    const head = `${at.physical ? 'phys:' : ''}${hexPad(lineAddress, digits)}${label === '' ? '' : ' ' + label}:`;
    if ('error' in r) { lines.push(`${head} ${r.error}`); break; }
    const cells: string[] = [];
    for (let j = 0; j < n; j++) {
      let v = 0n;
      for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(r.bytes[j * size + b]);
      cells.push(formatUnit(d, v, size, format));
    }
    lines.push(`${head}\t${cells.join('\t')}`);
  }
  return lines.join('\n');
}

function formatUnit(d: Debuggee, v: bigint, size: number, format: string): string {
  switch (format) {
    case 'd': return signed(v, size).toString();
    case 'u': return v.toString();
    case 'o': return '0' + v.toString(8);
    case 't': return v.toString(2).padStart(size * 8, '0');
    case 'c': return `${signed(v, 1)} '${charOf(Number(v))}'`;
    case 'a': { const s = symbolOf(d, v); return hex(v) + (s === '' ? '' : ' ' + s); }
    default: return hexPad(v, size * 2);
  }
}

function strings(d: Debuggee, address: bigint, count: number, physical: boolean): string {
  const lines: string[] = [];
  let at = address;
  for (let k = 0; k < count; k++) {
    let s = '', n = 0, error = '';
    for (; n < 1024; n++) {
      const r = readBytes(d, at + BigInt(n), 1, physical);
      if ('error' in r) { error = ` <${r.error}>`; break; }
      if (r.bytes[0] === 0) break;
      s += charOf(r.bytes[0]).replace("\\'", "'").replace('"', '\\"');
    }
    const label = physical ? '' : symbolOf(d, at);
    lines.push(`${physical ? 'phys:' : ''}${hexPad(at, addressDigits(d))}${label === '' ? '' : ' ' + label}:\t"${s}"${error}`);
    if (error !== '') break;
    at += BigInt(n + 1);
  }
  return lines.join('\n');
}

// ---- disassembly ------------------------------------------------------------------------------------------

/** Labels for branch targets, at their assembled addresses and at their copies' runtime addresses. */
function disasmSymbols(d: Debuggee): { name: string; address: number }[] {
  const out: { name: string; address: number }[] = [];
  for (const l of d.symbols.labels) {
    const all = d.symbols.runtimeAddresses(l.value);
    out.push({ name: l.name, address: all[0] });
    for (const a of all.slice(1)) out.push({ name: l.name, address: a });
  }
  return out;
}

/** `count` instructions from `linear`, marking the next one to run with `=>` (GDB's marker). */
function instructions(d: Debuggee, linear: bigint, count: number, bitsArg: 16 | 32 | 64 | null, syntax: 'att' | 'intel' = 'att'): string {
  if (linear > BigInt(Number.MAX_SAFE_INTEGER)) return `cannot disassemble at ${hex(linear)}: above 2^53`;
  const start = Number(linear);
  const bits = bitsArg ?? codeBitsAt(d, start);
  const r = readBytes(d, linear, Math.min(count * 15, 65536), false);
  let bytes: Uint8Array, error = '';
  if ('error' in r) {
    // Read what can be read: page by page up to the first that does not translate.
    const partial = d.readLinear(start, Math.min(count * 15, 65536));
    bytes = partial.bytes;
    error = partial.error ?? r.error;
  } else bytes = r.bytes;
  const lines = disassemble(bytes, { bits, start, syntax, symbols: disasmSymbols(d) }).slice(0, count);
  const pc = d.pc();
  const rows: string[][] = [];
  let last = start;
  for (const l of lines) {
    // An instruction cut at the end of what could be read is not shown as (bad).
    if (l.bad && error !== '' && l.address + 15 > start + bytes.length) break;
    const where = d.lines.locate(l.address);
    rows.push([
      l.address === pc ? '=>' : '', hexPad(l.address, addressDigits(d)), symbolOf(d, BigInt(l.address)),
      Array.from(l.bytes, (b) => b.toString(16).padStart(2, '0')).join(' '), l.text,
      where === null ? '' : `${where.file.replace(/^.*[\\/]/, '')}:${where.line}`,
    ]);
    last = l.address + l.bytes.length;
  }
  const out = [`${bits}-bit code at ${hex(start)}${syntax === 'intel' ? ' (Intel syntax)' : ''}:`, columns(rows)];
  if (rows.length < count && error !== '') out.push(`stopped at ${hex(last)}: ${error}`);
  return out.join('\n');
}

/** `disas [ADDR [N]]`, `disas/16|32|64|intel`: N instructions (default 10) from ADDR (default the next one to run). */
function disas(d: Debuggee, options: string, args: string): string {
  let bits: 16 | 32 | 64 | null = null;
  let syntax: 'att' | 'intel' = 'att';
  for (const o of options.split(/[/,]/).filter((x) => x !== '')) {
    if (o === '16' || o === '32' || o === '64') bits = Number(o) as 16 | 32 | 64;
    else if (o === 'intel' || o === 'att') syntax = o;
    else return `disas: unknown option '/${o}' (16, 32, 64, intel, att)`;
  }
  const text = args.trim();
  let count = 10;
  let expr = text;
  if (text !== '' && 'error' in evaluate(d, text)) {
    // `disas lvl5 20`: the last word is the count when the rest is an expression on its own.
    const m = /^(.*\S)\s+(\d+)$/.exec(text);
    if (m && !('error' in evaluate(d, m[1]))) { expr = m[1]; count = Number(m[2]); }
  }
  if (count < 1 || count > 1000) return `disas: count ${count} out of range (1..1000)`;
  const at = expr === '' ? { address: BigInt(d.pc()), physical: false } : addressArg(d, expr, 'disas');
  if (typeof at === 'string') return at;
  if (at.physical) return 'disas: instructions are read at linear addresses (drop phys:)';
  return instructions(d, at.address, count, bits, syntax);
}

// ---- registers ----------------------------------------------------------------------------------------------

const REGS_IA32E = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'eflags',
  'cs', 'ss', 'ds', 'es', 'fs', 'gs', 'fs_base', 'gs_base', 'kernel_gs_base', 'cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer'];
const REGS_LEGACY = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs',
  'cr0', 'cr2', 'cr3', 'cr4', 'efer'];

/** The set bit fields of a register value: `[ LA57 PAE ]`, multi-bit fields as `IOPL=3` when non-zero. */
function fieldsSet(register: string, value: bigint): string | null {
  const c = canonicalRegister(register);
  const fields = c === undefined ? undefined : BIT_FIELDS[c === 'eflags' || c === 'flags' ? 'rflags' : c];
  if (fields === undefined) return null;
  const set: string[] = [];
  for (const f of [...fields].sort((a, b) => b.bit - a.bit)) {
    // Address fields (CR3's table base) read better as the register's hex than as a field.
    if (f.width > 8) continue;
    const v = (value >> BigInt(f.bit)) & ((1n << BigInt(f.width)) - 1n);
    if (v === 0n) continue;
    set.push(f.width === 1 ? f.name : `${f.name}=${hex(v)}`);
  }
  return `[ ${set.join(' ')}${set.length ? ' ' : ''}]`;
}

/** GDB's `info registers [NAME…]`: name, hex, and the natural form (decimal, symbol or flags). */
function infoRegisters(d: Debuggee, args: string): string {
  const names = args.trim() === '' ? (isIa32e(d) ? REGS_IA32E : REGS_LEGACY) : args.trim().split(/[\s,]+/);
  const rows: string[][] = [];
  const errors: string[] = [];
  for (const name of names) {
    const v = readRegister(d, name);
    if (v === undefined) {
      // x87/SSE registers by name (`i r fcw st0 xmm1`), as GDB's `info registers` takes them.
      const x = readFpu(d, name);
      const fields = fpuFields(name);
      if (x === undefined) { errors.push(`info registers: unknown register '${name}'`); continue; }
      const natural = fields !== undefined ? `[ ${setFlagNames(x.value, fields)} ]` : x.type === 'u128' ? '' : x.display;
      rows.push([name.replace(/^[$%]/, '').toLowerCase(), x.type === 'u128' ? x.display : x.type === 'f80' ? hexWide(x.value, 20) : hex(x.value), natural]);
      continue;
    }
    const bare = name.replace(/^[$%]/, '').toLowerCase();
    const flags = fieldsSet(bare, v);
    let natural: string;
    if (flags !== null) natural = flags;
    else if (/^(r|e)?ip$|^pc$/.test(bare)) natural = `${hex(v)} ${symbolOf(d, BigInt(d.pc()))}`.trim();
    else if (/^(r|e)?[sb]p$/.test(bare)) natural = hex(v);
    else natural = v.toString();
    rows.push([bare, hex(v), natural]);
  }
  return [...(rows.length ? [columns(rows)] : []), ...errors].join('\n');
}

// ---- mode and symbols ---------------------------------------------------------------------------------------

const MODE_WORDS: Record<string, string> = {
  real: 'real-address mode', protected16: 'protected mode, 16-bit code', protected32: 'protected mode, 32-bit code',
  v8086: 'virtual-8086 mode', compat16: 'IA-32e compatibility mode, 16-bit code', compat32: 'IA-32e compatibility mode, 32-bit code',
  long64: 'IA-32e 64-bit mode',
};

function infoMode(d: Debuggee): string {
  const m = d.mode();
  const bit = (reg: string, field: string): string => {
    const v = readRegister(d, reg) ?? 0n;
    const f = BIT_FIELDS[reg].find((x) => x.name === field);
    return f === undefined ? '?' : String((v >> BigInt(f.bit)) & 1n);
  };
  const rows = [
    ['mode', `${m.mode} (${MODE_WORDS[m.mode] ?? m.mode})`],
    ['paging', m.paging],
    ['CPL', String(m.cpl)],
    ['code', `${m.codeBits}-bit, linear addresses ${linearBits(d)} bits`],
    ['controls', `CR0.PE=${bit('cr0', 'PE')} CR0.PG=${bit('cr0', 'PG')} CR4.PAE=${bit('cr4', 'PAE')} CR4.LA57=${bit('cr4', 'LA57')} EFER.LME=${bit('efer', 'LME')} EFER.LMA=${bit('efer', 'LMA')}`],
    ['next', `${hex(d.pc())} ${symbolOf(d, BigInt(d.pc()))}`.trim()],
  ];
  const out = [columns(rows)];
  if (d.history.length) {
    out.push('switches:');
    for (const h of d.history.slice(-8)) {
      out.push(`  ${h.from.mode} · ${h.from.paging} → ${h.to.mode} · ${h.to.paging} via ${h.via} at ${d.symbols.format(h.address)} (instruction ${h.instruction})`);
    }
  }
  return out.join('\n');
}

function infoSymbols(d: Debuggee, filter: string): string {
  const f = filter.trim().toLowerCase();
  const rows: string[][] = [];
  for (const l of d.symbols.labels) {
    if (f !== '' && !l.name.toLowerCase().includes(f)) continue;
    const copies = d.symbols.runtimeAddresses(l.value).slice(1);
    rows.push([hexPad(l.value, addressDigits(d)), l.name, copies.length ? `runs at ${copies.map((c) => hex(c)).join(', ')}` : '']);
  }
  for (const name of d.symbols.constantNames) {
    if (f !== '' && !name.toLowerCase().includes(f)) continue;
    rows.push([hex(d.symbols.value(name) ?? 0), name, 'constant']);
  }
  return rows.length ? columns(rows) : f === '' ? 'no symbols' : `no symbol matches '${filter.trim()}'`;
}

/** GDB's `info symbol ADDR`: the label an address lies in, and its source line. */
function infoSymbol(d: Debuggee, args: string): string {
  const at = addressArg(d, args, 'info symbol');
  if (typeof at === 'string') return at;
  if (at.address > BigInt(Number.MAX_SAFE_INTEGER)) return `no symbol matches ${hex(at.address)}`;
  const a = Number(at.address);
  const s = d.symbols.symbolize(a);
  if (s === null) return `no symbol matches ${hex(a)}`;
  const where = d.lines.locate(a);
  const copy = s.copy ? ` (copy of ${hex(d.symbols.original(a).address)})` : '';
  return `${hex(a)} is ${s.name}${s.offset ? ' + ' + s.offset : ''}${copy}${where ? ` at ${where.file}:${where.line}` : ''}`;
}

// ---- print --------------------------------------------------------------------------------------------------

/** GDB's `p[/f] EXPR`: the value in hex (default), or /x /d /u /t /o /c, or /s (string at the address). */
function print(d: Debuggee, format: string, expr: string): string {
  if (expr.trim() === '') return 'print: missing expression';
  if (format !== '' && !/^[xdutocs]$/.test(format)) return `print: unknown format '/${format}' (x d u t o c s)`;
  const r = evaluate(d, expr);
  if ('error' in r) return r.error;
  const f = format === 'u' ? 'd' : format === 'd' ? 'i' : format === 't' ? 'b' : format;
  if (f === 'o') return '0' + r.value.toString(8);
  if (f === '') return r.display;
  return interpolate(d, `{${expr}:${f}}`);
}

// ---- completions --------------------------------------------------------------------------------------------

const INFO_WORDS = ['registers', 'tlb', 'gdt', 'idt', 'mode', 'float', 'sse', 'vector', 'symbols', 'sym'];

/**
 * DAP `completions`: commands at the start of the line, `info` subcommands after `info`, otherwise
 * registers, bit fields (`cr4.` → `cr4.la57`) and labels. `column` is where the cursor is, 1-based unless
 * the client said columnsStartAt1 = false; each item replaces the word before the cursor.
 */
export function replCompletions(d: Debuggee, text: string, column: number, columnsStartAt1 = true): DebugProtocol.CompletionItem[] {
  const base = columnsStartAt1 ? 1 : 0;
  const cursor = Math.max(0, Math.min(text.length, column - base));
  const before = text.slice(0, cursor);
  const word = /[A-Za-z0-9_.$%@]*$/.exec(before)?.[0] ?? '';
  const start = cursor - word.length;
  const lead = before.slice(0, start).trim();
  const items: DebugProtocol.CompletionItem[] = [];
  const seen = new Set<string>();
  const add = (label: string, type: DebugProtocol.CompletionItemType, detail?: string): void => {
    if (seen.has(label) || !label.toLowerCase().startsWith(word.toLowerCase())) return;
    seen.add(label);
    items.push({ label, type, start: start + base, length: word.length, ...(detail !== undefined ? { detail } : {}) });
  };
  if (/^(info|i)$/.test(lead)) {
    for (const w of INFO_WORDS) add(w, 'keyword');
    return items;
  }
  if (lead === '') for (const c of COMMANDS) add(c, 'keyword');
  const prefix = /^[$%]/.test(word) ? word[0] : '';
  const dot = word.indexOf('.');
  if (dot > 0) {
    const reg = word.slice(prefix.length, dot);
    const c = canonicalRegister(reg);
    const fields = c === undefined ? fpuFields(reg) : BIT_FIELDS[c === 'eflags' || c === 'flags' ? 'rflags' : c];
    for (const f of fields ?? []) add(`${word.slice(0, dot)}.${f.name.toLowerCase()}`, 'property', f.description);
    if (fpuName(reg)?.k === 'xmm') for (const v of Object.keys(XMM_VIEWS)) add(`${word.slice(0, dot)}.${v}[`, 'property', `${128 / XMM_VIEWS[v].bits} lanes`);
  }
  for (const r of REGISTER_NAMES) add(prefix + r, 'variable');
  for (const r of FPU_REGISTER_NAMES) add(prefix + r, 'variable');
  if (prefix === '') {
    for (const l of d.symbols.labels) add(l.name, 'reference', hex(l.value));
    for (const c of d.symbols.constantNames) add(c, 'value', hex(d.symbols.value(c) ?? 0));
  }
  return items;
}

// ---- help ---------------------------------------------------------------------------------------------------

const HELP = `Commands (GDB and Bochs spellings):
  x/Nfu ADDR          examine memory: N units, format f, unit u (GDB)
                        f: x hex  d signed  u unsigned  o octal  t binary  a address  c char  s string  i instruction
                        u: b byte  h halfword (2)  w word (4)  g giant (8)      e.g. x/8gx 0x7000   x/4i $rip   x/s msg
                        ADDR is an expression (linear); phys:ADDR reads physical memory: x/2gx phys:0x7000
  disas [ADDR [N]]    N instructions (default 10) from ADDR (default: the next one), in the code size it ran in
  disas/32 /16 /64    force the code size;  disas/intel  Intel syntax
  p[/f] EXPR          print an expression (p/x p/d p/u p/t p/o p/c p/s)
  info registers [R…] registers (info reg, i r, i r rax cr4); flags and control bits decoded
  info mode           CPU mode, paging mode, CPL, the controls that select them, recent switches
  info float          the x87 stack R7–R0 (=> at TOP) with ST(i), tag, raw bits and value; status, control
                        and tag words decoded; last instruction and operand pointers, opcode (GDB's layout)
  info sse [xmmN…]    MXCSR decoded, XMM registers in hex and as u32/f32/f64 lanes (also: info vector);
                        XMM8–15 are listed in IA-32e mode or when named
  info tlb            the TLB's valid entries: linear page, physical page, size, cached access kinds
  pt ADDR             the page walk of one linear address: each level's table, index, entry and flags,
                        then the physical address or the #PF (with its error code) the access would raise
  info gdt | info idt the descriptor tables (IVT in real mode), raw and decoded
  info symbols [TEXT] labels (and where copied code runs), constants
  info sym ADDR       the label and source line of an address
  help                this text
Anything else is evaluated as an expression.

Expressions (64-bit unsigned: arithmetic wraps modulo 2^64, comparisons are unsigned):
  numbers      0x7c00  0b101  31744  7c00h
  registers    rax eax ax al ah r8d rip rflags cs fs_base cr0 cr3 cr4 efer gdtr_base …   ($rax and %eax work too;
               a bare name is a register first, then a label)
  bit fields   cr4.la57  efer.lma  rflags.zf  cr0.pg  fcw.rc  fsw.top  mxcsr.daz  ftw.tag0  (any case)
  x87/SSE      fcw fsw ftw fop fip fcs fdp fds mxcsr (GDB's fctrl fstat ftag … too)
               st0 … st7 (ST(i), shown as its decimal value; the value is the 80 raw bits)
               xmm0 … xmm15 (128 bits)   xmm0.u32[1]  xmm0.f64[0]  (u8 u16 u32 u64 f32 f64, GDB's v4_int32 …)
  labels       startup_64 (its assembled address)   label@runtime (where a copied label runs)   constants
  far          ds:si  ss:sp  cs:ip (the segment's base + offset)   0x7c0:0x10 (real mode: segment × 16 + offset)
  operators    C precedence: unary - ~ ! ; * / % ; + - ; << >> ; < <= > >= ; == != ; & ; ^ ; | ; && ; ||
  casts        (u32)rax  (i8)al
  memory       *(u64*)ADDR  *(uint32_t*)ADDR  *(i16*)ADDR  *ADDR
               byte|word|dword|qword [ADDR]   (also "qword ptr [ADDR]")   [ADDR]
               *ADDR and [ADDR] read a qword in 64-bit mode, a dword otherwise
               addresses are linear (through the current paging, without setting A/D bits or faulting);
               phys:ADDR as an address reads physical memory: *(u64*)phys:0x7000  qword [phys:0x7000];
               phys:ADDR alone reads the default size there (phys:(a+b) for a sum)
  assignment   rax = 0x7c00   cr4.la57 = 1   qword [rsp] = 0   *(u8*)phys:0xb8000 = 0x41
               fcw.rc = 3   mxcsr = 0x1f80   xmm0.u32[1] = 5   xmm1.f64[0] = 1.5
               (registers and control bits go through the checks of the guest's own MOV: a #GP is
               reported and nothing changes)
  conditions   rax == 0x7c00 && cr4.la57        (breakpoint conditions: non-zero is true)
  logpoints    "CR4={cr4:x} at {rip}": {EXPR} or {EXPR:f}, f = x hex (default) d unsigned i signed b binary
               c character s string at the address; {{ and }} for braces`;
