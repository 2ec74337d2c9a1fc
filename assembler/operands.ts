// operands.ts: parses AT&T operands (GAS manual §9.16.3.1 "AT&T Syntax versus Intel Syntax"):
// %reg, $imm, disp(base,index,scale), seg:mem, and `*` for indirect branch targets.
import { AsmError } from './errors';
import { Expr, LocalRef, parseExpr } from './expr';
import { Cursor } from './lexer';
import { Reg, register } from './registers';

export type AttOperand =
  | { t: 'reg'; reg: Reg; col: number; indirect: boolean }
  | { t: 'imm'; expr: Expr; col: number }
  | { t: 'mem'; seg: number; disp: Expr | null; base: Reg | null; index: Reg | null; scale: number; col: number; indirect: boolean;
      /** Intel syntax: the size in bits a `dword ptr` (etc.) gives the memory operand. */
      sizeHint?: number };

function reg(c: Cursor): Reg {
  const t = c.next();
  const r = t.kind === 'reg' ? register(t.text) : undefined;
  if (!r) throw new AsmError(t.kind === 'reg' ? `bad register name '%${t.text}'` : 'expected a register', t.col);
  return r.kind === 'st' ? stIndex(c, r) : r;
}

/** `%st(i)`: the lexer gives `%st`, then `(`, the number and `)` (GAS manual §9.16.3.5). */
function stIndex(c: Cursor, st: Reg): Reg {
  if (!c.isPunct('(') || c.peek(1)?.kind !== 'num') return st;
  c.next();
  const n = c.next();
  const r = n.kind === 'num' && n.value < 8n ? register(`st(${n.value})`) : undefined;
  if (!r) throw new AsmError(`bad register name '%st(${n.text})'`, n.col);
  c.expect(')');
  return r;
}

/** Parses one operand; stops before the `,` that separates operands. */
export function parseOperand(c: Cursor, local: LocalRef): AttOperand {
  const col = c.col();
  let indirect = false;
  if (c.eat('*')) indirect = true;
  if (c.eat('$')) {
    if (indirect) throw new AsmError('immediate operand illegal with absolute jump', col);
    return { t: 'imm', expr: parseExpr(c, local), col };
  }
  let seg = -1;
  const t = c.peek();
  if (t?.kind === 'reg') {
    const r = reg(c);
    if (!c.eat(':')) return { t: 'reg', reg: r, col, indirect };
    if (r.kind !== 'sreg') throw new AsmError(`'%${r.name}' is not a valid segment register`, t.col);
    seg = r.num;
  }
  // disp(base,index,scale): the displacement is an expression that may itself start with `(`.
  let disp: Expr | null = null;
  const baseFollows = (): boolean => c.isPunct('(') && (c.peek(1)?.kind === 'reg' || c.isPunct(',', 1));
  if (!baseFollows()) disp = parseExpr(c, local);
  let base: Reg | null = null, index: Reg | null = null, scale = 1;
  if (c.isPunct('(')) {
    if (!baseFollows()) throw new AsmError('junk after expression', c.col());
    c.next();
    if (c.peek()?.kind === 'reg') base = reg(c);
    if (c.eat(',')) {
      if (c.peek()?.kind === 'reg') index = reg(c);
      if (c.eat(',')) {
        const st = c.next();
        if (st.kind !== 'num' || ![1n, 2n, 4n, 8n].includes(st.value)) {
          throw new AsmError(`scale factor of ${st.text} without an index register`, st.col);
        }
        scale = Number(st.value);
      }
    }
    c.expect(')');
    for (const r of [base, index]) {
      if (r && r.kind !== 'gpr' && !(r === base && r.kind === 'rip')) throw new AsmError(`'%${r.name}' is not a valid base/index expression`, col);
    }
  }
  return { t: 'mem', seg, disp, base, index, scale, col, indirect };
}

/** Parses the comma-separated operand list up to the end of the statement. */
export function parseOperands(c: Cursor, local: LocalRef): AttOperand[] {
  const ops: AttOperand[] = [];
  if (c.atEnd()) return ops;
  for (;;) {
    ops.push(parseOperand(c, local));
    if (!c.eat(',')) break;
  }
  c.end();
  return ops;
}
