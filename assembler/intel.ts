// intel.ts: operands in Intel syntax (`.intel_syntax noprefix`, GAS manual §9.16.3.1 and tc-i386-intel.c):
// `dword ptr fs:[rbx+rcx*8+16]`, `sym[rbx]`, `offset sym`, `0x08:0x1000` (far pointer), registers without
// `%` (noprefix) or with it (prefix). They are turned into the AT&T operand records the selector takes,
// in AT&T order, with the size a `ptr` names kept on the memory operand; and the Intel spellings of
// mnemonics (retf, pushd) and of string instructions with operands, as AT&T ones.
import { AsmError } from './errors';
import { Expr, LocalRef, parseExpr } from './expr';
import { Cursor, Token } from './lexer';
import { candidates } from './mnemonics';
import { AttOperand } from './operands';
import { Reg, register } from './registers';

/** Sizes of the `X ptr` keywords in bits; alone (without ptr) GAS reads them as their size in bytes. */
export const PTR_SIZES: Record<string, number> = {
  byte: 8, word: 16, dword: 32, fword: 48, qword: 64, mmword: 64, tbyte: 80, oword: 128, xmmword: 128, ymmword: 256,
};

export interface IntelContext {
  /** Registers need no `%` (`.intel_syntax noprefix`). */
  noprefix: boolean;
  /** The mnemonic is a near or far JMP/CALL: a bare expression is its target, a register or memory indirect. */
  branch: boolean;
  mode: 16 | 32 | 64;
  local: LocalRef;
  /** The expression's value if it is an absolute constant now (then it is an immediate, else memory). */
  constant(e: Expr): bigint | null;
}

const ZERO: Expr = { k: 'num', v: 0n };

/** The register a token names, if any: `%eax` always, `eax` in noprefix mode. */
function regOf(t: Token | undefined, ctx: IntelContext): Reg | undefined {
  if (!t) return undefined;
  if (t.kind === 'reg') return register(t.text);
  if (t.kind === 'ident' && ctx.noprefix) return register(t.text.toLowerCase());
  return undefined;
}

const isWord = (t: Token | undefined, w: string): boolean => !!t && t.kind === 'ident' && t.text.toLowerCase() === w;

/** Splits the statement's remaining tokens at top-level commas. */
function splitOperands(c: Cursor): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  while (!c.atEnd()) {
    const t = c.next();
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) depth++;
    if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) depth--;
    if (depth === 0 && t.kind === 'punct' && t.text === ',') { out.push(cur); cur = []; continue; }
    cur.push(t);
  }
  out.push(cur);
  return out;
}

/** A far pointer `sel:offset` (jmp 0x08:0x1000). */
interface FarPointer { far: true; selector: Expr; offset: Expr; col: number }

