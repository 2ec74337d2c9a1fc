// evaluate.ts: the debugger's expression language — watch expressions, hovers, the REPL, conditional
// breakpoints and logpoints. Values are unsigned 64-bit (arithmetic wraps modulo 2^64, comparisons are
// unsigned). Memory reads go through readMemory.ts: no accessed/dirty bits, no #PF, no CR2.
// Never throws: a bad expression yields `{ error }` naming the problem and its 1-based column.
//
// Grammar (C precedence, loosest first):
//   expr    := or
//   or      := and ('||' and)*          and := bitor ('&&' bitor)*
//   bitor   := xor ('|' xor)*           xor := bitand ('^' bitand)*       bitand := eq ('&' eq)*
//   eq      := rel (('=='|'!=') rel)*   rel := shift (('<'|'<='|'>'|'>=') shift)*
//   shift   := add (('<<'|'>>') add)*   add := mul (('+'|'-') mul)*       mul := unary (('*'|'/'|'%') unary)*
//   unary   := ('-'|'~'|'!'|'+') unary | '*' '(' TYPE '*'? ')' place | '*' place | '(' TYPE ')' unary
//            | SIZE 'ptr'? '[' place ']' | '[' place ']' | 'phys' ':' unary | primary
//   place   := 'phys' ':' unary | expr          (a linear address, or a physical one after phys:)
//   primary := NUMBER | REGISTER | REGISTER '.' FIELD | LABEL | LABEL '@runtime' | '(' expr ')'
//            | SREG ':' unary | NUMBER ':' unary   (far address: segment base + offset; NUMBER × 16 + offset)
//            | XMM '.' VIEW '[' expr ']'           (one lane: xmm0.u32[1]; VIEW u8 u16 u32 u64 f32 f64 or GDB's v4_int32 …)
//   NUMBER  := 0x1f | 0b101 | 31 | 1fh (NASM hex suffix: must start with a digit)
//   REGISTER:= rax, $rax, %eax, cr4, efer, fs_base, …   (registers.ts); bare names are registers first
//              fcw fsw ftw fop fip fcs fdp fds mxcsr st0–st7 xmm0–xmm15 (fpuRegisters.ts): st0 is ST(0), its
//              value the 80 raw bits (shown as the decimal number), xmm registers 128 bits (arithmetic on
//              them keeps the low 64 bits, as on every value)
//   TYPE    := u8 u16 u32 u64 | i8 … i64 | s8 … s64 | uint8_t … uint64_t | int8_t … int64_t | char | short | int | long
//   SIZE    := byte word dword qword
// `*EXPR` and `[EXPR]` read the default size: a qword in 64-bit mode, a dword otherwise. Addresses are linear
// (segment bases are not added); `phys:` makes one physical. A label's value is its assembled address;
// `label@runtime` is its address in the copy the program runs it from (a copy range of symbols.ts).
import type { Debuggee } from './debuggee';
import { BIT_FIELDS, canonicalRegister, readField, readRegister } from './registers';
import { hex } from './format';
import { readMemory, readString } from './readMemory';
import { fpuFields, fpuName, readFpu, readFpuField, readXmmLane, xmmView } from './fpuRegisters';

export type EvaluateResult = { value: bigint; type: string; display: string; memoryReference?: string } | { error: string };

const MASK = (1n << 64n) - 1n;
/** Parentheses and unary operators nest at most this deep (a clear message instead of a stack overflow). */
const MAX_DEPTH = 200;
/** Longest expression accepted (logpoints and hovers are short; this bounds the work per evaluation). */
const MAX_LENGTH = 4096;

class EvalError extends Error {}

function fail(message: string, column: number): never {
  throw new EvalError(`${message} at column ${column}`);
}

// ---- tokens ---------------------------------------------------------------------------------------------

type Token =
  | { kind: 'num'; value: bigint; text: string; col: number; end: number }
  | { kind: 'id'; text: string; col: number; end: number }
  | { kind: 'op'; text: string; col: number; end: number }
  | { kind: 'end'; text: ''; col: number; end: number };

