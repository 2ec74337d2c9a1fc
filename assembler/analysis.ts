// analysis.ts: one assembly of a file seen from an editor: the assembler's own result (diagnostics,
// symbols with addresses, bytes per line) joined to the words of every file it read (analysisScan.ts),
// with each use of a name tied to its definition: labels, numeric locals, .macro, #define, .equ/.set,
// sections, across #include and .include. The language server (server/) answers from this alone.
import { AssembleOptions, AssemblyResult, Diagnostic, SymbolOut, assemble } from './index';
import { FileScan, SymKind, Word, resolveLocals, scanFile } from './analysisScan';
import { InsnInfo, decodeInfo } from './analysisInsn';
import { Mode } from './select';

export interface AnalyzeOptions extends Omit<AssembleOptions, 'file'> {
  file: string;
}

export interface Include {
  /** The including file and the line and word of the directive. */
  from: Word;
  /** The file read (normalized path). */
  path: string;
}

export interface Analysis {
  file: string;
  result: AssemblyResult;
  /** Every file read, by normalized path: the analyzed file first. */
  files: Map<string, FileScan>;
  /** Every definition, by name (macros by lower-case name, as GAS looks them up). */
  defs: Map<string, Word[]>;
  /** Every use of a symbol (locals excluded), by name (lower-case for macro calls). */
  refs: Map<string, Word[]>;
  includes: Include[];
  /** Files read through the C preprocessor (the .S file and what it #includes). */
  cppFiles: Set<string>;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** Assembled symbols by name (labels and equates: value and section). */
  symbols: Map<string, SymbolOut>;
  /** Code size at each assembled line (file → line index → 16/32/64, 0 for lines not assembled). */
  modes: Map<string, Uint8Array>;
}

/** Normalizes a '/'-separated path: `a/b/../c/./d` → `a/c/d` (the assembler joins include paths textually). */
export function normPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !abs) out.push(part);
  }
  return (abs ? '/' : '') + out.join('/');
}

/** Inclusions of one file, and characters of included text, one analysis reads at most. */
const MAX_READS_PER_FILE = 16;
const MAX_INCLUDED_CHARS = 1 << 20;

const key = (name: string, kind: SymKind | undefined): string => (kind === 'macro' ? name.toLowerCase() : name);

