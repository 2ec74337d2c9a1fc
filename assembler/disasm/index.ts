// disasm/index.ts: the disassembler API — decodes a byte buffer with the emulator's decoder and formats
// each instruction as GNU objdump -d does (AT&T or, like `objdump -M intel`, Intel syntax), with branch
// targets and RIP-relative operands named after the nearest preceding symbol, as objdump prints them.
import { decode, BAD, TOO_LONG } from '../../emulator/cpu/decode';
import { EaKind, Insn } from '../../emulator/cpu/insn';
import { CodeSize } from '../../emulator/cpu/state';
import { CpuFeatures, FEATURE_BITS } from '../../emulator/cpu/features';
import { FORMS } from '../../emulator/isa/table';
import { Loc } from '../../emulator/isa/form';
import { formatAtt } from './att';
import { formatIntel } from './intel';

export type Syntax = 'att' | 'intel';
export type Bits = 16 | 32 | 64;

export interface DisasmSymbol {
  name: string;
  address: number;
}

export interface DisasmOptions {
  /** Code size: 64 (default), 32 or 16. */
  bits?: Bits;
  /** Address of bytes[0] (default 0). */
  start?: number;
  /** att (default) or intel. */
  syntax?: Syntax;
  /** Symbols for branch targets and RIP-relative comments (`call 1234 <f+0x10>`). */
  symbols?: DisasmSymbol[];
  /** Print runs of zero bytes as `...` the way objdump does without -z (8 or more, 3 or more at the end). */
  skipZeroes?: boolean;
}

export interface DisasmLine {
  address: number;
  bytes: Uint8Array;
  /** Prefixes and mnemonic, e.g. `lock addl` or `rex.W ret`. */
  mnemonic: string;
  /** Operands, e.g. `$0x1,(%rax)`; '' when there are none. */
  operands: string;
  /** objdump's trailing comment without the `# ` (RIP-relative targets), or ''. */
  comment: string;
  /** objdump's text for the instruction, whitespace as objdump prints it (mnemonic padded to 6). */
  text: string;
  /** The bytes do not form an instruction the decoder knows: text is `(bad)`. */
  bad: boolean;
  /** A run of zero bytes objdump leaves out (`...`). */
  skipped?: boolean;
}

const SIZE: Record<Bits, CodeSize> = { 16: CodeSize.Bits16, 32: CodeSize.Bits32, 64: CodeSize.Bits64 };
// A disassembler decodes every instruction it knows, as objdump does, whatever CPUID would say.
const features = new CpuFeatures(FEATURE_BITS.map((f) => f.name));

/** Looks up the symbol objdump would name an address after: the nearest one at or below it. */
export class SymbolTable {
  private readonly sorted: DisasmSymbol[];

  constructor(symbols: readonly DisasmSymbol[]) {
    // Stable by address; at one address objdump names the first-defined symbol.
    this.sorted = [...symbols].sort((a, b) => a.address - b.address);
  }

  get empty(): boolean {
    return this.sorted.length === 0;
  }

  /** The symbol defined at exactly this address, if any. */
  at(address: number): DisasmSymbol | undefined {
    return this.sorted.find((s) => s.address === address);
  }

  /** `1234 <sym+0x10>` as objdump prints an address with symbols; `0x1234` without. */
  name(address: number): string {
    let best: DisasmSymbol | undefined;
    for (const s of this.sorted) {
      if (s.address > address) break;
      if (best === undefined || s.address > best.address) best = s;
    }
    if (!best) return this.empty ? '0x' + address.toString(16) : address.toString(16);
    const off = address - best.address;
    return `${address.toString(16)} <${best.name}${off ? '+0x' + off.toString(16) : ''}>`;
  }
}

function pair(lo: number, hi: number): number {
  return (hi >>> 0) * 0x100000000 + (lo >>> 0);
}