const OPS2 = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||'];
const OPS1 = '+-*/%&|^~!<>()[]:';

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const col = i + 1;
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < text.length && /[0-9A-Za-z_]/.test(text[j])) j++;
      const word = text.slice(i, j);
      out.push({ kind: 'num', value: parseNumber(word, col), text: word, col, end: j + 1 });
      i = j;
      continue;
    }
    if (/[A-Za-z_.$]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_.$@]/.test(text[j])) j++;
      out.push({ kind: 'id', text: text.slice(i, j), col, end: j + 1 });
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (OPS2.includes(two)) { out.push({ kind: 'op', text: two, col, end: col + 2 }); i += 2; continue; }
    if (OPS1.includes(c)) { out.push({ kind: 'op', text: c, col, end: col + 1 }); i++; continue; }
    if (c === '=') fail(`'=' is not an operator (assignments are not evaluated; compare with '==')`, col);
    fail(`unexpected character '${c}'`, col);
  }
  out.push({ kind: 'end', text: '', col: text.length + 1, end: text.length + 1 });
  return out;
}

function parseNumber(word: string, col: number): bigint {
  let digits: string, radix: number;
  const lower = word.toLowerCase();
  if (/^0x[0-9a-f]+$/.test(lower)) { digits = lower.slice(2); radix = 16; }
  else if (/^0b[01]+$/.test(lower)) { digits = lower.slice(2); radix = 2; }
  else if (/^[0-9][0-9a-f]*h$/.test(lower)) { digits = lower.slice(0, -1); radix = 16; }
  else if (/^[0-9]+$/.test(lower)) { digits = lower; radix = 10; }
  else fail(`bad number '${word}'`, col);
  let v = 0n;
  const r = BigInt(radix);
  for (const ch of digits) v = v * r + BigInt(parseInt(ch, radix));
  if (v > MASK) fail(`number '${word}' does not fit in 64 bits`, col);
  return v;
}

// ---- syntax tree ------------------------------------------------------------------------------------------

type Node =
  | { k: 'num'; v: bigint; col: number }
  | { k: 'reg'; name: string; col: number }
  | { k: 'field'; reg: string; field: string; col: number }
  /** One lane of an XMM register: `xmm0.u32[1]`. */
  | { k: 'lane'; n: number; view: string; index: Node; col: number }
  | { k: 'sym'; name: string; runtime: boolean; col: number }
  | { k: 'mem'; size: number; signed: boolean; physical: boolean; address: Node; col: number }
  | { k: 'cast'; size: number; signed: boolean; e: Node; col: number }
  | { k: 'un'; op: string; e: Node; col: number }
  | { k: 'bin'; op: string; l: Node; r: Node; col: number }
  /** seg:offset — `register` names a segment register (its hidden base is used), else `segment` × 16. */
  | { k: 'far'; segment: { k: 'num'; v: bigint; col: number } | null; register: string; offset: Node; col: number };

const SEGMENTS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'];

interface TypeName { size: number; signed: boolean }

const SIZES: Record<string, number> = { byte: 1, word: 2, dword: 4, qword: 8 };

