// analysisScan.ts: reads one source file as written (before the C preprocessor, so #define names and
// the columns the user sees are kept) into words with their roles, for the language server. It uses
// the assembler's own comment stripper, statement splitter and lexer, so a word means here what it
// means to the assembler; which symbol a word names is settled afterwards in analysis.ts.
import { Diagnostics } from './errors';
import { Token, tokenize } from './lexer';
import { splitStatements } from './preprocess';
import { stripComments } from './reader';

export type SymKind = 'label' | 'local' | 'macro' | 'define' | 'equ' | 'section';

/** One word of the source with what it is. Columns are 1-based; `end` is exclusive. */
export interface Word {
  file: string;
  line: number;
  col: number;
  end: number;
  text: string;
  what: 'mnemonic' | 'prefix' | 'directive' | 'register' | 'symbol' | 'local' | 'number' | 'include';
  /** For symbols and locals: a definition or a use. */
  role?: 'def' | 'ref';
  /** For symbols: what the name is (set for definitions here; for uses by analysis.ts). */
  kind?: SymKind;
  /** A use at the head of a statement: a macro call when such a macro exists. */
  head?: boolean;
  /** For local references: the definition they resolve to (`1b` the latest `1:`, `1f` the next). */
  target?: Word | null;
  /** For .include / #include: the path read. */
  path?: string;
  /** For definitions: a one-line description (macro parameters, #define body, .equ value text). */
  detail?: string;
}

export interface Fold {
  start: number;
  end: number;
  kind: 'region' | 'comment';
}

export interface FileScan {
  file: string;
  lines: string[];
  /** The words of each line (index = line − 1), in column order. */
  words: Word[][];
  folds: Fold[];
  /** The code size (.code16/32/64) in force after each line, by line index; 0 where unknown. */
  modeAfter: Uint8Array;
}

const PREFIX_WORDS = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'data16', 'data32', 'addr16', 'addr32', 'cs', 'ds', 'es', 'fs', 'gs', 'ss', 'rex64']);
const CPP_LINE = /^(\s*)#\s*(define|undef|include|if|ifdef|ifndef|elif|else|endif|error|warning|line|pragma|ident)\b(.*)$/;
const OPEN = /^\.(macro|rept|irp|irpc|if|ifdef|ifndef|ifnotdef|ifeq|ifne|ifge|ifgt|ifle|iflt|ifb|ifnb|ifc|ifnc|ifeqs|ifnes)$/;
const CLOSE = /^\.(endm|endr|endif)$/;
const MAX_LINE_SCAN = 20_000; // characters of one line looked at: a huge line costs no more than this

/** Cuts `//` comments (the C preprocessor removes them in .S files), keeping strings whole. */
function cutSlashComment(s: string): string {
  let quote = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (quote) { if (c === '\\') k++; else if (c === quote) quote = ''; continue; }
    if (c === '"') quote = c;
    else if (c === '/' && s[k + 1] === '/') return s.slice(0, k);
  }
  return s;
}