export function analyze(source: string, options: AnalyzeOptions): Analysis {
  const file = normPath(options.file);
  // Remember what the assembler read (in order), and how: files reached through .include are not
  // preprocessed.
  const read = new Map<string, string>();
  // An editor must answer while the text is anything at all: a file that includes itself is cut short
  // well before the preprocessor's own depth limit (200, GCC's) would stop it.
  const reads = new Map<string, number>();
  let total = 0;
  let cut: string | null = null;
  const readFile = (p: string): string | null => {
    const np = normPath(p);
    const n = (reads.get(np) ?? 0) + 1;
    reads.set(np, n);
    if (n > MAX_READS_PER_FILE || total > MAX_INCLUDED_CHARS) { cut ??= np; return null; }
    const t = options.readFile?.(p) ?? null;
    if (t === null) return null;
    total += t.length;
    if (!read.has(np)) read.set(np, t);
    return t;
  };
  const result = assemble(source, { ...options, file, readFile });
  if (cut) {
    result.errors.push({ file, line: 1, col: 1, severity: 'error',
      message: `${cut} was not included again: more than ${MAX_READS_PER_FILE} inclusions of one file or ${MAX_INCLUDED_CHARS >> 20} MiB of included text (a recursive #include or .include?)` });
  }
  const cppMain = options.cpp ?? file.endsWith('.S');
  const files = new Map<string, FileScan>();
  const pending: { path: string; text: string; cpp: boolean }[] = [{ path: file, text: source, cpp: cppMain }];
  const includes: Include[] = [];
  const cppFiles = new Set<string>();
  while (pending.length) {
    const f = pending.shift() as { path: string; text: string; cpp: boolean };
    if (files.has(f.path)) continue;
    const scan = scanFile(f.path, f.text, f.cpp);
    if (f.cpp) cppFiles.add(f.path);
    resolveLocals(scan);
    files.set(f.path, scan);
    for (const w of scan.words.flat()) {
      if (w.what !== 'include') continue;
      const hash = /^\s*#/.test(scan.lines[w.line - 1]);
      const target = findRead(read, f.path, w.text, options.includePaths ?? []);
      if (!target) continue;
      w.path = target;
      includes.push({ from: w, path: target });
      pending.push({ path: target, text: read.get(target) as string, cpp: hash ? f.cpp : false });
    }
  }

  const defs = new Map<string, Word[]>();
  const refs = new Map<string, Word[]>();
  const push = (m: Map<string, Word[]>, k: string, w: Word): void => {
    const list = m.get(k);
    if (list) list.push(w); else m.set(k, [w]);
  };
  const all: Word[] = [];
  for (const s of files.values()) for (const ws of s.words) for (const w of ws) all.push(w);
  for (const w of all) if (w.what === 'symbol' && w.role === 'def') push(defs, key(w.text, w.kind), w);
  for (const w of all) {
    if (settle(defs, w)) push(refs, key(w.text, w.kind), w);
  }

  const symbols = new Map<string, SymbolOut>();
  for (const s of result.symbols) symbols.set(s.name, s);
  // The code size in force at each line, in the order the assembler read the lines (includes in place).
  const modes = new Map<string, Uint8Array>();
  for (const [f, scan] of files) modes.set(f, new Uint8Array(scan.lines.length + 1));
  const normed = new Map<string, Uint8Array | undefined>();
  let mode: Mode = 64;
  for (const l of result.source) {
    if (l.text.includes('.code')) {
      const m = /^\s*(?:[\w.$]+:\s*)*\.code(16|32|64)\b/.exec(l.text);
      if (m) mode = Number(m[1]) as Mode;
    }
    let table = normed.get(l.file);
    if (!normed.has(l.file)) normed.set(l.file, (table = modes.get(normPath(l.file))));
    if (table && l.line < table.length) table[l.line] = mode;
  }
  const norm = (d: Diagnostic): Diagnostic => ({ ...d, file: normPath(d.file) });
  return { file, result, files, defs, refs, includes, cppFiles, errors: result.errors.map(norm), warnings: result.warnings.map(norm), symbols, modes };
}

/**
 * Settles what a use names, given the definitions: a statement's first word is a macro call when such a
 * macro is defined (or a #define); in operands a #define wins over a label (the preprocessor replaces it
 * before the assembler sees it). Returns whether the word is a use of a symbol.
 */
function settle(defs: Map<string, Word[]>, w: Word): boolean {
  const has = (name: string, k: SymKind): boolean => defs.get(name)?.some((d) => d.kind === k) ?? false;
  if (w.what === 'mnemonic' && w.head) {
    const k: SymKind | undefined = has(w.text.toLowerCase(), 'macro') ? 'macro' : has(w.text, 'define') ? 'define' : undefined;
    if (!k) return false;
    w.what = 'symbol'; w.role = 'ref'; w.kind = k;
    return true;
  }
  if (w.what !== 'symbol' || w.role !== 'ref') return false;
  w.kind = (['define', 'label', 'equ', 'section'] as SymKind[]).find((k) => has(w.text, k));
  return true;
}

/**
 * The words of one line as it is now, read against an earlier analysis of the file (for answers while
 * the line is being typed, before the next assembly): each use tied to the definitions that analysis knows.
 */
export function wordsOfLine(a: Analysis, file: string, text: string, line: number): Word[] {
  const scan = scanFile(file, text, a.files.get(file) ? a.cppFiles.has(file) : true);
  const words = scan.words[0] ?? [];
  for (const w of words) { w.line = line; settle(a.defs, w); }
  return words;
}