function typeName(name: string): TypeName | null {
  const n = name.toLowerCase();
  let m = /^(u|i|s)(8|16|32|64)$/.exec(n);
  if (m) return { size: Number(m[2]) / 8, signed: m[1] !== 'u' };
  m = /^(u?)int(8|16|32|64)_t$/.exec(n);
  if (m) return { size: Number(m[2]) / 8, signed: m[1] === '' };
  const c: Record<string, TypeName> = { char: { size: 1, signed: true }, short: { size: 2, signed: true }, int: { size: 4, signed: true }, long: { size: 8, signed: true } };
  return c[n] ?? null;
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly toks: Token[]) {}

  private peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  private isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'op' && t.text === text;
  }

  private expect(text: string, what: string): void {
    const t = this.peek();
    if (t.kind === 'op' && t.text === text) { this.next(); return; }
    fail(`expected '${text}' ${what}, found ${describe(t)}`, t.col);
  }

  parseAll(): Node {
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== 'end') fail(`unexpected ${describe(t)}`, t.col);
    return e;
  }

  private expr(): Node {
    return this.binary(0);
  }

  private static readonly LEVELS: string[][] = [
    ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
  ];

  private binary(level: number): Node {
    if (level === Parser.LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !Parser.LEVELS[level].includes(t.text)) return l;
      // `%eax` right after an operand is still modulo: `rax %eax` reads as rax % eax, as in C.
      this.next();
      const r = this.binary(level + 1);
      l = { k: 'bin', op: t.text, l, r, col: t.col };
    }
  }

  private unary(): Node {
    if (++this.depth > MAX_DEPTH) fail(`expression nested deeper than ${MAX_DEPTH}`, this.peek().col);
    try {
      return this.unaryInner();
    } finally {
      this.depth--;
    }
  }

  private unaryInner(): Node {
    const t = this.peek();
    if (t.kind === 'op') {
      if (t.text === '-' || t.text === '~' || t.text === '!' || t.text === '+') {
        this.next();
        return { k: 'un', op: t.text, e: this.unary(), col: t.col };
      }
      if (t.text === '%') {
        // AT&T register syntax where an operand is expected: `%eax`.
        const n = this.peek(1);
        if (n.kind === 'id' && n.col === t.col + 1) {
          this.next(); this.next();
          if (this.isOp(':') && SEGMENTS.includes(n.text.toLowerCase())) return this.far(null, n.text.toLowerCase(), t.col);
          return this.named(n.text, t.col, true);
        }
        fail(`'%' needs a register name after it`, t.col);
      }
      if (t.text === '*') {
        this.next();
        let type: TypeName | null = null;
        if (this.isOp('(') && this.peek(1).kind === 'id' && (type = typeName(this.peek(1).text)) !== null
          && (this.isOp(')', 2) || (this.isOp('*', 2) && this.isOp(')', 3)))) {
          this.next(); this.next();
          if (this.isOp('*')) this.next();
          this.next();
        }
        return this.place(type, t.col);
      }
      if (t.text === '(') {
        const n = this.peek(1);
        const type = n.kind === 'id' ? typeName(n.text) : null;
        if (type !== null && this.isOp(')', 2)) {
          this.next(); this.next(); this.next();
          return { k: 'cast', size: type.size, signed: type.signed, e: this.unary(), col: t.col };
        }
        this.next();
        const e = this.expr();
        this.expect(')', `to close the '(' at column ${t.col}`);
        return e;
      }
      if (t.text === '[') return this.bracket(null, t.col);
      fail(`expected a value, found ${describe(t)}`, t.col);
    }
    if (t.kind === 'id') {
      const lower = t.text.toLowerCase();
      if (SIZES[lower] !== undefined && (this.isOp('[', 1) || (this.peek(1).kind === 'id' && this.peek(1).text.toLowerCase() === 'ptr' && this.isOp('[', 2)))) {
        this.next();
        if (!this.isOp('[')) this.next();
        return this.bracket({ size: SIZES[lower], signed: false }, t.col);
      }
      if (lower === 'phys' && this.isOp(':', 1)) return this.place(null, t.col);
    }
    return this.primary();
  }

  /** `[place]` after an optional size keyword. */
  private bracket(type: TypeName | null, col: number): Node {
    const open = this.peek();
    this.expect('[', 'after the size');
    const node = this.place(type, col, true);
    this.expect(']', `to close the '[' at column ${open.col}`);
    return node;
  }

  /** The address of a memory read: `phys:unary` or (inside brackets) a full expression, else a unary. */
  private place(type: TypeName | null, col: number, bracketed = false): Node {
    let physical = false;
    const t = this.peek();
    if (t.kind === 'id' && t.text.toLowerCase() === 'phys' && this.isOp(':', 1)) {
      this.next(); this.next();
      physical = true;
    }
    const address = bracketed ? this.expr() : this.unary();
    return { k: 'mem', size: type?.size ?? 0, signed: type?.signed ?? false, physical, address, col };
  }

  private primary(): Node {
    const t = this.next();
    // Far addresses: `ds:si` (the segment's base plus the offset), `0x7c0:0x10` (real-mode paragraph × 16).
    if (this.isOp(':') && (t.kind === 'num' || (t.kind === 'id' && SEGMENTS.includes(t.text.replace(/^[$%]/, '').toLowerCase())))) {
      if (t.kind === 'num' && t.value > 0xffffn) fail(`segment ${t.text} does not fit in 16 bits`, t.col);
      return this.far(t.kind === 'num' ? { k: 'num', v: t.value, col: t.col } : null, t.kind === 'id' ? t.text.replace(/^[$%]/, '').toLowerCase() : '', t.col);
    }
    if (t.kind === 'num') return { k: 'num', v: t.value, col: t.col };
    if (t.kind === 'id') return this.named(t.text, t.col, false);
    fail(`expected a value, found ${describe(t)}`, t.col);
  }

  /** `xmmN.VIEW[index]` after the name: the index in brackets. */
  private lane(n: number, viewText: string, col: number): Node {
    const view = xmmView(viewText);
    if (view === undefined) fail(`unknown view '${viewText}' of xmm${n} (u8 u16 u32 u64 f32 f64, or GDB's v16_int8 v8_int16 v4_int32 v2_int64 v4_float v2_double)`, col);
    const open = this.peek();
    if (!this.isOp('[')) fail(`xmm${n}.${viewText} needs an element index: xmm${n}.${viewText}[0]`, open.col);
    this.next();
    const index = this.expr();
    this.expect(']', `to close the '[' at column ${open.col}`);
    return { k: 'lane', n, view, index, col };
  }

  /** After `seg` and a ':' (not consumed yet): the offset. */
  private far(segment: { k: 'num'; v: bigint; col: number } | null, register: string, col: number): Node {
    this.next();
    return { k: 'far', segment, register, offset: this.unary(), col };
  }

  /** A register, bit field or label; `forceRegister` for `%name` and `$name`. */
  private named(text: string, col: number, forceRegister: boolean): Node {
    let name = text;
    if (name.startsWith('$')) { name = name.slice(1); forceRegister = true; }
    if (name === '') fail(`'$' needs a register name after it`, col);
    const dot = name.indexOf('.');
    if (dot > 0) {
      const reg = name.slice(0, dot);
      const xmm = fpuName(reg);
      if (xmm?.k === 'xmm') return this.lane(xmm.n, name.slice(dot + 1), col + (text.length - name.length) + dot + 1);
      if (fieldsOf(reg) !== undefined) return { k: 'field', reg, field: name.slice(dot + 1), col };
    }
    const at = name.indexOf('@');
    if (at >= 0) {
      const suffix = name.slice(at + 1).toLowerCase();
      if (suffix !== 'runtime') fail(`unknown suffix '@${name.slice(at + 1)}' (only '@runtime' is known)`, col + (text.length - name.length) + at);
      return { k: 'sym', name: name.slice(0, at), runtime: true, col };
    }
    if (forceRegister) return { k: 'reg', name, col };
    // Bare names: a register first, then a label or constant (resolved at evaluation).
    return { k: 'sym', name, runtime: false, col };
  }
}