function safeTokens(text: string, col: number): Token[] {
  try {
    return tokenize(text, col);
  } catch (_) {
    // A bad number or string ends the useful part: keep the words before it.
    const cut = text.search(/["']|\b\d\w*[g-zG-Z]\w*/);
    if (cut > 0) { try { return tokenize(text.slice(0, cut), col); } catch (_e) { return []; } }
    return [];
  }
}

/** Scans one file. `cpp` says whether the C preprocessor reads it (.S files and what they #include). */
export function scanFile(file: string, text: string, cpp: boolean): FileScan {
  const lines = text.split('\n');
  const words: Word[][] = lines.map(() => []);
  const folds: Fold[] = [];
  const modeAfter = new Uint8Array(lines.length);
  const open: { line: number; word: string }[] = [];
  const cppOpen: number[] = [];
  let mode = 0;
  const add = (w: Omit<Word, 'file'>): Word => {
    const full: Word = { file, ...w };
    words[w.line - 1].push(full);
    return full;
  };
  const fromTok = (t: Token, line: number, what: Word['what'], extra: Partial<Word> = {}): Word =>
    add({ line, col: t.col, end: t.col + tokLength(t), text: t.kind === 'reg' ? '%' + t.text : t.text, what, ...extra });

  // Lines the C preprocessor takes (#define…) are read by cppLine; the others go through the assembler's
  // comment stripper (which would drop them as `#` comments) line by line, keeping /* */ state.
  const isCpp = lines.map((l) => cpp && CPP_LINE.test(l.length > MAX_LINE_SCAN ? l.slice(0, MAX_LINE_SCAN) : l));
  const raw = lines.map((l, k) => {
    const s = l.length > MAX_LINE_SCAN ? l.slice(0, MAX_LINE_SCAN) : l;
    return { text: isCpp[k] ? '' : cpp ? cutSlashComment(s) : s, file, line: k + 1 };
  });
  const stripped = stripComments(raw, new Diagnostics());
  let commentRun = -1;
  for (let k = 0; k < lines.length; k++) {
    const line = k + 1;
    const rawLine = lines[k].length > MAX_LINE_SCAN ? lines[k].slice(0, MAX_LINE_SCAN) : lines[k];
    // Runs of comment-only lines fold as comments.
    const commentOnly = !isCpp[k] && rawLine.trim() !== '' && stripped[k].text.trim() === '';
    if (commentOnly && commentRun < 0) commentRun = line;
    if (!commentOnly && commentRun > 0) { if (line - 1 > commentRun) folds.push({ start: commentRun, end: line - 1, kind: 'comment' }); commentRun = -1; }
    if (isCpp[k]) {
      cppLine(rawLine, line);
      modeAfter[k] = mode;
      continue;
    }
    for (const st of splitStatements(stripped[k].text)) statement(st.text, st.col, line);
    modeAfter[k] = mode;
  }
  if (commentRun > 0 && lines.length > commentRun) folds.push({ start: commentRun, end: lines.length, kind: 'comment' });

  function cppLine(l: string, line: number): void {
    const m = CPP_LINE.exec(l);
    if (!m) return;
    const dir = m[2];
    const restCol = m[0].length - m[3].length + 1;
    const rest = m[3];
    if (dir === 'if' || dir === 'ifdef' || dir === 'ifndef') cppOpen.push(line);
    if (dir === 'endif') { const s = cppOpen.pop(); if (s !== undefined && line > s) folds.push({ start: s, end: line, kind: 'region' }); }
    if (dir === 'include') {
      const q = /^(\s*)(["<])([^">]*)[">]/.exec(rest);
      if (q) add({ line, col: restCol + q[1].length, end: restCol + q[0].length, text: q[3], what: 'include' });
      return;
    }
    if (dir === 'define') {
      const d = /^(\s+)([A-Za-z_]\w*)(\([^)]*\))?(.*)$/.exec(rest);
      if (!d) return;
      const col = restCol + d[1].length;
      const params = d[3] ? d[3].slice(1, -1).split(',').map((p) => p.trim().replace(/\.\.\.$/, '')) : [];
      add({ line, col, end: col + d[2].length, text: d[2], what: 'symbol', role: 'def', kind: 'define', detail: (d[3] ?? '') + ' ' + d[4].trim() });
      const bodyCol = col + d[2].length + (d[3]?.length ?? 0);
      for (const t of safeTokens(d[4], bodyCol)) if (t.kind === 'ident' && !params.includes(t.text)) fromTok(t, line, 'symbol', { role: 'ref' });
      return;
    }
    if (dir === 'undef' || dir === 'ifdef' || dir === 'ifndef' || dir === 'if' || dir === 'elif') {
      for (const t of safeTokens(rest, restCol)) if (t.kind === 'ident' && t.text !== 'defined') fromTok(t, line, 'symbol', { role: 'ref' });
    }
  }

  function statement(text: string, col: number, line: number): void {
    const toks = safeTokens(text, col);
    let k = 0;
    // Labels: `name:` and `N:` (GAS manual §5.1 "Labels"), any number before the statement proper.
    while (toks[k + 1]?.kind === 'punct' && toks[k + 1].text === ':' && (toks[k].kind === 'ident' || (toks[k].kind === 'num' && /^[0-9]+$/.test(toks[k].text)))) {
      const t = toks[k];
      if (t.kind === 'ident') fromTok(t, line, 'symbol', { role: 'def', kind: 'label' });
      else fromTok(t, line, 'local', { role: 'def', kind: 'local' });
      k += 2;
    }
    const first = toks[k];
    if (!first) return;
    let operandsFrom = k + 1;
    if (first.kind === 'ident' && toks[k + 1]?.kind === 'punct' && toks[k + 1].text === '=') {
      fromTok(first, line, 'symbol', { role: 'def', kind: 'equ', detail: text.slice(toks[k + 1].col - col + 1).trim() });
      operandsFrom = k + 2;
    } else if (first.kind === 'ident' && first.text.startsWith('.') && first.text !== '.') {
      const name = first.text.toLowerCase();
      fromTok(first, line, 'directive');
      if (OPEN.test(name)) open.push({ line, word: name });
      if (CLOSE.test(name)) {
        const s = open.pop();
        if (s !== undefined && line > s.line) folds.push({ start: s.line, end: line, kind: 'region' });
      }
      const next = toks[k + 1];
      if (name === '.code16') mode = 16;
      else if (name === '.code32') mode = 32;
      else if (name === '.code64') mode = 64;
      else if (name === '.text' || name === '.data' || name === '.bss') fromTok(first, line, 'symbol', { role: 'def', kind: 'section', text: name });
      if (name === '.macro' && next?.kind === 'ident') {
        fromTok(next, line, 'symbol', { role: 'def', kind: 'macro', detail: text.slice(next.col - col + next.text.length).trim() });
        return; // the rest are parameter names
      }
      if ((name === '.equ' || name === '.set' || name === '.equiv') && next?.kind === 'ident') {
        const comma = toks[k + 2]?.text === ',' ? toks[k + 3]?.col ?? next.col : next.col;
        fromTok(next, line, 'symbol', { role: 'def', kind: 'equ', detail: text.slice(comma - col).trim() });
        operandsFrom = k + 2;
      }
      if (name === '.section' && next?.kind === 'ident') {
        // `.section .text.boot`: the name is every word up to the first comma.
        let j = k + 1, secName = '';
        while (toks[j] && !(toks[j].kind === 'punct' && toks[j].text === ',')) secName += toks[j++].text;
        add({ line, col: next.col, end: (toks[j - 1]?.col ?? next.col) + tokLength(toks[j - 1] ?? next), text: secName, what: 'symbol', role: 'def', kind: 'section' });
        return;
      }
      if (name === '.include' && next?.kind === 'str') {
        fromTok(next, line, 'include', { text: next.text });
        return;
      }
    } else if (first.kind === 'ident') {
      let j = k;
      while (PREFIX_WORDS.has(toks[j]?.text.toLowerCase() ?? '') && toks[j + 1]?.kind === 'ident') fromTok(toks[j++], line, 'prefix');
      const m = toks[j];
      // The statement's word: an instruction, or the call of a macro (settled once all macros are known).
      fromTok(m, line, 'mnemonic', { head: true });
      operandsFrom = j + 1;
    }
    for (let j = operandsFrom; j < toks.length; j++) {
      const t = toks[j];
      const prev = toks[j - 1];
      // `\name` is a macro parameter and `@function` a symbol type, not symbols.
      if (prev?.kind === 'punct' && (prev.text === '\\' || prev.text === '@')) continue;
      if (t.kind === 'reg') fromTok(t, line, 'register');
      else if (t.kind === 'local') fromTok(t, line, 'local', { role: 'ref', kind: 'local' });
      else if (t.kind === 'num') fromTok(t, line, 'number');
      else if (t.kind === 'ident' && t.text !== '.') fromTok(t, line, 'symbol', { role: 'ref' });
    }
  }

  for (const s of open) if (s.line < lines.length) folds.push({ start: s.line, end: s.line, kind: 'region' });
  return { file, lines, words, folds: folds.filter((f) => f.end > f.start), modeAfter };
}

/** Length of a token as written (the lexer keeps the text of everything but strings). */
function tokLength(t: Token): number {
  if (t.kind === 'reg') return t.text.length + 1;
  if (t.kind === 'str') return t.text.length + 2; // escapes make it longer; only used for .include names
  return t.text.length;
}

/** Resolves local label references in one file: `Nb` the latest `N:` at or before it, `Nf` the next after it. */
export function resolveLocals(scan: FileScan): void {
  // One pass in source order: the latest definition of each N so far, and the `Nf` uses still waiting.
  const latest = new Map<string, Word>();
  const waiting = new Map<string, Word[]>();
  for (const ws of scan.words) {
    for (const w of ws) {
      if (w.what !== 'local') continue;
      if (w.role === 'def') {
        latest.set(w.text, w);
        const list = waiting.get(w.text);
        if (list) { for (const r of list) r.target = w; waiting.delete(w.text); }
        continue;
      }
      const n = w.text.slice(0, -1).replace(/^0+(?=\d)/, '');
      if (w.text.slice(-1).toLowerCase() === 'b') w.target = latest.get(n) ?? null;
      else {
        w.target = null;
        const list = waiting.get(n);
        if (list) list.push(w); else waiting.set(n, [w]);
      }
    }
  }
}
