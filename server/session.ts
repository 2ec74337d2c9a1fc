// session.ts: the GAS language server's requests, one handler each (LSP 3.17), all answered from the
// cached analysis of the document's current version (documents.ts). A handler that fails logs the
// failure and answers null: no text may stop the server answering.
import {
  CancellationToken, Connection, InitializeParams, InitializeResult, Location, Range, ResponseError, TextDocumentSyncKind, TextEdit,
} from 'vscode-languageserver';
import * as path from 'node:path';
import { Analysis } from '../assembler/analysis';
import { complete } from './completion';
import { diagnosticsByFile } from './diagnostics';
import { Documents, pathToUri, uriToPath } from './documents';
import { foldingRanges } from './folding';
import { hover } from './hover';
import { checkNewName, definition, prepareRename, references, refusal, rename, wordRange } from './navigation';
import { LEGEND, semanticTokens } from './semanticTokens';
import { documentSymbols, workspaceSymbols } from './symbols';
import { workspaceAnalyses } from './workspace';
import { Word, definitionsOf, occurrencesOf, wordAt, wordsOfLine } from '../assembler/analysis';

/** Quiet time after the last edit before diagnostics are recomputed and published. */
const DIAGNOSTICS_DELAY_MS = 150;

export class Session {
  readonly docs = new Documents();
  private roots: string[] = [];
  private timers = new Map<string, NodeJS.Timeout>();
  /** URIs given diagnostics last time, to clear those no longer reported. */
  private published = new Set<string>();

  constructor(private connection: Connection) {}

  listen(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onDidOpenTextDocument((p) => this.guard('didOpen', () => {
      this.docs.open(p.textDocument.uri, p.textDocument.text, p.textDocument.version, p.textDocument.languageId);
      this.scheduleDiagnostics(0);
    }, undefined));
    c.onDidChangeTextDocument((p) => this.guard('didChange', () => {
      this.docs.change(p.textDocument.uri, p.contentChanges, p.textDocument.version);
      this.scheduleDiagnostics(DIAGNOSTICS_DELAY_MS);
    }, undefined));
    c.onDidCloseTextDocument((p) => this.guard('didClose', () => {
      this.docs.close(p.textDocument.uri);
      this.scheduleDiagnostics(0);
    }, undefined));
    c.onHover((p) => this.guard('hover', () => {
      const file = uriToPath(p.textDocument.uri);
      const own = this.docs.analysisAtLine(p.textDocument.uri, p.position.line);
      if (own?.edited !== undefined) {
        // The line changed since the last assembly: its words read now, against that assembly's definitions.
        const col = p.position.character + 1;
        const words = wordsOfLine(own.analysis, file, own.edited, p.position.line + 1);
        const w = words.find((x) => col >= x.col && col < x.end) ?? words.find((x) => col === x.end);
        return w ? hover(own.analysis, w, p.position.line, own.line) : null;
      }
      if (own) {
        const w = wordAt(own.analysis, file, own.line, p.position.character + 1);
        return w ? hover(own.analysis, w, p.position.line) : null;
      }
      for (const a of this.docs.contexts(file)) {
        const x = wordAt(a, file, p.position.line + 1, p.position.character + 1);
        if (x) return hover(a, x);
      }
      return null;
    }, null));
    c.onCompletion((p) => this.guard('completion', () => {
      const doc = this.docs.get(p.textDocument.uri);
      const at = this.docs.analysisAtLine(p.textDocument.uri, p.position.line);
      if (!doc || !at) return [];
      const line = doc.getText({ start: { line: p.position.line, character: 0 }, end: { line: p.position.line + 1, character: 0 } }).replace(/\r?\n$/, '');
      return complete(at.analysis, at.analysis.file, p.position, line, at.line);
    }, []));
    c.onDefinition((p) => this.guard('definition', () => this.definition(p.textDocument.uri, p.position.line, p.position.character), null));
    c.onReferences((p) => this.guard('references', () => {
      const quick = this.occurrencesFromLastAssembly(p.textDocument.uri, p.position.line, p.position.character);
      if (quick !== null) return quick.filter((o) => p.context.includeDeclaration || o.role !== 'def').map((o) => Location.create(p.textDocument.uri, o.range));
      return references(this.contexts(p.textDocument.uri), uriToPath(p.textDocument.uri), p.position.line, p.position.character, p.context.includeDeclaration);
    }, null));
    c.onPrepareRename((p) => this.guard('prepareRename', () => {
      const quick = this.occurrencesFromLastAssembly(p.textDocument.uri, p.position.line, p.position.character);
      const here = quick?.find((o) => o.range.start.line === p.position.line && o.range.start.character <= p.position.character && p.position.character <= o.range.end.character);
      if (quick !== null && here !== undefined) return here.range;
      return prepareRename(this.contexts(p.textDocument.uri), uriToPath(p.textDocument.uri), p.position.line, p.position.character);
    }, null));
    c.onRenameRequest((p) => this.guard('rename', () => {
      const quick = this.occurrencesFromLastAssembly(p.textDocument.uri, p.position.line, p.position.character);
      if (quick !== null && quick.length > 0) {
        checkNewName(quick[0].word, p.newName);
        return { changes: { [p.textDocument.uri]: quick.map((o) => TextEdit.replace(o.range, p.newName)) } };
      }
      return rename(this.contexts(p.textDocument.uri), uriToPath(p.textDocument.uri), p.position.line, p.position.character, p.newName);
    }, null));
    c.onDocumentSymbol((p) => this.guard('documentSymbol', () => {
      const a = this.docs.analysis(p.textDocument.uri);
      return a ? documentSymbols(a, a.file) : [];
    }, []));
    c.onWorkspaceSymbol((p, token: CancellationToken) => this.guard('workspaceSymbol', () => {
      const open = this.docs.uris().map((u) => this.docs.analysis(u)).filter((a): a is Analysis => a !== null);
      const seen = new Set(open.flatMap((a) => [...a.files.keys()]));
      return workspaceSymbols([...open, ...workspaceAnalyses(this.roots, seen, this.docs, token)], p.query);
    }, []));
    c.onFoldingRanges((p) => this.guard('foldingRange', () => {
      const file = uriToPath(p.textDocument.uri);
      const scan = this.contexts(p.textDocument.uri)[0]?.files.get(file);
      return scan ? foldingRanges(scan) : [];
    }, []));
    c.languages.semanticTokens.on((p) => this.guard('semanticTokens', () => {
      const file = uriToPath(p.textDocument.uri);
      const scan = this.contexts(p.textDocument.uri)[0]?.files.get(file);
      return scan ? semanticTokens(scan) : { data: [] };
    }, { data: [] }));
    c.listen();
  }