/** The named bit fields of a register (`eflags` and `flags` share RFLAGS'), or undefined. */
function fieldsOf(register: string): { name: string }[] | undefined {
  const c = canonicalRegister(register);
  if (c === undefined) return fpuFields(register);
  return BIT_FIELDS[c === 'eflags' || c === 'flags' ? 'rflags' : c];
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the expression' : `'${t.text}'`;
}

// ---- evaluation -------------------------------------------------------------------------------------------

interface Value {
  v: bigint;
  type: string;
  /** Where a memory read came from, or the address a register/label holds. */
  ref?: string;
  /** How to show it when not as hex: an x87 register's decimal value, a float lane. */
  text?: string;
}

function registerType(name: string): string {
  const n = name.toLowerCase();
  if (/^([abcd]l|[abcd]h|[sd]il|[sb]pl|r\d+b|r\d+l)$/.test(n)) return 'u8';
  if (/^([abcd]x|[sd]i|[sb]p|r\d+w|ip|flags|[cdefgs]s|tr|ldtr|gdtr_limit|idtr_limit)$/.test(n)) return 'u16';
  if (/^(e[abcd]x|e[sd]i|e[sb]p|r\d+d|eip|eflags|mxcsr)$/.test(n)) return 'u32';
  return 'u64';
}

class Evaluator {
  constructor(private readonly d: Debuggee) {}

