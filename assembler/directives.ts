// directives.ts: the assembler directives handled so far (GAS manual §7 "Assembler Directives").
import { AsmError } from './errors';
import { Expr, hasDot } from './expr';
import { Encoded } from './encode';
import { Cursor, Token } from './lexer';
import { Parser, parseExprAt } from './parser';
import { MAX_SECTION_SIZE } from './layout';

/** Data directives and their item size in bytes (x86: .word and .short are 2, .long and .int 4). */
const DATA: Record<string, number> = {
  '.byte': 1, '.word': 2, '.short': 2, '.hword': 2, '.value': 2, '.2byte': 2, '.long': 4, '.int': 4, '.4byte': 4,
  '.quad': 8, '.8byte': 8,
};

// Accepted and ignored: debug and metadata directives that do not change the bytes.
const IGNORED = new Set(['.file', '.ident', '.loc', '.arch', '.previous_ignored', '.addrsig', '.addrsig_sym']);

function identList(c: Cursor): Token[] {
  const out: Token[] = [];
  if (c.atEnd()) return out;
  for (;;) {
    const t = c.next();
    if (t.kind !== 'ident') throw new AsmError('expected symbol name', t.col);
    out.push(t);
    if (!c.eat(',')) break;
  }
  c.end();
  return out;
}

function constArg(p: Parser, c: Cursor, what: string): number {
  const col = c.col();
  const e = parseExprAt(p, c);
  const v = p.constant(e);
  if (v === null) throw new AsmError(`${what} must be an absolute expression`, col);
  return Number(v);
}

