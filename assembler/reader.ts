// reader.ts: GAS's own source-level features between the text and the parser: comments, statements,
// .macro/.endm, .rept/.irp/.irpc/.endr, the .if family, .include/.incbin, .err/.error/.warning/.print
// (GAS manual §7 "Assembler Directives"). Every statement keeps the file:line it was written at.
import { AsmError, Diagnostics } from './errors';
import { SourceLine } from './cpp';
import { Cursor, tokenize } from './lexer';
import { Parser, parseExprAt } from './parser';
import { Statement, splitStatements } from './preprocess';

export interface ReaderOptions {
  readFile?: (path: string) => string | null;
  readBinary?: (path: string) => Uint8Array | null;
  includePaths?: string[];
}

interface Stmt extends Statement {
  file: string;
}

interface Macro {
  name: string;
  params: { name: string; def: string; req: boolean; vararg: boolean }[];
  body: Stmt[];
}

interface Collect {
  kind: 'macro' | 'rept' | 'irp' | 'irpc';
  at: Stmt;
  depth: number;
  body: Stmt[];
  macro?: Macro;
  count?: number;
  sym?: string;
  values?: string[];
}

/** GAS's limit on macro nesting (read.c max_macro_nest). */
const MAX_MACRO_NEST = 100;
const MAX_INCLUDE_DEPTH = 100;
/** Statements produced by expansions in one assembly, against runaway .rept counts. */
const MAX_EXPANDED = 200_000;

const OPENERS = new Set(['.macro', '.rept', '.irp', '.irpc']);
const CONDS = new Set(['.if', '.ifdef', '.ifndef', '.ifnotdef', '.ifeq', '.ifne', '.ifge', '.ifgt', '.ifle', '.iflt', '.ifb', '.ifnb',
  '.ifc', '.ifnc', '.ifeqs', '.ifnes', '.else', '.elseif', '.endif']);

/** Removes `#` line comments and `/* … *\/` block comments (GAS manual §3.3), keeping strings whole. */
export function stripComments(lines: readonly SourceLine[], diags: Diagnostics): SourceLine[] {
  let inBlock = false, from: SourceLine | null = null;
  const out: SourceLine[] = [];
  for (const l of lines) {
    const s = l.text;
    let cur = '';
    let k = 0;
    while (k < s.length) {
      if (inBlock) {
        const e = s.indexOf('*/', k);
        if (e < 0) { cur += ' '.repeat(s.length - k); break; }
        cur += ' '.repeat(e + 2 - k);
        k = e + 2;
        inBlock = false;
        continue;
      }
      const c = s[k];
      if (c === '"') {
        let j = k + 1;
        while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
        cur += s.slice(k, j + 1);
        k = j + 1;
        continue;
      }
      if (c === "'") { const len = s[k + 1] === '\\' ? 3 : 2; cur += s.slice(k, k + len); k += len; continue; }
      if (c === '#') break;
      if (c === '/' && s[k + 1] === '*') { inBlock = true; from = l; cur += '  '; k += 2; continue; }
      cur += c;
      k++;
    }
    out.push({ ...l, text: cur });
  }
  if (inBlock && from) diags.warn(from.file, from.line, 1, 'end of file in comment');
  return out;
}

/** The directive or macro name a statement starts with (after any labels), lower-cased, and where. */
function head(text: string): { word: string; labels: string; rest: string; col: number } {
  const m = /^(\s*(?:(?:[A-Za-z_.$][\w.$]*|\d+)\s*:(?!:)\s*)*)([A-Za-z_.$][\w.$]*)?(.*)$/s.exec(text);
  if (!m) return { word: '', labels: '', rest: text, col: 0 };
  return { word: (m[2] ?? '').toLowerCase(), labels: m[1], rest: m[3], col: m[1].length };
}

/**
 * GAS's scrubber (app.c do_scrub_chars) keeps a run of blanks, as one, only between two characters that
 * may be part of a symbol — letters, digits, `_ . $`, the i386 extra_symbol_chars `* % - ( [ { }`
 * (tc-i386.c) — or a quote; every other blank goes. So `1 + 2` and `(1) 2` are one macro argument, but
 * `1 - 2` is three and `1 (2)` two (checked against GNU as 2.40).
 */
