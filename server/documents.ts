// documents.ts: the open documents and one analysis (assembler/analysis.ts) per document version,
// computed on first need and kept until the document or a file it read changes. Included files are read
// from the editor when open there, else from disk, relative to the including file and the include paths.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Analysis, analyze, normPath } from '../assembler/analysis';

/** A document URI as the path the assembler names files by (file: URIs; others keep their path part). */
export function uriToPath(uri: string): string {
  try {
    return normPath(uri.startsWith('file:') ? fileURLToPath(uri) : new URL(uri).pathname);
  } catch (_) {
    return normPath(uri);
  }
}

export function pathToUri(p: string): string {
  return pathToFileURL(p).href;
}

interface LineEdit {
  start: number;
  removed: number;
  added: number;
}

/** The line before `edits` of a line after them, or -1 when an edit touched it. */
function mapLine(edits: readonly LineEdit[], line: number): number {
  for (let k = edits.length - 1; k >= 0 && line >= 0; k--) {
    const e = edits[k];
    if (line > e.start + e.added) line += e.removed - e.added;
    else if (line >= e.start) line = -1;
  }
  return line;
}

/** The inverse of mapLine: where a line of the analysed text is now (-1 when an edit touched it). */
function forwardLine(edits: readonly LineEdit[], line: number): number {
  for (const e of edits) {
    if (line < 0) return -1;
    if (line > e.start + e.removed) line += e.added - e.removed;
    else if (line >= e.start) return -1;
  }
  return line;
}

/** Edits followed to reuse an analysis; after more, a new one is made. */
const MAX_TRACKED_EDITS = 200;

/** Largest file read from disk for an include (bigger ones read as missing: a boot image's source is far smaller). */
const MAX_INCLUDE_BYTES = 8 << 20;

export class Documents {
  private docs = new Map<string, TextDocument>();
  private cache = new Map<string, { version: number; analysis: Analysis }>();
  /** The last analysis of each document before its latest change, for answers while the user types. */
  private stale = new Map<string, Analysis>();
  /** The line edits made since that analysis, in order (absent: unknown, e.g. after a full-text change). */
  private edits = new Map<string, LineEdit[]>();
  /** -I directories (absolute), from the client's initializationOptions.includePaths. */
  includePaths: string[] = [];
  /** -D definitions, from initializationOptions.defines. */
  defines: Record<string, string> = {};

  open(uri: string, text: string, version: number, languageId = 'gas'): void {
    this.docs.set(uri, TextDocument.create(uri, languageId, version, text));
    this.invalidate(uri);
  }

  change(uri: string, changes: { text: string; range?: { start: { line: number; character: number }; end: { line: number; character: number } } }[], version: number): void {
    const doc = this.docs.get(uri);
    if (!doc) return;
    // TextDocument.update changes the document in place: note first whether the cached analysis was current.
    const wasCurrent = this.cache.get(uri)?.version === doc.version;
    this.docs.set(uri, TextDocument.update(doc, changes, version));
    this.invalidate(uri);
    // Line moves since the stale analysis, so that an answer on an untouched line can still use it.
    let edits = wasCurrent ? [] : this.edits.get(uri) ?? null;
    for (const c of changes) {
      if (!edits) break;
      if (!c.range) { edits = null; break; }
      edits.push({ start: c.range.start.line, removed: c.range.end.line - c.range.start.line, added: c.text.split('\n').length - 1 });
    }
    if (edits && edits.length <= MAX_TRACKED_EDITS) this.edits.set(uri, edits); else this.edits.delete(uri);
  }

  close(uri: string): void {
    this.docs.delete(uri);
    this.edits.delete(uri);
    this.invalidate(uri);
  }

  get(uri: string): TextDocument | undefined {
    return this.docs.get(uri);
  }

  uris(): string[] {
    return [...this.docs.keys()];
  }

  /** Drops the analyses of `uri` and of every document that read it. */
  private invalidate(uri: string): void {
    const p = uriToPath(uri);
    for (const [u, c] of this.cache) {
      if (u !== uri && !c.analysis.files.has(p)) continue;
      this.stale.set(u, c.analysis);
      this.cache.delete(u);
      // Another file changed: this document's own lines are where that analysis has them.
      if (u !== uri) this.edits.set(u, []);
    }
    if (!this.docs.has(uri)) this.stale.delete(uri);
  }