/** Splits AT&T text into the prefix/mnemonic words and the operands (operand words start with % $ * ( - or a digit). */
function splitAtt(text: string): [string, string] {
  const k = text.lastIndexOf(' ');
  if (k < 0) return [text, ''];
  const last = text.slice(k + 1);
  return /^[%$*(\-0-9]/.test(last) ? [text.slice(0, k), last] : [text, ''];
}

/** objdump's layout: the mnemonic padded to 6 columns and a space before operands; the comment after 8 spaces. */
export function layout(mnemonic: string, operands: string, comment: string): string {
  let s = operands ? `${mnemonic.padEnd(6)} ${operands}` : mnemonic;
  if (comment) s += `        # ${comment}`;
  return s;
}

/** Decodes one instruction at `offset` of `bytes` (address `address`). */
export function decodeOne(bytes: ArrayLike<number>, offset: number, address: number, bits: Bits): Insn {
  const i = new Insn(() => undefined, FORMS[0]);
  const lo = address | 0;
  const hi = bits === 64 ? Math.floor(address / 0x100000000) | 0 : 0;
  decode({ byte: (k) => bytes[offset + k] ?? 0 }, SIZE[bits], lo, hi, features, i);
  return i;
}

/** Disassembles `bytes` as objdump -d does: one line per instruction, `(bad)` for one undecodable byte. */
export function disassemble(bytes: Uint8Array, options: DisasmOptions = {}): DisasmLine[] {
  const bits = options.bits ?? 64;
  const start = options.start ?? 0;
  const syntax = options.syntax ?? 'att';
  const symbols = new SymbolTable(options.symbols ?? []);
  const out: DisasmLine[] = [];
  let off = 0;
  const starts = (options.symbols ?? []).map((x) => x.address - start).filter((a) => a > 0).sort((a, b) => a - b);
  while (off < bytes.length) {
    const address = start + off;
    if (options.skipZeroes && bytes[off] === 0) {
      // objdump's disassemble_bytes: zeros up to the next symbol; 8 or more, or 3 or more reaching the end.
      const stop = Math.min(bytes.length, starts.find((a) => a > off) ?? bytes.length);
      let z = off;
      while (z < stop && bytes[z] === 0) z++;
      if (z - off >= 8 || z === bytes.length && z - off >= 3) {
        if (z !== bytes.length) z = off + ((z - off) & ~3);
        out.push({ address, bytes: bytes.subarray(off, z), mnemonic: '...', operands: '', comment: '', text: '...', bad: false, skipped: true });
        off = z;
        continue;
      }
    }
    const folded = foldWait(bytes, off, address, bits, syntax, symbols);
    if (folded) {
      out.push(folded);
      off += folded.bytes.length;
      continue;
    }
    const i = decodeOne(bytes, off, address, bits);
    if (i.form === BAD || i.form === TOO_LONG || off + i.len > bytes.length) {
      out.push({ address, bytes: bytes.subarray(off, off + 1), mnemonic: '(bad)', operands: '', comment: '', text: '(bad)', bad: true });
      off++;
      continue;
    }
    const ib = bytes.subarray(off, off + i.len);
    out.push(formatInsn(i, ib, address, bits, syntax, symbols));
    off += i.len;
  }
  return out;
}

const LEGACY_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/**
 * WAIT (9B) before an x87 instruction (opcode D8–DF) is one line in objdump, as GNU as writes the waiting
 * forms: `9b db e3` is `finit`, `9b d9 e8` just `fld1` (binutils i386-dis.c ckprefix: 9B is read as a
 * prefix, and ends the prefixes when others came before it). The processor still runs WAIT and the x87
 * instruction one after the other (SDM Vol.1 §8.3.11); only the listing joins them. Null when the bytes
 * at `off` are not such a pair.
 */
function foldWait(bytes: Uint8Array, off: number, address: number, bits: Bits, syntax: Syntax, symbols: SymbolTable): DisasmLine | null {
  let k = off, wait = false, seen = false;
  const rest: number[] = [];
  while (k < bytes.length && k - off < 15) {
    const b = bytes[k];
    if (b === 0x9b) {
      wait = true;
      k++;
      if (seen) break;
      seen = true;
    } else if (LEGACY_PREFIXES.has(b) || bits === 64 && (b & 0xf0) === 0x40) {
      rest.push(b);
      seen = true;
      k++;
    } else break;
  }
  if (!wait || k >= bytes.length || bytes[k] < 0xd8 || bytes[k] > 0xdf) return null;
  const skipped = k - off - rest.length; // the 9B bytes
  const virt = Uint8Array.from([...rest, ...bytes.subarray(k, Math.min(bytes.length, k + 15))]);
  const i = decodeOne(virt, 0, address + skipped, bits);
  if (i.form === BAD || i.form === TOO_LONG || i.len > virt.length) return null;
  const line = formatInsn(i, virt.subarray(0, i.len), address + skipped, bits, syntax, symbols, true);
  return { ...line, address, bytes: bytes.subarray(off, off + skipped + i.len) };
}

/** Formats a decoded instruction (its bytes, address) as one disassembly line; `wait`: a WAIT came first. */
export function formatInsn(i: Insn, ib: Uint8Array, address: number, bits: Bits, syntax: Syntax, symbols: SymbolTable, wait = false): DisasmLine {
  const form = i.form;
  let mnemonic: string, operands: string;
  if (syntax === 'intel') [mnemonic, operands] = formatIntel(i, form, { mode: bits, bytes: ib, wait });
  else [mnemonic, operands] = splitAtt(formatAtt(i, form, { mode: bits, bytes: ib, wait }));
  // A relative branch target: objdump names it after a symbol when it has any.
  if (form.operands.some((o) => o.loc === Loc.Rel)) {
    const target = pair(i.targetLo, i.targetHi);
    const h = '0x' + target.toString(16);
    const k = operands.lastIndexOf(h);
    if (k >= 0 && k + h.length === operands.length) operands = operands.slice(0, k) + symbols.name(target);
  }
  let comment = '';
  const mem = form.operands.some((o) => o.loc === Loc.Mem || o.loc === Loc.MemFar || ((o.loc === Loc.Rm || o.loc === Loc.XmmRm) && i.mod !== 3));
  if (bits === 64 && mem && i.ea === EaKind.Abs && i.mod === 0 && (i.rm & 7) === 5) {
    // RIP-relative: objdump adds the address the operand refers to (SDM Vol.2 §2.2.1.6).
    let target = pair(i.dispLo, i.dispHi);
    if (i.addrSize === 32) target %= 0x100000000;
    comment = symbols.name(target);
  }
  return { address, bytes: ib, mnemonic, operands, comment, text: layout(mnemonic, operands, comment), bad: false };
}

/** Bytes as objdump prints them: two hex digits and a space each. */
export function hexBytes(bytes: ArrayLike<number>): string {
  let s = '';
  for (let k = 0; k < bytes.length; k++) s += bytes[k].toString(16).padStart(2, '0') + ' ';
  return s;
}

/**
 * How objdump -d lays out addresses: the section's end address in `digits` hex digits, less its leading
 * zeros in chunks of 4 (one zero always kept); the remaining leading zeros print as spaces.
 */
export function addressWidth(end: number, digits: number): number {
  const buf = end.toString(16).padStart(digits, '0');
  let skip = 0;
  while (buf[skip] === '0') skip++;
  if (skip === buf.length && end !== 0) skip = 0;
  if (skip !== 0) skip = (skip - 1) & -4;
  return digits - skip;
}

/**
 * objdump -d's lines for `lines`: `addr:\tbytes\ttext`, 7 bytes per line (continuation lines carry the
 * rest) or all of them with `wide` (-w); a `<sym>:` header before each symbol's first instruction.
 * `addrDigits` is 16 for a 64-bit object, 8 for a 32-bit one.
 */
export function objdumpLines(lines: DisasmLine[], opts: { wide?: boolean; symbols?: DisasmSymbol[]; addrDigits?: number } = {}): string[] {
  const out: string[] = [];
  const symbols = new SymbolTable(opts.symbols ?? []);
  const digits = opts.addrDigits ?? 16;
  const last = lines.at(-1);
  const width = addressWidth(last ? last.address + last.bytes.length : 0, digits);
  const addr = (a: number) => a.toString(16).padStart(width, ' ');
  for (const l of lines) {
    const s = symbols.at(l.address);
    if (s) out.push('', `${l.address.toString(16).padStart(digits, '0')} <${s.name}>:`);
    if (l.skipped) { out.push('\t...'); continue; }
    const per = opts.wide ? Math.max(7, l.bytes.length) : 7;
    out.push(`${addr(l.address)}:\t${hexBytes(l.bytes.subarray(0, per)).padEnd(21)}\t${l.text}`);
    for (let k = per; k < l.bytes.length; k += 7) out.push(`${addr(l.address + k)}:\t${hexBytes(l.bytes.subarray(k, k + 7))}`);
  }
  return out;
}
