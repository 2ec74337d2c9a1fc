// lexer.ts: splits one statement into tokens (GAS manual §3 "Syntax": symbols, constants, strings).
import { AsmError } from './errors';

export type TokKind = 'ident' | 'num' | 'str' | 'reg' | 'local' | 'punct';

export interface Token {
  kind: TokKind;
  /** Identifier/register name (registers without %), punctuation, or the decoded string. */
  text: string;
  /** Numeric value for 'num' (character constants too) and the label number for 'local'. */
  value: bigint;
  /** For 'local' references: 'f' (next definition) or 'b' (latest definition). */
  dir: string;
  /** 1-based column in the source line. */
  col: number;
}

// GAS manual §5.3 "Symbol Names": letters, digits, `_`, `.`, `$`; not starting with a digit. `$` is left
// out at the start because AT&T syntax uses it for immediates.
const IDENT_START = /[A-Za-z_.]/;
const IDENT = /[A-Za-z0-9_.$]/;
const PUNCT2 = ['<<', '>>', '==', '!=', '<>', '<=', '>=', '&&', '||'];

/** Reads one backslash escape of a string or character constant (GAS manual §3.6.1.1 "Strings"). */
function escape(s: string, k: number, col: number): { ch: number; next: number } {
  const c = s[k];
  if (c === undefined) throw new AsmError('unterminated string', col);
  const simple: Record<string, number> = { b: 8, f: 12, n: 10, r: 13, t: 9, '\\': 92, '"': 34, "'": 39 };
  if (c in simple) return { ch: simple[c], next: k + 1 };
  if (/[0-7]/.test(c)) {
    let j = k, v = 0;
    while (j < s.length && j < k + 3 && /[0-7]/.test(s[j])) v = v * 8 + (s.charCodeAt(j++) - 48);
    return { ch: v & 0xff, next: j };
  }
  if (c === 'x' || c === 'X') {
    let j = k + 1, v = 0;
    while (j < s.length && /[0-9a-fA-F]/.test(s[j])) v = v * 16 + parseInt(s[j++], 16);
    return { ch: v & 0xff, next: j };
  }
  return { ch: s.charCodeAt(k), next: k + 1 };
}

/** Tokenizes `text`, whose first character is at column `col0` of its line. */
export function tokenize(text: string, col0 = 1): Token[] {
  const out: Token[] = [];
  const tok = (kind: TokKind, t: string, col: number, value = 0n, dir = ''): void => {
    out.push({ kind, text: t, value, dir, col: col0 + col });
  };
  let k = 0;
  while (k < text.length) {
    const c = text[k];
    const start = k;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { k++; continue; }
    if (c === '"') {
      let s = '';
      k++;
      while (k < text.length && text[k] !== '"') {
        if (text[k] === '\\') {
          const e = escape(text, k + 1, col0 + k);
          s += String.fromCharCode(e.ch);
          k = e.next;
        } else s += text[k++];
      }
      if (k >= text.length) throw new AsmError('unterminated string', col0 + start);
      k++;
      tok('str', s, start);
      continue;
    }
    if (c === "'") {
      // Character constant 'c (GAS manual §3.6.1.2); newer GAS also accepts a closing quote.
      let v: number;
      if (text[k + 1] === '\\') {
        const e = escape(text, k + 2, col0 + k);
        v = e.ch;
        k = e.next;
      } else if (k + 1 < text.length) {
        v = text.charCodeAt(k + 1);
        k += 2;
      } else throw new AsmError('bad character constant', col0 + k);
      if (text[k] === "'") k++;
      tok('num', text.slice(start, k), start, BigInt(v));
      continue;
    }
    if (c === '%') {
      k++;
      while (k < text.length && /[A-Za-z0-9_]/.test(text[k])) k++;
      if (k === start + 1) { tok('punct', '%', start); continue; }
      tok('reg', text.slice(start + 1, k).toLowerCase(), start);
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (k < text.length && /[0-9A-Za-z_$]/.test(text[k])) k++;
      const n = number(text.slice(start, k), col0 + start);
      tok(n.kind, text.slice(start, k), start, n.value, n.dir);
      continue;
    }
    if (IDENT_START.test(c)) {
      while (k < text.length && IDENT.test(text[k])) k++;
      tok('ident', text.slice(start, k), start);
      continue;
    }
    const two = text.slice(k, k + 2);
    if (PUNCT2.includes(two)) { tok('punct', two, start); k += 2; continue; }
    tok('punct', c, start);
    k++;
  }
  return out;
}

/** A numeric word: 0x…, 0b…, 0… (octal), decimal (GAS manual §3.6.2.1 "Integers"), or 1f/1b. */
function number(word: string, col: number): { kind: TokKind; value: bigint; dir: string } {
  const lw = word.toLowerCase();
  let m: RegExpExecArray | null;
  // Local label references: digits then `b` or `f` (GAS manual §5.3 "Local Labels"); 0b with binary
  // digits after it is a binary number instead.
  const num = (value: bigint) => ({ kind: 'num' as TokKind, value, dir: '' });
  if ((m = /^([0-9]+)([bf])$/.exec(lw))) return { kind: 'local', value: BigInt(m[1]), dir: m[2] };
  if (/^0x[0-9a-f]+$/.test(lw)) return num(BigInt(lw));
  if (/^0b[01]+$/.test(lw)) return num(BigInt(lw));
  if (/^0[0-7]*$/.test(lw)) return num(lw.length > 1 ? BigInt('0o' + lw.slice(1)) : 0n);
  if (/^[1-9][0-9]*$/.test(lw)) return num(BigInt(lw));
  throw new AsmError(`invalid number '${word}'`, col);
}

/** A read position in a statement's tokens. */
export class Cursor {
  k = 0;
  constructor(readonly toks: Token[], readonly endCol: number) {}

  peek(n = 0): Token | undefined {
    return this.toks[this.k + n];
  }

  atEnd(): boolean {
    return this.k >= this.toks.length;
  }

  next(): Token {
    const t = this.toks[this.k];
    if (!t) throw new AsmError('unexpected end of statement', this.endCol);
    this.k++;
    return t;
  }

  /** Consumes punctuation `p` if it is next. */
  eat(p: string): boolean {
    const t = this.toks[this.k];
    if (t && t.kind === 'punct' && t.text === p) { this.k++; return true; }
    return false;
  }

  isPunct(p: string, n = 0): boolean {
    const t = this.toks[this.k + n];
    return !!t && t.kind === 'punct' && t.text === p;
  }

  expect(p: string): void {
    if (!this.eat(p)) throw new AsmError(`expected '${p}'`, this.col());
  }

  col(): number {
    return this.toks[this.k]?.col ?? this.endCol;
  }

  /** GAS: "junk `…' after expression" when tokens remain. */
  end(): void {
    if (!this.atEnd()) throw new AsmError(`junk at end of line, first unrecognized character is '${this.toks[this.k].text[0]}'`, this.col());
  }
}