function scrubBlanks(s: string): string {
  const symbolish = (c: string | undefined): boolean => c !== undefined && /[\w.$"*%\-([{}]/.test(c);
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c === '"') {
      let j = k + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      out += s.slice(k, j + 1);
      k = j;
      continue;
    }
    if (/\s/.test(c)) {
      while (/\s/.test(s[k + 1] ?? '')) k++;
      if (symbolish(out[out.length - 1]) && symbolish(s[k + 1])) out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

/** Splits macro arguments as GAS does: at commas, or at blanks outside parentheses and strings. */
export function splitArgs(s: string): string[] {
  const t = scrubBlanks(s.trim());
  if (t === '') return [];
  const out: string[] = [];
  let cur = '', depth = 0, sawComma = false;
  for (let k = 0; k < t.length; k++) {
    const c = t[k];
    if (c === '"') {
      let j = k + 1;
      while (j < t.length && t[j] !== '"') j += t[j] === '\\' ? 2 : 1;
      cur += t.slice(k, j + 1);
      k = j;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth === 0 && c === ',') { out.push(cur.trim()); cur = ''; sawComma = true; continue; }
    if (depth === 0 && /\s/.test(c)) {
      while (/\s/.test(t[k + 1] ?? '')) k++;
      if (t[k + 1] === ',' || cur.trim() === '') continue;
      out.push(cur.trim()); cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '' || sawComma) out.push(cur.trim());
  return out;
}

/** A macro argument's value: surrounding quotes removed (GAS manual §7.72 ".macro"). */
function unquote(a: string): string {
  return /^".*"$/s.test(a) ? a.slice(1, -1).replace(/\\"/g, '"') : a;
}

export class Reader {
  private macros = new Map<string, Macro>();
  private conds: { keep: boolean; taken: boolean; sawElse: boolean; at: Stmt; what: string }[] = [];
  private collect: Collect | null = null;
  private macroCount = 0;
  private expanded = 0;
  private nest = 0;
  /** Set by .exitm: abandons the innermost macro expansion. */
  private exit = false;
  /** Set when expansions exceed MAX_EXPANDED: the rest of the input is abandoned. */
  private aborted = false;
  /** What .print wrote. */
  readonly printed: string[] = [];
  /** For the listing: the outermost statement each item came from (macro expansions list at the call). */
  readonly listOf = new Map<object, { file: string; line: number }>();
  /** For the listing: the lines of each .include'd file, by `file:line` of the .include. */
  readonly included = new Map<string, SourceLine[]>();

  constructor(private parser: Parser, private diags: Diagnostics, private options: ReaderOptions) {}

  /** Assembles the lines of one file (already through the C preprocessor when that applies). */
  run(lines: readonly SourceLine[]): void {
    this.stream(this.statements(lines));
    if (this.collect) {
      const c = this.collect;
      const msg = c.kind === 'macro' ? `unexpected end of file in macro \`${c.macro?.name ?? ''}' definition` : `${c.kind.toUpperCase()} without ENDR`;
      this.diags.error(c.at.file, c.at.line, c.at.col, msg);
    }
    for (const c of this.conds) this.diags.error(c.at.file, c.at.line, c.at.col, `end of file inside conditional (the ${c.what} is here)`);
  }

  private statements(lines: readonly SourceLine[]): Stmt[] {
    const out: Stmt[] = [];
    for (const l of stripComments(lines, this.diags)) {
      for (const s of splitStatements(l.text)) out.push({ ...s, line: l.line, file: l.file });
    }
    return out;
  }

  private stream(stmts: readonly Stmt[]): void {
    for (const st of stmts) {
      if (this.exit || this.aborted || this.parser.done) return;
      const sections = this.parser.unit.sections;
      const before = this.nest === 0 ? new Map(sections.map((s) => [s, s.items.length])) : null;
      try {
        this.one(st);
      } catch (e) {
        this.diags.caught(st.file, st.line, st.col, e);
      }
      if (before) {
        for (const s of sections) {
          for (let k = before.get(s) ?? 0; k < s.items.length; k++) if (!this.listOf.has(s.items[k])) this.listOf.set(s.items[k], st);
        }
      }
    }
  }

  private one(st: Stmt): void {
    const h = head(st.text);
    const col = st.col + h.col;
    if (this.collect) {
      const c = this.collect;
      if (c.kind === 'macro' ? h.word === '.macro' : OPENERS.has(h.word) && h.word !== '.macro') c.depth++;
      else if ((h.word === '.endm' && c.kind === 'macro') || (h.word === '.endr' && c.kind !== 'macro')) {
        if (--c.depth === 0) { this.collect = null; this.finish(c); return; }
      }
      c.body.push(st);
      return;
    }
    if (CONDS.has(h.word)) { this.conditional(h.word, h.rest, st, col); return; }
    if (!this.conds.every((c) => c.keep)) return;
    const macro = this.macros.get(h.word);
    if (macro) {
      if (h.labels.trim()) this.statement({ ...st, text: h.labels });
      this.invoke(macro, h.rest, st, col);
      return;
    }
    switch (h.word) {
      case '.macro': this.defineMacro(h.rest, st, col); return;
      case '.rept': {
        const c: Collect = { kind: 'rept', at: { ...st, col }, depth: 1, body: [], count: 0 };
        this.collect = c;
        c.count = Math.max(0, this.absolute(h.rest, col + 5, col));
        return;
      }
      case '.irp': case '.irpc': {
        const m = /^\s*([A-Za-z_.$][\w.$]*)\s*,?(.*)$/s.exec(h.rest);
        if (!m) throw new AsmError('missing model parameter', col);
        const values = h.word === '.irp' ? splitArgs(m[2]).map(unquote) : [...unquote(m[2].trim())];
        this.collect = { kind: h.word === '.irp' ? 'irp' : 'irpc', at: { ...st, col }, depth: 1, body: [], sym: m[1], values: values.length ? values : [''] };
        return;
      }
      case '.endm': this.diags.warn(st.file, st.line, col, '.endm encountered without preceding .macro'); return;
      case '.endr': this.diags.warn(st.file, st.line, col, '.endr encountered without preceding .rept, .irp, or .irpc'); return;
      case '.exitm':
        if (this.nest === 0) this.diags.warn(st.file, st.line, col, 'ignoring macro exit outside a macro definition.');
        else this.exit = true;
        return;
      case '.include': { this.include(h.rest, st, col); return; }
      case '.incbin': { if (h.labels.trim()) this.statement({ ...st, text: h.labels }); this.incbin(h.rest, st, col); return; }
      case '.err': throw new AsmError('.err encountered', col);
      case '.error': case '.warning': case '.print': {
        const c = this.cursor(h.rest, col);
        const t = c.atEnd() ? null : c.next();
        if (!t || t.kind !== 'str') {
          if (h.word === '.print') throw new AsmError('expected string', col);
          if (t) throw new AsmError(`${h.word} argument must be a string`, col);
        }
        c.end();
        const msg = t?.text ?? (h.word === '.error' ? '.error directive invoked in source file' : '.warning directive invoked in source file');
        if (h.word === '.error') throw new AsmError(msg, col);
        if (h.word === '.warning') this.diags.warn(st.file, st.line, col, msg);
        else this.printed.push(msg);
        return;
      }
    }
    this.statement(st);
  }

  private statement(st: Stmt): void {
    this.parser.file = st.file;
    this.parser.statement(st);
  }

  private cursor(text: string, col: number): Cursor {
    return new Cursor(tokenize(text, col), col + text.length);
  }

  /** An absolute expression known now (.rept counts, .if conditions). */
  private absolute(text: string, col: number, errCol: number, what = ''): number {
    const c = this.cursor(text, col);
    let v: bigint | null = null;
    if (!c.atEnd()) { v = this.parser.constant(parseExprAt(this.parser, c)); c.end(); }
    if (v === null) throw new AsmError(what ? `non-constant expression in "${what}" statement` : 'bad or irreducible absolute expression', errCol);
    return Number(BigInt.asIntN(53, v));
  }

  private conditional(word: string, rest: string, st: Stmt, col: number): void {
    const at = { ...st, col };
    const top = this.conds[this.conds.length - 1];
    if (word === '.endif') {
      if (!this.conds.pop()) throw new AsmError('".endif" without ".if"', col);
      return;
    }
    if (word === '.else' || word === '.elseif') {
      if (!top) throw new AsmError(`"${word}" without matching ".if"`, col);
      if (top.sawElse) throw new AsmError(`duplicate "${word === '.else' ? '.else' : '.elseif'}"`, col);
      const outer = this.conds.slice(0, -1).every((c) => c.keep);
      if (word === '.else') { top.sawElse = true; top.keep = outer && !top.taken; }
      else top.keep = outer && !top.taken && this.test('.if', rest, col);
      top.taken ||= top.keep;
      return;
    }
    const outer = this.conds.every((c) => c.keep);
    this.conds.push({ keep: false, taken: false, sawElse: false, at, what: `"${word}"` });
    const keep = outer && this.test(word, rest, col);
    const c = this.conds[this.conds.length - 1];
    c.keep = keep;
    c.taken = keep;
  }

  /** The condition of an .if* directive (GAS manual §7.43 ".if"). */
  private test(word: string, rest: string, col: number): boolean {
    switch (word) {
      case '.ifdef': case '.ifndef': case '.ifnotdef': {
        const name = rest.trim();
        if (!/^[A-Za-z_.$][\w.$]*$/.test(name)) throw new AsmError(`invalid identifier for "${word}"`, col);
        const s = this.parser.unit.symbols.get(name);
        return (s !== undefined && s.kind !== 'undef') === (word === '.ifdef');
      }
      case '.ifb': case '.ifnb': return (rest.trim() === '') === (word === '.ifb');
      case '.ifc': case '.ifnc': case '.ifeqs': case '.ifnes': {
        const args = splitArgs(rest.replace(/\s*,\s*/, ','));
        const a = unquote(args[0] ?? ''), b = unquote(args.slice(1).join(',') ?? '');
        return (a === b) === (word === '.ifc' || word === '.ifeqs');
      }
    }
    const v = this.absolute(rest, col + word.length, col, '.if');
    switch (word) {
      case '.if': case '.ifne': return v !== 0;
      case '.ifeq': return v === 0;
      case '.ifge': return v >= 0;
      case '.ifgt': return v > 0;
      case '.ifle': return v <= 0;
      default: return v < 0; // .iflt
    }
  }

  private defineMacro(rest: string, st: Stmt, col: number): void {
    const m = /^\s*([A-Za-z_.$][\w.$]*)\s*,?(.*)$/s.exec(rest);
    if (!m) {
      // GAS skips the body to its .endm all the same.
      this.collect = { kind: 'macro', at: { ...st, col }, depth: 1, body: [] };
      throw new AsmError('Missing macro name', col);
    }
    const params: Macro['params'] = [];
    for (const p of rest.slice(rest.indexOf(m[1]) + m[1].length).replace(/^\s*,/, '').split(/\s*,\s*|\s+(?=[A-Za-z_.$])/)) {
      const q = /^\s*([A-Za-z_.$][\w.$]*)(?::(req|vararg))?\s*(?:=\s*(.*))?$/s.exec(p);
      if (!q) { if (p.trim()) throw new AsmError(`bad parameter list for macro \`${m[1]}'`, col); continue; }
      params.push({ name: q[1], def: unquote((q[3] ?? '').trim()), req: q[2] === 'req', vararg: q[2] === 'vararg' });
    }
    const name = m[1].toLowerCase();
    const macro: Macro = { name: m[1], params, body: [] };
    this.collect = { kind: 'macro', at: { ...st, col }, depth: 1, body: macro.body, macro };
    if (this.macros.has(name)) throw new AsmError(`Macro \`${m[1]}' was already defined`, col);
  }

  private finish(c: Collect): void {
    if (c.kind === 'macro') {
      const m = c.macro;
      if (m && !this.macros.has(m.name.toLowerCase())) this.macros.set(m.name.toLowerCase(), m);
      return;
    }
    if (c.kind === 'rept') {
      const none = new Map<string, string>();
      for (let k = 0; k < (c.count ?? 0) && !this.aborted; k++) this.expand(c.body, none, c.at);
      return;
    }
    for (const v of c.values ?? []) this.expand(c.body, new Map([[c.sym as string, v]]), c.at);
  }

  private invoke(m: Macro, rest: string, st: Stmt, col: number): void {
    const values = new Map<string, string>();
    const args = splitArgs(rest);
    let pos = 0;
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      const kw = /^([A-Za-z_.$][\w.$]*)=(.*)$/s.exec(a);
      const named = kw ? m.params.find((p) => p.name === kw[1]) : undefined;
      if (kw && named) { values.set(named.name, unquote(kw[2])); continue; }
      const p = m.params[pos++];
      if (!p) throw new AsmError('too many positional arguments', col);
      if (p.vararg) { values.set(p.name, args.slice(k).join(',')); break; }
      values.set(p.name, unquote(a));
    }
    for (const p of m.params) {
      const v = values.get(p.name);
      if (v === undefined || v === '') {
        if (p.req) throw new AsmError(`Missing value for required parameter \`${p.name}' of macro \`${m.name}'`, col);
        values.set(p.name, p.def);
      }
    }
    this.expand(m.body, values, { ...st, col }, true);
  }

  /** Expands a body with `\name` substitutions (and `\@`, `\()`), then assembles it. */
  private expand(body: readonly Stmt[], values: Map<string, string>, at: Stmt, macro = false): void {
    if (this.nest >= MAX_MACRO_NEST) throw new AsmError('macros nested too deeply', at.col);
    this.expanded += Math.max(1, body.length); // an empty body repeated still costs
    if (this.expanded > MAX_EXPANDED) {
      if (!this.aborted) this.diags.error(at.file, at.line, at.col, 'too many statements from macro and .rept expansions');
      this.aborted = true;
      return;
    }
    const count = String(this.macroCount++);
    const names = [...values.keys()].sort((a, b) => b.length - a.length);
    const stmts: Stmt[] = [];
    for (const st of body) {
      let text = st.text;
      if (text.includes('\\')) {
        text = text.replace(/\\(@|\(\)|[A-Za-z_.$][\w.$]*)/g, (all, w: string) => {
          if (w === '@') return macro ? count : all;
          if (w === '()') return '';
          const n = names.find((x) => w === x) ?? names.find((x) => w.startsWith(x) && !/[\w$]/.test(w[x.length]));
          return n !== undefined ? (values.get(n) as string) + w.slice(n.length) : all;
        });
      }
      // A substituted value may hold `;` (several statements).
      for (const s of splitStatements(text)) stmts.push({ ...s, col: st.col + s.col - 1, line: st.line, file: st.file });
    }
    this.nest++;
    const conds = this.conds.length;
    try {
      this.stream(stmts);
    } finally {
      this.nest--;
      if (macro && this.exit) {
        // .exitm leaves the conditionals opened by the expansion (GAS: they are popped with it).
        this.exit = false;
        this.conds.length = Math.min(this.conds.length, conds);
      }
    }
  }

  private fileArg(rest: string, col: number): { name: string; c: Cursor } {
    const c = this.cursor(rest, col);
    const t = c.atEnd() ? null : c.next();
    if (!t || t.kind !== 'str') throw new AsmError('missing string', col);
    return { name: t.text, c };
  }

  private candidates(name: string, from: string): string[] {
    if (name.startsWith('/')) return [name];
    const k = from.lastIndexOf('/');
    const dirs = [k < 0 ? '' : from.slice(0, k + 1), ...(this.options.includePaths ?? []).map((d) => (d.endsWith('/') ? d : d + '/'))];
    return dirs.map((d) => d + name);
  }

  private includeDepth = 0;

  private include(rest: string, st: Stmt, col: number): void {
    const { name, c } = this.fileArg(rest, col + 8);
    c.end();
    let found: { path: string; text: string } | null = null;
    for (const path of this.candidates(name, st.file)) {
      const text = this.options.readFile?.(path) ?? null;
      if (text !== null) { found = { path, text }; break; }
    }
    if (!found) throw new AsmError(`can't open ${name} for reading: No such file or directory`, col);
    if (this.includeDepth >= MAX_INCLUDE_DEPTH) throw new AsmError(`.include nested too deeply (${MAX_INCLUDE_DEPTH})`, col);
    const text = found.text;
    const lines = text.split('\n').map((t, k) => ({ text: t, file: found.path, line: k + 1 }));
    if (lines.length > 1 && lines[lines.length - 1].text === '') lines.pop();
    const key = `${st.file}:${st.line}`;
    if (!this.included.has(key)) this.included.set(key, lines);
    this.includeDepth++;
    try {
      this.stream(this.statements(lines));
    } finally {
      this.includeDepth--;
    }
  }

  /** .incbin "file"[,skip[,count]] (GAS manual §7.50). */
  private incbin(rest: string, st: Stmt, col: number): void {
    const { name, c } = this.fileArg(rest, col + 7);
    let skip = 0, count: number | null = null;
    if (c.eat(',')) {
      skip = this.constAt(c, col);
      if (c.eat(',')) count = this.constAt(c, col);
    }
    c.end();
    let data: Uint8Array | null = null;
    for (const path of this.candidates(name, st.file)) {
      data = this.options.readBinary?.(path) ?? null;
      if (!data) { const t = this.options.readFile?.(path) ?? null; if (t !== null) data = Uint8Array.from(t, (ch) => ch.charCodeAt(0) & 0xff); }
      if (data) break;
    }
    if (!data) throw new AsmError(`file not found: ${name}`, col);
    if (skip < 0 || skip > data.length) throw new AsmError(`skip (${skip}) or count (${count ?? 0}) invalid for file size (${data.length})`, col);
    const end = count === null ? data.length : skip + count;
    if (count !== null && (count < 0 || end > data.length)) throw new AsmError(`skip (${skip}) or count (${count}) invalid for file size (${data.length})`, col);
    this.parser.stmt = st;
    this.parser.file = st.file;
    this.parser.emitCode({ bytes: Array.from(data.subarray(skip, end)), fields: [] }, false);
  }

  private constAt(c: Cursor, col: number): number {
    const v = this.parser.constant(parseExprAt(this.parser, c));
    if (v === null) throw new AsmError('bad or irreducible absolute expression', col);
    return Number(v);
  }
}