export function directive(p: Parser, name: string, c: Cursor, tok: Token): void {
  const u = p.unit;
  if (name.startsWith('.cfi_') || IGNORED.has(name)) return;
  if (name in DATA) { data(p, c, DATA[name]); return; }
  switch (name) {
    case '.code16': u.mode = 16; c.end(); return;
    case '.code32': u.mode = 32; c.end(); return;
    case '.code64': u.mode = 64; c.end(); return;
    case '.intel_syntax': case '.att_syntax': {
      // GAS manual §9.16.2: `.intel_syntax [prefix|noprefix]` (default prefix: registers keep their `%`).
      const arg = c.atEnd() ? '' : c.next().text.toLowerCase();
      if (arg !== '' && arg !== 'prefix' && arg !== 'noprefix') throw new AsmError(`bad argument to syntax directive.`, tok.col);
      c.end();
      p.intel = name === '.intel_syntax';
      p.noprefix = p.intel && arg === 'noprefix';
      return;
    }
    case '.code16gcc': throw new AsmError('.code16gcc is not supported yet', tok.col);
    case '.end': p.done = true; return;
    case '.text': case '.data': case '.bss':
      u.current = u.section(name);
      return;
    case '.section': {
      const t = c.next();
      let secName = t.text;
      if (t.kind === 'str') secName = t.text;
      else while (!c.atEnd() && !c.isPunct(',')) secName += c.next().text; // .text.boot
      let flags = '', type = '';
      if (c.eat(',')) {
        const f = c.next();
        flags = f.kind === 'str' ? f.text : '';
        if (c.eat(',')) { c.eat('@'); c.eat('%'); type = c.atEnd() ? '' : c.next().text; }
      }
      const known = u.sections.find((s) => s.name === secName);
      u.current = known ?? u.section(secName, flags ? flags.includes('x') : undefined, type ? type === 'nobits' : undefined);
      return;
    }
    case '.set': case '.equ': case '.equiv': {
      const t = c.next();
      if (t.kind !== 'ident') throw new AsmError('expected symbol name', t.col);
      c.expect(',');
      p.assign(t.text, c, t.col, name === '.equiv');
      return;
    }
    case '.globl': case '.global': case '.local': case '.weak': case '.hidden':
      for (const t of identList(c)) {
        const s = u.symbol(t.text);
        if (name === '.local') s.local = true;
        else if (name === '.weak') s.weak = true;
        else if (name === '.hidden') s.hidden = true;
        else s.global = true;
      }
      return;
    case '.type': {
      const t = c.next();
      c.expect(',');
      c.eat('@'); c.eat('%');
      const ty = c.next();
      u.symbol(t.text).type = ty.text.replace(/^STT_/i, '').toLowerCase();
      return;
    }
    case '.size': {
      const t = c.next();
      c.expect(',');
      u.symbol(t.text).sizeExpr = parseExprAt(p, c);
      c.end();
      return;
    }
    case '.ascii': case '.asciz': case '.string': {
      const bytes: number[] = [];
      for (;;) {
        const t = c.next();
        if (t.kind !== 'str') throw new AsmError('expected string', t.col);
        for (const ch of t.text) bytes.push(ch.charCodeAt(0) & 0xff);
        if (name !== '.ascii') bytes.push(0);
        if (!c.eat(',')) break;
      }
      c.end();
      p.emitCode({ bytes, fields: [] }, false);
      return;
    }
    case '.fill': {
      // .fill repeat, size, value (GAS manual §7 ".fill"): value is written as size bytes, from a 4-byte number.
      const repeat = constArg(p, c, 'repeat count');
      let size = 1, value = 0n;
      if (c.eat(',')) {
        if (!c.isPunct(',')) size = constArg(p, c, 'size');
        if (c.eat(',')) { const col = c.col(); const v = p.constant(parseExprAt(p, c)); if (v === null) throw new AsmError('fill value must be absolute', col); value = v; }
      }
      c.end();
      if (repeat < 0) throw new AsmError('repeat < 0; .fill ignored');
      size = Math.min(size, 8);
      if (repeat * size > MAX_SECTION_SIZE) throw new AsmError(`.fill of ${repeat * size} bytes is over this assembler's limit of ${MAX_SECTION_SIZE}`);
      const unit: number[] = [];
      for (let k = 0; k < size; k++) unit.push(k < 4 ? Number((BigInt.asUintN(32, value) >> BigInt(8 * k)) & 0xffn) : 0);
      const bytes: number[] = [];
      for (let k = 0; k < repeat; k++) bytes.push(...unit);
      p.emitCode({ bytes, fields: [] }, false);
      return;
    }
    case '.skip': case '.space': case '.zero': {
      const col = c.col();
      const count = parseExprAt(p, c);
      let fill = 0;
      if (name !== '.zero' && c.eat(',')) fill = constArg(p, c, 'fill value');
      c.end();
      const n = p.constant(count);
      if (n !== null && n < 0n) throw new AsmError(`${name} with negative value`, col);
      const item = { k: 'space' as const, count, fill, file: p.file, line: p.stmt.line, col: p.stmt.col, addr: 0, size: n === null ? 0 : Number(n) };
      u.add(item, n === null ? null : Number(n));
      return;
    }
    case '.org': {
      const target = parseExprAt(p, c);
      let fill = 0;
      if (c.eat(',')) fill = constArg(p, c, 'fill value');
      c.end();
      u.add({ k: 'org', target, fill, file: p.file, line: p.stmt.line, col: p.stmt.col, addr: 0, size: 0 }, null);
      return;
    }
    case '.align': case '.balign': case '.balignw': case '.balignl': case '.p2align': case '.p2alignw': case '.p2alignl': {
      // x86 ELF: .align takes a byte count, like .balign (GAS manual §7 ".align").
      const col = c.col();
      let n = constArg(p, c, 'alignment');
      if (name.startsWith('.p2align')) n = 2 ** n;
      if (n <= 0 || (n & (n - 1)) !== 0) throw new AsmError('alignment not a power of 2', col);
      let fill: number | null = null, max = 0;
      if (c.eat(',')) {
        if (!c.isPunct(',') && !c.atEnd()) fill = constArg(p, c, 'fill value');
        if (c.eat(',')) max = constArg(p, c, 'maximum skip');
      }
      c.end();
      const fillSize = name.endsWith('w') ? 2 : name.endsWith('l') ? 4 : 1;
      u.current.align = Math.max(u.current.align, n);
      u.add({ k: 'align', boundary: n, fill, fillSize, max, file: p.file, line: p.stmt.line, col: p.stmt.col, addr: 0, size: 0 }, null);
      return;
    }
  }
  throw new AsmError(`unknown pseudo-op: '${name}'`, tok.col);
}

/** .byte/.word/.long/.quad: one field per value (GAS manual §7 ".byte" etc.). */
function data(p: Parser, c: Cursor, size: number): void {
  const enc: Encoded = { bytes: [], fields: [] };
  if (!c.atEnd()) {
    for (;;) {
      const t = c.peek();
      if (t?.kind === 'str' && size === 1) {
        c.next();
        for (const ch of t.text) enc.bytes.push(ch.charCodeAt(0) & 0xff);
      } else {
        let e: Expr = parseExprAt(p, c);
        // Fix a value known now (a later .set must not change it), unless it uses `.` (the field's address).
        const v = hasDot(e) ? null : p.constant(e);
        if (v !== null) e = { k: 'num', v };
        enc.fields.push({ offset: enc.bytes.length, size, expr: e, pcrel: false, check: 'either', dotHere: true });
        for (let k = 0; k < size; k++) enc.bytes.push(0);
      }
      if (!c.eat(',')) break;
    }
  }
  c.end();
  p.emitCode(enc, false);
}