  /**
   * An analysis to answer at one line without assembling again: the current one; else the one made
   * before the latest edits. `line` is that analysis' 1-based line for the asked 0-based one (edits may
   * have moved it). When the asked line itself was edited since, `edited` holds its text now and `line`
   * is the nearest unedited line above (for the code size in force): the caller reads the line's words
   * afresh against that analysis' definitions. Hover and completion use this, so they answer in a few
   * milliseconds while the user types; the diagnostics run on the current text after a pause.
   */
  analysisAtLine(uri: string, asked: number): { analysis: Analysis; line: number; edited?: string } | null {
    const doc = this.docs.get(uri);
    if (!doc) return null;
    const c = this.cache.get(uri);
    if (c && c.version === doc.version) return { analysis: c.analysis, line: asked + 1 };
    const old = this.stale.get(uri);
    const scan = old?.files.get(old.file);
    const edits = this.edits.get(uri);
    if (old && scan && edits) {
      const lineText = (k: number): string => doc.getText({ start: { line: k, character: 0 }, end: { line: k + 1, character: 0 } }).replace(/\n$/, '');
      const text = lineText(asked);
      const mapped = mapLine(edits, asked);
      if (mapped >= 0 && scan.lines[mapped] === text) return { analysis: old, line: mapped + 1 };
      for (let k = asked - 1; k >= 0 && k >= asked - 200; k--) {
        const m = mapLine(edits, k);
        if (m >= 0) return { analysis: old, line: m + 1, edited: text };
      }
      return { analysis: old, line: 1, edited: text };
    }
    const analysis = this.analysis(uri);
    return analysis ? { analysis, line: asked + 1 } : null;
  }

  /**
   * For an answer computed on the analysis analysisAtLine gave (not the current one): where a 0-based line
   * of that analysis' own file is in the current text, or -1 when it was edited since (then the caller
   * assembles afresh).
   */
  currentLine(uri: string, analysis: Analysis, line: number): number {
    const c = this.cache.get(uri);
    const doc = this.docs.get(uri);
    if (c && doc && c.version === doc.version && c.analysis === analysis) return line;
    const edits = this.edits.get(uri);
    return edits && this.stale.get(uri) === analysis ? forwardLine(edits, line) : -1;
  }

  /** Whether `analysis` is the one of the current text (no edits since). */
  isCurrent(uri: string, analysis: Analysis): boolean {
    const c = this.cache.get(uri);
    return c !== undefined && c.analysis === analysis && c.version === this.docs.get(uri)?.version;
  }

  /** Whether a line edited since the last assembly (analysisAtLine's stale one) now contains `text`. */
  editedLinesContain(uri: string, text: string): boolean {
    const doc = this.docs.get(uri);
    const edits = this.edits.get(uri);
    if (!doc || !edits) return true;
    const lines = doc.getText().split('\n');
    for (let k = 0; k < lines.length; k++) if (mapLine(edits, k) < 0 && lines[k].includes(text)) return true;
    return false;
  }

  readFile = (p: string): string | null => {
    const full = normPath(path.resolve(p));
    for (const d of this.docs.values()) if (uriToPath(d.uri) === full) return d.getText();
    try {
      const buf = readFileSync(full);
      return buf.length > MAX_INCLUDE_BYTES ? null : buf.toString('utf8');
    } catch (_) {
      return null;
    }
  };

  readBinary = (p: string): Uint8Array | null => {
    try {
      return readFileSync(path.resolve(p));
    } catch (_) {
      return null;
    }
  };

  /** The analysis of an open document at its current version. */
  analysis(uri: string): Analysis | null {
    const doc = this.docs.get(uri);
    if (!doc) return null;
    const c = this.cache.get(uri);
    if (c && c.version === doc.version) return c.analysis;
    const file = uriToPath(uri);
    const analysis = analyze(doc.getText(), {
      file, readFile: this.readFile, readBinary: this.readBinary, includePaths: this.includePaths, defines: this.defines,
      cpp: /\.(S|sx)$/.test(file) || (doc.languageId === 'gas' && !/\.(s|asm)$/.test(file)),
    });
    this.cache.set(uri, { version: doc.version, analysis });
    return analysis;
  }

  /**
   * The analyses a file takes part in: its own first when it is open, then those of open documents
   * that include it (a file #included by the open one is seen in the context it is assembled in).
   */
  contexts(p: string): Analysis[] {
    const out: Analysis[] = [];
    for (const uri of this.docs.keys()) {
      const a = uriToPath(uri) === p ? this.analysis(uri) : null;
      if (a) out.push(a);
    }
    for (const uri of this.docs.keys()) {
      if (uriToPath(uri) === p) continue;
      const a = this.analysis(uri);
      if (a && a.files.has(p)) out.push(a);
    }
    return out;
  }
}
