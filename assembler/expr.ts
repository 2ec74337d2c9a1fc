// expr.ts: expressions (GAS manual §6 "Expressions"): parsing with GAS's operator precedence and
// evaluation to an absolute number or a value relative to a base (a section, or a fragment of one).
import { AsmError } from './errors';
import { Cursor } from './lexer';

export type Expr =
  | { k: 'num'; v: bigint }
  | { k: 'sym'; name: string; col: number }
  | { k: 'dot' }
  | { k: 'un'; op: string; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr };

/** A value: `v` plus the address of `base` (null: absolute). */
export interface Val {
  v: bigint;
  base: string | null;
}

export interface EvalEnv {
  /** The symbol's value, or null when it is not known (yet). */
  lookup(name: string, col: number): Val | null;
  /** The location counter `.`. */
  dot(): Val;
}

// GAS manual §6.2.4 "Infix Operators": four precedence levels, all left-associative.
//   highest: * / % << >>    intermediate: | & ^ !    low: + - == <> != < > >= <=    lowest: && ||
const LEVELS: string[][] = [
  ['&&', '||'],
  ['+', '-', '==', '<>', '!=', '<', '>', '>=', '<='],
  ['|', '&', '^', '!'],
  ['*', '/', '%', '<<', '>>'],
];

/** Resolves a local label reference `1f`/`1b` to the symbol name it means. */
export type LocalRef = (n: bigint, dir: string, col: number) => string;

/** Parses an expression at the cursor. */
export function parseExpr(c: Cursor, local: LocalRef, level = 0): Expr {
  if (level === LEVELS.length) return parseUnary(c, local);
  let a = parseExpr(c, local, level + 1);
  for (;;) {
    const t = c.peek();
    if (!t || t.kind !== 'punct' || !LEVELS[level].includes(t.text)) return a;
    c.next();
    const b = parseExpr(c, local, level + 1);
    a = { k: 'bin', op: t.text, a, b };
  }
}

// GAS manual §6.2.3 "Prefix Operators": - (negation), ~ (complement); GAS also takes ! and +.
function parseUnary(c: Cursor, local: LocalRef): Expr {
  const t = c.next();
  if (t.kind === 'punct') {
    if (t.text === '-' || t.text === '~' || t.text === '!' || t.text === '+') {
      return { k: 'un', op: t.text, a: parseUnary(c, local) };
    }
    if (t.text === '(') {
      const e = parseExpr(c, local);
      c.expect(')');
      return e;
    }
  }
  if (t.kind === 'num') return { k: 'num', v: t.value };
  if (t.kind === 'local') return { k: 'sym', name: local(t.value, t.dir, t.col), col: t.col };
  if (t.kind === 'ident') return t.text === '.' ? { k: 'dot' } : { k: 'sym', name: t.text, col: t.col };
  throw new AsmError(t.kind === 'reg' ? `bad use of register '%${t.text}' in expression` : `bad expression`, t.col);
}

const wrap = (v: bigint) => BigInt.asIntN(64, v);
const abs = (v: bigint): Val => ({ v: wrap(v), base: null });
const truth = (b: boolean): Val => abs(b ? -1n : 0n); // GAS: comparisons give -1 for true

/** Evaluates `e`; null when a symbol is not known or the result is not representable (a + b of two bases). */
export function evaluate(e: Expr, env: EvalEnv): Val | null {
  switch (e.k) {
    case 'num': return abs(e.v);
    case 'dot': return env.dot();
    case 'sym': return env.lookup(e.name, e.col);
    case 'un': {
      const a = evaluate(e.a, env);
      if (!a) return null;
      if (e.op === '+') return a;
      if (a.base !== null) return null;
      return e.op === '-' ? abs(-a.v) : e.op === '~' ? abs(~a.v) : abs(a.v === 0n ? 1n : 0n);
    }
    case 'bin': {
      const a = evaluate(e.a, env);
      const b = evaluate(e.b, env);
      if (!a || !b) return null;
      if (e.op === '+') {
        if (a.base !== null && b.base !== null) return null;
        return { v: wrap(a.v + b.v), base: a.base ?? b.base };
      }
      if (e.op === '-') {
        // A difference of two values with the same base is absolute (GAS manual §6.2.4: "-").
        if (b.base === null) return { v: wrap(a.v - b.v), base: a.base };
        if (a.base === b.base) return abs(a.v - b.v);
        return null;
      }
      // Other operators need absolute operands, except comparisons of two values with the same base.
      if (a.base !== b.base) return null;
      if (a.base !== null && !['==', '!=', '<>', '<', '>', '<=', '>='].includes(e.op)) return null;
      const x = a.v, y = b.v;
      switch (e.op) {
        case '*': return abs(x * y);
        case '/': if (y === 0n) throw new AsmError('division by zero'); return abs(x / y);
        case '%': if (y === 0n) throw new AsmError('division by zero'); return abs(x % y);
        case '<<': return abs(y >= 64n || y < 0n ? 0n : x << y);
        case '>>': return abs(y >= 64n || y < 0n ? 0n : BigInt.asUintN(64, x) >> y);
        case '|': return abs(x | y);
        case '&': return abs(x & y);
        case '^': return abs(x ^ y);
        case '!': return abs(x | ~y);
        case '==': return truth(x === y);
        case '!=': case '<>': return truth(x !== y);
        case '<': return truth(x < y);
        case '>': return truth(x > y);
        case '<=': return truth(x <= y);
        case '>=': return truth(x >= y);
        case '&&': return abs(x !== 0n && y !== 0n ? 1n : 0n);
        case '||': return abs(x !== 0n || y !== 0n ? 1n : 0n);
      }
      throw new AsmError(`unknown operator '${e.op}'`);
    }
  }
}

/** The names of the symbols `e` refers to. */
export function symbolsOf(e: Expr, out: string[] = []): string[] {
  if (e.k === 'sym') out.push(e.name);
  else if (e.k === 'un') symbolsOf(e.a, out);
  else if (e.k === 'bin') { symbolsOf(e.a, out); symbolsOf(e.b, out); }
  return out;
}

/** Whether `e` uses the location counter. */
export function hasDot(e: Expr): boolean {
  return e.k === 'dot' || (e.k === 'un' && hasDot(e.a)) || (e.k === 'bin' && (hasDot(e.a) || hasDot(e.b)));
}