  eval(n: Node): Value {
    switch (n.k) {
      case 'num': return { v: n.v, type: 'u64' };
      case 'reg': {
        const v = readRegister(this.d, n.name);
        if (v === undefined) {
          const x = readFpu(this.d, n.name);
          if (x !== undefined) return { v: x.value, type: x.type, text: x.display };
          fail(`unknown register '${n.name}'`, n.col);
        }
        return { v: v & MASK, type: registerType(n.name), ref: hex(v & MASK) };
      }
      case 'field': {
        const fields = fieldsOf(n.reg) ?? [];
        if (!fields.some((f) => f.name.toLowerCase() === n.field.toLowerCase())) {
          fail(`unknown field '${n.field}' of ${n.reg.toLowerCase()} (fields: ${fields.map((f) => f.name.toLowerCase()).join(' ')})`, n.col + n.reg.length + 1);
        }
        if (canonicalRegister(n.reg) === undefined) {
          const x = readFpuField(this.d, n.reg, n.field);
          if (typeof x === 'string') fail(x, n.col);
          return { v: x, type: 'bitfield' };
        }
        const v = readField(this.d, n.reg, n.field);
        if (v === undefined) fail(`cannot read ${n.reg}.${n.field}`, n.col);
        return { v, type: 'bitfield' };
      }
      case 'lane': {
        const index = this.eval(n.index).v;
        const x = readXmmLane(this.d, n.n, n.view, index > 255n ? 256 : Number(index));
        if (typeof x === 'string') fail(x, n.col);
        return { v: x.value, type: x.type, text: x.display };
      }
      case 'sym': return this.symbol(n);
      case 'far': {
        const offset = this.eval(n.offset).v;
        if (n.segment !== null) return { v: (n.segment.v * 16n + offset) & MASK, type: 'u64', ref: hex((n.segment.v * 16n + offset) & MASK) };
        // The segment's base as loaded (SDM Vol.3A §3.4.3): selector × 16 in real mode, the descriptor's otherwise.
        const base = readRegister(this.d, `${n.register}_base`) ?? 0n;
        return { v: (base + offset) & MASK, type: 'u64', ref: hex((base + offset) & MASK) };
      }
      case 'mem': return this.memory(n);
      case 'cast': {
        const v = this.eval(n.e).v;
        const bits = n.size * 8;
        return { v: n.signed ? BigInt.asUintN(64, BigInt.asIntN(bits, v)) : BigInt.asUintN(bits, v), type: (n.signed ? 'i' : 'u') + bits };
      }
      case 'un': {
        const v = this.eval(n.e).v;
        if (n.op === '-') return { v: BigInt.asUintN(64, -v), type: 'u64' };
        if (n.op === '~') return { v: ~v & MASK, type: 'u64' };
        if (n.op === '!') return { v: v === 0n ? 1n : 0n, type: 'bool' };
        return { v, type: 'u64' };
      }
      case 'bin': return this.binary(n);
    }
  }

  private symbol(n: { name: string; runtime: boolean; col: number }): Value {
    const d = this.d;
    if (!n.runtime) {
      const r = readRegister(d, n.name);
      if (r !== undefined) return { v: r & MASK, type: registerType(n.name), ref: hex(r & MASK) };
      const x = readFpu(d, n.name);
      if (x !== undefined) return { v: x.value, type: x.type, text: x.display };
    }
    const value = d.symbols.value(n.name);
    if (value === undefined) fail(n.runtime ? `unknown label '${n.name}'` : `unknown register or symbol '${n.name}'`, n.col);
    if (!n.runtime) return { v: BigInt(value), type: 'u64', ref: hex(value) };
    const all = d.symbols.runtimeAddresses(value);
    if (all.length < 2) fail(`label '${n.name}' is in no copied range (it runs where it was assembled)`, n.col);
    return { v: BigInt(all[1]), type: 'u64', ref: hex(all[1]) };
  }

  private memory(n: { size: number; signed: boolean; physical: boolean; address: Node; col: number }): Value {
    const address = this.eval(n.address).v;
    const size = n.size !== 0 ? n.size : this.d.mode().codeBits === 64 ? 8 : 4;
    const r = readMemory(this.d, address, size, n.physical);
    if ('error' in r) fail(r.error, n.col);
    const bits = size * 8;
    const v = n.signed ? BigInt.asUintN(64, BigInt.asIntN(bits, r.value)) : r.value;
    return { v, type: (n.signed ? 'i' : 'u') + bits, ref: (n.physical ? 'phys:' : '') + hex(address) };
  }

  private binary(n: { op: string; l: Node; r: Node; col: number }): Value {
    // && and || short-circuit as in C, so `rip == x && *(u64*)rsp == y` does not read memory needlessly.
    if (n.op === '&&') return { v: this.eval(n.l).v !== 0n && this.eval(n.r).v !== 0n ? 1n : 0n, type: 'bool' };
    if (n.op === '||') return { v: this.eval(n.l).v !== 0n || this.eval(n.r).v !== 0n ? 1n : 0n, type: 'bool' };
    const a = this.eval(n.l).v, b = this.eval(n.r).v;
    const bool = (x: boolean): Value => ({ v: x ? 1n : 0n, type: 'bool' });
    const u = (x: bigint): Value => ({ v: x & MASK, type: 'u64' });
    switch (n.op) {
      case '+': return u(a + b);
      case '-': return u(a - b);
      case '*': return u(a * b);
      case '/': if (b === 0n) fail('division by zero', n.col); return u(a / b);
      case '%': if (b === 0n) fail('division by zero', n.col); return u(a % b);
      // Shift counts of 64 or more shift every bit out (no x86-style masking: this is arithmetic, not SHL).
      case '<<': return u(b >= 64n ? 0n : a << b);
      case '>>': return u(b >= 64n ? 0n : a >> b);
      case '&': return u(a & b);
      case '|': return u(a | b);
      case '^': return u(a ^ b);
      case '==': return bool(a === b);
      case '!=': return bool(a !== b);
      case '<': return bool(a < b);
      case '<=': return bool(a <= b);
      case '>': return bool(a > b);
      case '>=': return bool(a >= b);
    }
    fail(`unknown operator '${n.op}'`, n.col);
  }
}