/** The path the assembler read for an include of `name` from `from` (own directory first, then -I). */
function findRead(read: Map<string, string>, from: string, name: string, includePaths: string[]): string | null {
  const k = from.lastIndexOf('/');
  const dirs = [k < 0 ? '' : from.slice(0, k + 1), ...includePaths.map((d) => (d.endsWith('/') ? d : d + '/'))];
  for (const d of dirs) {
    const p = normPath(name.startsWith('/') ? name : d + name);
    if (read.has(p)) return p;
  }
  return null;
}

/** The word at a 1-based line and column of a file (column inside it or just after it). */
export function wordAt(a: Analysis, file: string, line: number, col: number): Word | null {
  const ws = a.files.get(file)?.words[line - 1];
  if (!ws) return null;
  return ws.find((w) => col >= w.col && col < w.end) ?? ws.find((w) => col === w.end) ?? null;
}

/** Definitions a word names: its local label, or every definition of its name and kind. */
export function definitionsOf(a: Analysis, w: Word): Word[] {
  if (w.what === 'local') return w.role === 'def' ? [w] : w.target ? [w.target] : [];
  if (w.what !== 'symbol') return [];
  const ds = a.defs.get(key(w.text, w.kind)) ?? [];
  return w.kind ? ds.filter((d) => d.kind === w.kind) : ds;
}

/** Every occurrence (definitions and uses) of what a word names. */
export function occurrencesOf(a: Analysis, w: Word): Word[] {
  if (w.what === 'local') {
    const def = w.role === 'def' ? w : w.target;
    if (!def) return [w];
    const scan = a.files.get(def.file);
    const uses = scan ? scan.words.flat().filter((x) => x.what === 'local' && x.role === 'ref' && x.target === def) : [];
    return [def, ...uses];
  }
  if (w.what !== 'symbol') return [];
  const k = w.kind ?? definitionsOf(a, w)[0]?.kind;
  const ds = (a.defs.get(key(w.text, k)) ?? []).filter((d) => d.kind === k);
  const rs = (a.refs.get(key(w.text, k)) ?? []).filter((r) => r.kind === k);
  return [...ds, ...rs];
}

export interface LineBytes {
  address: number;
  section: string;
  bytes: Uint8Array;
  /** The instruction the bytes decode to, when the line holds one. */
  insn: InsnInfo | null;
}

/** What the assembler produced for a source line: each item's address, section and bytes. */
export function bytesAt(a: Analysis, file: string, line: number): LineBytes[] {
  const out: LineBytes[] = [];
  const mode = (a.modes.get(file)?.[line] || 64) as Mode;
  for (const it of a.result.listed) {
    if (it.line !== line || it.size === 0 || (it.file !== file && normPath(it.file) !== file)) continue;
    const sec = a.result.sections.find((s) => s.name === it.section);
    if (!sec) continue;
    const bytes = sec.nobits ? new Uint8Array(0) : sec.data.subarray(it.offset, it.offset + Math.min(it.size, 64));
    const insn = sec.code && bytes.length ? decodeInfo(sec.data, it.offset, sec.address + it.offset, mode) : null;
    out.push({ address: sec.address + it.offset, section: it.section, bytes, insn });
  }
  return out;
}

/** Code size at a line of a file: from the assembly when the line was assembled, else from the file's own .code directives. */
export function modeAt(a: Analysis, file: string, line: number): Mode {
  const table = a.modes.get(file);
  const scan = a.files.get(file);
  if (!table || !scan) return 64;
  for (let k = Math.min(line, scan.lines.length); k >= 1; k--) {
    if (table[k]) return table[k] as Mode;
    if (k < line && scan.modeAfter[k - 1]) return scan.modeAfter[k - 1] as Mode;
  }
  return 64;
}

export type { Word, SymKind, FileScan, InsnInfo, Diagnostic };