  private initialize(p: InitializeParams): InitializeResult {
    const opts = (p.initializationOptions ?? {}) as { includePaths?: unknown; defines?: unknown };
    const roots = (p.workspaceFolders ?? []).map((f) => uriToPath(f.uri));
    if (roots.length === 0 && p.rootUri) roots.push(uriToPath(p.rootUri));
    this.roots = roots;
    if (Array.isArray(opts.includePaths)) {
      this.docs.includePaths = opts.includePaths.filter((x): x is string => typeof x === 'string').map((d) => path.resolve(roots[0] ?? process.cwd(), d));
    }
    if (opts.defines && typeof opts.defines === 'object') {
      this.docs.defines = Object.fromEntries(Object.entries(opts.defines as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['%', '.'] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: LEGEND, full: true },
      },
      serverInfo: { name: 'trampoline-gas', version: '0.1.0' },
    };
  }

  /** The URI the client opened a file under, else its file: URI. */
  private uriOf(file: string): string {
    return this.docs.uris().find((u) => uriToPath(u) === file) ?? pathToUri(file);
  }

  /**
   * Go to definition. While the user types, the last assembly answers when the asked line is unchanged
   * since it and every definition found is in this file on a line not edited since (as hover does);
   * otherwise the file is assembled again.
   */
  private definition(uri: string, line: number, character: number): Location[] {
    const file = uriToPath(uri);
    const own = this.docs.analysisAtLine(uri, line);
    if (own !== null) {
      let found: Location[];
      if (own.edited === undefined) found = definition([own.analysis], file, own.line - 1, character);
      else {
        // The asked line was edited: its words read now (as hover does); numeric locals depend on where
        // the line is, so those wait for the new assembly.
        const col = character + 1;
        const words = wordsOfLine(own.analysis, file, own.edited, line + 1);
        const w = words.find((x) => col >= x.col && col < x.end) ?? words.find((x) => col === x.end);
        found = w === undefined || w.what === 'local' ? [] : definitionsOf(own.analysis, w).map((d) => Location.create(pathToUri(d.file), wordRange(d)));
      }
      const placed: Location[] = [];
      for (const l of found) {
        // A definition in another file may have moved if that file changed: assemble again.
        if (uriToPath(l.uri) !== file) { placed.length = 0; break; }
        const now = this.docs.currentLine(uri, own.analysis, l.range.start.line);
        if (now < 0) { placed.length = 0; break; }
        placed.push(Location.create(l.uri, Range.create(now, l.range.start.character, now, l.range.end.character)));
      }
      if (placed.length === found.length && found.length > 0) return placed;
    }
    return definition(this.contexts(uri), file, line, character);
  }