function display(v: Value): string {
  if (v.text !== undefined) return v.text;
  if (v.type === 'bool') return v.v !== 0n ? 'true' : 'false';
  if (v.type === 'bitfield') return v.v.toString();
  if (v.type.startsWith('i')) {
    const bits = Number(v.type.slice(1));
    const s = BigInt.asIntN(bits, v.v);
    return s < 0n ? `${s} (${hex(BigInt.asUintN(bits, s))})` : hex(v.v);
  }
  return hex(v.v);
}

function run(d: Debuggee, text: string): Value {
  if (text.length > MAX_LENGTH) fail(`expression longer than ${MAX_LENGTH} characters`, MAX_LENGTH + 1);
  if (text.trim() === '') fail('empty expression', 1);
  const tree = new Parser(tokenize(text)).parseAll();
  return new Evaluator(d).eval(tree);
}

function caught(e: unknown): { error: string } {
  if (e instanceof EvalError) return { error: e.message };
  if (e instanceof RangeError) return { error: 'expression too complex to evaluate' };
  return { error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}

/** Evaluates an expression (see the grammar above). */
export function evaluate(d: Debuggee, text: string): EvaluateResult {
  try {
    const v = run(d, text);
    const out: EvaluateResult = { value: v.v, type: v.type, display: display(v) };
    if (v.ref !== undefined) out.memoryReference = v.ref;
    return out;
  } catch (e) {
    return caught(e);
  }
}

/** A breakpoint condition: true when the expression is non-zero. */
export function evaluateCondition(d: Debuggee, text: string): boolean | { error: string } {
  const r = evaluate(d, text);
  return 'error' in r ? r : r.value !== 0n;
}

/** Format suffixes of a logpoint's `{expr:f}`. */
const FORMATS = /^(x|d|i|b|c|s)$/;

/**
 * A logpoint message (DAP SetBreakpoints `logMessage`: "expressions within {} are interpolated"): each
 * `{expr}` becomes its value, `{expr:f}` formats it — x hex (the default), d unsigned decimal, i signed
 * decimal, b binary, c the low byte as a character, s the NUL-terminated string at that linear address (at
 * most 256 bytes). `{{` and `}}` are literal braces. An expression that fails prints `<error: …>`.
 */
export function interpolate(d: Debuggee, template: string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) { out += c; i += 2; continue; }
    if (c !== '{') { out += c; i++; continue; }
    const close = template.indexOf('}', i + 1);
    if (close < 0) { out += template.slice(i); break; }
    out += interpolateOne(d, template.slice(i + 1, close));
    i = close + 1;
  }
  return out;
}

function interpolateOne(d: Debuggee, inner: string): string {
  let expr = inner, format = 'x';
  const colon = inner.lastIndexOf(':');
  if (colon >= 0 && FORMATS.test(inner.slice(colon + 1).trim())) {
    expr = inner.slice(0, colon);
    format = inner.slice(colon + 1).trim();
  }
  const r = evaluate(d, expr);
  if ('error' in r) return `<error: ${r.error}>`;
  switch (format) {
    case 'd': return r.value.toString();
    case 'i': return BigInt.asIntN(64, r.value).toString();
    case 'b': return '0b' + r.value.toString(2);
    case 'c': return String.fromCharCode(Number(r.value & 0xffn));
    case 's': return readString(d, r.value);
    // Booleans, x87 values, float lanes and whole XMM registers print as they display (hex() keeps 64 bits).
    default: return r.type === 'bool' || /^(f80|f32|f64|u128)$/.test(r.type) ? r.display : hex(r.value);
  }
}