/** Parses one Intel operand from its tokens. */
function operand(toks: Token[], ctx: IntelContext, endCol: number): AttOperand | FarPointer {
  const col = toks[0]?.col ?? endCol;
  if (toks.length === 0) throw new AsmError('missing operand', endCol);
  let k = 0;
  let sizeHint = 0;
  let far = false;
  let sized = false;
  // `short`/`near` only say what the assembler would pick anyway; `far ptr` asks for a far pointer.
  while (k < toks.length) {
    const t = toks[k];
    const w = t.kind === 'ident' ? t.text.toLowerCase() : '';
    if ((w in PTR_SIZES) && isWord(toks[k + 1], 'ptr')) { sizeHint = PTR_SIZES[w]; sized = true; k += 2; continue; }
    if ((w === 'far' || w === 'near') && isWord(toks[k + 1], 'ptr')) { far = w === 'far'; sized = true; k += 2; continue; }
    if ((w === 'short' || w === 'near' || w === 'far') && ctx.branch && k + 1 < toks.length) { far ||= w === 'far'; k++; continue; }
    break;
  }
  if (far) sizeHint = ctx.mode === 16 ? 32 : 48; // m16:16 or m16:32 (GAS: the default far pointer)
  if (isWord(toks[k], 'offset')) {
    k++;
    if (isWord(toks[k], 'flat') && toks[k + 1]?.kind === 'punct' && toks[k + 1].text === ':') k += 2;
    const c = new Cursor(toks.slice(k), endCol);
    const expr = parseExpr(c, ctx.local);
    c.end();
    return { t: 'imm', expr, col };
  }
  let seg = -1;
  const first = regOf(toks[k], ctx);
  if (first && first.kind === 'sreg' && toks[k + 1]?.kind === 'punct' && toks[k + 1].text === ':') { seg = first.num; k += 2; }
  const rest = toks.slice(k);
  if (rest.length === 1 && seg < 0 && !sized) {
    const r = regOf(rest[0], ctx);
    if (r) return { t: 'reg', reg: r, col, indirect: ctx.branch };
  }
  // st(i): an x87 register (GAS reads `st(1)` in Intel syntax as in AT&T).
  const st = regOf(rest[0], ctx);
  if (st?.kind === 'st' && rest.length === 4 && seg < 0 && !sized && rest[1].text === '(' && rest[3].text === ')') {
    const n = rest[2];
    const r = n.kind === 'num' && n.value < 8n ? register(`st(${n.value})`) : undefined;
    if (!r) throw new AsmError(`bad register name 'st(${n.text})'`, n.col);
    return { t: 'reg', reg: r, col, indirect: false };
  }
  // A far pointer `sel:offset` (jmp 0x08:0x1000): two immediates, selector first as in `ljmp $sel,$off`.
  const colon = rest.findIndex((t) => t.kind === 'punct' && t.text === ':');
  if (colon > 0 && seg < 0 && !rest.some((t) => t.kind === 'punct' && t.text === '[')) {
    return { far: true, selector: expr(rest.slice(0, colon), ctx, endCol), offset: expr(rest.slice(colon + 1), ctx, endCol), col };
  }
  // Terms of the address: brackets are sums with what stands outside them (`sym[rbx]` is [sym + rbx]).
  let bracket = false;
  const terms: { sign: number; toks: Token[] }[] = [];
  let cur: Token[] = [];
  let sign = 1;
  let depth = 0;
  const flush = () => { if (cur.length) terms.push({ sign, toks: cur }); cur = []; sign = 1; };
  for (const t of rest) {
    if (t.kind === 'punct' && (t.text === '[' || t.text === ']')) { bracket = true; flush(); continue; }
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')') depth--;
    if (depth === 0 && t.kind === 'punct' && (t.text === '+' || t.text === '-')) {
      if (cur.length) { flush(); if (t.text === '-') sign = -1; continue; }
      if (t.text === '-') { sign = -sign; continue; }
      if (t.text === '+') continue;
    }
    cur.push(t);
  }
  flush();
  let base: Reg | null = null, index: Reg | null = null, scale = 1;
  let disp: Expr | null = null;
  const addDisp = (e: Expr, s: number) => {
    const term: Expr = s < 0 ? { k: 'un', op: '-', a: e } : e;
    disp = disp ? { k: 'bin', op: '+', a: disp, b: term } : term;
  };
  for (const term of terms) {
    const t = term.toks;
    const r0 = regOf(t[0], ctx);
    const star = (n: number) => t[n]?.kind === 'punct' && t[n].text === '*';
    if (r0 && t.length === 1) {
      if (term.sign < 0) throw new AsmError(`invalid use of register '${r0.name}'`, t[0].col);
      if (!base && r0.kind !== 'sreg') base = r0;
      else if (!index) index = r0;
      else throw new AsmError(`too many registers in memory operand`, t[0].col);
      continue;
    }
    const r2 = t.length === 3 && star(1) ? regOf(t[2], ctx) : undefined;
    if ((r0 && t.length === 3 && star(1)) || r2) {
      const reg = (r0 ?? r2) as Reg;
      const n = r0 ? t[2] : t[0];
      if (n.kind !== 'num' || ![1n, 2n, 4n, 8n].includes(n.value)) throw new AsmError(`scale factor of ${n.text} is not 1, 2, 4 or 8`, n.col);
      if (index) { if (base) throw new AsmError('too many registers in memory operand', t[0].col); base = index; }
      index = reg;
      scale = Number(n.value);
      continue;
    }
    if (t.some((x) => regOf(x, ctx))) throw new AsmError(`invalid use of register in '${t.map((x) => x.text).join('')}'`, t[0].col);
    addDisp(expr(t, ctx, endCol), term.sign);
  }
  if (base?.kind === 'rip' && index) throw new AsmError('invalid use of register rip', col);
  const memory = bracket || sized || seg >= 0 || base !== null || index !== null;
  const value: Expr = disp ?? ZERO;
  if (!memory) {
    // A bare expression: a branch's target, an immediate when it is a constant, else a memory reference.
    if (ctx.branch) return { t: 'mem', seg: -1, disp: value, base: null, index: null, scale: 1, col, indirect: false };
    if (ctx.constant(value) !== null) return { t: 'imm', expr: value, col };
  }
  const m: AttOperand = { t: 'mem', seg, disp, base, index, scale, col, indirect: ctx.branch };
  if (sizeHint) m.sizeHint = sizeHint;
  return m;
}