  /**
   * References while the user types: the last assembly's occurrences of the word, placed in the current
   * text — only when the asked line and every occurrence's line are unedited since, all occurrences are in
   * this file, and no edited line now holds the name (a new reference being typed); else null, and the
   * caller assembles again. Numeric locals always wait for the new assembly.
   */
  private occurrencesFromLastAssembly(uri: string, line: number, character: number): { range: Range; role: string; word: Word }[] | null {
    const file = uriToPath(uri);
    const own = this.docs.analysisAtLine(uri, line);
    if (own === null || own.edited !== undefined || this.docs.isCurrent(uri, own.analysis)) return null;
    const w = wordAt(own.analysis, file, own.line, character + 1);
    // Numeric locals, and whatever rename refuses, take the full path (with its message).
    if (!w || w.what === 'local' || w.kind === undefined || refusal(w) !== null) return null;
    if (this.docs.editedLinesContain(uri, w.text)) return null;
    const out: { range: Range; role: string; word: Word }[] = [];
    for (const o of occurrencesOf(own.analysis, w)) {
      if (o.file !== file) return null;
      const now = this.docs.currentLine(uri, own.analysis, o.line - 1);
      if (now < 0) return null;
      out.push({ range: Range.create(now, o.col - 1, now, o.end - 1), role: o.role ?? '', word: w });
    }
    return out.length > 0 ? out : null;
  }

  private contexts(uri: string): Analysis[] {
    return this.docs.contexts(uriToPath(uri));
  }

  /** Runs a handler; a ResponseError (a refused rename) goes to the client, anything else is logged. */
  private guard<T>(what: string, f: () => T, fallback: T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      this.connection.console.error(`${what} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return fallback;
    }
  }

  private scheduleDiagnostics(delay: number): void {
    const t = this.timers.get('all');
    if (t) clearTimeout(t);
    this.timers.set('all', setTimeout(() => { this.timers.delete('all'); this.guard('diagnostics', () => this.publishDiagnostics(), undefined); }, delay));
  }

  /**
   * Publishes diagnostics for every open document and every file they read. A file read by another
   * open document shows the diagnostics of that assembly (the context it is assembled in); otherwise
   * its own.
   */
  private publishDiagnostics(): void {
    const byUri = new Map<string, { own: boolean; diags: ReturnType<typeof diagnosticsByFile> extends Map<string, infer D> ? D : never }>();
    for (const uri of this.docs.uris()) {
      const a = this.docs.analysis(uri);
      if (!a) continue;
      for (const [file, diags] of diagnosticsByFile(a)) {
        const target = this.uriOf(file);
        const own = file === a.file;
        const prev = byUri.get(target);
        // An includer's view wins over the file's own; among includers, the first.
        if (!prev || (prev.own && !own)) byUri.set(target, { own, diags });
      }
    }
    // The version lets a client drop diagnostics of a text it has since changed (LSP 3.17 PublishDiagnosticsParams.version).
    for (const [uri, v] of byUri) this.connection.sendDiagnostics({ uri, version: this.docs.get(uri)?.version, diagnostics: v.diags });
    for (const uri of this.published) if (!byUri.has(uri)) this.connection.sendDiagnostics({ uri, diagnostics: [] });
    this.published = new Set(byUri.keys());
  }
}