/** An expression from tokens; a size keyword alone stands for its size in bytes (GAS: `dword` is 4). */
function expr(toks: Token[], ctx: IntelContext, endCol: number): Expr {
  const mapped = toks.map((t) => (t.kind === 'ident' && (t.text.toLowerCase() in PTR_SIZES)
    ? { ...t, kind: 'num' as const, value: BigInt(PTR_SIZES[t.text.toLowerCase()] / 8) } : t));
  const c = new Cursor(mapped, endCol);
  const e = parseExpr(c, ctx.local);
  c.end();
  return e;
}

/** Parses the operands of an Intel-syntax instruction into AT&T order. */
export function parseIntelOperands(c: Cursor, ctx: IntelContext, keepOrder: boolean): AttOperand[] {
  if (c.atEnd()) return [];
  const groups = splitOperands(c);
  const ops: AttOperand[] = [];
  for (const g of groups) {
    const o = operand(g, ctx, c.endCol);
    if (!('far' in o)) { ops.push(o); continue; }
    // `jmp sel:offset` is `ljmp $sel, $offset`: two immediates, the selector first.
    if (groups.length !== 1) throw new AsmError('a far pointer must be the only operand', o.col);
    return [{ t: 'imm', expr: o.selector, col: o.col }, { t: 'imm', expr: o.offset, col: o.col }];
  }
  return keepOrder ? ops : ops.reverse();
}

/**
 * The AT&T name of an Intel-syntax mnemonic where they differ: GAS's Intel templates spell the doubleword
 * suffix `d` (pushd, retd, leaved: objdump -M intel prints them so) and the far return `retf`.
 */
export function intelMnemonic(m: string): string {
  const far = /^retf([wdq]?)$/.exec(m);
  if (far) return 'lret' + (far[1] === 'd' ? 'l' : far[1]);
  // The x87 environment and state image sizes: Intel syntax says w/d where AT&T says s/l (GAS i386-opc.tbl).
  const env = /^(fn?stenv|fldenv|fn?save|frstor)([wd])$/.exec(m);
  if (env) return env[1] + (env[2] === 'w' ? 's' : 'l');
  if (candidates(m).length === 0 && /^(push|pop|enter|leave|ret|iret|pusha|popa|pushf|popf|sysret|sysexit)d$/.test(m)) return m.slice(0, -1) + 'l';
  return m;
}

export const STRING_OPS = /^(movs|cmps|lods|stos|scas|ins|outs|xlat)$/;
const STRING_SUFFIX: Record<number, string> = { 8: 'b', 16: 'w', 32: 'd', 64: 'q' };
const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

/**
 * `movs byte ptr es:[rdi], byte ptr [rsi]` and the other string instructions with their operands written
 * out: the size picks movsb/w/d/q, the registers the address size (67h when not the mode's), and a
 * segment other than DS on the source an override (ES:[rDI] cannot be overridden: SDM Vol.2B MOVS).
 */
export function intelString(mnemonic: string, ops: AttOperand[], mode: 16 | 32 | 64): { mnemonic: string; prefixes: number[]; addrSize: number } {
  let size = 0;
  let addrSize = 0;
  const prefixes: number[] = [];
  const source = mnemonic === 'movs' || mnemonic === 'outs' ? ops[0] : mnemonic === 'cmps' ? ops[1] : mnemonic === 'lods' || mnemonic === 'xlat' ? ops[0] : null;
  for (const o of ops) {
    if (o.t === 'reg' && o.reg.kind === 'gpr' && !(mnemonic === 'ins' || mnemonic === 'outs')) size ||= o.reg.size;
    if (o.t !== 'mem') continue;
    size ||= o.sizeHint ?? 0;
    const r = o.base ?? o.index;
    if (r && r.size !== (mode === 64 ? 64 : mode)) addrSize = r.size;
  }
  if (source && source.t === 'mem' && source.seg >= 0 && source.seg !== 3) prefixes.push(SEG_PREFIX[source.seg]);
  if (mnemonic === 'xlat') size = 8;
  if (!size) throw new AsmError(`ambiguous operand size for '${mnemonic}'`);
  let name = mnemonic + STRING_SUFFIX[size];
  if (candidates(name).length === 0) name = mnemonic + (size === 32 ? 'l' : STRING_SUFFIX[size]);
  if (addrSize) prefixes.push(0x67);
  return { mnemonic: name, prefixes, addrSize };
}
